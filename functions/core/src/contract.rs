//! Contract test suites for port adapters. Every adapter's tests call these, so the embedded
//! database, DynamoDB and the filesystem/S3 object stores are held to the same behaviour.
//! Each suite panics with a message on the first broken rule.

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};

use crate::error::Error;
use crate::execute::Delivery;
use crate::job::{FailureKind, Job, JobId, JobPatch, JobStatus};
use crate::package::PackageFormat;
use crate::ports::{JobStore, ObjectStore, ProcessRecord, ProcessStore};
use crate::process::ProcessDescription;
use crate::query::{JobQuery, PageToken, TimeRange};

fn t0() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_700_000_000_000).expect("valid time")
}

fn job(process: &str, created: DateTime<Utc>) -> Job {
    Job::accepted(JobId::new_v7(), process, Delivery::default(), None, created)
}

/// Creation, reads, conditional updates, item counting and deletion.
pub async fn job_store_basics(store: &dyn JobStore) {
    let j = job("echo", t0());
    store.create(&j).await.expect("create");
    assert!(
        matches!(store.create(&j).await, Err(Error::AlreadyExists(_))),
        "a second create of the same id must fail with AlreadyExists"
    );
    let read = store.get(&j.id).await.expect("get");
    assert_eq!(read, j, "a job reads back as written");
    assert!(matches!(
        store.get(&JobId::new_v7()).await,
        Err(Error::NoSuchJob(_))
    ));

    let t1 = t0() + Duration::seconds(1);
    let running = store
        .update(&j.id, &[JobStatus::Accepted], &JobPatch::running("go"), t1)
        .await
        .expect("accepted -> running");
    assert_eq!(running.status, JobStatus::Running);
    assert_eq!(running.started, Some(t1));
    assert_eq!(running.version, 1);
    assert_eq!(running.attempts, 1);
    assert_eq!(store.get(&j.id).await.expect("get"), running);

    match store
        .update(
            &j.id,
            &[JobStatus::Accepted],
            &JobPatch::running("again"),
            t1,
        )
        .await
    {
        Err(Error::Conflict { current, .. }) => assert_eq!(current, JobStatus::Running),
        other => panic!("an update with a stale expected status must conflict, got {other:?}"),
    }
    assert!(matches!(
        store
            .update(
                &JobId::new_v7(),
                &[JobStatus::Accepted],
                &JobPatch::running("x"),
                t1
            )
            .await,
        Err(Error::NoSuchJob(_))
    ));

    let with_total = store.set_items_total(&j.id, 3, t1).await.expect("total");
    assert_eq!(with_total.items_total, 3);
    for (i, expect) in [(0, 1), (0, 1), (2, 2), (2, 2), (1, 3)] {
        let p = store.mark_item_done(&j.id, i, t1).await.expect("item done");
        assert_eq!(
            (p.done, p.total),
            (expect, 3),
            "item {i} counted once however often it is reported"
        );
    }
    assert_eq!(store.get(&j.id).await.expect("get").items_done, 3);

    let t2 = t1 + Duration::seconds(4);
    let failed = store
        .update(
            &j.id,
            &[JobStatus::Running],
            &JobPatch::failed(FailureKind::Upstream, "item 2: HTTP 404"),
            t2,
        )
        .await
        .expect("running -> failed");
    assert_eq!(failed.finished, Some(t2));
    assert_eq!(failed.failure, Some(FailureKind::Upstream));
    assert_eq!(failed.message.as_deref(), Some("item 2: HTTP 404"));
    assert!(
        store
            .update(&j.id, &[JobStatus::Running], &JobPatch::successful(), t2)
            .await
            .is_err(),
        "a terminal job never gets a second terminal status"
    );

    store.delete(&j.id).await.expect("delete");
    assert!(matches!(store.get(&j.id).await, Err(Error::NoSuchJob(_))));
    store.delete(&j.id).await.expect("deleting twice is fine");
}

/// Filters and keyset paging over `n` jobs (use a few thousand against real backends).
pub async fn job_store_listing(store: &dyn JobStore, n: u32) {
    let process = format!("p-{}", JobId::new_v7());
    let other = format!("q-{}", JobId::new_v7());
    let mut all = Vec::new();
    for i in 0..n {
        let created = t0() + Duration::seconds(i64::from(i));
        let mut j = job(if i % 3 == 0 { &other } else { &process }, created);
        store.create(&j).await.expect("create");
        if i % 2 == 0 {
            let started = created + Duration::seconds(1);
            j = store
                .update(
                    &j.id,
                    &[JobStatus::Accepted],
                    &JobPatch::running("r"),
                    started,
                )
                .await
                .expect("run");
            if i % 4 == 0 {
                let end = started + Duration::seconds(i64::from(i % 10));
                j = store
                    .update(&j.id, &[JobStatus::Running], &JobPatch::successful(), end)
                    .await
                    .expect("finish");
            }
        }
        all.push(j);
    }
    let now = t0() + Duration::days(1);
    let mut expected: Vec<&Job> = all.iter().collect();
    expected.sort_by(|a, b| crate::query::newest_first(a, b));

    let queries = [
        JobQuery {
            process_ids: vec![process.clone()],
            statuses: JobStatus::ALL.to_vec(),
            limit: 50,
            ..Default::default()
        },
        JobQuery {
            process_ids: vec![process.clone(), other.clone()],
            statuses: vec![JobStatus::Successful],
            min_duration: Some(3),
            max_duration: Some(7),
            limit: 7,
            ..Default::default()
        },
        JobQuery {
            process_ids: vec![other.clone()],
            statuses: vec![JobStatus::Accepted, JobStatus::Running],
            created: TimeRange {
                start: Some(t0() + Duration::seconds(10)),
                end: Some(t0() + Duration::seconds(i64::from(n) / 2)),
            },
            limit: 3,
            ..Default::default()
        },
        JobQuery {
            process_ids: vec![process.clone()],
            statuses: vec![JobStatus::Running],
            min_duration: Some(3600),
            limit: 100,
            ..Default::default()
        },
    ];
    for q in queries {
        let want: Vec<&JobId> = expected
            .iter()
            .filter(|j| q.matches(j, now))
            .map(|j| &j.id)
            .collect();
        let mut got: Vec<JobId> = Vec::new();
        let mut query = q.clone();
        let mut pages = 0;
        loop {
            let page = store.list(&query, now).await.expect("list");
            assert!(page.jobs.len() <= q.limit as usize, "never more than limit");
            pages += 1;
            got.extend(page.jobs.iter().map(|j| j.id.clone()));
            match page.next {
                Some(t) => query.page = Some(t),
                None => break,
            }
            assert!(pages <= n + 2, "paging must terminate");
        }
        let got_refs: Vec<&JobId> = got.iter().collect();
        assert_eq!(got_refs, want, "filtered pages, newest first, for {q:?}");

        if want.len() > q.limit as usize {
            // One page forward, then back: the first page again.
            let first = store.list(&q, now).await.expect("list");
            let second = store
                .list(
                    &JobQuery {
                        page: first.next.clone(),
                        ..q.clone()
                    },
                    now,
                )
                .await
                .expect("second page");
            let back = store
                .list(
                    &JobQuery {
                        page: second.prev.clone(),
                        ..q.clone()
                    },
                    now,
                )
                .await
                .expect("back");
            let ids =
                |p: &crate::query::JobPage| p.jobs.iter().map(|j| j.id.clone()).collect::<Vec<_>>();
            assert_eq!(
                ids(&back),
                ids(&first),
                "prev of the second page is the first page"
            );
            assert!(back.prev.is_none(), "the first page has no prev link");
        }
    }
    let token = PageToken::after(&all[0]);
    let after_oldest = store
        .list(
            &JobQuery {
                process_ids: vec![process.clone(), other.clone()],
                statuses: JobStatus::ALL.to_vec(),
                page: Some(token),
                ..Default::default()
            },
            now,
        )
        .await
        .expect("list");
    assert!(after_oldest.jobs.is_empty() && after_oldest.next.is_none());
}

/// Object round trips, ranges, listing, prefix deletion and key validation.
pub async fn object_store(store: &dyn ObjectStore) {
    let base = format!("contract/{}", JobId::new_v7());
    let key = format!("{base}/a/doc.json");
    store
        .put(&key, Bytes::from_static(b"{\"x\":1}"), "application/json")
        .await
        .expect("put");
    let (body, meta) = store.get(&key).await.expect("get");
    assert_eq!(&body[..], b"{\"x\":1}");
    assert_eq!(meta.size, 7);
    assert_eq!(meta.content_type, "application/json");
    assert_eq!(store.head(&key).await.expect("head").size, 7);
    assert_eq!(
        &store.get_range(&key, 1..4).await.expect("range")[..],
        b"\"x\""
    );
    assert_eq!(
        &store.get_range(&key, 5..100).await.expect("clamped range")[..],
        b"1}"
    );
    store
        .put(&key, Bytes::from_static(b"[]"), "application/json")
        .await
        .expect("overwrite");
    assert_eq!(&store.get(&key).await.expect("get").0[..], b"[]");

    let big = Bytes::from(vec![7u8; 3 * 1024 * 1024 + 5]);
    let big_key = format!("{base}/b/big.bin");
    store
        .put(&big_key, big.clone(), "application/octet-stream")
        .await
        .expect("put big");
    assert_eq!(store.get(&big_key).await.expect("get big").0, big);
    let listed: Vec<String> = store
        .list(&format!("{base}/"))
        .await
        .expect("list")
        .into_iter()
        .map(|m| m.key)
        .collect();
    assert_eq!(listed, vec![key.clone(), big_key.clone()]);

    for missing in [format!("{base}/nope"), format!("{base}/a")] {
        assert!(
            matches!(store.get(&missing).await, Err(Error::NoSuchObject(_))),
            "missing object {missing}"
        );
        assert!(matches!(
            store.head(&missing).await,
            Err(Error::NoSuchObject(_))
        ));
    }
    for bad in ["../x", "a/../../b", "/abs", "a//b", ""] {
        assert!(
            store
                .put(bad, Bytes::from_static(b"x"), "text/plain")
                .await
                .is_err(),
            "key '{bad}' must be refused"
        );
    }
    assert_eq!(
        store
            .delete_prefix(&format!("{base}/"))
            .await
            .expect("delete"),
        2
    );
    assert!(
        store
            .list(&format!("{base}/"))
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        store
            .delete_prefix(&format!("{base}/"))
            .await
            .expect("again"),
        0
    );
}

fn record(id: &str, title: &str, at: DateTime<Utc>) -> ProcessRecord {
    ProcessRecord {
        description: ProcessDescription {
            id: id.into(),
            version: "1.0.0".into(),
            title: Some(title.into()),
            description: None,
            keywords: vec!["k".into()],
            job_control_options: vec![crate::process::JobControl::AsyncExecute],
            output_transmission: vec![crate::process::TransmissionMode::Value],
            inputs: Default::default(),
            outputs: Default::default(),
            mutable: true,
        },
        format: PackageFormat::CwlYaml,
        workflow: "main".into(),
        revision: JobId::new_v7().to_string(),
        deployed: at,
        updated: at,
    }
}

/// Deployed-process records: conditional insert, replace and delete, and paging by id. Other
/// records may exist in the store (a shared emulator table); only this suite's are checked.
pub async fn process_store(store: &dyn ProcessStore) {
    let run = JobId::new_v7().to_string();
    let id = |i: u32| format!("contract-{run}-{i:02}");
    let first = record(&id(0), "first", t0());
    store.insert(&first).await.expect("insert");
    assert_eq!(
        store.get(&id(0)).await.expect("get"),
        first,
        "a record reads back as written"
    );
    let mut dup = record(&id(0), "duplicate", t0());
    dup.format = PackageFormat::CwlJson;
    assert!(
        matches!(store.insert(&dup).await, Err(Error::AlreadyExists(_))),
        "a second insert of the same id must fail with AlreadyExists"
    );
    assert_eq!(
        store.get(&id(0)).await.expect("get"),
        first,
        "a failed insert changes nothing"
    );
    assert!(matches!(
        store.get(&id(99)).await,
        Err(Error::NoSuchProcess(_))
    ));

    let mut second = record(&id(0), "second", t0());
    second.updated = t0() + Duration::seconds(5);
    let previous = store.replace(&second).await.expect("replace");
    assert_eq!(previous, first, "replace returns the previous record");
    assert_eq!(store.get(&id(0)).await.expect("get"), second);
    assert!(matches!(
        store.replace(&record(&id(98), "x", t0())).await,
        Err(Error::NoSuchProcess(_))
    ));

    // Inserted out of order; listed by id.
    for i in [7, 3, 1, 5, 2, 6, 4] {
        store
            .insert(&record(&id(i), &format!("p{i}"), t0()))
            .await
            .expect("insert");
    }
    let mut listed = Vec::new();
    let mut offset = 0;
    let mut pages = 0;
    loop {
        let (page, more) = store.list(offset, 3).await.expect("list");
        assert!(page.len() <= 3, "never more than limit");
        offset += page.len();
        listed.extend(page.into_iter().map(|r| r.description.id));
        pages += 1;
        assert!(pages < 10_000, "paging must terminate");
        if !more {
            break;
        }
    }
    let mine: Vec<String> = listed
        .into_iter()
        .filter(|i| i.starts_with(&format!("contract-{run}-")))
        .collect();
    let want: Vec<String> = (0..8).map(id).collect();
    assert_eq!(mine, want, "records are listed by id, each once");

    let removed = store.delete(&id(3)).await.expect("delete");
    assert_eq!(removed.description.title.as_deref(), Some("p3"));
    assert!(matches!(
        store.get(&id(3)).await,
        Err(Error::NoSuchProcess(_))
    ));
    assert!(matches!(
        store.delete(&id(3)).await,
        Err(Error::NoSuchProcess(_))
    ));
    for i in [0, 1, 2, 4, 5, 6, 7] {
        store.delete(&id(i)).await.expect("clean up");
    }
}
