//! Band lookup in STAC Item JSON, as the reference's `get_asset` does it.

use serde_json::Value;

use crate::error::{Error, Result};

/// The item's `id`.
pub fn item_id(item: &Value) -> Result<&str> {
    item.get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| Error::InvalidItem("no string 'id'".into()))
}

/// The href of the asset holding band `common_name` (e.g. `green`, `nir`).
///
/// Assets are walked in JSON order; those whose `roles` lack `data` are skipped; an asset
/// matches when one of its asset-level `eo:bands` (or STAC 1.1 `bands` with `eo:common_name`)
/// has that common name. Among matches the first GeoTIFF (`image/tiff` type, or a `.tif` /
/// `.tiff` href when untyped) wins, else the first match (so v1 `green` beats `green-jp2`).
///
/// # Examples
///
/// ```
/// let item = serde_json::json!({"id": "x", "assets": {
///     "B03": {"href": "./B03.tif", "roles": ["data"],
///             "eo:bands": [{"name": "B03", "common_name": "green"}]}}});
/// assert_eq!(stratus_raster::bands::band_href(&item, "green").unwrap(), "./B03.tif");
/// ```
pub fn band_href<'a>(item: &'a Value, common_name: &str) -> Result<&'a str> {
    let id = item_id(item)?;
    let assets = item
        .get("assets")
        .and_then(Value::as_object)
        .ok_or_else(|| Error::InvalidItem(format!("item {id} has no 'assets' object")))?;
    let matches: Vec<&Value> = assets
        .values()
        .filter(|a| has_data_role(a) && has_common_name(a, common_name))
        .collect();
    let chosen = matches
        .iter()
        .find(|a| is_geotiff(a))
        .or_else(|| matches.first())
        .ok_or_else(|| Error::NoSuchBand {
            item: id.to_string(),
            band: common_name.to_string(),
        })?;
    chosen.get("href").and_then(Value::as_str).ok_or_else(|| {
        Error::InvalidItem(format!("item {id}: asset for '{common_name}' has no href"))
    })
}

fn has_data_role(asset: &Value) -> bool {
    asset
        .get("roles")
        .and_then(Value::as_array)
        .is_some_and(|roles| roles.iter().any(|r| r.as_str() == Some("data")))
}

fn has_common_name(asset: &Value, name: &str) -> bool {
    let in_list = |key: &str, field: &str| {
        asset
            .get(key)
            .and_then(Value::as_array)
            .is_some_and(|bands| {
                bands
                    .iter()
                    .any(|b| b.get(field).and_then(Value::as_str) == Some(name))
            })
    };
    in_list("eo:bands", "common_name") || in_list("bands", "eo:common_name")
}

fn is_geotiff(asset: &Value) -> bool {
    match asset.get("type").and_then(Value::as_str) {
        Some(t) => t.starts_with("image/tiff"),
        None => asset
            .get("href")
            .and_then(Value::as_str)
            .map(|h| h.to_ascii_lowercase())
            .is_some_and(|h| h.ends_with(".tif") || h.ends_with(".tiff")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn v0_items_use_b03_and_b08_and_skip_overviews() {
        let item = fixture("earth-search-v0-item.json");
        assert!(band_href(&item, "green").unwrap().ends_with("/B03.tif"));
        assert!(band_href(&item, "nir").unwrap().ends_with("/B08.tif"));
    }

    #[test]
    fn v1_items_prefer_geotiff_over_jp2() {
        let item = fixture("earth-search-v1-item.json");
        assert!(band_href(&item, "green").unwrap().ends_with("/B03.tif"));
        assert!(band_href(&item, "nir").unwrap().ends_with("/B08.tif"));
    }

    #[test]
    fn jp2_listed_first_still_loses_to_geotiff() {
        let item = serde_json::json!({"id": "i", "assets": {
            "green-jp2": {"href": "B03.jp2", "type": "image/jp2", "roles": ["data"],
                          "eo:bands": [{"common_name": "green"}]},
            "green": {"href": "B03.tif", "type": "image/tiff; application=geotiff",
                      "roles": ["data"], "eo:bands": [{"common_name": "green"}]}}});
        assert_eq!(band_href(&item, "green").unwrap(), "B03.tif");
    }

    #[test]
    fn missing_bands_name_the_item_and_band() {
        let item = fixture("earth-search-v0-item.json");
        let err = band_href(&item, "swir22-nope").unwrap_err();
        assert!(matches!(err, Error::NoSuchBand { .. }));
        assert_eq!(
            err.to_string(),
            "item S2B_10TFK_20210713_0_L2A: no data asset for band 'swir22-nope'"
        );
        // Only the overview asset carries 'red' in this fixture: its roles lack 'data'.
        assert!(band_href(&item, "red").is_err());
    }
}
