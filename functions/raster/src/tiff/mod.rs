//! GeoTIFF / COG reading and writing.
//!
//! [`CogReader`] reads a window of band 1 by fetching only the tiles that overlap it (coalesced
//! range reads, overlapped with parallel decoding). [`write_cog`] writes a cloud-optimised
//! GeoTIFF laid out as GDAL's COG driver does (IFDs first, smallest overview's data first).

mod decode;
mod ifd;
mod lzw;
mod reader;
mod writer;

pub use reader::{CogReader, RasterInfo};
pub use writer::{CogOptions, write_cog};

/// TIFF tag numbers used here.
pub(crate) mod tag {
    pub const NEW_SUBFILE_TYPE: u16 = 254;
    pub const IMAGE_WIDTH: u16 = 256;
    pub const IMAGE_LENGTH: u16 = 257;
    pub const BITS_PER_SAMPLE: u16 = 258;
    pub const COMPRESSION: u16 = 259;
    pub const PHOTOMETRIC: u16 = 262;
    pub const STRIP_OFFSETS: u16 = 273;
    pub const SAMPLES_PER_PIXEL: u16 = 277;
    pub const ROWS_PER_STRIP: u16 = 278;
    pub const STRIP_BYTE_COUNTS: u16 = 279;
    pub const PLANAR_CONFIGURATION: u16 = 284;
    pub const PREDICTOR: u16 = 317;
    pub const TILE_WIDTH: u16 = 322;
    pub const TILE_LENGTH: u16 = 323;
    pub const TILE_OFFSETS: u16 = 324;
    pub const TILE_BYTE_COUNTS: u16 = 325;
    pub const SAMPLE_FORMAT: u16 = 339;
    pub const MODEL_PIXEL_SCALE: u16 = 33550;
    pub const MODEL_TIEPOINT: u16 = 33922;
    pub const MODEL_TRANSFORMATION: u16 = 34264;
    pub const GEO_KEY_DIRECTORY: u16 = 34735;
    pub const GDAL_NODATA: u16 = 42113;
}

/// GeoKey ids used here.
pub(crate) mod geokey {
    pub const MODEL_TYPE: u16 = 1024;
    pub const RASTER_TYPE: u16 = 1025;
    pub const GEOGRAPHIC_TYPE: u16 = 2048;
    pub const GEOG_ANGULAR_UNITS: u16 = 2054;
    pub const PROJECTED_CS_TYPE: u16 = 3072;
    pub const PROJ_LINEAR_UNITS: u16 = 3076;
}

/// Tile compression.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Compression {
    /// No compression (1).
    None,
    /// LZW (5).
    Lzw,
    /// Deflate / zlib (8, or the old 32946).
    Deflate,
    /// Zstandard (50000).
    Zstd,
}

impl Compression {
    pub(crate) fn from_code(code: u64) -> Option<Self> {
        match code {
            1 => Some(Self::None),
            5 => Some(Self::Lzw),
            8 | 32946 => Some(Self::Deflate),
            50000 => Some(Self::Zstd),
            _ => None,
        }
    }

    pub(crate) fn code(self) -> u16 {
        match self {
            Self::None => 1,
            Self::Lzw => 5,
            Self::Deflate => 8,
            Self::Zstd => 50000,
        }
    }
}

/// The numeric type of a band.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleKind {
    /// `uint8`
    U8,
    /// `uint16`
    U16,
    /// `int16`
    I16,
    /// `uint32`
    U32,
    /// `int32`
    I32,
    /// `float32`
    F32,
    /// `float64`
    F64,
}

impl SampleKind {
    /// Bytes per sample.
    pub fn bytes(self) -> usize {
        match self {
            Self::U8 => 1,
            Self::U16 | Self::I16 => 2,
            Self::U32 | Self::I32 | Self::F32 => 4,
            Self::F64 => 8,
        }
    }

    /// TIFF SampleFormat (1 unsigned, 2 signed, 3 float).
    pub(crate) fn format(self) -> u16 {
        match self {
            Self::U8 | Self::U16 | Self::U32 => 1,
            Self::I16 | Self::I32 => 2,
            Self::F32 | Self::F64 => 3,
        }
    }

    pub(crate) fn from_tags(bits: u64, format: u64) -> Option<Self> {
        match (format, bits) {
            (1, 8) => Some(Self::U8),
            (1, 16) => Some(Self::U16),
            (2, 16) => Some(Self::I16),
            (1, 32) => Some(Self::U32),
            (2, 32) => Some(Self::I32),
            (3, 32) => Some(Self::F32),
            (3, 64) => Some(Self::F64),
            _ => None,
        }
    }

    /// The name used by GDAL, rasterio and the STAC raster extension (`uint16`...).
    pub fn name(self) -> &'static str {
        match self {
            Self::U8 => "uint8",
            Self::U16 => "uint16",
            Self::I16 => "int16",
            Self::U32 => "uint32",
            Self::I32 => "int32",
            Self::F32 => "float32",
            Self::F64 => "float64",
        }
    }

    pub(crate) fn is_float(self) -> bool {
        matches!(self, Self::F32 | Self::F64)
    }
}

/// A pixel value type that can be read from and written to a TIFF.
pub trait Sample: Copy + Default + PartialEq + Send + Sync + std::fmt::Debug + 'static {
    /// Which [`SampleKind`] this is.
    const KIND: SampleKind;
    /// Decodes one little-endian value.
    fn from_le(bytes: &[u8]) -> Self;
    /// Decodes one big-endian value.
    fn from_be(bytes: &[u8]) -> Self;
    /// True for unsigned integers (their NDWI is never infinite).
    const UNSIGNED: bool;
    /// Appends the little-endian bytes of `values`.
    fn extend_le(values: &[Self], out: &mut Vec<u8>);
    /// Wrapping addition (horizontal predictor); plain addition for floats.
    fn wrapping_add(self, other: Self) -> Self;
    /// Wrapping subtraction (horizontal predictor); plain subtraction for floats.
    fn wrapping_sub(self, other: Self) -> Self;
    /// `self as f32`, numpy's `astype(float32)`.
    fn to_f32(self) -> f32;
    /// `value as Self` (saturating), for nodata fills.
    fn from_f64(value: f64) -> Self;
}

macro_rules! int_sample {
    ($t:ty, $kind:ident, $unsigned:expr) => {
        impl Sample for $t {
            const KIND: SampleKind = SampleKind::$kind;
            const UNSIGNED: bool = $unsigned;
            #[inline(always)]
            fn from_le(b: &[u8]) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(&b[..std::mem::size_of::<$t>()]);
                <$t>::from_le_bytes(a)
            }
            #[inline(always)]
            fn from_be(b: &[u8]) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(&b[..std::mem::size_of::<$t>()]);
                <$t>::from_be_bytes(a)
            }
            #[inline]
            fn extend_le(values: &[Self], out: &mut Vec<u8>) {
                out.reserve(values.len() * std::mem::size_of::<$t>());
                for v in values {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
            #[inline(always)]
            fn wrapping_add(self, other: Self) -> Self {
                <$t>::wrapping_add(self, other)
            }
            #[inline(always)]
            fn wrapping_sub(self, other: Self) -> Self {
                <$t>::wrapping_sub(self, other)
            }
            #[inline(always)]
            fn to_f32(self) -> f32 {
                self as f32
            }
            fn from_f64(value: f64) -> Self {
                value as $t
            }
        }
    };
}

macro_rules! float_sample {
    ($t:ty, $kind:ident) => {
        impl Sample for $t {
            const KIND: SampleKind = SampleKind::$kind;
            const UNSIGNED: bool = false;
            #[inline(always)]
            fn from_le(b: &[u8]) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(&b[..std::mem::size_of::<$t>()]);
                <$t>::from_le_bytes(a)
            }
            #[inline(always)]
            fn from_be(b: &[u8]) -> Self {
                let mut a = [0u8; std::mem::size_of::<$t>()];
                a.copy_from_slice(&b[..std::mem::size_of::<$t>()]);
                <$t>::from_be_bytes(a)
            }
            #[inline]
            fn extend_le(values: &[Self], out: &mut Vec<u8>) {
                out.reserve(values.len() * std::mem::size_of::<$t>());
                for v in values {
                    out.extend_from_slice(&v.to_le_bytes());
                }
            }
            #[inline(always)]
            fn wrapping_add(self, other: Self) -> Self {
                self + other
            }
            #[inline(always)]
            fn wrapping_sub(self, other: Self) -> Self {
                self - other
            }
            #[inline(always)]
            fn to_f32(self) -> f32 {
                self as f32
            }
            fn from_f64(value: f64) -> Self {
                value as $t
            }
        }
    };
}

int_sample!(u8, U8, true);
int_sample!(u16, U16, true);
int_sample!(i16, I16, false);
int_sample!(u32, U32, true);
int_sample!(i32, I32, false);
float_sample!(f32, F32);
float_sample!(f64, F64);
