//! The local engine's fetcher: URLs of its own objects (`{public_url}/objects/{key}`) are read
//! from the object store directly, everything else goes through the guarded [`UrlFetcher`]. So
//! a process run on ingested files reads them without a loopback HTTP request, and works when
//! no server listens (`stratus ingest`).

use std::ops::Range;

use async_trait::async_trait;
use bytes::Bytes;
use stratus_core::ports::{Fetched, Fetcher, ObjectStore};
use stratus_core::process::ProcessError;
use stratus_outbound::UrlFetcher;

use crate::fs_store::FsObjectStore;

/// Fetcher reading the engine's own objects from disk.
#[derive(Clone)]
pub struct LocalFetcher {
    urls: UrlFetcher,
    objects: FsObjectStore,
    prefix: String,
}

impl LocalFetcher {
    /// A fetcher over `urls` that reads `{public_url}/objects/{key}` from `objects`.
    pub fn new(urls: UrlFetcher, objects: FsObjectStore, public_url: &str) -> Self {
        LocalFetcher {
            urls,
            objects,
            prefix: format!("{}/objects/", public_url.trim_end_matches('/')),
        }
    }

    /// The key of a URL of a published object (`results/`, `samples/`: what `GET /objects`
    /// serves; job internals stay unreachable).
    fn own_key<'a>(&self, url: &'a str) -> Option<&'a str> {
        url.strip_prefix(&self.prefix)
            .filter(|k| !k.contains(['?', '#', '%']))
            .filter(|k| k.starts_with("results/") || k.starts_with("samples/"))
    }
}

fn missing(url: &str, e: stratus_core::Error) -> ProcessError {
    match e {
        stratus_core::Error::NoSuchObject(_) => {
            ProcessError::invalid(format!("'{url}' answered HTTP 404"))
        }
        other => ProcessError::from(other),
    }
}

#[async_trait]
impl Fetcher for LocalFetcher {
    async fn fetch(&self, url: &str) -> Result<Fetched, ProcessError> {
        match self.own_key(url) {
            Some(key) => {
                let (body, meta) = self.objects.get(key).await.map_err(|e| missing(url, e))?;
                Ok(Fetched {
                    body,
                    media_type: Some(meta.content_type),
                })
            }
            None => self.urls.fetch(url).await,
        }
    }

    async fn size(&self, url: &str) -> Result<u64, ProcessError> {
        match self.own_key(url) {
            Some(key) => Ok(self
                .objects
                .head(key)
                .await
                .map_err(|e| missing(url, e))?
                .size),
            None => self.urls.size(url).await,
        }
    }

    async fn fetch_range(&self, url: &str, range: Range<u64>) -> Result<Bytes, ProcessError> {
        match self.own_key(url) {
            Some(key) => self
                .objects
                .get_range(key, range)
                .await
                .map_err(|e| missing(url, e)),
            None => self.urls.fetch_range(url, range).await,
        }
    }
}
