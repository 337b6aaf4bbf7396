//! The fetcher port: documents referenced by URL (inputs by reference, STAC items).

use std::ops::Range;

use async_trait::async_trait;
use bytes::Bytes;

use crate::process::ProcessError;

/// A fetched document.
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched {
    /// The bytes.
    pub body: Bytes,
    /// Media type the source declared, if any.
    pub media_type: Option<String>,
}

/// Fetches whole documents by URL under the engine's network policy and size limits.
///
/// Local engine: `http(s)://` through the SSRF-guarded client (loopback allowed), `file://`
/// inside configured directories. AWS engine: `http(s)://` (public addresses only) and `s3://`
/// through the S3 client. Errors are job failures: a URL that is refused, malformed, missing
/// (4xx) or too large is `InvalidInput`; a network failure or 5xx is `Upstream`.
///
/// Byte-range reads (`size`, `fetch_range`) serve cloud-native formats (COGs): adapters
/// implement them with HTTP `Range` requests, S3 ranged GETs and positioned file reads. The
/// default implementations read the whole document and exist only for adapters of schemes
/// that have no ranges.
#[async_trait]
pub trait Fetcher: Send + Sync {
    /// Fetches `url`.
    async fn fetch(&self, url: &str) -> Result<Fetched, ProcessError>;

    /// Size in bytes of the document at `url`.
    async fn size(&self, url: &str) -> Result<u64, ProcessError> {
        Ok(self.fetch(url).await?.body.len() as u64)
    }

    /// Bytes `range` (end exclusive, clamped to the size) of the document at `url`.
    async fn fetch_range(&self, url: &str, range: Range<u64>) -> Result<Bytes, ProcessError> {
        let body = self.fetch(url).await?.body;
        let len = body.len() as u64;
        let (start, end) = (range.start.min(len), range.end.min(len));
        Ok(body.slice(start as usize..end.max(start) as usize))
    }
}
