//! `stratus demo`: the seed notebook's water-bodies session against this server, on the
//! offline sample scenes, as an HTTP client would run it.

use std::time::Instant;

use serde_json::json;
use stratus_core::ports::ObjectStore;
use stratus_local::samples::Sample;

use crate::client::{AnyResult, Client, Progress, ProgressMode};

/// Submits water-bodies on the samples, follows the job, prints the results: the same client
/// code as `stratus run`.
pub async fn run(base: &str, samples: &[Sample], objects: &dyn ObjectStore) -> AnyResult {
    let client = Client::new(base)?;
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
        },
        "response": "document"
    });
    println!(
        "\nPOST {base}/processes/water-bodies/execution\n{}",
        serde_json::to_string_pretty(&body)?
    );
    let started = Instant::now();
    let job_url = client.submit("water-bodies", &body).await?;
    println!("job: {job_url}");
    let done = client
        .follow(&job_url, &mut Progress::new(ProgressMode::Plain))
        .await?;
    if done["status"] != "successful" {
        return Err(format!("the job ended {}: {}", done["status"], done["message"]).into());
    }
    let results = client.results(&job_url).await?;
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
    println!(
        "\nResults document: {job_url}/results\nOn a map: {job_url}/results?f=html\n\
         Still serving at {base} (open it in a browser); Ctrl-C to stop."
    );
    Ok(())
}
