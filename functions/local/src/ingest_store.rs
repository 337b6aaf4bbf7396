//! The ingestion store on an embedded SQLite database (`ingest.db` beside the job database).
//!
//! Tables `aoi`, `scene`, `tile`, `variable`, `instance`, `record`, `dataset`. Scene and tile
//! ids are `AUTOINCREMENT` keys (never reused). Conditional updates read and write the row in
//! one `BEGIN IMMEDIATE` transaction on the single writer connection; a batch ingestion is one
//! transaction (rolled back when a link does not resolve). Counts per status are `GROUP BY`
//! queries on the `(aoi, status, id)` indexes; next tiles use the partial index on `prev`.

use std::path::Path;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use stratus_ingest::model::{
    Dataset, Instance, Lease, NewScene, Record, SceneData, SceneId, SceneRecord, TileData, TileId,
    TileRecord, Variable,
};
use stratus_ingest::ports::{
    IngestStore, Inserted, LeaseGuard, LeaseSet, Page, SceneChange, TileChange, TileFilter, Work,
};
use stratus_ingest::status::{Counts, Status};
use stratus_ingest::{Error, Result};

use crate::sqlite_pool::Pool;

const MIGRATION_1: &str = "
CREATE TABLE IF NOT EXISTS aoi (
    id TEXT PRIMARY KEY,
    area TEXT,
    created INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS scene (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    aoi TEXT NOT NULL REFERENCES aoi(id) ON DELETE CASCADE,
    source_id TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL,
    data TEXT NOT NULL,
    countdown INTEGER NOT NULL,
    lease_owner TEXT,
    lease_until INTEGER,
    version INTEGER NOT NULL,
    date INTEGER NOT NULL,
    wkt TEXT NOT NULL,
    UNIQUE (aoi, source_id)
) STRICT;
CREATE INDEX IF NOT EXISTS scene_by_aoi ON scene (aoi, status, id);
CREATE INDEX IF NOT EXISTS scene_pending ON scene (id) WHERE status = 'PENDING';
CREATE TABLE IF NOT EXISTS tile (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scene_id INTEGER NOT NULL REFERENCES scene(id) ON DELETE CASCADE,
    aoi TEXT NOT NULL,
    source_id TEXT NOT NULL,
    status TEXT NOT NULL,
    message TEXT NOT NULL,
    data TEXT NOT NULL,
    countdown INTEGER NOT NULL,
    prev INTEGER,
    ref INTEGER,
    lease_owner TEXT,
    lease_until INTEGER,
    version INTEGER NOT NULL,
    date INTEGER NOT NULL,
    wkt TEXT NOT NULL,
    UNIQUE (scene_id, source_id)
) STRICT;
CREATE INDEX IF NOT EXISTS tile_by_aoi ON tile (aoi, status, id);
CREATE INDEX IF NOT EXISTS tile_by_scene ON tile (scene_id, id);
CREATE INDEX IF NOT EXISTS tile_by_prev ON tile (prev) WHERE prev IS NOT NULL;
CREATE INDEX IF NOT EXISTS tile_by_ref ON tile (ref) WHERE ref IS NOT NULL;
CREATE INDEX IF NOT EXISTS tile_pending ON tile (id) WHERE status = 'PENDING';
CREATE TABLE IF NOT EXISTS variable (
    name TEXT PRIMARY KEY,
    body TEXT NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS instance (
    id TEXT PRIMARY KEY,
    variable TEXT NOT NULL REFERENCES variable(name) ON DELETE CASCADE,
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (variable, name)
) STRICT;
CREATE TABLE IF NOT EXISTS record (
    id TEXT PRIMARY KEY,
    aoi TEXT NOT NULL,
    date INTEGER NOT NULL,
    body TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS record_by_aoi ON record (aoi, date, id);
CREATE TABLE IF NOT EXISTS dataset (
    record_id TEXT NOT NULL,
    tile_id INTEGER NOT NULL,
    layer TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (record_id, tile_id, layer)
) STRICT, WITHOUT ROWID;
";

const SCENE_COLUMNS: &str =
    "id, aoi, source_id, status, message, data, countdown, lease_owner, lease_until, version";
const TILE_COLUMNS: &str = "id, scene_id, aoi, source_id, status, message, data, countdown, \
     prev, ref, lease_owner, lease_until, version, date";

/// Ingestion store on a SQLite file. Cheap to clone.
#[derive(Clone)]
pub struct SqliteIngestStore {
    pool: Pool,
}

fn db_err(context: &'static str) -> impl FnOnce(rusqlite::Error) -> Error {
    move |e| Error::backend(context, e)
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

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::backend("encode a column", e))
}

fn lease_of(owner: Option<String>, until: Option<i64>) -> rusqlite::Result<Option<Lease>> {
    match (owner, until) {
        (Some(owner), Some(until)) => Ok(Some(Lease {
            owner,
            until: time(until)?,
        })),
        _ => Ok(None),
    }
}

fn scene_from_row(row: &Row<'_>) -> rusqlite::Result<SceneRecord> {
    let status: String = row.get(3)?;
    let data: String = row.get(5)?;
    Ok(SceneRecord {
        id: row.get(0)?,
        aoi: row.get(1)?,
        source_id: row.get(2)?,
        status: status.parse::<Status>().map_err(decode_err)?,
        message: row.get(4)?,
        data: serde_json::from_str(&data).map_err(decode_err)?,
        retry_countdown: row.get(6)?,
        lease: lease_of(row.get(7)?, row.get(8)?)?,
        version: row.get::<_, i64>(9)? as u64,
    })
}

fn tile_from_row(row: &Row<'_>) -> rusqlite::Result<TileRecord> {
    let status: String = row.get(4)?;
    let data: String = row.get(6)?;
    Ok(TileRecord {
        id: row.get(0)?,
        scene_id: row.get(1)?,
        aoi: row.get(2)?,
        source_id: row.get(3)?,
        status: status.parse::<Status>().map_err(decode_err)?,
        message: row.get(5)?,
        data: serde_json::from_str(&data).map_err(decode_err)?,
        retry_countdown: row.get(7)?,
        prev: row.get(8)?,
        reference: row.get(9)?,
        lease: lease_of(row.get(10)?, row.get(11)?)?,
        version: row.get::<_, i64>(12)? as u64,
        date: time(row.get(13)?)?,
    })
}

fn get_scene(conn: &Connection, id: SceneId) -> Result<Option<SceneRecord>> {
    conn.prepare_cached(&format!("SELECT {SCENE_COLUMNS} FROM scene WHERE id = ?1"))
        .and_then(|mut st| st.query_row([id], scene_from_row).optional())
        .map_err(db_err("read a scene"))
}

fn get_tile(conn: &Connection, id: TileId) -> Result<Option<TileRecord>> {
    conn.prepare_cached(&format!("SELECT {TILE_COLUMNS} FROM tile WHERE id = ?1"))
        .and_then(|mut st| st.query_row([id], tile_from_row).optional())
        .map_err(db_err("read a tile"))
}

fn limit_offset(page: Page) -> (i64, i64) {
    (
        page.limit
            .map_or(-1, |l| i64::try_from(l).unwrap_or(i64::MAX)),
        i64::try_from(page.offset()).unwrap_or(i64::MAX),
    )
}

fn guard_holds(lease: &Option<Lease>, guard: &Option<LeaseGuard>) -> bool {
    match guard {
        None | Some(LeaseGuard::Any) => true,
        Some(LeaseGuard::Claimable { owner, now }) => match lease {
            None => true,
            Some(l) => l.until <= *now || &l.owner == owner,
        },
        Some(LeaseGuard::HeldBy(owner)) => lease.as_ref().is_some_and(|l| &l.owner == owner),
    }
}

fn apply_lease(lease: Option<Lease>, set: &LeaseSet) -> Option<Lease> {
    match set {
        LeaseSet::Keep => lease,
        LeaseSet::Clear => None,
        LeaseSet::Take { owner, until } => Some(Lease {
            owner: owner.clone(),
            until: *until,
        }),
    }
}

fn status_list(statuses: &[Status]) -> String {
    statuses
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join("|")
}

impl SqliteIngestStore {
    /// Opens (creating and migrating if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        Ok(SqliteIngestStore {
            pool: Pool::open(
                path,
                "ingestion database",
                &[("create the ingestion tables", MIGRATION_1)],
            )?,
        })
    }

    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.pool.write(f).await
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.pool.read(f).await
    }
}

/// Resolves a tile by (tile source id, scene source id) in an AOI: its id and status.
fn resolve_link(
    conn: &Connection,
    aoi: &str,
    tile: &str,
    scene: &str,
) -> Result<Option<(TileId, Status)>> {
    conn.prepare_cached(
        "SELECT t.id, t.status FROM tile t JOIN scene s ON t.scene_id = s.id \
         WHERE s.aoi = ?1 AND s.source_id = ?2 AND t.source_id = ?3",
    )
    .and_then(|mut st| {
        st.query_row(params![aoi, scene, tile], |r| {
            let status: String = r.get(1)?;
            Ok((
                r.get::<_, i64>(0)?,
                status.parse::<Status>().map_err(decode_err)?,
            ))
        })
        .optional()
    })
    .map_err(db_err("resolve a tile link"))
}

fn insert_batch(
    conn: &mut Connection,
    aoi: &str,
    scenes: &[NewScene],
    now: DateTime<Utc>,
) -> Result<Vec<Inserted>> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err("ingest scenes"))?;
    tx.execute(
        "INSERT OR IGNORE INTO aoi (id, area, created) VALUES (?1, NULL, ?2)",
        params![aoi, millis(now)],
    )
    .map_err(db_err("ingest scenes"))?;
    let mut out = Vec::new();
    let mut links: Vec<(TileId, &stratus_ingest::model::NewTile)> = Vec::new();
    for s in scenes {
        let exists: Option<i64> = tx
            .prepare_cached("SELECT id FROM scene WHERE aoi = ?1 AND source_id = ?2")
            .and_then(|mut st| {
                st.query_row(params![aoi, s.source_id], |r| r.get(0))
                    .optional()
            })
            .map_err(db_err("ingest scenes"))?;
        if exists.is_some() {
            continue;
        }
        tx.prepare_cached(
            "INSERT INTO scene (aoi, source_id, status, message, data, countdown, version, date, wkt) \
             VALUES (?1, ?2, 'PENDING', '', ?3, ?4, 0, ?5, ?6)",
        )
        .and_then(|mut st| {
            st.execute(params![
                aoi,
                s.source_id,
                json(&s.data).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
                s.retry_count,
                millis(s.data.date),
                s.wkt
            ])
        })
        .map_err(db_err("ingest scenes"))?;
        let scene_id = tx.last_insert_rowid();
        let mut tiles = Vec::with_capacity(s.tiles.len());
        for t in &s.tiles {
            tx.prepare_cached(
                "INSERT INTO tile (scene_id, aoi, source_id, status, message, data, countdown, version, date, wkt) \
                 VALUES (?1, ?2, ?3, 'NEW', '', ?4, ?5, 0, ?6, ?7)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    scene_id,
                    aoi,
                    t.source_id,
                    json(&t.data).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?,
                    s.retry_count,
                    millis(s.data.date),
                    t.wkt
                ])
            })
            .map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                    Error::invalid(format!("scene {}: tile {} is listed twice", s.source_id, t.source_id))
                }
                other => Error::backend("ingest tiles", other),
            })?;
            let tile_id = tx.last_insert_rowid();
            tiles.push(tile_id);
            if t.prev.is_some() || t.reference.is_some() {
                links.push((tile_id, t));
            }
        }
        out.push(Inserted {
            source_id: s.source_id.clone(),
            id: scene_id,
            tiles,
        });
    }
    for (tile_id, t) in links {
        let mut resolved = [None, None];
        for (i, link) in [&t.prev, &t.reference].into_iter().enumerate() {
            let Some((tile, scene)) = link else { continue };
            match resolve_link(&tx, aoi, tile, scene)? {
                Some((id, status)) if status != Status::Failed => resolved[i] = Some(id),
                Some(_) => {
                    return Err(Error::invalid(format!(
                        "tile {}: {} tile {tile} of scene {scene} is FAILED",
                        t.source_id,
                        if i == 0 { "previous" } else { "reference" }
                    )));
                }
                None => {
                    return Err(Error::invalid(format!(
                        "tile {}: {} tile {tile} of scene {scene} is not in the AOI",
                        t.source_id,
                        if i == 0 { "previous" } else { "reference" }
                    )));
                }
            }
        }
        tx.execute(
            "UPDATE tile SET prev = ?2, ref = ?3 WHERE id = ?1",
            params![tile_id, resolved[0], resolved[1]],
        )
        .map_err(db_err("link tiles"))?;
    }
    tx.commit().map_err(db_err("ingest scenes"))?;
    Ok(out)
}

#[async_trait]
impl IngestStore for SqliteIngestStore {
    async fn create_aoi(&self, aoi: &str, now: DateTime<Utc>) -> Result<()> {
        let aoi = aoi.to_string();
        self.write(move |conn| {
            let n = conn
                .execute(
                    "INSERT OR IGNORE INTO aoi (id, area, created) VALUES (?1, NULL, ?2)",
                    params![aoi, millis(now)],
                )
                .map_err(db_err("create an AOI"))?;
            if n == 0 {
                return Err(Error::AlreadyExists {
                    what: "aoi",
                    id: aoi,
                });
            }
            Ok(())
        })
        .await
    }

    async fn ensure_aoi(
        &self,
        aoi: &str,
        area_wkt: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (aoi, area) = (aoi.to_string(), area_wkt.map(str::to_string));
        self.write(move |conn| {
            conn.execute(
                "INSERT INTO aoi (id, area, created) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (id) DO UPDATE SET area = coalesce(excluded.area, aoi.area)",
                params![aoi, area, millis(now)],
            )
            .map_err(db_err("create an AOI"))?;
            Ok(())
        })
        .await
    }

    async fn aois(&self) -> Result<Vec<String>> {
        self.read(|conn| {
            conn.prepare_cached("SELECT id FROM aoi ORDER BY id")
                .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
                .map_err(db_err("list AOIs"))
        })
        .await
    }

    async fn aoi_area(&self, aoi: &str) -> Result<Option<String>> {
        let aoi = aoi.to_string();
        self.read(move |conn| {
            Ok(conn
                .prepare_cached("SELECT area FROM aoi WHERE id = ?1")
                .and_then(|mut st| {
                    st.query_row([aoi], |r| r.get::<_, Option<String>>(0))
                        .optional()
                })
                .map_err(db_err("read an AOI"))?
                .flatten())
        })
        .await
    }

    async fn aoi_exists(&self, aoi: &str) -> Result<bool> {
        let aoi = aoi.to_string();
        self.read(move |conn| {
            conn.prepare_cached("SELECT 1 FROM aoi WHERE id = ?1")
                .and_then(|mut st| st.exists([aoi]))
                .map_err(db_err("read an AOI"))
        })
        .await
    }

    async fn delete_aoi(&self, aoi: &str) -> Result<()> {
        let aoi = aoi.to_string();
        self.write(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err("delete an AOI"))?;
            tx.execute("DELETE FROM tile WHERE aoi = ?1", [&aoi])
                .map_err(db_err("delete an AOI"))?;
            tx.execute("DELETE FROM scene WHERE aoi = ?1", [&aoi])
                .map_err(db_err("delete an AOI"))?;
            tx.execute("DELETE FROM aoi WHERE id = ?1", [&aoi])
                .map_err(db_err("delete an AOI"))?;
            tx.commit().map_err(db_err("delete an AOI"))
        })
        .await
    }

    async fn counts(&self, aoi: &str) -> Result<Counts> {
        let aoi = aoi.to_string();
        self.read(move |conn| {
            let mut counts = Counts::default();
            for (table, target) in [("scene", 0), ("tile", 1)] {
                let rows: Vec<(String, i64)> = conn
                    .prepare_cached(&format!(
                        "SELECT status, count(*) FROM {table} WHERE aoi = ?1 GROUP BY status"
                    ))
                    .and_then(|mut st| {
                        st.query_map([&aoi], |r| Ok((r.get(0)?, r.get(1)?)))?
                            .collect()
                    })
                    .map_err(db_err("count scenes and tiles"))?;
                for (status, n) in rows {
                    let status: Status = status.parse()?;
                    let c = if target == 0 {
                        &mut counts.scenes
                    } else {
                        &mut counts.tiles
                    };
                    *c.get_mut(status) = n as u64;
                }
            }
            Ok(counts)
        })
        .await
    }

    async fn insert(
        &self,
        aoi: &str,
        scenes: &[NewScene],
        now: DateTime<Utc>,
    ) -> Result<Vec<Inserted>> {
        let (aoi, scenes) = (aoi.to_string(), scenes.to_vec());
        self.write(move |conn| insert_batch(conn, &aoi, &scenes, now))
            .await
    }

    async fn scene(&self, id: SceneId) -> Result<SceneRecord> {
        self.read(move |conn| get_scene(conn, id)?.ok_or_else(|| Error::not_found("scene", id)))
            .await
    }

    async fn scene_by_source(&self, aoi: &str, source_id: &str) -> Result<Option<SceneRecord>> {
        let (aoi, source_id) = (aoi.to_string(), source_id.to_string());
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {SCENE_COLUMNS} FROM scene WHERE aoi = ?1 AND source_id = ?2"
            ))
            .and_then(|mut st| {
                st.query_row(params![aoi, source_id], scene_from_row)
                    .optional()
            })
            .map_err(db_err("read a scene"))
        })
        .await
    }

    async fn scenes(
        &self,
        aoi: &str,
        status: Option<Status>,
        page: Page,
    ) -> Result<Vec<SceneRecord>> {
        let aoi = aoi.to_string();
        let (limit, offset) = limit_offset(page);
        self.read(move |conn| {
            let (sql, args): (String, Vec<SqlValue>) = match status {
                Some(s) => (
                    format!("SELECT {SCENE_COLUMNS} FROM scene WHERE aoi = ?1 AND status = ?2 ORDER BY id LIMIT ?3 OFFSET ?4"),
                    vec![aoi.into(), s.as_str().to_string().into(), limit.into(), offset.into()],
                ),
                None => (
                    format!("SELECT {SCENE_COLUMNS} FROM scene WHERE aoi = ?1 ORDER BY id LIMIT ?2 OFFSET ?3"),
                    vec![aoi.into(), limit.into(), offset.into()],
                ),
            };
            conn.prepare_cached(&sql)
                .and_then(|mut st| st.query_map(rusqlite::params_from_iter(args), scene_from_row)?.collect())
                .map_err(db_err("list scenes"))
        })
        .await
    }

    async fn tile(&self, id: TileId) -> Result<TileRecord> {
        self.read(move |conn| get_tile(conn, id)?.ok_or_else(|| Error::not_found("tile", id)))
            .await
    }

    async fn tiles(&self, filter: &TileFilter, page: Page) -> Result<Vec<TileRecord>> {
        let filter = filter.clone();
        let (limit, offset) = limit_offset(page);
        self.read(move |conn| {
            let (cond, mut args): (&str, Vec<SqlValue>) = match filter {
                TileFilter::Aoi {
                    aoi,
                    status: Some(s),
                } => (
                    "aoi = ?1 AND status = ?2",
                    vec![aoi.into(), s.as_str().to_string().into()],
                ),
                TileFilter::Aoi { aoi, status: None } => ("aoi = ?1", vec![aoi.into()]),
                TileFilter::Scene(id) => ("scene_id = ?1", vec![id.into()]),
                TileFilter::Prev(id) => ("prev = ?1", vec![id.into()]),
                TileFilter::Reference(id) => ("ref = ?1", vec![id.into()]),
            };
            let n = args.len();
            args.push(limit.into());
            args.push(offset.into());
            let sql = format!(
                "SELECT {TILE_COLUMNS} FROM tile WHERE {cond} ORDER BY id LIMIT ?{} OFFSET ?{}",
                n + 1,
                n + 2
            );
            conn.prepare_cached(&sql)
                .and_then(|mut st| {
                    st.query_map(rusqlite::params_from_iter(args), tile_from_row)?
                        .collect()
                })
                .map_err(db_err("list tiles"))
        })
        .await
    }

    async fn roots(&self, aoi: &str) -> Result<Vec<TileRecord>> {
        let aoi = aoi.to_string();
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {TILE_COLUMNS} FROM tile WHERE aoi = ?1 AND status != 'FAILED' \
                 AND prev IS NULL AND ref IS NULL ORDER BY id"
            ))
            .and_then(|mut st| st.query_map([aoi], tile_from_row)?.collect())
            .map_err(db_err("list root tiles"))
        })
        .await
    }

    async fn leaves(&self, aoi: &str) -> Result<Vec<TileRecord>> {
        let aoi = aoi.to_string();
        self.read(move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {TILE_COLUMNS} FROM tile t WHERE aoi = ?1 AND status != 'FAILED' \
                 AND NOT EXISTS (SELECT 1 FROM tile c WHERE c.prev = t.id) ORDER BY id"
            ))
            .and_then(|mut st| st.query_map([aoi], tile_from_row)?.collect())
            .map_err(db_err("list leaf tiles"))
        })
        .await
    }

    async fn footprint(&self, scene: SceneId, tile: Option<TileId>) -> Result<String> {
        self.read(move |conn| {
            let found: Option<String> = match tile {
                Some(t) => conn
                    .prepare_cached("SELECT wkt FROM tile WHERE id = ?1")
                    .and_then(|mut st| st.query_row([t], |r| r.get(0)).optional()),
                None => conn
                    .prepare_cached("SELECT wkt FROM scene WHERE id = ?1")
                    .and_then(|mut st| st.query_row([scene], |r| r.get(0)).optional()),
            }
            .map_err(db_err("read a footprint"))?;
            Ok(found.unwrap_or_default())
        })
        .await
    }

    async fn update_scene(
        &self,
        id: SceneId,
        change: &SceneChange,
        _now: DateTime<Utc>,
    ) -> Result<SceneRecord> {
        let change = change.clone();
        self.write(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err("update a scene"))?;
            let cur = get_scene(&tx, id)?.ok_or_else(|| Error::not_found("scene", id))?;
            if (!change.expect.is_empty() && !change.expect.contains(&cur.status))
                || !guard_holds(&cur.lease, &change.lease_guard)
            {
                let current = if change.expect.is_empty() || change.expect.contains(&cur.status) {
                    format!("{} (lease held elsewhere)", cur.status)
                } else {
                    format!("{}, not {}", cur.status, status_list(&change.expect))
                };
                return Err(Error::Conflict {
                    what: "scene",
                    id,
                    current,
                });
            }
            let lease = apply_lease(cur.lease.clone(), &change.lease);
            let next = SceneRecord {
                status: change.status.unwrap_or(cur.status),
                message: change.message.clone().unwrap_or(cur.message.clone()),
                retry_countdown: cur.retry_countdown - i64::from(change.decrement_countdown),
                lease,
                version: cur.version + 1,
                ..cur
            };
            tx.prepare_cached(
                "UPDATE scene SET status = ?2, message = ?3, countdown = ?4, lease_owner = ?5, \
                 lease_until = ?6, version = ?7 WHERE id = ?1",
            )
            .and_then(|mut st| {
                st.execute(params![
                    id,
                    next.status.as_str(),
                    next.message,
                    next.retry_countdown,
                    next.lease.as_ref().map(|l| l.owner.clone()),
                    next.lease.as_ref().map(|l| millis(l.until)),
                    next.version as i64
                ])
            })
            .map_err(db_err("update a scene"))?;
            tx.commit().map_err(db_err("update a scene"))?;
            Ok(next)
        })
        .await
    }

    async fn update_tile(
        &self,
        id: TileId,
        change: &TileChange,
        _now: DateTime<Utc>,
    ) -> Result<TileRecord> {
        let change = change.clone();
        self.write(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err("update a tile"))?;
            let cur = get_tile(&tx, id)?.ok_or_else(|| Error::not_found("tile", id))?;
            let status_ok = change.expect.is_empty() || change.expect.contains(&cur.status);
            let prev_ok = change.expect_prev.is_none_or(|p| p == cur.prev);
            if !status_ok || !prev_ok || !guard_holds(&cur.lease, &change.lease_guard) {
                let current = if !status_ok {
                    format!("{}, not {}", cur.status, status_list(&change.expect))
                } else if !prev_ok {
                    format!("{} with previous tile {:?}", cur.status, cur.prev)
                } else {
                    format!("{} (lease held elsewhere)", cur.status)
                };
                return Err(Error::Conflict {
                    what: "tile",
                    id,
                    current,
                });
            }
            let lease = apply_lease(cur.lease.clone(), &change.lease);
            let next = TileRecord {
                status: change.status.unwrap_or(cur.status),
                message: change.message.clone().unwrap_or(cur.message.clone()),
                retry_countdown: cur.retry_countdown - i64::from(change.decrement_countdown),
                prev: change.prev.unwrap_or(cur.prev),
                reference: change.reference.unwrap_or(cur.reference),
                lease,
                version: cur.version + 1,
                ..cur
            };
            tx.prepare_cached(
                "UPDATE tile SET status = ?2, message = ?3, countdown = ?4, prev = ?5, ref = ?6, \
                 lease_owner = ?7, lease_until = ?8, version = ?9 WHERE id = ?1",
            )
            .and_then(|mut st| {
                st.execute(params![
                    id,
                    next.status.as_str(),
                    next.message,
                    next.retry_countdown,
                    next.prev,
                    next.reference,
                    next.lease.as_ref().map(|l| l.owner.clone()),
                    next.lease.as_ref().map(|l| millis(l.until)),
                    next.version as i64
                ])
            })
            .map_err(db_err("update a tile"))?;
            tx.commit().map_err(db_err("update a tile"))?;
            Ok(next)
        })
        .await
    }

    async fn replace_reference(&self, old: TileId, new: TileId, _now: DateTime<Utc>) -> Result<()> {
        self.write(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err("replace a reference"))?;
            tx.execute(
                "UPDATE tile SET ref = ?2, version = version + 1 WHERE ref = ?1 AND id != ?2",
                params![old, new],
            )
            .map_err(db_err("replace a reference"))?;
            tx.execute(
                "UPDATE tile SET ref = NULL, version = version + 1 WHERE id = ?1",
                [new],
            )
            .map_err(db_err("replace a reference"))?;
            tx.commit().map_err(db_err("replace a reference"))
        })
        .await
    }

    async fn set_scene_data(&self, id: SceneId, data: &SceneData) -> Result<()> {
        let body = json(data)?;
        self.write(move |conn| {
            let n = conn
                .execute(
                    "UPDATE scene SET data = ?2, version = version + 1 WHERE id = ?1",
                    params![id, body],
                )
                .map_err(db_err("update a scene's data"))?;
            if n == 0 {
                return Err(Error::not_found("scene", id));
            }
            Ok(())
        })
        .await
    }

    async fn set_tile_data(&self, id: TileId, data: &TileData) -> Result<()> {
        let body = json(data)?;
        self.write(move |conn| {
            let n = conn
                .execute(
                    "UPDATE tile SET data = ?2, version = version + 1 WHERE id = ?1",
                    params![id, body],
                )
                .map_err(db_err("update a tile's data"))?;
            if n == 0 {
                return Err(Error::not_found("tile", id));
            }
            Ok(())
        })
        .await
    }

    async fn pending(&self, limit: u64) -> Result<Vec<Work>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |conn| {
            let scenes: Vec<i64> = conn
                .prepare_cached(
                    "SELECT id FROM scene WHERE status = 'PENDING' ORDER BY id LIMIT ?1",
                )
                .and_then(|mut st| st.query_map([limit], |r| r.get(0))?.collect())
                .map_err(db_err("list pending work"))?;
            let tiles: Vec<i64> = conn
                .prepare_cached("SELECT id FROM tile WHERE status = 'PENDING' ORDER BY id LIMIT ?1")
                .and_then(|mut st| st.query_map([limit], |r| r.get(0))?.collect())
                .map_err(db_err("list pending work"))?;
            Ok(scenes
                .into_iter()
                .map(Work::Scene)
                .chain(tiles.into_iter().map(|t| Work::Tiles(vec![t])))
                .collect())
        })
        .await
    }

    async fn create_variable(&self, variable: &Variable) -> Result<()> {
        let name = variable.name.clone();
        let body = json(&Variable {
            instances: Vec::new(),
            ..variable.clone()
        })?;
        self.write(move |conn| {
            let n = conn
                .execute(
                    "INSERT OR IGNORE INTO variable (name, body) VALUES (?1, ?2)",
                    params![name, body],
                )
                .map_err(db_err("create a variable"))?;
            if n == 0 {
                return Err(Error::AlreadyExists {
                    what: "variable",
                    id: name,
                });
            }
            Ok(())
        })
        .await
    }

    async fn variable(&self, name: &str) -> Result<Option<Variable>> {
        let name = name.to_string();
        self.read(move |conn| read_variable(conn, &name)).await
    }

    async fn variables(&self) -> Result<Vec<Variable>> {
        self.read(|conn| {
            let names: Vec<String> = conn
                .prepare_cached("SELECT name FROM variable ORDER BY name")
                .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
                .map_err(db_err("list variables"))?;
            names
                .iter()
                .filter_map(|n| read_variable(conn, n).transpose())
                .collect()
        })
        .await
    }

    async fn add_instance(&self, variable: &str, instance: &Instance) -> Result<()> {
        let (variable, instance) = (variable.to_string(), instance.clone());
        let body = json(&instance)?;
        self.write(move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err("add an instance"))?;
            let exists = tx
                .prepare_cached("SELECT 1 FROM variable WHERE name = ?1")
                .and_then(|mut st| st.exists([&variable]))
                .map_err(db_err("add an instance"))?;
            if !exists {
                return Err(Error::not_found("variable", variable));
            }
            let n = tx
                .execute(
                    "INSERT OR IGNORE INTO instance (id, variable, name, body) VALUES (?1, ?2, ?3, ?4)",
                    params![instance.id, variable, instance.name, body],
                )
                .map_err(db_err("add an instance"))?;
            if n == 0 {
                return Err(Error::AlreadyExists {
                    what: "instance",
                    id: format!("{variable}/{}", instance.name),
                });
            }
            tx.commit().map_err(db_err("add an instance"))
        })
        .await
    }

    async fn instance(&self, id: &str) -> Result<Option<(String, Instance)>> {
        let id = id.to_string();
        self.read(move |conn| {
            let row: Option<(String, String)> = conn
                .prepare_cached("SELECT variable, body FROM instance WHERE id = ?1")
                .and_then(|mut st| {
                    st.query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()
                })
                .map_err(db_err("read an instance"))?;
            row.map(|(v, body)| {
                serde_json::from_str(&body)
                    .map(|i| (v, i))
                    .map_err(|e| Error::backend("decode an instance", e))
            })
            .transpose()
        })
        .await
    }

    async fn put_record(&self, record: &Record) -> Result<()> {
        let (id, aoi, date, body) = (
            record.id.clone(),
            record.aoi.clone(),
            millis(record.date),
            json(record)?,
        );
        self.write(move |conn| {
            conn.execute(
                "INSERT OR IGNORE INTO record (id, aoi, date, body) VALUES (?1, ?2, ?3, ?4)",
                params![id, aoi, date, body],
            )
            .map_err(db_err("create a record"))?;
            Ok(())
        })
        .await
    }

    async fn record(&self, id: &str) -> Result<Option<Record>> {
        let id = id.to_string();
        self.read(move |conn| {
            let body: Option<String> = conn
                .prepare_cached("SELECT body FROM record WHERE id = ?1")
                .and_then(|mut st| st.query_row([id], |r| r.get(0)).optional())
                .map_err(db_err("read a record"))?;
            body.map(|b| serde_json::from_str(&b).map_err(|e| Error::backend("decode a record", e)))
                .transpose()
        })
        .await
    }

    async fn records(&self, aoi: Option<&str>, page: Page) -> Result<Vec<Record>> {
        let aoi = aoi.map(str::to_string);
        let (limit, offset) = limit_offset(page);
        self.read(move |conn| {
            let bodies: Vec<String> = match aoi {
                Some(a) => conn
                    .prepare_cached("SELECT body FROM record WHERE aoi = ?1 ORDER BY date, id LIMIT ?2 OFFSET ?3")
                    .and_then(|mut st| st.query_map(params![a, limit, offset], |r| r.get(0))?.collect()),
                None => conn
                    .prepare_cached("SELECT body FROM record ORDER BY date, id LIMIT ?1 OFFSET ?2")
                    .and_then(|mut st| st.query_map(params![limit, offset], |r| r.get(0))?.collect()),
            }
            .map_err(db_err("list records"))?;
            bodies
                .iter()
                .map(|b| serde_json::from_str(b).map_err(|e| Error::backend("decode a record", e)))
                .collect()
        })
        .await
    }

    async fn put_dataset(&self, dataset: &Dataset) -> Result<()> {
        let d = dataset.clone();
        let body = json(&d)?;
        self.write(move |conn| {
            conn.execute(
                "INSERT OR REPLACE INTO dataset (record_id, tile_id, layer, body) VALUES (?1, ?2, ?3, ?4)",
                params![d.record_id, d.tile_id, d.layer, body],
            )
            .map_err(db_err("index a dataset"))?;
            Ok(())
        })
        .await
    }

    async fn datasets(&self, record: &str) -> Result<Vec<Dataset>> {
        let record = record.to_string();
        self.read(move |conn| {
            let bodies: Vec<String> = conn
                .prepare_cached(
                    "SELECT body FROM dataset WHERE record_id = ?1 ORDER BY tile_id, layer",
                )
                .and_then(|mut st| st.query_map([record], |r| r.get(0))?.collect())
                .map_err(db_err("list datasets"))?;
            bodies
                .iter()
                .map(|b| serde_json::from_str(b).map_err(|e| Error::backend("decode a dataset", e)))
                .collect()
        })
        .await
    }
}

fn read_variable(conn: &Connection, name: &str) -> Result<Option<Variable>> {
    let body: Option<String> = conn
        .prepare_cached("SELECT body FROM variable WHERE name = ?1")
        .and_then(|mut st| st.query_row([name], |r| r.get(0)).optional())
        .map_err(db_err("read a variable"))?;
    let Some(body) = body else { return Ok(None) };
    let mut v: Variable =
        serde_json::from_str(&body).map_err(|e| Error::backend("decode a variable", e))?;
    let bodies: Vec<String> = conn
        .prepare_cached("SELECT body FROM instance WHERE variable = ?1 ORDER BY name")
        .and_then(|mut st| st.query_map([name], |r| r.get(0))?.collect())
        .map_err(db_err("read a variable"))?;
    v.instances = bodies
        .iter()
        .map(|b| serde_json::from_str(b).map_err(|e| Error::backend("decode an instance", e)))
        .collect::<Result<_>>()?;
    Ok(Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sqlite_ingest_store_contract() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteIngestStore::open(&dir.path().join("ingest.db")).unwrap();
        stratus_ingest::contract::ingest_store(&store).await;
    }

    #[tokio::test]
    async fn sqlite_ingest_store_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ingest.db");
        let store = SqliteIngestStore::open(&path).unwrap();
        store.create_aoi("a", Utc::now()).await.unwrap();
        drop(store);
        let store = SqliteIngestStore::open(&path).unwrap();
        assert_eq!(store.aois().await.unwrap(), vec!["a".to_string()]);
    }
}
