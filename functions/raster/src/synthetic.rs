//! Deterministic Sentinel-2-like scenes with known water, for demos, tests and benchmarks.
//!
//! A scene is a green (B03) and a near-infrared (B08) uint16 band on the 10TFK-like UTM grid
//! (EPSG:32610, 10 m, origin 600000, 4500000), written as Deflate COGs with 1024 px tiles like
//! the sentinel-cogs bucket, plus an earth-search v0-style STAC Item. Land has green 900-1400
//! and NIR 2500-4000, water green 700-850 and NIR 200-280 (plus noise); a few elliptical lakes
//! and a meandering river are the ground truth. A triangle in the north-west corner is nodata
//! (0 in both bands), as on the edge of a real S2 swath.

use std::f64::consts::PI;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde_json::json;

use crate::error::{Error, Result};
use crate::geo::{GeoTransform, Georef, Reprojector};
use crate::tiff::{CogOptions, Compression, write_cog};

/// CRS of synthetic scenes (UTM zone 10N).
pub const EPSG: u16 = 32610;
/// Upper-left corner of the grid (that of MGRS tile 10TFK).
pub const ORIGIN: (f64, f64) = (600_000.0, 4_500_000.0);
/// Pixel size in metres.
pub const PIXEL: f64 = 10.0;

/// One of the two bands of a scene.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Band {
    /// B03, common name `green`.
    Green,
    /// B08, common name `nir`.
    Nir,
}

#[derive(Debug, Clone)]
struct Lake {
    cx: f64,
    cy: f64,
    rx: f64,
    ry: f64,
}

/// A synthetic scene of `size` x `size` pixels, fully determined by `seed`.
#[derive(Debug, Clone)]
pub struct SyntheticScene {
    size: u32,
    seed: u64,
    lakes: Vec<Lake>,
    river_phase: f64,
    river_half_width: f64,
}

fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn unit(v: u64) -> f64 {
    (v >> 11) as f64 / (1u64 << 53) as f64
}

impl SyntheticScene {
    /// Lays out lakes and river for a `size` px scene from `seed`.
    pub fn new(size: u32, seed: u64) -> Self {
        let mut st = seed;
        let s = f64::from(size);
        let lakes = (0..6)
            .map(|_| Lake {
                cx: s * (0.15 + 0.7 * unit(splitmix(&mut st))),
                cy: s * (0.45 + 0.45 * unit(splitmix(&mut st))),
                rx: s * (0.03 + 0.07 * unit(splitmix(&mut st))),
                ry: s * (0.03 + 0.07 * unit(splitmix(&mut st))),
            })
            .collect();
        Self {
            size,
            seed,
            lakes,
            river_phase: 2.0 * PI * unit(splitmix(&mut st)),
            river_half_width: (s * 0.006).max(3.0),
        }
    }

    /// Side in pixels.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Pixel -> UTM transform.
    pub fn transform(&self) -> GeoTransform {
        GeoTransform::north_up(ORIGIN.0, ORIGIN.1, PIXEL, PIXEL)
    }

    /// True in the nodata corner (both bands 0).
    pub fn is_nodata(&self, col: u32, row: u32) -> bool {
        u64::from(col) + u64::from(row) < u64::from(self.size / 8)
    }

    /// Ground truth: is the pixel centre in a lake or the river (and not nodata)?
    pub fn is_water(&self, col: u32, row: u32) -> bool {
        if self.is_nodata(col, row) {
            return false;
        }
        let (x, y) = (f64::from(col) + 0.5, f64::from(row) + 0.5);
        let s = f64::from(self.size);
        let river_y = s * (0.25 + 0.08 * (2.0 * PI * 1.5 * x / s + self.river_phase).sin());
        if (y - river_y).abs() <= self.river_half_width {
            return true;
        }
        self.lakes.iter().any(|l| {
            let dx = (x - l.cx) / l.rx;
            let dy = (y - l.cy) / l.ry;
            dx * dx + dy * dy <= 1.0
        })
    }

    fn noise(&self, col: u32, row: u32, salt: u64) -> f64 {
        let mut st = self.seed
            ^ (u64::from(row) << 32 | u64::from(col)).wrapping_mul(0x2545_f491_4f6c_dd1d)
            ^ salt;
        unit(splitmix(&mut st))
    }

    /// The value of `band` at a pixel.
    pub fn value(&self, band: Band, col: u32, row: u32) -> u16 {
        if self.is_nodata(col, row) {
            return 0;
        }
        let u = self.noise(col, row, band as u64 + 1);
        let (water_lo, water_span, land_lo, land_span) = match band {
            Band::Green => (700.0, 150.0, 900.0, 500.0),
            Band::Nir => (200.0, 80.0, 2500.0, 1500.0),
        };
        let v = if self.is_water(col, row) {
            water_lo + water_span * u
        } else {
            land_lo + land_span * u
        };
        v.round() as u16
    }

    /// The whole band, row-major.
    pub fn band(&self, band: Band) -> Vec<u16> {
        let n = self.size as usize;
        let mut out = vec![0u16; n * n];
        out.par_chunks_mut(n.max(1))
            .enumerate()
            .for_each(|(row, line)| {
                for (col, v) in line.iter_mut().enumerate() {
                    *v = self.value(band, col as u32, row as u32);
                }
            });
        out
    }

    /// The band as a COG like those of the sentinel-cogs bucket (Deflate, predictor 2,
    /// 1024 px tiles, overviews, nodata 0). Scenes of 1024 px or less use 512 px tiles so the
    /// file still has an overview and passes the COG validators.
    pub fn band_cog(&self, band: Band) -> Result<Vec<u8>> {
        let georef = Georef {
            epsg: EPSG,
            transform: self.transform(),
            nodata: Some(0.0),
        };
        let options = CogOptions {
            tile_size: if self.size > 1024 { 1024 } else { 512 },
            compression: Compression::Deflate,
            predictor: true,
            overviews: true,
            deflate_level: 6,
        };
        write_cog(&self.band(band), self.size, self.size, &georef, &options)
    }
}

/// Writes a scene into `dir` (created if needed): `B03.tif`, `B08.tif` and the STAC Item
/// `{id}.json` (earth-search v0 layout, relative hrefs). Returns the item's path.
pub fn write_sample_scene(dir: &Path, id: &str, size: u32, seed: u64) -> Result<PathBuf> {
    if size < 16 {
        return Err(Error::InvalidParams(
            "scene size must be at least 16 px".into(),
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let scene = SyntheticScene::new(size, seed);
    for (band, name) in [(Band::Green, "B03.tif"), (Band::Nir, "B08.tif")] {
        let path = dir.join(name);
        std::fs::write(&path, scene.band_cog(band)?).map_err(|e| Error::io(&path, e))?;
    }
    let item = sample_item(&scene, id)?;
    let path = dir.join(format!("{id}.json"));
    let text = serde_json::to_string_pretty(&item).map_err(|e| Error::Encode(e.to_string()))?;
    std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
    Ok(path)
}

/// The acquisition time of a scene named like Sentinel-2 products (`S2B_..._20210713_...`): the
/// first all-digit `YYYYMMDD` part of the id at the sample time of day; 2021-07-13 otherwise.
fn acquisition(id: &str) -> String {
    id.split('_')
        .find(|p| p.len() == 8 && p.bytes().all(|b| b.is_ascii_digit()))
        .map(|d| format!("{}-{}-{}T19:03:24Z", &d[..4], &d[4..6], &d[6..]))
        .unwrap_or_else(|| "2021-07-13T19:03:24Z".to_string())
}

/// The platform of a scene named like Sentinel-2 products (`S2A_...` → `sentinel-2a`).
fn platform(id: &str) -> String {
    match id.get(..3) {
        Some(unit) if unit.starts_with("S2") => format!("sentinel-2{}", unit[2..].to_lowercase()),
        _ => "sentinel-2b".to_string(),
    }
}

fn sample_item(scene: &SyntheticScene, id: &str) -> Result<serde_json::Value> {
    let t = scene.transform();
    let b = t.bounds(scene.size, scene.size);
    let to4326 = Reprojector::new(EPSG, 4326)?;
    let mut ring = Vec::new();
    for (x, y) in [
        (b[0], b[1]),
        (b[2], b[1]),
        (b[2], b[3]),
        (b[0], b[3]),
        (b[0], b[1]),
    ] {
        let (lon, lat) = to4326.transform(x, y)?;
        ring.push([lon, lat]);
    }
    let bbox = [
        ring.iter().map(|p| p[0]).fold(f64::INFINITY, f64::min),
        ring.iter().map(|p| p[1]).fold(f64::INFINITY, f64::min),
        ring.iter().map(|p| p[0]).fold(f64::NEG_INFINITY, f64::max),
        ring.iter().map(|p| p[1]).fold(f64::NEG_INFINITY, f64::max),
    ];
    let shape = [scene.size, scene.size];
    let band = |name: &str, common: &str, wl: f64, fwhm: f64, file: &str| {
        json!({
            "title": format!("Band {} ({common})", &name[1..]),
            "type": "image/tiff; application=geotiff; profile=cloud-optimized",
            "roles": ["data"],
            "gsd": 10,
            "eo:bands": [{"name": name, "common_name": common,
                          "center_wavelength": wl, "full_width_half_max": fwhm}],
            "href": format!("./{file}"),
            "proj:shape": shape,
            "proj:transform": t.to_stac(),
        })
    };
    Ok(json!({
        "type": "Feature",
        "stac_version": "1.0.0-beta.2",
        "stac_extensions": ["eo", "view", "proj"],
        "id": id,
        "bbox": bbox,
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {
            "datetime": acquisition(id),
            "platform": platform(id),
            "constellation": "sentinel-2",
            "instruments": ["msi"],
            "gsd": 10,
            "proj:epsg": EPSG,
            "sentinel:utm_zone": 10,
            "sentinel:latitude_band": "T",
            "sentinel:grid_square": "FK",
            "stratus:synthetic": {"size": scene.size, "seed": scene.seed},
        },
        "collection": "sentinel-s2-l2a-cogs",
        "assets": {
            "overview": {
                "title": "True color image",
                "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                "roles": ["overview"],
                "eo:bands": [
                    {"name": "B04", "common_name": "red"},
                    {"name": "B03", "common_name": "green"},
                    {"name": "B02", "common_name": "blue"}
                ],
                "href": "./B03.tif"
            },
            "B03": band("B03", "green", 0.56, 0.045, "B03.tif"),
            "B08": band("B08", "nir", 0.842, 0.145, "B08.tif"),
        },
        "links": [],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_items_are_dated_and_attributed_by_their_ids() {
        assert_eq!(
            acquisition("S2A_STRATUS_20220524_0_L2A"),
            "2022-05-24T19:03:24Z"
        );
        assert_eq!(acquisition("scene"), "2021-07-13T19:03:24Z");
        assert_eq!(platform("S2A_STRATUS_20220524_0_L2A"), "sentinel-2a");
        assert_eq!(platform("S2B_STRATUS_20210713_0_L2A"), "sentinel-2b");
    }
}
