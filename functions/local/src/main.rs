//! The `stratus` command: the local engine's server and its tools.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use stratus_local::engine::{LocalConfig, LocalEngine};

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
    Serve {
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
    },
}

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
        Command::Serve {
            bind,
            data_dir,
            public_url,
            max_jobs,
            allow_private_network,
            file_roots,
        } => {
            let mut config = LocalConfig::new(data_dir, bind);
            if let Some(url) = public_url {
                config.public_url = url.trim_end_matches('/').to_string();
            }
            if let Some(n) = max_jobs {
                config.max_jobs = n.max(1);
            }
            config.net_policy.allow_private = allow_private_network;
            config.file_roots = file_roots;
            serve(config, bind).await
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

async fn serve(config: LocalConfig, bind: SocketAddr) -> Result<(), Box<dyn std::error::Error>> {
    let engine = LocalEngine::open(&config)?;
    let resumed = engine.executor.recover().await?;
    if resumed > 0 {
        tracing::info!(resumed, "resumed unfinished jobs");
    }
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    tracing::info!(
        url = %config.public_url,
        data_dir = %config.data_dir.display(),
        "serving OGC API - Processes"
    );
    axum::serve(listener, stratus_api::routes::all(engine.state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
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
