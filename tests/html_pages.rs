//! The HTML encoding over real HTTP: every resource answers `text/html` for browsers and keeps
//! answering JSON to clients (no `Accept`, `*/*`, `application/json`), pages link their JSON
//! twin and escape what users sent, the quicklook is a PNG and assets are cacheable.

use std::time::Duration;

use serde_json::{Value, json};
use stratus_tests::{Stratus, link};

const BROWSER_ACCEPT: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";

async fn get(s: &Stratus, path: &str, accept: Option<&str>) -> reqwest::Response {
    let mut req = s.http.get(s.at(path));
    if let Some(a) = accept {
        req = req.header("Accept", a);
    }
    req.send().await.expect("GET")
}

fn content_type(r: &reqwest::Response) -> String {
    r.headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

async fn html(s: &Stratus, path: &str) -> String {
    let r = get(s, path, Some(BROWSER_ACCEPT)).await;
    assert_eq!(r.status().as_u16(), 200, "GET {path} as HTML");
    assert!(
        content_type(&r).starts_with("text/html"),
        "{path}: {}",
        content_type(&r)
    );
    let body = r.text().await.expect("body");
    assert!(body.starts_with("<!DOCTYPE html>"), "{path}");
    assert!(
        body.contains(r#"rel="alternate" type="application/json""#),
        "{path} links its JSON twin"
    );
    body
}

#[tokio::test]
async fn every_resource_has_an_html_page_and_json_stays_the_default() {
    let s = Stratus::local(Vec::new()).await;
    let job = s
        .submit("echo", json!({"inputs": {"stringInput": "hi"}}))
        .await;
    s.wait_for(&job, &["successful"], Duration::from_secs(30))
        .await;
    let paths = [
        "/".to_string(),
        "/conformance".into(),
        "/api".into(),
        "/processes".into(),
        "/processes/echo".into(),
        "/processes/water-bodies".into(),
        "/jobs".into(),
        "/jobs?status=successful&processID=echo&limit=5".into(),
        format!("/jobs/{job}"),
        format!("/jobs/{job}/results"),
    ];
    for path in &paths {
        html(&s, path).await;
        let sep = if path.contains('?') { '&' } else { '?' };
        let r = get(&s, &format!("{path}{sep}f=html"), None).await;
        assert_eq!(r.status().as_u16(), 200, "{path} f=html");
        assert!(content_type(&r).starts_with("text/html"), "{path} f=html");
        for accept in [None, Some("*/*"), Some("application/json")] {
            let r = get(&s, path, accept).await;
            assert_eq!(r.status().as_u16(), 200, "{path} {accept:?}");
            assert!(
                !content_type(&r).starts_with("text/html"),
                "{path} with Accept {accept:?} must stay JSON"
            );
        }
        let r = get(&s, &format!("{path}{sep}f=json"), Some(BROWSER_ACCEPT)).await;
        assert!(!content_type(&r).starts_with("text/html"), "{path} f=json");
    }
    let r = get(&s, "/?f=xml", None).await;
    assert_eq!(r.status().as_u16(), 406);

    let landing = s.get_json("/", 200).await;
    assert!(link(&landing, "service-doc").is_some_and(|h| h.ends_with("/api?f=html")));
    assert!(link(&landing, "alternate").is_some_and(|h| h.ends_with("/?f=html")));
    let conformance = s.get_json("/conformance", 200).await;
    assert!(
        conformance["conformsTo"]
            .as_array()
            .expect("conformsTo")
            .contains(&json!(
                "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/html"
            ))
    );
    let status = s.get_json(&format!("/jobs/{job}"), 200).await;
    assert!(link(&status, "alternate").is_some_and(|h| h.ends_with("?f=html")));

    // Errors follow the format: a page for browsers, the exception document for clients.
    let r = get(
        &s,
        "/jobs/00000000-0000-7000-8000-000000000000",
        Some(BROWSER_ACCEPT),
    )
    .await;
    assert_eq!(r.status().as_u16(), 404);
    assert!(content_type(&r).starts_with("text/html"));
    let r = get(&s, "/jobs/00000000-0000-7000-8000-000000000000", None).await;
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(content_type(&r), "application/json");
}

#[tokio::test]
async fn pages_escape_what_users_sent() {
    let s = Stratus::local(Vec::new()).await;
    // The job's failure message quotes the href as sent (an invalid host: never fetched).
    let evil = "http://<script>alert(1)</script>/";
    let job = s
        .submit("echo", json!({"inputs": {"stringInput": {"href": evil}}}))
        .await;
    let doc: Value = s.wait_for(&job, &["failed"], Duration::from_secs(30)).await;
    assert!(
        doc["message"]
            .as_str()
            .unwrap_or_default()
            .contains("<script>"),
        "the message carries the markup: {doc}"
    );
    for path in [format!("/jobs/{job}"), "/jobs?status=failed".into()] {
        let page = html(&s, &path).await;
        assert!(
            !page.contains("<script>alert"),
            "{path} escapes the message"
        );
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{path}"
        );
    }
    let r = get(&s, &format!("/jobs/{job}/results"), Some(BROWSER_ACCEPT)).await;
    assert_eq!(r.status().as_u16(), 400);
    let page = r.text().await.expect("body");
    assert!(!page.contains("<script>alert") && page.contains("&lt;script&gt;"));
}

#[tokio::test]
async fn assets_are_embedded_and_cacheable() {
    let s = Stratus::local(Vec::new()).await;
    let page = html(&s, "/processes/water-bodies").await;
    for name in ["stratus.css", "stratus.js", "leaflet.js", "leaflet.css"] {
        let at = page
            .find(&format!("/static/{name}?v="))
            .unwrap_or_else(|| panic!("the page links {name}"));
        let start = page[..at].rfind('"').expect("attribute start") + 1;
        let end = at + page[at..].find('"').expect("attribute end");
        let url = page[start..end].replace("&amp;", "&");
        let r = s.http.get(&url).send().await.expect("GET asset");
        assert_eq!(r.status().as_u16(), 200, "{url}");
        assert_eq!(
            r.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let etag = r.headers()["etag"].clone();
        let again = s
            .http
            .get(&url)
            .header("If-None-Match", etag)
            .send()
            .await
            .expect("GET asset");
        assert_eq!(again.status().as_u16(), 304, "{url}");
    }
    let r = get(&s, "/static/images/layers.png", None).await;
    assert_eq!(content_type(&r), "image/png");
    assert_eq!(
        get(&s, "/static/nope.js", None).await.status().as_u16(),
        404
    );
}

#[tokio::test]
async fn water_bodies_results_page_maps_each_mask_with_a_quicklook() {
    let s = Stratus::local(Vec::new()).await;
    let bind = s.url.trim_start_matches("http://").to_string();
    let out = std::process::Command::new(stratus_tests::stratus_bin())
        .args(["samples", "--size", "512", "--bind", &bind, "--data-dir"])
        .arg(s.data_dir())
        .output()
        .expect("stratus samples");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listing = String::from_utf8_lossy(&out.stdout).to_string();
    let items: Vec<&str> = listing
        .lines()
        .filter_map(|l| l.split('\t').nth(1))
        .collect();
    let aoi = listing
        .lines()
        .next()
        .and_then(|l| l.split("aoi=").nth(1))
        .expect("aoi");
    let job = s
        .submit(
            "water-bodies",
            json!({"inputs": {"stac_items": items, "aoi": aoi}}),
        )
        .await;
    s.wait_for(&job, &["successful"], Duration::from_secs(120))
        .await;
    let page = html(&s, &format!("/jobs/{job}/results")).await;
    assert!(page.contains(r#"id="map""#) && page.contains("leaflet.js"));
    let quicklooks: Vec<String> = page
        .match_indices(&format!("{}/quicklook/", s.url))
        .map(|(at, _)| {
            let end = at + page[at..].find('"').expect("end");
            page[at..end].replace("&amp;", "&")
        })
        .collect();
    assert!(
        quicklooks.len() >= 2,
        "a quicklook per item: {quicklooks:?}"
    );
    let r = s.http.get(&quicklooks[0]).send().await.expect("quicklook");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(content_type(&r), "image/png");
    let png = r.bytes().await.expect("png");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let bad = s
        .http
        .get(quicklooks[0].split('?').next().expect("url").to_string() + "?bbox=1,2")
        .send()
        .await
        .expect("quicklook");
    assert_eq!(bad.status().as_u16(), 400);
}
