//! The whole process on synthetic scenes: mask vs ground truth, errors named, COG read back.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use stratus_raster::geo::Window;
use stratus_raster::synthetic::{SyntheticScene, write_sample_scene};
use stratus_raster::tiff::CogReader;
use stratus_raster::{
    BytesSource, Error, FileResolver, MaskNodata, RangeSource, SourceResolver, WaterBodiesParams,
    water_bodies,
};

fn load(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[tokio::test]
async fn synthetic_scene_mask_matches_ground_truth() {
    let dir = tempfile::tempdir().unwrap();
    let item_path = write_sample_scene(dir.path(), "SYN", 1024, 7).unwrap();
    let item = load(&item_path);
    // The whole scene, AOI given in UTM beyond its edges.
    let params = WaterBodiesParams::new("590000,4480000,620000,4510000", "EPSG:32610");
    let out = water_bodies(&item, item_path.to_str().unwrap(), &FileResolver, &params)
        .await
        .unwrap();
    assert_eq!((out.width, out.height), (1024, 1024));
    assert_eq!(out.georef.epsg, 32610);
    assert_eq!(out.georef.nodata, Some(0.0));
    assert!(
        out.threshold > -0.3 && out.threshold < 0.4,
        "{}",
        out.threshold
    );

    let cog = CogReader::open(Arc::new(BytesSource::new("otsu.tif", out.cog.clone())))
        .await
        .unwrap();
    let mask = cog
        .read_window::<u8>(Window::full(1024, 1024))
        .await
        .unwrap();
    let scene = SyntheticScene::new(1024, 7);
    let mut wrong = 0usize;
    for r in 0..1024u32 {
        for c in 0..1024u32 {
            wrong += usize::from((mask[(r * 1024 + c) as usize] == 1) != scene.is_water(c, r));
        }
    }
    let agreement = 100.0 * (1.0 - wrong as f64 / (1024.0 * 1024.0));
    assert!(
        agreement >= 99.99,
        "agreement with ground truth {agreement} %"
    );
    assert_eq!(
        out.water_pixels,
        mask.iter().map(|&v| u64::from(v)).sum::<u64>()
    );

    let item = &out.stac_item;
    assert_eq!(item["id"], "SYN");
    assert_eq!(item["assets"]["data"]["href"], "otsu.tif");
    assert_eq!(
        item["properties"]["proj:shape"],
        serde_json::json!([1024, 1024])
    );
}

#[tokio::test]
async fn unset_nodata_option_writes_no_nodata() {
    let dir = tempfile::tempdir().unwrap();
    let item_path = write_sample_scene(dir.path(), "SYN", 256, 3).unwrap();
    let mut params = WaterBodiesParams::new("600000,4497440,602560,4500000", "EPSG:32610");
    params.options.mask_nodata = MaskNodata::Unset;
    let out = water_bodies(
        &load(&item_path),
        item_path.to_str().unwrap(),
        &FileResolver,
        &params,
    )
    .await
    .unwrap();
    assert_eq!(out.georef.nodata, None);
    let band = &out.stac_item["assets"]["data"]["raster:bands"][0];
    assert!(band.get("nodata").is_none());
    assert_eq!(band["statistics"]["valid_percent"], 100.0);
}

type ErrorCheck = fn(&Error) -> bool;

#[tokio::test]
async fn failures_name_the_problem() {
    let dir = tempfile::tempdir().unwrap();
    let item_path = write_sample_scene(dir.path(), "SYN", 256, 3).unwrap();
    let item = load(&item_path);
    let href = item_path.to_str().unwrap();
    let run = |aoi: &str, epsg: &str, bands: &[&str]| {
        let mut p = WaterBodiesParams::new(aoi, epsg);
        p.bands = bands.iter().map(|b| b.to_string()).collect();
        p
    };
    let inside = "600000,4497440,602560,4500000";
    let cases: Vec<(WaterBodiesParams, ErrorCheck)> = vec![
        (run("0,0,1,1", "EPSG:4326", &["green", "nir"]), |e| {
            matches!(e, Error::NoOverlap)
        }),
        (run(inside, "EPSG:32610", &["green", "swir16"]), |e| {
            matches!(e, Error::NoSuchBand { .. })
        }),
        (run(inside, "EPSG:999999", &["green", "nir"]), |e| {
            matches!(e, Error::UnsupportedCrs(_))
        }),
        (run("1,2,3", "EPSG:32610", &["green", "nir"]), |e| {
            matches!(e, Error::InvalidAoi { .. })
        }),
        (run(inside, "EPSG:32610", &["green"]), |e| {
            matches!(e, Error::InvalidParams(_))
        }),
        // The nodata corner only: every NDWI is NaN.
        (
            run(
                "600000,4499980,600020,4500000",
                "EPSG:32610",
                &["green", "nir"],
            ),
            |e| matches!(e, Error::AllNodata),
        ),
    ];
    for (params, expected) in cases {
        let err = water_bodies(&item, href, &FileResolver, &params)
            .await
            .unwrap_err();
        assert!(expected(&err), "{:?}: {err}", params.aoi);
    }
    assert_eq!(
        Error::NoOverlap.to_string(),
        "Input shapes do not overlap raster"
    );

    std::fs::remove_file(dir.path().join("B08.tif")).unwrap();
    let params = run(inside, "EPSG:32610", &["green", "nir"]);
    let err = water_bodies(&item, href, &FileResolver, &params)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::NotFound { ref href } if href.ends_with("B08.tif")),
        "{err}"
    );
}

/// A resolver serving objects from memory, as an HTTP or S3 adapter would.
struct Memory(Vec<(String, Vec<u8>)>);

#[async_trait]
impl SourceResolver for Memory {
    async fn open(&self, href: &str) -> stratus_raster::Result<Arc<dyn RangeSource>> {
        self.0
            .iter()
            .find(|(k, _)| k == href)
            .map(|(k, v)| Arc::new(BytesSource::new(k.clone(), v.clone())) as Arc<dyn RangeSource>)
            .ok_or_else(|| Error::NotFound {
                href: href.to_string(),
            })
    }
}

#[tokio::test]
async fn relative_hrefs_resolve_against_an_item_url() {
    let dir = tempfile::tempdir().unwrap();
    let item_path = write_sample_scene(dir.path(), "SYN", 256, 5).unwrap();
    let read = |n: &str| std::fs::read(dir.path().join(n)).unwrap();
    let resolver = Memory(vec![
        ("https://data.example/s/B03.tif".into(), read("B03.tif")),
        ("https://data.example/s/B08.tif".into(), read("B08.tif")),
    ]);
    let params = WaterBodiesParams::new("600000,4497440,602560,4500000", "EPSG:32610");
    let out = water_bodies(
        &load(&item_path),
        "https://data.example/s/item.json",
        &resolver,
        &params,
    )
    .await
    .unwrap();
    assert_eq!((out.width, out.height), (256, 256));
}

#[test]
fn sample_scenes_are_deterministic() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_sample_scene(a.path(), "S", 300, 9).unwrap();
    write_sample_scene(b.path(), "S", 300, 9).unwrap();
    for name in ["B03.tif", "B08.tif", "S.json"] {
        let read = |d: &Path| std::fs::read(d.join(name)).unwrap();
        assert_eq!(read(a.path()), read(b.path()), "{name}");
    }
    let other = SyntheticScene::new(300, 10);
    let scene = SyntheticScene::new(300, 9);
    assert!((0..300).any(|r| (0..300).any(|c| other.is_water(c, r) != scene.is_water(c, r))));
    assert!(write_sample_scene(a.path(), "S", 8, 9).is_err());
}
