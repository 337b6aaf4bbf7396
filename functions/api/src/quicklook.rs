//! `GET /quicklook/{key}?bbox=w,s,e,n&size=N`: a PNG of a published GeoTIFF for the results
//! map, rendered from the COG's smallest overview that is large enough (only its tiles are
//! read, by range requests on the object store).
//!
//! The image is resampled (nearest neighbour) onto a Web Mercator grid spanning `bbox` (the
//! STAC item's longitude/latitude box; default: the raster's own footprint), so a map library
//! can lay it on the map stretched linearly between the box's corners. Masks (integer rasters
//! with at most two classes) are drawn as water blue over transparency, anything else as a
//! 2-98 % grey stretch; nodata is transparent.

use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use stratus_core::ports::ObjectStore;
use stratus_raster::RangeSource;
use stratus_raster::geo::{Reprojector, Window};
use stratus_raster::tiff::{CogReader, SampleKind};

use crate::error::{ApiError, ApiResult};
use crate::extract::QueryPairs;
use crate::state::AppState;

/// Objects a quicklook may be made of (published results and sample data).
const SERVED_PREFIXES: [&str; 2] = ["results/", "samples/"];
/// Default and largest side of a quicklook, in pixels.
const DEFAULT_SIZE: u32 = 512;
const MAX_SIZE: u32 = 2048;
/// Web Mercator stops here.
const MAX_LAT: f64 = 85.051_128_78;
const EARTH_RADIUS: f64 = 6_378_137.0;

/// A stored object read by ranges.
struct ObjectSource {
    objects: Arc<dyn ObjectStore>,
    key: String,
    len: u64,
}

#[async_trait]
impl RangeSource for ObjectSource {
    async fn len(&self) -> stratus_raster::Result<u64> {
        Ok(self.len)
    }

    async fn read_range(&self, range: Range<u64>) -> stratus_raster::Result<Bytes> {
        let want = range.end.saturating_sub(range.start);
        let bytes = self
            .objects
            .get_range(&self.key, range)
            .await
            .map_err(|e| stratus_raster::Error::Source {
                href: self.key.clone(),
                source: Box::new(e),
            })?;
        if bytes.len() as u64 != want {
            return Err(stratus_raster::Error::InvalidTiff {
                href: self.key.clone(),
                reason: format!("short read ({} of {want} bytes)", bytes.len()),
            });
        }
        Ok(bytes)
    }

    fn name(&self) -> &str {
        &self.key
    }
}

fn parse_bbox(s: &str) -> Option<[f64; 4]> {
    let v: Vec<f64> = s
        .split(',')
        .map(|p| p.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .ok()?;
    let [w, so, e, n] = <[f64; 4]>::try_from(v).ok()?;
    let ok = [w, so, e, n].iter().all(|x| x.is_finite())
        && w < e
        && so < n
        && (-180.0..=180.0).contains(&w)
        && (-180.0..=180.0).contains(&e)
        && (-90.0..=90.0).contains(&so)
        && (-90.0..=90.0).contains(&n);
    ok.then_some([w, so, e, n])
}

fn mercator(lon: f64, lat: f64) -> (f64, f64) {
    let lat = lat.clamp(-MAX_LAT, MAX_LAT).to_radians();
    (
        EARTH_RADIUS * lon.to_radians(),
        EARTH_RADIUS * (std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().ln(),
    )
}

fn inverse_mercator(x: f64, y: f64) -> (f64, f64) {
    (
        (x / EARTH_RADIUS).to_degrees(),
        (2.0 * (y / EARTH_RADIUS).exp().atan() - std::f64::consts::FRAC_PI_2).to_degrees(),
    )
}

/// Serves the quicklook of a published GeoTIFF.
pub async fn get_quicklook(
    State(state): State<AppState>,
    Path(key): Path<String>,
    query: QueryPairs,
) -> ApiResult<Response> {
    if !SERVED_PREFIXES.iter().any(|p| key.starts_with(p)) {
        return Err(ApiError::not_found(format!("no published object '{key}'")));
    }
    let bbox = match query.one("bbox")? {
        None => None,
        Some(s) => Some(parse_bbox(s).ok_or_else(|| {
            ApiError::bad_request(format!(
                "bbox '{s}' is not west,south,east,north in degrees"
            ))
        })?),
    };
    let size = match query.one("size")? {
        None => DEFAULT_SIZE,
        Some(s) => s
            .parse::<u32>()
            .ok()
            .filter(|n| (16..=MAX_SIZE).contains(n))
            .ok_or_else(|| {
                ApiError::bad_request(format!("size '{s}' is not an integer in 16..={MAX_SIZE}"))
            })?,
    };
    let objects = state.objects().clone();
    let meta = objects.head(&key).await?;
    let source = Arc::new(ObjectSource {
        objects,
        key: key.clone(),
        len: meta.size,
    });
    let unreadable = |e: stratus_raster::Error| {
        ApiError::bad_request(format!("'{key}' is not a readable GeoTIFF: {e}"))
    };
    let cog = CogReader::open_overview(source, size / 2)
        .await
        .map_err(unreadable)?;
    let info = cog.info().clone();
    let georef = info.georef(&key).map_err(unreadable)?;
    let window = Window::full(info.width, info.height);
    let values: Vec<f64> = match info.kind {
        SampleKind::U8 => widen(cog.read_window::<u8>(window).await),
        SampleKind::U16 => widen(cog.read_window::<u16>(window).await),
        SampleKind::I16 => widen(cog.read_window::<i16>(window).await),
        SampleKind::U32 => widen(cog.read_window::<u32>(window).await),
        SampleKind::I32 => widen(cog.read_window::<i32>(window).await),
        SampleKind::F32 => widen(cog.read_window::<f32>(window).await),
        SampleKind::F64 => cog.read_window::<f64>(window).await,
    }
    .map_err(unreadable)?;
    let integer = !matches!(info.kind, SampleKind::F32 | SampleKind::F64);
    let png = tokio::task::spawn_blocking(move || {
        let raster = Raster {
            values,
            width: info.width,
            height: info.height,
            georef,
            integer,
        };
        raster.render(bbox, size)
    })
    .await
    .map_err(|e| ApiError::from(stratus_core::Error::backend("render a quicklook", e)))?
    .map_err(|e| ApiError::bad_request(format!("cannot render '{key}': {e}")))?;
    let mut resp = png.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/png"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    Ok(resp)
}

fn widen<T: Into<f64>>(r: stratus_raster::Result<Vec<T>>) -> stratus_raster::Result<Vec<f64>> {
    r.map(|v| v.into_iter().map(Into::into).collect())
}

/// Band 1 of a raster level with its georeferencing.
struct Raster {
    values: Vec<f64>,
    width: u32,
    height: u32,
    georef: stratus_raster::geo::Georef,
    integer: bool,
}

impl Raster {
    fn is_valid(&self, v: f64) -> bool {
        v.is_finite() && self.georef.nodata.is_none_or(|nd| v != nd)
    }

    /// The raster's footprint in longitude/latitude (corners and edge midpoints).
    fn footprint(&self, to_lonlat: &Reprojector) -> Result<[f64; 4], String> {
        let (w, h) = (f64::from(self.width), f64::from(self.height));
        let mut b = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for (c, r) in [
            (0.0, 0.0),
            (w / 2.0, 0.0),
            (w, 0.0),
            (w, h / 2.0),
            (w, h),
            (w / 2.0, h),
            (0.0, h),
            (0.0, h / 2.0),
        ] {
            let (x, y) = self.georef.transform.apply(c, r);
            let (lon, lat) = to_lonlat.transform(x, y).map_err(|e| e.to_string())?;
            b = [b[0].min(lon), b[1].min(lat), b[2].max(lon), b[3].max(lat)];
        }
        Ok(b)
    }

    /// RGBA PNG of `size` px on the longer side, on a Web Mercator grid over `bbox`.
    fn render(&self, bbox: Option<[f64; 4]>, size: u32) -> Result<Vec<u8>, String> {
        let to_lonlat = Reprojector::new(self.georef.epsg, 4326).map_err(|e| e.to_string())?;
        let from_lonlat = Reprojector::new(4326, self.georef.epsg).map_err(|e| e.to_string())?;
        let inverse = self
            .georef
            .transform
            .inverse()
            .ok_or("the geotransform cannot be inverted")?;
        let [w, s, e, n] = match bbox {
            Some(b) => b,
            None => self.footprint(&to_lonlat)?,
        };
        let (x0, y0) = mercator(w, s);
        let (x1, y1) = mercator(e, n);
        let aspect = (x1 - x0) / (y1 - y0);
        let (out_w, out_h) = if aspect >= 1.0 {
            (size, ((f64::from(size) / aspect).round() as u32).max(1))
        } else {
            (((f64::from(size) * aspect).round() as u32).max(1), size)
        };
        let palette = self.palette();
        let mut rgba = vec![0u8; out_w as usize * out_h as usize * 4];
        for row in 0..out_h {
            let y = y1 - (f64::from(row) + 0.5) / f64::from(out_h) * (y1 - y0);
            for col in 0..out_w {
                let x = x0 + (f64::from(col) + 0.5) / f64::from(out_w) * (x1 - x0);
                let (lon, lat) = inverse_mercator(x, y);
                let Ok((px, py)) = from_lonlat.transform(lon, lat) else {
                    continue;
                };
                let (c, r) = inverse.apply(px, py);
                if c < 0.0 || r < 0.0 || c >= f64::from(self.width) || r >= f64::from(self.height) {
                    continue;
                }
                let v = self.values[r as usize * self.width as usize + c as usize];
                if !self.is_valid(v) {
                    continue;
                }
                let at = (row as usize * out_w as usize + col as usize) * 4;
                rgba[at..at + 4].copy_from_slice(&palette.color(v));
            }
        }
        encode_png(&rgba, out_w, out_h)
    }

    fn palette(&self) -> Palette {
        let mut valid: Vec<f64> = self
            .values
            .iter()
            .copied()
            .filter(|v| self.is_valid(*v))
            .collect();
        if valid.is_empty() {
            return Palette::Mask { water: 1.0 };
        }
        valid.sort_by(f64::total_cmp);
        valid.dedup();
        if self.integer && valid.len() <= 2 {
            return Palette::Mask {
                water: valid[valid.len() - 1].max(1.0),
            };
        }
        let mut all: Vec<f64> = self
            .values
            .iter()
            .copied()
            .filter(|v| self.is_valid(*v))
            .collect();
        all.sort_by(f64::total_cmp);
        let pick = |p: f64| all[((all.len() - 1) as f64 * p) as usize];
        let (lo, hi) = (pick(0.02), pick(0.98));
        Palette::Grey {
            lo,
            span: (hi - lo).max(f64::EPSILON),
        }
    }
}

enum Palette {
    /// `water` blue, everything else transparent.
    Mask { water: f64 },
    /// Linear grey between `lo` and `lo + span`.
    Grey { lo: f64, span: f64 },
}

impl Palette {
    fn color(&self, v: f64) -> [u8; 4] {
        match self {
            Palette::Mask { water } if v == *water => [0, 92, 230, 230],
            Palette::Mask { .. } => [0, 0, 0, 0],
            Palette::Grey { lo, span } => {
                let g = (((v - lo) / span).clamp(0.0, 1.0) * 255.0).round() as u8;
                [g, g, g, 255]
            }
        }
    }
}

fn encode_png(rgba: &[u8], width: u32, height: u32) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        enc.set_compression(png::Compression::Fast);
        let mut writer = enc.write_header().map_err(|e| e.to_string())?;
        writer.write_image_data(rgba).map_err(|e| e.to_string())?;
        writer.finish().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use stratus_raster::geo::{GeoTransform, Georef};

    use super::*;

    #[test]
    fn bbox_is_checked() {
        assert_eq!(parse_bbox("1,2,3,4"), Some([1.0, 2.0, 3.0, 4.0]));
        assert_eq!(parse_bbox("3,2,1,4"), None);
        assert_eq!(parse_bbox("1,2,3"), None);
        assert_eq!(parse_bbox("1,2,3,nan"), None);
        assert_eq!(parse_bbox("0,-95,1,1"), None);
    }

    #[test]
    fn mercator_round_trips() {
        let (x, y) = mercator(12.5, 41.9);
        let (lon, lat) = inverse_mercator(x, y);
        assert!((lon - 12.5).abs() < 1e-9 && (lat - 41.9).abs() < 1e-9);
    }

    #[test]
    fn a_mask_renders_blue_water_on_transparency() {
        // 4x4 degrees, left half water, one nodata pixel.
        let mut values = vec![0.0; 16];
        for r in 0..4 {
            values[r * 4] = 1.0;
            values[r * 4 + 1] = 1.0;
        }
        values[15] = 255.0;
        let raster = Raster {
            values,
            width: 4,
            height: 4,
            georef: Georef {
                epsg: 4326,
                transform: GeoTransform::north_up(10.0, 50.0, 1.0, 1.0),
                nodata: Some(255.0),
            },
            integer: true,
        };
        let png = raster.render(None, 64).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut buf).unwrap();
        // Taller than wide in Web Mercator at 46-50 degrees north.
        assert_eq!((frame.width, frame.height), (43, 64));
        let px = |c: usize, r: usize| {
            let at = (r * frame.width as usize + c) * 4;
            [buf[at], buf[at + 1], buf[at + 2], buf[at + 3]]
        };
        assert_eq!(px(5, 30), [0, 92, 230, 230]);
        assert_eq!(px(35, 5), [0, 0, 0, 0]);
    }
}
