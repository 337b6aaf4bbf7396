//! The object store port.

use std::ops::Range;

use async_trait::async_trait;
use bytes::Bytes;
use serde_json::{Map, Value};

use crate::error::Result;

/// Metadata of a stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// Key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Media type given when it was written.
    pub content_type: String,
}

/// Keyed blobs: results, STAC items, work-item manifests, process packages.
///
/// Keys are `/`-separated relative paths without `..`, `.` or empty segments; adapters refuse
/// others. Writes are atomic: a reader sees the old object or the new one, never a part
/// (filesystem: write to a temporary file and rename; S3: `PutObject`).
#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// Writes an object.
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<()>;

    /// Reads a whole object; `NoSuchObject` if missing.
    async fn get(&self, key: &str) -> Result<(Bytes, ObjectMeta)>;

    /// Reads a byte range (clamped to the object's size); `NoSuchObject` if missing.
    async fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes>;

    /// Reads metadata; `NoSuchObject` if missing.
    async fn head(&self, key: &str) -> Result<ObjectMeta>;

    /// Lists objects under a prefix, in key order.
    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>>;

    /// Removes every object under a prefix; returns how many were removed.
    async fn delete_prefix(&self, prefix: &str) -> Result<u64>;

    /// How published documents refer to an object (local: the server's `/objects/{key}` URL;
    /// S3: `s3://bucket/key`).
    fn href(&self, key: &str) -> String;

    /// A URL a plain HTTP client can download the object from (local: the same as `href`; S3: a
    /// presigned URL).
    async fn download_url(&self, key: &str) -> Result<String> {
        Ok(self.href(key))
    }

    /// STAC `storage:*` fields describing where objects live, if meaningful (S3).
    fn storage_fields(&self) -> Option<Map<String, Value>> {
        None
    }
}

/// Writes a JSON document.
pub async fn put_json<T: serde::Serialize + ?Sized>(
    store: &dyn ObjectStore,
    key: &str,
    value: &T,
) -> Result<()> {
    let body =
        serde_json::to_vec(value).map_err(|e| crate::Error::backend(format!("encode {key}"), e))?;
    store.put(key, Bytes::from(body), "application/json").await
}

/// Reads a JSON document.
pub async fn get_json<T: serde::de::DeserializeOwned>(
    store: &dyn ObjectStore,
    key: &str,
) -> Result<T> {
    let (body, _) = store.get(key).await?;
    serde_json::from_slice(&body).map_err(|e| crate::Error::backend(format!("decode {key}"), e))
}
