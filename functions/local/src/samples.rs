//! Offline sample data: deterministic Sentinel-2-like scenes with known lakes and a river
//! (green and NIR COGs plus an earth-search v0 style STAC Item), published in the object store
//! under `samples/` and served by `GET /objects/samples/...` with range requests, so
//! water-bodies runs on a fresh machine with no internet.

use bytes::Bytes;
use serde_json::Value;
use stratus_core::ports::ObjectStore;
use stratus_core::{Error, Result};

/// One published sample scene.
#[derive(Debug, Clone)]
pub struct Sample {
    /// STAC Item id.
    pub id: String,
    /// Object key of the item JSON.
    pub item_key: String,
    /// The item's bounding box in EPSG:4326.
    pub bbox: [f64; 4],
}

impl Sample {
    /// An AOI inside the scene (its bbox shrunk by 10 % on each side), as water-bodies takes it.
    pub fn aoi(&self) -> String {
        let [w, s, e, n] = self.bbox;
        let (dx, dy) = ((e - w) * 0.1, (n - s) * 0.1);
        format!("{:.5},{:.5},{:.5},{:.5}", w + dx, s + dy, e - dx, n - dy)
    }
}

/// Scene ids and seeds of the samples.
const SCENES: [(&str, u64); 2] = [
    ("S2B_STRATUS_20210713_0_L2A", 7),
    ("S2A_STRATUS_20220524_0_L2A", 11),
];

/// Writes the sample scenes (`size` px square) into the object store unless they exist.
pub async fn ensure_samples(objects: &dyn ObjectStore, size: u32) -> Result<Vec<Sample>> {
    let mut samples = Vec::new();
    for (id, seed) in SCENES {
        let item_key = format!("samples/{id}/{id}.json");
        let item: Value = match objects.get(&item_key).await {
            Ok((body, _)) => serde_json::from_slice(&body)
                .map_err(|e| Error::backend("read a sample item", e))?,
            Err(Error::NoSuchObject(_)) => write_scene(objects, id, seed, size).await?,
            Err(e) => return Err(e),
        };
        let bbox = item["bbox"]
            .as_array()
            .map(|b| b.iter().filter_map(Value::as_f64).collect::<Vec<_>>())
            .and_then(|b| <[f64; 4]>::try_from(b).ok())
            .ok_or_else(|| Error::backend("read a sample item", "no bbox"))?;
        samples.push(Sample {
            id: id.to_string(),
            item_key,
            bbox,
        });
    }
    Ok(samples)
}

async fn write_scene(objects: &dyn ObjectStore, id: &str, seed: u64, size: u32) -> Result<Value> {
    let dir = std::env::temp_dir().join(format!("stratus-sample-{}", uuid::Uuid::new_v4()));
    let scene_dir = dir.clone();
    let scene_id = id.to_string();
    let item_path = tokio::task::spawn_blocking(move || {
        stratus_raster::synthetic::write_sample_scene(&scene_dir, &scene_id, size, seed)
    })
    .await
    .map_err(|e| Error::backend("generate a sample scene", e))?
    .map_err(|e| Error::backend("generate a sample scene", e))?;
    let read = |name: &str| {
        std::fs::read(dir.join(name)).map_err(|e| Error::backend("read a sample scene", e))
    };
    let geotiff = "image/tiff; application=geotiff; profile=cloud-optimized";
    for band in ["B03.tif", "B08.tif"] {
        objects
            .put(
                &format!("samples/{id}/{band}"),
                Bytes::from(read(band)?),
                geotiff,
            )
            .await?;
    }
    let item_bytes =
        std::fs::read(&item_path).map_err(|e| Error::backend("read a sample item", e))?;
    let item: Value =
        serde_json::from_slice(&item_bytes).map_err(|e| Error::backend("read a sample item", e))?;
    objects
        .put(
            &format!("samples/{id}/{id}.json"),
            Bytes::from(item_bytes),
            "application/geo+json",
        )
        .await?;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(item)
}
