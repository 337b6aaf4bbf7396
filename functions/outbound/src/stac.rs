//! The ingestion catalogue on STAC APIs: item search (`POST {api}/search` with `collections`,
//! `intersects`, `datetime` and `limit`), catalogue parameters as the `query` extension or a
//! CQL2-JSON `filter` (whichever the API's conformance declares, or as configured), paging by
//! `next` links (`GET`, or `POST` with a body to merge), one or more providers per
//! constellation tried in order.
//!
//! The configuration is JSON (file or inline, see [`CatalogueConfig`]); [`default_config`]
//! points Sentinel-2 and Landsat at Element 84's earth-search v1 and Sentinel-1 at the
//! Copernicus Data Space STAC, with Microsoft's Planetary Computer as a fallback for both.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use stratus_ingest::area::{Area, Constellation};
use stratus_ingest::geom::Shape;
use stratus_ingest::model::MAX_SCENES_PER_REQUEST;
use stratus_ingest::ports::{Catalogue, FoundScene};
use stratus_ingest::{Error, Result};
use tokio::sync::OnceCell;

use crate::client::HttpClient;

/// How catalogue parameters reach the API.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FilterMode {
    /// From the API's conformance: CQL2-JSON `filter` if declared, else `query`, else none.
    #[default]
    Auto,
    /// The STAC API `query` extension.
    Query,
    /// A CQL2-JSON `filter`.
    Cql2,
    /// Nothing sent; items are filtered here.
    None,
}

/// One STAC API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProviderConfig {
    /// Name, kept in the `provider` tag of scenes.
    pub name: String,
    /// Root URL of the API (its landing page; `/search` is below it).
    pub url: String,
    /// Collections to search, per constellation (`sentinel1`, `sentinel2`, `landsat89`, ...).
    pub collections: BTreeMap<String, Vec<String>>,
    /// How parameters are sent.
    #[serde(default)]
    pub filter: FilterMode,
    /// Payload parameter (lower case) -> STAC property, added to the defaults.
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
    /// Properties holding the product name, first found wins (default: `s2:product_uri`,
    /// `s1:product_identifier`, `landsat:scene_id`; else the item id). A `.SAFE` suffix is cut.
    #[serde(default)]
    pub source_id: Vec<String>,
    /// Items per search page.
    #[serde(default = "default_page_size")]
    pub page_size: u32,
}

fn default_page_size() -> u32 {
    100
}

/// The catalogue configuration: providers, tried in order for a constellation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogueConfig {
    /// The providers.
    pub providers: Vec<ProviderConfig>,
}

impl CatalogueConfig {
    /// Reads a configuration document.
    pub fn parse(text: &str) -> Result<Self> {
        let config: CatalogueConfig = serde_json::from_str(text)
            .map_err(|e| Error::invalid(format!("catalogue configuration: {e}")))?;
        for p in &config.providers {
            for c in p.collections.keys() {
                if Constellation::parse(c).is_none() {
                    return Err(Error::invalid(format!(
                        "catalogue configuration: provider {}: unknown constellation '{c}'",
                        p.name
                    )));
                }
            }
            if !(p.url.starts_with("http://") || p.url.starts_with("https://")) {
                return Err(Error::invalid(format!(
                    "catalogue configuration: provider {}: url is http(s)",
                    p.name
                )));
            }
        }
        Ok(config)
    }
}

/// The built-in providers: earth-search v1 (Sentinel-2 L2A, Landsat C2 L2), Copernicus Data
/// Space (Sentinel-1 SLC, Sentinel-2 L2A) and Planetary Computer (Sentinel-1 GRD, Sentinel-2
/// L2A, Landsat C2 L2).
pub fn default_config() -> CatalogueConfig {
    let provider = |name: &str, url: &str, collections: &[(&str, &str)]| ProviderConfig {
        name: name.into(),
        url: url.into(),
        collections: collections
            .iter()
            .map(|(c, id)| (c.to_string(), vec![id.to_string()]))
            .collect(),
        filter: FilterMode::Auto,
        properties: BTreeMap::new(),
        source_id: Vec::new(),
        page_size: default_page_size(),
    };
    CatalogueConfig {
        providers: vec![
            provider(
                "earth-search",
                "https://earth-search.aws.element84.com/v1",
                &[
                    ("sentinel2", "sentinel-2-l2a"),
                    ("landsat89", "landsat-c2-l2"),
                ],
            ),
            provider(
                "copernicus-dataspace",
                "https://stac.dataspace.copernicus.eu/v1",
                &[
                    ("sentinel1", "sentinel-1-slc"),
                    ("sentinel2", "sentinel-2-l2a"),
                ],
            ),
            provider(
                "planetary-computer",
                "https://planetarycomputer.microsoft.com/api/stac/v1",
                &[
                    ("sentinel1", "sentinel-1-grd"),
                    ("sentinel2", "sentinel-2-l2a"),
                    ("landsat89", "landsat-c2-l2"),
                ],
            ),
        ],
    }
}

/// Payload parameters the catalogue understands by default, and their STAC property.
const DEFAULT_PROPERTIES: &[(&str, &str)] = &[
    ("cloudcoverpercentage", "eo:cloud_cover"),
    ("relativeorbitnumber", "sat:relative_orbit"),
    ("orbitnumber", "sat:absolute_orbit"),
    ("orbitdirection", "sat:orbit_state"),
    ("producttype", "product:type"),
    ("sensoroperationalmode", "sar:instrument_mode"),
    ("polarisationmode", "sar:polarizations"),
    ("platform", "platform"),
];

/// A condition on one property.
#[derive(Debug, Clone, PartialEq)]
enum Condition {
    /// Equal to a number or a string (a list property contains it).
    Eq(Value),
    /// Within bounds (`[a TO b]` inclusive, `{a TO b}` exclusive, `*` open).
    Range {
        low: Option<f64>,
        high: Option<f64>,
        inclusive: (bool, bool),
    },
}

fn parse_value(s: &str) -> Value {
    match s.trim().parse::<f64>() {
        Ok(n) if n.is_finite() => json!(n),
        _ => Value::String(s.trim().to_string()),
    }
}

/// Reads a parameter value: `[0 TO 80]`, `{10 TO *]`, `44`, `SLC`.
fn parse_condition(name: &str, raw: &str) -> Result<Condition> {
    let t = raw.trim();
    let open = t.chars().next();
    let close = t.chars().last();
    if matches!(open, Some('[' | '{')) && matches!(close, Some(']' | '}')) && t.len() >= 2 {
        let inner = &t[1..t.len() - 1];
        let (a, b) = inner
            .split_once(" TO ")
            .or_else(|| inner.split_once(" to "))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "scene_type.parameters.{name}: '{raw}' is not a range like '[0 TO 80]'"
                ))
            })?;
        let bound = |s: &str| -> Result<Option<f64>> {
            let s = s.trim();
            if s == "*" {
                return Ok(None);
            }
            s.parse::<f64>().map(Some).map_err(|_| {
                Error::invalid(format!(
                    "scene_type.parameters.{name}: '{s}' is not a number"
                ))
            })
        };
        return Ok(Condition::Range {
            low: bound(a)?,
            high: bound(b)?,
            inclusive: (open == Some('['), close == Some(']')),
        });
    }
    Ok(Condition::Eq(parse_value(t)))
}

/// The property conditions of a payload's `scene_type.parameters` for a provider; an unknown
/// parameter is `Invalid` naming it.
fn conditions(area: &Area, provider: &ProviderConfig) -> Result<Vec<(String, Condition)>> {
    let mut names: BTreeMap<String, String> = DEFAULT_PROPERTIES
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    names.extend(
        provider
            .properties
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.clone())),
    );
    area.scene_type
        .parameters
        .iter()
        .map(|(k, v)| {
            let prop = names.get(&k.to_ascii_lowercase()).ok_or_else(|| {
                Error::invalid(format!(
                    "scene_type.parameters: '{k}' is not supported by the catalogue (known: {})",
                    names.keys().cloned().collect::<Vec<_>>().join(", ")
                ))
            })?;
            let mut cond = parse_condition(k, v)?;
            if prop == "sat:orbit_state"
                && let Condition::Eq(Value::String(s)) = &cond
            {
                cond = Condition::Eq(Value::String(s.to_ascii_lowercase()));
            }
            Ok((prop.clone(), cond))
        })
        .collect()
}

/// The `query` extension object of conditions. List properties (`sar:polarizations`) have no
/// `query` operator: they are checked here on the items only.
fn query_of(conds: &[(String, Condition)]) -> Value {
    let mut q = Map::new();
    for (p, c) in conds {
        if p == "sar:polarizations" {
            continue;
        }
        let v = match c {
            Condition::Eq(v) => json!({ "eq": v }),
            Condition::Range {
                low,
                high,
                inclusive,
            } => {
                let mut m = Map::new();
                if let Some(l) = low {
                    m.insert((if inclusive.0 { "gte" } else { "gt" }).into(), json!(l));
                }
                if let Some(h) = high {
                    m.insert((if inclusive.1 { "lte" } else { "lt" }).into(), json!(h));
                }
                Value::Object(m)
            }
        };
        q.insert(p.clone(), v);
    }
    Value::Object(q)
}

/// The CQL2-JSON filter of conditions (`a_contains` for list properties).
fn cql2_of(conds: &[(String, Condition)]) -> Value {
    let prop = |p: &str| json!({ "property": p });
    let mut args = Vec::new();
    for (p, c) in conds {
        match c {
            Condition::Eq(v) if p == "sar:polarizations" => {
                let list: Vec<Value> = v
                    .as_str()
                    .unwrap_or_default()
                    .split([' ', '+', ','])
                    .filter(|s| !s.is_empty())
                    .map(|s| json!(s.to_ascii_uppercase()))
                    .collect();
                args.push(json!({"op": "a_contains", "args": [prop(p), list]}));
            }
            Condition::Eq(v) => args.push(json!({"op": "=", "args": [prop(p), v]})),
            Condition::Range {
                low,
                high,
                inclusive,
            } => {
                if let Some(l) = low {
                    let op = if inclusive.0 { ">=" } else { ">" };
                    args.push(json!({"op": op, "args": [prop(p), l]}));
                }
                if let Some(h) = high {
                    let op = if inclusive.1 { "<=" } else { "<" };
                    args.push(json!({"op": op, "args": [prop(p), h]}));
                }
            }
        }
    }
    match args.len() {
        1 => args.remove(0),
        _ => json!({"op": "and", "args": args}),
    }
}

/// Whether an item's properties satisfy the conditions (those it has; a missing property
/// passes, the API having filtered already when it could).
fn item_matches(props: &Value, conds: &[(String, Condition)]) -> bool {
    conds.iter().all(|(p, c)| {
        let Some(v) = props.get(p) else { return true };
        match c {
            Condition::Eq(want) => match (v, want) {
                (Value::Array(list), Value::String(s)) => {
                    s.split([' ', '+', ',']).filter(|x| !x.is_empty()).all(|x| {
                        list.iter()
                            .any(|i| i.as_str().is_some_and(|i| i.eq_ignore_ascii_case(x)))
                    })
                }
                (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
                (Value::String(a), Value::String(b)) => a.eq_ignore_ascii_case(b),
                (Value::String(a), Value::Number(b)) => a.parse::<f64>().ok() == b.as_f64(),
                (Value::Number(a), Value::String(b)) => b.parse::<f64>().ok() == a.as_f64(),
                _ => false,
            },
            Condition::Range {
                low,
                high,
                inclusive,
            } => {
                let Some(x) = v.as_f64() else { return false };
                let lo = low.is_none_or(|l| if inclusive.0 { x >= l } else { x > l });
                let hi = high.is_none_or(|h| if inclusive.1 { x <= h } else { x < h });
                lo && hi
            }
        }
    })
}

fn prop_str(props: &Value, key: &str) -> Option<String> {
    match props.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(a) => Some(
            a.iter()
                .filter_map(|v| {
                    v.as_str()
                        .map(str::to_string)
                        .or_else(|| Some(v.to_string()))
                })
                .collect::<Vec<_>>()
                .join(" "),
        ),
        _ => None,
    }
}

/// Whether an href names a product annotation file (`.../annotation/s1*.xml`, not the
/// calibration or noise files below it).
fn is_annotation(href: &str) -> bool {
    let path = href.split(['?', '#']).next().unwrap_or(href);
    let mut parts = path.rsplit('/');
    let (Some(file), Some(dir)) = (parts.next(), parts.next()) else {
        return false;
    };
    dir == "annotation" && file.starts_with("s1") && file.ends_with(".xml")
}

/// A found scene from a STAC Item.
fn scene_of(
    item: &Value,
    provider: &ProviderConfig,
    constellation: Constellation,
    api_url: &str,
) -> Result<FoundScene> {
    let id = item["id"].as_str().unwrap_or_default().to_string();
    let bad = |why: &str| Error::Catalogue(format!("{}: item '{id}': {why}", provider.name));
    let props = &item["properties"];
    let date: DateTime<Utc> = props["datetime"]
        .as_str()
        .or_else(|| props["start_datetime"].as_str())
        .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
        .map(|d| d.with_timezone(&Utc))
        .ok_or_else(|| bad("no datetime"))?;
    let shape = Shape::from_geojson(&item["geometry"]).map_err(|e| bad(&e.to_string()))?;
    let default_sources = [
        "s2:product_uri",
        "s1:product_identifier",
        "landsat:scene_id",
        "product_uri",
    ];
    let candidates: Vec<&str> = if provider.source_id.is_empty() {
        default_sources.to_vec()
    } else {
        provider.source_id.iter().map(String::as_str).collect()
    };
    let source_id = candidates
        .iter()
        .find_map(|k| prop_str(props, k))
        .map(|s| {
            let s = s.rsplit('/').next().unwrap_or(&s).to_string();
            s.strip_suffix(".SAFE").map(str::to_string).unwrap_or(s)
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| id.clone());
    let mut tags = BTreeMap::new();
    let mut tag = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            tags.insert(k.to_string(), v);
        }
    };
    tag("constellation", Some(constellation.tag().to_string()));
    tag(
        "satellite",
        prop_str(props, "platform").map(|p| p.replace('-', "").to_ascii_uppercase()),
    );
    tag("orbit", prop_str(props, "sat:absolute_orbit"));
    tag("relativeOrbit", prop_str(props, "sat:relative_orbit"));
    tag(
        "orbitDirection",
        Some(
            prop_str(props, "sat:orbit_state")
                .unwrap_or_default()
                .to_ascii_uppercase(),
        ),
    );
    tag(
        "productType",
        prop_str(props, "product:type")
            .or_else(|| prop_str(props, "s1:product_type"))
            .or_else(|| prop_str(props, "s2:product_type")),
    );
    tag("cloudCoverPercentage", prop_str(props, "eo:cloud_cover"));
    tag(
        "ingestionDate",
        prop_str(props, "published").or_else(|| prop_str(props, "created")),
    );
    tag("polarisationMode", prop_str(props, "sar:polarizations"));
    tag("sensorMode", prop_str(props, "sar:instrument_mode"));
    tag("sliceNumber", prop_str(props, "s1:slice_number"));
    tag("sourceID", Some(source_id.clone()));
    tag("uuid", Some(id.clone()));
    tag("provider", Some(provider.name.clone()));
    let self_link = item["links"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|l| l["rel"] == "self")
        .and_then(|l| l["href"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| {
            format!(
                "{}/collections/{}/items/{id}",
                api_url.trim_end_matches('/'),
                item["collection"].as_str().unwrap_or_default()
            )
        });
    let mut assets = Map::new();
    let mut annotations = Vec::new();
    for (k, a) in item["assets"].as_object().into_iter().flatten() {
        let Some(href) = a["href"].as_str() else {
            continue;
        };
        if is_annotation(href) {
            annotations.push(json!(href));
        }
        assets.insert(k.clone(), a.clone());
    }
    let mut metadata = Map::new();
    metadata.insert("download_link".into(), json!(self_link));
    metadata.insert("assets".into(), Value::Object(assets));
    if !annotations.is_empty() {
        metadata.insert("annotations".into(), Value::Array(annotations));
    }
    Ok(FoundScene {
        source_id,
        uuid: id,
        date,
        shape,
        tags,
        metadata,
    })
}

struct Provider {
    config: ProviderConfig,
    mode: OnceCell<FilterMode>,
}

/// The STAC API catalogue: providers per constellation, tried in order.
#[derive(Clone)]
pub struct StacCatalogue {
    http: HttpClient,
    providers: Arc<Vec<Provider>>,
}

impl StacCatalogue {
    /// A catalogue over `config`, reaching the APIs through `http`.
    pub fn new(http: HttpClient, config: CatalogueConfig) -> Self {
        StacCatalogue {
            http,
            providers: Arc::new(
                config
                    .providers
                    .into_iter()
                    .map(|config| Provider {
                        config,
                        mode: OnceCell::new(),
                    })
                    .collect(),
            ),
        }
    }

    fn providers_for(
        &self,
        constellation: Constellation,
    ) -> impl Iterator<Item = (&Provider, &Vec<String>)> {
        self.providers.iter().filter_map(move |p| {
            p.config
                .collections
                .iter()
                .find(|(c, _)| Constellation::parse(c) == Some(constellation))
                .map(|(_, cols)| (p, cols))
        })
    }

    async fn get_json(&self, url: &str) -> Result<Value> {
        let (body, _) = self
            .http
            .get_bytes(url)
            .await
            .map_err(|e| Error::Catalogue(e.to_string()))?;
        serde_json::from_slice(&body).map_err(|e| Error::Catalogue(format!("{url}: not JSON: {e}")))
    }

    async fn post_json(&self, url: &str, body: &Value) -> Result<Value> {
        let (bytes, _) = self
            .http
            .post_json_for(url, body)
            .await
            .map_err(|e| Error::Catalogue(e.to_string()))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| Error::Catalogue(format!("{url}: not JSON: {e}")))
    }

    async fn mode(&self, p: &Provider) -> Result<FilterMode> {
        if p.config.filter != FilterMode::Auto {
            return Ok(p.config.filter);
        }
        p.mode
            .get_or_try_init(|| async {
                let root = self.get_json(&p.config.url).await?;
                let classes: Vec<&str> = root["conformsTo"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                let has = |needle: &str| classes.iter().any(|c| c.contains(needle));
                Ok(if has("item-search#filter") && has("cql2-json") {
                    FilterMode::Cql2
                } else if has("item-search#query") {
                    FilterMode::Query
                } else {
                    FilterMode::None
                })
            })
            .await
            .copied()
    }

    async fn search_provider(
        &self,
        p: &Provider,
        collections: &[String],
        area: &Area,
        page: u32,
        limit: Option<u32>,
    ) -> Result<Vec<FoundScene>> {
        let (start, end) = area.interval()?;
        let conds = conditions(area, &p.config)?;
        let mode = self.mode(p).await?;
        let per_page = limit
            .unwrap_or(p.config.page_size)
            .clamp(1, p.config.page_size.max(1));
        let mut body = json!({
            "collections": collections,
            "intersects": area.shape.to_geojson(),
            "datetime": format!("{}/{}", start.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                                end.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
            "limit": per_page,
        });
        if !conds.is_empty() {
            match mode {
                FilterMode::Query => body["query"] = query_of(&conds),
                FilterMode::Cql2 => {
                    body["filter-lang"] = json!("cql2-json");
                    body["filter"] = cql2_of(&conds);
                }
                FilterMode::None | FilterMode::Auto => {}
            }
        }
        let skip = limit.map_or(0, |l| u64::from(l) * u64::from(page));
        let want = limit.map_or(MAX_SCENES_PER_REQUEST as u64, u64::from);
        let search_url = format!("{}/search", p.config.url.trim_end_matches('/'));
        let mut seen: u64 = 0;
        let mut out = Vec::new();
        let mut request: (String, Option<Value>) = (search_url, Some(body));
        let mut pages = 0;
        loop {
            pages += 1;
            let doc = match &request {
                (url, Some(b)) => self.post_json(url, b).await?,
                (url, None) => self.get_json(url).await?,
            };
            tracing::debug!(provider = %p.config.name, request = ?request, found = doc["features"].as_array().map(Vec::len), "catalogue page");
            let features = doc["features"].as_array().ok_or_else(|| {
                Error::Catalogue(format!(
                    "{}: the search answered no features",
                    p.config.name
                ))
            })?;
            for item in features {
                if !item_matches(&item["properties"], &conds) {
                    continue;
                }
                seen += 1;
                if seen <= skip {
                    continue;
                }
                out.push(scene_of(
                    item,
                    &p.config,
                    area.constellation,
                    &p.config.url,
                )?);
                if out.len() as u64 >= want {
                    return Ok(out);
                }
            }
            if features.is_empty() {
                break;
            }
            let next = doc["links"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|l| l["rel"] == "next")
                .cloned();
            let Some(next) = next else { break };
            let Some(href) = next["href"].as_str() else {
                break;
            };
            let method = next["method"]
                .as_str()
                .unwrap_or("GET")
                .to_ascii_uppercase();
            request = if method == "POST" || next.get("body").is_some() {
                let mut b = request.1.clone().unwrap_or_else(|| json!({}));
                match next.get("body") {
                    Some(Value::Object(nb)) if next["merge"].as_bool().unwrap_or(false) => {
                        for (k, v) in nb {
                            b[k] = v.clone();
                        }
                    }
                    Some(nb @ Value::Object(_)) => b = nb.clone(),
                    _ => {}
                }
                (href.to_string(), Some(b))
            } else {
                (href.to_string(), None)
            };
            if pages > 10_000 {
                return Err(Error::Catalogue(format!(
                    "{}: the search does not end",
                    p.config.name
                )));
            }
        }
        if limit.is_none() && out.len() >= MAX_SCENES_PER_REQUEST {
            return Err(Error::TooLarge {
                what: "the scenes of the search".into(),
                limit: format!("{MAX_SCENES_PER_REQUEST}; use page and limit"),
            });
        }
        Ok(out)
    }
}

#[async_trait]
impl Catalogue for StacCatalogue {
    async fn search(&self, area: &Area, page: u32, limit: Option<u32>) -> Result<Vec<FoundScene>> {
        let mut errors = Vec::new();
        for (p, collections) in self.providers_for(area.constellation) {
            match self
                .search_provider(p, collections, area, page, limit)
                .await
            {
                Ok(found) => return Ok(found),
                Err(Error::Invalid(m)) => return Err(Error::Invalid(m)),
                Err(e) => {
                    tracing::warn!(provider = %p.config.name, error = %e, "catalogue search failed");
                    errors.push(format!("{}: {e}", p.config.name));
                }
            }
        }
        if errors.is_empty() {
            return Err(Error::Catalogue(format!(
                "no catalogue is configured for '{}'",
                area.constellation
            )));
        }
        Err(Error::Catalogue(errors.join("; ")))
    }

    fn supports(&self, constellation: Constellation) -> bool {
        self.providers_for(constellation).next().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn area(params: &str) -> Area {
        Area::parse(
            format!(
                r#"{{"name":"a","type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]],
                "start_time":"2022-01-01T00:00:00Z","end_time":"2022-02-01T00:00:00Z",
                "scene_type":{{"constellation":"sentinel1","parameters":{params}}}}}"#
            )
            .as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn parameters_become_query_and_cql2() {
        let p = &default_config().providers[1];
        let conds = conditions(
            &area(r#"{"cloudcoverpercentage":"[0 TO 80]","relativeorbitnumber":"44","orbitdirection":"ASCENDING"}"#),
            p,
        )
        .unwrap();
        assert_eq!(
            query_of(&conds),
            json!({"eo:cloud_cover": {"gte": 0.0, "lte": 80.0}, "sat:orbit_state": {"eq": "ascending"},
                   "sat:relative_orbit": {"eq": 44.0}})
        );
        let cql = cql2_of(&conds);
        assert_eq!(cql["op"], "and");
        assert_eq!(cql["args"].as_array().unwrap().len(), 4);
        assert_eq!(
            cql["args"][0],
            json!({"op": ">=", "args": [{"property": "eo:cloud_cover"}, 0.0]})
        );
        let open = conditions(&area(r#"{"cloudcoverpercentage":"{10 TO *]"}"#), p).unwrap();
        assert_eq!(query_of(&open), json!({"eo:cloud_cover": {"gt": 10.0}}));
        let e = conditions(&area(r#"{"colour":"red"}"#), p).unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
        assert!(conditions(&area(r#"{"cloudcoverpercentage":"[a TO 3]"}"#), p).is_err());
    }

    #[test]
    fn items_are_checked_here_too() {
        let conds = vec![
            (
                "eo:cloud_cover".to_string(),
                parse_condition("c", "[0 TO 80]").unwrap(),
            ),
            (
                "sar:polarizations".to_string(),
                parse_condition("p", "VV VH").unwrap(),
            ),
        ];
        assert!(item_matches(
            &json!({"eo:cloud_cover": 50, "sar:polarizations": ["VV", "VH"]}),
            &conds
        ));
        assert!(!item_matches(&json!({"eo:cloud_cover": 95}), &conds));
        assert!(!item_matches(&json!({"sar:polarizations": ["HH"]}), &conds));
        assert!(item_matches(&json!({}), &conds));
    }

    #[test]
    fn items_become_scenes() {
        let item = json!({
            "type": "Feature", "id": "S1A_IW_SLC__1SDV_20220104T053330_X", "collection": "sentinel-1-slc",
            "geometry": {"type": "Polygon", "coordinates": [[[9,54],[11,54],[11,56],[9,56],[9,54]]]},
            "properties": {"datetime": "2022-01-04T05:33:30Z", "platform": "sentinel-1a",
                           "sat:relative_orbit": 44, "sat:orbit_state": "ascending",
                           "s1:product_identifier": "S1A_IW_SLC__1SDV_20220104T053330_X.SAFE",
                           "sar:polarizations": ["VV", "VH"], "product:type": "SLC"},
            "assets": {
                "iw1-vv-annotation": {"href": "https://h/p.SAFE/annotation/s1a-iw1-slc-vv-x.xml", "roles": ["metadata"]},
                "iw1-vv-calibration": {"href": "https://h/p.SAFE/annotation/calibration/calibration-s1a-iw1-slc-vv-x.xml"},
                "iw1-vv": {"href": "https://h/p.SAFE/measurement/s1a-iw1-slc-vv-x.tiff", "type": "image/tiff", "roles": ["data"]}
            },
            "links": [{"rel": "self", "href": "https://api/collections/c/items/x"}]
        });
        let s = scene_of(
            &item,
            &default_config().providers[1],
            Constellation::Sentinel1,
            "https://api",
        )
        .unwrap();
        assert_eq!(s.source_id, "S1A_IW_SLC__1SDV_20220104T053330_X");
        assert_eq!(s.tags["orbitDirection"], "ASCENDING");
        assert_eq!(s.tags["relativeOrbit"], "44");
        assert_eq!(s.tags["satellite"], "SENTINEL1A");
        assert_eq!(s.tags["polarisationMode"], "VV VH");
        assert_eq!(
            s.metadata["download_link"],
            "https://api/collections/c/items/x"
        );
        assert_eq!(s.metadata["annotations"].as_array().unwrap().len(), 1);
        assert_eq!(s.metadata["assets"].as_object().unwrap().len(), 3);
    }
}
