//! The URL fetcher: `http(s)://` through the guarded client, `file://` inside allowed
//! directories.

use std::ops::Range;
use std::path::PathBuf;

use async_trait::async_trait;
use bytes::Bytes;
use stratus_core::ports::{Fetched, Fetcher};
use stratus_core::process::ProcessError;

use crate::client::{HttpClient, redact};
use crate::error::Error;

/// Fetches documents for processes. Other schemes (e.g. `s3://` on the AWS engine) are added
/// by wrapping it.
#[derive(Clone)]
pub struct UrlFetcher {
    http: HttpClient,
    file_roots: Vec<PathBuf>,
    max_bytes: u64,
}

impl UrlFetcher {
    /// A fetcher reading `file://` URLs only below `file_roots` (none: `file://` refused).
    pub fn new(http: HttpClient, file_roots: Vec<PathBuf>, max_bytes: u64) -> Self {
        let file_roots = file_roots
            .into_iter()
            .filter_map(|r| r.canonicalize().ok())
            .collect();
        UrlFetcher {
            http,
            file_roots,
            max_bytes,
        }
    }

    /// The guarded HTTP client.
    pub fn http(&self) -> &HttpClient {
        &self.http
    }

    /// The canonical path of a `file://` URL if it lies below an allowed directory.
    pub fn allowed_file(&self, url: &str) -> Result<PathBuf, ProcessError> {
        let parsed = url::Url::parse(url)
            .map_err(|e| ProcessError::invalid(format!("'{}' is not a URL: {e}", redact(url))))?;
        let path = parsed
            .to_file_path()
            .map_err(|()| ProcessError::invalid(format!("'{url}' is not a local file URL")))?;
        let canonical = path
            .canonicalize()
            .map_err(|e| ProcessError::invalid(format!("'{url}' cannot be read: {e}")))?;
        if self
            .file_roots
            .iter()
            .any(|root| canonical.starts_with(root))
        {
            Ok(canonical)
        } else {
            Err(ProcessError::invalid(format!(
                "'{url}' is outside the directories this server may read (see --allow-file-root)"
            )))
        }
    }
}

/// A fetch error as a job failure: the client's fault (`InvalidInput`) or the remote's
/// (`Upstream`).
pub fn process_error(e: Error) -> ProcessError {
    match &e {
        Error::BadUrl { .. } | Error::Forbidden { .. } | Error::TooLarge { .. } => {
            ProcessError::invalid(e.to_string())
        }
        Error::Status { status, .. } if *status < 500 && *status != 429 => {
            ProcessError::invalid(e.to_string())
        }
        _ => ProcessError::upstream(e.to_string()),
    }
}

fn media_type_of(path: &std::path::Path) -> Option<String> {
    match path.extension()?.to_str()? {
        "json" | "geojson" => Some("application/json".into()),
        "txt" => Some("text/plain".into()),
        "tif" | "tiff" => Some("image/tiff".into()),
        _ => None,
    }
}

fn scheme(url: &str) -> Option<String> {
    url.split_once("://").map(|(s, _)| s.to_ascii_lowercase())
}

fn unsupported(url: &str) -> ProcessError {
    ProcessError::invalid(format!(
        "'{}' uses a scheme this engine cannot fetch (http, https, file)",
        redact(url)
    ))
}

async fn file_op<T: Send + 'static>(
    url: &str,
    op: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T, ProcessError> {
    tokio::task::spawn_blocking(op)
        .await
        .map_err(|e| ProcessError::internal(e.to_string()))?
        .map_err(|e| ProcessError::invalid(format!("'{url}' cannot be read: {e}")))
}

#[async_trait]
impl Fetcher for UrlFetcher {
    async fn size(&self, url: &str) -> Result<u64, ProcessError> {
        match scheme(url).as_deref() {
            Some("http" | "https") => self.http.content_length(url).await.map_err(process_error),
            Some("file") => {
                let path = self.allowed_file(url)?;
                file_op(url, move || std::fs::metadata(&path).map(|m| m.len())).await
            }
            _ => Err(unsupported(url)),
        }
    }

    async fn fetch_range(&self, url: &str, range: Range<u64>) -> Result<Bytes, ProcessError> {
        match scheme(url).as_deref() {
            Some("http" | "https") => self.http.get_range(url, range).await.map_err(process_error),
            Some("file") => {
                let path = self.allowed_file(url)?;
                file_op(url, move || {
                    use std::io::{Read, Seek, SeekFrom};
                    let mut file = std::fs::File::open(&path)?;
                    let len = file.metadata()?.len();
                    let (start, end) = (range.start.min(len), range.end.min(len));
                    let mut buf = vec![0u8; end.saturating_sub(start) as usize];
                    file.seek(SeekFrom::Start(start))?;
                    file.read_exact(&mut buf)?;
                    Ok(Bytes::from(buf))
                })
                .await
            }
            _ => Err(unsupported(url)),
        }
    }

    async fn fetch(&self, url: &str) -> Result<Fetched, ProcessError> {
        match scheme(url).as_deref() {
            Some("http" | "https") => {
                let (body, media_type) = self.http.get_bytes(url).await.map_err(process_error)?;
                Ok(Fetched { body, media_type })
            }
            Some("file") => {
                let path = self.allowed_file(url)?;
                let max = self.max_bytes;
                let read = tokio::task::spawn_blocking(move || {
                    let len = std::fs::metadata(&path)?.len();
                    if len > max {
                        return Err(std::io::Error::other(format!(
                            "larger than the limit of {max} bytes"
                        )));
                    }
                    std::fs::read(&path).map(|b| (b, media_type_of(&path)))
                })
                .await
                .map_err(|e| ProcessError::internal(e.to_string()))?;
                let (body, media_type) = read
                    .map_err(|e| ProcessError::invalid(format!("'{url}' cannot be read: {e}")))?;
                Ok(Fetched {
                    body: Bytes::from(body),
                    media_type,
                })
            }
            _ => Err(unsupported(url)),
        }
    }
}
