//! The job store on an embedded SQLite database (rusqlite, bundled SQLite).
//!
//! One file under the data directory, WAL mode, one writer connection and a few reader
//! connections. Conditional updates run in `BEGIN IMMEDIATE` transactions; job lists use the
//! indexes on `(status, created, id)`, `(process_id, created, id)` and `(created, id)`.

use std::path::Path;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use stratus_core::job::{FailureKind, Job, JobId, JobKind, JobPatch, JobStatus};
use stratus_core::ports::{ItemProgress, JobStore, ProcessRecord, ProcessStore};
use stratus_core::query::{Direction, JobPage, JobQuery};
use stratus_core::{Error, Result};

use crate::sqlite_pool::Pool;

const MIGRATION_1: &str = "
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    process_id TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT,
    created INTEGER NOT NULL,
    started INTEGER,
    finished INTEGER,
    updated INTEGER NOT NULL,
    progress INTEGER NOT NULL,
    items_total INTEGER NOT NULL,
    items_done INTEGER NOT NULL,
    failure TEXT,
    delivery TEXT NOT NULL,
    subscriber TEXT,
    attempts INTEGER NOT NULL,
    version INTEGER NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs (created, id);
CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, created, id);
CREATE INDEX IF NOT EXISTS jobs_by_process ON jobs (process_id, status, created, id);
CREATE TABLE IF NOT EXISTS job_items (
    job_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    PRIMARY KEY (job_id, idx)
) STRICT, WITHOUT ROWID;
";

/// Deployed processes (OGC API - Processes Part 2): one row per process, the record as JSON.
const MIGRATION_2: &str = "
CREATE TABLE IF NOT EXISTS processes (
    id TEXT PRIMARY KEY,
    record TEXT NOT NULL
) STRICT;
";

const COLUMNS: &str = "id, kind, process_id, status, message, created, started, finished, updated, \
     progress, items_total, items_done, failure, delivery, subscriber, attempts, version";

/// Job store on a SQLite file. Cheap to clone.
#[derive(Clone)]
pub struct SqliteJobStore {
    pool: Pool,
}

fn db_err(context: &str) -> impl FnOnce(rusqlite::Error) -> Error + '_ {
    move |e| Error::backend(context.to_string(), e)
}

impl SqliteJobStore {
    /// Opens (creating and migrating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        Ok(SqliteJobStore {
            pool: Pool::open(
                path,
                "job database",
                &[
                    ("create the job tables", MIGRATION_1),
                    ("create the process table", MIGRATION_2),
                ],
            )?,
        })
    }

    /// Runs `f` on the writer connection on the blocking pool.
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.pool.write(f).await
    }

    /// Runs `f` on one of the reader connections on the blocking pool.
    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.pool.read(f).await
    }
}

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn time(ms: i64) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms).ok_or(rusqlite::Error::IntegralValueOutOfRange(0, ms))
}

fn decode_err(e: impl std::error::Error + Send + Sync + 'static) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
}

fn job_from_row(row: &Row<'_>) -> rusqlite::Result<Job> {
    let status: String = row.get(3)?;
    let kind: String = row.get(1)?;
    let failure: Option<String> = row.get(12)?;
    let delivery: String = row.get(13)?;
    let subscriber: Option<String> = row.get(14)?;
    Ok(Job {
        id: JobId::parse(&row.get::<_, String>(0)?).map_err(decode_err)?,
        kind: kind.parse::<JobKind>().map_err(decode_err)?,
        process_id: row.get(2)?,
        status: status.parse::<JobStatus>().map_err(decode_err)?,
        message: row.get(4)?,
        created: time(row.get(5)?)?,
        started: row.get::<_, Option<i64>>(6)?.map(time).transpose()?,
        finished: row.get::<_, Option<i64>>(7)?.map(time).transpose()?,
        updated: time(row.get(8)?)?,
        progress: row.get(9)?,
        items_total: row.get(10)?,
        items_done: row.get(11)?,
        failure: failure
            .map(|f| f.parse::<FailureKind>())
            .transpose()
            .map_err(decode_err)?,
        delivery: serde_json::from_str(&delivery).map_err(decode_err)?,
        subscriber: subscriber
            .map(|s| serde_json::from_str(&s))
            .transpose()
            .map_err(decode_err)?,
        attempts: row.get(15)?,
        version: row.get::<_, i64>(16)? as u64,
    })
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::backend("encode a job column", e))
}

fn job_params(job: &Job) -> Result<Vec<SqlValue>> {
    Ok(vec![
        SqlValue::Text(job.id.to_string()),
        SqlValue::Text(job.kind.as_str().into()),
        SqlValue::Text(job.process_id.clone()),
        SqlValue::Text(job.status.as_str().into()),
        job.message.clone().map_or(SqlValue::Null, SqlValue::Text),
        SqlValue::Integer(millis(job.created)),
        job.started
            .map_or(SqlValue::Null, |t| SqlValue::Integer(millis(t))),
        job.finished
            .map_or(SqlValue::Null, |t| SqlValue::Integer(millis(t))),
        SqlValue::Integer(millis(job.updated)),
        SqlValue::Integer(i64::from(job.progress)),
        SqlValue::Integer(i64::from(job.items_total)),
        SqlValue::Integer(i64::from(job.items_done)),
        job.failure
            .map_or(SqlValue::Null, |f| SqlValue::Text(f.as_str().into())),
        SqlValue::Text(to_json(&job.delivery)?),
        match &job.subscriber {
            Some(s) => SqlValue::Text(to_json(s)?),
            None => SqlValue::Null,
        },
        SqlValue::Integer(i64::from(job.attempts)),
        SqlValue::Integer(job.version as i64),
    ])
}

fn get_job(conn: &Connection, id: &str) -> Result<Option<Job>> {
    conn.prepare_cached(&format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"))
        .and_then(|mut st| st.query_row([id], job_from_row).optional())
        .map_err(db_err("read a job"))
}

#[async_trait]
impl JobStore for SqliteJobStore {
    async fn create(&self, job: &Job) -> Result<()> {
        let values = job_params(job)?;
        let id = job.id.to_string();
        self.write(move |conn| {
            let placeholders = (1..=values.len())
                .map(|i| format!("?{i}"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!("INSERT OR IGNORE INTO jobs ({COLUMNS}) VALUES ({placeholders})");
            let inserted = conn
                .prepare_cached(&sql)
                .and_then(|mut st| st.execute(rusqlite::params_from_iter(values)))
                .map_err(db_err("create a job"))?;
            if inserted == 0 {
                return Err(Error::AlreadyExists(format!("job {id}")));
            }
            Ok(())
        })
        .await
    }

    async fn get(&self, id: &JobId) -> Result<Job> {
        let id = id.to_string();
        self.read(move |conn| get_job(conn, &id)?.ok_or(Error::NoSuchJob(id)))
            .await
    }

    async fn update(
        &self,
        id: &JobId,
        expected: &[JobStatus],
        patch: &JobPatch,
        now: DateTime<Utc>,
    ) -> Result<Job> {
        let id = id.to_string();
        let expected = expected.to_vec();
        let patch = patch.clone();
        self.write(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err("update a job"))?;
            let current = get_job(&tx, &id)?.ok_or_else(|| Error::NoSuchJob(id.clone()))?;
            if !expected.contains(&current.status) {
                return Err(Error::Conflict {
                    id,
                    current: current.status,
                });
            }
            let next = current.patched(&patch, now);
            let values = job_params(&next)?;
            let assignments = COLUMNS
                .split(", ")
                .enumerate()
                .skip(1)
                .map(|(i, c)| format!("{} = ?{}", c.trim(), i + 1))
                .collect::<Vec<_>>()
                .join(", ");
            tx.prepare_cached(&format!("UPDATE jobs SET {assignments} WHERE id = ?1"))
                .and_then(|mut st| st.execute(rusqlite::params_from_iter(values)))
                .map_err(db_err("update a job"))?;
            tx.commit().map_err(db_err("update a job"))?;
            Ok(next)
        })
        .await
    }

    async fn mark_item_done(
        &self,
        id: &JobId,
        index: u32,
        now: DateTime<Utc>,
    ) -> Result<ItemProgress> {
        let id = id.to_string();
        self.write(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err("count a work item"))?;
            let exists: Option<(u32, u32)> = tx
                .query_row(
                    "SELECT items_done, items_total FROM jobs WHERE id = ?1",
                    [&id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
                .map_err(db_err("count a work item"))?;
            let (mut done, total) = exists.ok_or_else(|| Error::NoSuchJob(id.clone()))?;
            let first = tx
                .execute(
                    "INSERT OR IGNORE INTO job_items (job_id, idx) VALUES (?1, ?2)",
                    params![id, index],
                )
                .map_err(db_err("count a work item"))?;
            if first == 1 {
                done += 1;
                tx.execute(
                    "UPDATE jobs SET items_done = ?2, updated = ?3, version = version + 1 WHERE id = ?1",
                    params![id, done, millis(now)],
                )
                .map_err(db_err("count a work item"))?;
            }
            tx.commit().map_err(db_err("count a work item"))?;
            Ok(ItemProgress { done, total })
        })
        .await
    }

    async fn delete(&self, id: &JobId) -> Result<()> {
        let id = id.to_string();
        self.write(move |conn| {
            let tx = conn.transaction().map_err(db_err("delete a job"))?;
            tx.execute("DELETE FROM job_items WHERE job_id = ?1", [&id])
                .and_then(|_| tx.execute("DELETE FROM jobs WHERE id = ?1", [&id]))
                .map_err(db_err("delete a job"))?;
            tx.commit().map_err(db_err("delete a job"))
        })
        .await
    }

    async fn list(&self, query: &JobQuery, now: DateTime<Utc>) -> Result<JobPage> {
        let query = query.clone();
        let (sql, values) = list_sql(&query, now);
        let fetched = self
            .read(move |conn| {
                let mut st = conn.prepare_cached(&sql).map_err(db_err("list jobs"))?;
                let rows = st
                    .query_map(rusqlite::params_from_iter(values), job_from_row)
                    .map_err(db_err("list jobs"))?;
                rows.collect::<rusqlite::Result<Vec<Job>>>()
                    .map_err(db_err("list jobs"))
            })
            .await?;
        Ok(JobPage::from_fetched(fetched, &query))
    }
}

fn record_from_json(id: &str, json: &str) -> Result<ProcessRecord> {
    serde_json::from_str(json)
        .map_err(|e| Error::backend(format!("decode the record of process {id}"), e))
}

fn get_record(conn: &Connection, id: &str) -> Result<Option<ProcessRecord>> {
    let json: Option<String> = conn
        .prepare_cached("SELECT record FROM processes WHERE id = ?1")
        .and_then(|mut st| st.query_row([id], |r| r.get(0)).optional())
        .map_err(db_err("read a process"))?;
    json.map(|j| record_from_json(id, &j)).transpose()
}

/// Deployed processes in the `processes` table (schema version 2) of the job database, keyed
/// by id. Cheap to clone.
#[derive(Clone)]
pub struct SqliteProcessStore {
    db: SqliteJobStore,
}

impl SqliteJobStore {
    /// The store of deployed processes in the same database.
    pub fn processes(&self) -> SqliteProcessStore {
        SqliteProcessStore { db: self.clone() }
    }
}

#[async_trait]
impl ProcessStore for SqliteProcessStore {
    async fn insert(&self, record: &ProcessRecord) -> Result<()> {
        let id = record.id().to_string();
        let json = to_json(record)?;
        self.db
            .write(move |conn| {
                let inserted = conn
                    .execute(
                        "INSERT OR IGNORE INTO processes (id, record) VALUES (?1, ?2)",
                        params![id, json],
                    )
                    .map_err(db_err("deploy a process"))?;
                if inserted == 0 {
                    return Err(Error::AlreadyExists(format!("process {id}")));
                }
                Ok(())
            })
            .await
    }

    async fn get(&self, id: &str) -> Result<ProcessRecord> {
        let id = id.to_string();
        self.db
            .read(move |conn| get_record(conn, &id)?.ok_or(Error::NoSuchProcess(id)))
            .await
    }

    async fn replace(&self, record: &ProcessRecord) -> Result<ProcessRecord> {
        let id = record.id().to_string();
        let json = to_json(record)?;
        self.db
            .write(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(db_err("replace a process"))?;
                let previous =
                    get_record(&tx, &id)?.ok_or_else(|| Error::NoSuchProcess(id.clone()))?;
                tx.execute(
                    "UPDATE processes SET record = ?2 WHERE id = ?1",
                    params![id, json],
                )
                .map_err(db_err("replace a process"))?;
                tx.commit().map_err(db_err("replace a process"))?;
                Ok(previous)
            })
            .await
    }

    async fn delete(&self, id: &str) -> Result<ProcessRecord> {
        let id = id.to_string();
        self.db
            .write(move |conn| {
                let tx = conn
                    .transaction_with_behavior(TransactionBehavior::Immediate)
                    .map_err(db_err("undeploy a process"))?;
                let previous =
                    get_record(&tx, &id)?.ok_or_else(|| Error::NoSuchProcess(id.clone()))?;
                tx.execute("DELETE FROM processes WHERE id = ?1", [&id])
                    .map_err(db_err("undeploy a process"))?;
                tx.commit().map_err(db_err("undeploy a process"))?;
                Ok(previous)
            })
            .await
    }

    async fn list(&self, offset: usize, limit: usize) -> Result<(Vec<ProcessRecord>, bool)> {
        let (offset, limit) = (
            i64::try_from(offset).unwrap_or(i64::MAX),
            i64::try_from(limit).unwrap_or(i64::MAX - 1),
        );
        let rows = self
            .db
            .read(move |conn| {
                let mut st = conn
                    .prepare_cached(
                        "SELECT id, record FROM processes ORDER BY id LIMIT ?1 OFFSET ?2",
                    )
                    .map_err(db_err("list processes"))?;
                let rows = st
                    .query_map(params![limit.saturating_add(1), offset], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                    })
                    .map_err(db_err("list processes"))?;
                rows.collect::<rusqlite::Result<Vec<_>>>()
                    .map_err(db_err("list processes"))
            })
            .await?;
        let more = rows.len() as i64 > limit;
        let records = rows
            .iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|(id, json)| record_from_json(id, json))
            .collect::<Result<Vec<_>>>()?;
        Ok((records, more))
    }
}

/// The SQL of a job list query and its parameters. The query is split into one partition per
/// status (or per process and status), each read in index order (`(status, created, id)` or
/// `(process_id, status, created, id)`) and cut at `limit + 1`, then merged: the cost follows
/// the page size, not the number of jobs. Filters apply inside each partition; the keyset
/// position is a row-value comparison.
fn list_sql(q: &JobQuery, now: DateTime<Utc>) -> (String, Vec<SqlValue>) {
    let mut values: Vec<SqlValue> = Vec::new();
    let mut param = |v: SqlValue| {
        values.push(v);
        format!("?{}", values.len())
    };
    let mut shared: Vec<String> = Vec::new();
    if let Some(kinds) = &q.kinds {
        let ph: Vec<String> = kinds
            .iter()
            .map(|k| param(SqlValue::Text(k.as_str().into())))
            .collect();
        shared.push(format!("kind IN ({})", ph.join(", ")));
    }
    if let Some(start) = q.created.start {
        shared.push(format!(
            "created >= {}",
            param(SqlValue::Integer(millis(start)))
        ));
    }
    if let Some(end) = q.created.end {
        shared.push(format!(
            "created <= {}",
            param(SqlValue::Integer(millis(end)))
        ));
    }
    if q.min_duration.is_some() || q.max_duration.is_some() {
        let now_p = param(SqlValue::Integer(millis(now)));
        let duration = format!(
            "((CASE WHEN finished IS NOT NULL THEN finished \
               WHEN status = 'running' THEN {now_p} END) - started) / 1000"
        );
        if let Some(min) = q.min_duration {
            let p = param(SqlValue::Integer(min));
            shared.push(format!("started IS NOT NULL AND {duration} >= {p}"));
        }
        if let Some(max) = q.max_duration {
            let p = param(SqlValue::Integer(max));
            shared.push(format!("started IS NOT NULL AND {duration} <= {p}"));
        }
    }
    let mut order = "DESC";
    if let Some(page) = &q.page {
        let c = param(SqlValue::Integer(page.created.timestamp_millis()));
        let i = param(SqlValue::Text(page.id.to_string()));
        let cmp = match page.direction {
            Direction::After => "<",
            Direction::Before => {
                order = "ASC";
                ">"
            }
        };
        shared.push(format!("(created, id) {cmp} ({c}, {i})"));
    }
    let limit = param(SqlValue::Integer(i64::from(q.limit) + 1));
    let mut partitions: Vec<String> = Vec::new();
    for status in &q.statuses {
        let st = param(SqlValue::Text(status.as_str().into()));
        if q.process_ids.is_empty() {
            partitions.push(format!("status = {st}"));
        } else {
            for process in &q.process_ids {
                let pr = param(SqlValue::Text(process.clone()));
                partitions.push(format!("process_id = {pr} AND status = {st}"));
            }
        }
    }
    let subqueries: Vec<String> = partitions
        .iter()
        .map(|part| {
            let mut clauses = vec![part.clone()];
            clauses.extend(shared.iter().cloned());
            format!(
                "SELECT * FROM (SELECT {COLUMNS} FROM jobs WHERE {} \
                 ORDER BY created {order}, id {order} LIMIT {limit})",
                clauses.join(" AND ")
            )
        })
        .collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM ({}) ORDER BY created {order}, id {order} LIMIT {limit}",
        subqueries.join(" UNION ALL ")
    );
    (sql, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, SqliteJobStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteJobStore::open(&dir.path().join("stratus.db")).unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn contract_basics() {
        let (_dir, s) = store();
        stratus_core::contract::job_store_basics(&s).await;
    }

    #[tokio::test]
    async fn contract_listing() {
        let (_dir, s) = store();
        stratus_core::contract::job_store_listing(&s, 600).await;
    }

    #[tokio::test]
    async fn contract_processes() {
        let (_dir, s) = store();
        stratus_core::contract::process_store(&s.processes()).await;
    }

    /// The composite registry over this store: built-ins first, then deployed processes, paged
    /// across the boundary; package objects written and removed with their records.
    #[tokio::test]
    async fn registry_pages_builtins_then_deployed_and_keeps_packages() {
        use std::sync::Arc;
        use stratus_core::cwl::CwlPackage;
        use stratus_core::deploy::Registry;
        use stratus_core::package::{Deployment, PackageBody, PackageFormat};
        use stratus_core::ports::{CwlRun, CwlRunner, ObjectStore, ProcessRegistry, SystemClock};
        use stratus_core::process::{ProcessError, RunContext};
        use stratus_core::results::Outputs;

        struct NeverRuns;
        #[async_trait]
        impl CwlRunner for NeverRuns {
            async fn run(&self, _: CwlRun<'_>, _: &RunContext) -> Result<Outputs, ProcessError> {
                Err(ProcessError::internal("nothing runs in this test"))
            }
        }
        fn deployment(id: &str, label: &str) -> Deployment {
            let text = format!(
                "cwlVersion: v1.2\nclass: CommandLineTool\nid: {id}\nlabel: {label}\n\
                 baseCommand: echo\ninputs: {{}}\noutputs: {{}}\n"
            );
            let cwl = CwlPackage::from_text(text.as_bytes(), None).unwrap();
            Deployment {
                description: cwl.describe(id),
                cwl,
                body: PackageBody {
                    format: PackageFormat::CwlYaml,
                    bytes: text.into(),
                },
            }
        }

        let (dir, s) = store();
        let objects = Arc::new(
            crate::fs_store::FsObjectStore::new(dir.path().join("objects"), "http://x").unwrap(),
        );
        let registry = Registry::new(
            Arc::new(stratus_processes::builtins()),
            Arc::new(s.processes()),
            objects.clone(),
            Arc::new(NeverRuns),
            Arc::new(SystemClock),
        );
        for id in ["c", "a", "b"] {
            registry.deploy(deployment(id, "v1")).await.unwrap();
        }
        let ids = |page: &[stratus_core::process::ProcessDescription]| {
            page.iter().map(|d| d.id.clone()).collect::<Vec<_>>()
        };
        for (offset, limit, want, more) in [
            (0, 2, vec!["echo", "water-bodies"], true),
            (1, 2, vec!["water-bodies", "a"], true),
            (2, 2, vec!["a", "b"], true),
            (4, 2, vec!["c"], false),
            (5, 2, vec![], false),
            (0, 100, vec!["echo", "water-bodies", "a", "b", "c"], false),
        ] {
            let (page, m) = registry.list(offset, limit).await.unwrap();
            assert_eq!(
                (ids(&page), m),
                (want.iter().map(|w| w.to_string()).collect(), more),
                "offset {offset}"
            );
        }
        assert!(matches!(
            registry.deploy(deployment("a", "again")).await,
            Err(Error::DuplicatedProcess(_))
        ));
        assert!(matches!(
            registry.deploy(deployment("echo", "x")).await,
            Err(Error::ImmutableProcess(_))
        ));
        let count = |prefix: &'static str| {
            let objects = objects.clone();
            async move { objects.list(prefix).await.unwrap().len() }
        };
        assert_eq!(
            count("processes/a/").await,
            2,
            "package and its CWL as JSON"
        );
        registry.replace("a", deployment("a", "v2")).await.unwrap();
        assert_eq!(
            count("processes/a/").await,
            2,
            "the replaced revision is removed"
        );
        assert_eq!(
            registry
                .get("a")
                .await
                .unwrap()
                .description()
                .title
                .as_deref(),
            Some("v2")
        );
        let package = registry.package("a").await.unwrap();
        assert!(
            std::str::from_utf8(&package.body.bytes)
                .unwrap()
                .contains("label: v2")
        );
        registry.undeploy("b").await.unwrap();
        assert_eq!(count("processes/b/").await, 0);
        assert!(matches!(
            registry.get("b").await,
            Err(Error::NoSuchProcess(_))
        ));
        assert!(matches!(
            registry.undeploy("echo").await,
            Err(Error::ImmutableProcess(_))
        ));
    }

    #[tokio::test]
    async fn reopening_keeps_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stratus.db");
        let job = Job::accepted(
            JobId::new_v7(),
            "echo",
            Default::default(),
            None,
            Utc::now(),
        );
        {
            let s = SqliteJobStore::open(&path).unwrap();
            s.create(&job).await.unwrap();
        }
        let s = SqliteJobStore::open(&path).unwrap();
        assert_eq!(s.get(&job.id).await.unwrap().id, job.id);
    }
}
