//! `stratus run` and `stratus jobs`: an OGC API - Processes client for this server or any other
//! (pygeoapi included). Submits asynchronously, follows the job with a progress bar on a
//! terminal (plain lines otherwise), prints or saves the results. `stratus demo` uses it too.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Map, Value, json};

/// Errors of the client, as messages for the terminal.
pub type AnyResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// How long between two status polls.
const POLL: Duration = Duration::from_millis(400);
/// Timeout of one JSON request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A client of one OGC API - Processes server.
pub struct Client {
    http: reqwest::Client,
    base: String,
}

/// `url` with `f=json` (servers such as pygeoapi pick the format from it).
fn json_url(url: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}f=json")
}

impl Client {
    /// A client of the server at `base` (no trailing slash needed).
    pub fn new(base: &str) -> AnyResult<Self> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .connect_timeout(Duration::from_secs(10))
            .build()?;
        Ok(Client {
            http,
            base: base.trim_end_matches('/').to_string(),
        })
    }

    /// `{base}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get_json(&self, url: &str) -> AnyResult<Value> {
        let resp = self
            .http
            .get(json_url(url))
            .header("Accept", "application/json")
            .timeout(REQUEST_TIMEOUT)
            .send()
            .await?;
        let status = resp.status();
        let text = resp.text().await?;
        if !status.is_success() {
            return Err(format!("GET {url}: {status}: {}", detail(&text)).into());
        }
        Ok(serde_json::from_str(&text).map_err(|e| format!("GET {url}: not JSON: {e}"))?)
    }

    /// The description of `process`.
    pub async fn describe(&self, process: &str) -> AnyResult<Value> {
        self.get_json(&self.url(&format!("/processes/{process}")))
            .await
    }

    /// Submits `body` asynchronously; returns the job's URL.
    pub async fn submit(&self, process: &str, body: &Value) -> AnyResult<String> {
        let url = self.url(&format!("/processes/{process}/execution"));
        let resp = self
            .http
            .post(&url)
            .header("Prefer", "respond-async")
            .header("Accept", "application/json")
            .timeout(REQUEST_TIMEOUT)
            .json(body)
            .send()
            .await?;
        let status = resp.status();
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = resp.text().await?;
        if status.as_u16() != 201 {
            return Err(format!("POST {url}: {status}: {}", detail(&text)).into());
        }
        let doc: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        match (location, doc["jobID"].as_str()) {
            (Some(loc), _) => Ok(reqwest::Url::parse(&url)?.join(&loc)?.to_string()),
            (None, Some(id)) => Ok(self.url(&format!("/jobs/{id}"))),
            (None, None) => Err(format!("POST {url}: 201 without a Location or jobID").into()),
        }
    }

    /// Polls the job at `job_url` until it ends, reporting each change; returns the last
    /// status document.
    pub async fn follow(&self, job_url: &str, progress: &mut Progress) -> AnyResult<Value> {
        loop {
            let doc = self.get_json(job_url).await?;
            progress.update(&doc);
            if matches!(
                doc["status"].as_str(),
                Some("successful" | "failed" | "dismissed")
            ) {
                progress.finish(&doc);
                return Ok(doc);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// The results document of a successful job.
    pub async fn results(&self, job_url: &str) -> AnyResult<Value> {
        self.get_json(&format!("{job_url}/results")).await
    }

    /// One page of the job list.
    pub async fn jobs(&self, query: &[(&str, String)]) -> AnyResult<Value> {
        let mut url = reqwest::Url::parse(&self.url("/jobs"))?;
        for (k, v) in query {
            url.query_pairs_mut().append_pair(k, v);
        }
        self.get_json(url.as_str()).await
    }

    /// Downloads `url` to `path`; returns the number of bytes.
    pub async fn download(&self, url: &str, path: &Path) -> AnyResult<u64> {
        let resp = self.http.get(url).send().await?;
        if !resp.status().is_success() {
            return Err(format!("GET {url}: {}", resp.status()).into());
        }
        let bytes = resp.bytes().await?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        tokio::fs::write(path, &bytes).await?;
        Ok(bytes.len() as u64)
    }
}

/// The `detail` of an exception document, else the body itself (shortened).
fn detail(text: &str) -> String {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v["detail"].as_str().map(str::to_string))
        .unwrap_or_else(|| text.chars().take(300).collect())
}

/// Builds the execute request's `inputs` from `name=value` pairs, typed by the process
/// description: strings stay strings, numbers and booleans are parsed, array inputs collect
/// every value given for them, objects are JSON. `name=@file` reads the value from a file;
/// `name:=JSON` sends JSON as it is (a qualified value, an `{"href": ...}` reference).
pub fn inputs_from_pairs(description: &Value, pairs: &[String]) -> AnyResult<Map<String, Value>> {
    let mut given: Vec<(String, Vec<String>)> = Vec::new();
    let mut verbatim = Map::new();
    for pair in pairs {
        if let Some((name, json)) = pair.split_once(":=")
            && !name.contains('=')
        {
            let value = serde_json::from_str(json)
                .map_err(|e| format!("--input {name}:= is not JSON: {e}"))?;
            verbatim.insert(name.to_string(), value);
            continue;
        }
        let (name, raw) = pair
            .split_once('=')
            .ok_or_else(|| format!("--input '{pair}' is not name=value"))?;
        let raw = match raw.strip_prefix('@') {
            Some(file) => std::fs::read_to_string(file)
                .map_err(|e| format!("--input {name}=@{file}: {e}"))?
                .trim_end()
                .to_string(),
            None => raw.to_string(),
        };
        match given.iter_mut().find(|(n, _)| n == name) {
            Some((_, values)) => values.push(raw),
            None => given.push((name.to_string(), vec![raw])),
        }
    }
    let mut inputs = Map::new();
    for (name, values) in given {
        let input = &description["inputs"][&name];
        if input.is_null() && description["inputs"].is_object() {
            let known: Vec<&String> = description["inputs"]
                .as_object()
                .map(|m| m.keys().collect())
                .unwrap_or_default();
            return Err(format!("the process has no input '{name}' (inputs: {known:?})").into());
        }
        let schema = &input["schema"];
        let many = schema["type"] == "array"
            || input["maxOccurs"] == "unbounded"
            || input["maxOccurs"].as_u64().is_some_and(|n| n > 1);
        let value = if many {
            let item = if schema["type"] == "array" {
                &schema["items"]
            } else {
                schema
            };
            match values.as_slice() {
                [one] if one.trim_start().starts_with('[') => serde_json::from_str(one)
                    .map_err(|e| format!("--input {name}: not a JSON array: {e}"))?,
                _ => Value::Array(values.iter().map(|v| coerce(item, v)).collect()),
            }
        } else {
            let [one] = values.as_slice() else {
                return Err(format!("--input {name} takes one value").into());
            };
            coerce(schema, one)
        };
        inputs.insert(name, value);
    }
    inputs.extend(verbatim);
    Ok(inputs)
}

/// One value typed by its schema.
fn coerce(schema: &Value, raw: &str) -> Value {
    let parsed = || serde_json::from_str::<Value>(raw).ok();
    match schema["type"].as_str() {
        Some("string") => Value::String(raw.to_string()),
        Some("number" | "integer") => parsed()
            .filter(Value::is_number)
            .unwrap_or_else(|| json!(raw)),
        Some("boolean") => parsed()
            .filter(Value::is_boolean)
            .unwrap_or_else(|| json!(raw)),
        _ => parsed().unwrap_or_else(|| json!(raw)),
    }
}

/// How job progress is shown.
pub enum Progress {
    /// An indicatif bar on the terminal: items (or percent) done, status and message.
    Bar(ProgressBar),
    /// One line per change, for pipes and logs.
    Plain(String),
    /// Nothing.
    Quiet,
}

/// `--progress`: how `stratus run` shows progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    /// A bar when stderr is a terminal, plain lines otherwise.
    Auto,
    /// Always plain lines.
    Plain,
    /// No progress output.
    None,
}

impl Progress {
    /// The reporter for `mode` (auto: a bar when stderr is a terminal).
    pub fn new(mode: ProgressMode) -> Self {
        let tty = std::io::stderr().is_terminal();
        match mode {
            ProgressMode::Auto if tty => Self::bar(),
            ProgressMode::None => Progress::Quiet,
            _ => Progress::Plain(String::new()),
        }
    }

    fn bar() -> Self {
        let bar = ProgressBar::with_draw_target(Some(100), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] [{bar:30}] {pos}/{len} {prefix} {wide_msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(120));
        Progress::Bar(bar)
    }

    /// Shows a status document.
    pub fn update(&mut self, doc: &Value) {
        let status = doc["status"].as_str().unwrap_or("?");
        let message = doc["message"].as_str().unwrap_or_default();
        let percent = doc["progress"].as_u64().unwrap_or(0).min(100);
        let items = &doc["stratus:items"];
        match self {
            Progress::Bar(bar) => {
                if let (Some(done), Some(total)) = (items["done"].as_u64(), items["total"].as_u64())
                {
                    bar.set_length(total.max(1));
                    bar.set_position(done);
                    bar.set_prefix(format!("items ({percent}%) {status}"));
                } else {
                    bar.set_length(100);
                    bar.set_position(percent);
                    bar.set_prefix(format!("% {status}"));
                }
                bar.set_message(message.to_string());
            }
            Progress::Plain(last) => {
                let items = match (items["done"].as_u64(), items["total"].as_u64()) {
                    (Some(d), Some(t)) => format!(" items {d}/{t}"),
                    _ => String::new(),
                };
                let line = format!("status: {status} {percent}%{items} {message}");
                if *last != line {
                    eprintln!("{}", line.trim_end());
                    *last = line;
                }
            }
            Progress::Quiet => {}
        }
    }

    /// Ends the display with the final status.
    pub fn finish(&mut self, doc: &Value) {
        if let Progress::Bar(bar) = self {
            let status = doc["status"].as_str().unwrap_or("?");
            bar.finish_with_message(format!(
                "{status} {}",
                doc["message"].as_str().unwrap_or_default()
            ));
        }
    }
}

/// The hrefs of a results document worth saving: every `href` with an http(s) URL, named by
/// the last two segments of its path (`{itemID}/otsu.tif`).
pub fn result_files(results: &Value) -> Vec<(String, PathBuf)> {
    fn walk(v: &Value, out: &mut Vec<(String, PathBuf)>) {
        match v {
            Value::Object(m) => {
                if let Some(href) = m.get("href").and_then(Value::as_str)
                    && (href.starts_with("http://") || href.starts_with("https://"))
                    && let Ok(url) = reqwest::Url::parse(href)
                {
                    let segments: Vec<&str> = url
                        .path_segments()
                        .map(|s| s.filter(|p| !p.is_empty() && *p != "..").collect())
                        .unwrap_or_default();
                    let name: PathBuf = segments.iter().rev().take(2).rev().collect();
                    if !name.as_os_str().is_empty() && !out.iter().any(|(h, _)| h == href) {
                        out.push((href.to_string(), name));
                    }
                }
                m.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(results, &mut out);
    out
}

/// `stratus run`: submit, follow, print or save the results.
pub async fn run(
    server: &str,
    process: &str,
    pairs: &[String],
    out: Option<&Path>,
    mode: ProgressMode,
) -> AnyResult {
    let client = Client::new(server)?;
    let description = client.describe(process).await?;
    let inputs = inputs_from_pairs(&description, pairs)?;
    let body = json!({ "inputs": inputs, "response": "document" });
    let job_url = client.submit(process, &body).await?;
    eprintln!("job: {job_url}");
    let mut progress = Progress::new(mode);
    let done = client.follow(&job_url, &mut progress).await?;
    if done["status"] != "successful" {
        return Err(format!(
            "the job ended {}: {}",
            done["status"].as_str().unwrap_or("?"),
            done["message"].as_str().unwrap_or_default()
        )
        .into());
    }
    let results = client.results(&job_url).await?;
    match out {
        None => println!("{}", serde_json::to_string_pretty(&results)?),
        Some(dir) => {
            tokio::fs::create_dir_all(dir).await?;
            let doc = dir.join("results.json");
            tokio::fs::write(&doc, serde_json::to_vec_pretty(&results)?).await?;
            println!("{}", doc.display());
            for (href, name) in result_files(&results) {
                let path = dir.join(&name);
                let n = client.download(&href, &path).await?;
                println!("{}", path.display());
                eprintln!("saved {} ({n} bytes)", path.display());
            }
        }
    }
    Ok(())
}

/// `stratus jobs`: the job list as a table.
pub async fn jobs(
    server: &str,
    statuses: &[String],
    process: Option<&str>,
    limit: u32,
) -> AnyResult {
    let client = Client::new(server)?;
    let mut query: Vec<(&str, String)> = vec![("limit", limit.to_string())];
    for s in statuses {
        query.push(("status", s.clone()));
    }
    if let Some(p) = process {
        query.push(("processID", p.to_string()));
    }
    let doc = client.jobs(&query).await?;
    let rows: Vec<[String; 6]> = doc["jobs"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|j| {
            let text = |k: &str| j[k].as_str().unwrap_or_default().to_string();
            let mut message = text("message");
            if message.chars().count() > 48 {
                message = message.chars().take(47).collect::<String>() + "…";
            }
            [
                text("jobID"),
                text("processID"),
                text("status"),
                format!("{}%", j["progress"].as_u64().unwrap_or(0)),
                text("created").replace('T', " ").chars().take(19).collect(),
                message,
            ]
        })
        .collect();
    print!(
        "{}",
        table(
            ["JOB", "PROCESS", "STATUS", "PROGRESS", "CREATED", "MESSAGE"],
            &rows
        )
    );
    Ok(())
}

/// Left-aligned columns separated by two spaces.
fn table(header: [&str; 6], rows: &[[String; 6]]) -> String {
    let mut widths = header.map(|h| h.chars().count());
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(header.to_vec());
    for r in rows {
        out += &line(r.iter().map(String::as_str).collect());
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn description() -> Value {
        json!({"inputs": {
            "stac_items": {"schema": {"type": "array", "items": {"type": "string"}}},
            "aoi": {"schema": {"type": "string"}},
            "pause": {"schema": {"type": "integer"}},
            "flag": {"schema": {"type": "boolean"}},
            "bbox": {"schema": {"type": "object"}},
            "many": {"schema": {"type": "number"}, "maxOccurs": 5}
        }})
    }

    #[test]
    fn inputs_are_typed_by_the_description() {
        let pairs: Vec<String> = [
            "stac_items=http://a/1.json",
            "stac_items=http://a/2.json",
            "aoi=1,2,3,4",
            "pause=3",
            "flag=true",
            r#"bbox={"bbox": [1, 2, 3, 4]}"#,
            "many=1.5",
            r#"aoi2:={"href": "http://h/aoi"}"#,
        ]
        .map(String::from)
        .to_vec();
        let inputs = inputs_from_pairs(&description(), &pairs).unwrap();
        assert_eq!(
            Value::Object(inputs),
            json!({
                "stac_items": ["http://a/1.json", "http://a/2.json"],
                "aoi": "1,2,3,4",
                "pause": 3,
                "flag": true,
                "bbox": {"bbox": [1, 2, 3, 4]},
                "many": [1.5],
                "aoi2": {"href": "http://h/aoi"}
            })
        );
        let array = inputs_from_pairs(&description(), &[r#"stac_items=["x","y"]"#.into()]);
        assert_eq!(array.unwrap()["stac_items"], json!(["x", "y"]));
        assert!(inputs_from_pairs(&description(), &["nope=1".into()]).is_err());
        assert!(inputs_from_pairs(&description(), &["aoi".into()]).is_err());
        assert!(inputs_from_pairs(&description(), &["aoi=1".into(), "aoi=2".into()]).is_err());
    }

    #[test]
    fn result_files_are_the_http_hrefs() {
        let results = json!({"stac_catalog": {"value": {"features": [
            {"id": "a", "assets": {"data": {"href": "http://h/objects/results/j/a/otsu.tif"}}},
            {"id": "b", "assets": {"data": {"href": "s3://bucket/results/j/b/otsu.tif"}}}
        ]}}});
        assert_eq!(
            result_files(&results),
            vec![(
                "http://h/objects/results/j/a/otsu.tif".to_string(),
                PathBuf::from("a/otsu.tif")
            )]
        );
    }

    #[test]
    fn tables_align() {
        let rows = vec![[
            "j1".to_string(),
            "echo".into(),
            "running".into(),
            "50%".into(),
            "2026-01-01 00:00:00".into(),
            String::new(),
        ]];
        let t = table(
            ["JOB", "PROCESS", "STATUS", "PROGRESS", "CREATED", "MESSAGE"],
            &rows,
        );
        assert_eq!(
            t,
            "JOB  PROCESS  STATUS   PROGRESS  CREATED              MESSAGE\n\
             j1   echo     running  50%       2026-01-01 00:00:00\n"
        );
    }
}
