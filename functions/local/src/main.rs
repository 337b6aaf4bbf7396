//! The `stratus` command: the local engine's server and its tools.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use stratus_local::engine::{LocalConfig, LocalEngine};

mod client;
mod demo;
mod ingest_cmd;

/// Stratus: serverless Earth-observation processing, here on one machine.
#[derive(Parser)]
#[command(name = "stratus", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the whole API (OGC API - Processes) at the root URL, with an embedded database
    /// and the filesystem as object store under the data directory.
    Serve(ServerArgs),
    /// Serve, publish the offline sample scenes, and run water-bodies on them through the API,
    /// as the seed notebook does; then keep serving.
    Demo(ServerArgs),
    /// Publish the offline sample scenes (Sentinel-2-like COGs and STAC Items) in the data
    /// directory and print their URLs.
    Samples {
        #[command(flatten)]
        server: ServerArgs,
        /// Scene width and height in pixels.
        #[arg(long, default_value_t = 2048)]
        size: u32,
        /// Print the samples as the scenes FeatureCollection of an ingestion of this AOI (what
        /// /catalog/scenes answers) instead of their URLs.
        #[arg(long, value_name = "AOI")]
        scenes: Option<String>,
    },
    /// Execute a process on a server (this one by default, or any OGC API - Processes server):
    /// submit asynchronously, show progress, print the results or save them with --out.
    Run(RunArgs),
    /// List the jobs of a server as a table.
    Jobs(JobsArgs),
    /// Ingest an area payload on the local engine (as an uploaded payload or a schedule does
    /// on AWS): list scenes and tiles, run every download and tile task with a progress bar,
    /// print the AOI summary.
    Ingest(IngestArgs),
}

/// Where the server listens and keeps its data.
#[derive(Args, Clone)]
struct ServerArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", env = "STRATUS_BIND")]
    bind: SocketAddr,
    /// Directory for the database and stored objects.
    #[arg(long, default_value = "./.stratus", env = "STRATUS_DATA_DIR")]
    data_dir: PathBuf,
    /// Base URL clients use to reach this server (default: http://BIND).
    #[arg(long, env = "STRATUS_PUBLIC_URL")]
    public_url: Option<String>,
    /// Jobs run at the same time (default: number of CPUs, at least 2).
    #[arg(long, env = "STRATUS_MAX_JOBS")]
    max_jobs: Option<usize>,
    /// Let remote inputs and callbacks reach private (RFC 1918) addresses.
    #[arg(long, env = "STRATUS_ALLOW_PRIVATE_NETWORK")]
    allow_private_network: bool,
    /// A directory `file://` inputs may be read from (repeatable; the data directory is
    /// always allowed).
    #[arg(long = "allow-file-root", value_name = "DIR")]
    file_roots: Vec<PathBuf>,
    /// Tile URL template of a basemap under the maps of the HTML pages
    /// (e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png); none by default (offline).
    #[arg(long, env = "STRATUS_BASEMAP_URL", value_name = "URL")]
    basemap_url: Option<String>,
    /// A bearer token every route but / then requires (repeatable, or comma-separated in
    /// STRATUS_TOKENS); none: no authentication.
    #[arg(
        long = "token",
        env = "STRATUS_TOKENS",
        value_delimiter = ',',
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    tokens: Vec<String>,
    /// STAC API providers of the ingestion catalogue: a JSON file, or the JSON itself (default:
    /// earth-search v1, Copernicus Data Space, Planetary Computer).
    #[arg(long, env = "STRATUS_CATALOGUES", value_name = "FILE|JSON", value_parser = parse_catalogues)]
    catalogues: Option<stratus_outbound::stac::CatalogueConfig>,
    /// The CWL engine that runs deployed application packages.
    #[arg(long, default_value = "cwltool", env = "STRATUS_CWLTOOL")]
    cwltool: PathBuf,
    /// Never run CWL tools in containers (default: Docker or Podman when one answers, else
    /// `--no-container`).
    #[arg(long, env = "STRATUS_CWL_NO_CONTAINER")]
    cwl_no_container: bool,
}

/// Reads `--catalogues`: inline JSON or a file holding it.
fn parse_catalogues(s: &str) -> Result<stratus_outbound::stac::CatalogueConfig, String> {
    let text = if s.trim_start().starts_with('{') {
        s.to_string()
    } else {
        std::fs::read_to_string(s).map_err(|e| format!("cannot read {s}: {e}"))?
    };
    stratus_outbound::stac::CatalogueConfig::parse(&text).map_err(|e| e.to_string())
}

impl ServerArgs {
    fn config(&self) -> LocalConfig {
        let mut config = LocalConfig::new(self.data_dir.clone(), self.bind);
        if let Some(url) = &self.public_url {
            config.public_url = url.trim_end_matches('/').to_string();
        }
        if let Some(n) = self.max_jobs {
            config.max_jobs = n.max(1);
        }
        config.net_policy.allow_private = self.allow_private_network;
        config.file_roots = self.file_roots.clone();
        config.basemap_url = self.basemap_url.clone().filter(|u| !u.is_empty());
        config.bearer_tokens = self
            .tokens
            .iter()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect();
        if let Some(c) = &self.catalogues {
            config.catalogues = c.clone();
        }
        config.cwltool = self.cwltool.clone();
        if self.cwl_no_container {
            config.cwl_containers = stratus_cwl::Containers::Never;
        }
        config
    }
}

/// `stratus ingest`.
#[derive(Args)]
struct IngestArgs {
    /// The area payload (JSON; - reads stdin).
    payload: PathBuf,
    /// Scenes listed earlier (`/catalog/scenes`), instead of a catalogue search.
    #[arg(long, value_name = "FILE")]
    scenes: Option<PathBuf>,
    /// Tiles listed earlier (`/catalog/tiles`), instead of a catalogue search.
    #[arg(long, value_name = "FILE", conflicts_with = "scenes")]
    tiles: Option<PathBuf>,
    /// Replace the payload's interval by this window ending now (e.g. 24h, 7d).
    #[arg(long, value_parser = ingest_cmd::parse_window)]
    window: Option<std::time::Duration>,
    /// Start the ingestion (stored in the data directory) and return; `stratus serve` runs it.
    #[arg(long)]
    no_wait: bool,
    /// How to show progress: a bar on a terminal and plain lines otherwise (auto), or forced.
    #[arg(long, value_enum, default_value = "auto")]
    progress: client::ProgressMode,
    #[command(flatten)]
    server: ServerArgs,
}

/// `stratus run`.
#[derive(Args)]
struct RunArgs {
    /// Process id, e.g. water-bodies.
    process: String,
    /// An input as name=value (repeat for each input, and for each value of an array input;
    /// name=@FILE reads the value from a file; name:=JSON sends JSON as is, e.g. a reference
    /// {"href": URL}). Values are typed by the process description.
    #[arg(short, long = "input", value_name = "NAME=VALUE")]
    inputs: Vec<String>,
    /// Base URL of the server.
    #[arg(long, env = "STRATUS_SERVER", default_value = DEFAULT_SERVER)]
    server: String,
    /// Save results.json and every file the results link to in this directory instead of
    /// printing the results.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// How to show progress: a bar on a terminal and plain lines otherwise (auto), or forced.
    #[arg(long, value_enum, default_value = "auto")]
    progress: client::ProgressMode,
}

/// `stratus jobs`.
#[derive(Args)]
struct JobsArgs {
    /// Base URL of the server.
    #[arg(long, env = "STRATUS_SERVER", default_value = DEFAULT_SERVER)]
    server: String,
    /// Only jobs with this status (repeatable).
    #[arg(long)]
    status: Vec<String>,
    /// Only jobs of this process.
    #[arg(long)]
    process: Option<String>,
    /// Most jobs listed.
    #[arg(long, default_value_t = 20)]
    limit: u32,
}

/// The server `run` and `jobs` talk to by default: `stratus serve` on its default address.
const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";

/// Size of the sample scenes `demo` publishes.
const DEMO_SCENE_SIZE: u32 = 2048;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .with_target(false)
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(args.config(), args.bind, false).await,
        Command::Demo(args) => serve(args.config(), args.bind, true).await,
        Command::Samples {
            server,
            size,
            scenes,
        } => samples(server.config(), size, scenes).await,
        Command::Run(a) => {
            let out = a.out.as_deref();
            client::run(&a.server, &a.process, &a.inputs, out, a.progress).await
        }
        Command::Jobs(a) => {
            let process = a.process.as_deref();
            client::jobs(&a.server, &a.status, process, a.limit).await
        }
        Command::Ingest(a) => {
            let req = ingest_cmd::IngestRequest {
                payload: &a.payload,
                scenes: a.scenes.as_deref(),
                tiles: a.tiles.as_deref(),
                window: a.window,
                no_wait: a.no_wait,
                progress: a.progress,
            };
            ingest_cmd::run(a.server.config(), req).await
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stratus: {e}");
            ExitCode::FAILURE
        }
    }
}

type AnyResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

async fn samples(config: LocalConfig, size: u32, scenes: Option<String>) -> AnyResult {
    let engine = LocalEngine::open(&config)?;
    if let Some(aoi) = scenes {
        println!("{}", ingest_cmd::sample_scenes(&engine, &aoi, size).await?);
        return Ok(());
    }
    let samples = stratus_local::samples::ensure_samples(&**engine.state.objects(), size).await?;
    for s in samples {
        println!(
            "{}\t{}\taoi={}",
            s.id,
            engine.state.objects().href(&s.item_key),
            s.aoi()
        );
    }
    Ok(())
}

async fn serve(config: LocalConfig, bind: SocketAddr, demo: bool) -> AnyResult {
    let mut engine = LocalEngine::open(&config)?;
    let resumed = engine.executor.recover().await?;
    if resumed > 0 {
        tracing::info!(resumed, "resumed unfinished jobs");
    }
    let resumed = engine.start_ingestion().await?;
    if resumed > 0 {
        tracing::info!(resumed, "resumed unfinished ingestion tasks");
    }
    let samples = if demo {
        stratus_local::samples::ensure_samples(&**engine.state.objects(), DEMO_SCENE_SIZE).await?
    } else {
        Vec::new()
    };
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    tracing::info!(
        url = %config.public_url,
        data_dir = %config.data_dir.display(),
        "serving OGC API - Processes"
    );
    let objects = engine.state.objects().clone();
    let server = axum::serve(listener, stratus_api::routes::all(engine.state))
        .with_graceful_shutdown(shutdown_signal());
    if demo {
        let url = config.public_url.clone();
        tokio::spawn(async move {
            if let Err(e) = demo::run(&url, &samples, &*objects).await {
                eprintln!("demo failed: {e}");
            }
        });
    }
    server.await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
