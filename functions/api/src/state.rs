//! State shared by every handler.

use std::sync::Arc;

use stratus_core::ports::ObjectStore;
use stratus_core::service::ProcessesService;
use stratus_ingest::service::IngestService;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Base URL for absolute links (`Location`, `links`). `None`: taken from each request's
    /// `X-Forwarded-Proto`/`X-Forwarded-Host`/`Host` headers.
    pub public_url: Option<String>,
    /// Largest request body accepted, in bytes (413 beyond).
    pub max_body_bytes: usize,
    /// Send `Link: <.../jobs/{id}>; rel=monitor` on synchronous responses (off by default: the
    /// OGC test suite misreads RFC 8288 quoting).
    pub sync_monitor_link: bool,
    /// Title of the landing page.
    pub title: String,
    /// Answer `GET /objects/{key}` with a redirect (302) to the object store's download URL
    /// instead of streaming the object through this server (AWS: a presigned S3 URL, so large
    /// files never pass through a Lambda).
    pub redirect_objects: bool,
    /// Tile URL template (`https://.../{z}/{x}/{y}.png`) of a basemap under the maps of the HTML
    /// pages; `None`: no basemap (works offline).
    pub basemap_url: Option<String>,
    /// Bearer tokens accepted; when not empty every route but `/` needs
    /// `Authorization: Bearer <token>` (403 otherwise, as geocube-ingester answers).
    pub bearer_tokens: Vec<String>,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            public_url: None,
            max_body_bytes: 10 * 1024 * 1024,
            sync_monitor_link: false,
            title: "Stratus".into(),
            redirect_objects: false,
            basemap_url: None,
            bearer_tokens: Vec::new(),
        }
    }
}

/// What handlers need: the domain service over one engine's ports, and the HTTP settings.
#[derive(Clone)]
pub struct AppState {
    /// The Processes API operations.
    pub service: ProcessesService,
    /// HTTP settings.
    pub config: Arc<ApiConfig>,
    /// The ingestion operations, where the engine offers them.
    pub ingest: Option<Arc<IngestService>>,
}

impl AppState {
    /// State from a service and settings.
    pub fn new(service: ProcessesService, config: ApiConfig) -> Self {
        AppState {
            service,
            config: Arc::new(config),
            ingest: None,
        }
    }

    /// The same state offering the ingestion routes.
    pub fn with_ingest(mut self, ingest: IngestService) -> Self {
        self.ingest = Some(Arc::new(ingest));
        self
    }

    /// The object store.
    pub fn objects(&self) -> &Arc<dyn ObjectStore> {
        &self.service.ports.objects
    }
}
