//! The STAC Item describing one `otsu.tif`, shaped as the reference's `stac` step (rio-stac)
//! writes it.

use serde_json::{Map, Value, json};

use crate::bands::item_id;
use crate::error::Result;
use crate::geo::{Georef, Reprojector};

/// STAC projection extension schema (v1.1.0, `proj:epsg`).
pub const PROJECTION_EXT: &str = "https://stac-extensions.github.io/projection/v1.1.0/schema.json";
/// STAC raster extension schema.
pub const RASTER_EXT: &str = "https://stac-extensions.github.io/raster/v1.1.0/schema.json";
/// Media type of the output asset.
pub const GEOTIFF_TYPE: &str = "image/tiff; application=geotiff";

/// Pixel counts of a 0/1 mask, for `raster:bands` statistics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MaskCounts {
    /// Pixels equal to 1.
    pub ones: u64,
    /// All pixels.
    pub total: u64,
    /// The mask's nodata value (0 in the reference, so only water pixels are valid).
    pub nodata: Option<u8>,
}

/// Builds the output item for a mask of `width` x `height` pixels on `georef`, copying `id`
/// and the datetime fields of `source_item`. The asset `data` points at `asset_href`.
pub fn output_item(
    source_item: &Value,
    georef: &Georef,
    width: u32,
    height: u32,
    counts: &MaskCounts,
    asset_href: &str,
) -> Result<Value> {
    let id = item_id(source_item)?;
    let b = georef.transform.bounds(width, height);
    let ring = [
        [b[0], b[1]],
        [b[2], b[1]],
        [b[2], b[3]],
        [b[0], b[3]],
        [b[0], b[1]],
    ];
    let to4326 = Reprojector::new(georef.epsg, 4326)?;
    let mut geo_ring = Vec::with_capacity(5);
    for [x, y] in ring {
        let (lon, lat) = to4326.transform(x, y)?;
        geo_ring.push([lon, lat]);
    }
    let bbox = [
        geo_ring.iter().map(|p| p[0]).fold(f64::INFINITY, f64::min),
        geo_ring.iter().map(|p| p[1]).fold(f64::INFINITY, f64::min),
        geo_ring
            .iter()
            .map(|p| p[0])
            .fold(f64::NEG_INFINITY, f64::max),
        geo_ring
            .iter()
            .map(|p| p[1])
            .fold(f64::NEG_INFINITY, f64::max),
    ];

    let mut properties = Map::new();
    let source_props = source_item.get("properties");
    for key in ["datetime", "start_datetime", "end_datetime"] {
        if let Some(v) = source_props.and_then(|p| p.get(key))
            && (key == "datetime" || !v.is_null())
        {
            properties.insert(key.into(), v.clone());
        }
    }
    properties.entry("datetime").or_insert(Value::Null);
    properties.insert("proj:epsg".into(), json!(georef.epsg));
    properties.insert(
        "proj:geometry".into(),
        json!({"type": "Polygon", "coordinates": [ring]}),
    );
    properties.insert("proj:bbox".into(), json!(b));
    properties.insert("proj:shape".into(), json!([height, width]));
    properties.insert("proj:transform".into(), json!(georef.transform.to_stac()));

    let mut band = Map::new();
    band.insert("data_type".into(), json!("uint8"));
    band.insert("scale".into(), json!(1.0));
    band.insert("offset".into(), json!(0.0));
    band.insert("sampling".into(), json!("area"));
    if let Some(nd) = counts.nodata {
        band.insert("nodata".into(), json!(f64::from(nd)));
    }
    let (statistics, histogram) = mask_statistics(counts);
    band.insert("statistics".into(), statistics);
    band.insert("histogram".into(), histogram);

    Ok(json!({
        "type": "Feature",
        "stac_version": "1.1.0",
        "stac_extensions": [PROJECTION_EXT, RASTER_EXT],
        "id": id,
        "geometry": {"type": "Polygon", "coordinates": [geo_ring]},
        "bbox": bbox,
        "properties": properties,
        "links": [],
        "assets": {
            "data": {
                "href": asset_href,
                "type": GEOTIFF_TYPE,
                "roles": ["data", "visual"],
                "raster:bands": [band],
            }
        }
    }))
}

/// rio-stac's statistics and 10-bucket numpy histogram over the valid (non-nodata) pixels,
/// computed exactly on the full-resolution mask.
fn mask_statistics(c: &MaskCounts) -> (Value, Value) {
    let zeros = c.total - c.ones;
    let (n0, n1) = match c.nodata {
        Some(0) => (0, c.ones),
        Some(1) => (zeros, 0),
        _ => (zeros, c.ones),
    };
    let valid = n0 + n1;
    let valid_percent = if c.total == 0 {
        0.0
    } else {
        valid as f64 / c.total as f64 * 100.0
    };
    if valid == 0 {
        let hist = json!({"count": 11, "min": 0.0, "max": 1.0, "buckets": vec![0u64; 10]});
        return (json!({"valid_percent": valid_percent}), hist);
    }
    let mean = n1 as f64 / valid as f64;
    let stddev = (mean * (1.0 - mean)).sqrt();
    let min = if n0 > 0 { 0.0 } else { 1.0 };
    let max = if n1 > 0 { 1.0 } else { 0.0 };
    let (lo, hi) = if min == max {
        (min - 0.5, max + 0.5)
    } else {
        (min, max)
    };
    let mut buckets = [0u64; 10];
    let bin = |v: f64| ((((v - lo) / (hi - lo)) * 10.0) as usize).min(9);
    buckets[bin(0.0)] += n0;
    buckets[bin(1.0)] += n1;
    (
        json!({
            "mean": mean,
            "minimum": min,
            "maximum": max,
            "stddev": stddev,
            "valid_percent": valid_percent,
        }),
        json!({"count": 11, "min": lo, "max": hi, "buckets": buckets}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::GeoTransform;

    #[test]
    fn item_carries_projection_and_raster_fields() {
        let src = json!({"id": "S2B_X", "properties": {"datetime": "2021-07-13T19:03:24Z"}});
        let georef = Georef {
            epsg: 32610,
            transform: GeoTransform::north_up(636990.0, 4482600.0, 10.0, 10.0),
            nodata: Some(0.0),
        };
        let counts = MaskCounts {
            ones: 25,
            total: 100,
            nodata: Some(0),
        };
        let item = output_item(&src, &georef, 5460, 7205, &counts, "otsu.tif").unwrap();
        let p = &item["properties"];
        assert_eq!(p["proj:epsg"], 32610);
        assert_eq!(p["proj:shape"], json!([7205, 5460]));
        assert_eq!(
            p["proj:bbox"],
            json!([636990.0, 4410550.0, 691590.0, 4482600.0])
        );
        assert_eq!(p["datetime"], "2021-07-13T19:03:24Z");
        let asset = &item["assets"]["data"];
        assert_eq!(asset["roles"], json!(["data", "visual"]));
        let band = &asset["raster:bands"][0];
        assert_eq!(band["statistics"]["valid_percent"], 25.0);
        assert_eq!(band["statistics"]["mean"], 1.0);
        assert_eq!(
            band["histogram"]["buckets"],
            json!([0, 0, 0, 0, 0, 25, 0, 0, 0, 0])
        );
        let lon = item["bbox"][0].as_f64().unwrap();
        assert!((-121.5..-121.3).contains(&lon), "{lon}");
    }

    #[test]
    fn without_nodata_both_classes_count() {
        let c = MaskCounts {
            ones: 1,
            total: 4,
            nodata: None,
        };
        let (s, h) = mask_statistics(&c);
        assert_eq!(s["mean"], 0.25);
        assert_eq!(h["buckets"], json!([3, 0, 0, 0, 0, 0, 0, 0, 0, 1]));
    }
}
