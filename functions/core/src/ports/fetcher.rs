//! The fetcher port: documents referenced by URL (inputs by reference, STAC items).

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
#[async_trait]
pub trait Fetcher: Send + Sync {
    /// Fetches `url`.
    async fn fetch(&self, url: &str) -> Result<Fetched, ProcessError>;
}
