//! The connections of a SQLite database file shared by the local stores (jobs, ingestion): one
//! writer and a few readers (WAL lets them read while it writes), each used on the blocking
//! pool, and the schema migrations tracked by `PRAGMA user_version`.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rusqlite::Connection;

/// Reader connections per database.
const READERS: usize = 4;

/// A failure of the pool itself: opening, migrating, a poisoned lock, a lost blocking task.
#[derive(Debug)]
pub struct PoolError {
    context: String,
    source: Box<dyn std::error::Error + Send + Sync>,
}

impl std::fmt::Display for PoolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.context, self.source)
    }
}

impl std::error::Error for PoolError {}

impl PoolError {
    fn new(
        context: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        PoolError {
            context: context.into(),
            source: source.into(),
        }
    }
}

impl From<PoolError> for stratus_core::Error {
    fn from(e: PoolError) -> Self {
        stratus_core::Error::backend(e.context, e.source)
    }
}

impl From<PoolError> for stratus_ingest::Error {
    fn from(e: PoolError) -> Self {
        stratus_ingest::Error::backend(e.context, e.source)
    }
}

/// One database's connections. Cheap to clone.
#[derive(Clone)]
pub struct Pool {
    inner: Arc<Connections>,
}

struct Connections {
    /// What the database holds, for messages ("job database").
    name: &'static str,
    writer: Mutex<Connection>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

fn open_connection(path: &Path, name: &str) -> Result<Connection, PoolError> {
    let configure = |e| PoolError::new(format!("configure the {name}"), e);
    let conn = Connection::open(path).map_err(|e| PoolError::new(format!("open the {name}"), e))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(configure)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
    )
    .map_err(configure)?;
    Ok(conn)
}

impl Pool {
    /// Opens the database at `path`, applying the `migrations` (what each does, its SQL) it
    /// has not had yet: migration `i` brings the schema to version `i + 1`. A database of a
    /// newer schema than the migrations know is refused.
    pub fn open(
        path: &Path,
        name: &'static str,
        migrations: &[(&str, &str)],
    ) -> Result<Self, PoolError> {
        let writer = open_connection(path, name)?;
        let version: i64 = writer
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| PoolError::new("read the schema version", e))?;
        let known = migrations.len() as i64;
        if version > known {
            return Err(PoolError::new(
                format!("open the {name}"),
                format!(
                    "{} has schema version {version}, newer than this stratus ({known})",
                    path.display()
                ),
            ));
        }
        for (i, (what, sql)) in migrations
            .iter()
            .enumerate()
            .skip(usize::try_from(version).unwrap_or(0))
        {
            writer
                .execute_batch(&format!(
                    "BEGIN; {sql} PRAGMA user_version = {}; COMMIT;",
                    i + 1
                ))
                .map_err(|e| PoolError::new(*what, e))?;
        }
        let readers = (0..READERS)
            .map(|_| open_connection(path, name).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Pool {
            inner: Arc::new(Connections {
                name,
                writer: Mutex::new(writer),
                readers,
                next_reader: AtomicUsize::new(0),
            }),
        })
    }

    /// Runs `f` on the writer connection on the blocking pool.
    pub async fn write<T, E>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<PoolError> + Send + 'static,
    {
        let inner = self.inner.clone();
        blocking(self.inner.name, move || {
            let mut conn = inner
                .writer
                .lock()
                .map_err(|_| PoolError::new(inner.name, "writer lock poisoned"))?;
            f(&mut conn)
        })
        .await
    }

    /// Runs `f` on one of the reader connections on the blocking pool.
    pub async fn read<T, E>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<PoolError> + Send + 'static,
    {
        let inner = self.inner.clone();
        blocking(self.inner.name, move || {
            let i = inner.next_reader.fetch_add(1, Ordering::Relaxed) % inner.readers.len();
            let conn = inner.readers[i]
                .lock()
                .map_err(|_| PoolError::new(inner.name, "reader lock poisoned"))?;
            f(&conn)
        })
        .await
    }
}

async fn blocking<T, E>(
    name: &'static str,
    f: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, E>
where
    T: Send + 'static,
    E: From<PoolError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| PoolError::new(format!("{name} task"), e))?
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: (&str, &str) = ("create t", "CREATE TABLE t (a INTEGER);");
    const V2: (&str, &str) = ("create u", "CREATE TABLE u (b INTEGER);");

    fn version(pool: &Pool) -> i64 {
        let conn = pool.inner.writer.lock().unwrap();
        conn.query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn migrations_run_once_in_order_and_newer_schemas_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.sqlite");
        let pool = Pool::open(&path, "test database", &[V1]).unwrap();
        assert_eq!(version(&pool), 1);
        drop(pool);
        // An older database gets only the migrations it lacks (V1 again would fail: table t exists).
        let pool = Pool::open(&path, "test database", &[V1, V2]).unwrap();
        assert_eq!(version(&pool), 2);
        drop(pool);
        let err = Pool::open(&path, "test database", &[V1]).err().unwrap();
        assert!(
            err.to_string().contains("newer than this stratus (1)"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn readers_see_what_the_writer_committed() {
        let dir = tempfile::tempdir().unwrap();
        let pool = Pool::open(&dir.path().join("db.sqlite"), "test database", &[V1]).unwrap();
        pool.write(|c| {
            c.execute("INSERT INTO t (a) VALUES (7)", [])
                .map_err(|e| PoolError::new("insert", e))
        })
        .await
        .unwrap();
        for _ in 0..READERS {
            let a: i64 = pool
                .read(|c| {
                    c.query_row("SELECT a FROM t", [], |r| r.get(0))
                        .map_err(|e| PoolError::new("select", e))
                })
                .await
                .unwrap();
            assert_eq!(a, 7);
        }
    }
}
