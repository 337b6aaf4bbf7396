//! The ingestion payload (`area`): what to ingest, where, when and how, exactly as
//! geocube-ingester reads it: a GeoJSON geometry, Feature or FeatureCollection (merged) with the
//! ingestion fields beside it.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::geom::Shape;

/// Largest `area` document accepted, in bytes.
pub const MAX_AREA_BYTES: usize = 1024 * 1024;
/// Longest `end_time - start_time` of a catalogue search, in days.
pub const MAX_INTERVAL_DAYS: i64 = 3660;

/// Satellite families the catalogue knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Constellation {
    /// Sentinel-1 (SAR; tiles are bursts).
    Sentinel1,
    /// Sentinel-2 (optical; one tile per scene).
    Sentinel2,
    /// Landsat 8 and 9.
    Landsat89,
    /// Pléiades.
    Phr,
    /// SPOT 6/7.
    Spot,
}

impl Constellation {
    /// Every constellation.
    pub const ALL: [Constellation; 5] = [
        Constellation::Sentinel1,
        Constellation::Sentinel2,
        Constellation::Landsat89,
        Constellation::Phr,
        Constellation::Spot,
    ];

    /// Parses a user's spelling: any case, `-` allowed (`Sentinel-2`, `SENTINEL2`, `pleiades`),
    /// or a product name (`S1A_...`, `S2B_...`, `LC09_...`).
    pub fn parse(input: &str) -> Option<Self> {
        let norm: String = input
            .chars()
            .filter(|c| *c != '-')
            .collect::<String>()
            .to_ascii_lowercase();
        match norm.as_str() {
            "sentinel1" => Some(Constellation::Sentinel1),
            "sentinel2" => Some(Constellation::Sentinel2),
            "landsat89" => Some(Constellation::Landsat89),
            "phr" | "pleiades" => Some(Constellation::Phr),
            "spot" => Some(Constellation::Spot),
            _ => Self::of_product(input),
        }
    }

    /// The constellation of a product name, from its prefix.
    pub fn of_product(name: &str) -> Option<Self> {
        let b = name.as_bytes();
        if name.starts_with("S1") {
            Some(Constellation::Sentinel1)
        } else if name.starts_with("S2") {
            Some(Constellation::Sentinel2)
        } else if name.starts_with("DS_PHR") {
            Some(Constellation::Phr)
        } else if name.starts_with("DS_SPOT") {
            Some(Constellation::Spot)
        } else if b.len() >= 4
            && b[0] == b'L'
            && matches!(b[1], b'O' | b'T' | b'C')
            && b[2] == b'0'
            && matches!(b[3], b'8' | b'9')
        {
            Some(Constellation::Landsat89)
        } else {
            None
        }
    }

    /// The lower-case name used in payloads and configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Constellation::Sentinel1 => "sentinel1",
            Constellation::Sentinel2 => "sentinel2",
            Constellation::Landsat89 => "landsat89",
            Constellation::Phr => "phr",
            Constellation::Spot => "spot",
        }
    }

    /// The `constellation` tag of records (`SENTINEL1`, ...).
    pub fn tag(self) -> &'static str {
        match self {
            Constellation::Sentinel1 => "SENTINEL1",
            Constellation::Sentinel2 => "SENTINEL2",
            Constellation::Landsat89 => "LANDSAT",
            Constellation::Phr => "PHR",
            Constellation::Spot => "SPOT",
        }
    }
}

impl fmt::Display for Constellation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `scene_type`: the constellation and catalogue parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SceneType {
    /// Constellation name as the user wrote it.
    #[serde(default)]
    pub constellation: String,
    /// Catalogue parameters (`producttype`, `polarisationmode`, `sensoroperationalmode`,
    /// `relativeorbitnumber`, `cloudcoverpercentage` as `"[0 TO 80]"`, ...).
    #[serde(default, alias = "Parameters")]
    pub parameters: BTreeMap<String, String>,
}

/// One output layer: a registered variable and instance, or an instance id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layer {
    /// Variable name.
    #[serde(default)]
    pub variable: String,
    /// Instance name within the variable.
    #[serde(default)]
    pub instance: String,
    /// Instance id (instead of variable + instance).
    #[serde(default)]
    pub instance_id: String,
}

/// The ingestion payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Area {
    /// AOI id, `^[a-zA-Z0-9-:_]+$`.
    pub name: String,
    /// The area (longitude/latitude).
    pub shape: Shape,
    /// Start of the acquisition interval.
    pub start_time: Option<DateTime<Utc>>,
    /// End of the acquisition interval.
    pub end_time: Option<DateTime<Utc>>,
    /// Constellation and catalogue parameters.
    pub scene_type: SceneType,
    /// The parsed constellation.
    pub constellation: Constellation,
    /// Work per scene (`CopyProductToStorage`, `Pass`).
    pub scene_graph_name: String,
    /// Work per tile (`Pass`, `CopyProductToStorage`, or a process id such as `water-bodies`).
    pub tile_graph_name: String,
    /// Parameters of the graphs (process inputs for a process graph).
    pub graph_config: BTreeMap<String, String>,
    /// Output layers.
    pub layers: BTreeMap<String, Layer>,
    /// Tags of the records created for the scenes.
    pub record_tags: BTreeMap<String, String>,
    /// Sentinel-1 annotation URL patterns (`{SCENE}`, `{DATE}`, `{YEAR}`, `{MONTH}`, `{DAY}`,
    /// `{AREA}`, `{SWATH}`).
    pub annotations_urls: Vec<String>,
    /// Errors end in RETRY (true) or FAILED (false).
    pub is_retriable: bool,
    /// Automatic re-queues before RETRY.
    pub retry_count: u32,
    /// Catalogue page (0-based).
    pub page: u32,
    /// Catalogue page size (0 or negative: every scene).
    pub limit: i64,
    /// Output root in the object store (`results/{storage_uri}`, default `results/ingest`).
    pub storage_uri: String,
}

#[derive(Deserialize)]
struct Fields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    start_time: Option<DateTime<Utc>>,
    #[serde(default)]
    end_time: Option<DateTime<Utc>>,
    #[serde(default)]
    scene_type: SceneType,
    #[serde(default)]
    scene_graph_name: String,
    #[serde(default)]
    tile_graph_name: String,
    #[serde(default)]
    graph_config: Option<BTreeMap<String, String>>,
    #[serde(default)]
    layers: Option<BTreeMap<String, Layer>>,
    #[serde(default)]
    record_tags: Option<BTreeMap<String, String>>,
    #[serde(default)]
    annotations_urls: Option<Vec<String>>,
    #[serde(default)]
    is_retriable: bool,
    #[serde(default)]
    retry_count: i64,
    #[serde(default)]
    page: i64,
    #[serde(default)]
    limit: i64,
    #[serde(default)]
    storage_uri: String,
}

/// Whether `name` is a valid AOI id (`^[a-zA-Z0-9-:_]+$`, at most 128 characters).
pub fn valid_aoi_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | ':' | '_'))
}

impl Area {
    /// Reads and validates a payload document.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_AREA_BYTES {
            return Err(Error::TooLarge {
                what: "the area payload".into(),
                limit: format!("{MAX_AREA_BYTES} bytes"),
            });
        }
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| Error::invalid(format!("area: not valid JSON: {e}")))?;
        Self::from_value(&value)
    }

    /// Reads and validates a payload already parsed as JSON.
    pub fn from_value(value: &Value) -> Result<Self> {
        if !value.is_object() {
            return Err(Error::invalid("area: the payload is a JSON object"));
        }
        let fields: Fields = serde_json::from_value(value.clone())
            .map_err(|e| Error::invalid(format!("area: {e}")))?;
        if !valid_aoi_name(&fields.name) {
            return Err(Error::invalid(format!(
                "area: wrong format for name (must be chars, numbers and -:_, found '{}')",
                fields.name.chars().take(64).collect::<String>()
            )));
        }
        let constellation = Constellation::parse(&fields.scene_type.constellation).ok_or_else(
            || {
                Error::invalid(format!(
                    "area: unrecognized constellation: '{}' (sentinel1, sentinel2, landsat89, phr, spot)",
                    fields.scene_type.constellation.chars().take(32).collect::<String>()
                ))
            },
        )?;
        let shape = Shape::from_geojson(value).map_err(|e| match e {
            Error::Invalid(m) => Error::invalid(format!("area: {m}")),
            other => other,
        })?;
        if let (Some(s), Some(e)) = (fields.start_time, fields.end_time) {
            if e < s {
                return Err(Error::invalid("area: end_time is before start_time"));
            }
            if (e - s).num_days() > MAX_INTERVAL_DAYS {
                return Err(Error::invalid(format!(
                    "area: the interval exceeds {MAX_INTERVAL_DAYS} days"
                )));
            }
        }
        if !(0..=100).contains(&fields.retry_count) {
            return Err(Error::invalid("area: retry_count is between 0 and 100"));
        }
        if fields.page < 0 {
            return Err(Error::invalid("area: page is 0-based"));
        }
        let storage_uri = crate::keys::storage_root(&fields.storage_uri)?;
        Ok(Area {
            name: fields.name,
            shape,
            start_time: fields.start_time,
            end_time: fields.end_time,
            constellation,
            scene_type: fields.scene_type,
            scene_graph_name: fields.scene_graph_name,
            tile_graph_name: fields.tile_graph_name,
            graph_config: fields.graph_config.unwrap_or_default(),
            layers: fields.layers.unwrap_or_default(),
            record_tags: fields.record_tags.unwrap_or_default(),
            annotations_urls: fields.annotations_urls.unwrap_or_default(),
            is_retriable: fields.is_retriable,
            retry_count: fields.retry_count as u32,
            page: u32::try_from(fields.page).unwrap_or(u32::MAX),
            limit: fields.limit,
            storage_uri,
        })
    }

    /// The acquisition interval, required to search a catalogue.
    pub fn interval(&self) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
        match (self.start_time, self.end_time) {
            (Some(s), Some(e)) => Ok((s, e)),
            _ => Err(Error::invalid(
                "area: start_time and end_time are required to search the catalogue",
            )),
        }
    }

    /// The page size, if the payload limits it.
    pub fn page_size(&self) -> Option<u32> {
        (self.limit > 0).then(|| u32::try_from(self.limit).unwrap_or(u32::MAX))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAYLOAD: &str = r#"{"name":"DenmarkDemoS2","type":"Feature",
 "geometry":{"type":"Polygon","coordinates":[[[9.9,54.9],[10,54.9],[10,55],[9.9,54.9]]]},
 "start_time":"2022-01-01T00:00:00.000Z","end_time":"2022-02-10T00:00:00.000Z",
 "scene_type":{"constellation":"sentinel2","parameters":{"cloudcoverpercentage":"[0 TO 80]"}},
 "scene_graph_name":"CopyProductToStorage","tile_graph_name":"library/graph/ExtractS2Bands.json",
 "layers":{"B04":{"variable":"B04","instance":"raw"}},"record_tags":{"source":"tutorial"},
 "is_retriable":true,"retry_count":1}"#;

    #[test]
    fn the_reference_payload_parses() {
        let a = Area::parse(PAYLOAD.as_bytes()).unwrap();
        assert_eq!(a.name, "DenmarkDemoS2");
        assert_eq!(a.constellation, Constellation::Sentinel2);
        assert_eq!(a.retry_count, 1);
        assert!(a.is_retriable);
        assert_eq!(a.layers["B04"].instance, "raw");
        assert_eq!(a.storage_uri, "results/ingest");
        assert_eq!(a.page_size(), None);
        assert!(a.interval().is_ok());
    }

    #[test]
    fn invalid_payloads_name_the_field() {
        let bad = |patch: &str, needle: &str| {
            let mut v: Value = serde_json::from_str(PAYLOAD).unwrap();
            let p: Value = serde_json::from_str(patch).unwrap();
            for (k, val) in p.as_object().unwrap() {
                v[k] = val.clone();
            }
            let e = Area::from_value(&v).unwrap_err().to_string();
            assert!(e.contains(needle), "{e} should mention {needle}");
        };
        bad(r#"{"name": "a b"}"#, "name");
        bad(
            r#"{"scene_type": {"constellation": "modis"}}"#,
            "constellation",
        );
        bad(r#"{"end_time": "2021-01-01T00:00:00Z"}"#, "end_time");
        bad(r#"{"geometry": null}"#, "geometry");
        bad(r#"{"storage_uri": "../x"}"#, "storage_uri");
        assert!(Area::parse(b"[1]").is_err());
        assert!(Area::parse(b"{").is_err());
    }

    #[test]
    fn constellations_in_any_spelling() {
        assert_eq!(
            Constellation::parse("Sentinel-1"),
            Some(Constellation::Sentinel1)
        );
        assert_eq!(
            Constellation::parse("SENTINEL2"),
            Some(Constellation::Sentinel2)
        );
        assert_eq!(Constellation::parse("pleiades"), Some(Constellation::Phr));
        assert_eq!(
            Constellation::parse("LC09_L1TP_196022"),
            Some(Constellation::Landsat89)
        );
        assert_eq!(Constellation::parse("x"), None);
    }
}
