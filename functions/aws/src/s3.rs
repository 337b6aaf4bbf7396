//! The object store on S3.
//!
//! `key` is the object key in one bucket. Writes are single `PutObject`s (atomic for readers);
//! `href` is `s3://bucket/key`, what published STAC assets point at, and `download_url` a
//! presigned `GET` a plain HTTP client can follow. Keys are validated like the filesystem
//! store's, so both engines accept the same keys.

use std::ops::Range;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use bytes::Bytes;
use serde_json::{Map, Value, json};
use stratus_core::ports::{ObjectMeta, ObjectStore};

use crate::error::Error;

/// Object store on an S3 bucket. Cheap to clone.
#[derive(Clone, Debug)]
pub struct S3ObjectStore {
    client: Client,
    bucket: String,
    region: String,
    endpoint: Option<String>,
    presign_ttl: Duration,
}

fn aws<E: std::error::Error + 'static>(
    operation: &'static str,
) -> impl FnOnce(E) -> stratus_core::Error {
    move |e| Error::aws(operation, e).into()
}

/// Refuses keys the port does not allow: empty, absolute, with empty, `.`-prefixed (`.`, `..`,
/// hidden) segments, backslashes or NULs, or longer than S3's 1024 bytes.
pub fn validate_key(key: &str) -> stratus_core::Result<()> {
    let ok = !key.is_empty()
        && key.len() <= 1024
        && !key.contains('\\')
        && !key.contains('\0')
        && key
            .split('/')
            .all(|seg| !seg.is_empty() && !seg.starts_with('.'));
    if ok {
        Ok(())
    } else {
        Err(stratus_core::Error::parameter(
            "key",
            format!(
                "'{}' is not a valid object key",
                key.chars().take(200).collect::<String>()
            ),
        ))
    }
}

/// The media type of a listed object, from its extension (`ListObjectsV2` returns none).
fn guess_type(key: &str) -> &'static str {
    match key.rsplit('.').next() {
        Some("json") => "application/json",
        Some("geojson") => "application/geo+json",
        Some("tif" | "tiff") => "image/tiff; application=geotiff",
        Some("png") => "image/png",
        Some("txt") => "text/plain",
        Some("html") => "text/html",
        _ => "application/octet-stream",
    }
}

impl S3ObjectStore {
    /// A store on `bucket`. `endpoint` is a custom endpoint (an emulator), reported in the STAC
    /// `storage:endpoint` field; presigned URLs live `presign_ttl`.
    pub fn new(
        client: Client,
        bucket: impl Into<String>,
        region: impl Into<String>,
        endpoint: Option<String>,
        presign_ttl: Duration,
    ) -> Self {
        S3ObjectStore {
            client,
            bucket: bucket.into(),
            region: region.into(),
            endpoint,
            presign_ttl,
        }
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    fn meta(key: &str, size: Option<i64>, content_type: Option<&str>) -> ObjectMeta {
        ObjectMeta {
            key: key.to_string(),
            size: size.and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
            content_type: content_type
                .map(str::to_string)
                .unwrap_or_else(|| guess_type(key).to_string()),
        }
    }

    /// Reads an object or a byte range of it; `None` when the range starts past its end.
    async fn read(
        &self,
        key: &str,
        range: Option<String>,
    ) -> stratus_core::Result<Option<(Bytes, ObjectMeta)>> {
        validate_key(key)?;
        let result = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .set_range(range)
            .send()
            .await;
        let out = match result {
            Ok(out) => out,
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                return match e.as_service_error() {
                    Some(se) if se.is_no_such_key() => {
                        Err(stratus_core::Error::NoSuchObject(key.to_string()))
                    }
                    Some(se) if se.code() == Some("InvalidRange") || status == Some(416) => {
                        Ok(None)
                    }
                    _ => Err(aws("S3 GetObject")(e)),
                };
            }
        };
        let meta = Self::meta(key, out.content_length(), out.content_type());
        let body = out
            .body
            .collect()
            .await
            .map_err(aws("S3 GetObject body"))?
            .into_bytes();
        Ok(Some((body, meta)))
    }
}

#[async_trait]
impl ObjectStore for S3ObjectStore {
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> stratus_core::Result<()> {
        validate_key(key)?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(aws("S3 PutObject"))?;
        Ok(())
    }

    async fn get(&self, key: &str) -> stratus_core::Result<(Bytes, ObjectMeta)> {
        match self.read(key, None).await? {
            Some(found) => Ok(found),
            None => Err(stratus_core::Error::NoSuchObject(key.to_string())),
        }
    }

    async fn get_range(&self, key: &str, range: Range<u64>) -> stratus_core::Result<Bytes> {
        if range.start >= range.end {
            self.head(key).await?;
            return Ok(Bytes::new());
        }
        let header = format!("bytes={}-{}", range.start, range.end - 1);
        // A range starting at or after the end of the object is clamped to nothing.
        Ok(self
            .read(key, Some(header))
            .await?
            .map(|(body, _)| body)
            .unwrap_or_default())
    }

    async fn head(&self, key: &str) -> stratus_core::Result<ObjectMeta> {
        validate_key(key)?;
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => Ok(Self::meta(key, out.content_length(), out.content_type())),
            Err(e) => Err(
                if e.as_service_error().is_some_and(|se| se.is_not_found())
                    || e.raw_response().is_some_and(|r| r.status().as_u16() == 404)
                {
                    stratus_core::Error::NoSuchObject(key.to_string())
                } else {
                    aws("S3 HeadObject")(e)
                },
            ),
        }
    }

    async fn list(&self, prefix: &str) -> stratus_core::Result<Vec<ObjectMeta>> {
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .client
                .list_objects_v2()
                .bucket(&self.bucket)
                .prefix(prefix)
                .set_continuation_token(token.take())
                .send()
                .await
                .map_err(aws("S3 ListObjectsV2"))?;
            for obj in out.contents() {
                if let Some(key) = obj.key() {
                    found.push(Self::meta(key, obj.size(), None));
                }
            }
            match out.next_continuation_token() {
                Some(t) if out.is_truncated().unwrap_or(false) => token = Some(t.to_string()),
                _ => break,
            }
        }
        found.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(found)
    }

    async fn delete_prefix(&self, prefix: &str) -> stratus_core::Result<u64> {
        let keys: Vec<String> = self
            .list(prefix)
            .await?
            .into_iter()
            .map(|m| m.key)
            .collect();
        let mut removed = 0u64;
        for chunk in keys.chunks(1000) {
            let objects = chunk
                .iter()
                .map(|k| ObjectIdentifier::builder().key(k).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(aws("S3 DeleteObjects"))?;
            let delete = Delete::builder()
                .set_objects(Some(objects))
                .quiet(true)
                .build()
                .map_err(aws("S3 DeleteObjects"))?;
            let out = self
                .client
                .delete_objects()
                .bucket(&self.bucket)
                .delete(delete)
                .send()
                .await
                .map_err(aws("S3 DeleteObjects"))?;
            if let Some(err) = out.errors().first() {
                return Err(Error::Aws {
                    operation: "S3 DeleteObjects",
                    message: format!(
                        "{}: {}",
                        err.key().unwrap_or_default(),
                        err.message().or(err.code()).unwrap_or("failed")
                    ),
                }
                .into());
            }
            removed += chunk.len() as u64;
        }
        Ok(removed)
    }

    fn href(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }

    async fn download_url(&self, key: &str) -> stratus_core::Result<String> {
        validate_key(key)?;
        let config = PresigningConfig::expires_in(self.presign_ttl).map_err(aws("S3 presign"))?;
        let req = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(config)
            .await
            .map_err(aws("S3 presign"))?;
        Ok(req.uri().to_string())
    }

    fn storage_fields(&self) -> Option<Map<String, Value>> {
        let endpoint = self
            .endpoint
            .clone()
            .unwrap_or_else(|| format!("https://s3.{}.amazonaws.com", self.region));
        let fields = json!({
            "storage:platform": "AWS",
            "storage:region": self.region,
            "storage:endpoint": endpoint,
            "storage:tier": "Standard",
            "storage:requester_pays": false,
        });
        fields.as_object().cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_validated_like_the_filesystem_store() {
        for good in ["results/a/b.tif", "jobs/x/plan.json", "a"] {
            assert!(validate_key(good).is_ok(), "{good}");
        }
        for bad in ["", "/abs", "a//b", "../x", "a/./b", "a/.hidden", "a\\b"] {
            assert!(validate_key(bad).is_err(), "{bad}");
        }
        assert_eq!(
            guess_type("results/x/otsu.tif"),
            "image/tiff; application=geotiff"
        );
    }
}
