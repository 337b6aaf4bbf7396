//! The process registry port.

use std::sync::Arc;

use async_trait::async_trait;

use crate::error::Result;
use crate::process::{Process, ProcessDescription};

/// The processes a server offers: built-ins, and (OGC API - Processes Part 2) deployed ones.
///
/// Built-ins live in code on both engines; deployed packages are described in the job store's
/// database (SQLite table / DynamoDB items) with their package in the object store.
#[async_trait]
pub trait ProcessRegistry: Send + Sync {
    /// Descriptions in a stable order (by id), starting at `offset`, at most `limit`; the flag
    /// tells whether more follow.
    async fn list(&self, offset: usize, limit: usize) -> Result<(Vec<ProcessDescription>, bool)>;

    /// A process by id; `NoSuchProcess` if unknown.
    async fn get(&self, id: &str) -> Result<Arc<dyn Process>>;
}
