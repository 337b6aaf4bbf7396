//! Byte-range sources: the only I/O the raster code needs.
//!
//! [`RangeSource`] is implemented here for local files ([`FileSource`]) and memory
//! ([`BytesSource`]); other crates implement it for HTTP range requests, S3 GETs or an object
//! store, and decide by their own policy (SSRF guard, credentials) how an href is opened through
//! a [`SourceResolver`].

use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;

use crate::error::{Error, Result};

/// Random access to the bytes of one object.
///
/// Contract: `read_range(r)` returns exactly `r.end - r.start` bytes or an error; ranges past
/// the end are an error. Implementations may be called concurrently.
#[async_trait]
pub trait RangeSource: Send + Sync {
    /// Total size in bytes.
    async fn len(&self) -> Result<u64>;
    /// True for an object of zero bytes.
    async fn is_empty(&self) -> Result<bool> {
        Ok(self.len().await? == 0)
    }
    /// The bytes in `range`.
    async fn read_range(&self, range: Range<u64>) -> Result<Bytes>;
    /// A name for messages (the href or path).
    fn name(&self) -> &str;
}

/// Opens asset hrefs (already absolute, see [`resolve_href`]) under the caller's policy.
#[async_trait]
pub trait SourceResolver: Send + Sync {
    /// Opens `href` for range reads.
    async fn open(&self, href: &str) -> Result<Arc<dyn RangeSource>>;
}

/// A local file read with positioned reads on the blocking pool.
#[derive(Debug, Clone)]
pub struct FileSource {
    name: String,
    file: Arc<std::fs::File>,
    len: u64,
}

impl FileSource {
    /// Opens `path`; a missing file is [`Error::NotFound`].
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref().to_path_buf();
        let name = path.display().to_string();
        let opened = tokio::task::spawn_blocking(move || {
            let file = std::fs::File::open(&path)?;
            let len = file.metadata()?.len();
            Ok::<_, std::io::Error>((file, len))
        })
        .await
        .map_err(|e| Error::Task(e.to_string()))?;
        match opened {
            Ok((file, len)) => Ok(Self {
                name,
                file: Arc::new(file),
                len,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(Error::NotFound { href: name })
            }
            Err(e) => Err(Error::source(name, e)),
        }
    }
}

#[async_trait]
impl RangeSource for FileSource {
    async fn len(&self) -> Result<u64> {
        Ok(self.len)
    }

    async fn read_range(&self, range: Range<u64>) -> Result<Bytes> {
        check_range(&self.name, &range, self.len)?;
        let file = Arc::clone(&self.file);
        let size = (range.end - range.start) as usize;
        let read = tokio::task::spawn_blocking(move || {
            let mut buf = vec![0u8; size];
            file.read_exact_at(&mut buf, range.start).map(|()| buf)
        })
        .await
        .map_err(|e| Error::Task(e.to_string()))?;
        read.map(Bytes::from)
            .map_err(|e| Error::source(self.name.clone(), e))
    }

    fn name(&self) -> &str {
        &self.name
    }
}

/// An object held in memory (tests, freshly written COGs).
#[derive(Debug, Clone)]
pub struct BytesSource {
    name: String,
    bytes: Bytes,
}

impl BytesSource {
    /// Wraps `bytes`, called `name` in messages.
    pub fn new(name: impl Into<String>, bytes: impl Into<Bytes>) -> Self {
        Self {
            name: name.into(),
            bytes: bytes.into(),
        }
    }
}

#[async_trait]
impl RangeSource for BytesSource {
    async fn len(&self) -> Result<u64> {
        Ok(self.bytes.len() as u64)
    }

    async fn read_range(&self, range: Range<u64>) -> Result<Bytes> {
        check_range(&self.name, &range, self.bytes.len() as u64)?;
        Ok(self.bytes.slice(range.start as usize..range.end as usize))
    }

    fn name(&self) -> &str {
        &self.name
    }
}

fn check_range(name: &str, range: &Range<u64>, len: u64) -> Result<()> {
    if range.start > range.end || range.end > len {
        return Err(Error::source_msg(
            name,
            format!(
                "range {}..{} outside object of {len} bytes",
                range.start, range.end
            ),
        ));
    }
    Ok(())
}

/// Resolves local paths and `file://` URLs; refuses every other scheme.
///
/// This is the policy of the command-line example and the tests; servers bring their own.
#[derive(Debug, Clone, Default)]
pub struct FileResolver;

#[async_trait]
impl SourceResolver for FileResolver {
    async fn open(&self, href: &str) -> Result<Arc<dyn RangeSource>> {
        let path = local_path(href).ok_or_else(|| Error::Refused {
            href: href.to_string(),
            reason: "only local files are allowed".into(),
        })?;
        Ok(Arc::new(FileSource::open(path).await?))
    }
}

/// The local path of a plain path or `file://` URL, `None` for other schemes.
pub fn local_path(href: &str) -> Option<PathBuf> {
    if href.starts_with("file:") {
        return url::Url::parse(href).ok()?.to_file_path().ok();
    }
    if has_scheme(href) {
        return None;
    }
    Some(PathBuf::from(href))
}

/// Resolves an asset `href` against the URL or path of its item, as STAC readers do.
///
/// Absolute URLs and absolute paths are returned unchanged.
///
/// # Examples
///
/// ```
/// use stratus_raster::source::resolve_href;
/// assert_eq!(resolve_href("https://h/a/item.json", "./B03.tif"), "https://h/a/B03.tif");
/// assert_eq!(resolve_href("/data/s/item.json", "B03.tif"), "/data/s/B03.tif");
/// assert_eq!(resolve_href("/data/s/item.json", "s3://b/k.tif"), "s3://b/k.tif");
/// ```
pub fn resolve_href(base: &str, href: &str) -> String {
    if has_scheme(href) || href.starts_with('/') {
        return href.to_string();
    }
    if has_scheme(base) {
        if let Ok(joined) = url::Url::parse(base).and_then(|b| b.join(href)) {
            return joined.to_string();
        }
        return href.to_string();
    }
    let dir = Path::new(base).parent().unwrap_or(Path::new(""));
    let mut out = dir.to_path_buf();
    for part in Path::new(href).components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out.display().to_string()
}

fn has_scheme(s: &str) -> bool {
    match s.find(':') {
        Some(i) if i > 1 => s[..i]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bytes_source_reads_ranges_and_refuses_overruns() {
        let src = BytesSource::new("mem", vec![1u8, 2, 3, 4]);
        assert_eq!(src.read_range(1..3).await.unwrap().as_ref(), &[2, 3]);
        assert!(src.read_range(2..5).await.is_err());
    }

    #[tokio::test]
    async fn file_source_reads_ranges_and_names_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.bin");
        std::fs::write(&path, b"hello world").unwrap();
        let src = FileSource::open(&path).await.unwrap();
        assert_eq!(src.len().await.unwrap(), 11);
        assert_eq!(src.read_range(6..11).await.unwrap().as_ref(), b"world");
        let missing = FileSource::open(dir.path().join("nope")).await;
        assert!(matches!(missing, Err(Error::NotFound { .. })));
    }

    #[test]
    fn hrefs_resolve_against_urls_and_paths() {
        assert_eq!(
            resolve_href("s3://b/p/item.json", "B08.tif"),
            "s3://b/p/B08.tif"
        );
        assert_eq!(
            resolve_href("file:///d/i.json", "../x/B.tif"),
            "file:///x/B.tif"
        );
        assert_eq!(resolve_href("d/i.json", "../B.tif"), "B.tif");
        assert_eq!(
            local_path("file:///tmp/a.tif"),
            Some(PathBuf::from("/tmp/a.tif"))
        );
        assert_eq!(local_path("https://x/a.tif"), None);
    }
}
