//! The contract suite of [`IngestStore`] adapters: the SQLite store and the DynamoDB store (on
//! an emulator) run it, so both engines keep AOIs, scenes, tiles, chains, leases, counts,
//! records and the registry the same way. It panics with a message on the first broken rule.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use crate::error::Error;
use crate::model::{
    Dataset, Instance, NewScene, NewTile, Record, SceneData, TileData, TileMapping, Variable,
};
use crate::ports::{
    IngestStore, LeaseGuard, LeaseSet, Page, SceneChange, TileChange, TileFilter, Work,
};
use crate::status::Status;

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_700_000_000_000).expect("valid time")
}

fn scene(name: &str, day: i64, tiles: Vec<NewTile>) -> NewScene {
    let date = t0() + Duration::days(day);
    NewScene {
        source_id: name.to_string(),
        data: SceneData {
            date,
            graph_name: "Pass".into(),
            storage_uri: "ingest".into(),
            tiles: tiles
                .iter()
                .map(|t| (t.source_id.clone(), TileMapping::default()))
                .collect(),
            uuid: format!("uuid-{name}"),
            ..Default::default()
        },
        retry_count: 2,
        wkt: format!("POLYGON ((0 0,1 0,1 {day},0 0))"),
        tiles,
    }
}

fn tile(name: &str, prev: Option<(&str, &str)>, reference: Option<(&str, &str)>) -> NewTile {
    let own = |l: Option<(&str, &str)>| l.map(|(t, s)| (t.to_string(), s.to_string()));
    NewTile {
        source_id: name.to_string(),
        data: TileData {
            graph_name: "Pass".into(),
            swath_id: "IW1".into(),
            tile_nr: 1,
            is_retriable: true,
        },
        prev: own(prev),
        reference: own(reference),
        wkt: "POLYGON ((0 0,1 0,1 1,0 0))".to_string(),
    }
}

/// The whole contract.
pub async fn ingest_store(store: &dyn IngestStore) {
    let aoi = format!("contract-{}", uuid::Uuid::new_v4().simple());
    aois(store, &aoi).await;
    chains_and_listings(store, &aoi).await;
    conditional_updates(store, &aoi).await;
    registry_and_records(store, &aoi).await;
    store.delete_aoi(&aoi).await.expect("delete");
    assert!(!store.aoi_exists(&aoi).await.expect("exists"));
    assert!(
        store
            .scenes(&aoi, None, Page::ALL)
            .await
            .expect("scenes")
            .is_empty()
    );
    assert_eq!(store.counts(&aoi).await.expect("counts").scenes.total(), 0);
    assert!(
        !store
            .records(Some(&aoi), Page::ALL)
            .await
            .expect("records")
            .is_empty(),
        "records outlive their AOI"
    );
    store
        .delete_aoi(&aoi)
        .await
        .expect("deleting twice is fine");
}

async fn aois(store: &dyn IngestStore, aoi: &str) {
    store.create_aoi(aoi, t0()).await.expect("create");
    assert!(matches!(
        store.create_aoi(aoi, t0()).await,
        Err(Error::AlreadyExists { .. })
    ));
    assert!(store.aoi_exists(aoi).await.expect("exists"));
    assert_eq!(store.aoi_area(aoi).await.expect("area"), None);
    store
        .ensure_aoi(aoi, Some("POLYGON ((0 0,1 0,1 1,0 0))"), t0())
        .await
        .expect("ensure");
    store
        .ensure_aoi(aoi, None, t0())
        .await
        .expect("ensure again");
    assert_eq!(
        store.aoi_area(aoi).await.expect("area").as_deref(),
        Some("POLYGON ((0 0,1 0,1 1,0 0))"),
        "the area of the latest payload is kept"
    );
    let other = format!("{aoi}-b");
    store
        .ensure_aoi(&other, None, t0())
        .await
        .expect("ensure other");
    let list = store.aois().await.expect("aois");
    let mine: Vec<&String> = list.iter().filter(|a| a.starts_with(aoi)).collect();
    assert_eq!(mine, vec![&aoi.to_string(), &other], "AOIs sorted by id");
    store.delete_aoi(&other).await.expect("delete other");
    assert!(!store.aoi_exists("no-such-aoi-xyz").await.expect("exists"));
    assert_eq!(
        store
            .counts("no-such-aoi-xyz")
            .await
            .expect("counts")
            .scenes
            .total(),
        0
    );
}

async fn chains_and_listings(store: &dyn IngestStore, aoi: &str) {
    // Three dates of a chain, given newest first, plus a second root in the oldest scene.
    let batch = vec![
        scene(
            "S-C",
            3,
            vec![tile("T1", Some(("T1", "S-B")), Some(("T1", "S-A")))],
        ),
        scene(
            "S-A",
            1,
            vec![tile("T1", None, None), tile("T2", None, None)],
        ),
        scene(
            "S-B",
            2,
            vec![tile("T1", Some(("T1", "S-A")), Some(("T1", "S-A")))],
        ),
    ];
    let inserted = store.insert(aoi, &batch, t0()).await.expect("insert");
    assert_eq!(inserted.len(), 3);
    let ids: Vec<i64> = inserted.iter().map(|i| i.id).collect();
    assert!(
        ids.iter().all(|i| *i > 0) && ids.windows(2).all(|w| w[0] < w[1]),
        "{ids:?}"
    );
    assert_eq!(inserted[1].tiles.len(), 2);
    let again = store.insert(aoi, &batch, t0()).await.expect("insert again");
    assert!(again.is_empty(), "re-posting the same scenes adds nothing");

    let a = store
        .scene_by_source(aoi, "S-A")
        .await
        .expect("by source")
        .expect("S-A");
    assert_eq!(a.status, Status::Pending);
    assert_eq!(a.retry_countdown, 2);
    assert_eq!(a.data.uuid, "uuid-S-A");
    assert!(
        store
            .scene_by_source(aoi, "S-X")
            .await
            .expect("by source")
            .is_none()
    );
    let a_tiles = store
        .tiles(&TileFilter::Scene(a.id), Page::ALL)
        .await
        .expect("tiles");
    assert_eq!(a_tiles.len(), 2);
    assert!(
        a_tiles
            .iter()
            .all(|t| t.status == Status::New && t.prev.is_none())
    );
    assert_eq!(
        a_tiles[0].date, a.data.date,
        "a tile carries its scene's date"
    );
    let b = store.scene_by_source(aoi, "S-B").await.unwrap().unwrap();
    let c = store.scene_by_source(aoi, "S-C").await.unwrap().unwrap();
    let b1 = &store
        .tiles(&TileFilter::Scene(b.id), Page::ALL)
        .await
        .unwrap()[0];
    let c1 = &store
        .tiles(&TileFilter::Scene(c.id), Page::ALL)
        .await
        .unwrap()[0];
    assert_eq!(
        b1.prev,
        Some(a_tiles[0].id),
        "links resolve within the batch"
    );
    assert_eq!(b1.reference, Some(a_tiles[0].id));
    assert_eq!(
        c1.prev,
        Some(b1.id),
        "links resolve whatever the order of the batch"
    );
    assert_eq!(c1.reference, Some(a_tiles[0].id));
    assert_eq!(c1.retry_countdown, 2);

    let next = store
        .tiles(&TileFilter::Prev(a_tiles[0].id), Page::ALL)
        .await
        .unwrap();
    assert_eq!(next.iter().map(|t| t.id).collect::<Vec<_>>(), vec![b1.id]);
    let refs: Vec<i64> = store
        .tiles(&TileFilter::Reference(a_tiles[0].id), Page::ALL)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    let mut want = vec![b1.id, c1.id];
    want.sort_unstable();
    assert_eq!(refs, want, "tiles referencing the root, by id");
    let roots: Vec<i64> = store
        .roots(aoi)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(roots, vec![a_tiles[0].id, a_tiles[1].id]);
    let leaves: Vec<i64> = store
        .leaves(aoi)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    let mut want = vec![a_tiles[1].id, c1.id];
    want.sort_unstable();
    assert_eq!(leaves, want);

    let all = store.scenes(aoi, None, Page::ALL).await.unwrap();
    assert_eq!(
        all.iter().map(|s| s.source_id.as_str()).collect::<Vec<_>>(),
        ["S-C", "S-A", "S-B"]
    );
    let page1 = store
        .scenes(
            aoi,
            Some(Status::Pending),
            Page {
                page: 1,
                limit: Some(2),
            },
        )
        .await
        .unwrap();
    assert_eq!(page1.len(), 1, "0-based pages");
    assert_eq!(page1[0].source_id, "S-B");
    let tiles = store
        .tiles(
            &TileFilter::Aoi {
                aoi: aoi.into(),
                status: Some(Status::New),
            },
            Page {
                page: 0,
                limit: Some(3),
            },
        )
        .await
        .unwrap();
    assert_eq!(tiles.len(), 3);
    assert!(tiles.windows(2).all(|w| w[0].id < w[1].id), "ordered by id");
    assert!(
        store
            .scenes(aoi, Some(Status::Done), Page::ALL)
            .await
            .unwrap()
            .is_empty()
    );

    let counts = store.counts(aoi).await.unwrap();
    assert_eq!((counts.scenes.pending, counts.scenes.total()), (3, 3));
    assert_eq!((counts.tiles.new, counts.tiles.total()), (4, 4));
    assert_eq!(
        store.footprint(b.id, None).await.unwrap(),
        "POLYGON ((0 0,1 0,1 2,0 0))"
    );
    assert_eq!(
        store.footprint(b.id, Some(b1.id)).await.unwrap(),
        "POLYGON ((0 0,1 0,1 1,0 0))"
    );

    let missing = vec![scene(
        "S-D",
        4,
        vec![tile("T1", Some(("T9", "S-Z")), Some(("T1", "S-A")))],
    )];
    assert!(
        matches!(
            store.insert(aoi, &missing, t0()).await,
            Err(Error::Invalid(_))
        ),
        "a link to a missing tile is invalid"
    );
    assert!(store.scene_by_source(aoi, "S-D").await.unwrap().is_none());

    let pending = store.pending(10_000).await.unwrap();
    for id in [a.id, b.id, c.id] {
        assert!(pending.contains(&Work::Scene(id)), "pending scene {id}");
    }
    assert!(matches!(
        store.scene(i64::MAX).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        store.tile(i64::MAX).await,
        Err(Error::NotFound { .. })
    ));
}

async fn conditional_updates(store: &dyn IngestStore, aoi: &str) {
    let a = store.scene_by_source(aoi, "S-A").await.unwrap().unwrap();
    let now = t0() + Duration::hours(1);
    let claim = |owner: &str, at: DateTime<Utc>| SceneChange {
        expect: vec![Status::Pending],
        lease_guard: Some(LeaseGuard::Claimable {
            owner: owner.into(),
            now: at,
        }),
        lease: LeaseSet::Take {
            owner: owner.into(),
            until: at + Duration::minutes(10),
        },
        ..Default::default()
    };
    let claimed = store
        .update_scene(a.id, &claim("o1", now), now)
        .await
        .expect("claim");
    assert_eq!(claimed.lease.as_ref().map(|l| l.owner.as_str()), Some("o1"));
    assert_eq!(claimed.version, a.version + 1);
    assert!(
        store
            .update_scene(a.id, &claim("o2", now), now)
            .await
            .unwrap_err()
            .is_conflict(),
        "a held lease cannot be claimed by someone else"
    );
    store
        .update_scene(a.id, &claim("o1", now), now)
        .await
        .expect("the owner may claim again");
    let later = now + Duration::minutes(11);
    store
        .update_scene(a.id, &claim("o2", later), later)
        .await
        .expect("an expired lease is claimable");
    let report = |owner: &str| SceneChange {
        expect: vec![Status::Pending],
        lease_guard: Some(LeaseGuard::HeldBy(owner.into())),
        status: Some(Status::Retry),
        message: Some("boom".into()),
        decrement_countdown: true,
        lease: LeaseSet::Clear,
    };
    assert!(
        store
            .update_scene(a.id, &report("o1"), later)
            .await
            .unwrap_err()
            .is_conflict(),
        "lost lease"
    );
    let retried = store
        .update_scene(a.id, &report("o2"), later)
        .await
        .expect("report");
    assert_eq!(
        (retried.status, retried.retry_countdown),
        (Status::Retry, 1)
    );
    assert_eq!(retried.message, "boom");
    assert!(retried.lease.is_none());
    let stale = SceneChange {
        expect: vec![Status::Pending],
        status: Some(Status::Done),
        ..Default::default()
    };
    match store.update_scene(a.id, &stale, later).await {
        Err(Error::Conflict { current, .. }) => assert!(current.starts_with("RETRY"), "{current}"),
        other => panic!("a stale expected status must conflict, got {other:?}"),
    }
    let done = SceneChange {
        status: Some(Status::Done),
        ..Default::default()
    };
    assert_eq!(
        store.update_scene(a.id, &done, later).await.unwrap().status,
        Status::Done
    );
    let counts = store.counts(aoi).await.unwrap();
    assert_eq!(
        (counts.scenes.done, counts.scenes.pending),
        (1, 2),
        "counts follow updates"
    );

    let tiles = store
        .tiles(&TileFilter::Scene(a.id), Page::ALL)
        .await
        .unwrap();
    let (t1, t2) = (&tiles[0], &tiles[1]);
    let b1 = &store
        .tiles(&TileFilter::Prev(t1.id), Page::ALL)
        .await
        .unwrap()[0];
    let wrong_prev = TileChange {
        expect: vec![Status::New],
        expect_prev: Some(Some(t2.id)),
        status: Some(Status::Pending),
        ..Default::default()
    };
    assert!(
        store
            .update_tile(b1.id, &wrong_prev, later)
            .await
            .unwrap_err()
            .is_conflict()
    );
    let dispatch = TileChange {
        expect_prev: Some(Some(t1.id)),
        ..wrong_prev
    };
    assert_eq!(
        store
            .update_tile(b1.id, &dispatch, later)
            .await
            .unwrap()
            .status,
        Status::Pending
    );
    assert!(
        store
            .update_tile(b1.id, &dispatch, later)
            .await
            .unwrap_err()
            .is_conflict(),
        "claimed once"
    );
    let fail = TileChange {
        status: Some(Status::Failed),
        prev: Some(None),
        ..Default::default()
    };
    let failed = store.update_tile(t1.id, &fail, later).await.unwrap();
    assert_eq!((failed.status, failed.prev), (Status::Failed, None));
    let relink = TileChange {
        expect_prev: Some(Some(t1.id)),
        prev: Some(None),
        ..Default::default()
    };
    assert_eq!(
        store.update_tile(b1.id, &relink, later).await.unwrap().prev,
        None
    );
    store
        .replace_reference(t1.id, b1.id, later)
        .await
        .expect("replace reference");
    let b1 = store.tile(b1.id).await.unwrap();
    assert_eq!(b1.reference, None, "the new reference becomes a root");
    let c1 = &store
        .tiles(&TileFilter::Prev(b1.id), Page::ALL)
        .await
        .unwrap()[0];
    assert_eq!(
        c1.reference,
        Some(b1.id),
        "the others reference the new root"
    );
    let roots: Vec<i64> = store
        .roots(aoi)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(
        roots,
        vec![t2.id, b1.id],
        "FAILED tiles are neither roots nor leaves"
    );
    let leaves: Vec<i64> = store
        .leaves(aoi)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert!(!leaves.contains(&t1.id));
    let counts = store.counts(aoi).await.unwrap();
    assert_eq!(
        (counts.tiles.failed, counts.tiles.pending, counts.tiles.new),
        (1, 1, 2)
    );

    let mut data = store.scene(a.id).await.unwrap().data;
    data.record_id = "r".into();
    store.set_scene_data(a.id, &data).await.expect("scene data");
    assert_eq!(store.scene(a.id).await.unwrap().data.record_id, "r");
    let td = TileData {
        graph_name: "water-bodies".into(),
        ..t2.data.clone()
    };
    store.set_tile_data(t2.id, &td).await.expect("tile data");
    assert_eq!(
        store.tile(t2.id).await.unwrap().data.graph_name,
        "water-bodies"
    );
    assert!(matches!(
        store.set_scene_data(i64::MAX, &data).await,
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        store.set_tile_data(i64::MAX, &td).await,
        Err(Error::NotFound { .. })
    ));
    let missing = SceneChange {
        status: Some(Status::Done),
        ..Default::default()
    };
    assert!(matches!(
        store.update_scene(i64::MAX, &missing, later).await,
        Err(Error::NotFound { .. })
    ));

    let failed_link = vec![scene(
        "S-E",
        5,
        vec![tile("T1", Some(("T1", "S-A")), Some(("T1", "S-A")))],
    )];
    assert!(
        matches!(
            store.insert(aoi, &failed_link, later).await,
            Err(Error::Invalid(_))
        ),
        "a link to a FAILED tile is invalid"
    );
}

async fn registry_and_records(store: &dyn IngestStore, aoi: &str) {
    let name = format!("V{}", &aoi[aoi.len() - 8..]);
    let v = Variable {
        id: "vid".into(),
        name: name.clone(),
        unit: "dB".into(),
        description: "backscatter".into(),
        instances: Vec::new(),
    };
    store.create_variable(&v).await.expect("variable");
    assert!(matches!(
        store.create_variable(&v).await,
        Err(Error::AlreadyExists { .. })
    ));
    let inst = Instance {
        id: format!("{name}-raw"),
        name: "raw".into(),
        metadata: BTreeMap::from([("k".to_string(), "v".to_string())]),
    };
    store.add_instance(&name, &inst).await.expect("instance");
    assert!(matches!(
        store.add_instance(&name, &inst).await,
        Err(Error::AlreadyExists { .. })
    ));
    assert!(matches!(
        store.add_instance("no-such-variable", &inst).await,
        Err(Error::NotFound { .. })
    ));
    let read = store.variable(&name).await.unwrap().expect("variable");
    assert_eq!((read.unit.as_str(), read.instances.len()), ("dB", 1));
    assert_eq!(read.instances[0].metadata["k"], "v");
    assert!(
        store
            .variables()
            .await
            .unwrap()
            .iter()
            .any(|x| x.name == name)
    );
    assert_eq!(
        store.instance(&inst.id).await.unwrap(),
        Some((name.clone(), inst.clone()))
    );
    assert_eq!(store.instance("nope").await.unwrap(), None);
    assert_eq!(store.variable("nope-nope").await.unwrap(), None);

    let mut tags = BTreeMap::new();
    tags.insert("source".to_string(), "contract".to_string());
    let r1 = Record {
        id: Record::id_for("S-A", t0(), &tags),
        name: "S-A".into(),
        date: t0(),
        tags: tags.clone(),
        aoi: aoi.into(),
        wkt: "POLYGON ((0 0,1 0,1 1,0 0))".into(),
    };
    let r2 = Record {
        id: Record::id_for("S-B", t0() + Duration::days(1), &tags),
        name: "S-B".into(),
        date: t0() + Duration::days(1),
        ..r1.clone()
    };
    store.put_record(&r2).await.expect("record");
    store.put_record(&r1).await.expect("record");
    store
        .put_record(&Record {
            wkt: "changed".into(),
            ..r1.clone()
        })
        .await
        .expect("again");
    assert_eq!(
        store.record(&r1.id).await.unwrap(),
        Some(r1.clone()),
        "the first write stays"
    );
    let listed = store.records(Some(aoi), Page::ALL).await.unwrap();
    assert_eq!(
        listed.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(),
        ["S-A", "S-B"]
    );
    assert_eq!(
        store
            .records(
                Some(aoi),
                Page {
                    page: 1,
                    limit: Some(1)
                }
            )
            .await
            .unwrap()[0]
            .name,
        "S-B"
    );
    let d = |tile: i64, layer: &str, key: &str| Dataset {
        record_id: r1.id.clone(),
        tile_id: tile,
        tile: format!("T{tile}"),
        layer: layer.into(),
        instance_id: inst.id.clone(),
        key: key.into(),
        href: format!("http://x/{key}"),
        media_type: "image/tiff".into(),
        wkt: String::new(),
        created: t0(),
    };
    store.put_dataset(&d(2, "b", "k1")).await.unwrap();
    store.put_dataset(&d(1, "a", "k2")).await.unwrap();
    store
        .put_dataset(&d(2, "b", "k3"))
        .await
        .expect("same (record, tile, layer) replaces");
    let ds = store.datasets(&r1.id).await.unwrap();
    assert_eq!(
        ds.iter().map(|x| x.key.as_str()).collect::<Vec<_>>(),
        ["k2", "k3"]
    );
    assert!(store.datasets(&r2.id).await.unwrap().is_empty());
}
