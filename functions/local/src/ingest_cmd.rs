//! `stratus ingest PAYLOAD`: what an uploaded payload or a schedule does on AWS, from the
//! command line on the local engine: ingest the area (scenes from the catalogue, or from a
//! `--scenes`/`--tiles` file of an earlier `/catalog` call), run every download and tile task
//! in this process with a progress bar (plain lines when stderr is not a terminal), then print
//! the AOI summary.

use std::io::IsTerminal;
use std::path::Path;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use stratus_ingest::area::Area;
use stratus_ingest::model::Scenes;
use stratus_ingest::status::Counts;
use stratus_local::engine::{LocalConfig, LocalEngine};

use crate::client::ProgressMode;

type AnyResult<T = ()> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// What `stratus ingest` was asked.
pub struct IngestRequest<'a> {
    /// The payload file (`-`: stdin).
    pub payload: &'a Path,
    /// A scenes FeatureCollection (from `/catalog/scenes`).
    pub scenes: Option<&'a Path>,
    /// A tiles FeatureCollection (from `/catalog/tiles`).
    pub tiles: Option<&'a Path>,
    /// A relative window ending now (`24h`, `7d`) replacing the payload's interval.
    pub window: Option<Duration>,
    /// Start the ingestion and return without running it.
    pub no_wait: bool,
    /// Progress output.
    pub progress: ProgressMode,
}

fn read(path: &Path) -> AnyResult<Vec<u8>> {
    if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)?;
        return Ok(buf);
    }
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()).into())
}

fn scenes(path: Option<&Path>) -> AnyResult<Option<Scenes>> {
    let Some(path) = path else { return Ok(None) };
    let value: serde_json::Value = serde_json::from_slice(&read(path)?)
        .map_err(|e| format!("{}: not JSON: {e}", path.display()))?;
    Ok(Some(Scenes::from_geojson(&value)?))
}

/// Parses `90s`, `30m`, `24h`, `7d`.
pub fn parse_window(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = n
        .parse()
        .map_err(|_| format!("'{s}' is not a duration like 24h or 7d"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" | "" => n * 3600,
        "d" => n * 86_400,
        _ => return Err(format!("'{s}': the unit is s, m, h or d")),
    };
    Ok(Duration::from_secs(secs))
}

enum Report {
    Bar(ProgressBar),
    Plain(Instant),
    Quiet,
}

impl Report {
    fn new(mode: ProgressMode) -> Self {
        match mode {
            ProgressMode::Auto if std::io::stderr().is_terminal() => {
                let bar = ProgressBar::with_draw_target(Some(1), ProgressDrawTarget::stderr());
                let style = ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] [{bar:30}] {pos}/{len} tiles {wide_msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
                bar.set_style(style);
                Report::Bar(bar)
            }
            ProgressMode::None => Report::Quiet,
            _ => Report::Plain(Instant::now() - Duration::from_secs(60)),
        }
    }

    fn update(&mut self, c: &Counts) {
        let finished = c.tiles.done + c.tiles.failed + c.tiles.retry;
        let line = format!(
            "scenes: {} done, {} pending, {} retry, {} failed of {}; tiles: {} done, {} pending, {} retry, {} failed of {}",
            c.scenes.done,
            c.scenes.pending,
            c.scenes.retry,
            c.scenes.failed,
            c.scenes.total(),
            c.tiles.done,
            c.tiles.pending,
            c.tiles.retry,
            c.tiles.failed,
            c.tiles.total()
        );
        match self {
            Report::Bar(bar) => {
                bar.set_length(c.tiles.total().max(1));
                bar.set_position(finished);
                bar.set_message(format!(
                    "scenes {}/{}",
                    c.scenes.done + c.scenes.failed + c.scenes.retry,
                    c.scenes.total()
                ));
            }
            Report::Plain(last) => {
                if last.elapsed() >= Duration::from_secs(2) {
                    eprintln!("{line}");
                    *last = Instant::now();
                }
            }
            Report::Quiet => {}
        }
    }

    fn finish(&self, c: &Counts) {
        match self {
            Report::Bar(bar) => bar.finish_and_clear(),
            Report::Plain(_) => eprintln!(
                "finished: {} of {} tiles done, {} failed, {} to retry",
                c.tiles.done,
                c.tiles.total(),
                c.tiles.failed,
                c.tiles.retry
            ),
            Report::Quiet => {}
        }
    }
}

/// The offline sample scenes as the scenes FeatureCollection `/catalog/scenes` answers, for an
/// AOI named `aoi`: so the ingestion tour runs without a reachable catalogue.
pub async fn sample_scenes(
    engine: &LocalEngine,
    aoi: &str,
    size: u32,
) -> AnyResult<serde_json::Value> {
    use stratus_ingest::model::{CatalogScene, SceneData};
    let objects = engine.state.objects();
    let samples = stratus_local::samples::ensure_samples(&**objects, size).await?;
    let mut scenes = Vec::new();
    for s in samples {
        let (body, _) = objects.get(&s.item_key).await?;
        let item: serde_json::Value = serde_json::from_slice(&body)?;
        let shape = stratus_ingest::geom::Shape::from_geojson(&item["geometry"])?;
        let date = item["properties"]["datetime"]
            .as_str()
            .and_then(|d| chrono::DateTime::parse_from_rfc3339(d).ok())
            .map(|d| d.with_timezone(&chrono::Utc))
            .ok_or("a sample item has no datetime")?;
        let mut tags = std::collections::BTreeMap::new();
        tags.insert("constellation".to_string(), "SENTINEL2".to_string());
        tags.insert("satellite".to_string(), "SENTINEL2".to_string());
        tags.insert("sourceID".to_string(), s.id.clone());
        tags.insert("uuid".to_string(), s.id.clone());
        tags.insert("provider".to_string(), "stratus-samples".to_string());
        let mut metadata = serde_json::Map::new();
        metadata.insert("download_link".into(), objects.href(&s.item_key).into());
        scenes.push(CatalogScene {
            aoi: aoi.to_string(),
            data: SceneData {
                date,
                graph_name: "CopyProductToStorage".into(),
                is_retriable: true,
                metadata,
                uuid: s.id.clone(),
                ..SceneData::default()
            },
            id: 0,
            source_id: s.id,
            tags,
            tiles: Vec::new(),
            wkt: shape.to_wkt(),
        });
    }
    Ok(Scenes {
        scenes,
        next: false,
    }
    .to_geojson())
}

/// Runs `stratus ingest`.
pub async fn run(config: LocalConfig, req: IngestRequest<'_>) -> AnyResult {
    let mut area = Area::parse(&read(req.payload)?)?;
    if let Some(w) = req.window {
        let end = chrono::Utc::now();
        area.end_time = Some(end);
        area.start_time = Some(end - chrono::Duration::from_std(w)?);
    }
    let mut engine = LocalEngine::open(&config)?;
    let resumed = engine.start_ingestion().await?;
    if resumed > 0 {
        eprintln!("resumed {resumed} unfinished ingestion tasks");
    }
    let service = engine.ingest.clone();
    let started = Instant::now();
    let done = service
        .ingest_area(&area, scenes(req.scenes)?, scenes(req.tiles)?)
        .await?;
    eprint!("{}", done.message());
    if req.no_wait {
        return Ok(());
    }
    let queue = engine.ingest_executor.queue().clone();
    let store = service.ports().store.clone();
    let mut report = Report::new(req.progress);
    loop {
        let counts = store.counts(&area.name).await?;
        report.update(&counts);
        if queue.in_flight() == 0 && counts.scenes.pending == 0 && counts.tiles.pending == 0 {
            report.finish(&counts);
            break;
        }
        tokio::select! {
            () = queue.wait_idle() => {}
            () = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
    }
    eprintln!(
        "ingestion of {} ran in {:.1?}",
        area.name,
        started.elapsed()
    );
    print!("{}", service.summary(&area.name).await?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        assert_eq!(parse_window("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_window("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_window("90s"), Ok(Duration::from_secs(90)));
        assert!(parse_window("soon").is_err());
        assert!(parse_window("3w").is_err());
    }
}
