//! Catalogue inventories, written once: scenes from a catalogue's answer (common attributes
//! from the payload, duplicates and scenes outside the AOI removed), one tile per optical scene,
//! annotation URLs of Sentinel-1 scenes, and the scenes to ingest (record tags, chain links).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use crate::area::{Area, Constellation};
use crate::error::{Error, Result};
use crate::model::{CatalogScene, CatalogTile, NewScene, NewTile, SceneData, TileMapping};
use crate::ports::FoundScene;

/// Tag holding the record tag of previous scenes (JSON array of source ids).
pub const TAG_PREV_SCENES: &str = "previous_scenes";
/// Tag holding the record tag of reference scenes.
pub const TAG_REF_SCENES: &str = "reference_scenes";

/// Catalogue scenes with the payload's common attributes: AOI, graph, graph config,
/// retriability, storage and the record tags the scene does not have yet.
pub fn scenes_from_found(area: &Area, found: Vec<FoundScene>) -> Vec<CatalogScene> {
    found
        .into_iter()
        .map(|f| {
            let mut tags = f.tags;
            for (k, v) in &area.record_tags {
                tags.entry(k.clone()).or_insert_with(|| v.clone());
            }
            CatalogScene {
                aoi: area.name.clone(),
                data: SceneData {
                    date: f.date,
                    graph_config: area.graph_config.clone(),
                    graph_name: area.scene_graph_name.clone(),
                    instances_id: BTreeMap::new(),
                    is_retriable: area.is_retriable,
                    metadata: f.metadata,
                    record_id: String::new(),
                    storage_uri: area.storage_uri.clone(),
                    tiles: BTreeMap::new(),
                    uuid: f.uuid,
                },
                id: 0,
                source_id: f.source_id,
                tags,
                tiles: Vec::new(),
                wkt: f.shape.to_wkt(),
            }
        })
        .collect()
}

/// The product a scene name stands for, without the part that changes when it is reprocessed
/// (Sentinel-1 unique id, Sentinel-2 processing baseline).
pub fn product_key(source_id: &str) -> String {
    match Constellation::of_product(source_id) {
        Some(Constellation::Sentinel1)
            if source_id.len() >= 63 && source_id.is_char_boundary(63) =>
        {
            source_id[..63].to_string()
        }
        Some(Constellation::Sentinel2)
            if source_id.len() > 32
                && source_id.is_char_boundary(26)
                && source_id.is_char_boundary(32) =>
        {
            format!("{}_NXXYY{}", &source_id[..26], &source_id[32..])
        }
        _ => source_id.to_string(),
    }
}

/// Removes reprocessed duplicates (keeping the latest `ingestionDate`) and scenes that do not
/// intersect the AOI.
pub fn refine(area: &Area, scenes: Vec<CatalogScene>) -> Vec<CatalogScene> {
    let mut by_product: HashMap<String, usize> = HashMap::new();
    let mut kept: Vec<CatalogScene> = Vec::new();
    for s in scenes {
        let key = product_key(&s.source_id);
        match by_product.get(&key) {
            Some(&i) => {
                let newer =
                    |x: &CatalogScene| x.tags.get("ingestionDate").cloned().unwrap_or_default();
                if newer(&kept[i]) < newer(&s) {
                    kept[i] = s;
                }
            }
            None => {
                by_product.insert(key, kept.len());
                kept.push(s);
            }
        }
    }
    kept.retain(|s| {
        crate::geom::Shape::from_wkt(&s.wkt).is_ok_and(|shape| shape.intersects(&area.shape))
    });
    kept
}

/// Whether the tiles of this payload's scenes are Sentinel-1 bursts: Sentinel-1, unless the
/// scene graph copies the whole product (then a scene is one tile, as for optical scenes).
pub fn tiles_are_bursts(area: &Area) -> bool {
    area.constellation == Constellation::Sentinel1
        && area.scene_graph_name != crate::graph::COPY_PRODUCT
}

/// One tile per scene: the scene itself (`SourceID` = scene id, `tile_nr` 0).
pub fn whole_scene_tile(scene: &mut CatalogScene) {
    scene.tiles = vec![CatalogTile {
        date: scene.data.date,
        scene_id: scene.source_id.clone(),
        source_id: scene.source_id.clone(),
        anx_time: 0,
        data: Default::default(),
        id: 0,
        previous: None,
        reference: None,
        wkt: scene.wkt.clone(),
        ingested: false,
    }];
    scene.data.tiles = BTreeMap::from([(scene.source_id.clone(), TileMapping::default())]);
}

/// Sets the payload's tile graph and retriability on every tile.
pub fn set_tile_attributes(area: &Area, scenes: &mut [CatalogScene]) {
    for t in scenes.iter_mut().flat_map(|s| s.tiles.iter_mut()) {
        t.data.graph_name = area.tile_graph_name.clone();
        t.data.is_retriable = area.is_retriable;
    }
}

/// Replaces `{SCENE}`, `{DATE}` (YYYYMMDD), `{YEAR}`, `{MONTH}`, `{DAY}`, `{AREA}` and `{UUID}`
/// in a URL pattern.
pub fn expand(pattern: &str, scene: &CatalogScene) -> String {
    let d = scene.data.date;
    pattern
        .replace("{SCENE}", &scene.source_id)
        .replace("{DATE}", &d.format("%Y%m%d").to_string())
        .replace("{YEAR}", &d.format("%Y").to_string())
        .replace("{MONTH}", &d.format("%m").to_string())
        .replace("{DAY}", &d.format("%d").to_string())
        .replace("{AREA}", &scene.aoi)
        .replace("{UUID}", &scene.data.uuid)
}

/// Where the annotation files of a Sentinel-1 scene are: the hrefs the catalogue listed
/// (`metadata.annotations`), else the payload's `annotations_urls` patterns (a `{SWATH}`
/// pattern stands for one URL per IW swath; `{swath}` for the lower-case name).
pub fn annotation_urls(area: &Area, scene: &CatalogScene) -> Vec<String> {
    let listed: Vec<String> = scene
        .data
        .metadata
        .get("annotations")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if !listed.is_empty() {
        return listed;
    }
    let mut urls = Vec::new();
    for p in &area.annotations_urls {
        let base = expand(p, scene);
        if base.contains("{SWATH}") || base.contains("{swath}") {
            for sw in ["IW1", "IW2", "IW3"] {
                urls.push(
                    base.replace("{SWATH}", sw)
                        .replace("{swath}", &sw.to_ascii_lowercase()),
                );
            }
        } else {
            urls.push(base);
        }
    }
    urls
}

/// Ingested roots and leaves of an AOI as catalogue tiles joining new chains.
pub fn ingested_tile(
    source_id: &str,
    scene_source: &str,
    date: chrono::DateTime<chrono::Utc>,
    data: &crate::model::TileData,
) -> CatalogTile {
    CatalogTile {
        date,
        scene_id: scene_source.to_string(),
        source_id: source_id.to_string(),
        anx_time: crate::s1::anx_of_tile_id(source_id).unwrap_or_default(),
        data: data.clone(),
        id: 0,
        previous: None,
        reference: None,
        wkt: String::new(),
        ingested: true,
    }
}

/// The scenes to create, sorted by date: tiles with their links, record tags checked against
/// the payload's `record_tags` and completed with the previous and reference scenes, and the
/// instances of the layers. Scenes without tiles are skipped. Returns each scene's record tags
/// beside it.
pub fn scenes_to_ingest(
    area: &Area,
    scenes: &[CatalogScene],
    instances: &BTreeMap<String, String>,
) -> Result<Vec<(NewScene, BTreeMap<String, String>)>> {
    let mut out = Vec::new();
    for scene in scenes {
        if scene.tiles.is_empty() {
            continue;
        }
        // Tags the scene lacks are taken from the payload; a different value is an error.
        let mut tags = scene.tags.clone();
        for (k, v) in &area.record_tags {
            let got = tags.entry(k.clone()).or_insert_with(|| v.clone());
            if got != v {
                return Err(Error::invalid(format!(
                    "area and scene '{}' have different values for tag '{k}': '{v}' != '{got}'",
                    scene.source_id
                )));
            }
        }
        let mut prev_scenes = BTreeSet::new();
        let mut ref_scenes = BTreeSet::new();
        let tiles = scene
            .tiles
            .iter()
            .map(|t| {
                if let Some(p) = &t.previous {
                    prev_scenes.insert(p.scene_id.clone());
                }
                if let Some(r) = &t.reference {
                    ref_scenes.insert(r.scene_id.clone());
                }
                if t.previous.is_some() != t.reference.is_some() {
                    return Err(Error::invalid(format!(
                        "scene {}, tile {}: previous and reference are both set or both empty",
                        scene.source_id, t.source_id
                    )));
                }
                Ok(NewTile {
                    source_id: t.source_id.clone(),
                    data: t.data.clone(),
                    prev: t
                        .previous
                        .as_ref()
                        .map(|p| (p.source_id.clone(), p.scene_id.clone())),
                    reference: t
                        .reference
                        .as_ref()
                        .map(|r| (r.source_id.clone(), r.scene_id.clone())),
                    wkt: t.wkt.clone(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut tags = scene.tags.clone();
        let json_list =
            |s: &BTreeSet<String>| serde_json::to_string(s).unwrap_or_else(|_| "[]".into());
        tags.insert(TAG_REF_SCENES.into(), json_list(&ref_scenes));
        tags.insert(TAG_PREV_SCENES.into(), json_list(&prev_scenes));
        let mut data = scene.data.clone();
        data.instances_id = instances.clone();
        data.storage_uri = if data.storage_uri.is_empty() {
            area.storage_uri.clone()
        } else {
            crate::keys::storage_root(&data.storage_uri)?
        };
        if data.graph_name.is_empty() {
            data.graph_name = area.scene_graph_name.clone();
        }
        if data.tiles.is_empty() {
            data.tiles = scene
                .tiles
                .iter()
                .map(|t| {
                    (
                        t.source_id.clone(),
                        TileMapping {
                            swath_id: t.data.swath_id.clone(),
                            tile_nr: t.data.tile_nr,
                        },
                    )
                })
                .collect();
        }
        out.push((
            NewScene {
                source_id: scene.source_id.clone(),
                data,
                retry_count: i64::from(area.retry_count),
                wkt: scene.wkt.clone(),
                tiles,
            },
            tags,
        ));
    }
    out.sort_by_key(|(s, _)| s.data.date);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_keys_drop_the_reprocessing_parts() {
        assert_eq!(
            product_key("S2A_MSIL1C_20220104T103431_N0510_R108_T32UNG_20240423T092858"),
            "S2A_MSIL1C_20220104T103431_NXXYY_R108_T32UNG_20240423T092858"
        );
        let s1 = "S1A_IW_SLC__1SDV_20220104T053330_20220104T053358_041306_04E8B5_ABCD";
        assert_eq!(product_key(s1).len(), 63);
        assert_eq!(product_key("LC09_X"), "LC09_X");
    }

    #[test]
    fn patterns_expand() {
        let scene = CatalogScene {
            aoi: "Den".into(),
            data: SceneData {
                date: "2022-01-04T05:33:30Z".parse().unwrap(),
                uuid: "u".into(),
                ..Default::default()
            },
            id: 0,
            source_id: "S1A_X".into(),
            tags: BTreeMap::new(),
            tiles: vec![],
            wkt: String::new(),
        };
        assert_eq!(
            expand(
                "http://h/{YEAR}/{MONTH}/{DAY}/{SCENE}.SAFE/{DATE}-{AREA}-{UUID}",
                &scene
            ),
            "http://h/2022/01/04/S1A_X.SAFE/20220104-Den-u"
        );
        let area = Area::parse(
            br#"{"name":"Den","type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]],
                "scene_type":{"constellation":"sentinel1"},
                "annotations_urls":["file:///a/{SCENE}/s1a-{swath}.xml"]}"#,
        )
        .unwrap();
        assert_eq!(annotation_urls(&area, &scene).len(), 3);
    }
}
