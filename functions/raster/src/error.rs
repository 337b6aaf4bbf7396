//! The crate's one error type.

use std::fmt;

/// A boxed error from a byte source adapter (HTTP client, S3 SDK, ...).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong while reading, processing or writing rasters.
///
/// Messages name the problem and, where there is one, the asset href, so a job can report them
/// as they are.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A byte source could not be read (network, disk, permissions...).
    #[error("cannot read {href}: {source}")]
    Source {
        /// The href or path that was being read.
        href: String,
        /// The underlying error.
        #[source]
        source: BoxError,
    },

    /// The byte source does not exist (HTTP 404, missing key, missing file).
    #[error("not found: {href}")]
    NotFound {
        /// The href or path that was asked for.
        href: String,
    },

    /// The source refused the href by policy (e.g. a private address, an unsupported scheme).
    #[error("refused to open {href}: {reason}")]
    Refused {
        /// The href that was refused.
        href: String,
        /// Why.
        reason: String,
    },

    /// The STAC item has no asset with role `data` whose `eo:bands` common name is the band.
    #[error("item {item}: no data asset for band '{band}'")]
    NoSuchBand {
        /// The item id.
        item: String,
        /// The common name that was looked up.
        band: String,
    },

    /// The STAC item JSON lacks something the process needs.
    #[error("invalid STAC item: {0}")]
    InvalidItem(String),

    /// The AOI string is not `"minx,miny,maxx,maxy"` with finite numbers.
    #[error("invalid AOI '{aoi}': {reason}")]
    InvalidAoi {
        /// The AOI as given.
        aoi: String,
        /// What is wrong with it.
        reason: String,
    },

    /// The AOI, once in the raster CRS, does not overlap the raster.
    #[error("Input shapes do not overlap raster")]
    NoOverlap,

    /// A CRS that cannot be used: unknown EPSG code, user-defined CRS, malformed string.
    #[error("unsupported CRS: {0}")]
    UnsupportedCrs(String),

    /// A coordinate could not be reprojected.
    #[error("cannot reproject ({x}, {y}) from EPSG:{from} to EPSG:{to}: {reason}")]
    Reprojection {
        /// Source EPSG code.
        from: u16,
        /// Target EPSG code.
        to: u16,
        /// Easting or longitude.
        x: f64,
        /// Northing or latitude.
        y: f64,
        /// Why.
        reason: String,
    },

    /// The crop window holds no finite NDWI value (every pixel is nodata or outside the AOI).
    #[error("the AOI window holds only nodata pixels")]
    AllNodata,

    /// The parameters are inconsistent (e.g. not exactly two bands).
    #[error("invalid parameters: {0}")]
    InvalidParams(String),

    /// The rasters of the bands do not share one grid (size, transform or CRS).
    #[error("bands are not on the same grid: {0}")]
    GridMismatch(String),

    /// The file is not a TIFF or its structure is broken.
    #[error("{href}: invalid TIFF: {reason}")]
    InvalidTiff {
        /// The asset href.
        href: String,
        /// What is wrong.
        reason: String,
    },

    /// The TIFF uses a feature this reader does not implement (JPEG, rotated grid...).
    #[error("{href}: unsupported TIFF: {reason}")]
    UnsupportedTiff {
        /// The asset href.
        href: String,
        /// Which feature.
        reason: String,
    },

    /// A tile could not be decompressed.
    #[error("{href}: cannot decode tile {tile}: {reason}")]
    Decode {
        /// The asset href.
        href: String,
        /// Tile index in the image directory.
        tile: usize,
        /// Decoder message.
        reason: String,
    },

    /// A raster could not be encoded (e.g. the output would exceed classic TIFF's 4 GiB).
    #[error("cannot encode raster: {0}")]
    Encode(String),

    /// A local file could not be written or read.
    #[error("{path}: {source}")]
    Io {
        /// The file path.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },

    /// A blocking task panicked or was cancelled.
    #[error("internal task failed: {0}")]
    Task(String),
}

impl Error {
    /// Wraps an adapter error as a [`Error::Source`] naming `href`.
    pub fn source(href: impl Into<String>, source: impl Into<BoxError>) -> Self {
        Self::Source {
            href: href.into(),
            source: source.into(),
        }
    }

    /// A [`Error::Source`] from a message.
    pub fn source_msg(href: impl Into<String>, message: impl fmt::Display) -> Self {
        Self::source(href, message.to_string())
    }

    pub(crate) fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
