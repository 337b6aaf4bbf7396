//! Command-line driver for tests and benchmarks.
//!
//! ```text
//! water_bodies_cli run ITEM_JSON AOI EPSG OUT_DIR   # writes OUT_DIR/otsu.tif and OUT_DIR/item.json
//! water_bodies_cli sample DIR ID SIZE SEED          # writes a synthetic scene, prints the item path
//! ```
//! Prints one JSON line with the threshold, shape, timings and peak RSS.

use std::path::Path;
use std::time::Instant;

use stratus_raster::{FileResolver, WaterBodiesParams, synthetic, water_bodies};

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

async fn run(
    item_path: &str,
    aoi: &str,
    epsg: &str,
    out: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let item: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(item_path)?)?;
    let params = WaterBodiesParams::new(aoi, epsg);
    let result = water_bodies(&item, item_path, &FileResolver, &params).await?;
    std::fs::create_dir_all(out)?;
    std::fs::write(Path::new(out).join("otsu.tif"), &result.cog)?;
    std::fs::write(
        Path::new(out).join("item.json"),
        serde_json::to_string_pretty(&result.stac_item)?,
    )?;
    let timings: serde_json::Map<String, serde_json::Value> = result
        .timings
        .iter()
        .map(|(k, d)| (k.to_string(), serde_json::json!(d.as_secs_f64())))
        .collect();
    println!(
        "{}",
        serde_json::json!({
            "item": result.item_id,
            "threshold": result.threshold,
            "width": result.width,
            "height": result.height,
            "water_pixels": result.water_pixels,
            "valid_pixels": result.valid_pixels,
            "timings": timings,
            "wall_s": started.elapsed().as_secs_f64(),
            "peak_rss_kib": peak_rss_kib(),
        })
    );
    Ok(())
}

fn main() {
    if let Err(e) = cli() {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn cli() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["run", item, aoi, epsg, out] => {
            tokio::runtime::Runtime::new()?.block_on(run(item, aoi, epsg, out))
        }
        ["sample", dir, id, size, seed] => {
            let path =
                synthetic::write_sample_scene(Path::new(dir), id, size.parse()?, seed.parse()?)?;
            println!("{}", path.display());
            Ok(())
        }
        _ => Err(
            "usage: water_bodies_cli run ITEM AOI EPSG OUT_DIR | sample DIR ID SIZE SEED".into(),
        ),
    }
}
