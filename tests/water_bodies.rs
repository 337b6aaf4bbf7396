//! water-bodies through the API, engine-neutral: the seed's request shape on the offline sample
//! scenes, fan-out progress, published COGs served with ranges, and failures that name the item
//! and publish nothing. Locally the samples come from `stratus samples` (HTTP URLs of the
//! server); against a deployed stack the stage uploads them to S3 and passes `s3://` URLs in
//! `STRATUS_E2E_SAMPLE_ITEMS`, `STRATUS_E2E_SAMPLE_AOI` and `STRATUS_E2E_SAMPLE_MISSING`.

use std::time::Duration;

use serde_json::{Value, json};
use stratus_tests::{Stratus, assert_exception};

const WAIT: Duration = Duration::from_secs(120);

/// The sample scenes: (item URLs, an AOI inside them, the URL of an item that does not exist).
async fn samples(s: &Stratus) -> (Vec<String>, String, String) {
    if !s.is_local() {
        let env = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is set"));
        let items = env("STRATUS_E2E_SAMPLE_ITEMS")
            .split(',')
            .map(str::to_owned)
            .collect();
        return (
            items,
            env("STRATUS_E2E_SAMPLE_AOI"),
            env("STRATUS_E2E_SAMPLE_MISSING"),
        );
    }
    let out = std::process::Command::new(stratus_tests::stratus_bin())
        .args(["samples", "--size", "1024", "--data-dir"])
        .arg(s.data_dir())
        .args(["--public-url", &s.url])
        .output()
        .expect("run stratus samples");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let mut urls = Vec::new();
    let mut aoi = String::new();
    for line in text.lines() {
        let parts: Vec<&str> = line.split('\t').collect();
        urls.push(parts[1].to_string());
        aoi = parts[2].trim_start_matches("aoi=").to_string();
    }
    assert_eq!(urls.len(), 2, "{text}");
    (urls, aoi, s.at("/objects/samples/NOPE/NOPE.json"))
}

/// The published COG of an item, through the API's `/objects` route (local: streamed; AWS: a
/// redirect to a presigned S3 URL), first bytes only.
async fn cog_head(s: &Stratus, job: &str, item: &str) -> reqwest::Response {
    s.http
        .get(s.at(&format!("/objects/results/{job}/{item}/otsu.tif")))
        .header("Range", "bytes=0-3")
        .send()
        .await
        .unwrap()
}

/// The id of a sample item: its file name without `.json`.
fn source_id(url: &str) -> &str {
    url.rsplit('/').next().unwrap().trim_end_matches(".json")
}

fn request(items: &[String], aoi: &str) -> Value {
    json!({"inputs": {"stac_items": items, "aoi": aoi, "epsg": "EPSG:4326",
                      "bands": ["green", "nir"]}})
}

#[tokio::test]
async fn seed_request_on_samples_publishes_cogs_and_stac() {
    let s = Stratus::start().await;
    let (items, aoi, _) = samples(&s).await;
    let r = s
        .http
        .post(s.at("/processes/water-bodies/execution"))
        .header("accept", "*/*")
        .header("Prefer", "respond-async;return=representation")
        .json(&request(&items, &aoi))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["jobID"]
        .as_str()
        .unwrap()
        .to_string();
    let done = s.wait_for(&id, &["successful", "failed"], WAIT).await;
    assert_eq!(done["status"], "successful", "{done}");
    assert_eq!(done["stratus:items"], json!({"total": 2, "done": 2}));

    let results = s.get_json(&format!("/jobs/{id}/results"), 200).await;
    let fc = &results["stac_catalog"]["value"];
    assert_eq!(results["stac_catalog"]["mediaType"], "application/geo+json");
    assert_eq!(fc["type"], "FeatureCollection");
    let features = fc["features"].as_array().unwrap();
    assert_eq!(features.len(), 2);
    for (feature, url) in features.iter().zip(&items) {
        let source_id = source_id(url);
        assert_eq!(
            feature["id"], source_id,
            "same id as the input item, same order"
        );
        assert_eq!(feature["properties"]["proj:epsg"], 32610);
        assert_eq!(
            feature["properties"]["proj:transform"]
                .as_array()
                .unwrap()
                .len(),
            9
        );
        let asset = &feature["assets"]["data"];
        assert_eq!(asset["type"], "image/tiff; application=geotiff");
        assert_eq!(asset["roles"], json!(["data", "visual"]));
        let href = asset["href"].as_str().unwrap();
        assert!(
            href.ends_with(&format!("results/{id}/{source_id}/otsu.tif")),
            "{href}"
        );
        if s.is_local() {
            assert_eq!(
                href,
                s.at(&format!("/objects/results/{id}/{source_id}/otsu.tif"))
            );
        } else {
            assert!(href.starts_with("s3://"), "{href}");
            assert_eq!(asset["storage:platform"], "AWS");
        }
        let head = cog_head(&s, &id, source_id).await;
        assert_eq!(head.status(), 206);
        assert_eq!(&head.bytes().await.unwrap()[..], b"II*\0", "a TIFF");
        let item_json = s
            .http
            .get(s.at(&format!(
                "/objects/results/{id}/{source_id}/{source_id}.json"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(item_json.status(), 200);
        assert_eq!(item_json.json::<Value>().await.unwrap()["id"], source_id);
    }
}

#[tokio::test]
async fn synchronous_execution_returns_the_feature_collection() {
    let s = Stratus::start().await;
    let (items, aoi, _) = samples(&s).await;
    let mut body = request(&items[..1], &aoi);
    body["response"] = json!("document");
    let r = s.execute("water-bodies", body, None).await;
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    assert_eq!(
        doc["stac_catalog"]["value"]["features"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn a_failing_item_fails_the_job_naming_it_and_nothing_is_published() {
    let s = Stratus::start().await;
    let (items, aoi, missing) = samples(&s).await;
    let first_id = source_id(&items[0]);
    let not_found = if s.is_local() { "404" } else { "NoSuchKey" };
    let cases = [
        (
            request(&[items[0].clone(), missing.clone()], &aoi),
            missing.clone(),
            not_found,
        ),
        (
            json!({"inputs": {"stac_items": [items[0]], "aoi": aoi, "bands": ["green", "swir16"]}}),
            items[0].clone(),
            "no data asset for band 'swir16'",
        ),
        (
            json!({"inputs": {"stac_items": [items[0]], "aoi": "10,50,10.1,50.1"}}),
            items[0].clone(),
            "do not overlap",
        ),
        (
            json!({"inputs": {"stac_items": [items[0]], "aoi": aoi, "epsg": "EPSG:99999"}}),
            items[0].clone(),
            "99999",
        ),
        (
            json!({"inputs": {"stac_items": ["http://127.0.0.1:9/item.json"], "aoi": aoi}}),
            "http://127.0.0.1:9/item.json".to_string(),
            "item http://127.0.0.1:9/item.json",
        ),
    ];
    for (body, item, reason) in cases {
        let id = s.submit("water-bodies", body).await;
        let failed = s.wait_for(&id, &["failed", "successful"], WAIT).await;
        assert_eq!(failed["status"], "failed", "{failed}");
        let message = failed["message"].as_str().unwrap();
        assert!(message.contains(&item), "message names the item: {message}");
        assert!(
            message.contains(reason),
            "message gives the reason '{reason}': {message}"
        );
        let published = cog_head(&s, &id, first_id).await;
        assert_eq!(
            published.status(),
            404,
            "nothing published for a failed job"
        );
        let r = s
            .http
            .get(s.at(&format!("/jobs/{id}/results")))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error() || r.status().is_server_error());
    }
}

#[tokio::test]
async fn invalid_water_bodies_requests_are_refused_up_front() {
    let s = Stratus::start().await;
    for (body, needle) in [
        (json!({"inputs": {"aoi": "1,2,3,4"}}), "stac_items"),
        (
            json!({"inputs": {"stac_items": [], "aoi": "1,2,3,4"}}),
            "stac_items",
        ),
        (
            json!({"inputs": {"stac_items": ["https://x/i.json"], "aoi": "1,2,3"}}),
            "aoi",
        ),
        (
            json!({"inputs": {"stac_items": ["https://x/i.json"], "aoi": "1,2,3,4", "bands": ["green"]}}),
            "bands",
        ),
        (
            json!({"inputs": {"stac_items": vec!["https://x/i.json"; 101], "aoi": "1,2,3,4"}}),
            "stac_items",
        ),
    ] {
        let r = s.execute("water-bodies", body, Some("respond-async")).await;
        assert_exception(r, 400, "InvalidParameterValue", needle).await;
    }
}
