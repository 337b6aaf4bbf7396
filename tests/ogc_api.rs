//! OGC API - Processes Part 1 over real HTTP, engine-neutral: run against a local
//! `stratus serve` by default, or a deployed stack with `STRATUS_E2E_URL`.

use std::time::Duration;

use serde_json::{Value, json};
use stratus_tests::{Receiver, Stratus, assert_exception, link};

const E1: &str = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/";
const JOB_WAIT: Duration = Duration::from_secs(60);

#[tokio::test]
async fn landing_conformance_and_api_definition() {
    let s = Stratus::start().await;
    let landing = s.get_json("/", 200).await;
    for rel in [
        "self",
        "service-desc",
        "http://www.opengis.net/def/rel/ogc/1.0/conformance",
        "http://www.opengis.net/def/rel/ogc/1.0/processes",
        "http://www.opengis.net/def/rel/ogc/1.0/job-list",
    ] {
        let href = link(&landing, rel).unwrap_or_else(|| panic!("landing link {rel}"));
        assert!(href.starts_with("http"), "absolute link {href}");
    }
    let conf = s.get_json("/conformance", 200).await;
    let classes: Vec<&str> = conf["conformsTo"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for c in [
        "core",
        "ogc-process-description",
        "json",
        "oas30",
        "job-list",
        "dismiss",
        "callback",
    ] {
        let uri = format!("http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/{c}");
        assert!(classes.contains(&uri.as_str()), "conformance class {c}");
    }
    let r = s.http.get(s.at("/api")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/vnd.oai.openapi+json")
    );
    let api: Value = r.json().await.unwrap();
    assert_eq!(api["openapi"], "3.0.3");
    assert!(api["paths"]["/jobs/{jobID}/results"]["get"].is_object());
    assert_eq!(api["servers"][0]["url"], json!(s.url));
}

#[tokio::test]
async fn process_list_and_description() {
    let s = Stratus::start().await;
    let list = s.get_json("/processes", 200).await;
    let ids: Vec<&str> = list["processes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    assert!(ids.contains(&"echo"));
    assert!(link(&list, "self").is_some());
    let one = s.get_json("/processes?limit=1", 200).await;
    assert_eq!(one["processes"].as_array().unwrap().len(), 1);
    if ids.len() > 1 {
        let next = link(&one, "next").expect("next link when more processes exist");
        let page2: Value = s.http.get(next).send().await.unwrap().json().await.unwrap();
        assert_eq!(page2["processes"].as_array().unwrap().len(), 1);
        assert_ne!(page2["processes"][0]["id"], one["processes"][0]["id"]);
    }
    assert_exception(
        s.http.get(s.at("/processes?limit=0")).send().await.unwrap(),
        400,
        "InvalidParameterValue",
        "limit",
    )
    .await;

    let echo = s.get_json("/processes/echo", 200).await;
    let first_input = echo["inputs"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap()
        .clone();
    assert_eq!(
        echo["inputs"][&first_input]["schema"],
        json!({"type": "string"})
    );
    assert!(
        echo["outputs"][&first_input].is_object(),
        "output with the first input's id"
    );
    assert_eq!(echo["inputs"]["pause"]["schema"]["type"], "integer");
    assert_eq!(
        echo["jobControlOptions"],
        json!(["sync-execute", "async-execute", "dismiss"])
    );
    assert_eq!(echo["outputTransmission"], json!(["value", "reference"]));
    assert!(link(&echo, "http://www.opengis.net/def/rel/ogc/1.0/execute").is_some());
    assert_exception(
        s.http.get(s.at("/processes/no-such")).send().await.unwrap(),
        404,
        &format!("{E1}no-such-process"),
        "no-such",
    )
    .await;
}

#[tokio::test]
async fn sync_execution_raw_document_multipart_and_reference() {
    let s = Stratus::start().await;
    // Raw, one output by value: the value in its media type.
    let r = s
        .execute(
            "echo",
            json!({"inputs": {"stringInput": "teststring"}, "outputs": {"stringInput": {}}}),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers().get("link").is_none(),
        "no Link header on sync 200"
    );
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(r.text().await.unwrap(), "teststring");

    // Document.
    let r = s
        .execute(
            "echo",
            json!({"inputs": {"stringInput": "x", "arrayInput": [1, 2, 3],
                    "measureInput": {"measurement": 3.5, "uom": "m"}},
                   "response": "document"}),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["arrayInput"], json!([1, 2, 3]));
    assert_eq!(doc["measureInput"]["value"]["uom"], "m");
    assert_eq!(doc["stringInput"]["value"], "x");

    // Raw, several outputs by value: multipart/related with Content-ID per output.
    let r = s
        .execute(
            "echo",
            json!({"inputs": {"stringInput": "a", "doubleInput": 2.5},
                   "outputs": {"stringInput": {}, "doubleInput": {}}}),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    let ct = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(ct.starts_with("multipart/related; boundary="), "{ct}");
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Content-ID: <stringInput>") && body.contains("Content-ID: <doubleInput>")
    );
    assert!(body.contains("\r\n\r\n2.5\r\n"));

    // Raw, by reference: 204 with a Link per output that really serves the value.
    let r = s
        .execute(
            "echo",
            json!({"inputs": {"stringInput": "by reference"},
                   "outputs": {"stringInput": {"transmissionMode": "reference"}}}),
            None,
        )
        .await;
    assert_eq!(r.status(), 204);
    let link_header = r.headers()["link"].to_str().unwrap().to_string();
    let href = link_header
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap()
        .to_string();
    let fetched = s.http.get(&href).send().await.unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.text().await.unwrap(), "by reference");

    // Binary input, base64 inline, echoed raw as bytes with its media type.
    let r = s
        .execute(
            "echo",
            json!({"inputs": {"stringInput": "b", "imagesInput": {"value": "SUkqAAgAAAA=",
                     "mediaType": "image/tiff; application=geotiff", "encoding": "base64"}},
                   "outputs": {"imagesInput": {}}}),
            None,
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "image/tiff; application=geotiff"
    );
    assert_eq!(&r.bytes().await.unwrap()[..], b"II*\0\x08\0\0\0");
}

#[tokio::test]
async fn async_execution_status_and_results() {
    let s = Stratus::start().await;
    let r = s
        .execute(
            "echo",
            json!({"inputs": {"stringInput": "later", "pause": 1}}),
            Some("respond-async "),
        )
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["preference-applied"], "respond-async");
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let doc: Value = r.json().await.unwrap();
    let id = doc["jobID"].as_str().unwrap().to_string();
    assert_eq!(location, s.at(&format!("/jobs/{id}")), "absolute Location");
    assert_eq!(doc["status"], "accepted");
    assert_eq!(doc["processID"], "echo");
    assert_eq!(doc["type"], "process");

    let running = s.wait_for(&id, &["running"], JOB_WAIT).await;
    assert!(link(&running, "monitor").is_some() && link(&running, "status").is_some());
    assert!(link(&running, "http://www.opengis.net/def/rel/ogc/1.0/results").is_none());
    assert!(running["started"].is_string());
    assert_exception(
        s.http
            .get(format!("{location}/results"))
            .send()
            .await
            .unwrap(),
        404,
        &format!("{E1}result-not-ready"),
        "not ready",
    )
    .await;

    let done = s.wait_for(&id, &["successful"], JOB_WAIT).await;
    assert_eq!(done["progress"], 100);
    for field in ["created", "started", "finished", "updated"] {
        assert!(done[field].as_str().unwrap().ends_with('Z'), "{field}");
    }
    let results = link(&done, "http://www.opengis.net/def/rel/ogc/1.0/results").unwrap();
    let r = s.http.get(results).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // No `response` in the request: raw; two outputs were produced (string, pause is not one).
    assert_eq!(r.text().await.unwrap(), "later");
}

#[tokio::test]
async fn seed_style_async_request_returns_a_results_document() {
    let s = Stratus::start().await;
    let r = s
        .http
        .post(s.at("/processes/echo/execution"))
        .header("accept", "*/*")
        .header("Prefer", "respond-async;return=representation")
        .json(&json!({"inputs": {"stringInput": "seed"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["jobID"]
        .as_str()
        .unwrap()
        .to_string();
    s.wait_for(&id, &["successful"], JOB_WAIT).await;
    let results = s.get_json(&format!("/jobs/{id}/results"), 200).await;
    assert_eq!(results["stringInput"]["value"], "seed");
}

#[tokio::test]
async fn invalid_requests_get_400_naming_the_problem() {
    let s = Stratus::start().await;
    let cases = [
        (
            json!({"inputs": {}}),
            "missing required input 'stringInput'",
        ),
        (
            json!({"inputs": {"stringInput": "x", "nope": 1}}),
            "unknown input 'nope'",
        ),
        (
            json!({"inputs": {"stringInput": 42}}),
            "input 'stringInput'",
        ),
        (
            json!({"inputs": {"stringInput": "x", "pause": 10000}}),
            "input 'pause'",
        ),
        (
            json!({"inputs": {"stringInput": "x", "arrayInput": [1]}}),
            "input 'arrayInput'",
        ),
        (
            json!({"inputs": {"stringInput": "x", "boundingBoxInput": {"bbox": [1, 2, 3]}}}),
            "input 'boundingBoxInput'",
        ),
        (
            json!({"inputs": {"stringInput": "x"}, "outputs": {"zzz": {}}}),
            "output 'zzz'",
        ),
        (
            json!({"inputs": {"stringInput": "x"}, "response": "everything"}),
            "response",
        ),
        (
            json!({"inputs": {"stringInput": "x"}, "subscriber": {"successUri": "not a url"}}),
            "successUri",
        ),
        (json!(["not", "an", "object"]), "JSON object"),
    ];
    for (body, needle) in cases {
        let r = s.execute("echo", body.clone(), Some("respond-async")).await;
        assert_exception(r, 400, "InvalidParameterValue", needle).await;
    }
    let r = s
        .http
        .post(s.at("/processes/echo/execution"))
        .header("content-type", "application/json")
        .body("{\"inputs\": ")
        .send()
        .await
        .unwrap();
    assert_exception(r, 400, "InvalidParameterValue", "not valid JSON").await;
    let r = s
        .http
        .post(s.at("/processes/echo/execution"))
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_exception(r, 415, "unsupported-media-type", "application/json").await;
    let huge = "x".repeat(11 * 1024 * 1024);
    let r = s
        .execute("echo", json!({"inputs": {"stringInput": huge}}), None)
        .await;
    assert_exception(r, 413, "PayloadTooLarge", "limit").await;
    let r = s.execute("nope", json!({"inputs": {}}), None).await;
    assert_exception(r, 404, &format!("{E1}no-such-process"), "nope").await;
    for path in [
        "/jobs/not-a-job",
        "/jobs/0191c7a0-0000-7000-8000-000000000000",
    ] {
        let r = s.http.get(s.at(path)).send().await.unwrap();
        assert_exception(r, 404, &format!("{E1}no-such-job"), "does not exist").await;
        let r = s
            .http
            .get(s.at(&format!("{path}/results")))
            .send()
            .await
            .unwrap();
        assert_exception(r, 404, &format!("{E1}no-such-job"), "does not exist").await;
        let r = s.http.delete(s.at(path)).send().await.unwrap();
        assert_exception(r, 404, &format!("{E1}no-such-job"), "does not exist").await;
    }
    let r = s.http.put(s.at("/jobs")).send().await.unwrap();
    assert_exception(r, 405, "MethodNotAllowed", "method").await;
    let r = s.http.get(s.at("/nowhere")).send().await.unwrap();
    assert_exception(r, 404, "NotFound", "no resource").await;
    for q in [
        "status=bogus",
        "limit=10001",
        "datetime=yesterday",
        "minDuration=-1",
        "page=garbage",
    ] {
        let r = s
            .http
            .get(s.at(&format!("/jobs?{q}")))
            .send()
            .await
            .unwrap();
        assert_exception(r, 400, "InvalidParameterValue", "").await;
    }
}

#[tokio::test]
async fn job_list_filters_and_paging() {
    let s = Stratus::start().await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(
            s.submit(
                "echo",
                json!({"inputs": {"stringInput": format!("job {i}")}}),
            )
            .await,
        );
    }
    let slow = s
        .submit(
            "echo",
            json!({"inputs": {"stringInput": "slow", "pause": 3}}),
        )
        .await;
    for id in &ids {
        s.wait_for(id, &["successful"], JOB_WAIT).await;
    }
    s.wait_for(&slow, &["running"], JOB_WAIT).await;

    let page = s.get_json("/jobs?processID=echo&limit=3", 200).await;
    let first: Vec<String> = page["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["jobID"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(first.len(), 3);
    assert_eq!(first[0], slow, "newest first");
    assert!(page["jobs"][0]["processID"] == "echo");
    let next = link(&page, "next").expect("next link").to_string();
    let page2: Value = s
        .http
        .get(&next)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page2["jobs"].as_array().unwrap().len(), 3);
    let prev = link(&page2, "prev").expect("prev link").to_string();
    let back: Value = s
        .http
        .get(&prev)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(back["jobs"][0]["jobID"], json!(first[0]));

    let running = s.get_json("/jobs?status=running", 200).await;
    assert_eq!(running["jobs"].as_array().unwrap().len(), 1);
    assert_eq!(running["jobs"][0]["jobID"], json!(slow));
    let both = s
        .get_json("/jobs?status=running&status=successful&limit=100", 200)
        .await;
    assert_eq!(both["jobs"].as_array().unwrap().len(), 8);
    let long = s.get_json("/jobs?minDuration=2&limit=100", 200).await;
    assert!(
        long["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["jobID"] == json!(slow))
    );
    let short = s.get_json("/jobs?maxDuration=1&limit=100", 200).await;
    assert!(short["jobs"].as_array().unwrap().len() >= 7);
    let none = s
        .get_json("/jobs?datetime=../2000-01-01T00:00:00Z", 200)
        .await;
    assert!(none["jobs"].as_array().unwrap().is_empty());
    let all_time = s
        .get_json("/jobs?datetime=2000-01-01T00:00:00Z/..&limit=100", 200)
        .await;
    assert_eq!(all_time["jobs"].as_array().unwrap().len(), 8);
    let other = s.get_json("/jobs?processID=water-bodies", 200).await;
    assert!(other["jobs"].as_array().unwrap().is_empty());
    let typed = s.get_json("/jobs?type=process&limit=100", 200).await;
    assert_eq!(typed["jobs"].as_array().unwrap().len(), 8);
    let untyped = s.get_json("/jobs?type=other", 200).await;
    assert!(untyped["jobs"].as_array().unwrap().is_empty());
    let accepted = s.get_json("/jobs?status=accepted", 200).await;
    assert!(accepted["jobs"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn dismiss_stops_a_running_job() {
    let s = Stratus::start().await;
    let id = s
        .submit(
            "echo",
            json!({"inputs": {"stringInput": "never", "pause": 30},
                   "outputs": {"stringInput": {"transmissionMode": "reference"}}}),
        )
        .await;
    s.wait_for(&id, &["running"], JOB_WAIT).await;
    let r = s
        .http
        .delete(s.at(&format!("/jobs/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["status"], "dismissed");
    assert!(link(&doc, "up").is_some());
    // It stays dismissed: the pause would have ended the job successfully by now otherwise.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let again = s.get_json(&format!("/jobs/{id}"), 200).await;
    assert_eq!(again["status"], "dismissed");
    assert!(again["finished"].is_string());
    let r = s
        .http
        .get(s.at(&format!("/jobs/{id}/results")))
        .send()
        .await
        .unwrap();
    assert_exception(r, 410, "JobDismissed", "dismissed").await;
    let listed = s.get_json("/jobs?status=dismissed", 200).await;
    assert_eq!(listed["jobs"][0]["jobID"], json!(id));
    // Dismissing again is harmless.
    let r = s
        .http
        .delete(s.at(&format!("/jobs/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // A finished job: its results and record go away.
    let done = s
        .submit("echo", json!({"inputs": {"stringInput": "kept?"}}))
        .await;
    s.wait_for(&done, &["successful"], JOB_WAIT).await;
    let r = s
        .http
        .delete(s.at(&format!("/jobs/{done}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "dismissed");
    let r = s
        .http
        .get(s.at(&format!("/jobs/{done}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn inputs_by_reference_are_resolved_and_failures_reported() {
    let s = Stratus::start().await;
    // An unreachable reference fails the job: the input is invalid; the message names it.
    let id = s
        .submit(
            "echo",
            json!({"inputs": {"stringInput": {"href": "http://127.0.0.1:9/missing.txt"}}}),
        )
        .await;
    let failed = s.wait_for(&id, &["failed"], JOB_WAIT).await;
    assert!(failed["message"].as_str().unwrap().contains("stringInput"));
    assert!(link(&failed, "http://www.opengis.net/def/rel/ogc/1.0/results").is_none());
    let r = s
        .http
        .get(s.at(&format!("/jobs/{id}/results")))
        .send()
        .await
        .unwrap();
    assert_exception(r, 400, "InvalidParameterValue", "stringInput").await;

    // A reference the server may not reach (cloud metadata) is refused as invalid input.
    let id = s
        .submit(
            "echo",
            json!({"inputs": {"stringInput": {"href": "http://169.254.169.254/latest/meta-data/"}}}),
        )
        .await;
    let failed = s.wait_for(&id, &["failed"], JOB_WAIT).await;
    assert!(
        failed["message"].as_str().unwrap().contains("not allowed"),
        "{failed}"
    );
    let r = s
        .http
        .get(s.at(&format!("/jobs/{id}/results")))
        .send()
        .await
        .unwrap();
    assert_exception(r, 400, "InvalidParameterValue", "169.254.169.254").await;
}

#[tokio::test]
async fn callbacks_are_posted_and_never_block_the_job() {
    let s = Stratus::start().await;
    let (recv, url) = Receiver::start(1).await;
    let id = s
        .submit(
            "echo",
            json!({"inputs": {"stringInput": "call me"},
                   "response": "document",
                   "subscriber": {"successUri": format!("{url}/success"),
                                  "inProgressUri": format!("{url}/progress"),
                                  "failedUri": format!("{url}/failed")}}),
        )
        .await;
    s.wait_for(&id, &["successful"], JOB_WAIT).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while recv.bodies("/success").is_empty() {
        assert!(std::time::Instant::now() < deadline, "no success callback");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        recv.bodies("/success")[0]["stringInput"]["value"],
        "call me"
    );
    assert!(
        recv.bodies("/progress")
            .iter()
            .all(|b| b["jobID"] == json!(id))
    );
    assert!(recv.bodies("/failed").is_empty());

    // A callback URL that never answers does not delay the job.
    let started = std::time::Instant::now();
    let id = s
        .submit(
            "echo",
            json!({"inputs": {"stringInput": "x"},
                   "subscriber": {"successUri": "http://10.255.255.1:9/never"}}),
        )
        .await;
    s.wait_for(&id, &["successful"], JOB_WAIT).await;
    assert!(started.elapsed() < Duration::from_secs(5));
}
