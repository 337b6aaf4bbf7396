//! The CWL engine of Stratus: `cwltool` (the CWL reference runner, from PyPI) as a child
//! process, implementing [`CwlRunner`] for the local engine (and for the container task of the
//! AWS engine's CWL state machine).
//!
//! Each run gets a working directory `{work}/{jobID}/` holding the package (`package.cwl`, the
//! CWL as JSON), the job order (`inputs.json`), staged `File`/`Directory` inputs, cwltool's
//! temporary directories and its output directory. cwltool runs in its own process group with
//! `--no-container` when no container runtime answers (said in the job's message); its log
//! lines give the job's progress. Outputs are staged out to `results/{jobID}/{outputID}/...`
//! in the object store; the log is kept at `jobs/{jobID}/cwltool.log`. Dropping the run (a
//! dismissed job: the executor aborts its task) kills the whole process group and removes the
//! working directory.

#![warn(missing_docs)]

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine;
use bytes::Bytes;
use serde_json::{Map, Value, json};
use stratus_core::cwl::Kind;
use stratus_core::execute::is_reference;
use stratus_core::ports::{CwlRun, CwlRunner};
use stratus_core::process::{ProcessError, RunContext};
use stratus_core::results::{OutputValue, Outputs};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::sync::OnceCell;

/// Most documents a STAC catalog input may stage (catalogs, collections, items, assets).
const MAX_STAGED_DOCUMENTS: usize = 500;
/// Log lines kept for the failure message.
const TAIL_LINES: usize = 12;
/// Longest failure message.
const MAX_MESSAGE: usize = 4000;

/// Whether cwltool may use a container runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Containers {
    /// Docker if `docker info` answers, else Podman if `podman info` answers, else none.
    Auto,
    /// Never: `--no-container` (DockerRequirement is ignored).
    Never,
}

/// Settings of the local CWL engine.
#[derive(Debug, Clone)]
pub struct CwltoolConfig {
    /// The cwltool program (`STRATUS_CWLTOOL`, default `cwltool` on `PATH`).
    pub program: PathBuf,
    /// Directory of the runs' working directories.
    pub work_dir: PathBuf,
    /// Container runtime use.
    pub containers: Containers,
}

/// Runs deployed packages with cwltool.
pub struct CwltoolRunner {
    config: CwltoolConfig,
    runtime: OnceCell<Option<&'static str>>,
}

impl CwltoolRunner {
    /// A runner with these settings.
    pub fn new(config: CwltoolConfig) -> Self {
        CwltoolRunner {
            config,
            runtime: OnceCell::new(),
        }
    }

    /// The container runtime cwltool will use, detected once.
    async fn runtime(&self) -> Option<&'static str> {
        *self
            .runtime
            .get_or_init(|| async {
                if self.config.containers == Containers::Never {
                    return None;
                }
                for runtime in ["docker", "podman"] {
                    if answers(runtime).await {
                        return Some(runtime);
                    }
                }
                None
            })
            .await
    }
}

/// Whether `{program} info` succeeds within 10 s.
async fn answers(program: &str) -> bool {
    let status = tokio::process::Command::new(program)
        .arg("info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .status();
    matches!(
        tokio::time::timeout(Duration::from_secs(10), status).await,
        Ok(Ok(s)) if s.success()
    )
}

fn internal(what: &str) -> impl FnOnce(std::io::Error) -> ProcessError + '_ {
    move |e| ProcessError::internal(format!("{what}: {e}"))
}

/// The working directory of a run, removed when the run ends or is dropped.
struct WorkDir(PathBuf);

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The process group of a running cwltool, killed when dropped (after the run, or when a
/// dismissed job's task is aborted), so no tool it started outlives it.
struct ProcessGroup(Option<i32>);

impl Drop for ProcessGroup {
    fn drop(&mut self) {
        if let Some(pgid) = self.0.filter(|p| *p > 0) {
            // SAFETY: kill(2) with a negative pid signals that process group; no memory is
            // shared with the callee.
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
    }
}

#[async_trait]
impl CwlRunner for CwltoolRunner {
    async fn run(&self, run: CwlRun<'_>, ctx: &RunContext) -> Result<Outputs, ProcessError> {
        let dir = self.config.work_dir.join(ctx.job_id.as_str());
        let _ = tokio::fs::remove_dir_all(&dir).await;
        for sub in ["inputs", "tmp", "out"] {
            tokio::fs::create_dir_all(dir.join(sub))
                .await
                .map_err(internal("create the working directory"))?;
        }
        let work = WorkDir(dir.clone());
        let package = serde_json::to_vec(&run.cwl.document)
            .map_err(|e| ProcessError::internal(format!("encode the package: {e}")))?;
        tokio::fs::write(dir.join("package.cwl"), package)
            .await
            .map_err(internal("write the package"))?;
        let order = job_order(&run, ctx, &dir.join("inputs")).await?;
        tokio::fs::write(
            dir.join("inputs.json"),
            serde_json::to_vec(&order).unwrap_or_default(),
        )
        .await
        .map_err(internal("write the job order"))?;

        let runtime = self.runtime().await;
        let mut cmd = tokio::process::Command::new(&self.config.program);
        let mode = match runtime {
            Some("podman") => {
                cmd.arg("--podman");
                "containers run with podman".to_string()
            }
            Some(r) => format!("containers run with {r}"),
            None => {
                cmd.arg("--no-container");
                "no container runtime found: cwltool runs with --no-container, tools run on this \
                 host and DockerRequirement is ignored"
                    .to_string()
            }
        };
        let tmp = format!("{}/", dir.join("tmp").display());
        cmd.arg("--disable-color")
            .arg("--outdir")
            .arg(dir.join("out"))
            .arg("--tmpdir-prefix")
            .arg(&tmp)
            .arg("--tmp-outdir-prefix")
            .arg(&tmp)
            .arg(format!(
                "{}#{}",
                dir.join("package.cwl").display(),
                run.cwl.workflow
            ))
            .arg(dir.join("inputs.json"))
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .process_group(0);
        ctx.report(Some(1), format!("cwltool started; {mode}"))
            .await;
        let mut child = cmd.spawn().map_err(|e| {
            ProcessError::internal(format!(
                "could not start the CWL engine '{}': {e} (install cwltool or set STRATUS_CWLTOOL)",
                self.config.program.display()
            ))
        })?;
        let _group = ProcessGroup(child.id().and_then(|p| i32::try_from(p).ok()));
        let mut stdout = child
            .stdout
            .take()
            .ok_or_else(|| ProcessError::internal("no stdout"))?;
        let stderr = child
            .stderr
            .take()
            .ok_or_else(|| ProcessError::internal("no stderr"))?;
        let read_stdout = async {
            let mut out = Vec::new();
            stdout.read_to_end(&mut out).await.map(|_| out)
        };
        let steps = run.cwl.step_count();
        let follow_log = follow(stderr, steps, &mode, ctx);
        let (out, log, status) = tokio::join!(read_stdout, follow_log, child.wait());
        let status = status.map_err(internal("wait for cwltool"))?;
        let log_key = format!("{}cwltool.log", stratus_core::keys::job_prefix(&ctx.job_id));
        if let Err(e) = ctx
            .objects
            .put(&log_key, Bytes::from(log.full.clone()), "text/plain")
            .await
        {
            tracing::warn!(job = %ctx.job_id, error = %e, "could not keep the cwltool log");
        }
        let out = out.map_err(internal("read cwltool's output"))?;
        if !status.success() {
            let mut message = format!(
                "cwltool failed ({}): {}",
                status
                    .code()
                    .map_or_else(|| "killed".to_string(), |c| format!("exit code {c}")),
                log.tail.into_iter().collect::<Vec<_>>().join("\n")
            );
            truncate(&mut message, MAX_MESSAGE);
            return Err(ProcessError::internal(message));
        }
        let produced: Map<String, Value> = serde_json::from_slice(&out)
            .map_err(|e| ProcessError::internal(format!("cwltool printed no JSON outputs: {e}")))?;
        let outputs = stage_out(&run, ctx, produced).await?;
        drop(work);
        Ok(outputs)
    }
}

fn truncate(s: &mut String, max: usize) {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
}

/// What cwltool logged.
struct Log {
    full: Vec<u8>,
    tail: VecDeque<String>,
}

/// Reads cwltool's log, reporting finished steps as progress.
async fn follow(
    stderr: tokio::process::ChildStderr,
    steps: usize,
    mode: &str,
    ctx: &RunContext,
) -> Log {
    let mut lines = BufReader::new(stderr).lines();
    let mut log = Log {
        full: Vec::new(),
        tail: VecDeque::new(),
    };
    let mut done = 0usize;
    while let Ok(Some(line)) = lines.next_line().await {
        log.full.extend_from_slice(line.as_bytes());
        log.full.push(b'\n');
        if let Some(step) = finished_step(&line) {
            done += 1;
            let progress = (done * 95)
                .checked_div(steps)
                .map_or(50, |p| u8::try_from(p.min(95)).unwrap_or(95));
            ctx.report(
                Some(progress.max(1)),
                format!("cwltool: step {step} completed ({done} steps done); {mode}"),
            )
            .await;
        }
        if !line.trim().is_empty() {
            if log.tail.len() == TAIL_LINES {
                log.tail.pop_front();
            }
            log.tail.push_back(line);
        }
    }
    log
}

/// The step of a `[step NAME] completed success` log line.
fn finished_step(line: &str) -> Option<&str> {
    let rest = &line[line.find("[step ")? + 6..];
    let (name, after) = rest.split_once(']')?;
    after.contains("completed success").then_some(name)
}

/// The job order (`inputs.json`): literal values as they are, `File` and `Directory` inputs
/// staged under `dir`.
async fn job_order(
    run: &CwlRun<'_>,
    ctx: &RunContext,
    dir: &Path,
) -> Result<Map<String, Value>, ProcessError> {
    let mut order = Map::new();
    for (id, param) in run.cwl.inputs() {
        let Some(value) = run.inputs.get(&id) else {
            continue;
        };
        let staged = match param.kind {
            Kind::Literal => {
                let is_qualified = value
                    .as_object()
                    .is_some_and(|o| o.contains_key("value") && o.contains_key("mediaType"));
                if is_qualified {
                    value["value"].clone()
                } else {
                    value.clone()
                }
            }
            kind => {
                let values: Vec<&Value> = match value {
                    Value::Array(list) if param.many => list.iter().collect(),
                    one => vec![one],
                };
                let mut staged = Vec::new();
                for (i, v) in values.into_iter().enumerate() {
                    let target = dir.join(format!("{id}-{i}"));
                    staged.push(match kind {
                        Kind::File => stage_file(&id, v, &target, ctx).await?,
                        _ => stage_directory(&id, v, &target, ctx).await?,
                    });
                }
                if param.many {
                    Value::Array(staged)
                } else {
                    staged.into_iter().next().unwrap_or(Value::Null)
                }
            }
        };
        order.insert(id, staged);
    }
    Ok(order)
}

/// The last path segment of a URL, if it is a usable file name.
fn file_name(url: &str) -> Option<String> {
    let path = url.split(['?', '#']).next()?;
    let name = path.rsplit('/').next()?;
    let ok = !name.is_empty()
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    ok.then(|| name.to_string())
}

async fn write(path: &Path, body: &[u8]) -> Result<(), ProcessError> {
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(internal("stage an input"))?;
    }
    tokio::fs::write(path, body)
        .await
        .map_err(internal("stage an input"))
}

/// Stages a `File` input: a reference is fetched, a base64 qualified value decoded, a string
/// written as text.
async fn stage_file(
    id: &str,
    v: &Value,
    dir: &Path,
    ctx: &RunContext,
) -> Result<Value, ProcessError> {
    let (name, body) = if is_reference(v) {
        let href = v["href"].as_str().unwrap_or_default();
        let fetched = ctx
            .fetcher
            .fetch(href)
            .await
            .map_err(|e| ProcessError::invalid(format!("input '{id}': {}", e.message)))?;
        (
            file_name(href).unwrap_or_else(|| id.to_string()),
            fetched.body.to_vec(),
        )
    } else {
        let (inner, encoding) = match v.as_object() {
            Some(o) if o.contains_key("value") => (&o["value"], o.get("encoding")),
            _ => (v, None),
        };
        let Some(text) = inner.as_str() else {
            return Err(ProcessError::invalid(format!(
                "input '{id}' must be a reference {{\"href\": ...}}, base64 content or text"
            )));
        };
        let body = if encoding.and_then(Value::as_str) == Some("base64") {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| ProcessError::invalid(format!("input '{id}': not base64: {e}")))?
        } else {
            text.as_bytes().to_vec()
        };
        (id.to_string(), body)
    };
    let path = dir.join(name);
    write(&path, &body).await?;
    Ok(json!({"class": "File", "path": path}))
}

/// Stages a `Directory` input, a STAC catalog: the document by reference and, following
/// relative `child`/`item` links and relative asset hrefs, the documents and files of the
/// catalog, at their relative paths. An inline object is written as `catalog.json`.
async fn stage_directory(
    id: &str,
    v: &Value,
    dir: &Path,
    ctx: &RunContext,
) -> Result<Value, ProcessError> {
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(internal("stage an input"))?;
    if !is_reference(v) {
        let doc = v.as_object().ok_or_else(|| {
            ProcessError::invalid(format!(
                "input '{id}' must be a STAC catalog by reference {{\"href\": ...}}"
            ))
        })?;
        write(
            &dir.join("catalog.json"),
            &serde_json::to_vec(doc).unwrap_or_default(),
        )
        .await?;
        return Ok(json!({"class": "Directory", "path": dir}));
    }
    let root = v["href"].as_str().unwrap_or_default();
    let root_url = url::Url::parse(root)
        .map_err(|e| ProcessError::invalid(format!("input '{id}': '{root}' is not a URL: {e}")))?;
    let root_name = file_name(root).unwrap_or_else(|| "catalog.json".into());
    // (URL, path relative to the directory, whether it is a STAC document)
    let mut queue: VecDeque<(url::Url, String, bool)> =
        VecDeque::from([(root_url.clone(), root_name, true)]);
    let mut seen = std::collections::HashSet::new();
    let base_dir = root_url
        .join(".")
        .map_err(|e| ProcessError::invalid(e.to_string()))?;
    while let Some((url, rel, is_doc)) = queue.pop_front() {
        if !seen.insert(url.to_string()) {
            continue;
        }
        if seen.len() > MAX_STAGED_DOCUMENTS {
            return Err(ProcessError::invalid(format!(
                "input '{id}': the STAC catalog has more than {MAX_STAGED_DOCUMENTS} documents and files"
            )));
        }
        let fetched = ctx
            .fetcher
            .fetch(url.as_str())
            .await
            .map_err(|e| ProcessError::invalid(format!("input '{id}': {}", e.message)))?;
        write(&dir.join(&rel), &fetched.body).await?;
        if !is_doc {
            continue;
        }
        let Ok(doc) = serde_json::from_slice::<Value>(&fetched.body) else {
            continue;
        };
        let mut next: Vec<(String, bool)> = Vec::new();
        for l in doc["links"].as_array().into_iter().flatten() {
            if matches!(l["rel"].as_str(), Some("child" | "item"))
                && let Some(h) = l["href"].as_str()
            {
                next.push((h.to_string(), true));
            }
        }
        for a in doc["assets"]
            .as_object()
            .into_iter()
            .flat_map(|m| m.values())
        {
            if let Some(h) = a["href"].as_str() {
                next.push((h.to_string(), false));
            }
        }
        for (href, doc) in next {
            // Only the catalog's own tree: relative references below the root's directory.
            if href.contains("://") || href.starts_with('/') {
                continue;
            }
            let Ok(target) = url.join(&href) else {
                continue;
            };
            let Some(rel) = target
                .as_str()
                .strip_prefix(base_dir.as_str())
                .map(str::to_string)
                .filter(|r| {
                    !r.is_empty() && r.split('/').all(|s| !s.is_empty() && s != ".." && s != ".")
                })
            else {
                continue;
            };
            queue.push_back((target, rel, doc));
        }
    }
    Ok(json!({"class": "Directory", "path": dir}))
}

/// A media type from a file name.
fn media_type(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "tif" | "tiff" => "image/tiff; application=geotiff",
        "json" => "application/json",
        "geojson" => "application/geo+json",
        "txt" | "log" => "text/plain",
        "csv" => "text/csv",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "xml" => "application/xml",
        "html" => "text/html",
        _ => "application/octet-stream",
    }
}

fn local_path(v: &Value) -> Option<PathBuf> {
    if let Some(p) = v.get("path").and_then(Value::as_str) {
        return Some(PathBuf::from(p));
    }
    url::Url::parse(v.get("location")?.as_str()?)
        .ok()?
        .to_file_path()
        .ok()
}

/// Publishes cwltool's outputs: files and directories to `results/{jobID}/{outputID}/...`,
/// literals inline.
async fn stage_out(
    run: &CwlRun<'_>,
    ctx: &RunContext,
    mut produced: Map<String, Value>,
) -> Result<Outputs, ProcessError> {
    let mut outputs = Outputs::new();
    for id in run.process.outputs.keys() {
        let Some(value) = produced.remove(id) else {
            continue;
        };
        let prefix = format!("{}{id}/", ctx.outputs_prefix());
        let out = match &value {
            Value::Object(o) if o.get("class").is_some() => publish(&value, &prefix, ctx).await?,
            Value::Array(list) if list.iter().any(|v| v.get("class").is_some()) => {
                let mut links = Vec::new();
                for (i, v) in list.iter().enumerate() {
                    let one = publish(v, &format!("{prefix}{i}/"), ctx).await?;
                    links.push(match one {
                        OutputValue::Stored { key, media_type } => {
                            json!({"href": ctx.objects.href(&key), "type": media_type})
                        }
                        OutputValue::Inline { value, .. } => value,
                    });
                }
                OutputValue::Inline {
                    value: Value::Array(links),
                    media_type: None,
                    encoding: None,
                }
            }
            _ => OutputValue::Inline {
                value,
                media_type: None,
                encoding: None,
            },
        };
        outputs.insert(id.clone(), out);
    }
    Ok(outputs)
}

/// Publishes one `File` (its object) or `Directory` (every file; the value is its
/// `catalog.json` when it is a STAC catalog, else the list of its files).
async fn publish(v: &Value, prefix: &str, ctx: &RunContext) -> Result<OutputValue, ProcessError> {
    let path = local_path(v)
        .ok_or_else(|| ProcessError::internal("cwltool reported an output without a path"))?;
    let put = |key: String, file: PathBuf| async move {
        let body = tokio::fs::read(&file)
            .await
            .map_err(internal("read an output"))?;
        let media = media_type(&key);
        ctx.objects
            .put(&key, Bytes::from(body), media)
            .await
            .map_err(ProcessError::from)?;
        Ok::<_, ProcessError>((key, media))
    };
    if v["class"] == "File" {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .unwrap_or_else(|| "output".into());
        let (key, media) = put(format!("{prefix}{name}"), path).await?;
        return Ok(OutputValue::Stored {
            key,
            media_type: media.to_string(),
        });
    }
    let mut files = Vec::new();
    walk(&path, &path, &mut files).map_err(internal("list an output directory"))?;
    files.sort();
    let mut hrefs = Vec::new();
    let mut catalog = None;
    for rel in files {
        let (key, media) = put(format!("{prefix}{rel}"), path.join(&rel)).await?;
        if rel == "catalog.json" {
            catalog = Some(key.clone());
        }
        hrefs.push(json!({"href": ctx.objects.href(&key), "type": media}));
    }
    Ok(match catalog {
        Some(key) => OutputValue::Stored {
            key,
            media_type: "application/json".into(),
        },
        None => OutputValue::Inline {
            value: json!({"files": hrefs}),
            media_type: None,
            encoding: None,
        },
    })
}

/// Relative paths of the files under `dir` (names starting with `.` skipped: object keys
/// cannot have them).
fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_string_lossy().into_owned());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_lines_and_names() {
        assert_eq!(
            finished_step("INFO [step node_crop_2] completed success"),
            Some("node_crop_2")
        );
        assert_eq!(finished_step("INFO [step node_crop] start"), None);
        assert_eq!(file_name("https://x/a/b.tif?x=1"), Some("b.tif".into()));
        assert_eq!(file_name("https://x/a/"), None);
        assert_eq!(media_type("x/catalog.json"), "application/json");
    }
}
