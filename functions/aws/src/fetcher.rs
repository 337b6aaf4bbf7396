//! The AWS engine's fetcher: `s3://bucket/key` through the S3 client (the function's role
//! decides which buckets it may read), everything else through the guarded
//! [`UrlFetcher`] (public addresses only unless configured; no `file://` roots).

use std::ops::Range;

use async_trait::async_trait;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::SdkError;
use bytes::Bytes;
use stratus_core::ports::{Fetched, Fetcher};
use stratus_core::process::ProcessError;
use stratus_outbound::UrlFetcher;

use crate::error::Error;

/// Fetches `s3://` and `http(s)://` documents, whole or by byte ranges (COG tiles: S3 ranged
/// GETs, HTTP `Range` requests).
#[derive(Clone)]
pub struct AwsFetcher {
    urls: UrlFetcher,
    s3: Client,
    max_bytes: u64,
}

/// Splits `s3://bucket/key`.
pub fn parse_s3_url(url: &str) -> Option<(&str, &str)> {
    let rest = url
        .strip_prefix("s3://")
        .or_else(|| url.strip_prefix("S3://"))?;
    let (bucket, key) = rest.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then_some((bucket, key))
}

impl AwsFetcher {
    /// A fetcher over `urls` for HTTP and `s3` for S3, refusing documents over `max_bytes`.
    pub fn new(urls: UrlFetcher, s3: Client, max_bytes: u64) -> Self {
        AwsFetcher {
            urls,
            s3,
            max_bytes,
        }
    }

    /// A failed S3 call as a job failure: a missing key or another 4xx is the client's input,
    /// anything else the service's.
    fn s3_failure<E>(url: &str, what: &'static str, e: SdkError<E, HttpResponse>) -> ProcessError
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        let refused = e
            .raw_response()
            .is_some_and(|r| (400..500).contains(&r.status().as_u16()));
        let message = format!("'{url}' cannot be read: {}", Error::aws(what, e));
        if refused {
            ProcessError::invalid(message)
        } else {
            ProcessError::upstream(message)
        }
    }

    fn bucket_key(url: &str) -> Result<(&str, &str), ProcessError> {
        parse_s3_url(url)
            .ok_or_else(|| ProcessError::invalid(format!("'{url}' is not an s3://bucket/key URL")))
    }

    async fn fetch_s3(&self, url: &str) -> Result<Fetched, ProcessError> {
        let (bucket, key) = Self::bucket_key(url)?;
        let out = self
            .s3
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| Self::s3_failure(url, "S3 GetObject", e))?;
        let size = out.content_length().and_then(|n| u64::try_from(n).ok());
        if size.is_some_and(|n| n > self.max_bytes) {
            return Err(ProcessError::invalid(format!(
                "'{url}' is larger than the limit of {} bytes",
                self.max_bytes
            )));
        }
        let media_type = out.content_type().map(str::to_string);
        let body = out
            .body
            .collect()
            .await
            .map_err(|e| ProcessError::upstream(format!("'{url}' could not be read: {e}")))?
            .into_bytes();
        Ok(Fetched { body, media_type })
    }

    async fn size_s3(&self, url: &str) -> Result<u64, ProcessError> {
        let (bucket, key) = Self::bucket_key(url)?;
        let out = self
            .s3
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
            .map_err(|e| Self::s3_failure(url, "S3 HeadObject", e))?;
        out.content_length()
            .and_then(|n| u64::try_from(n).ok())
            .ok_or_else(|| ProcessError::upstream(format!("'{url}': S3 reports no size")))
    }

    async fn range_s3(&self, url: &str, range: Range<u64>) -> Result<Bytes, ProcessError> {
        if range.end <= range.start {
            return Ok(Bytes::new());
        }
        let (bucket, key) = Self::bucket_key(url)?;
        let out = self
            .s3
            .get_object()
            .bucket(bucket)
            .key(key)
            .range(format!("bytes={}-{}", range.start, range.end - 1))
            .send()
            .await
            .map_err(|e| Self::s3_failure(url, "S3 GetObject", e))?;
        out.body
            .collect()
            .await
            .map(|b| b.into_bytes())
            .map_err(|e| ProcessError::upstream(format!("'{url}' could not be read: {e}")))
    }
}

fn is_s3(url: &str) -> bool {
    url.get(..5)
        .is_some_and(|p| p.eq_ignore_ascii_case("s3://"))
}

#[async_trait]
impl Fetcher for AwsFetcher {
    async fn fetch(&self, url: &str) -> Result<Fetched, ProcessError> {
        if is_s3(url) {
            self.fetch_s3(url).await
        } else {
            self.urls.fetch(url).await
        }
    }

    async fn size(&self, url: &str) -> Result<u64, ProcessError> {
        if is_s3(url) {
            self.size_s3(url).await
        } else {
            self.urls.size(url).await
        }
    }

    async fn fetch_range(&self, url: &str, range: Range<u64>) -> Result<Bytes, ProcessError> {
        if is_s3(url) {
            self.range_s3(url, range).await
        } else {
            self.urls.fetch_range(url, range).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_s3_url;

    #[test]
    fn s3_urls() {
        assert_eq!(parse_s3_url("s3://b/k/x.json"), Some(("b", "k/x.json")));
        assert_eq!(parse_s3_url("s3://b/"), None);
        assert_eq!(parse_s3_url("s3:///k"), None);
        assert_eq!(parse_s3_url("https://b/k"), None);
    }
}
