//! Scenes, tiles, records and the registry, in geocube-ingester's JSON shapes (field names and
//! casing as its Go structs marshal them, so its clients work unchanged), and the records the
//! ingestion store keeps.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::status::Status;

/// Scene identifier (an integer, as on the wire).
pub type SceneId = i64;
/// Tile identifier (an integer, as on the wire).
pub type TileId = i64;

/// `data.tiles[tileId]` of a scene: where the tile sits in the product.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TileMapping {
    /// Swath (`IW1`..`IW3`), empty for optical scenes.
    #[serde(default)]
    pub swath_id: String,
    /// Burst number in the swath (1-based), 0 for optical scenes.
    #[serde(default)]
    pub tile_nr: i64,
}

/// `data` of a scene (geocube-ingester `SceneAttrs`, fields in its marshalled order).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SceneData {
    /// Acquisition date.
    pub date: DateTime<Utc>,
    /// Graph parameters, copied from the payload.
    #[serde(default, deserialize_with = "null_as_default")]
    pub graph_config: BTreeMap<String, String>,
    /// Scene graph, copied from the payload.
    #[serde(default)]
    pub graph_name: String,
    /// Layer -> instance id, filled at ingestion.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub instances_id: BTreeMap<String, String>,
    /// Errors end in RETRY (true) or FAILED.
    #[serde(default)]
    pub is_retriable: bool,
    /// Catalogue metadata (`download_link`, `assets`, `annotations`, ...).
    #[serde(default, deserialize_with = "null_as_default")]
    pub metadata: Map<String, Value>,
    /// Record the scene's outputs are indexed in, set at ingestion.
    #[serde(default)]
    pub record_id: String,
    /// Output root, copied from the payload.
    #[serde(default)]
    pub storage_uri: String,
    /// Tiles of the scene, set by the tile inventory.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub tiles: BTreeMap<String, TileMapping>,
    /// Catalogue id of the image.
    #[serde(default)]
    pub uuid: String,
}

/// `data` of a tile (geocube-ingester `TileAttrs`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TileData {
    /// Tile graph, copied from the payload.
    #[serde(default)]
    pub graph_name: String,
    /// Errors end in RETRY (true) or FAILED.
    #[serde(default)]
    pub is_retriable: bool,
    /// Swath (`IW1`..`IW3`), empty for optical scenes.
    #[serde(default)]
    pub swath_id: String,
    /// Burst number (1-based), 0 for optical scenes.
    #[serde(default)]
    pub tile_nr: i64,
}

fn null_as_default<'de, D, T>(d: D) -> std::result::Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Refuses a JSON object holding keys other than `known` (geocube-ingester decodes route bodies
/// with `DisallowUnknownFields`).
pub fn reject_unknown(value: &Value, known: &[&str], what: &str) -> Result<()> {
    let Some(obj) = value.as_object() else {
        return Err(Error::invalid(format!("{what} is a JSON object")));
    };
    match obj.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(Error::invalid(format!(
            "{what}: unknown field '{}'",
            k.chars().take(64).collect::<String>()
        ))),
        None => Ok(()),
    }
}

/// Field names of [`SceneData`].
pub const SCENE_DATA_FIELDS: &[&str] = &[
    "date",
    "graph_config",
    "graph_name",
    "instances_id",
    "is_retriable",
    "metadata",
    "record_id",
    "storage_uri",
    "tiles",
    "uuid",
];
/// Field names of [`TileData`].
pub const TILE_DATA_FIELDS: &[&str] = &["graph_name", "is_retriable", "swath_id", "tile_nr"];

/// A previous or reference tile, named by source ids (the catalogue's `TileLite`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TileLite {
    /// Acquisition date of its scene.
    #[serde(rename = "Date")]
    pub date: DateTime<Utc>,
    /// Source id of its scene.
    #[serde(rename = "SceneID")]
    pub scene_id: String,
    /// Source id of the tile.
    #[serde(rename = "SourceID")]
    pub source_id: String,
}

/// A tile of the catalogue (`/catalog/tiles` and the `tiles` form field).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogTile {
    /// Acquisition date of its scene.
    #[serde(rename = "Date")]
    pub date: DateTime<Utc>,
    /// Source id of its scene.
    #[serde(rename = "SceneID")]
    pub scene_id: String,
    /// Tile source id (`A44_IW1_8951` for a burst, the scene's id otherwise).
    #[serde(rename = "SourceID")]
    pub source_id: String,
    /// Time since the ascending node crossing, tenths of a second (bursts).
    #[serde(default)]
    pub anx_time: i64,
    /// Tile attributes.
    #[serde(default)]
    pub data: TileData,
    /// Ignored at this stage.
    #[serde(default)]
    pub id: i64,
    /// Previous tile of the chain, if any.
    #[serde(default)]
    pub previous: Option<TileLite>,
    /// Reference tile of the chain, if any.
    #[serde(default)]
    pub reference: Option<TileLite>,
    /// Footprint, WKT in EPSG:4326.
    #[serde(default)]
    pub wkt: String,
    /// Already in the AOI (a root or leaf joining a new chain); not serialised.
    #[serde(skip)]
    pub ingested: bool,
}

impl CatalogTile {
    /// The tile's `TileLite`.
    pub fn lite(&self) -> TileLite {
        TileLite {
            date: self.date,
            scene_id: self.scene_id.clone(),
            source_id: self.source_id.clone(),
        }
    }
}

/// A scene of the catalogue (the `properties` of a feature of `/catalog/scenes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogScene {
    /// Name of the AOI.
    #[serde(default)]
    pub aoi: String,
    /// Scene attributes.
    pub data: SceneData,
    /// Ignored at this stage.
    #[serde(default)]
    pub id: i64,
    /// Product name.
    pub source_id: String,
    /// Tags of the record the scene's outputs are indexed in.
    #[serde(default, deserialize_with = "null_as_default")]
    pub tags: BTreeMap<String, String>,
    /// Tiles, once the tile inventory ran.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub tiles: Vec<CatalogTile>,
    /// Footprint, WKT in EPSG:4326.
    #[serde(default)]
    pub wkt: String,
}

/// A page of catalogue scenes: the FeatureCollection of `/catalog/scenes` and `/catalog/tiles`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scenes {
    /// The scenes.
    pub scenes: Vec<CatalogScene>,
    /// Whether a full page was returned (more may follow).
    pub next: bool,
}

impl Scenes {
    /// The GeoJSON FeatureCollection: one feature per scene (geometry = footprint, plus the
    /// tiles' footprints as a MultiPolygon once tiled), `properties.next` `"true"`/`"false"`.
    pub fn to_geojson(&self) -> Value {
        let features: Vec<Value> = self
            .scenes
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut shape = crate::geom::Shape::from_wkt(&s.wkt).unwrap_or_default();
                if !s.tiles.is_empty() && shape.polygons.len() == 1 {
                    for t in &s.tiles {
                        if let Ok(ts) = crate::geom::Shape::from_wkt(&t.wkt) {
                            shape.extend(ts);
                        }
                    }
                }
                let geometry = if shape.polygons.is_empty() {
                    Value::Null
                } else if !s.tiles.is_empty() && shape.polygons.len() == 1 {
                    let g = shape.to_geojson();
                    serde_json::json!({"type": "MultiPolygon", "coordinates": [g["coordinates"]]})
                } else {
                    shape.to_geojson()
                };
                serde_json::json!({
                    "type": "Feature",
                    "id": i,
                    "geometry": geometry,
                    "properties": s,
                })
            })
            .collect();
        serde_json::json!({
            "type": "FeatureCollection",
            "features": features,
            "properties": {"next": if self.next { "true" } else { "false" }},
        })
    }

    /// Reads a FeatureCollection of scenes (as returned by `/catalog/scenes` or
    /// `/catalog/tiles`, possibly edited).
    pub fn from_geojson(value: &Value) -> Result<Self> {
        let features = value
            .get("features")
            .and_then(Value::as_array)
            .ok_or_else(|| Error::invalid("scenes: a FeatureCollection with 'features'"))?;
        let scenes = features
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let props = f.get("properties").cloned().unwrap_or(Value::Null);
                serde_json::from_value::<CatalogScene>(props)
                    .map_err(|e| Error::invalid(format!("scenes: feature {i}: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        let next = value
            .pointer("/properties/next")
            .and_then(Value::as_str)
            .is_some_and(|s| s == "true");
        Ok(Scenes { scenes, next })
    }
}

/// A lease: who runs a PENDING scene or tile, until when. A task claims the lease before
/// running and reports its outcome under it, so a duplicate delivery never runs twice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The claimant (an execution id on AWS, the process on the local engine).
    pub owner: String,
    /// When the lease expires if its owner never reports.
    pub until: DateTime<Utc>,
}

/// A scene as the store keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct SceneRecord {
    /// Id.
    pub id: SceneId,
    /// AOI.
    pub aoi: String,
    /// Product name.
    pub source_id: String,
    /// Attributes.
    pub data: SceneData,
    /// Status.
    pub status: Status,
    /// Last message (an error).
    pub message: String,
    /// Automatic retries left.
    pub retry_countdown: i64,
    /// Current claim, if running.
    pub lease: Option<Lease>,
    /// Bumped by every change.
    pub version: u64,
}

/// A tile as the store keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct TileRecord {
    /// Id.
    pub id: TileId,
    /// Its scene.
    pub scene_id: SceneId,
    /// AOI of its scene.
    pub aoi: String,
    /// Tile source id.
    pub source_id: String,
    /// Acquisition date of its scene.
    pub date: DateTime<Utc>,
    /// Attributes.
    pub data: TileData,
    /// Status.
    pub status: Status,
    /// Last message.
    pub message: String,
    /// Previous tile of the chain.
    pub prev: Option<TileId>,
    /// Reference tile of the chain.
    pub reference: Option<TileId>,
    /// Automatic retries left.
    pub retry_countdown: i64,
    /// Current claim, if running.
    pub lease: Option<Lease>,
    /// Bumped by every change.
    pub version: u64,
}

/// A scene on the wire (`GET /scene/{id}`, `/aoi/{aoi}/scenes`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SceneJson {
    /// Id.
    pub id: SceneId,
    /// Product name.
    pub source_id: String,
    /// AOI.
    pub aoi: String,
    /// Attributes.
    pub data: SceneData,
    /// Status.
    pub status: Status,
    /// Last message.
    pub message: String,
    /// Automatic retries left.
    #[serde(rename = "RetryCountDown")]
    pub retry_countdown: i64,
}

impl From<&SceneRecord> for SceneJson {
    fn from(s: &SceneRecord) -> Self {
        SceneJson {
            id: s.id,
            source_id: s.source_id.clone(),
            aoi: s.aoi.clone(),
            data: s.data.clone(),
            status: s.status,
            message: s.message.clone(),
            retry_countdown: s.retry_countdown,
        }
    }
}

/// The scene part of a tile on the wire (geocube-ingester `common.Scene`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SceneRef {
    /// Id.
    pub id: SceneId,
    /// Product name.
    pub source_id: String,
    /// AOI.
    pub aoi: String,
    /// Attributes.
    pub data: SceneData,
}

/// A tile on the wire (`GET /tile/{id}`, tile lists).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TileJson {
    /// Id.
    pub id: TileId,
    /// Tile source id.
    pub source_id: String,
    /// Its scene.
    pub scene: SceneRef,
    /// Attributes.
    pub data: TileData,
    /// Status.
    pub status: Status,
    /// Last message.
    pub message: String,
    /// Previous tile.
    #[serde(rename = "PreviousID")]
    pub previous_id: Option<TileId>,
    /// Reference tile.
    #[serde(rename = "ReferenceID")]
    pub reference_id: Option<TileId>,
    /// Automatic retries left.
    #[serde(rename = "RetryCountDown")]
    pub retry_countdown: i64,
}

impl TileJson {
    /// A tile with its scene.
    pub fn new(t: &TileRecord, scene: &SceneRecord) -> Self {
        TileJson {
            id: t.id,
            source_id: t.source_id.clone(),
            scene: SceneRef {
                id: scene.id,
                source_id: scene.source_id.clone(),
                aoi: scene.aoi.clone(),
                data: scene.data.clone(),
            },
            data: t.data.clone(),
            status: t.status,
            message: t.message.clone(),
            previous_id: t.prev,
            reference_id: t.reference,
            retry_countdown: t.retry_countdown,
        }
    }
}

/// A tile of a [`SceneToIngest`]: its links by source ids.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TileToIngest {
    /// Source id of the previous tile ("" for a root).
    #[serde(default)]
    pub previous_tile_id: String,
    /// Source id of the previous tile's scene.
    #[serde(default)]
    pub previous_scene_id: String,
    /// Source id of the reference tile ("" for a root).
    #[serde(default)]
    pub reference_tile_id: String,
    /// Source id of the reference tile's scene.
    #[serde(default)]
    pub reference_scene_id: String,
    /// Attributes.
    #[serde(default)]
    pub data: TileData,
}

/// The body of `POST /aoi/{aoi}/scene` (geocube-ingester `SceneToIngest`; unknown fields are
/// refused).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SceneToIngest {
    /// Must be 0.
    #[serde(default)]
    pub id: i64,
    /// Product name.
    pub source_id: String,
    /// AOI (must match the path).
    #[serde(default)]
    pub aoi: String,
    /// Attributes.
    pub data: SceneData,
    /// Tiles by source id.
    #[serde(default)]
    pub tiles: BTreeMap<String, TileToIngest>,
    /// Automatic retries.
    #[serde(default)]
    pub retry_count: i64,
}

/// A tile link by source ids: (tile source id, scene source id).
pub type SourceLink = (String, String);

/// A tile to create.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTile {
    /// Tile source id.
    pub source_id: String,
    /// Attributes.
    pub data: TileData,
    /// Previous tile, by source ids (None for a root).
    pub prev: Option<SourceLink>,
    /// Reference tile, by source ids (None for a root).
    pub reference: Option<SourceLink>,
    /// Footprint, WKT ("" if unknown).
    pub wkt: String,
}

/// A scene to create, with its tiles.
#[derive(Debug, Clone, PartialEq)]
pub struct NewScene {
    /// Product name.
    pub source_id: String,
    /// Attributes.
    pub data: SceneData,
    /// Automatic retries (the countdown starts here).
    pub retry_count: i64,
    /// Footprint, WKT ("" if unknown).
    pub wkt: String,
    /// Tiles.
    pub tiles: Vec<NewTile>,
}

/// Maximum scenes in one ingestion request.
pub const MAX_SCENES_PER_REQUEST: usize = 20_000;
/// Maximum tiles of one scene.
pub const MAX_TILES_PER_SCENE: usize = 1_000;
/// Maximum tiles in one ingestion request.
pub const MAX_TILES_PER_REQUEST: usize = 200_000;

impl SceneToIngest {
    /// Checks the scene as geocube-ingester does (id 0, same AOI, tiles present and listed in
    /// `data.tiles`, previous and reference both set or both empty) and turns it into a
    /// [`NewScene`].
    pub fn into_new(self, aoi: &str) -> Result<NewScene> {
        let src = self.source_id.chars().take(80).collect::<String>();
        if self.id != 0 {
            return Err(Error::invalid(format!("scene {src} must not have id set")));
        }
        if self.source_id.is_empty() || self.source_id.len() > 256 {
            return Err(Error::invalid(
                "a scene needs a source_id of at most 256 characters",
            ));
        }
        if self.aoi != aoi {
            return Err(Error::invalid(format!(
                "scene {src}: its aoi and the path's aoi are different"
            )));
        }
        if self.tiles.is_empty() || self.tiles.len() != self.data.tiles.len() {
            return Err(Error::invalid(format!(
                "scene {src} has no tiles, or not as many as data.tiles lists"
            )));
        }
        if self.tiles.len() > MAX_TILES_PER_SCENE {
            return Err(Error::TooLarge {
                what: format!("the tiles of scene {src}"),
                limit: MAX_TILES_PER_SCENE.to_string(),
            });
        }
        if !(0..=100).contains(&self.retry_count) {
            return Err(Error::invalid("retry_count is between 0 and 100"));
        }
        let tiles = self
            .tiles
            .into_iter()
            .map(|(source_id, t)| {
                let link =
                    |tile: String, scene: String| (!tile.is_empty()).then_some((tile, scene));
                let prev = link(t.previous_tile_id, t.previous_scene_id);
                let reference = link(t.reference_tile_id, t.reference_scene_id);
                if prev.is_some() != reference.is_some() {
                    return Err(Error::invalid(format!(
                        "scene {src}, tile {source_id}: previous and reference are both set or \
                         both empty"
                    )));
                }
                Ok(NewTile {
                    source_id,
                    data: t.data,
                    prev,
                    reference,
                    wkt: String::new(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(NewScene {
            source_id: self.source_id,
            data: self.data,
            retry_count: self.retry_count,
            wkt: String::new(),
            tiles,
        })
    }
}

/// An AOI in `GET /aoi/` (`{"ID": "...", "status": "..."}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AoiJson {
    /// AOI id.
    #[serde(rename = "ID")]
    pub id: String,
    /// Derived status.
    pub status: Status,
}

/// A variable of the registry: what a layer measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variable {
    /// Unique id.
    #[serde(default)]
    pub id: String,
    /// Unique name (`B04`, `sigma0_VV`).
    pub name: String,
    /// Unit.
    #[serde(default)]
    pub unit: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// Its instances.
    #[serde(default)]
    pub instances: Vec<Instance>,
}

/// An instance of a variable: one way of producing it (`raw`, `RNKell`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// Unique id (`instance_id` in payloads).
    #[serde(default)]
    pub id: String,
    /// Name, unique within the variable.
    pub name: String,
    /// Free metadata.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

/// A record: the index entry of one scene's outputs (geocube record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Id: deterministic from (name, date, tags), so re-ingesting reuses it.
    pub id: String,
    /// Name (the scene's product name).
    pub name: String,
    /// Acquisition date.
    pub date: DateTime<Utc>,
    /// Tags (scene tags, `record_tags`, previous and reference scenes).
    pub tags: BTreeMap<String, String>,
    /// AOI the record was created for.
    pub aoi: String,
    /// Footprint, WKT.
    pub wkt: String,
}

impl Record {
    /// The deterministic id of a record with this name, date and tags (UUID v5).
    pub fn id_for(name: &str, date: DateTime<Utc>, tags: &BTreeMap<String, String>) -> String {
        let key = serde_json::json!([name, date.to_rfc3339(), tags]).to_string();
        uuid::Uuid::new_v5(&RECORD_NAMESPACE, key.as_bytes())
            .hyphenated()
            .to_string()
    }
}

const RECORD_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x6f1b_3c2e_9a8d_4e57_b0c1_5d3f_7a9e_2b41);

/// A dataset: one output file of a tile, indexed in its scene's record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dataset {
    /// Record.
    pub record_id: String,
    /// Tile that produced it.
    pub tile_id: TileId,
    /// Tile source id.
    pub tile: String,
    /// Layer name.
    pub layer: String,
    /// Instance id of the layer, if the payload named one.
    #[serde(default)]
    pub instance_id: String,
    /// Object-store key of the file.
    pub key: String,
    /// Where clients read it.
    pub href: String,
    /// Media type.
    pub media_type: String,
    /// Footprint, WKT.
    pub wkt: String,
    /// When it was indexed.
    pub created: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_feature_properties_parse() {
        let props = serde_json::json!({
            "aoi":"DenmarkDemoS2",
            "data":{"date":"2022-01-04T10:34:31Z","graph_config":{},"graph_name":"CopyProductToStorage",
                    "is_retriable":true,"record_id":"","storage_uri":"",
                    "uuid":"875f96fb-e591-4bcf-8202-fada69733e26"},
            "id":0,
            "source_id":"S2A_MSIL1C_20220104T103431_N0510_R108_T32UNG_20240423T092858",
            "tags":{"constellation":"SENTINEL2","relativeOrbit":"108"},
            "wkt":"POLYGON ((8.999680177 55.89488809,8.999687664 54.95909887,10.71398549 54.94701782,8.999680177 55.89488809))"
        });
        let scene: CatalogScene = serde_json::from_value(props.clone()).unwrap();
        assert_eq!(scene.data.uuid, "875f96fb-e591-4bcf-8202-fada69733e26");
        let fc = Scenes {
            scenes: vec![scene],
            next: false,
        }
        .to_geojson();
        assert_eq!(fc["properties"]["next"], "false");
        assert_eq!(fc["features"][0]["geometry"]["type"], "Polygon");
        let back = Scenes::from_geojson(&fc).unwrap();
        assert_eq!(back.scenes[0].source_id, props["source_id"]);
        let keys: Vec<&String> = fc["features"][0]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(keys, ["aoi", "data", "id", "source_id", "tags", "wkt"]);
    }

    #[test]
    fn scenes_to_ingest_are_checked() {
        let body = serde_json::json!({
            "id": 0, "source_id": "S1A_X", "aoi": "a",
            "data": {"date": "2022-01-04T10:34:31Z", "tiles": {"A1_IW1_1": {"swath_id": "IW1", "tile_nr": 1}}},
            "tiles": {"A1_IW1_1": {"previous_tile_id": "", "previous_scene_id": "",
                                    "reference_tile_id": "", "reference_scene_id": "",
                                    "data": {"swath_id": "IW1", "tile_nr": 1}}},
            "retry_count": 2
        });
        let s: SceneToIngest = serde_json::from_value(body.clone()).unwrap();
        let new = s.clone().into_new("a").unwrap();
        assert_eq!(new.tiles[0].prev, None);
        assert!(s.clone().into_new("b").is_err());
        let mut unknown = body.clone();
        unknown["extra"] = serde_json::json!(1);
        assert!(serde_json::from_value::<SceneToIngest>(unknown).is_err());
        let mut half = body;
        half["tiles"]["A1_IW1_1"]["previous_tile_id"] = serde_json::json!("A1_IW1_0");
        let s: SceneToIngest = serde_json::from_value(half).unwrap();
        assert!(s.into_new("a").is_err());
    }

    #[test]
    fn record_ids_are_deterministic() {
        let d = DateTime::parse_from_rfc3339("2022-01-04T10:34:31Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut tags = BTreeMap::new();
        tags.insert("source".to_string(), "tutorial".to_string());
        let a = Record::id_for("S2A", d, &tags);
        assert_eq!(a, Record::id_for("S2A", d, &tags));
        tags.insert("x".into(), "y".into());
        assert_ne!(a, Record::id_for("S2A", d, &tags));
    }
}
