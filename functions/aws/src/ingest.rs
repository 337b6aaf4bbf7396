//! Ingestion on AWS: configuration, wiring, the Step Functions dispatcher, the state machine's
//! task handlers, the event triggers (an uploaded payload, a schedule) and the bearer-token
//! Lambda authorizer of the HTTP API.
//!
//! | Variable | Meaning | Default |
//! |---|---|---|
//! | `STRATUS_INGEST_TABLE` | DynamoDB table of AOIs, scenes, tiles, records, registry | required |
//! | `STRATUS_INGEST_STATE_MACHINE_ARN` | the ingestion state machine (functions that dispatch work) | none |
//! | `STRATUS_CATALOGUES` | catalogue providers, JSON or its base64 (see `stratus_outbound::stac`) | earth-search, CDSE, Planetary Computer |
//! | `STRATUS_INGEST_PAYLOAD_PREFIX` | key prefix whose uploads start ingestions | `ingest/payloads/` |
//! | `STRATUS_SCHEDULE_PAYLOAD` | key of the payload a schedule runs | none |
//! | `STRATUS_SCHEDULE_WINDOW` | relative window a schedule ingests (`24h`, `7d`) | `24h` |
//! | `STRATUS_TOKENS` | bearer tokens the authorizer accepts (comma-separated) | none: every request allowed |
//!
//! The state machine (`infra/statemachines/ingest.asl.json`) runs one execution per dispatch:
//! a Distributed Map over the manifest (`[{"scene": id} | {"tiles": [id]}]`) whose iterations
//! download a scene (`{"scene", "owner"}` -> `{"again", "tiles"}`, looping while `again`), then
//! process the tiles it made runnable, each in an inline loop that keeps a chain in order
//! (`{"tiles": [id...], "owner"}` -> `{"tiles": rest + new, "again"}`).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_config::{BehaviorVersion, SdkConfig};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use stratus_api::AppState;
use stratus_core::ports::ObjectStore;
use stratus_ingest::area::Area;
use stratus_ingest::keys;
use stratus_ingest::ports::{Dispatcher, Work};
use stratus_ingest::runner::{IngestRunner, TaskOutcome};
use stratus_ingest::service::{IngestPorts, IngestService};
use stratus_outbound::stac::{CatalogueConfig, StacCatalogue, default_config};
use stratus_outbound::{HttpClient, Limits};

use crate::config::AwsConfig;
use crate::engine::AwsEngine;
use crate::error::{Error, Result};
use crate::ingest_store::DynamoIngestStore;

/// How long a claim of a scene or tile lasts: longer than the task functions' timeout.
pub const LEASE: Duration = Duration::from_secs(20 * 60);

/// Settings of the ingestion functions.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestConfig {
    /// DynamoDB table of the ingestion store.
    pub table: String,
    /// The ingestion state machine.
    pub state_machine_arn: Option<String>,
    /// Catalogue providers.
    pub catalogues: CatalogueConfig,
    /// Key prefix of uploaded payloads.
    pub payload_prefix: String,
    /// Key of the scheduled payload.
    pub schedule_payload: Option<String>,
    /// Window of the scheduled ingestion.
    pub schedule_window: Duration,
    /// Accepted bearer tokens.
    pub tokens: Vec<String>,
}

/// Parses `90s`, `30m`, `24h`, `7d`.
pub fn parse_window(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let n: u64 = s[..split].parse().ok()?;
    let secs = match &s[split..] {
        "s" => n,
        "m" => n * 60,
        "h" | "" => n * 3600,
        "d" => n * 86_400,
        _ => return None,
    };
    Some(Duration::from_secs(secs))
}

impl IngestConfig {
    /// Reads the configuration through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let catalogues = match get("STRATUS_CATALOGUES") {
            Some(text) => {
                let bad = |reason: String| Error::BadEnv {
                    name: "STRATUS_CATALOGUES",
                    reason,
                };
                // JSON, or its base64 (`sam deploy --parameter-overrides` mangles quotes).
                let json = if text.trim_start().starts_with('{') {
                    text
                } else {
                    use base64::Engine;
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(text.trim())
                        .map_err(|e| bad(format!("neither JSON nor base64: {e}")))?;
                    String::from_utf8(bytes).map_err(|e| bad(e.to_string()))?
                };
                CatalogueConfig::parse(&json).map_err(|e| bad(e.to_string()))?
            }
            None => default_config(),
        };
        let window = get("STRATUS_SCHEDULE_WINDOW").unwrap_or_else(|| "24h".into());
        Ok(IngestConfig {
            table: get("STRATUS_INGEST_TABLE").ok_or(Error::MissingEnv("STRATUS_INGEST_TABLE"))?,
            state_machine_arn: get("STRATUS_INGEST_STATE_MACHINE_ARN"),
            catalogues,
            payload_prefix: get("STRATUS_INGEST_PAYLOAD_PREFIX")
                .unwrap_or_else(|| "ingest/payloads/".into()),
            schedule_payload: get("STRATUS_SCHEDULE_PAYLOAD"),
            schedule_window: parse_window(&window).ok_or_else(|| Error::BadEnv {
                name: "STRATUS_SCHEDULE_WINDOW",
                reason: format!("'{window}' is not a duration like 24h or 7d"),
            })?,
            tokens: get("STRATUS_TOKENS")
                .map(|t| {
                    t.split(',')
                        .map(|x| x.trim().to_string())
                        .filter(|x| !x.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// Reads the configuration from the environment.
    pub fn from_env() -> Result<Self> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The bearer tokens of `STRATUS_TOKENS` (what the authorizer needs, nothing else).
    pub fn tokens_from_env() -> Vec<String> {
        std::env::var("STRATUS_TOKENS")
            .unwrap_or_default()
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect()
    }
}

/// Dispatches ingestion work as executions of the ingestion state machine: the work list goes
/// to the bucket as the Distributed Map's manifest, the execution is named after the AOI and a
/// fresh batch id.
#[derive(Clone)]
pub struct SfnDispatcher {
    client: aws_sdk_sfn::Client,
    objects: Arc<dyn ObjectStore>,
    state_machine_arn: Option<String>,
}

/// One entry of a manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ManifestEntry {
    /// Download a scene (then process what it makes runnable).
    Scene {
        /// Scene id.
        scene: i64,
    },
    /// Process tiles.
    Tiles {
        /// Tile ids.
        tiles: Vec<i64>,
    },
}

/// The manifest of a dispatch.
pub fn manifest(work: Vec<Work>) -> Vec<ManifestEntry> {
    work.into_iter()
        .flat_map(|w| match w {
            Work::Scene(scene) => vec![ManifestEntry::Scene { scene }],
            Work::Tiles(ids) => ids
                .into_iter()
                .map(|t| ManifestEntry::Tiles { tiles: vec![t] })
                .collect(),
        })
        .collect()
}

/// A Step Functions execution name for a dispatch of `aoi` (≤ 80 characters of `[A-Za-z0-9-_]`).
pub fn execution_name(aoi: &str, batch: &str) -> String {
    let clean: String = aoi
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(40)
        .collect();
    format!("{clean}-{batch}")
}

#[async_trait]
impl Dispatcher for SfnDispatcher {
    async fn dispatch(&self, aoi: &str, work: Vec<Work>) -> stratus_ingest::Result<()> {
        let arn = self.state_machine_arn.as_deref().ok_or_else(|| {
            stratus_ingest::Error::backend(
                "dispatch",
                Error::MissingEnv("STRATUS_INGEST_STATE_MACHINE_ARN"),
            )
        })?;
        let batch = uuid::Uuid::now_v7().simple().to_string();
        let key = keys::batch_manifest(aoi, &batch);
        stratus_core::ports::put_json(&*self.objects, &key, &manifest(work)).await?;
        let input = json!({"aoi": aoi, "manifest": key});
        let result = self
            .client
            .start_execution()
            .state_machine_arn(arn)
            .name(execution_name(aoi, &batch))
            .input(input.to_string())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_execution_already_exists()) =>
            {
                Ok(())
            }
            Err(e) => Err(stratus_ingest::Error::backend(
                "dispatch",
                Error::aws("Step Functions StartExecution", e),
            )),
        }
    }
}

/// The AWS engine with ingestion.
#[derive(Clone)]
pub struct IngestEngine {
    /// The job engine it builds on (objects, jobs, processes).
    pub engine: AwsEngine,
    /// The ingestion configuration.
    pub config: IngestConfig,
    /// The ingestion ports.
    pub ports: IngestPorts,
}

impl IngestEngine {
    /// Reads both configurations and the SDK configuration from the environment.
    pub async fn from_env() -> Result<Self> {
        let aws = AwsConfig::from_env()?;
        let config = IngestConfig::from_env()?;
        let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
        Ok(Self::new(aws, config, &sdk))
    }

    /// Builds the engine from configurations.
    pub fn new(aws: AwsConfig, config: IngestConfig, sdk: &SdkConfig) -> Self {
        let net_policy = aws.net_policy;
        let engine = AwsEngine::new(aws, sdk);
        let store =
            DynamoIngestStore::new(aws_sdk_dynamodb::Client::new(sdk), config.table.clone());
        let dispatcher = SfnDispatcher {
            client: aws_sdk_sfn::Client::new(sdk),
            objects: engine.ports.objects.clone(),
            state_machine_arn: config.state_machine_arn.clone(),
        };
        let http = HttpClient::new(net_policy, Limits::default());
        let ports = IngestPorts {
            store: Arc::new(store),
            catalogue: Arc::new(StacCatalogue::new(http, config.catalogues.clone())),
            dispatcher: Arc::new(dispatcher),
            core: engine.ports.clone(),
        };
        IngestEngine {
            engine,
            config,
            ports,
        }
    }

    /// The ingestion service.
    pub fn service(&self) -> IngestService {
        IngestService::new(self.ports.clone())
    }

    /// The task runner.
    pub fn runner(&self) -> IngestRunner {
        let lease =
            chrono::Duration::from_std(LEASE).unwrap_or_else(|_| chrono::Duration::minutes(20));
        IngestRunner::new(self.ports.clone(), lease)
    }

    /// State for an API function offering the ingestion routes.
    pub fn api_state(&self) -> AppState {
        self.engine.api_state().with_ingest(self.service())
    }
}

/// State for an ingestion API function, from the environment.
pub async fn api_state_from_env() -> Result<AppState> {
    Ok(IngestEngine::from_env().await?.api_state())
}

/// Input of the download task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SceneTask {
    /// Scene id.
    pub scene: i64,
    /// The claimant (the Map iteration's execution).
    pub owner: String,
}

/// Input of the tile task: the chain left to run in this iteration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TilesTask {
    /// Tiles, the first runs now.
    #[serde(default)]
    pub tiles: Vec<i64>,
    /// The claimant.
    pub owner: String,
}

/// What both tasks answer: whether to run the same scene again after a pause, and the tiles
/// left to run (the Map's inline loop continues while there are any).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TaskReply {
    /// The scene a download task ran (to run it again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene: Option<i64>,
    /// Run the same scene again (an automatic retry).
    pub again: bool,
    /// Tiles to run next.
    pub tiles: Vec<i64>,
    /// The claimant, passed on.
    pub owner: String,
}

/// Downloads a scene.
pub async fn download_scene(runner: &IngestRunner, input: SceneTask) -> Result<TaskReply> {
    let TaskOutcome { again, tiles } = runner
        .run_scene(input.scene, &input.owner, false)
        .await
        .map_err(|e| Error::Step(stratus_core::Error::backend("download a scene", e)))?;
    Ok(TaskReply {
        scene: Some(input.scene),
        again,
        tiles,
        owner: input.owner,
    })
}

/// Processes the first tile of a chain; answers the chain left (the same tile first again
/// after an automatic retry, then what it made runnable).
pub async fn process_tiles(runner: &IngestRunner, input: TilesTask) -> Result<TaskReply> {
    let mut rest = input.tiles;
    if rest.is_empty() {
        return Ok(TaskReply {
            owner: input.owner,
            ..Default::default()
        });
    }
    let id = rest.remove(0);
    let TaskOutcome { again, tiles } = runner
        .run_tile(id, &input.owner, false)
        .await
        .map_err(|e| Error::Step(stratus_core::Error::backend("process a tile", e)))?;
    let mut next = Vec::new();
    if again {
        next.push(id);
    }
    next.extend(tiles);
    next.extend(rest);
    Ok(TaskReply {
        scene: None,
        again,
        tiles: next,
        owner: input.owner,
    })
}

/// The objects an S3 `ObjectCreated` event names under `prefix` (`*.json`): (bucket, key),
/// keys URL-decoded. Both shapes are read: an S3 notification (`Records`) and the EventBridge
/// `Object Created` event the template routes (`detail.bucket.name`, `detail.object.key`).
pub fn uploaded_payloads(event: &Value, prefix: &str) -> Vec<(String, String)> {
    let decode = |raw: &str| {
        let raw = raw.replace('+', " ");
        url::form_urlencoded::parse(format!("k={raw}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    let wanted = |key: &str| key.starts_with(prefix) && key.ends_with(".json");
    if event["detail-type"] == "Object Created" {
        let detail = &event["detail"];
        return match (
            detail["bucket"]["name"].as_str(),
            detail["object"]["key"].as_str(),
        ) {
            (Some(b), Some(k)) => Some((b.to_string(), k.to_string()))
                .filter(|(_, k)| wanted(k))
                .into_iter()
                .collect(),
            _ => Vec::new(),
        };
    }
    event["Records"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| {
            r["eventName"]
                .as_str()
                .is_some_and(|n| n.starts_with("ObjectCreated"))
        })
        .filter_map(|r| {
            let bucket = r["s3"]["bucket"]["name"].as_str()?.to_string();
            let key = decode(r["s3"]["object"]["key"].as_str()?)?;
            wanted(&key).then_some((bucket, key))
        })
        .collect()
}

/// Ingests the payloads an S3 notification names (under the configured prefix). A payload that
/// is not valid is logged and skipped (retrying cannot fix it); an engine failure fails the
/// invocation so Lambda retries it.
pub async fn on_upload(engine: &IngestEngine, event: Value) -> Result<Value> {
    let service = engine.service();
    let mut results = Vec::new();
    for (bucket, key) in uploaded_payloads(&event, &engine.config.payload_prefix) {
        if bucket != engine.engine.config.bucket {
            tracing::warn!(%bucket, %key, "a notification of another bucket");
            continue;
        }
        let (body, _) = engine.ports.core.objects.get(&key).await?;
        match ingest_payload(&service, &body, None).await {
            Ok(msg) => results.push(json!({"key": key, "result": msg.trim_end()})),
            Err(e @ stratus_ingest::Error::Invalid(_)) => {
                tracing::warn!(%key, error = %e, "invalid ingestion payload");
                results.push(json!({"key": key, "error": e.to_string()}));
            }
            Err(e) => {
                return Err(Error::Step(stratus_core::Error::backend(
                    "ingest an uploaded payload",
                    e,
                )));
            }
        }
    }
    Ok(Value::Array(results))
}

/// Ingests a payload, optionally over a window ending now.
pub async fn ingest_payload(
    service: &IngestService,
    body: &[u8],
    window: Option<Duration>,
) -> stratus_ingest::Result<String> {
    let mut area = Area::parse(body)?;
    if let Some(w) = window {
        let end = chrono::Utc::now();
        area.end_time = Some(end);
        area.start_time =
            Some(end - chrono::Duration::from_std(w).unwrap_or_else(|_| chrono::Duration::days(1)));
    }
    Ok(service.ingest_area(&area, None, None).await?.message())
}

/// Runs the scheduled payload over the window ending now. The event is the EventBridge
/// scheduled event (then the function's configuration names the payload and the window) or a
/// target input `{"payload": key, "window": "24h"}`.
pub async fn on_schedule(engine: &IngestEngine, event: Value) -> Result<Value> {
    let key = event["payload"]
        .as_str()
        .map(str::to_string)
        .or_else(|| engine.config.schedule_payload.clone())
        .ok_or(Error::MissingEnv("STRATUS_SCHEDULE_PAYLOAD"))?;
    let window = match event["window"].as_str() {
        Some(w) => parse_window(w)
            .ok_or_else(|| Error::BadInput(format!("'{w}' is not a window like 24h")))?,
        None => engine.config.schedule_window,
    };
    let (body, _) = engine.ports.core.objects.get(&key).await?;
    let msg = ingest_payload(&engine.service(), &body, Some(window))
        .await
        .map_err(|e| match e {
            stratus_ingest::Error::Invalid(m) => Error::BadInput(m),
            other => Error::Step(stratus_core::Error::backend(
                "ingest the scheduled payload",
                other,
            )),
        })?;
    Ok(json!({"key": key, "result": msg.trim_end()}))
}

/// The HTTP API Lambda authorizer (payload 2.0, simple responses): allows a request to `/` (and
/// the pages' public `/static/` assets, as the local server does), or with
/// `Authorization: Bearer <token>` of a configured token; with no token configured, everything.
pub fn authorize(tokens: &[String], event: &Value) -> Value {
    let path = event["rawPath"].as_str().unwrap_or("/");
    if path.starts_with("/static/") {
        return json!({ "isAuthorized": true });
    }
    let header = event["headers"]
        .as_object()
        .and_then(|h| {
            h.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
        })
        .and_then(|(_, v)| v.as_str());
    let allowed =
        tokens.is_empty() || path == "/" || stratus_api::check_bearer(tokens, header).is_ok();
    json!({ "isAuthorized": allowed })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_and_names() {
        let m = manifest(vec![Work::Scene(3), Work::Tiles(vec![5, 6])]);
        assert_eq!(
            serde_json::to_value(&m).unwrap(),
            json!([{"scene": 3}, {"tiles": [5]}, {"tiles": [6]}])
        );
        let name = execution_name("Den:mark/x", "0193");
        assert_eq!(name, "Den-mark-x-0193");
        assert!(execution_name(&"a".repeat(100), &"b".repeat(32)).len() <= 80);
    }

    #[test]
    fn uploads_under_the_prefix() {
        let event = json!({"Records": [
            {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}, "object": {"key": "ingest/payloads/den+mark%3A1.json"}}},
            {"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}, "object": {"key": "other/x.json"}}},
            {"eventName": "ObjectRemoved:Delete", "s3": {"bucket": {"name": "b"}, "object": {"key": "ingest/payloads/y.json"}}}
        ]});
        assert_eq!(
            uploaded_payloads(&event, "ingest/payloads/"),
            vec![(
                "b".to_string(),
                "ingest/payloads/den mark:1.json".to_string()
            )]
        );
    }

    #[test]
    fn the_authorizer_allows_the_root_and_good_tokens() {
        let tokens = vec!["t0k".to_string()];
        let ev = |path: &str, auth: Option<&str>| {
            let mut e = json!({"rawPath": path, "headers": {}});
            if let Some(a) = auth {
                e["headers"]["authorization"] = json!(a);
            }
            e
        };
        assert_eq!(authorize(&tokens, &ev("/", None))["isAuthorized"], true);
        assert_eq!(
            authorize(&tokens, &ev("/aoi/", None))["isAuthorized"],
            false
        );
        assert_eq!(
            authorize(&tokens, &ev("/aoi/", Some("Bearer x")))["isAuthorized"],
            false
        );
        assert_eq!(
            authorize(&tokens, &ev("/aoi/", Some("Bearer t0k")))["isAuthorized"],
            true
        );
        assert_eq!(authorize(&[], &ev("/aoi/", None))["isAuthorized"], true);
    }

    #[test]
    fn catalogues_as_json_or_base64() {
        use base64::Engine;
        let json =
            r#"{"providers":[{"name":"x","url":"http://h","collections":{"sentinel2":["c"]}}]}"#;
        let b64 = base64::engine::general_purpose::STANDARD.encode(json);
        for value in [json.to_string(), b64] {
            let c = IngestConfig::from_lookup(|k| match k {
                "STRATUS_INGEST_TABLE" => Some("t".into()),
                "STRATUS_CATALOGUES" => Some(value.clone()),
                _ => None,
            })
            .unwrap();
            assert_eq!(c.catalogues.providers[0].name, "x");
        }
        assert!(
            IngestConfig::from_lookup(|k| (k == "STRATUS_CATALOGUES").then(|| "{".to_string()))
                .is_err()
        );
    }

    #[test]
    fn windows() {
        assert_eq!(parse_window("24h"), Some(Duration::from_secs(86_400)));
        assert_eq!(parse_window("7d"), Some(Duration::from_secs(604_800)));
        assert_eq!(parse_window("x"), None);
    }
}
