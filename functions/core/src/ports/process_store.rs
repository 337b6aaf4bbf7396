//! The store of deployed processes (OGC API - Processes Part 2).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::package::PackageFormat;
use crate::process::ProcessDescription;

/// The record of a deployed process. Its package lives in the object store under
/// [`crate::keys::package_prefix`] (`processes/{id}/{revision}/`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProcessRecord {
    /// The description derived at deployment (`mutable: true`); its `id` is the key.
    pub description: ProcessDescription,
    /// Media type the package was deployed with.
    pub format: PackageFormat,
    /// Id of the CWL process that runs (the selected Workflow).
    pub workflow: String,
    /// Identifies this deployment's package objects; a replacement gets a new one.
    pub revision: String,
    /// When the process was first deployed.
    pub deployed: DateTime<Utc>,
    /// When it was last deployed or replaced.
    pub updated: DateTime<Utc>,
}

impl ProcessRecord {
    /// The process id.
    pub fn id(&self) -> &str {
        &self.description.id
    }
}

/// Durable records of deployed processes, keyed by process id.
///
/// Contract (checked by `stratus_core::contract::process_store` against every adapter):
/// - `insert` fails with `AlreadyExists` if the id exists (SQLite: primary key; DynamoDB:
///   `attribute_not_exists(pk)`), leaving the existing record unchanged;
/// - `replace` swaps the record of an existing id atomically and returns the previous one;
///   `NoSuchProcess` if there is none (DynamoDB: `attribute_exists(pk)`, `ReturnValues
///   ALL_OLD`; SQLite: `UPDATE` in a transaction);
/// - `delete` removes and returns the record; `NoSuchProcess` if there is none;
/// - `list` returns records ordered by id from `offset`, at most `limit`, and whether more
///   follow (DynamoDB: one `Query` on the processes partition, sorted by id; SQLite: the
///   primary key order).
#[async_trait]
pub trait ProcessStore: Send + Sync {
    /// Stores the record of a newly deployed process.
    async fn insert(&self, record: &ProcessRecord) -> Result<()>;

    /// Reads a record; `NoSuchProcess` if missing.
    async fn get(&self, id: &str) -> Result<ProcessRecord>;

    /// Replaces a record; returns the previous one.
    async fn replace(&self, record: &ProcessRecord) -> Result<ProcessRecord>;

    /// Removes a record; returns it.
    async fn delete(&self, id: &str) -> Result<ProcessRecord>;

    /// A page of records, by id.
    async fn list(&self, offset: usize, limit: usize) -> Result<(Vec<ProcessRecord>, bool)>;
}
