//! Windowed reading of band 1 of a (cloud-optimised) GeoTIFF.

use std::ops::RangeInclusive;
use std::sync::Arc;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use rayon::prelude::*;

use super::decode::{BlockLayout, decode_block};
use super::ifd::{Ifd, TiffStructure};
use super::{Compression, Sample, SampleKind, geokey, tag};
use crate::error::{Error, Result};
use crate::geo::{GeoTransform, Georef, Window};
use crate::source::RangeSource;

/// Ranges closer than this are fetched in one request.
const COALESCE_GAP: u64 = 256 * 1024;
/// A merged request is not grown beyond this.
const MAX_REQUEST: u64 = 16 * 1024 * 1024;
/// Largest decoded block accepted (a single-strip 10980 px uint16 band is 230 MiB).
const MAX_BLOCK_BYTES: u64 = 512 * 1024 * 1024;
/// Largest compressed block accepted.
const MAX_COMPRESSED_BLOCK: u64 = 512 * 1024 * 1024;
/// Concurrent range requests per block row.
const CONCURRENT_REQUESTS: usize = 8;
/// Most image directories followed when looking for an overview.
const MAX_OVERVIEWS: usize = 32;

type BlockRowFuture<'a> =
    std::pin::Pin<Box<dyn Future<Output = Result<Vec<FetchedBlock>>> + Send + 'a>>;

/// What the main image directory says about the raster.
#[derive(Debug, Clone, PartialEq)]
pub struct RasterInfo {
    /// Columns.
    pub width: u32,
    /// Rows.
    pub height: u32,
    /// Block (tile or strip) width.
    pub block_width: u32,
    /// Block height.
    pub block_height: u32,
    /// Tiled (true) or stripped.
    pub tiled: bool,
    /// Sample type.
    pub kind: SampleKind,
    /// Samples per pixel (band 1 is read).
    pub samples_per_pixel: u16,
    /// Compression of the blocks.
    pub compression: Compression,
    /// TIFF predictor (1 none, 2 horizontal, 3 floating point).
    pub predictor: u16,
    /// EPSG code from the GeoKeys; `None` when absent or user-defined.
    pub epsg: Option<u16>,
    /// Geotransform from ModelTransformation or ModelPixelScale + ModelTiepoint.
    pub transform: Option<GeoTransform>,
    /// GDAL_NODATA.
    pub nodata: Option<f64>,
}

impl RasterInfo {
    /// CRS, transform and nodata, or an error naming what is missing.
    pub fn georef(&self, href: &str) -> Result<Georef> {
        let epsg = self
            .epsg
            .ok_or_else(|| Error::UnsupportedCrs(format!("{href}: no EPSG code in the GeoKeys")))?;
        let transform = self.transform.ok_or_else(|| Error::UnsupportedTiff {
            href: href.to_string(),
            reason: "no geotransform".into(),
        })?;
        Ok(Georef {
            epsg,
            transform,
            nodata: self.nodata,
        })
    }
}

/// Reads windows of band 1, fetching only the blocks that overlap them.
pub struct CogReader {
    source: Arc<dyn RangeSource>,
    info: RasterInfo,
    offsets: Vec<u64>,
    counts: Vec<u64>,
    layout: BlockLayout,
}

impl CogReader {
    /// Reads the header and main image directory of `source`.
    pub async fn open(source: Arc<dyn RangeSource>) -> Result<Self> {
        let s = TiffStructure::open(source.as_ref()).await?;
        let first = s.first_ifd;
        Self::open_ifd(source.clone(), &s, first).await
    }

    /// Opens the smallest internal overview whose width and height are both at least
    /// `min_side` pixels (or the full resolution when none is), for quicklooks.
    ///
    /// Overviews carry no georeferencing of their own: the main image's CRS, nodata and
    /// transform (scaled to the overview's size) are used.
    pub async fn open_overview(source: Arc<dyn RangeSource>, min_side: u32) -> Result<Self> {
        let s = TiffStructure::open(source.as_ref()).await?;
        let main = Self::open_ifd(source.clone(), &s, s.first_ifd).await?;
        let mut chosen: Option<Self> = None;
        let mut offset = s.next_ifd(s.first_ifd).await?;
        for _ in 0..MAX_OVERVIEWS {
            if offset == 0 {
                break;
            }
            let ifd = s.read_ifd(offset).await?;
            if s.first_u64(&ifd, tag::NEW_SUBFILE_TYPE).await?.unwrap_or(0) & 4 != 0 {
                // A transparency mask, not an overview.
                offset = s.next_ifd(offset).await?;
                continue;
            }
            let level = Self::open_ifd(source.clone(), &s, offset).await?;
            let (w, h) = (level.info.width, level.info.height);
            if w < min_side || h < min_side || w >= main.info.width {
                break;
            }
            chosen = Some(level);
            offset = s.next_ifd(offset).await?;
        }
        let Some(mut level) = chosen else {
            return Ok(main);
        };
        level.info.epsg = main.info.epsg;
        level.info.nodata = level.info.nodata.or(main.info.nodata);
        level.info.transform = main.info.transform.map(|t| {
            let sx = f64::from(main.info.width) / f64::from(level.info.width);
            let sy = f64::from(main.info.height) / f64::from(level.info.height);
            GeoTransform {
                a: t.a * sx,
                b: t.b * sy,
                c: t.c,
                d: t.d * sx,
                e: t.e * sy,
                f: t.f,
            }
        });
        Ok(level)
    }

    async fn open_ifd(
        source: Arc<dyn RangeSource>,
        s: &TiffStructure<'_>,
        ifd_offset: u64,
    ) -> Result<Self> {
        let ifd = s.read_ifd(ifd_offset).await?;
        let href = source.name().to_string();
        let unsupported = |reason: String| Error::UnsupportedTiff {
            href: href.clone(),
            reason,
        };
        let invalid = |reason: &str| Error::InvalidTiff {
            href: href.clone(),
            reason: reason.to_string(),
        };
        let get = |t: u16| s.first_u64(&ifd, t);
        let width = get(tag::IMAGE_WIDTH)
            .await?
            .ok_or_else(|| invalid("no ImageWidth"))?;
        let height = get(tag::IMAGE_LENGTH)
            .await?
            .ok_or_else(|| invalid("no ImageLength"))?;
        if width == 0 || height == 0 || width > u64::from(u32::MAX) || height > u64::from(u32::MAX)
        {
            return Err(invalid("bad image size"));
        }
        let bits = get(tag::BITS_PER_SAMPLE).await?.unwrap_or(1);
        let format = get(tag::SAMPLE_FORMAT).await?.unwrap_or(1);
        let kind = SampleKind::from_tags(bits, format)
            .ok_or_else(|| unsupported(format!("{bits}-bit samples of format {format}")))?;
        let code = get(tag::COMPRESSION).await?.unwrap_or(1);
        let compression = Compression::from_code(code)
            .ok_or_else(|| unsupported(format!("compression {code}")))?;
        let predictor = get(tag::PREDICTOR).await?.unwrap_or(1) as u16;
        let spp = get(tag::SAMPLES_PER_PIXEL).await?.unwrap_or(1).max(1);
        let planar = get(tag::PLANAR_CONFIGURATION).await?.unwrap_or(1);

        let tiled = ifd.contains_key(&tag::TILE_OFFSETS);
        let (bw, bh, off_tag, cnt_tag) = if tiled {
            let tw = get(tag::TILE_WIDTH)
                .await?
                .ok_or_else(|| invalid("no TileWidth"))?;
            let th = get(tag::TILE_LENGTH)
                .await?
                .ok_or_else(|| invalid("no TileLength"))?;
            (tw, th, tag::TILE_OFFSETS, tag::TILE_BYTE_COUNTS)
        } else {
            let rps = get(tag::ROWS_PER_STRIP)
                .await?
                .unwrap_or(height)
                .min(height);
            (width, rps, tag::STRIP_OFFSETS, tag::STRIP_BYTE_COUNTS)
        };
        if bw == 0 || bh == 0 || bw > 1 << 16 || (tiled && bh > 1 << 16) {
            return Err(invalid("bad block size"));
        }
        if bw * bh * spp * kind.bytes() as u64 > MAX_BLOCK_BYTES {
            return Err(unsupported(format!(
                "blocks of {bw}x{bh} pixels exceed {} MiB",
                MAX_BLOCK_BYTES >> 20
            )));
        }
        let offsets = match ifd.get(&off_tag) {
            Some(e) => s.u64s(e).await?,
            None => return Err(invalid("no block offsets")),
        };
        let counts = match ifd.get(&cnt_tag) {
            Some(e) => s.u64s(e).await?,
            None => return Err(invalid("no block byte counts")),
        };
        let per_plane = width.div_ceil(bw) * height.div_ceil(bh);
        let planes = if planar == 2 { spp } else { 1 };
        if (offsets.len() as u64) < per_plane * planes || counts.len() != offsets.len() {
            return Err(invalid("block offsets do not cover the image"));
        }

        let (epsg, pixel_is_point) = read_geokeys(s, &ifd).await?;
        let mut transform = read_transform(s, &ifd).await?;
        if let (Some(t), true) = (transform.as_mut(), pixel_is_point) {
            t.c -= t.a * 0.5 + t.b * 0.5;
            t.f -= t.d * 0.5 + t.e * 0.5;
        }
        let nodata = match ifd.get(&tag::GDAL_NODATA) {
            Some(e) => s.ascii(e).await?.trim().parse::<f64>().ok(),
            None => None,
        };

        let layout = BlockLayout {
            width: bw as usize,
            samples: if planar == 2 { 1 } else { spp as usize },
            sample: 0,
            kind,
            compression,
            predictor,
            little: s.little,
        };
        let info = RasterInfo {
            width: width as u32,
            height: height as u32,
            block_width: bw as u32,
            block_height: bh as u32,
            tiled,
            kind,
            samples_per_pixel: spp as u16,
            compression,
            predictor,
            epsg,
            transform,
            nodata,
        };
        Ok(Self {
            source,
            info,
            offsets,
            counts,
            layout,
        })
    }

    /// The raster's description.
    pub fn info(&self) -> &RasterInfo {
        &self.info
    }

    /// The href or path being read.
    pub fn href(&self) -> &str {
        self.source.name()
    }

    /// Reads `window` of band 1 as a row-major `width * height` vector.
    ///
    /// `T` must be the file's sample type. Blocks are fetched one block row at a time (adjacent
    /// blocks in one request), and decoding of a row overlaps the fetch of the next.
    pub async fn read_window<T: Sample>(&self, window: Window) -> Result<Vec<T>> {
        let info = &self.info;
        if T::KIND != info.kind {
            return Err(Error::UnsupportedTiff {
                href: self.href().to_string(),
                reason: format!(
                    "samples are {}, read as {}",
                    info.kind.name(),
                    T::KIND.name()
                ),
            });
        }
        let end_col = u64::from(window.col_off) + u64::from(window.width);
        let end_row = u64::from(window.row_off) + u64::from(window.height);
        if window.width == 0
            || window.height == 0
            || end_col > u64::from(info.width)
            || end_row > u64::from(info.height)
        {
            return Err(Error::InvalidParams(format!(
                "window {window:?} outside the {}x{} raster {}",
                info.width,
                info.height,
                self.href()
            )));
        }
        let (bw, bh) = (info.block_width, info.block_height);
        let cols = window.col_off / bw..=(window.col_off + window.width - 1) / bw;
        let first_row = window.row_off / bh;
        let last_row = (window.row_off + window.height - 1) / bh;
        let fill = T::from_f64(info.nodata.unwrap_or(0.0));
        let mut out = vec![T::default(); window.pixels() as usize];

        let mut next: Option<BlockRowFuture<'_>> =
            Some(self.fetch_block_row(first_row, cols.clone()));
        for by in first_row..=last_row {
            let fetched = match next.take() {
                Some(f) => f.await?,
                None => break,
            };
            let following = (by < last_row).then(|| self.fetch_block_row(by + 1, cols.clone()));
            let job = DecodeJob {
                href: self.href().to_string(),
                layout: self.layout,
                info_width: info.width,
                info_height: info.height,
                bw,
                bh,
                tiled: info.tiled,
                by,
                window,
                fill,
                blocks: fetched,
            };
            let decode = tokio::task::spawn_blocking(move || job.run(out));
            let (decoded, prefetched) = match following {
                Some(f) => {
                    let (d, p) = tokio::join!(decode, f);
                    (d, Some(p))
                }
                None => (decode.await, None),
            };
            out = decoded.map_err(|e| Error::Task(e.to_string()))??;
            if let Some(p) = prefetched {
                next = Some(Box::pin(std::future::ready(p)));
            }
        }
        Ok(out)
    }

    /// Fetches the blocks of block row `by` in columns `cols`, coalescing nearby ranges.
    fn fetch_block_row(&self, by: u32, cols: RangeInclusive<u32>) -> BlockRowFuture<'_> {
        Box::pin(async move {
            let across = self.info.width.div_ceil(self.info.block_width);
            let mut wanted: Vec<Wanted> = Vec::new();
            let mut blocks: Vec<FetchedBlock> = Vec::new();
            for bx in cols {
                let index = (by * across + bx) as usize;
                let (off, len) = (self.offsets[index], self.counts[index]);
                if len > MAX_COMPRESSED_BLOCK || off.checked_add(len).is_none() {
                    return Err(Error::InvalidTiff {
                        href: self.href().to_string(),
                        reason: format!("block {index} claims {len} bytes at {off}"),
                    });
                }
                if len == 0 {
                    blocks.push(FetchedBlock {
                        bx,
                        index,
                        data: None,
                    });
                } else {
                    wanted.push(Wanted {
                        bx,
                        index,
                        off,
                        len,
                    });
                }
            }
            wanted.sort_by_key(|w| w.off);
            let mut requests: Vec<Request> = Vec::new();
            for w in wanted {
                match requests.last_mut() {
                    Some(r)
                        if w.off >= r.end
                            && w.off - r.end <= COALESCE_GAP
                            && w.off + w.len - r.start <= MAX_REQUEST =>
                    {
                        r.end = w.off + w.len;
                        r.blocks.push(w);
                    }
                    _ => requests.push(Request {
                        start: w.off,
                        end: w.off + w.len,
                        blocks: vec![w],
                    }),
                }
            }
            let fetched: Vec<(Request, Bytes)> =
                futures::stream::iter(requests.into_iter().map(|r| async move {
                    let bytes = self.source.read_range(r.start..r.end).await?;
                    Ok::<_, Error>((r, bytes))
                }))
                .buffered(CONCURRENT_REQUESTS)
                .try_collect()
                .await?;
            for (r, bytes) in fetched {
                if bytes.len() as u64 != r.end - r.start {
                    return Err(Error::source_msg(self.href(), "short range read"));
                }
                for w in r.blocks {
                    let from = (w.off - r.start) as usize;
                    blocks.push(FetchedBlock {
                        bx: w.bx,
                        index: w.index,
                        data: Some(bytes.slice(from..from + w.len as usize)),
                    });
                }
            }
            blocks.sort_by_key(|b| b.bx);
            Ok(blocks)
        })
    }
}

/// A block to fetch: column, directory index, byte offset and length.
struct Wanted {
    bx: u32,
    index: usize,
    off: u64,
    len: u64,
}

/// One range request covering several nearby blocks.
struct Request {
    start: u64,
    end: u64,
    blocks: Vec<Wanted>,
}

struct FetchedBlock {
    bx: u32,
    index: usize,
    data: Option<Bytes>,
}

struct DecodeJob<T> {
    href: String,
    layout: BlockLayout,
    info_width: u32,
    info_height: u32,
    bw: u32,
    bh: u32,
    tiled: bool,
    by: u32,
    window: Window,
    fill: T,
    blocks: Vec<FetchedBlock>,
}

impl<T: Sample> DecodeJob<T> {
    /// Decodes the blocks in parallel and copies their overlap with the window into `out`.
    fn run(self, mut out: Vec<T>) -> Result<Vec<T>> {
        let block_top = self.by * self.bh;
        let rows = if self.tiled {
            self.bh
        } else {
            self.bh.min(self.info_height - block_top)
        } as usize;
        let decoded: Vec<(u32, Option<Vec<T>>)> = self
            .blocks
            .par_iter()
            .map(|b| match &b.data {
                None => Ok((b.bx, None)),
                Some(d) => decode_block::<T>(d, rows, &self.layout)
                    .map(|v| (b.bx, Some(v)))
                    .map_err(|reason| Error::Decode {
                        href: self.href.clone(),
                        tile: b.index,
                        reason,
                    }),
            })
            .collect::<Result<_>>()?;

        let w = self.window;
        let top = block_top.max(w.row_off);
        let bottom = (block_top + rows as u32).min(w.row_off + w.height);
        let bw = self.bw as usize;
        let strip = &mut out[((top - w.row_off) as usize * w.width as usize)
            ..((bottom - w.row_off) as usize * w.width as usize)];
        strip
            .par_chunks_mut(w.width as usize)
            .enumerate()
            .for_each(|(i, row_out)| {
                let local_row = (top - block_top) as usize + i;
                for (bx, data) in &decoded {
                    let left = (bx * self.bw).max(w.col_off);
                    let right = ((bx + 1) * self.bw)
                        .min(w.col_off + w.width)
                        .min(self.info_width);
                    let dst =
                        &mut row_out[(left - w.col_off) as usize..(right - w.col_off) as usize];
                    match data {
                        Some(block) => {
                            let from = local_row * bw + (left - bx * self.bw) as usize;
                            dst.copy_from_slice(&block[from..from + dst.len()]);
                        }
                        None => dst.fill(self.fill),
                    }
                }
            });
        Ok(out)
    }
}

async fn read_geokeys(s: &TiffStructure<'_>, ifd: &Ifd) -> Result<(Option<u16>, bool)> {
    let Some(e) = ifd.get(&tag::GEO_KEY_DIRECTORY) else {
        return Ok((None, false));
    };
    let keys = s.u64s(e).await?;
    let mut model = None;
    let mut projected = None;
    let mut geographic = None;
    let mut point = false;
    for k in keys.chunks_exact(4).skip(1) {
        if k[1] != 0 {
            continue;
        }
        match k[0] as u16 {
            geokey::MODEL_TYPE => model = Some(k[3]),
            geokey::RASTER_TYPE => point = k[3] == 2,
            geokey::PROJECTED_CS_TYPE => projected = Some(k[3]),
            geokey::GEOGRAPHIC_TYPE => geographic = Some(k[3]),
            _ => {}
        }
    }
    let code = match model {
        Some(2) => geographic,
        _ => projected.or(geographic),
    };
    let epsg = code.filter(|&c| c > 0 && c < 32767).map(|c| c as u16);
    Ok((epsg, point))
}

async fn read_transform(s: &TiffStructure<'_>, ifd: &Ifd) -> Result<Option<GeoTransform>> {
    if let Some(e) = ifd.get(&tag::MODEL_TRANSFORMATION) {
        let m = s.f64s(e).await?;
        if m.len() >= 8 {
            return Ok(Some(GeoTransform {
                a: m[0],
                b: m[1],
                c: m[3],
                d: m[4],
                e: m[5],
                f: m[7],
            }));
        }
    }
    let (Some(scale), Some(tie)) = (
        ifd.get(&tag::MODEL_PIXEL_SCALE),
        ifd.get(&tag::MODEL_TIEPOINT),
    ) else {
        return Ok(None);
    };
    let scale = s.f64s(scale).await?;
    let tie = s.f64s(tie).await?;
    if scale.len() < 2 || tie.len() < 6 {
        return Ok(None);
    }
    Ok(Some(GeoTransform {
        a: scale[0],
        b: 0.0,
        c: tie[3] - tie[0] * scale[0],
        d: 0.0,
        e: -scale[1],
        f: tie[4] - tie[1] * -scale[1],
    }))
}
