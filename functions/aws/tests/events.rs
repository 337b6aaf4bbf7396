//! Every function has a sample event in `events/`, and every sample event reads as what its
//! function receives (an API Gateway HTTP API v2 request, a Step Functions task input, or an
//! ingestion trigger), so `cargo lambda invoke <fn> --data-file events/<fn>.json` works.

use std::path::PathBuf;

use serde_json::Value;
use stratus_api::routes::Endpoint;
use stratus_aws::tasks::{self, FinalizeInput, JobRef, RunItemInput};

fn events() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(events().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn functions() -> Vec<String> {
    let bins = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/bin");
    let mut names: Vec<String> = std::fs::read_dir(bins)
        .expect("src/bin")
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_suffix(".rs")
                .map(str::to_string)
        })
        .collect();
    names.sort();
    names
}

#[test]
fn every_function_has_an_event() {
    let functions = functions();
    for endpoint in Endpoint::ALL {
        assert!(
            functions.iter().any(|f| f == endpoint.name()),
            "no Lambda binary for {}",
            endpoint.name()
        );
    }
    for f in &functions {
        assert!(
            events().join(format!("{f}.json")).is_file(),
            "events/{f}.json"
        );
    }
}

#[test]
fn api_events_are_http_api_v2_requests_for_their_route() {
    let mut routes: Vec<(String, String, String)> = Endpoint::ALL
        .iter()
        .map(|e| {
            (
                e.name().to_string(),
                e.method().to_string(),
                e.path()
                    .replace("{*key}", "{key+}")
                    .replace("{*path}", "{path+}"),
            )
        })
        .collect();
    routes.push(("unmatched-route".into(), "PUT".into(), "$default".into()));
    for (name, method, path) in routes {
        let raw = read(&format!("{name}.json"));
        let event: Value = serde_json::from_str(&raw).expect("JSON");
        assert_eq!(event["version"], "2.0", "{name}");
        let route = if path == "$default" {
            path.clone()
        } else {
            format!("{method} {path}")
        };
        assert_eq!(event["routeKey"], route.as_str(), "{name}");
        let request = lambda_http::request::from_str(&raw).expect("an HTTP API request");
        assert_eq!(request.method().as_str(), method, "{name}");
        assert_eq!(
            request.uri().path(),
            event["rawPath"].as_str().expect("rawPath"),
            "{name}"
        );
    }
}

#[test]
fn task_events_are_state_machine_inputs() {
    let value = |name: &str| serde_json::from_str::<Value>(&read(name)).expect("JSON");
    tasks::input::<JobRef>(value("prepare-job.json")).expect("prepare-job");
    for name in ["run-item.json", "run-item-batch.json"] {
        let input: RunItemInput = tasks::input(value(name)).expect(name);
        assert_eq!(input.entries().expect("entries").len(), 1);
    }
    let ok: FinalizeInput = tasks::input(value("finalize-job.json")).expect("finalize-job");
    assert!(ok.error.is_none());
    let failed: FinalizeInput =
        tasks::input(value("finalize-job-failed.json")).expect("finalize-job-failed");
    let e = tasks::failure_of(&failed.error.expect("error"));
    assert!(e.message.contains("HTTP 502"));
}

#[test]
fn ingestion_trigger_events_parse() {
    let s3: aws_lambda_events::event::s3::S3Event =
        serde_json::from_str(&read("s3-object-created.json")).expect("S3 event");
    assert_eq!(s3.records.len(), 1);
    assert_eq!(
        s3.records[0].event_name.as_deref(),
        Some("ObjectCreated:Put")
    );
    let schedule: aws_lambda_events::event::eventbridge::EventBridgeEvent =
        serde_json::from_str(&read("schedule.json")).expect("EventBridge event");
    assert_eq!(schedule.detail_type, "Scheduled Event");
}
