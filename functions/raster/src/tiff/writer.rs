//! Cloud-optimised GeoTIFF writing in pure Rust.
//!
//! Layout, as GDAL's COG driver writes it and both COG validators check: classic TIFF header,
//! then every IFD (main image, then overviews from largest to smallest) with its tag arrays,
//! then tile data starting with the smallest overview and ending with the full resolution, each
//! image's tiles in row-major order. Overviews halve the size (floor) until both sides fit in
//! one tile and use nearest-neighbour sampling.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;

use rayon::prelude::*;

use super::{Compression, Sample, geokey, tag};
use crate::error::{Error, Result};
use crate::geo::Georef;

/// How to write a COG. The default is the reference profile: 512 px tiles, LZW, no predictor,
/// internal overviews.
#[derive(Debug, Clone, PartialEq)]
pub struct CogOptions {
    /// Tile width and height (a multiple of 16).
    pub tile_size: u32,
    /// Tile compression (LZW, Deflate, Zstd or none).
    pub compression: Compression,
    /// Horizontal differencing predictor (integer samples only).
    pub predictor: bool,
    /// Write internal overviews.
    pub overviews: bool,
    /// Deflate level (1-9).
    pub deflate_level: u32,
}

impl Default for CogOptions {
    fn default() -> Self {
        Self {
            tile_size: 512,
            compression: Compression::Lzw,
            predictor: false,
            overviews: true,
            deflate_level: 6,
        }
    }
}

/// One image of the pyramid.
struct Level<'a, T: Clone> {
    width: u32,
    height: u32,
    data: std::borrow::Cow<'a, [T]>,
}

/// Encodes `data` (`width * height` samples, row-major) as a single-band COG.
pub fn write_cog<T: Sample>(
    data: &[T],
    width: u32,
    height: u32,
    georef: &Georef,
    options: &CogOptions,
) -> Result<Vec<u8>> {
    if width == 0 || height == 0 || data.len() as u64 != u64::from(width) * u64::from(height) {
        return Err(Error::Encode(format!(
            "{} samples for a {width}x{height} raster",
            data.len()
        )));
    }
    if options.tile_size == 0 || !options.tile_size.is_multiple_of(16) {
        return Err(Error::Encode("tile size must be a multiple of 16".into()));
    }
    if options.predictor && T::KIND.is_float() {
        return Err(Error::Encode(
            "the horizontal predictor needs integer samples".into(),
        ));
    }
    if !georef.transform.is_north_up() {
        return Err(Error::Encode(
            "rotated geotransforms are not supported".into(),
        ));
    }
    let ts = options.tile_size;
    let mut levels = vec![Level {
        width,
        height,
        data: std::borrow::Cow::Borrowed(data),
    }];
    if options.overviews {
        let mut factor = 1u32;
        let (mut w, mut h) = (width, height);
        while (w > ts || h > ts) && factor < 1 << 30 {
            factor *= 2;
            w = (width / factor).max(1);
            h = (height / factor).max(1);
            levels.push(Level {
                width: w,
                height: h,
                data: std::borrow::Cow::Owned(nearest(data, width, height, w, h)),
            });
        }
    }

    let tiles: Vec<Vec<Vec<u8>>> = levels
        .iter()
        .map(|l| encode_tiles(l, options))
        .collect::<Result<_>>()?;

    // Pass 1: IFD sizes with placeholder offsets; pass 2: the real values.
    let placeholder: Vec<Vec<Tag>> = levels
        .iter()
        .enumerate()
        .map(|(i, l)| ifd_tags::<T>(i, l, &vec![0; tiles[i].len()], &tiles[i], georef, options))
        .collect();
    let mut ifd_offsets = Vec::with_capacity(levels.len());
    let mut pos = 8u64;
    for tags in &placeholder {
        ifd_offsets.push(pos);
        pos += ifd_size(tags);
    }
    let mut tile_offsets: Vec<Vec<u64>> = vec![Vec::new(); levels.len()];
    for i in (0..levels.len()).rev() {
        for t in &tiles[i] {
            tile_offsets[i].push(pos);
            pos += t.len() as u64;
        }
    }
    if pos > u64::from(u32::MAX) {
        return Err(Error::Encode(
            "output larger than 4 GiB (BigTIFF is not written)".into(),
        ));
    }

    let mut out = Vec::with_capacity(pos as usize);
    out.extend_from_slice(b"II");
    out.extend_from_slice(&42u16.to_le_bytes());
    out.extend_from_slice(&8u32.to_le_bytes());
    for (i, l) in levels.iter().enumerate() {
        let tags = ifd_tags::<T>(i, l, &tile_offsets[i], &tiles[i], georef, options);
        let next = ifd_offsets.get(i + 1).copied().unwrap_or(0);
        write_ifd(&mut out, &tags, ifd_offsets[i], next);
    }
    for level_tiles in tiles.iter().rev() {
        for t in level_tiles {
            out.extend_from_slice(t);
        }
    }
    debug_assert_eq!(out.len() as u64, pos);
    Ok(out)
}

/// Nearest-neighbour downsampling to `w` x `h`.
fn nearest<T: Sample>(data: &[T], width: u32, height: u32, w: u32, h: u32) -> Vec<T> {
    let sx = f64::from(width) / f64::from(w);
    let sy = f64::from(height) / f64::from(h);
    let cols: Vec<usize> = (0..w)
        .map(|x| (((f64::from(x) + 0.5) * sx) as usize).min(width as usize - 1))
        .collect();
    let mut out = vec![T::default(); w as usize * h as usize];
    out.par_chunks_mut(w as usize)
        .enumerate()
        .for_each(|(y, row)| {
            let src_y = (((y as f64 + 0.5) * sy) as usize).min(height as usize - 1);
            let src = &data[src_y * width as usize..(src_y + 1) * width as usize];
            for (o, &c) in row.iter_mut().zip(&cols) {
                *o = src[c];
            }
        });
    out
}

fn encode_tiles<T: Sample>(level: &Level<'_, T>, options: &CogOptions) -> Result<Vec<Vec<u8>>> {
    let ts = options.tile_size as usize;
    let (w, h) = (level.width as usize, level.height as usize);
    let across = w.div_ceil(ts);
    let down = h.div_ceil(ts);
    // Constant tiles (all zero, typically) compress to the same bytes: encode each value once.
    let constant: Mutex<HashMap<Vec<u8>, Vec<u8>>> = Mutex::new(HashMap::new());
    (0..across * down)
        .into_par_iter()
        .map(|i| {
            let (tx, ty) = (i % across, i / across);
            let mut tile = vec![T::default(); ts * ts];
            let x0 = tx * ts;
            let cols = ts.min(w - x0);
            for r in 0..ts.min(h - ty * ts) {
                let src = (ty * ts + r) * w + x0;
                tile[r * ts..r * ts + cols].copy_from_slice(&level.data[src..src + cols]);
            }
            let first = tile[0];
            let key = tile.iter().all(|&v| v == first).then(|| {
                let mut k = Vec::new();
                T::extend_le(&[first], &mut k);
                k
            });
            if let Some(k) = &key
                && let Some(done) = constant.lock().ok().and_then(|m| m.get(k).cloned())
            {
                return Ok(done);
            }
            if options.predictor {
                for row in tile.chunks_exact_mut(ts) {
                    for j in (1..ts).rev() {
                        row[j] = row[j].wrapping_sub(row[j - 1]);
                    }
                }
            }
            let mut raw = Vec::with_capacity(ts * ts * T::KIND.bytes());
            T::extend_le(&tile, &mut raw);
            let encoded = compress(options, raw)?;
            if let (Some(k), Ok(mut m)) = (key, constant.lock()) {
                m.insert(k, encoded.clone());
            }
            Ok(encoded)
        })
        .collect()
}

fn compress(options: &CogOptions, raw: Vec<u8>) -> Result<Vec<u8>> {
    match options.compression {
        Compression::None => Ok(raw),
        Compression::Lzw => Ok(super::lzw::encode(&raw)),
        Compression::Deflate => {
            let level = flate2::Compression::new(options.deflate_level.clamp(1, 9));
            let mut z = flate2::write::ZlibEncoder::new(Vec::with_capacity(raw.len() / 2), level);
            z.write_all(&raw)
                .and_then(|()| z.finish())
                .map_err(|e| Error::Encode(e.to_string()))
        }
        Compression::Zstd => Ok(ruzstd::encoding::compress_to_vec(
            raw.as_slice(),
            ruzstd::encoding::CompressionLevel::Fastest,
        )),
    }
}

/// One directory entry: tag, TIFF type, count, little-endian value bytes.
struct Tag {
    tag: u16,
    typ: u16,
    count: u32,
    bytes: Vec<u8>,
}

fn short(tag: u16, values: &[u16]) -> Tag {
    Tag {
        tag,
        typ: 3,
        count: values.len() as u32,
        bytes: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
    }
}

fn long(tag: u16, values: &[u32]) -> Tag {
    Tag {
        tag,
        typ: 4,
        count: values.len() as u32,
        bytes: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
    }
}

fn double(tag: u16, values: &[f64]) -> Tag {
    Tag {
        tag,
        typ: 12,
        count: values.len() as u32,
        bytes: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
    }
}

fn ascii(tag: u16, value: &str) -> Tag {
    let mut bytes = value.as_bytes().to_vec();
    bytes.push(0);
    Tag {
        tag,
        typ: 2,
        count: bytes.len() as u32,
        bytes,
    }
}

/// GDAL's spelling of a nodata value.
pub(crate) fn nodata_string(v: f64) -> String {
    if v.is_nan() {
        "nan".into()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn ifd_tags<T: Sample>(
    index: usize,
    level: &Level<'_, T>,
    offsets: &[u64],
    tiles: &[Vec<u8>],
    georef: &Georef,
    options: &CogOptions,
) -> Vec<Tag> {
    let ts = options.tile_size;
    let mut tags = vec![
        long(tag::NEW_SUBFILE_TYPE, &[u32::from(index > 0)]),
        long(tag::IMAGE_WIDTH, &[level.width]),
        long(tag::IMAGE_LENGTH, &[level.height]),
        short(tag::BITS_PER_SAMPLE, &[(T::KIND.bytes() * 8) as u16]),
        short(tag::COMPRESSION, &[options.compression.code()]),
        short(tag::PHOTOMETRIC, &[1]),
        short(tag::SAMPLES_PER_PIXEL, &[1]),
        short(tag::PLANAR_CONFIGURATION, &[1]),
        long(tag::TILE_WIDTH, &[ts]),
        long(tag::TILE_LENGTH, &[ts]),
        long(
            tag::TILE_OFFSETS,
            &offsets.iter().map(|&o| o as u32).collect::<Vec<_>>(),
        ),
        long(
            tag::TILE_BYTE_COUNTS,
            &tiles.iter().map(|t| t.len() as u32).collect::<Vec<_>>(),
        ),
        short(tag::SAMPLE_FORMAT, &[T::KIND.format()]),
    ];
    if options.predictor {
        tags.push(short(tag::PREDICTOR, &[2]));
    }
    if index == 0 {
        let t = &georef.transform;
        tags.push(double(tag::MODEL_PIXEL_SCALE, &[t.a, -t.e, 0.0]));
        tags.push(double(tag::MODEL_TIEPOINT, &[0.0, 0.0, 0.0, t.c, t.f, 0.0]));
        tags.push(short(tag::GEO_KEY_DIRECTORY, &geokeys(georef.epsg)));
    }
    if let Some(nd) = georef.nodata {
        tags.push(ascii(tag::GDAL_NODATA, &nodata_string(nd)));
    }
    tags.sort_by_key(|t| t.tag);
    tags
}

fn geokeys(epsg: u16) -> Vec<u16> {
    let geographic = (4000..5000).contains(&epsg);
    let mut keys: Vec<[u16; 4]> = vec![
        [geokey::MODEL_TYPE, 0, 1, if geographic { 2 } else { 1 }],
        [geokey::RASTER_TYPE, 0, 1, 1],
    ];
    if geographic {
        keys.push([geokey::GEOGRAPHIC_TYPE, 0, 1, epsg]);
        keys.push([geokey::GEOG_ANGULAR_UNITS, 0, 1, 9102]);
    } else {
        keys.push([geokey::PROJECTED_CS_TYPE, 0, 1, epsg]);
        keys.push([geokey::PROJ_LINEAR_UNITS, 0, 1, 9001]);
    }
    let mut out = vec![1, 1, 0, keys.len() as u16];
    out.extend(keys.into_iter().flatten());
    out
}

fn external_len(t: &Tag) -> u64 {
    if t.bytes.len() <= 4 {
        0
    } else {
        (t.bytes.len() as u64).next_multiple_of(2)
    }
}

fn ifd_size(tags: &[Tag]) -> u64 {
    2 + 12 * tags.len() as u64 + 4 + tags.iter().map(external_len).sum::<u64>()
}

fn write_ifd(out: &mut Vec<u8>, tags: &[Tag], at: u64, next: u64) {
    debug_assert_eq!(out.len() as u64, at);
    let mut ext = at + 2 + 12 * tags.len() as u64 + 4;
    out.extend_from_slice(&(tags.len() as u16).to_le_bytes());
    for t in tags {
        out.extend_from_slice(&t.tag.to_le_bytes());
        out.extend_from_slice(&t.typ.to_le_bytes());
        out.extend_from_slice(&t.count.to_le_bytes());
        if t.bytes.len() <= 4 {
            let mut v = [0u8; 4];
            v[..t.bytes.len()].copy_from_slice(&t.bytes);
            out.extend_from_slice(&v);
        } else {
            out.extend_from_slice(&(ext as u32).to_le_bytes());
            ext += external_len(t);
        }
    }
    out.extend_from_slice(&(next as u32).to_le_bytes());
    for t in tags.iter().filter(|t| t.bytes.len() > 4) {
        out.extend_from_slice(&t.bytes);
        if t.bytes.len() % 2 == 1 {
            out.push(0);
        }
    }
}
