//! The work of a scene and of a tile, selected by `scene_graph_name` and `tile_graph_name`.
//!
//! | Graph | Scene | Tile |
//! |---|---|---|
//! | `CopyProductToStorage` (`S1Preprocessing` for scenes too) | copies every asset of the scene (its STAC Item's assets, or `metadata.assets`) to `{storage}/{aoi}/{scene}/product/` and stores the Item with hrefs to the copies | indexes the stored product files of the tile (a burst: its swath's files) as datasets |
//! | `Pass` (or empty) | nothing | nothing: no outputs, no datasets (the no-op the benchmark runs) |
//! | a Stratus process id (`water-bodies`) | refused | runs the process as a job on the stored scene (inputs from `graph_config`, `stac_items`/`aoi`/`epsg` filled in), copies its files to `{YYYYMMDD}_{tile}_{layer}.{ext}` |
//!
//! Every tile with outputs gets a STAC Item at `{storage}/{aoi}/{scene}/tiles/{tile}/item.json`
//! and one dataset per output file in its scene's record.

use std::collections::BTreeMap;

use bytes::{Bytes, BytesMut};
use serde_json::{Map, Value, json};
use stratus_core::execute::{Preferences, validate_request};
use stratus_core::job::{FailureKind, Job, JobId, JobStatus};
use stratus_core::ports::{get_json, put_json};
use stratus_core::process::ProcessError;
use stratus_core::runner::{JobRunner, Ports};

use crate::error::{Error, Result};
use crate::geom::Shape;
use crate::keys;
use crate::model::{Dataset, SceneRecord, TileRecord};

/// Copies a product to storage (scene) or indexes the copy (tile).
pub const COPY_PRODUCT: &str = "CopyProductToStorage";
/// Sentinel-1 scene graph: copies the product, its tiles being bursts.
pub const S1_PREPROCESSING: &str = "S1Preprocessing";
/// Does nothing.
pub const PASS: &str = "Pass";
/// Largest asset copied, in bytes.
pub const MAX_ASSET_BYTES: u64 = 512 * 1024 * 1024;
/// Bytes read per range request while copying.
const CHUNK: u64 = 8 * 1024 * 1024;

/// What a scene does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SceneGraph {
    /// Copy the product.
    Copy,
    /// Nothing.
    Pass,
}

/// What a tile does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TileGraph {
    /// Nothing.
    Pass,
    /// Index the stored product files.
    Copy,
    /// Run a Stratus process.
    Process(String),
}

/// The scene graph of a name.
pub fn scene_graph(name: &str) -> Result<SceneGraph> {
    match name {
        COPY_PRODUCT | S1_PREPROCESSING => Ok(SceneGraph::Copy),
        PASS | "" => Ok(SceneGraph::Pass),
        other => Err(Error::invalid(format!(
            "area: unknown scene_graph_name '{}' (CopyProductToStorage, S1Preprocessing, Pass)",
            other.chars().take(64).collect::<String>()
        ))),
    }
}

/// The tile graph of a name; a process id must exist in the registry.
pub async fn tile_graph(name: &str, ports: &Ports) -> Result<TileGraph> {
    match name {
        PASS | "" => Ok(TileGraph::Pass),
        COPY_PRODUCT => Ok(TileGraph::Copy),
        other => match ports.processes.get(other).await {
            Ok(_) => Ok(TileGraph::Process(other.to_string())),
            Err(stratus_core::Error::NoSuchProcess(_)) => Err(Error::invalid(format!(
                "area: unknown tile_graph_name '{}' (Pass, CopyProductToStorage or a process id)",
                other.chars().take(64).collect::<String>()
            ))),
            Err(e) => Err(e.into()),
        },
    }
}

/// A failed task: fatal errors end FAILED whatever `is_retriable` says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TaskError {
    /// Never worth retrying (invalid input, unknown graph).
    pub fatal: bool,
    /// What went wrong, for the scene's or tile's message.
    pub message: String,
}

impl TaskError {
    /// A fatal error.
    pub fn fatal(message: impl Into<String>) -> Self {
        TaskError {
            fatal: true,
            message: message.into(),
        }
    }

    /// An error worth retrying.
    pub fn temporary(message: impl Into<String>) -> Self {
        TaskError {
            fatal: false,
            message: message.into(),
        }
    }
}

impl From<ProcessError> for TaskError {
    fn from(e: ProcessError) -> Self {
        TaskError {
            fatal: e.kind == FailureKind::InvalidInput,
            message: e.message,
        }
    }
}

impl From<Error> for TaskError {
    fn from(e: Error) -> Self {
        match e {
            Error::Invalid(m) => TaskError::fatal(m),
            Error::Backend { .. } => {
                tracing::error!(error = %e, "ingestion task");
                TaskError::temporary("the engine failed; see its log")
            }
            other => TaskError::temporary(other.to_string()),
        }
    }
}

impl From<stratus_core::Error> for TaskError {
    fn from(e: stratus_core::Error) -> Self {
        TaskError::from(Error::from(e))
    }
}

/// An asset of a product: key, href, media type, roles.
#[derive(Debug, Clone, PartialEq)]
struct Asset {
    key: String,
    href: String,
    media_type: String,
    roles: Vec<String>,
    fields: Map<String, Value>,
}

fn assets_of(value: &Value, base: Option<&str>) -> Vec<Asset> {
    let Some(map) = value.as_object() else {
        return Vec::new();
    };
    map.iter()
        .filter_map(|(k, v)| {
            let (href, media_type, roles, fields) = match v {
                Value::String(h) => (h.clone(), String::new(), Vec::new(), Map::new()),
                Value::Object(o) => (
                    o.get("href")?.as_str()?.to_string(),
                    o.get("type")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    o.get("roles")
                        .and_then(Value::as_array)
                        .map(|r| {
                            r.iter()
                                .filter_map(Value::as_str)
                                .map(str::to_string)
                                .collect()
                        })
                        .unwrap_or_default(),
                    o.clone(),
                ),
                _ => return None,
            };
            let href = match base {
                Some(b) if !href.contains("://") => resolve(b, &href),
                _ => href,
            };
            Some(Asset {
                key: k.clone(),
                href,
                media_type,
                roles,
                fields,
            })
        })
        .collect()
}

/// `rel` relative to the document at `base`.
fn resolve(base: &str, rel: &str) -> String {
    let rel = rel.trim_start_matches("./");
    match base.rfind('/') {
        Some(i) => format!("{}{rel}", &base[..=i]),
        None => rel.to_string(),
    }
}

fn file_name(href: &str) -> String {
    let path = href.split(['?', '#']).next().unwrap_or(href);
    path.rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or("asset")
        .to_string()
}

async fn download(ports: &Ports, href: &str) -> Result<Bytes, TaskError> {
    let size = ports.fetcher.size(href).await?;
    if size > MAX_ASSET_BYTES {
        return Err(TaskError::fatal(format!(
            "{href} is {size} bytes, more than the limit of {MAX_ASSET_BYTES}"
        )));
    }
    let mut buf = BytesMut::with_capacity(usize::try_from(size).unwrap_or(0));
    let mut at = 0;
    while at < size {
        let end = (at + CHUNK).min(size);
        let part = ports.fetcher.fetch_range(href, at..end).await?;
        if part.is_empty() {
            return Err(TaskError::temporary(format!(
                "{href}: the download stopped at byte {at}"
            )));
        }
        at += part.len() as u64;
        buf.extend_from_slice(&part);
    }
    Ok(buf.freeze())
}

/// Runs a scene's graph.
pub async fn run_scene(
    ports: &Ports,
    scene: &SceneRecord,
    footprint: &str,
) -> Result<(), TaskError> {
    match scene_graph(&scene.data.graph_name).map_err(|e| TaskError::fatal(e.to_string()))? {
        SceneGraph::Pass => Ok(()),
        SceneGraph::Copy => copy_product(ports, scene, footprint).await,
    }
}

/// Copies a scene's assets into the object store and stores its STAC Item beside them.
async fn copy_product(
    ports: &Ports,
    scene: &SceneRecord,
    footprint: &str,
) -> Result<(), TaskError> {
    let meta = &scene.data.metadata;
    let link = meta
        .get("download_link")
        .and_then(Value::as_str)
        .unwrap_or("");
    let listed = meta
        .get("assets")
        .map(|a| assets_of(a, None))
        .unwrap_or_default();
    let (mut item, assets) = if !listed.is_empty() {
        (None, listed)
    } else if link.is_empty() {
        return Err(TaskError::fatal(format!(
            "scene {} has neither metadata.assets nor metadata.download_link",
            scene.source_id
        )));
    } else {
        let fetched = ports.fetcher.fetch(link).await?;
        match serde_json::from_slice::<Value>(&fetched.body) {
            Ok(v) if v.get("assets").is_some() => {
                let assets = assets_of(&v["assets"], Some(link));
                (Some(v), assets)
            }
            _ => (
                None,
                vec![Asset {
                    key: "product".into(),
                    href: link.to_string(),
                    media_type: fetched.media_type.unwrap_or_default(),
                    roles: vec!["data".into()],
                    fields: Map::new(),
                }],
            ),
        }
    };
    let storage = &scene.data.storage_uri;
    let mut used: BTreeMap<String, ()> = BTreeMap::new();
    let mut copied: BTreeMap<String, String> = BTreeMap::new();
    let mut stored = Map::new();
    for a in &assets {
        let media = if a.media_type.is_empty() {
            "application/octet-stream"
        } else {
            &a.media_type
        };
        let key = match copied.get(&a.href) {
            Some(key) => key.clone(),
            None => {
                let mut name = file_name(&a.href);
                if used.insert(name.clone(), ()).is_some() {
                    name = format!("{}-{name}", a.key);
                    used.insert(name.clone(), ());
                }
                let key = keys::product_file(storage, &scene.aoi, &scene.source_id, &name);
                let body = download(ports, &a.href).await.map_err(|e| TaskError {
                    message: format!(
                        "asset '{}' of scene {}: {}",
                        a.key, scene.source_id, e.message
                    ),
                    ..e
                })?;
                ports.objects.put(&key, body, media).await?;
                copied.insert(a.href.clone(), key.clone());
                key
            }
        };
        let mut entry = a.fields.clone();
        entry.insert("href".into(), json!(ports.objects.href(&key)));
        entry.insert("type".into(), json!(media));
        if !a.roles.is_empty() || !entry.contains_key("roles") {
            entry.insert("roles".into(), json!(a.roles));
        }
        entry.insert("stratus:key".into(), json!(key));
        entry.insert("stratus:source".into(), json!(a.href));
        stored.insert(a.key.clone(), Value::Object(entry));
    }
    let mut doc = item.take().unwrap_or_else(|| {
        let geometry = Shape::from_wkt(footprint)
            .map(|s| s.to_geojson())
            .unwrap_or(Value::Null);
        json!({"type": "Feature", "stac_version": "1.0.0", "id": scene.source_id,
               "geometry": geometry,
               "properties": {"datetime": scene.data.date.to_rfc3339()}, "links": []})
    });
    doc["assets"] = Value::Object(stored);
    let key = keys::scene_item(storage, &scene.aoi, &scene.source_id);
    put_json(&*ports.objects, &key, &doc).await?;
    Ok(())
}

/// Context of a tile run.
pub struct TileRun<'a> {
    /// The tile.
    pub tile: &'a TileRecord,
    /// Its scene.
    pub scene: &'a SceneRecord,
    /// Tile footprint (WKT; the scene's when unknown).
    pub footprint: &'a str,
    /// Area of the AOI's payload (WKT), if known.
    pub area: Option<&'a str>,
}

/// One output file of a tile.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// Layer name.
    pub layer: String,
    /// Object key.
    pub key: String,
    /// Media type.
    pub media_type: String,
}

/// Runs a tile's graph and publishes its outputs (STAC Item, datasets); returns the datasets.
pub async fn run_tile(
    ports: &Ports,
    run: &TileRun<'_>,
    graph: &TileGraph,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<Dataset>, TaskError> {
    let outputs = match graph {
        TileGraph::Pass => return Ok(Vec::new()),
        TileGraph::Copy => stored_product_files(ports, run).await?,
        TileGraph::Process(id) => run_process(ports, run, id).await?,
    };
    let scene = run.scene;
    let layers = &scene.data.instances_id;
    let datasets: Vec<Dataset> = outputs
        .iter()
        .map(|o| {
            let layer = if layers.contains_key(&o.layer) || layers.len() != 1 {
                o.layer.clone()
            } else {
                layers
                    .keys()
                    .next()
                    .cloned()
                    .unwrap_or_else(|| o.layer.clone())
            };
            Dataset {
                record_id: scene.data.record_id.clone(),
                tile_id: run.tile.id,
                tile: run.tile.source_id.clone(),
                instance_id: layers.get(&layer).cloned().unwrap_or_default(),
                layer,
                key: o.key.clone(),
                href: ports.objects.href(&o.key),
                media_type: o.media_type.clone(),
                wkt: run.footprint.to_string(),
                created: now,
            }
        })
        .collect();
    publish_tile_item(ports, run, &datasets).await?;
    Ok(datasets)
}

/// The stored product files of a tile: data assets of the scene's copied Item (for a burst,
/// those of its swath).
async fn stored_product_files(ports: &Ports, run: &TileRun<'_>) -> Result<Vec<Output>, TaskError> {
    let s = run.scene;
    let key = keys::scene_item(&s.data.storage_uri, &s.aoi, &s.source_id);
    let item: Value = match get_json(&*ports.objects, &key).await {
        Ok(v) => v,
        Err(stratus_core::Error::NoSuchObject(_)) => {
            return Err(TaskError::fatal(format!(
                "scene {} has no stored product (its scene graph must be CopyProductToStorage)",
                s.source_id
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let swath = run.tile.data.swath_id.to_ascii_lowercase();
    let mut out = Vec::new();
    for (k, a) in item["assets"].as_object().into_iter().flatten() {
        let roles: Vec<&str> = a["roles"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if !roles.is_empty() && !roles.contains(&"data") {
            continue;
        }
        let Some(stored) = a["stratus:key"].as_str() else {
            continue;
        };
        let matches_swath = swath.is_empty()
            || k.to_ascii_lowercase().contains(&swath)
            || stored.to_ascii_lowercase().contains(&swath);
        if !matches_swath {
            continue;
        }
        out.push(Output {
            layer: k.clone(),
            key: stored.to_string(),
            media_type: a["type"]
                .as_str()
                .unwrap_or("application/octet-stream")
                .to_string(),
        });
    }
    if out.is_empty() {
        return Err(TaskError::fatal(format!(
            "the stored product of scene {} has no data file for tile {}",
            s.source_id, run.tile.source_id
        )));
    }
    Ok(out)
}

/// The deterministic job id of a tile's process run.
fn tile_job_id(run: &TileRun<'_>) -> JobId {
    let key = format!(
        "stratus-ingest/{}/{}/{}",
        run.scene.aoi, run.scene.source_id, run.tile.source_id
    );
    let u = uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, key.as_bytes());
    JobId::parse(&u.hyphenated().to_string()).unwrap_or_else(|_| JobId::new_v7())
}

/// The inputs of a process run on a tile: `graph_config` values (JSON when they parse), and
/// `stac_items`/`stac_item` (the stored scene Item), `aoi` (the tile's bounding box within the
/// area, `minx,miny,maxx,maxy`) and `epsg` (`EPSG:4326`) when the process has such inputs.
fn process_inputs(
    ports: &Ports,
    run: &TileRun<'_>,
    description: &stratus_core::process::ProcessDescription,
) -> Map<String, Value> {
    let s = run.scene;
    let item_href =
        ports
            .objects
            .href(&keys::scene_item(&s.data.storage_uri, &s.aoi, &s.source_id));
    let mut bbox = Shape::from_wkt(run.footprint).map(|sh| sh.bbox()).ok();
    if let (Some(b), Some(area)) = (
        bbox.as_mut(),
        run.area.and_then(|a| Shape::from_wkt(a).ok()),
    ) {
        let a = area.bbox();
        let clipped = [
            b[0].max(a[0]),
            b[1].max(a[1]),
            b[2].min(a[2]),
            b[3].min(a[3]),
        ];
        if clipped[0] < clipped[2] && clipped[1] < clipped[3] {
            *b = clipped;
        }
    }
    let mut inputs = Map::new();
    for (id, desc) in &description.inputs {
        if let Some(v) = s.data.graph_config.get(id) {
            let value =
                serde_json::from_str::<Value>(v).unwrap_or_else(|_| Value::String(v.clone()));
            inputs.insert(id.clone(), value);
            continue;
        }
        let is_array = desc.schema.get("type").and_then(Value::as_str) == Some("array");
        match id.as_str() {
            "stac_items" | "stac_item" | "items" => {
                let v = if is_array {
                    json!([item_href])
                } else {
                    json!(item_href)
                };
                inputs.insert(id.clone(), v);
            }
            "aoi" | "bbox" => {
                if let Some(b) = bbox {
                    inputs.insert(
                        id.clone(),
                        json!(format!("{:.6},{:.6},{:.6},{:.6}", b[0], b[1], b[2], b[3])),
                    );
                }
            }
            "epsg" => {
                inputs.insert(id.clone(), json!("EPSG:4326"));
            }
            _ => {}
        }
    }
    inputs
}

/// Runs a process as a job on the tile and copies the files it published to the tile's keys.
async fn run_process(
    ports: &Ports,
    run: &TileRun<'_>,
    process_id: &str,
) -> Result<Vec<Output>, TaskError> {
    let process = ports.processes.get(process_id).await?;
    let description = process.description().clone();
    let inputs = process_inputs(ports, run, &description);
    let body = json!({"inputs": inputs});
    let submission = validate_request(&description, &body, &Preferences::default())
        .map_err(|e| TaskError::fatal(format!("tile graph {process_id}: {e}")))?;
    let id = tile_job_id(run);
    if let Ok(old) = ports.jobs.get(&id).await
        && old.status != JobStatus::Successful
    {
        ports
            .objects
            .delete_prefix(&stratus_core::keys::outputs_prefix(&id))
            .await?;
        ports
            .objects
            .delete_prefix(&stratus_core::keys::job_prefix(&id))
            .await?;
        ports.jobs.delete(&id).await?;
    }
    let job = match ports.jobs.get(&id).await {
        Ok(j) => j,
        Err(_) => {
            put_json(
                &*ports.objects,
                &stratus_core::keys::request(&id),
                &submission.inputs,
            )
            .await?;
            let job = Job::accepted(
                id.clone(),
                &description.id,
                submission.delivery,
                None,
                ports.clock.now(),
            );
            match ports.jobs.create(&job).await {
                Ok(()) | Err(stratus_core::Error::AlreadyExists(_)) => {}
                Err(e) => return Err(e.into()),
            }
            JobRunner::new(ports.clone(), 1).run(&id).await?
        }
    };
    if job.status != JobStatus::Successful {
        let message = job.message.unwrap_or_else(|| "the process failed".into());
        return Err(TaskError {
            fatal: job.failure == Some(FailureKind::InvalidInput),
            message: format!("{process_id}: {message}"),
        });
    }
    let s = run.scene;
    let mut out = Vec::new();
    for meta in ports
        .objects
        .list(&stratus_core::keys::outputs_prefix(&id))
        .await?
    {
        let name = file_name(&meta.key);
        if name.ends_with(".json") {
            continue;
        }
        let (stem, ext) = match name.rsplit_once('.') {
            Some((s, e)) => (s.to_string(), e.to_string()),
            None => (name.clone(), "bin".to_string()),
        };
        let key = keys::tile_output(
            &s.data.storage_uri,
            &s.aoi,
            &s.source_id,
            &run.tile.source_id,
            s.data.date,
            &stem,
            &ext,
        );
        let (bytes, meta) = ports.objects.get(&meta.key).await?;
        ports.objects.put(&key, bytes, &meta.content_type).await?;
        out.push(Output {
            layer: stem,
            key,
            media_type: meta.content_type,
        });
    }
    // The tile's copies are the published outputs: the job that made them goes.
    for prefix in [
        stratus_core::keys::outputs_prefix(&id),
        stratus_core::keys::job_prefix(&id),
    ] {
        ports.objects.delete_prefix(&prefix).await?;
    }
    ports.jobs.delete(&id).await?;
    Ok(out)
}

/// Writes the tile's STAC Item: footprint, date, chain, and one asset per dataset.
async fn publish_tile_item(
    ports: &Ports,
    run: &TileRun<'_>,
    datasets: &[Dataset],
) -> Result<(), TaskError> {
    let (t, s) = (run.tile, run.scene);
    let shape = Shape::from_wkt(run.footprint).ok();
    let assets: Map<String, Value> = datasets
        .iter()
        .map(|d| {
            (
                d.layer.clone(),
                json!({"href": d.href, "type": d.media_type, "roles": ["data"],
                       "stratus:instance_id": d.instance_id}),
            )
        })
        .collect();
    let item = json!({
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": format!("{}-{}-{}", s.aoi, s.data.date.format("%Y%m%d"), t.source_id),
        "geometry": shape.as_ref().map(Shape::to_geojson),
        "bbox": shape.as_ref().map(Shape::bbox),
        "properties": {
            "datetime": s.data.date.to_rfc3339(),
            "stratus:aoi": s.aoi,
            "stratus:scene": s.source_id,
            "stratus:tile": t.source_id,
            "stratus:tile_id": t.id,
            "stratus:record_id": s.data.record_id,
            "stratus:previous_tile_id": t.prev,
            "stratus:reference_tile_id": t.reference,
            "stratus:swath": t.data.swath_id,
            "stratus:tile_nr": t.data.tile_nr,
        },
        "links": [],
        "assets": assets,
    });
    let key = keys::tile_item(&s.data.storage_uri, &s.aoi, &s.source_id, &t.source_id);
    put_json(&*ports.objects, &key, &item).await?;
    Ok(())
}
