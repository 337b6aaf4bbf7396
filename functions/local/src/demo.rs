//! `stratus demo`: the seed notebook's water-bodies session against this server, on the
//! offline sample scenes, as an HTTP client would run it.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use stratus_core::ports::ObjectStore;
use stratus_local::samples::Sample;

type AnyResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Submits water-bodies on the samples, follows the job, prints the results.
pub async fn run(base: &str, samples: &[Sample], objects: &dyn ObjectStore) -> AnyResult {
    let client = reqwest::Client::builder().no_proxy().build()?;
    let Some(first) = samples.first() else {
        return Err("no sample scenes".into());
    };
    let items: Vec<String> = samples.iter().map(|s| objects.href(&s.item_key)).collect();
    let body = json!({
        "inputs": {
            "stac_items": items,
            "aoi": first.aoi(),
            "epsg": "EPSG:4326",
            "bands": ["green", "nir"]
        }
    });
    println!(
        "\nPOST {base}/processes/water-bodies/execution\n{}",
        serde_json::to_string_pretty(&body)?
    );
    let started = Instant::now();
    let resp = client
        .post(format!("{base}/processes/water-bodies/execution"))
        .header("Prefer", "respond-async;return=representation")
        .json(&body)
        .send()
        .await?;
    if resp.status() != 201 {
        return Err(format!(
            "submission failed: {} {}",
            resp.status(),
            resp.text().await?
        )
        .into());
    }
    let status: Value = resp.json().await?;
    let job_url = format!(
        "{base}/jobs/{}",
        status["jobID"].as_str().unwrap_or_default()
    );
    println!("job: {job_url}");
    let mut last = String::new();
    let done = loop {
        let doc: Value = client.get(&job_url).send().await?.json().await?;
        let line = format!(
            "status: {} ({}%) {}",
            doc["status"].as_str().unwrap_or("?"),
            doc["progress"],
            doc["message"].as_str().unwrap_or("")
        );
        if line != last {
            println!("{line}");
            last = line;
        }
        if matches!(
            doc["status"].as_str(),
            Some("successful" | "failed" | "dismissed")
        ) {
            break doc;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    if done["status"] != "successful" {
        return Err(format!("the job ended {}: {}", done["status"], done["message"]).into());
    }
    let results: Value = client
        .get(format!("{job_url}/results"))
        .send()
        .await?
        .json()
        .await?;
    println!(
        "finished in {:.1} s; results:",
        started.elapsed().as_secs_f64()
    );
    for item in results["stac_catalog"]["value"]["features"]
        .as_array()
        .into_iter()
        .flatten()
    {
        println!(
            "  {}  proj:shape {}  mask {}",
            item["id"].as_str().unwrap_or("?"),
            item["properties"]["proj:shape"],
            item["assets"]["data"]["href"].as_str().unwrap_or("?")
        );
    }
    println!("\nResults document: {job_url}/results\nStill serving at {base}; Ctrl-C to stop.");
    Ok(())
}
