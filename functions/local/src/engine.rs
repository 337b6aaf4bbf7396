//! Wiring of the local engine.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use stratus_api::{ApiConfig, AppState};
use stratus_core::Result;
use stratus_core::deploy::Registry;
use stratus_core::ports::{Clock, Orchestrator, SystemClock};
use stratus_core::runner::{JobRunner, Ports};
use stratus_core::service::ProcessesService;
use stratus_ingest::runner::IngestRunner;
use stratus_ingest::service::{IngestPorts, IngestService};
use stratus_outbound::stac::{CatalogueConfig, StacCatalogue};
use stratus_outbound::{HttpClient, HttpNotifier, Limits, NetPolicy, UrlFetcher};

use crate::executor::LocalExecutor;
use crate::fs_store::FsObjectStore;
use crate::ingest_executor::LocalIngestExecutor;
use crate::ingest_store::SqliteIngestStore;
use crate::local_fetcher::LocalFetcher;
use crate::sqlite::SqliteJobStore;
use stratus_cwl::{Containers, CwltoolConfig, CwltoolRunner};

/// Settings of the local engine.
#[derive(Debug, Clone)]
pub struct LocalConfig {
    /// Directory holding `stratus.db` and `objects/`.
    pub data_dir: PathBuf,
    /// Base URL clients reach this server at (links, published file URLs).
    pub public_url: String,
    /// Jobs run at the same time.
    pub max_jobs: usize,
    /// Work items of one job run at the same time.
    pub item_concurrency: usize,
    /// Which addresses remote inputs and callbacks may reach.
    pub net_policy: NetPolicy,
    /// Directories `file://` inputs may be read from (the data directory is always allowed).
    pub file_roots: Vec<PathBuf>,
    /// Basemap tile URL template for the maps of the HTML pages (none: no basemap, offline).
    pub basemap_url: Option<String>,
    /// Bearer tokens the API requires (none: no authentication).
    pub bearer_tokens: Vec<String>,
    /// STAC API providers of the ingestion catalogue.
    pub catalogues: CatalogueConfig,
    /// Scene downloads of ingestions run at the same time.
    pub ingest_downloads: usize,
    /// Tile tasks of ingestions run at the same time.
    pub ingest_tiles: usize,
    /// The CWL engine deployed packages run on (`cwltool`).
    pub cwltool: PathBuf,
    /// Whether cwltool may use a container runtime.
    pub cwl_containers: Containers,
}

impl LocalConfig {
    /// Defaults for a server bound to `bind` with data in `data_dir`.
    pub fn new(data_dir: PathBuf, bind: SocketAddr) -> Self {
        let host = if bind.ip().is_unspecified() {
            "127.0.0.1".to_string()
        } else if bind.is_ipv6() {
            format!("[{}]", bind.ip())
        } else {
            bind.ip().to_string()
        };
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        LocalConfig {
            data_dir,
            public_url: format!("http://{host}:{}", bind.port()),
            max_jobs: cpus.max(2),
            item_concurrency: cpus,
            net_policy: NetPolicy::LOCAL_DEFAULT,
            file_roots: Vec::new(),
            basemap_url: None,
            bearer_tokens: Vec::new(),
            catalogues: stratus_outbound::stac::default_config(),
            ingest_downloads: 4,
            ingest_tiles: cpus.max(2),
            cwltool: PathBuf::from("cwltool"),
            cwl_containers: Containers::Auto,
        }
    }
}

/// The local engine: ports, executor and HTTP state.
pub struct LocalEngine {
    /// State for the HTTP handlers.
    pub state: AppState,
    /// The executor (for recovery at start-up).
    pub executor: LocalExecutor,
    /// The ingestion operations (also in `state`).
    pub ingest: IngestService,
    /// The ingestion tasks.
    pub ingest_runner: IngestRunner,
    /// The ingestion executor, until [`LocalEngine::start_ingestion`] starts it.
    pub ingest_executor: LocalIngestExecutor,
    data_dir: PathBuf,
    ingest_downloads: usize,
    ingest_tiles: usize,
}

impl LocalEngine {
    /// Opens (creating if needed) the data directory and wires the engine.
    pub fn open(config: &LocalConfig) -> Result<Self> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            stratus_core::Error::backend(format!("create {}", config.data_dir.display()), e)
        })?;
        let jobs = Arc::new(SqliteJobStore::open(&config.data_dir.join("stratus.db"))?);
        let objects = Arc::new(FsObjectStore::new(
            config.data_dir.join("objects"),
            config.public_url.clone(),
        )?);
        let limits = Limits::default();
        let http = HttpClient::new(config.net_policy, limits);
        let mut file_roots = config.file_roots.clone();
        file_roots.push(config.data_dir.clone());
        let urls = UrlFetcher::new(http.clone(), file_roots, limits.max_document_bytes);
        let fetcher = LocalFetcher::new(urls, (*objects).clone(), &config.public_url);
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let runner = CwltoolRunner::new(CwltoolConfig {
            program: config.cwltool.clone(),
            work_dir: config.data_dir.join("work"),
            containers: config.cwl_containers,
        });
        let processes = Registry::new(
            Arc::new(stratus_processes::builtins()),
            Arc::new(jobs.processes()),
            objects.clone(),
            Arc::new(runner),
            clock.clone(),
        );
        let ports = Ports {
            jobs,
            objects,
            processes: Arc::new(processes),
            notifier: Arc::new(HttpNotifier::new(http.clone(), true)),
            fetcher: Arc::new(fetcher),
            clock,
        };
        let executor = LocalExecutor::new(
            JobRunner::new(ports.clone(), config.item_concurrency),
            config.max_jobs,
        );
        let orchestrator: Arc<dyn Orchestrator> = Arc::new(executor.clone());
        let (queue, ingest_executor) = crate::ingest_executor::queue();
        let ingest_store = SqliteIngestStore::open(&config.data_dir.join("ingest.db"))
            .map_err(|e| stratus_core::Error::backend("open the ingestion database", e))?;
        let ingest_ports = IngestPorts {
            store: Arc::new(ingest_store),
            catalogue: Arc::new(StacCatalogue::new(http, config.catalogues.clone())),
            dispatcher: Arc::new(queue),
            core: ports.clone(),
        };
        let ingest = IngestService::new(ingest_ports.clone());
        let ingest_runner = IngestRunner::new(ingest_ports, chrono::Duration::hours(24));
        let service = ProcessesService {
            ports,
            orchestrator,
            sync_timeout: None,
        };
        let api = ApiConfig {
            public_url: Some(config.public_url.clone()),
            basemap_url: config.basemap_url.clone(),
            bearer_tokens: config.bearer_tokens.clone(),
            ..ApiConfig::default()
        };
        Ok(LocalEngine {
            state: AppState::new(service, api).with_ingest(ingest.clone()),
            executor,
            ingest,
            ingest_runner,
            ingest_executor,
            data_dir: config.data_dir.clone(),
            ingest_downloads: config.ingest_downloads,
            ingest_tiles: config.ingest_tiles,
        })
    }

    /// Starts the ingestion executor (one per data directory: it takes a lock), resuming the
    /// work a previous process left PENDING. Returns how many tasks were resumed.
    pub async fn start_ingestion(&mut self) -> Result<usize> {
        self.ingest_executor
            .lock(&self.data_dir)
            .map_err(|e| stratus_core::Error::backend("start the ingestion executor", e))?;
        self.ingest_executor
            .start(
                self.ingest_runner.clone(),
                self.ingest_downloads,
                self.ingest_tiles,
            )
            .await
            .map_err(|e| stratus_core::Error::backend("start the ingestion executor", e))
    }
}
