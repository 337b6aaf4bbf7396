//! The Stratus local engine: the domain's ports on an embedded SQLite database
//! ([`sqlite::SqliteJobStore`]), the filesystem ([`fs_store::FsObjectStore`]) and an in-process
//! executor ([`executor::LocalExecutor`]), wired into the same HTTP handlers the Lambda
//! functions use ([`engine::LocalEngine`]).

#![warn(missing_docs)]

pub mod engine;
pub mod executor;
pub mod fs_store;
pub mod ingest_executor;
pub mod ingest_store;
pub mod local_fetcher;
pub mod samples;
pub mod sqlite;
pub mod sqlite_pool;
