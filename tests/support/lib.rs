//! Test support: a Stratus server to talk to over real HTTP, and helpers for the OGC API.
//!
//! By default each test spawns the real `stratus serve` binary on a free port with a fresh
//! data directory. With `STRATUS_E2E_URL` set, the engine-neutral tests run against that
//! deployment instead (the AWS stack in the emulator).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::routing::post;
use serde_json::{Value, json};

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The `stratus` binary: `STRATUS_BIN`, else `target/debug/stratus`, built once if missing.
pub fn stratus_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("STRATUS_BIN") {
            return PathBuf::from(bin);
        }
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace().join("target"));
        let bin = target.join("debug").join("stratus");
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--bin", "stratus"])
            .current_dir(workspace())
            .status()
            .expect("run cargo build");
        assert!(status.success(), "cargo build --bin stratus failed");
        bin
    })
    .clone()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running Stratus to test.
pub struct Stratus {
    /// Base URL, no trailing slash.
    pub url: String,
    /// HTTP client.
    pub http: reqwest::Client,
    local: Option<LocalServer>,
    data_dir: Option<tempfile::TempDir>,
}

struct LocalServer {
    child: Child,
    port: u16,
    extra_args: Vec<String>,
}

impl LocalServer {
    fn spawn(data_dir: &std::path::Path, port: u16, extra_args: Vec<String>) -> Self {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data_dir.join("server.log"))
            .expect("log file");
        let mut cmd = Command::new(stratus_bin());
        // Deployed CWL packages run on the project venv's cwltool (the tools stage installs it).
        let venv_cwltool = workspace().join(".venv/bin/cwltool");
        if std::env::var_os("STRATUS_CWLTOOL").is_none() && venv_cwltool.exists() {
            cmd.env("STRATUS_CWLTOOL", venv_cwltool);
        }
        let child = cmd
            .arg("serve")
            .arg("--bind")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--data-dir")
            .arg(data_dir)
            .args(&extra_args)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn stratus serve");
        LocalServer {
            child,
            port,
            extra_args,
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Stratus {
    /// The server under test: `STRATUS_E2E_URL` if set, else a fresh local server. With
    /// `STRATUS_E2E_RESET_URL` also set, that URL is POSTed first so the deployment starts
    /// empty, as a fresh local server does (run such suites with `--test-threads=1`).
    pub async fn start() -> Self {
        match std::env::var("STRATUS_E2E_URL") {
            Ok(url) => {
                let http = client();
                if let Ok(reset) = std::env::var("STRATUS_E2E_RESET_URL") {
                    let r = http.post(&reset).send().await.expect("POST reset");
                    assert!(r.status().is_success(), "reset failed: {}", r.status());
                }
                Stratus {
                    url: url.trim_end_matches('/').to_string(),
                    http,
                    local: None,
                    data_dir: None,
                }
            }
            Err(_) => Self::local(Vec::new()).await,
        }
    }

    /// A fresh local server with extra `serve` arguments.
    pub async fn local(extra_args: Vec<String>) -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let server = LocalServer::spawn(data_dir.path(), port, extra_args);
        let s = Stratus {
            url: format!("http://127.0.0.1:{port}"),
            http: client(),
            local: Some(server),
            data_dir: Some(data_dir),
        };
        s.wait_ready().await;
        s
    }

    /// Whether this is a local server (restart tests need one).
    pub fn is_local(&self) -> bool {
        self.local.is_some()
    }

    /// The local server's data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir
            .as_ref()
            .expect("a local server")
            .path()
            .to_path_buf()
    }

    /// The local server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data_dir().join("server.log")).unwrap_or_default()
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = self.http.get(format!("{}/", self.url)).send().await
                && r.status().is_success()
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "server did not start:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Kills the local server with SIGKILL (no graceful shutdown) and starts it again on the
    /// same port and data directory.
    pub async fn crash_and_restart(&mut self) {
        let mut old = self.local.take().expect("a local server");
        old.kill();
        let (port, args) = (old.port, std::mem::take(&mut old.extra_args));
        drop(old);
        self.local = Some(LocalServer::spawn(&self.data_dir(), port, args));
        self.wait_ready().await;
    }

    /// `{url}{path}`.
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// GET a JSON document, asserting the status.
    pub async fn get_json(&self, path: &str, status: u16) -> Value {
        let r = self.http.get(self.at(path)).send().await.expect("GET");
        assert_eq!(r.status().as_u16(), status, "GET {path}");
        r.json().await.expect("JSON body")
    }

    /// POST an execute request.
    pub async fn execute(
        &self,
        process: &str,
        body: Value,
        prefer: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self
            .http
            .post(self.at(&format!("/processes/{process}/execution")))
            .json(&body);
        if let Some(p) = prefer {
            req = req.header("Prefer", p);
        }
        req.send().await.expect("POST execution")
    }

    /// Deploys a package (`POST /processes`, `?w=` when `workflow` is given).
    pub async fn deploy(
        &self,
        body: impl Into<reqwest::Body>,
        content_type: &str,
        workflow: Option<&str>,
    ) -> reqwest::Response {
        let url = match workflow {
            Some(w) => self.at(&format!("/processes?w={w}")),
            None => self.at("/processes"),
        };
        self.http
            .post(url)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("POST /processes")
    }

    /// Submits an async job and returns its id.
    pub async fn submit(&self, process: &str, body: Value) -> String {
        let r = self.execute(process, body, Some("respond-async")).await;
        assert_eq!(r.status().as_u16(), 201, "async execution");
        let doc: Value = r.json().await.expect("status document");
        doc["jobID"].as_str().expect("jobID").to_string()
    }

    /// Polls a job until its status is one of `statuses`; returns the status document.
    pub async fn wait_for(&self, job: &str, statuses: &[&str], timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let doc = self.get_json(&format!("/jobs/{job}"), 200).await;
            let status = doc["status"].as_str().unwrap_or_default().to_string();
            if statuses.contains(&status.as_str()) {
                return doc;
            }
            assert!(
                Instant::now() < deadline,
                "job {job} still {status} after {timeout:?}: {doc}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The HTTP client of the tests; with `STRATUS_E2E_TOKEN` set (a deployment that requires
/// bearer tokens), every request carries it.
fn client() -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Ok(token) = std::env::var("STRATUS_E2E_TOKEN")
        && let Ok(value) = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))
    {
        headers.insert(reqwest::header::AUTHORIZATION, value);
    }
    reqwest::Client::builder()
        .no_proxy()
        .default_headers(headers)
        .timeout(Duration::from_secs(120))
        .build()
        .expect("client")
}

/// Asserts an OGC exception document: status, `type`, and a detail containing `needle`.
pub async fn assert_exception(r: reqwest::Response, status: u16, kind: &str, needle: &str) {
    assert_eq!(r.status().as_u16(), status, "status");
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert_eq!(ct, "application/json", "exceptions are application/json");
    let doc: Value = r.json().await.expect("exception JSON");
    assert!(
        doc["type"].as_str().unwrap_or_default().ends_with(kind),
        "type {} should end with {kind}",
        doc["type"]
    );
    assert_eq!(doc["status"], json!(status));
    let detail = doc["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(needle),
        "detail '{detail}' should mention '{needle}'"
    );
}

/// Finds the `href` of the first link with `rel`.
pub fn link<'a>(doc: &'a Value, rel: &str) -> Option<&'a str> {
    doc["links"]
        .as_array()?
        .iter()
        .find(|l| l["rel"] == rel)
        .and_then(|l| l["href"].as_str())
}

/// A local HTTP receiver recording JSON POSTs by path; `fail_first` requests get HTTP 500.
#[derive(Clone, Default)]
pub struct Receiver {
    /// Recorded (path, body) pairs.
    pub received: Arc<Mutex<Vec<(String, Value)>>>,
    fail_first: Arc<Mutex<u32>>,
}

impl Receiver {
    /// Starts a receiver on a free port; returns it and its base URL.
    pub async fn start(fail_first: u32) -> (Self, String) {
        let recv = Receiver {
            received: Arc::default(),
            fail_first: Arc::new(Mutex::new(fail_first)),
        };
        let app = Router::new()
            .route("/{*path}", post(record))
            .with_state(recv.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (recv, url)
    }

    /// Bodies posted to `path`.
    pub fn bodies(&self, path: &str) -> Vec<Value> {
        self.received
            .lock()
            .expect("lock")
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, b)| b.clone())
            .collect()
    }
}

async fn record(
    State(recv): State<Receiver>,
    axum::extract::Path(path): axum::extract::Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> axum::http::StatusCode {
    {
        let mut left = recv.fail_first.lock().expect("lock");
        if *left > 0 {
            *left -= 1;
            return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
        }
    }
    recv.received
        .lock()
        .expect("lock")
        .push((format!("/{path}"), body));
    axum::http::StatusCode::OK
}
