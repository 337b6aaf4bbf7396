//! The results page: every output of a successful job. A STAC FeatureCollection becomes a map
//! (item footprints plus a quicklook of each COG asset, rendered by `GET /quicklook/...`) and a
//! table of items with their download links; other values are shown as text or links.

use maud::{Markup, html};
use serde_json::{Value, json};
use stratus_core::documents::output_entry;
use stratus_core::job::Job;
use stratus_core::ports::ObjectStore;
use stratus_core::results::{OutputValue, Outputs};

use super::{Page, page, pretty};
use crate::error::ApiResult;
use crate::links::Base;

/// One asset of a result item.
pub struct AssetView {
    /// Asset key in the item.
    pub name: String,
    /// Media type.
    pub media_type: String,
    /// Where to download it.
    pub download: String,
    /// The quicklook PNG, for COGs this server stores.
    pub quicklook: Option<String>,
}

/// One STAC item of a result collection.
pub struct ItemView {
    /// Item id.
    pub id: String,
    /// `properties.datetime`.
    pub datetime: String,
    /// `bbox` in longitude/latitude.
    pub bbox: Option<[f64; 4]>,
    /// Its assets.
    pub assets: Vec<AssetView>,
}

/// How one output is shown.
pub enum OutputView {
    /// A STAC FeatureCollection: map and item table.
    Collection {
        /// Output id.
        id: String,
        /// Items.
        items: Vec<ItemView>,
        /// The collection itself (footprints for the map).
        collection: Value,
    },
    /// A value shown as text.
    Value {
        /// Output id.
        id: String,
        /// The results-document entry.
        entry: Value,
    },
    /// A stored object, linked.
    Link {
        /// Output id.
        id: String,
        /// Download URL.
        href: String,
        /// Media type.
        media_type: String,
    },
}

/// What the results page shows.
pub struct ResultsView {
    /// The job.
    pub job_id: String,
    /// The job's process.
    pub process_id: String,
    /// Its outputs in order.
    pub outputs: Vec<OutputView>,
}

fn is_cog(asset: &Value) -> bool {
    let typ = asset["type"].as_str().unwrap_or_default();
    let href = asset["href"].as_str().unwrap_or_default();
    typ.contains("image/tiff") || href.ends_with(".tif") || href.ends_with(".tiff")
}

fn bbox_of(item: &Value) -> Option<[f64; 4]> {
    let b: Vec<f64> = item["bbox"]
        .as_array()?
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    match b.as_slice() {
        [w, s, e, n] => Some([*w, *s, *e, *n]),
        [w, s, _, e, n, _] => Some([*w, *s, *e, *n]),
        _ => None,
    }
}

/// The object key of an href this store published (the inverse of [`ObjectStore::href`]).
pub fn key_of_href(objects: &dyn ObjectStore, href: &str) -> Option<String> {
    let prefix = objects.href("");
    href.strip_prefix(&prefix)
        .filter(|k| !k.is_empty() && !k.contains(".."))
        .map(str::to_string)
}

impl ResultsView {
    /// Reads the outputs of a successful job into what the page shows.
    pub async fn build(
        job: &Job,
        outputs: &Outputs,
        objects: &dyn ObjectStore,
        base: &Base,
    ) -> ApiResult<Self> {
        let mut views = Vec::new();
        for (id, out) in outputs {
            let view = match out {
                OutputValue::Inline { value, .. }
                    if value["type"] == "FeatureCollection" && value["features"].is_array() =>
                {
                    let mut items = Vec::new();
                    for f in value["features"].as_array().into_iter().flatten() {
                        let mut assets = Vec::new();
                        for (name, a) in f["assets"].as_object().into_iter().flatten() {
                            let href = a["href"].as_str().unwrap_or_default();
                            let key = key_of_href(objects, href);
                            let download = match &key {
                                Some(k) => objects.download_url(k).await?,
                                None => href.to_string(),
                            };
                            let quicklook = match (&key, bbox_of(f)) {
                                (Some(k), Some([w, s, e, n])) if is_cog(a) => {
                                    Some(base.url(&format!("/quicklook/{k}?bbox={w},{s},{e},{n}")))
                                }
                                _ => None,
                            };
                            assets.push(AssetView {
                                name: name.clone(),
                                media_type: a["type"].as_str().unwrap_or_default().to_string(),
                                download,
                                quicklook,
                            });
                        }
                        items.push(ItemView {
                            id: f["id"].as_str().unwrap_or_default().to_string(),
                            datetime: f["properties"]["datetime"]
                                .as_str()
                                .unwrap_or_default()
                                .to_string(),
                            bbox: bbox_of(f),
                            assets,
                        });
                    }
                    OutputView::Collection {
                        id: id.clone(),
                        items,
                        collection: value.clone(),
                    }
                }
                OutputValue::Stored { key, media_type } => OutputView::Link {
                    id: id.clone(),
                    href: objects.download_url(key).await?,
                    media_type: media_type.clone(),
                },
                inline => OutputView::Value {
                    id: id.clone(),
                    entry: output_entry(inline, objects).await?,
                },
            };
            views.push(view);
        }
        Ok(ResultsView {
            job_id: job.id.as_str().to_string(),
            process_id: job.process_id.clone(),
            outputs: views,
        })
    }

    /// The map layers handed to the script: per item its footprint, bbox and quicklooks.
    fn layers(&self) -> Value {
        let mut layers = Vec::new();
        for out in &self.outputs {
            if let OutputView::Collection {
                id,
                items,
                collection,
            } = out
            {
                for (item, feature) in items.iter().zip(
                    collection["features"]
                        .as_array()
                        .map(Vec::as_slice)
                        .unwrap_or_default(),
                ) {
                    layers.push(json!({
                        "output": id,
                        "id": item.id,
                        "bbox": item.bbox,
                        "geometry": feature["geometry"],
                        "quicklooks": item.assets.iter().filter_map(|a| a.quicklook.as_ref().map(|q| json!({"asset": a.name, "url": q}))).collect::<Vec<_>>(),
                    }));
                }
            }
        }
        Value::Array(layers)
    }
}

/// The results page.
pub fn results_page(base: &Base, view: &ResultsView, basemap: Option<&str>) -> Markup {
    let job_url = base.url(&format!("/jobs/{}", view.job_id));
    let layers = view.layers();
    let map = layers.as_array().is_some_and(|l| !l.is_empty());
    Page {
        base,
        title: format!("Results of job {}", view.job_id),
        url: format!("{job_url}/results"),
        trail: vec![
            ("Home".into(), page(base, "/")),
            ("Jobs".into(), page(base, "/jobs")),
            (
                format!("Job {}", view.job_id),
                page(base, &format!("/jobs/{}", view.job_id)),
            ),
        ],
        map,
        kind: "results",
        data: Some(json!({ "layers": layers })),
        basemap,
    }
    .render(html! {
        p {
            "Outputs of "
            a href=(page(base, &format!("/processes/{}", view.process_id))) { (view.process_id) }
            "."
        }
        @if map {
            section #map.map aria-label="Map of the result items: footprints and quicklooks" {}
        }
        @for out in &view.outputs {
            @match out {
                OutputView::Collection { id, items, .. } => {
                    h2 { "Output " code { (id) } }
                    table.items {
                        thead {
                            tr {
                                th scope="col" { "Item" }
                                th scope="col" { "Date" }
                                th scope="col" { "Bounding box" }
                                th scope="col" { "Assets" }
                            }
                        }
                        tbody {
                            @for item in items {
                                tr {
                                    td { code { (item.id) } }
                                    td { (item.datetime) }
                                    td {
                                        @if let Some([w, s, e, n]) = item.bbox {
                                            (format!("{w:.4}, {s:.4}, {e:.4}, {n:.4}"))
                                        }
                                    }
                                    td {
                                        ul.assets {
                                            @for a in &item.assets {
                                                li {
                                                    a href=(a.download) download { (a.name) }
                                                    " " span.type { (a.media_type) }
                                                    @if let Some(q) = &a.quicklook {
                                                        " · " a href=(q) { "quicklook" }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                OutputView::Value { id, entry } => {
                    h2 { "Output " code { (id) } }
                    pre.value { (match entry { Value::String(s) => s.clone(), v => pretty(v) }) }
                }
                OutputView::Link { id, href, media_type } => {
                    h2 { "Output " code { (id) } }
                    p { a href=(href) download { "Download" } " " span.type { (media_type) } }
                }
            }
        }
    })
}
