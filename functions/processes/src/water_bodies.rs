//! `water-bodies`: the EOAP reference application (crop -> NDWI -> Otsu -> STAC) as a built-in
//! process. One work item per STAC item, so the engines fan items out (local: concurrent
//! tasks; AWS: a Step Functions Map); each item publishes `results/{jobID}/{itemID}/otsu.tif`
//! and its STAC Item, and the job's output `stac_catalog` is the FeatureCollection of them.

use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use indexmap::IndexMap;
use serde_json::{Map, Value, json};
use stratus_core::execute::Inputs;
use stratus_core::ports::{Fetcher, put_json};
use stratus_core::process::{
    InputDescription, JobControl, OutputDescription, Process, ProcessDescription, ProcessError,
    RunContext, TransmissionMode, WorkItem,
};
use stratus_core::results::{OutputValue, Outputs};
use stratus_raster::{RangeSource, SourceResolver, WaterBodiesParams};

/// Most STAC items one job may process.
pub const MAX_ITEMS: usize = 100;
/// Largest crop window, in pixels per band (a full Sentinel-2 10 m tile is 120.6 M).
pub const MAX_WINDOW_PIXELS: u64 = 150_000_000;

/// The water-bodies process.
pub struct WaterBodies {
    description: ProcessDescription,
}

impl Default for WaterBodies {
    fn default() -> Self {
        Self::new()
    }
}

impl WaterBodies {
    /// The process with the interface of the EOAP water-bodies application package.
    pub fn new() -> Self {
        let mut inputs = IndexMap::new();
        inputs.insert(
            "stac_items".into(),
            InputDescription::new(
                "Sentinel-2 STAC items",
                "URLs of the STAC Items to process (https, http, s3 or file); assets are found by \
                 their eo:bands common name.",
                json!({"type": "array", "minItems": 1, "maxItems": MAX_ITEMS,
                       "items": {"type": "string", "format": "uri"}}),
            ),
        );
        inputs.insert(
            "aoi".into(),
            InputDescription::new(
                "Area of interest",
                "minx,miny,maxx,maxy in the CRS given by epsg",
                json!({"type": "string",
                       "pattern": "^\\s*-?[0-9.eE+-]+\\s*,\\s*-?[0-9.eE+-]+\\s*,\\s*-?[0-9.eE+-]+\\s*,\\s*-?[0-9.eE+-]+\\s*$"}),
            ),
        );
        inputs.insert(
            "epsg".into(),
            InputDescription::new(
                "CRS of the AOI",
                "EPSG code of the AOI coordinates",
                json!({"type": "string", "pattern": "^EPSG:[0-9]+$", "default": "EPSG:4326"}),
            )
            .optional(),
        );
        inputs.insert(
            "bands".into(),
            InputDescription::new(
                "Bands",
                "Common names of the two bands of the normalized difference (b0 - b1) / (b0 + b1)",
                json!({"type": "array", "minItems": 2, "maxItems": 2,
                       "items": {"type": "string"}, "default": ["green", "nir"]}),
            )
            .optional(),
        );
        let mut outputs = IndexMap::new();
        outputs.insert(
            "stac_catalog".into(),
            OutputDescription::new(
                "Water bodies",
                "A STAC FeatureCollection: one Item per input item with the Otsu water mask as a \
                 Cloud-Optimized GeoTIFF (asset 'data')",
                json!({"type": "object", "format": "geojson-feature-collection",
                       "contentMediaType": "application/geo+json"}),
            ),
        );
        WaterBodies {
            description: ProcessDescription {
                id: "water-bodies".into(),
                version: "1.0.0".into(),
                title: Some("Water bodies detection".into()),
                description: Some(
                    "Water bodies detection on Sentinel-2 with the NDWI and Otsu's threshold, \
                     pixel for pixel as the EOAP reference chain (crop, norm_diff, otsu, stac)."
                        .into(),
                ),
                keywords: vec![
                    "water".into(),
                    "ndwi".into(),
                    "otsu".into(),
                    "sentinel-2".into(),
                ],
                job_control_options: vec![
                    JobControl::AsyncExecute,
                    JobControl::SyncExecute,
                    JobControl::Dismiss,
                ],
                output_transmission: vec![TransmissionMode::Value, TransmissionMode::Reference],
                inputs,
                outputs,
                mutable: false,
            },
        }
    }
}

fn params(inputs: &Inputs) -> Result<WaterBodiesParams, ProcessError> {
    let text = |name: &str| {
        inputs
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| ProcessError::invalid(format!("input '{name}' must be a string")))
    };
    let mut p = WaterBodiesParams::new(text("aoi")?, text("epsg")?);
    if let Some(bands) = inputs.get("bands").and_then(Value::as_array) {
        p.bands = bands
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
    }
    p.options.max_pixels = Some(MAX_WINDOW_PIXELS);
    Ok(p)
}

/// Asset hrefs opened through the engine's [`Fetcher`]: one code path for https, s3 and file.
struct FetcherResolver {
    fetcher: Arc<dyn Fetcher>,
}

struct FetcherSource {
    url: String,
    len: u64,
    fetcher: Arc<dyn Fetcher>,
}

fn source_error(url: &str, e: ProcessError) -> stratus_raster::Error {
    stratus_raster::Error::source(url, e)
}

#[async_trait]
impl SourceResolver for FetcherResolver {
    async fn open(&self, href: &str) -> stratus_raster::Result<Arc<dyn RangeSource>> {
        let url = if href.starts_with('/') {
            format!("file://{href}")
        } else {
            href.to_string()
        };
        let len = self
            .fetcher
            .size(&url)
            .await
            .map_err(|e| source_error(&url, e))?;
        Ok(Arc::new(FetcherSource {
            url,
            len,
            fetcher: self.fetcher.clone(),
        }))
    }
}

#[async_trait]
impl RangeSource for FetcherSource {
    async fn len(&self) -> stratus_raster::Result<u64> {
        Ok(self.len)
    }

    async fn read_range(&self, range: Range<u64>) -> stratus_raster::Result<Bytes> {
        if range.end > self.len {
            return Err(stratus_raster::Error::source(
                &self.url,
                format!("range {range:?} past the end ({} bytes)", self.len),
            ));
        }
        let want = range.end - range.start;
        let body = self
            .fetcher
            .fetch_range(&self.url, range)
            .await
            .map_err(|e| source_error(&self.url, e))?;
        if body.len() as u64 != want {
            return Err(stratus_raster::Error::source(
                &self.url,
                format!("short read: {} of {want} bytes", body.len()),
            ));
        }
        Ok(body)
    }

    fn name(&self) -> &str {
        &self.url
    }
}

/// A raster error as a job failure naming the item: input problems are the client's, anything
/// else is internal; a fetch failure keeps the class the fetcher gave it.
fn item_failure(item_url: &str, e: stratus_raster::Error) -> ProcessError {
    use stratus_raster::Error as E;
    let message = format!("item {item_url}: {e}");
    if let E::Source { source, .. } = &e
        && let Some(pe) = source.downcast_ref::<ProcessError>()
    {
        return ProcessError {
            kind: pe.kind,
            message,
        };
    }
    match e {
        E::Encode(_) | E::Io { .. } | E::Task(_) => ProcessError::internal(message),
        E::Source { .. } => ProcessError::upstream(message),
        _ => ProcessError::invalid(message),
    }
}

fn item_url(item: &WorkItem) -> Result<&str, ProcessError> {
    item.payload
        .get("href")
        .and_then(Value::as_str)
        .ok_or_else(|| ProcessError::internal("work item without an href"))
}

#[async_trait]
impl Process for WaterBodies {
    fn description(&self) -> &ProcessDescription {
        &self.description
    }

    async fn plan(
        &self,
        inputs: &Inputs,
        _ctx: &RunContext,
    ) -> Result<Vec<WorkItem>, ProcessError> {
        params(inputs)?;
        let urls = inputs
            .get("stac_items")
            .and_then(Value::as_array)
            .ok_or_else(|| ProcessError::invalid("input 'stac_items' must be an array of URLs"))?;
        Ok(urls
            .iter()
            .enumerate()
            .map(|(i, url)| WorkItem {
                index: i as u32,
                payload: json!({"href": url}),
            })
            .collect())
    }

    async fn run_item(
        &self,
        inputs: &Inputs,
        item: &WorkItem,
        ctx: &RunContext,
    ) -> Result<Value, ProcessError> {
        let url = item_url(item)?;
        let params = params(inputs)?;
        let fetched = ctx.fetcher.fetch(url).await.map_err(|e| ProcessError {
            kind: e.kind,
            message: format!("item {url}: {}", e.message),
        })?;
        let stac: Value = serde_json::from_slice(&fetched.body).map_err(|e| {
            ProcessError::invalid(format!("item {url}: not a STAC Item JSON document: {e}"))
        })?;
        let resolver = FetcherResolver {
            fetcher: ctx.fetcher.clone(),
        };
        let out = stratus_raster::water_bodies(&stac, url, &resolver, &params)
            .await
            .map_err(|e| item_failure(url, e))?;
        tracing::info!(
            job = %ctx.job_id, item = %out.item_id, width = out.width, height = out.height,
            threshold = out.threshold, water = out.water_pixels, "water-bodies item done"
        );
        let dir = format!("{}{}", ctx.outputs_prefix(), out.item_id);
        let cog_key = format!("{dir}/{}", stratus_raster::OUTPUT_NAME);
        ctx.objects
            .put(&cog_key, out.cog, stratus_raster::stac::GEOTIFF_TYPE)
            .await
            .map_err(ProcessError::from)?;
        let mut stac_item = out.stac_item;
        publish_asset(&mut stac_item, &ctx.objects.href(&cog_key), ctx);
        put_json(
            &*ctx.objects,
            &format!("{dir}/{}.json", out.item_id),
            &stac_item,
        )
        .await
        .map_err(ProcessError::from)?;
        Ok(stac_item)
    }

    async fn finalize(
        &self,
        _inputs: &Inputs,
        items: Vec<Value>,
        ctx: &RunContext,
    ) -> Result<Outputs, ProcessError> {
        let links: Vec<Value> = items
            .iter()
            .filter_map(|i| i["id"].as_str())
            .map(|id| json!({"rel": "item", "href": format!("./{id}/{id}.json"), "type": "application/geo+json"}))
            .collect();
        let catalog = json!({
            "type": "Catalog", "stac_version": "1.1.0", "id": "catalog",
            "description": "water-bodies", "links": links,
        });
        put_json(
            &*ctx.objects,
            &format!("{}catalog.json", ctx.outputs_prefix()),
            &catalog,
        )
        .await
        .map_err(ProcessError::from)?;
        let collection = json!({"type": "FeatureCollection", "features": items});
        let mut outputs = Outputs::new();
        outputs.insert(
            "stac_catalog".into(),
            OutputValue::Inline {
                value: collection,
                media_type: Some("application/geo+json".into()),
                encoding: None,
            },
        );
        Ok(outputs)
    }
}

/// Points the `data` asset at the published COG and adds the store's `storage:*` fields.
fn publish_asset(item: &mut Value, href: &str, ctx: &RunContext) {
    let Some(asset) = item
        .get_mut("assets")
        .and_then(|a| a.get_mut("data"))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    asset.insert("href".into(), json!(href));
    if let Some(fields) = ctx.objects.storage_fields() {
        let fields: Map<String, Value> = fields;
        asset.extend(fields);
    }
}
