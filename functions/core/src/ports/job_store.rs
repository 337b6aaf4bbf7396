//! The job store port.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::error::Result;
use crate::job::{Job, JobId, JobPatch, JobStatus};
use crate::query::{JobPage, JobQuery};

/// Progress of a job's work items after one more finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemProgress {
    /// Items finished, counting each item once however often it was reported.
    pub done: u32,
    /// Items planned.
    pub total: u32,
}

/// Durable job records with conditional updates.
///
/// Contract (checked by `stratus_core::contract::job_store` against every adapter):
/// - `create` fails with `AlreadyExists` if the id exists (DynamoDB: `attribute_not_exists(pk)`;
///   SQLite: primary key).
/// - `update` applies the patch only if the current status is in `expected`, atomically, bumps
///   `version` and `updated`, and returns the new record; otherwise `Conflict` with the current
///   status (DynamoDB: `ConditionExpression #status IN (...)`, `ReturnValues ALL_NEW`; SQLite:
///   `UPDATE ... WHERE id = ? AND status IN (...)` in a transaction). A missing job is `NoSuchJob`.
/// - `mark_item_done` is idempotent per (job, item): the first call for an item increments
///   `items_done`, repeats do not (DynamoDB: transaction of a marker put with
///   `attribute_not_exists` and an `ADD`; SQLite: `INSERT OR IGNORE` + count).
/// - `list` returns jobs matching [`JobQuery::matches`] newest first, paged by keyset tokens
///   (DynamoDB: one `Query` per status on a GSI keyed by status with sort key `created#id`,
///   merged; SQLite: indexed `ORDER BY created DESC, id DESC`). Never a full scan per request.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Stores a new job.
    async fn create(&self, job: &Job) -> Result<()>;

    /// Reads a job.
    async fn get(&self, id: &JobId) -> Result<Job>;

    /// Conditionally updates a job (see the contract above).
    async fn update(
        &self,
        id: &JobId,
        expected: &[JobStatus],
        patch: &JobPatch,
        now: DateTime<Utc>,
    ) -> Result<Job>;

    /// Sets the number of planned items (once, while running) and resets nothing else.
    async fn set_items_total(&self, id: &JobId, total: u32, now: DateTime<Utc>) -> Result<Job> {
        let patch = JobPatch {
            items_total: Some(total),
            ..Default::default()
        };
        self.update(id, &[JobStatus::Running], &patch, now).await
    }

    /// Records that work item `index` finished; idempotent per item.
    async fn mark_item_done(
        &self,
        id: &JobId,
        index: u32,
        now: DateTime<Utc>,
    ) -> Result<ItemProgress>;

    /// Removes a job record (a dismissed finished job); missing ids are not an error.
    async fn delete(&self, id: &JobId) -> Result<()>;

    /// Lists jobs.
    async fn list(&self, query: &JobQuery, now: DateTime<Utc>) -> Result<JobPage>;
}
