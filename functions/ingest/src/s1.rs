//! Sentinel-1 bursts as tiles: read from the product annotation XML (one file per swath and
//! polarisation), identified by their time since the ascending node crossing, and chained in
//! date order per track, swath and burst position.
//!
//! - Burst `i` spans annotation lines `i*linesPerBurst`..`(i+1)*linesPerBurst` (one line less
//!   when the grid has no point on the exact line) and pixels `0`..`samplesPerBurst-1`; its
//!   polygon joins the geolocation grid points there.
//! - AnxTime = `round((azimuthAnxTime mod 5924) * 10)`, tenths of a second. geocube-ingester
//!   writes the orbit period as the integer constant `12*24*60*60/175`, 5924 (the true period
//!   is 5924.57 s); 5924 keeps tile ids identical to its.
//! - Tile id = `{A|D}{relativeOrbit}_{swath}_{anxTime}` (e.g. `A44_IW1_8951`), `tile_nr` = i+1.
//! - Chains: bursts grouped by track and swath, sorted by AnxTime and pooled when within 0.5 s
//!   (+5) of the pool's first; in a pool, by date, the oldest is the reference of the others and
//!   each one's previous is the one before. Tiles already ingested (the AOI's roots and leaves)
//!   join their pool unchanged, so new dates chain onto the last leaf.

use std::collections::{BTreeMap, HashMap};

use chrono::Duration;

use crate::error::{Error, Result};
use crate::geom::Shape;
use crate::model::{CatalogScene, CatalogTile, TileData, TileLite, TileMapping};

/// The orbit period used for AnxTime, in seconds (as geocube-ingester computes it).
pub const ANX_PERIOD_SECONDS: f64 = (12 * 24 * 60 * 60 / 175) as f64;
/// Bursts within this many tenths of a second of a pool's first burst share its chain.
pub const POOL_TOLERANCE: i64 = 5;
/// Bursts farther than this from the AOI (degrees) are not tiles of it.
pub const AOI_BUFFER_DEGREES: f64 = 0.05;
/// Largest annotation file read.
pub const MAX_ANNOTATION_BYTES: usize = 64 * 1024 * 1024;

/// A burst read from one annotation file.
#[derive(Debug, Clone, PartialEq)]
pub struct Burst {
    /// Swath (`IW1`).
    pub swath: String,
    /// 1-based number in the swath.
    pub tile_nr: i64,
    /// AnxTime in tenths of a second.
    pub anx_time: i64,
    /// Footprint.
    pub shape: Shape,
}

/// AnxTime in tenths of a second from an `azimuthAnxTime` in seconds.
pub fn anx_time(azimuth_anx_time: f64) -> i64 {
    ((azimuth_anx_time % ANX_PERIOD_SECONDS) * 10.0).round() as i64
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children().find(|c| c.has_tag_name(name))
}

fn path<'a, 'i>(node: roxmltree::Node<'a, 'i>, names: &[&str]) -> Option<roxmltree::Node<'a, 'i>> {
    names.iter().try_fold(node, |n, name| child(n, name))
}

fn text_of<T: std::str::FromStr>(node: roxmltree::Node<'_, '_>, name: &str) -> Option<T> {
    child(node, name)?.text()?.trim().parse().ok()
}

/// Reads the bursts of one product annotation file (`product/adsHeader/swath`,
/// `swathTiming/{linesPerBurst,samplesPerBurst,burstList/burst/azimuthAnxTime}`,
/// `geolocationGrid/geolocationGridPointList/geolocationGridPoint/{line,pixel,latitude,longitude}`).
pub fn bursts_from_annotation(xml: &str, source: &str) -> Result<Vec<Burst>> {
    let bad = |why: &str| Error::invalid(format!("annotation {source}: {why}"));
    if xml.len() > MAX_ANNOTATION_BYTES {
        return Err(bad("too large"));
    }
    let doc = roxmltree::Document::parse(xml).map_err(|e| bad(&format!("not XML: {e}")))?;
    let product = doc.root_element();
    if !product.has_tag_name("product") {
        return Err(bad("the root element is not <product>"));
    }
    let swath = path(product, &["adsHeader", "swath"])
        .and_then(|n| n.text())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("no adsHeader/swath"))?;
    let timing = child(product, "swathTiming").ok_or_else(|| bad("no swathTiming"))?;
    let lines: i64 = text_of(timing, "linesPerBurst").ok_or_else(|| bad("no linesPerBurst"))?;
    let samples: i64 =
        text_of(timing, "samplesPerBurst").ok_or_else(|| bad("no samplesPerBurst"))?;
    if lines <= 0 || samples <= 0 {
        return Err(bad("linesPerBurst and samplesPerBurst are positive"));
    }
    let anx: Vec<f64> = child(timing, "burstList")
        .map(|list| {
            list.children()
                .filter(|c| c.has_tag_name("burst"))
                .map(|b| {
                    text_of::<f64>(b, "azimuthAnxTime")
                        .ok_or_else(|| bad("a burst has no azimuthAnxTime"))
                })
                .collect::<Result<Vec<_>>>()
        })
        .transpose()?
        .unwrap_or_default();
    let mut first: HashMap<i64, [f64; 2]> = HashMap::new();
    let mut last: HashMap<i64, [f64; 2]> = HashMap::new();
    if let Some(list) = path(product, &["geolocationGrid", "geolocationGridPointList"]) {
        for p in list
            .children()
            .filter(|c| c.has_tag_name("geolocationGridPoint"))
        {
            let (Some(line), Some(pixel), Some(lat), Some(lon)) = (
                text_of::<i64>(p, "line"),
                text_of::<i64>(p, "pixel"),
                text_of::<f64>(p, "latitude"),
                text_of::<f64>(p, "longitude"),
            ) else {
                return Err(bad(
                    "a geolocationGridPoint lacks line, pixel, latitude or longitude",
                ));
            };
            if pixel == 0 {
                first.insert(line, [lon, lat]);
            } else if pixel == samples - 1 {
                last.insert(line, [lon, lat]);
            }
        }
    }
    let find = |side: &HashMap<i64, [f64; 2]>, line: i64, what: &str| {
        side.get(&line)
            .or_else(|| side.get(&(line - 1)))
            .copied()
            .ok_or_else(|| {
                bad(&format!(
                    "no geolocation grid point on the {what} line {line}"
                ))
            })
    };
    anx.iter()
        .enumerate()
        .map(|(i, t)| {
            let i64i = i as i64;
            let (l0, l1) = (i64i * lines, (i64i + 1) * lines);
            let ring = vec![
                find(&first, l0, "first")?,
                find(&first, l1, "last")?,
                find(&last, l1, "last")?,
                find(&last, l0, "first")?,
            ];
            Ok(Burst {
                swath: swath.clone(),
                tile_nr: i64i + 1,
                anx_time: anx_time(*t),
                shape: Shape::from_ring(ring)?,
            })
        })
        .collect()
}

/// The tiles of a Sentinel-1 scene from its annotation files: bursts near the AOI (within
/// [`AOI_BUFFER_DEGREES`]), duplicates (same swath and AnxTime, from other polarisations)
/// collapsed. Sets `data.tiles` of the scene.
pub fn burst_tiles(
    scene: &mut CatalogScene,
    annotations: &[(String, String)],
    aoi: &Shape,
) -> Result<()> {
    let direction = scene
        .tags
        .get("orbitDirection")
        .and_then(|d| d.chars().next())
        .map(|c| c.to_ascii_uppercase())
        .filter(|c| matches!(c, 'A' | 'D'))
        .ok_or_else(|| {
            Error::invalid(format!(
                "scene {}: tag orbitDirection is not ASCENDING or DESCENDING",
                scene.source_id
            ))
        })?;
    let orbit = scene
        .tags
        .get("relativeOrbit")
        .filter(|o| !o.is_empty() && o.chars().all(|c| c.is_ascii_digit()))
        .ok_or_else(|| {
            Error::invalid(format!(
                "scene {}: tag relativeOrbit is missing",
                scene.source_id
            ))
        })?
        .clone();
    let mut seen: BTreeMap<(String, i64), ()> = BTreeMap::new();
    let mut tiles = Vec::new();
    for (source, xml) in annotations {
        for b in bursts_from_annotation(xml, source)? {
            if seen.insert((b.swath.clone(), b.anx_time), ()).is_some() {
                continue;
            }
            if !b.shape.within(aoi, AOI_BUFFER_DEGREES) {
                continue;
            }
            tiles.push(CatalogTile {
                date: scene.data.date,
                scene_id: scene.source_id.clone(),
                source_id: format!("{direction}{orbit}_{}_{}", b.swath, b.anx_time),
                anx_time: b.anx_time,
                data: TileData {
                    swath_id: b.swath,
                    tile_nr: b.tile_nr,
                    ..TileData::default()
                },
                id: 0,
                previous: None,
                reference: None,
                wkt: b.shape.to_wkt(),
                ingested: false,
            });
        }
    }
    tiles.sort_by(|a, b| (&a.data.swath_id, a.anx_time).cmp(&(&b.data.swath_id, b.anx_time)));
    scene.data.tiles = tiles
        .iter()
        .map(|t| {
            (
                t.source_id.clone(),
                TileMapping {
                    swath_id: t.data.swath_id.clone(),
                    tile_nr: t.data.tile_nr,
                },
            )
        })
        .collect();
    scene.tiles = tiles;
    Ok(())
}

/// The track of a burst tile id (`A44` of `A44_IW1_8951`).
fn track(source_id: &str) -> &str {
    source_id.split('_').next().unwrap_or(source_id)
}

/// AnxTime of an ingested burst tile id (its last `_` field).
pub fn anx_of_tile_id(source_id: &str) -> Option<i64> {
    source_id.rsplit('_').next()?.parse().ok()
}

/// Chains the bursts of `scenes` (previous and reference set on every tile not already
/// ingested), with `ingested` tiles of the AOI joining their pools unchanged. Returns the number
/// of tracks-and-swaths and warnings (a previous more than 7 days older).
pub fn chain(scenes: &mut [CatalogScene], ingested: &[CatalogTile]) -> (usize, Vec<String>) {
    // (scene index, tile index) of new tiles, or usize::MAX and the index in `ingested`.
    let mut groups: BTreeMap<(String, String), Vec<(usize, usize)>> = BTreeMap::new();
    for (si, s) in scenes.iter().enumerate() {
        for (ti, t) in s.tiles.iter().enumerate() {
            groups
                .entry((track(&t.source_id).to_string(), t.data.swath_id.clone()))
                .or_default()
                .push((si, ti));
        }
    }
    for (ii, t) in ingested.iter().enumerate() {
        groups
            .entry((track(&t.source_id).to_string(), t.data.swath_id.clone()))
            .or_default()
            .push((usize::MAX, ii));
    }
    let tile = |scenes: &[CatalogScene], (si, ti): (usize, usize)| -> CatalogTile {
        if si == usize::MAX {
            ingested[ti].clone()
        } else {
            scenes[si].tiles[ti].clone()
        }
    };
    let mut warnings = Vec::new();
    let n = groups.len();
    for (_, mut members) in groups {
        members.sort_by_key(|m| tile(scenes, *m).anx_time);
        let mut start = 0;
        while start < members.len() {
            let first_anx = tile(scenes, members[start]).anx_time;
            let mut end = start;
            while end < members.len()
                && tile(scenes, members[end]).anx_time < first_anx + POOL_TOLERANCE
            {
                end += 1;
            }
            let mut pool: Vec<(usize, usize)> = members[start..end].to_vec();
            pool.sort_by_key(|m| tile(scenes, *m).date);
            let reference = tile(scenes, pool[0]).lite();
            for j in 1..pool.len() {
                let (si, ti) = pool[j];
                if si == usize::MAX {
                    continue;
                }
                let previous: TileLite = tile(scenes, pool[j - 1]).lite();
                let t = &mut scenes[si].tiles[ti];
                if t.date > previous.date + Duration::days(7) {
                    warnings.push(format!(
                        "{}:{} no burst 7 days before; previous is {} ({} days before)",
                        t.scene_id,
                        t.source_id,
                        previous.scene_id,
                        (t.date - previous.date).num_days()
                    ));
                }
                t.previous = Some(previous);
                t.reference = Some(reference.clone());
            }
            start = end;
        }
    }
    (n, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SceneData;
    use chrono::{DateTime, Utc};

    /// A small annotation in the real format: 3 bursts of `lines` lines, grid points on every
    /// burst boundary at pixels 0, mid and samples-1.
    pub(crate) fn annotation(
        swath: &str,
        anx0: f64,
        lon0: f64,
        lat0: f64,
        shift_last: bool,
    ) -> String {
        let (lines, samples) = (1500, 21000);
        let mut grid = String::new();
        for k in 0..=3 {
            let line = k * lines - if shift_last && k == 3 { 1 } else { 0 };
            for (pi, pixel) in [0, samples / 2, samples - 1].iter().enumerate() {
                let lat = lat0 + 0.18 * f64::from(k);
                let lon = lon0 + 0.4 * pi as f64;
                grid.push_str(&format!(
                    "<geolocationGridPoint><azimuthTime>2022-01-04T05:33:3{k}.000000</azimuthTime>\
                     <slantRangeTime>5.3e-03</slantRangeTime><line>{line}</line><pixel>{pixel}</pixel>\
                     <latitude>{lat}</latitude><longitude>{lon}</longitude><height>1.2e+02</height>\
                     <incidenceAngle>3.1e+01</incidenceAngle><elevationAngle>2.7e+01</elevationAngle>\
                     </geolocationGridPoint>"
                ));
            }
        }
        let bursts: String = (0..3)
            .map(|i| {
                format!(
                    "<burst><azimuthTime>2022-01-04T05:33:3{i}.000000</azimuthTime>\
                     <azimuthAnxTime>{:.6e}</azimuthAnxTime><byteOffset>0</byteOffset></burst>",
                    anx0 + 2.758 * f64::from(i)
                )
            })
            .collect();
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><product><adsHeader><missionId>S1A</missionId>\
             <productType>SLC</productType><polarisation>VV</polarisation><mode>IW</mode>\
             <swath>{swath}</swath></adsHeader><swathTiming><linesPerBurst>{lines}</linesPerBurst>\
             <samplesPerBurst>{samples}</samplesPerBurst><burstList count=\"3\">{bursts}</burstList>\
             </swathTiming><geolocationGrid><geolocationGridPointList count=\"12\">{grid}\
             </geolocationGridPointList></geolocationGrid></product>"
        )
    }

    #[test]
    fn anx_time_uses_the_integer_period() {
        assert_eq!(ANX_PERIOD_SECONDS, 5924.0);
        assert_eq!(anx_time(895.12), 8951);
        assert_eq!(anx_time(5924.0 + 895.12), 8951);
        assert_eq!(anx_time(0.04), 0);
    }

    #[test]
    fn bursts_from_the_annotation_grid() {
        let xml = annotation("IW1", 895.1, 10.0, 55.0, true);
        let bursts = bursts_from_annotation(&xml, "a.xml").unwrap();
        assert_eq!(bursts.len(), 3);
        assert_eq!(bursts[0].anx_time, 8951);
        assert_eq!(bursts[1].anx_time, 8979);
        assert_eq!(bursts[2].tile_nr, 3);
        let b = bursts[2].shape.bbox();
        assert!(
            (b[1] - 55.36).abs() < 1e-9 && (b[3] - 55.54).abs() < 1e-9,
            "{b:?}"
        );
        assert!(bursts_from_annotation("<x/>", "b").is_err());
        assert!(bursts_from_annotation("<product>", "c").is_err());
    }

    fn scene(name: &str, day: u32, anx0: f64) -> (CatalogScene, Vec<(String, String)>) {
        let date: DateTime<Utc> = format!("2022-01-{day:02}T05:33:30Z").parse().unwrap();
        let mut tags = BTreeMap::new();
        tags.insert("orbitDirection".to_string(), "ASCENDING".to_string());
        tags.insert("relativeOrbit".to_string(), "44".to_string());
        let s = CatalogScene {
            aoi: "a".into(),
            data: SceneData {
                date,
                ..Default::default()
            },
            id: 0,
            source_id: name.into(),
            tags,
            tiles: vec![],
            wkt: String::new(),
        };
        let ann = vec![
            (
                "iw1-vv".to_string(),
                annotation("IW1", anx0, 10.0, 55.0, false),
            ),
            (
                "iw1-vh".to_string(),
                annotation("IW1", anx0, 10.0, 55.0, false),
            ),
            (
                "iw2-vv".to_string(),
                annotation("IW2", anx0 + 0.9, 10.8, 55.0, false),
            ),
        ];
        (s, ann)
    }

    #[test]
    fn tiles_are_chained_by_date_per_track_swath_and_pool() {
        let aoi = Shape::from_ring(vec![
            [10.1, 55.05],
            [10.3, 55.05],
            [10.3, 55.3],
            [10.1, 55.3],
        ])
        .unwrap();
        let mut scenes = Vec::new();
        for (name, day, anx) in [
            ("S1A_C", 16, 895.13),
            ("S1A_A", 4, 895.1),
            ("S1A_B", 10, 895.12),
        ] {
            let (mut s, ann) = scene(name, day, anx);
            burst_tiles(&mut s, &ann, &aoi).unwrap();
            scenes.push(s);
        }
        // IW1 bursts 1 and 2 cover the AOI; IW2 starts at 10.8°E, beyond the 0.05° buffer.
        assert_eq!(scenes[1].tiles.len(), 2);
        assert_eq!(scenes[1].tiles[0].source_id, "A44_IW1_8951");
        assert_eq!(scenes[1].data.tiles["A44_IW1_8951"].tile_nr, 1);
        let (tracks, warnings) = chain(&mut scenes, &[]);
        assert_eq!(tracks, 1);
        assert!(warnings.is_empty());
        let a = &scenes[1].tiles[0];
        assert!(
            a.previous.is_none() && a.reference.is_none(),
            "oldest is the root"
        );
        let b = &scenes[2].tiles[0];
        assert_eq!(b.previous.as_ref().unwrap().scene_id, "S1A_A");
        let c = &scenes[0].tiles[0];
        assert_eq!(c.previous.as_ref().unwrap().scene_id, "S1A_B");
        assert_eq!(c.reference.as_ref().unwrap().scene_id, "S1A_A");
        // A later date joins the ingested leaf.
        let (mut d, ann) = scene("S1A_D", 22, 895.11);
        burst_tiles(&mut d, &ann, &aoi).unwrap();
        let leaf = scenes[0].tiles[0].clone();
        let root = scenes[1].tiles[0].clone();
        let mut more = vec![d];
        chain(
            &mut more,
            &[
                CatalogTile {
                    ingested: true,
                    ..root
                },
                CatalogTile {
                    ingested: true,
                    ..leaf
                },
            ],
        );
        assert_eq!(
            more[0].tiles[0].previous.as_ref().unwrap().scene_id,
            "S1A_C"
        );
        assert_eq!(
            more[0].tiles[0].reference.as_ref().unwrap().scene_id,
            "S1A_A"
        );
    }
}
