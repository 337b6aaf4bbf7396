//! The notifier port: callbacks to `subscriber` URIs.

use async_trait::async_trait;
use serde_json::Value;

/// Delivers callback documents. Delivery failures are logged by the adapter, never returned:
/// a callback must not change or block the job.
///
/// Local engine: spawns the POST (timeout, retries with backoff) and returns at once. AWS engine:
/// awaits the POST with the same policy inside the task Lambda, bounded by its timeout.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// POSTs `body` as JSON to `uri`.
    async fn notify(&self, uri: &str, body: Value);
}
