//! The object-store layout of ingestion outputs, shared by both engines. Keys are
//! deterministic, so a re-run overwrites the same objects (geocube-ingester's layout):
//!
//! ```text
//! {storage} = results/{storage_uri}, default results/ingest (published: GET /objects/results/...)
//! {storage}/{aoi}/{scene}/product/{asset file}          scene copied by CopyProductToStorage
//! {storage}/{aoi}/{scene}/item.json                     the scene's STAC Item, hrefs to the copies
//! {storage}/{aoi}/{scene}/tiles/{tile}/{YYYYMMDD}_{tile}_{layer}.{ext}   tile outputs
//! {storage}/{aoi}/{scene}/tiles/{tile}/item.json        the tile's STAC Item (its outputs)
//! ingest/_batches/{aoi}/{batch}.json                    work manifest of one dispatch (AWS Map)
//! ```

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};

/// Default output root when the payload gives no `storage_uri`.
pub const DEFAULT_STORAGE: &str = "results/ingest";

/// The output root of a payload's `storage_uri`: a relative key prefix below `results/` in the
/// engine's object store, where published files live (`results/ingest` when empty; a value
/// already starting with `results/` is kept). URIs with a scheme and `..`/empty segments are
/// refused.
pub fn storage_root(storage_uri: &str) -> Result<String> {
    let s = storage_uri.trim().trim_end_matches('/');
    if s.is_empty() {
        return Ok(DEFAULT_STORAGE.to_string());
    }
    let bad = |why: &str| {
        Error::invalid(format!(
            "area: storage_uri '{}' {why}",
            s.chars().take(80).collect::<String>()
        ))
    };
    if s.contains("://") {
        return Err(bad(
            "has a scheme; give a key prefix in the engine's object store (e.g. 'ingest/demo')",
        ));
    }
    if s.len() > 256 {
        return Err(bad("is longer than 256 characters"));
    }
    for seg in s.split('/') {
        if seg.is_empty() || seg == "." || seg == ".." {
            return Err(bad("has an empty, '.' or '..' segment"));
        }
        if !seg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(bad("may only hold letters, digits, '-', '_', '.' and '/'"));
        }
    }
    if s == "results" || s.starts_with("results/") {
        return Ok(s.to_string());
    }
    Ok(format!("results/{s}"))
}

/// A path segment from a source id: characters other than letters, digits, `-`, `_`, `.`
/// become `_` (and a leading `.` too).
pub fn segment(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(200)
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with('.') || out.is_empty() {
        out.insert(0, '_');
    }
    out
}

/// Prefix of everything stored for a scene.
pub fn scene_prefix(storage: &str, aoi: &str, scene: &str) -> String {
    format!("{storage}/{}/{}/", segment(aoi), segment(scene))
}

/// Key of a copied product file of a scene.
pub fn product_file(storage: &str, aoi: &str, scene: &str, file: &str) -> String {
    format!(
        "{}product/{}",
        scene_prefix(storage, aoi, scene),
        segment(file)
    )
}

/// Key of a scene's STAC Item copy.
pub fn scene_item(storage: &str, aoi: &str, scene: &str) -> String {
    format!("{}item.json", scene_prefix(storage, aoi, scene))
}

/// Prefix of a tile's outputs.
pub fn tile_prefix(storage: &str, aoi: &str, scene: &str, tile: &str) -> String {
    format!(
        "{}tiles/{}/",
        scene_prefix(storage, aoi, scene),
        segment(tile)
    )
}

/// Key of one output layer of a tile: `{YYYYMMDD}_{tile}_{layer}.{ext}`.
pub fn tile_output(
    storage: &str,
    aoi: &str,
    scene: &str,
    tile: &str,
    date: DateTime<Utc>,
    layer: &str,
    ext: &str,
) -> String {
    format!(
        "{}{}_{}_{}.{}",
        tile_prefix(storage, aoi, scene, tile),
        date.format("%Y%m%d"),
        segment(tile),
        segment(layer),
        segment(ext)
    )
}

/// Key of a tile's STAC Item.
pub fn tile_item(storage: &str, aoi: &str, scene: &str, tile: &str) -> String {
    format!("{}item.json", tile_prefix(storage, aoi, scene, tile))
}

/// Key of a work manifest (the AWS state machine's Distributed Map reads it).
pub fn batch_manifest(aoi: &str, batch: &str) -> String {
    format!("ingest/_batches/{}/{}.json", segment(aoi), segment(batch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_roots() {
        assert_eq!(storage_root("").unwrap(), "results/ingest");
        assert_eq!(storage_root("out/demo/").unwrap(), "results/out/demo");
        assert_eq!(storage_root("results/x").unwrap(), "results/x");
        for bad in ["s3://b/x", "/abs", "a//b", "a/../b", "a b"] {
            assert!(storage_root(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn deterministic_tile_keys() {
        let date = DateTime::parse_from_rfc3339("2022-01-04T10:34:31Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            tile_output("ingest", "Den", "S1A_X", "A44_IW1_8951", date, "VV", "tif"),
            "ingest/Den/S1A_X/tiles/A44_IW1_8951/20220104_A44_IW1_8951_VV.tif"
        );
        assert_eq!(segment("../a b"), "_.._a_b");
    }
}
