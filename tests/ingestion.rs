//! The ingestion workflow over real HTTP, engine-neutral: a local `stratus serve` by default,
//! or a deployed stack with `STRATUS_E2E_URL`. The catalogue is a real STAC API loaded with
//! offline fixtures and the assets come from the fixture server (tests/ingest/lib.sh sets
//! `STRATUS_TEST_STAC_URL`, `STRATUS_TEST_ASSETS_URL`, `STRATUS_TEST_FIXTURES`); a client of
//! geocube-ingester's API drives it: multipart `area`/`scenes`/`tiles` fields, the same paths,
//! JSON shapes and status codes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use stratus_tests::Stratus;

const WAIT: Duration = Duration::from_secs(240);
const NEEDS: &str = "needs the STAC fixtures: tests/stages/ingest.sh or aws-ingest.sh";

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set ({NEEDS})"))
}

fn uniq(prefix: &str) -> String {
    format!("{prefix}-{}", &uuid_like()[..8])
}

fn uuid_like() -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_nanos();
    format!("{:x}", n ^ u128::from(std::process::id()) << 64)
        .chars()
        .rev()
        .collect()
}

/// The catalogue configuration of the fixtures: Sentinel-2 through CQL2 filters (the API's
/// conformance), Sentinel-1 through the `query` extension.
pub fn catalogues() -> String {
    let stac = env("STRATUS_TEST_STAC_URL");
    json!({"providers": [
        {"name": "fixtures-s2", "url": stac, "collections": {"sentinel2": ["sentinel-2-l2a"]},
         "page_size": 2},
        {"name": "fixtures-s1", "url": stac, "collections": {"sentinel1": ["sentinel-1-slc"]},
         "filter": "query"}
    ]})
    .to_string()
}

async fn server() -> Stratus {
    if std::env::var("STRATUS_E2E_URL").is_ok() {
        Stratus::start().await
    } else {
        Stratus::local(vec!["--catalogues".into(), catalogues()]).await
    }
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/{name}", env("STRATUS_TEST_FIXTURES"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("JSON")
}

fn s2_area(name: &str, tile_graph: &str, layers: Value) -> Value {
    json!({
        "name": name, "type": "Feature", "properties": {},
        "geometry": fixture("s2-aoi.json"),
        "start_time": "2022-01-01T00:00:00.000Z", "end_time": "2022-02-10T00:00:00.000Z",
        "scene_type": {"constellation": "sentinel2", "parameters": {"cloudcoverpercentage": "[0 TO 80]"}},
        "scene_graph_name": "CopyProductToStorage", "tile_graph_name": tile_graph,
        "layers": layers, "record_tags": {"source": "tests"},
        "is_retriable": true, "retry_count": 1
    })
}

fn s1_area(name: &str, retry_count: u32) -> Value {
    let geometry = fixture("s1-aoi.json");
    json!({
        "name": name, "type": "Polygon", "coordinates": geometry["coordinates"],
        "start_time": "2022-01-01T00:00:00Z", "end_time": "2022-03-01T00:00:00Z",
        "scene_type": {"constellation": "SENTINEL-1",
                       "parameters": {"producttype": "SLC", "relativeorbitnumber": "44",
                                      "polarisationmode": "VV VH"}},
        "scene_graph_name": "S1Preprocessing", "tile_graph_name": "CopyProductToStorage",
        "record_tags": {"source": "tests"}, "is_retriable": true, "retry_count": retry_count
    })
}

/// A multipart form of JSON fields, as `curl -F field=@file.json` sends it.
async fn form(
    s: &Stratus,
    method: reqwest::Method,
    path: &str,
    fields: &[(&str, &Value)],
) -> reqwest::Response {
    let boundary = "stratus-test-boundary-7d3c";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}.json\"\r\nContent-Type: application/json\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(value.to_string().as_bytes());
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    s.http
        .request(method, s.at(path))
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .expect("form request")
}

async fn post_form(s: &Stratus, path: &str, fields: &[(&str, &Value)]) -> (u16, String) {
    let r = form(s, reqwest::Method::POST, path, fields).await;
    (r.status().as_u16(), r.text().await.expect("body"))
}

async fn get(s: &Stratus, path: &str) -> (u16, String) {
    let r = s.http.get(s.at(path)).send().await.expect("GET");
    (r.status().as_u16(), r.text().await.expect("body"))
}

async fn get_json(s: &Stratus, path: &str) -> Value {
    let (status, body) = get(s, path).await;
    assert_eq!(status, 200, "GET {path}: {body}");
    serde_json::from_str(&body).expect("JSON")
}

async fn put(s: &Stratus, path: &str) -> u16 {
    s.http
        .put(s.at(path))
        .send()
        .await
        .expect("PUT")
        .status()
        .as_u16()
}

/// Counts of the `GET /aoi/{aoi}` summary: ("Scenes"|"Tiles", "done"...) -> n.
fn summary_counts(text: &str) -> HashMap<(String, String), u64> {
    let mut section = String::new();
    let mut out = HashMap::new();
    for line in text.lines() {
        if let Some(s) = line.strip_suffix(':') {
            section = s.trim().to_string();
        } else if let Some((k, v)) = line.trim().split_once(':')
            && let Ok(n) = v.trim().parse()
        {
            out.insert((section.clone(), k.trim().to_string()), n);
        }
    }
    out
}

/// Waits until nothing of the AOI is PENDING (and at least one scene exists) in two summaries a
/// second apart (a finishing scene is DONE a moment before its tiles are claimed); returns the
/// counts.
async fn settle(s: &Stratus, aoi: &str) -> HashMap<(String, String), u64> {
    let deadline = Instant::now() + WAIT;
    let mut last: Option<String> = None;
    loop {
        let (status, text) = get(s, &format!("/aoi/{aoi}")).await;
        assert_eq!(status, 200, "{text}");
        let c = summary_counts(&text);
        let n = |a: &str, b: &str| c.get(&(a.to_string(), b.to_string())).copied().unwrap_or(0);
        let idle =
            n("Scenes", "Total") > 0 && n("Scenes", "pending") == 0 && n("Tiles", "pending") == 0;
        if idle && last.as_deref() == Some(text.as_str()) {
            return c;
        }
        last = idle.then_some(text.clone());
        if idle {
            tokio::time::sleep(Duration::from_millis(700)).await;
        }
        assert!(
            Instant::now() < deadline,
            "AOI {aoi} still running:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

fn count(c: &HashMap<(String, String), u64>, section: &str, status: &str) -> u64 {
    c.get(&(section.to_string(), status.to_string()))
        .copied()
        .unwrap_or(0)
}

/// The datasets of a record that tiles of `aoi` produced (their keys sit under the AOI).
fn of_aoi(record: &Value, aoi: &str) -> Vec<Value> {
    let marker = format!("/{aoi}/");
    record["datasets"]
        .as_array()
        .map(|all| {
            all.iter()
                .filter(|d| d["key"].as_str().is_some_and(|k| k.contains(&marker)))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

async fn register_water(s: &Stratus) -> String {
    let name = uniq("water");
    let r = s
        .http
        .post(s.at("/variables"))
        .json(&json!({"name": name, "unit": "mask", "instances": [{"name": "otsu"}]}))
        .send()
        .await
        .expect("POST /variables");
    assert_eq!(r.status(), 201);
    name
}

#[tokio::test]
#[ignore = "needs the STAC fixtures: tests/stages/ingest.sh or aws-ingest.sh"]
async fn sentinel2_scenes_tiles_aoi_to_done_with_records_and_outputs() {
    let s = server().await;
    let water = register_water(&s).await;
    let aoi = uniq("S2Demo");
    let mut area = s2_area(
        &aoi,
        "water-bodies",
        json!({"otsu": {"variable": water, "instance": "otsu"}}),
    );
    // Own records: a record is reused by (name, date, tags) and listed under the AOI that
    // created it, and a deployment shared by the tests has other AOIs of the same scenes.
    area["record_tags"]["run"] = json!(aoi);

    let (status, body) = post_form(&s, "/catalog/scenes", &[("area", &area)]).await;
    assert_eq!(status, 200, "{body}");
    let scenes: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(scenes["type"], "FeatureCollection");
    assert_eq!(scenes["properties"]["next"], "false");
    let features = scenes["features"].as_array().unwrap();
    let names: Vec<&str> = features
        .iter()
        .map(|f| f["properties"]["source_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "S2A_MSIL2A_20220104T190324_N0510_R013_T10TFK_20220104T230000",
            "S2A_MSIL2A_20220114T190324_N0510_R013_T10TFK_20220114T230000"
        ],
        "cloudy and far scenes filtered, the older processing baseline dropped"
    );
    let p = &features[0]["properties"];
    for key in ["aoi", "data", "id", "source_id", "tags", "wkt"] {
        assert!(p.get(key).is_some(), "scene property {key}: {p}");
    }
    assert_eq!(p["aoi"], json!(aoi));
    assert_eq!(p["data"]["graph_name"], "CopyProductToStorage");
    assert_eq!(p["data"]["is_retriable"], true);
    assert!(
        p["data"]["metadata"]["download_link"]
            .as_str()
            .unwrap()
            .contains("/collections/sentinel-2-l2a/items/")
    );
    assert_eq!(p["tags"]["constellation"], "SENTINEL2");
    assert_eq!(p["tags"]["cloudCoverPercentage"], "10.5");
    assert_eq!(
        p["tags"]["source"], "tests",
        "record_tags copied into the tags"
    );
    assert!(p["wkt"].as_str().unwrap().starts_with("POLYGON"));

    // Paging: 0-based page/limit in the URL.
    let (_, page1) = post_form(&s, "/catalog/scenes?page=1&limit=1", &[("area", &area)]).await;
    let page1: Value = serde_json::from_str(&page1).unwrap();
    assert_eq!(page1["features"].as_array().unwrap().len(), 1);
    assert_eq!(page1["properties"]["next"], "true", "a full page");

    let (status, body) = post_form(
        &s,
        "/catalog/tiles",
        &[("area", &area), ("scenes", &scenes)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let tiles: Value = serde_json::from_str(&body).unwrap();
    let t = &tiles["features"][0]["properties"]["tiles"][0];
    assert_eq!(
        t["SourceID"], p["source_id"],
        "an optical scene is one tile"
    );
    assert_eq!(t["SceneID"], p["source_id"]);
    assert_eq!(t["data"]["graph_name"], "water-bodies");
    assert!(t["previous"].is_null() && t["reference"].is_null());
    assert_eq!(
        tiles["features"][0]["properties"]["data"]["tiles"][p["source_id"].as_str().unwrap()]["tile_nr"],
        0
    );
    let (status, _) = post_form(&s, "/catalog/tiles", &[("area", &area)]).await;
    assert_eq!(status, 400, "scenes are required");

    let (status, body) = post_form(&s, "/catalog/aoi", &[("area", &area), ("tiles", &tiles)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.starts_with("Ingestion of 2 scenes and 2 tiles in progress ("),
        "{body}"
    );

    let c = settle(&s, &aoi).await;
    assert_eq!(
        (count(&c, "Scenes", "done"), count(&c, "Tiles", "done")),
        (2, 2),
        "{c:?}"
    );
    let aois = get_json(&s, "/aoi/").await;
    assert!(
        aois.as_array()
            .unwrap()
            .contains(&json!({"ID": aoi, "status": "DONE"})),
        "{aois}"
    );

    // Outputs in storage, records indexed.
    let done = get_json(&s, &format!("/aoi/{aoi}/tiles/DONE")).await;
    assert_eq!(done.as_array().unwrap().len(), 2);
    let tile = &done[0];
    for key in [
        "id",
        "source_id",
        "scene",
        "data",
        "status",
        "message",
        "PreviousID",
        "ReferenceID",
        "RetryCountDown",
    ] {
        assert!(tile.get(key).is_some(), "tile field {key}: {tile}");
    }
    let record_id = tile["scene"]["data"]["record_id"]
        .as_str()
        .unwrap()
        .to_string();
    let record = get_json(&s, &format!("/records/{record_id}")).await;
    assert_eq!(record["name"], tile["scene"]["source_id"]);
    assert_eq!(record["tags"]["source"], "tests");
    // Records are shared by the AOIs that ingest the same scene: keep this AOI's datasets.
    let datasets = of_aoi(&record, &aoi);
    assert_eq!(datasets.len(), 1, "{record}");
    assert_eq!(datasets[0]["layer"], "otsu");
    assert_eq!(
        datasets[0]["instance_id"],
        tile["scene"]["data"]["instances_id"]["otsu"]
    );
    let key = datasets[0]["key"].as_str().unwrap();
    assert!(
        key.ends_with("_otsu.tif") && key.contains("/tiles/"),
        "{key}"
    );
    let r = s
        .http
        .get(s.at(&format!("/objects/{key}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(&r.bytes().await.unwrap()[..2], b"II", "a TIFF");
    let item_key = key.rsplit_once('/').unwrap().0.to_string() + "/item.json";
    let item = get_json(&s, &format!("/objects/{item_key}")).await;
    assert_eq!(item["type"], "Feature");
    assert_eq!(item["properties"]["stratus:record_id"], json!(record_id));
    assert!(
        item["assets"]["otsu"]["href"]
            .as_str()
            .unwrap()
            .ends_with("_otsu.tif")
    );
    let records = get_json(&s, &format!("/records?aoi={aoi}")).await;
    assert_eq!(records.as_array().unwrap().len(), 2);

    // Re-posting the same AOI adds nothing.
    let (status, body) = post_form(&s, "/catalog/aoi", &[("area", &area)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.starts_with("Ingestion of 0 scenes and 0 tiles"),
        "{body}"
    );
    assert_eq!(
        get_json(&s, &format!("/aoi/{aoi}/scenes"))
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
#[ignore = "needs the STAC fixtures: tests/stages/ingest.sh or aws-ingest.sh"]
async fn sentinel1_bursts_are_chained_and_processed_in_order() {
    let s = server().await;
    let aoi = uniq("S1Demo");
    let area = s1_area(&aoi, 0);
    let (status, body) = post_form(&s, "/catalog/scenes", &[("area", &area)]).await;
    assert_eq!(status, 200, "{body}");
    let scenes: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(scenes["features"].as_array().unwrap().len(), 4);
    let p = &scenes["features"][0]["properties"];
    assert_eq!(p["tags"]["orbitDirection"], "ASCENDING");
    assert_eq!(p["tags"]["relativeOrbit"], "44");
    assert_eq!(
        p["data"]["metadata"]["annotations"]
            .as_array()
            .unwrap()
            .len(),
        4,
        "IW1 VV+VH, IW2, IW3"
    );

    let (status, body) = post_form(
        &s,
        "/catalog/tiles",
        &[("area", &area), ("scenes", &scenes)],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let tiles: Value = serde_json::from_str(&body).unwrap();
    let features = tiles["features"].as_array().unwrap();
    assert_eq!(
        features[0]["geometry"]["type"], "MultiPolygon",
        "scene + bursts"
    );
    let first = features[0]["properties"]["tiles"].as_array().unwrap();
    assert_eq!(first.len(), 6, "bursts 4-6 of IW1 and IW2: {first:?}");
    let ids: Vec<&str> = first
        .iter()
        .map(|t| t["SourceID"].as_str().unwrap())
        .collect();
    assert!(
        ids.iter()
            .all(|id| id.starts_with("A44_IW1_") || id.starts_with("A44_IW2_")),
        "{ids:?}"
    );
    assert_eq!(first[0]["data"]["swath_id"], "IW1");
    assert_eq!(first[0]["data"]["tile_nr"], 4);
    assert!(first[0]["anx_time"].as_i64().unwrap() > 8800);
    assert!(
        first.iter().all(|t| t["previous"].is_null()),
        "the oldest date starts the chains"
    );
    let second = features[1]["properties"]["tiles"].as_array().unwrap();
    let prev = &second[0]["previous"];
    assert_eq!(
        prev["SourceID"], first[0]["SourceID"],
        "same burst id across dates"
    );
    assert_eq!(prev["SceneID"], features[0]["properties"]["source_id"]);
    let third = features[2]["properties"]["tiles"].as_array().unwrap();
    assert_eq!(
        third[0]["previous"]["SceneID"],
        features[1]["properties"]["source_id"]
    );
    assert_eq!(
        third[0]["reference"]["SceneID"],
        features[0]["properties"]["source_id"]
    );

    let (status, body) = post_form(&s, "/catalog/aoi", &[("area", &area)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.starts_with("Ingestion of 4 scenes and 24 tiles"),
        "{body}"
    );
    let c = settle(&s, &aoi).await;
    assert_eq!(count(&c, "Tiles", "done"), 24, "{c:?}");
    let (_, text) = get(&s, &format!("/aoi/{aoi}")).await;
    assert!(
        text.contains("Root tiles : 6\n  From: 2022-01-04\n  To:   2022-02-09\n"),
        "{text}"
    );
    assert_eq!(
        get_json(&s, &format!("/aoi/{aoi}/roottiles"))
            .await
            .as_array()
            .unwrap()
            .len(),
        6
    );
    let leaves = get_json(&s, &format!("/aoi/{aoi}/leaftiles")).await;
    assert_eq!(leaves.as_array().unwrap().len(), 6);
    assert!(
        leaves[0]["scene"]["source_id"]
            .as_str()
            .unwrap()
            .contains("20220209")
    );
    let (status, dot) = get(&s, &format!("/aoi/{aoi}/dot")).await;
    assert_eq!(status, 200);
    assert!(
        dot.starts_with("digraph") && dot.contains("color=green") && dot.contains(" -> t"),
        "{dot}"
    );
    // Each burst indexed its swath's measurement file.
    let tile = &leaves[0];
    let record = get_json(
        &s,
        &format!(
            "/records/{}",
            tile["scene"]["data"]["record_id"].as_str().unwrap()
        ),
    )
    .await;
    let datasets = of_aoi(&record, &aoi);
    assert_eq!(
        datasets.len(),
        9,
        "IW1 has VV and VH measurements: {record}"
    );
    assert!(
        datasets
            .iter()
            .any(|d| d["key"].as_str().unwrap().contains("measurement")
                || d["key"].as_str().unwrap().ends_with(".tiff"))
    );
    assert_eq!(
        record["tags"]["previous_scenes"]
            .as_str()
            .unwrap()
            .matches("S1A_")
            .count(),
        1
    );
    // New dates chain onto the leaves: re-posting finds nothing new.
    let (_, body) = post_form(&s, "/catalog/aoi", &[("area", &area)]).await;
    assert!(
        body.starts_with("Ingestion of 0 scenes and 0 tiles"),
        "{body}"
    );
}

#[tokio::test]
#[ignore = "needs the STAC fixtures: tests/stages/ingest.sh or aws-ingest.sh"]
async fn a_failing_download_goes_retry_then_done_after_a_retry() {
    let s = server().await;
    let aoi = uniq("S2Retry");
    let area = s2_area(&aoi, "CopyProductToStorage", json!({}));
    let (_, body) = post_form(&s, "/catalog/scenes", &[("area", &area)]).await;
    let mut scenes: Value = serde_json::from_str(&body).unwrap();
    let token = uniq("heal").replace('-', "");
    let assets_url = env("STRATUS_TEST_ASSETS_URL");
    // The client edits the scenes (as geocube-ingester suggests): the first scene's assets now
    // come from a server answering 503 until healed.
    let metadata = &mut scenes["features"][0]["properties"]["data"]["metadata"];
    for (_, asset) in metadata["assets"].as_object_mut().unwrap().iter_mut() {
        let href = asset["href"]
            .as_str()
            .unwrap()
            .replace(&assets_url, &format!("{assets_url}/flaky/{token}"));
        asset["href"] = json!(href);
    }
    let (status, body) =
        post_form(&s, "/catalog/aoi", &[("area", &area), ("scenes", &scenes)]).await;
    assert_eq!(status, 200, "{body}");
    let c = settle(&s, &aoi).await;
    assert_eq!(
        (count(&c, "Scenes", "retry"), count(&c, "Scenes", "done")),
        (1, 1),
        "{c:?}"
    );
    let retry = get_json(&s, &format!("/aoi/{aoi}/scenes/RETRY")).await;
    let scene = &retry[0];
    assert_eq!(
        scene["RetryCountDown"], 0,
        "the automatic retry was used: {scene}"
    );
    assert!(
        scene["message"].as_str().unwrap().contains("503"),
        "{scene}"
    );
    let aois = get_json(&s, &format!("/aoi/{aoi}*")).await;
    assert_eq!(aois[0]["status"], "RETRY");
    let id = scene["id"].as_i64().unwrap();
    assert_eq!(
        put(&s, &format!("/scene/{id}/force/BOGUS")).await,
        500,
        "a bad status name"
    );

    let r = s
        .http
        .post(format!("{assets_url}/_heal/{token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = s
        .http
        .put(s.at(&format!("/aoi/{aoi}/retry")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"Scenes": 1, "Tiles": 0})
    );
    let c = settle(&s, &aoi).await;
    assert_eq!(
        (count(&c, "Scenes", "done"), count(&c, "Tiles", "done")),
        (2, 2),
        "{c:?}"
    );
    assert_eq!(
        get_json(&s, &format!("/scene/{id}")).await["status"],
        "DONE"
    );
    let r = s
        .http
        .put(s.at(&format!("/aoi/{aoi}/retry")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204, "nothing left to retry");
}

#[tokio::test]
#[ignore = "needs the STAC fixtures: tests/stages/ingest.sh or aws-ingest.sh"]
async fn failing_a_middle_tile_relinks_its_chain() {
    let s = server().await;
    let aoi = uniq("S1Chain");
    let area = s1_area(&aoi, 0);
    let (_, body) = post_form(&s, "/catalog/scenes", &[("area", &area)]).await;
    let mut scenes: Value = serde_json::from_str(&body).unwrap();
    let token = uniq("heal").replace('-', "");
    let assets_url = env("STRATUS_TEST_ASSETS_URL");
    // The second date's measurements are unavailable: its scene ends RETRY, its tiles wait.
    let metadata = &mut scenes["features"][1]["properties"]["data"]["metadata"];
    for (_, asset) in metadata["assets"].as_object_mut().unwrap().iter_mut() {
        if asset["roles"] == json!(["data"]) {
            let href = asset["href"]
                .as_str()
                .unwrap()
                .replace(&assets_url, &format!("{assets_url}/flaky/{token}"));
            asset["href"] = json!(href);
        }
    }
    let (status, body) =
        post_form(&s, "/catalog/aoi", &[("area", &area), ("scenes", &scenes)]).await;
    assert_eq!(status, 200, "{body}");
    let c = settle(&s, &aoi).await;
    assert_eq!(
        (
            count(&c, "Scenes", "retry"),
            count(&c, "Tiles", "done"),
            count(&c, "Tiles", "new")
        ),
        (1, 6, 18),
        "{c:?}"
    );

    let s2 = get_json(&s, &format!("/aoi/{aoi}/scenes/RETRY")).await[0].clone();
    let s2_tiles = get_json(&s, &format!("/scene/{}/tiles", s2["id"])).await;
    let middle = s2_tiles
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["source_id"].as_str().unwrap().contains("_IW1_"))
        .unwrap()
        .clone();
    let t1 = middle["PreviousID"]
        .as_i64()
        .expect("a middle tile has a previous tile");
    let id = middle["id"].as_i64().unwrap();
    let scenes_all = get_json(&s, &format!("/aoi/{aoi}/scenes")).await;
    let s3 = scenes_all
        .as_array()
        .unwrap()
        .iter()
        .find(|x| {
            x["data"]["date"]
                .as_str()
                .unwrap()
                .starts_with("2022-01-28")
        })
        .unwrap();
    let next = get_json(&s, &format!("/scene/{}/tiles", s3["id"])).await;
    let t3 = next
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["PreviousID"] == json!(id))
        .expect("the next tile")
        .clone();
    assert_eq!(t3["status"], "NEW", "it waits for its previous tile");

    assert_eq!(
        put(&s, &format!("/tile/{id}/fail")).await,
        403,
        "a NEW tile cannot be failed"
    );
    assert_eq!(
        put(&s, &format!("/tile/{id}/retry")).await,
        403,
        "nor retried"
    );
    assert_eq!(put(&s, &format!("/tile/{id}/force/RETRY")).await, 200);
    assert_eq!(
        put(&s, &format!("/tile/{id}/force/BOGUS")).await,
        500,
        "a bad status name"
    );
    assert_eq!(put(&s, &format!("/tile/{id}/fail")).await, 200);
    let failed = get_json(&s, &format!("/tile/{id}")).await;
    assert_eq!(failed["status"], "FAILED");
    assert!(failed["PreviousID"].is_null(), "{failed}");
    // Its next tile now follows its previous one, and runs (its scene and new previous are DONE).
    let deadline = Instant::now() + WAIT;
    let relinked = loop {
        let t = get_json(&s, &format!("/tile/{}", t3["id"])).await;
        if t["status"] == "DONE" {
            break t;
        }
        assert!(Instant::now() < deadline, "{t}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    assert_eq!(relinked["PreviousID"], json!(t1), "{relinked}");
    assert_eq!(put(&s, &format!("/tile/{id}/retry")).await, 403);
    assert_eq!(
        put(&s, &format!("/tile/{}/fail", t1)).await,
        403,
        "a DONE tile cannot be failed"
    );

    let r = s
        .http
        .post(format!("{assets_url}/_heal/{token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(put(&s, &format!("/scene/{}/retry", s2["id"])).await, 200);
    let c = settle(&s, &aoi).await;
    assert_eq!(
        (count(&c, "Tiles", "done"), count(&c, "Tiles", "failed")),
        (23, 1),
        "{c:?}"
    );
    let aois = get_json(&s, &format!("/aoi/{aoi}*")).await;
    assert_eq!(aois[0]["status"], "DONE", "FAILED tiles rank last: {aois}");
}

#[tokio::test]
#[ignore = "needs the STAC fixtures: tests/stages/ingest.sh or aws-ingest.sh"]
async fn layers_are_validated_against_the_registry() {
    let s = server().await;
    let water = register_water(&s).await;
    let aoi = uniq("S2Layers");
    let cases = [
        (
            json!({"B04": {"variable": "no-such-variable", "instance": "raw"}}),
            "no-such-variable",
        ),
        (
            json!({"B04": {"variable": water, "instance": "raw"}}),
            "'raw'",
        ),
        (
            json!({"B04": {"instance_id": "no-such-instance-id"}}),
            "no-such-instance-id",
        ),
    ];
    for (layers, needle) in cases {
        let area = s2_area(&aoi, "Pass", layers);
        let (status, body) = post_form(&s, "/catalog/aoi", &[("area", &area)]).await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body.contains(needle) && body.contains("B04"),
            "{body} should name {needle}"
        );
    }
    let v = get_json(&s, &format!("/variables/{water}")).await;
    let instance_id = v["instances"][0]["id"].as_str().unwrap();
    let r = s
        .http
        .post(s.at(&format!("/variables/{water}/instances")))
        .json(&json!({"name": "otsu"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let area = s2_area(&aoi, "Pass", json!({"B04": {"instance_id": instance_id}}));
    let (status, body) = post_form(&s, "/catalog/aoi", &[("area", &area)]).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = post_form(&s, "/catalog/aoi", &[("area", &json!({"name": "x"}))]).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = post_form(&s, "/catalog/scenes", &[]).await;
    assert_eq!(status, 400);
    assert!(body.contains("area"), "{body}");
    let bad_graph = s2_area(&aoi, "no-such-graph", json!({}));
    let (status, body) = post_form(&s, "/catalog/aoi", &[("area", &bad_graph)]).await;
    assert_eq!(status, 400);
    assert!(body.contains("no-such-graph"), "{body}");
}

#[tokio::test]
#[ignore = "needs the STAC fixtures: tests/stages/ingest.sh or aws-ingest.sh"]
async fn aoi_and_scene_routes_answer_as_the_reference() {
    let s = server().await;
    let aoi = uniq("Routes");
    let r = s
        .http
        .post(s.at(&format!("/aoi/{aoi}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = s
        .http
        .post(s.at(&format!("/aoi/{aoi}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let (status, text) = get(&s, "/aoi/no-such-aoi-anywhere").await;
    assert_eq!(status, 200);
    assert!(text.starts_with("Scenes:\n  new:     0\n"), "{text}");
    assert_eq!(
        get_json(&s, "/aoi/no-such-aoi-anywhere/scenes").await,
        json!([])
    );
    let scene = json!({
        "id": 0, "source_id": "S2B_MSIL2A_20220101T000000_N0510_R013_T10TFK_20220101T000000", "aoi": aoi,
        "data": {"date": "2022-01-01T00:00:00Z", "graph_name": "Pass", "graph_config": {},
                 "tiles": {"T1": {"swath_id": "", "tile_nr": 0}}, "metadata": {},
                 "is_retriable": true, "record_id": "", "storage_uri": ""},
        "tiles": {"T1": {"previous_tile_id": "", "previous_scene_id": "", "reference_tile_id": "",
                         "reference_scene_id": "", "data": {"graph_name": "Pass", "is_retriable": true,
                                                            "swath_id": "", "tile_nr": 0}}},
        "retry_count": 0
    });
    let r = s
        .http
        .post(s.at(&format!("/aoi/{aoi}/scene")))
        .json(&scene)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    assert!(id > 0);
    let r = s
        .http
        .post(s.at(&format!("/aoi/{aoi}/scene")))
        .json(&scene)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"id": 0}),
        "already there"
    );
    let mut unknown = scene.clone();
    unknown["extra"] = json!(true);
    let r = s
        .http
        .post(s.at(&format!("/aoi/{aoi}/scene")))
        .json(&unknown)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "unknown fields are refused");
    let c = settle(&s, &aoi).await;
    assert_eq!(count(&c, "Tiles", "done"), 1, "{c:?}");
    assert_eq!(get(&s, "/scene/abc").await.0, 400);
    assert_eq!(get(&s, "/tile/abc").await.0, 400);
    assert_eq!(get(&s, "/scene/999999999").await.0, 404);
    let scene_json = get_json(&s, &format!("/scene/{id}")).await;
    for key in [
        "id",
        "source_id",
        "aoi",
        "data",
        "status",
        "message",
        "RetryCountDown",
    ] {
        assert!(scene_json.get(key).is_some(), "scene field {key}");
    }
    let mut data = scene_json["data"].clone();
    data["graph_config"] = json!({"k": "v"});
    let r = s
        .http
        .put(s.at(&format!("/scene/{id}/data")))
        .json(&data)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    data["bogus"] = json!(1);
    let r = s
        .http
        .put(s.at(&format!("/scene/{id}/data")))
        .json(&data)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        get_json(&s, &format!("/scene/{id}")).await["data"]["graph_config"]["k"],
        "v"
    );
    assert_eq!(
        put(&s, &format!("/scene/{id}/retry")).await,
        403,
        "DONE cannot be retried"
    );
    let (status, body) = get(&s, "/ingester").await;
    assert_eq!((status, body.as_str()), (200, "ingester ok"));
    let r = s
        .http
        .delete(s.at(&format!("/aoi/{aoi}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        get(&s, &format!("/scene/{id}")).await.0,
        404,
        "deleting an AOI cascades"
    );
}

#[tokio::test]
#[ignore = "needs the STAC fixtures: tests/stages/ingest.sh or aws-ingest.sh"]
async fn bearer_auth_guards_every_route_but_the_root() {
    let local = std::env::var("STRATUS_E2E_URL").is_err();
    let s = if local {
        Stratus::local(vec![
            "--token".into(),
            "s3cret".into(),
            "--catalogues".into(),
            catalogues(),
        ])
        .await
    } else {
        Stratus::start().await
    };
    let bare = reqwest::Client::builder().no_proxy().build().unwrap();
    let r = bare.get(s.at("/")).send().await.unwrap();
    assert_eq!(r.status(), 200, "the landing page needs no token");
    for path in ["/aoi/", "/processes", "/catalog/scenes", "/jobs"] {
        let r = bare.get(s.at(path)).send().await.unwrap();
        assert_eq!(r.status(), 403, "{path} without a token");
        let body = r.text().await.unwrap();
        if local {
            assert_eq!(body, "\"token not found\"");
        }
        assert!(!body.contains("s3cret"));
    }
    let r = bare
        .get(s.at("/aoi/"))
        .header("Authorization", "Bearer wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    if local {
        assert_eq!(r.text().await.unwrap(), "\"invalid token\"");
        let r = bare
            .get(s.at("/aoi/"))
            .header("Authorization", "s3cret")
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.text().await.unwrap(),
            "\"missing \\\"Bearer \\\" prefix\""
        );
        let r = bare
            .get(s.at("/aoi/"))
            .header("Authorization", "Bearer s3cret")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    } else {
        let token = std::env::var("STRATUS_E2E_TOKEN").expect("the deployed stack's token");
        let r = bare
            .get(s.at("/aoi/"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
}

#[tokio::test]
#[ignore = "needs the STAC fixtures: tests/stages/ingest.sh"]
async fn stratus_ingest_runs_a_payload_and_prints_the_summary() {
    if std::env::var("STRATUS_E2E_URL").is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let aoi = uniq("Cli");
    let payload = dir.path().join("payload.json");
    std::fs::write(&payload, s1_area(&aoi, 0).to_string()).unwrap();
    let out = tokio::process::Command::new(stratus_tests::stratus_bin())
        .arg("ingest")
        .arg(&payload)
        .args(["--progress", "plain", "--catalogues", &catalogues()])
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("Ingestion of 4 scenes and 24 tiles in progress"),
        "{stderr}"
    );
    assert!(stderr.contains("tiles:"), "plain progress lines: {stderr}");
    assert!(
        stdout.contains("Tiles:\n  new:     0\n  pending: 0\n  done:    24\n"),
        "{stdout}"
    );
    assert!(stdout.contains("Root tiles : 6"), "{stdout}");
}
