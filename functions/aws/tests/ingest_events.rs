//! The sample events of the ingestion functions read as what each function receives: HTTP API
//! v2 requests for one of the function's routes, state machine task inputs, an S3 `Object
//! Created` event (EventBridge and notification shapes) under the payload prefix, a scheduled
//! event, and an authorizer request.

use std::path::PathBuf;

use serde_json::Value;
use stratus_api::ingest::{FUNCTIONS, IngestEndpoint};
use stratus_aws::ingest::{self, SceneTask, TilesTask};
use stratus_aws::tasks;

fn read(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../events")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).expect("JSON")
}

#[test]
fn api_events_are_requests_for_a_route_of_their_function() {
    for function in FUNCTIONS {
        let event = read(&format!("{function}.json"));
        assert_eq!(event["version"], "2.0", "{function}");
        let routes: Vec<String> = IngestEndpoint::ALL
            .iter()
            .filter(|e| e.function() == function)
            .map(|e| format!("{} {}", e.method(), e.path()))
            .collect();
        let key = event["routeKey"].as_str().expect("routeKey").to_string();
        assert!(
            routes.contains(&key),
            "{function}: {key} is not one of {routes:?}"
        );
        let request =
            lambda_http::request::from_str(&event.to_string()).expect("an HTTP API request");
        assert_eq!(
            request.uri().path(),
            event["rawPath"].as_str().expect("rawPath")
        );
    }
}

#[test]
fn task_events_are_state_machine_inputs() {
    let scene: SceneTask = tasks::input(read("ingest-download-scene.json")).expect("download");
    assert_eq!(scene.scene, 1);
    let tiles: TilesTask = tasks::input(read("ingest-process-tiles.json")).expect("tiles");
    assert_eq!(tiles.tiles, vec![1, 2]);
}

#[test]
fn trigger_events_name_a_payload() {
    for name in ["ingest-upload.json", "s3-object-created.json"] {
        let found = ingest::uploaded_payloads(&read(name), "ingest/payloads/");
        assert_eq!(
            found,
            vec![(
                "stratus-results".to_string(),
                "ingest/payloads/DenmarkDemoS2.json".to_string()
            )],
            "{name}"
        );
    }
    assert_eq!(
        read("ingest-schedule.json")["detail-type"],
        "Scheduled Event"
    );
}

#[test]
fn the_authorizer_event_is_allowed_with_its_token_only() {
    let event = read("authorizer.json");
    let good = vec!["example-token".to_string()];
    assert_eq!(ingest::authorize(&good, &event)["isAuthorized"], true);
    let other = vec!["another".to_string()];
    assert_eq!(ingest::authorize(&other, &event)["isAuthorized"], false);
}
