//! OGC API - Processes Part 2 (Deploy, Replace, Undeploy) over real HTTP, engine-neutral:
//! run against a local `stratus serve` by default, or a deployed stack with `STRATUS_E2E_URL`.
//! The water-bodies EO Application Package (tests/cwl/water-bodies.cwl) is deployed,
//! described, fetched back, replaced and undeployed; bad packages get the right exceptions.

use serde_json::{Value, json};
use stratus_tests::{Stratus, assert_exception, link, workspace};

const E2: &str = "http://www.opengis.net/def/exceptions/ogcapi-processes-2/1.0/";
const YAML: &str = "application/cwl+yaml";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(workspace().join("tests/cwl").join(name)).expect("fixture")
}

/// The water-bodies package with its main Workflow renamed (a Workflow id is a process id).
fn water_bodies_as(id: &str) -> String {
    fixture("water-bodies.cwl").replace("    id: water-bodies\n", &format!("    id: {id}\n"))
}

#[tokio::test]
async fn conformance_declares_part_2() {
    let s = Stratus::start().await;
    let conf = s.get_json("/conformance", 200).await;
    for c in ["deploy-replace-undeploy", "ogcapppkg", "cwl"] {
        let uri = format!("http://www.opengis.net/spec/ogcapi-processes-2/1.0/conf/{c}");
        assert!(
            conf["conformsTo"].as_array().unwrap().contains(&json!(uri)),
            "conformance class {c}"
        );
    }
}

#[tokio::test]
async fn water_bodies_deploys_describes_round_trips_replaces_and_undeploys() {
    let s = Stratus::start().await;

    // The package as published has the id of the built-in water-bodies, where there is one.
    let builtin = s
        .http
        .get(s.at("/processes/water-bodies"))
        .send()
        .await
        .unwrap();
    if builtin.status() == 200 {
        let d: Value = builtin.json().await.unwrap();
        assert_eq!(d["mutable"], false, "built-ins are immutable");
        assert_exception(
            s.deploy(fixture("water-bodies.cwl"), YAML, None).await,
            403,
            &format!("{E2}immutable-process"),
            "water-bodies",
        )
        .await;
    }

    let id = "water-bodies-cwl";
    let package = water_bodies_as(id);
    let r = s.deploy(package.clone(), YAML, None).await;
    assert_eq!(r.status(), 201, "deploy");
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("http") && location.ends_with(&format!("/processes/{id}")));
    let summary: Value = r.json().await.unwrap();
    assert_eq!(summary["id"], id);
    assert_eq!(summary["mutable"], true);
    assert_eq!(summary["version"], "1.0.0");

    let d = s.get_json(&format!("/processes/{id}"), 200).await;
    assert_eq!(d["title"], "Water bodies detection");
    assert_eq!(d["mutable"], true);
    assert_eq!(d["inputs"]["aoi"]["schema"], json!({"type": "string"}));
    assert_eq!(
        d["inputs"]["epsg"]["schema"],
        json!({"type": "string", "default": "EPSG:4326"})
    );
    assert_eq!(d["inputs"]["epsg"]["minOccurs"], 0);
    assert_eq!(
        d["inputs"]["stac_items"]["schema"],
        json!({"type": "array", "items": {"type": "string"}})
    );
    assert_eq!(
        d["inputs"]["bands"]["schema"]["default"],
        json!(["green", "nir"])
    );
    let out = &d["outputs"]["stac_catalog"]["schema"];
    assert_eq!(out["type"], "object");
    assert_eq!(out["contentMediaType"], "application/json");
    assert!(
        d["jobControlOptions"]
            .as_array()
            .unwrap()
            .contains(&json!("async-execute"))
    );
    assert!(link(&d, "self").is_some());

    let list = s.get_json("/processes?limit=100", 200).await;
    let items = list["processes"].as_array().unwrap();
    assert!(
        items.iter().all(|p| p["mutable"].is_boolean()),
        "mutable on every item"
    );
    let listed = items.iter().find(|p| p["id"] == id).expect("listed");
    assert_eq!(listed["mutable"], true);
    let echo = items
        .iter()
        .find(|p| p["id"] == "echo")
        .expect("echo listed");
    assert_eq!(echo["mutable"], false);

    // The package comes back byte for byte, and as JSON on request.
    let r = s
        .http
        .get(s.at(&format!("/processes/{id}/package")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], YAML);
    assert_eq!(r.text().await.unwrap(), package);
    let r = s
        .http
        .get(s.at(&format!("/processes/{id}/package")))
        .header("accept", "application/cwl+json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/cwl+json");
    let as_json: Value = r.json().await.unwrap();
    assert_eq!(as_json["cwlVersion"], "v1.2");
    assert_eq!(as_json["$graph"][0]["id"], id);
    assert_eq!(as_json["$graph"].as_array().unwrap().len(), 6);

    assert_exception(
        s.deploy(package.clone(), YAML, None).await,
        409,
        &format!("{E2}duplicated-process"),
        id,
    )
    .await;

    // Replace: same id, new description and package.
    let replaced = package.replace(
        "label: Water bodies detection\n",
        "label: Water bodies v2\n",
    );
    let r = s
        .http
        .put(s.at(&format!("/processes/{id}")))
        .header("content-type", YAML)
        .body(replaced.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204, "replace");
    let d = s.get_json(&format!("/processes/{id}"), 200).await;
    assert_eq!(d["title"], "Water bodies v2");
    let r = s
        .http
        .get(s.at(&format!("/processes/{id}/package")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), replaced);
    for (method, url) in [
        (reqwest::Method::PUT, format!("/processes/{id}")),
        (reqwest::Method::POST, "/processes".to_string()),
    ] {
        let r = s
            .http
            .request(method.clone(), s.at(&url))
            .header("content-type", "text/plain")
            .body("hello")
            .send()
            .await
            .unwrap();
        assert_exception(r, 415, &format!("{E2}unsupported-media-type"), "text/plain").await;
    }

    // Undeploy.
    let r = s
        .http
        .delete(s.at(&format!("/processes/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204, "undeploy");
    let gone = s
        .http
        .get(s.at(&format!("/processes/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
    let package_gone = s
        .http
        .get(s.at(&format!("/processes/{id}/package")))
        .send()
        .await
        .unwrap();
    assert_eq!(package_gone.status(), 404);
    let again = s
        .http
        .delete(s.at(&format!("/processes/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
    let put_gone = s
        .http
        .put(s.at(&format!("/processes/{id}")))
        .header("content-type", YAML)
        .body(package.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(put_gone.status(), 404);
    // Deployable again once undeployed.
    assert_eq!(s.deploy(package, YAML, None).await.status(), 201);
    assert_eq!(
        s.http
            .delete(s.at(&format!("/processes/{id}")))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
}

#[tokio::test]
async fn built_ins_are_immutable() {
    let s = Stratus::start().await;
    let r = s
        .http
        .put(s.at("/processes/echo"))
        .header("content-type", YAML)
        .body(water_bodies_as("echo"))
        .send()
        .await
        .unwrap();
    assert_exception(r, 403, &format!("{E2}immutable-process"), "echo").await;
    let r = s.http.delete(s.at("/processes/echo")).send().await.unwrap();
    assert_exception(r, 403, &format!("{E2}immutable-process"), "echo").await;
    assert_exception(
        s.deploy(water_bodies_as("echo"), YAML, None).await,
        403,
        &format!("{E2}immutable-process"),
        "echo",
    )
    .await;
    let r = s
        .http
        .get(s.at("/processes/echo/package"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn bad_packages_get_the_right_errors() {
    let s = Stratus::start().await;
    let good = water_bodies_as("wb-bad");
    let cases = [
        (
            "cwlVersion: v1.2\n$graph: [\n  - class",
            "YAML syntax error",
        ),
        (
            &good.replace("class: Workflow", "class: CommandLineTool") as &str,
            "no Workflow",
        ),
        (
            &good.replace("source: node_crop/cropped", "source: node_crop/nothing"),
            "node_crop/nothing",
        ),
        (
            &good.replace(
                "      - class: SubworkflowFeatureRequirement\n",
                "      - class: SubworkflowFeatureRequirement\n      - class: MPIRequirement\n",
            ),
            "unsupported requirement 'MPIRequirement'",
        ),
        (
            "cwlVersion: v1.2\nclass: Workflow\nid: x\ninputs: []\noutputs: []\nsteps: []\n",
            "no steps",
        ),
    ];
    for (body, needle) in cases {
        assert_exception(
            s.deploy(body.to_string(), YAML, None).await,
            400,
            "InvalidParameterValue",
            needle,
        )
        .await;
    }
    assert_exception(
        s.deploy(good.clone(), YAML, Some("nope")).await,
        400,
        &format!("{E2}workflow-not-found"),
        "nope",
    )
    .await;
    assert_exception(
        s.deploy("{\"cwlVersion\": ", "application/cwl+json", None)
            .await,
        400,
        "InvalidParameterValue",
        "not valid JSON",
    )
    .await;
    assert_exception(
        s.deploy(
            "{\"processDescription\": {}}",
            "application/ogcapppkg+json",
            None,
        )
        .await,
        400,
        "InvalidParameterValue",
        "executionUnit",
    )
    .await;
    let r = s.deploy(good, "text/plain", None).await;
    assert_exception(r, 415, &format!("{E2}unsupported-media-type"), "text/plain").await;
    let list = s.get_json("/processes?limit=100", 200).await;
    assert!(
        !list["processes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == "wb-bad"),
        "nothing was deployed"
    );
}

#[tokio::test]
async fn application_packages_inline_by_href_and_with_w() {
    let s = Stratus::start().await;
    // Inline CWL (JSON), with a processDescription override.
    let cwl: Value = serde_json::json!({
        "cwlVersion": "v1.2", "class": "CommandLineTool", "id": "hello-json",
        "baseCommand": ["echo"], "inputs": {"who": {"type": "string", "inputBinding": {"position": 1}}},
        "outputs": {"out": {"type": "stdout"}}, "stdout": "out.txt"
    });
    let pkg = json!({
        "processDescription": {"process": {"title": "Hello from a package", "version": "3.0.0"}},
        "executionUnit": {"value": cwl, "mediaType": "application/cwl+json"}
    })
    .to_string();
    let r = s
        .deploy(pkg.clone(), "application/ogcapppkg+json", None)
        .await;
    assert_eq!(r.status(), 201);
    let d = s.get_json("/processes/hello-json", 200).await;
    assert_eq!(d["title"], "Hello from a package");
    assert_eq!(d["version"], "3.0.0");
    assert_eq!(d["inputs"]["who"]["schema"], json!({"type": "string"}));
    let r = s
        .http
        .get(s.at("/processes/hello-json/package"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/ogcapppkg+json");
    assert_eq!(r.text().await.unwrap(), pkg);
    let r = s
        .http
        .get(s.at("/processes/hello-json/package"))
        .header("accept", "application/cwl+yaml")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/cwl+yaml");
    let yaml = r.text().await.unwrap();
    assert!(
        yaml.contains("cwlVersion: v1.2") && yaml.contains("id: hello-json"),
        "{yaml}"
    );

    // By href: the server downloads the CWL.
    let (url, _server) = serve_text(water_bodies_as("wb-by-href")).await;
    let pkg = json!({"executionUnit": {"href": url, "type": "application/cwl"}}).to_string();
    let r = s.deploy(pkg, "application/ogcapppkg+json", None).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap_or_default());
    let d = s.get_json("/processes/wb-by-href", 200).await;
    assert_eq!(d["inputs"].as_object().unwrap().len(), 4);

    // ?w= picks the sub-workflow of the same package.
    let r = s
        .deploy(
            water_bodies_as("wb-w"),
            "application/cwl",
            Some("detect_water_body"),
        )
        .await;
    assert_eq!(r.status(), 201);
    let d = s.get_json("/processes/detect_water_body", 200).await;
    assert!(d["outputs"]["detected_water_body"].is_object());

    for id in ["hello-json", "wb-by-href", "detect_water_body"] {
        let r = s
            .http
            .delete(s.at(&format!("/processes/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
    }
}

/// Serves `text` at a loopback URL until the returned handle is dropped.
async fn serve_text(text: String) -> (String, tokio::task::JoinHandle<()>) {
    let app = axum::Router::new().route(
        "/app.cwl",
        axum::routing::get(move || {
            let text = text.clone();
            async move { ([("content-type", "application/cwl")], text) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/app.cwl", listener.local_addr().unwrap());
    let handle = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, handle)
}
