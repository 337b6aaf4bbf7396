//! The AWS engine's fetcher: `s3://bucket/key` through the S3 client (the function's role
//! decides which buckets it may read), everything else through the guarded
//! [`UrlFetcher`] (public addresses only unless configured; no `file://` roots).

use async_trait::async_trait;
use aws_sdk_s3::Client;
use stratus_core::ports::{Fetched, Fetcher};
use stratus_core::process::ProcessError;
use stratus_outbound::UrlFetcher;

use crate::error::Error;

/// Fetches `s3://` and `http(s)://` documents.
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

    async fn fetch_s3(&self, url: &str) -> Result<Fetched, ProcessError> {
        let (bucket, key) = parse_s3_url(url).ok_or_else(|| {
            ProcessError::invalid(format!("'{url}' is not an s3://bucket/key URL"))
        })?;
        let out = match self.s3.get_object().bucket(bucket).key(key).send().await {
            Ok(out) => out,
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                let refused = e.as_service_error().is_some_and(|se| se.is_no_such_key())
                    || matches!(status, Some(400..=499));
                let message = format!("'{url}' cannot be read: {}", Error::aws("S3 GetObject", e));
                return Err(if refused {
                    ProcessError::invalid(message)
                } else {
                    ProcessError::upstream(message)
                });
            }
        };
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
}

#[async_trait]
impl Fetcher for AwsFetcher {
    async fn fetch(&self, url: &str) -> Result<Fetched, ProcessError> {
        if url
            .get(..5)
            .is_some_and(|p| p.eq_ignore_ascii_case("s3://"))
        {
            self.fetch_s3(url).await
        } else {
            self.urls.fetch(url).await
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
