//! The ingestion operations behind every route, written once over the ports: catalogue
//! inventories, ingestion of an area, AOI/scene/tile status and control, the variable registry
//! and records. HTTP handlers on both engines call these and only translate transport details.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::{StreamExt, TryStreamExt};
use stratus_core::runner::Ports;

use crate::area::Area;
use crate::catalog;
use crate::error::{Error, Result};
use crate::graph;
use crate::model::{
    AoiJson, CatalogScene, Dataset, Instance, MAX_SCENES_PER_REQUEST, MAX_TILES_PER_REQUEST,
    Record, SceneData, SceneId, SceneJson, SceneRecord, SceneToIngest, Scenes, TileData, TileId,
    TileJson, TileRecord, Variable,
};
use crate::ports::{Catalogue, Dispatcher, IngestStore, Page, TileFilter, Work};
use crate::s1;
use crate::status::Status;
use crate::transitions::{Requester, Transitions};

/// Scenes whose annotation files are read at once.
const ANNOTATION_CONCURRENCY: usize = 8;

/// The ports of the ingestion domain, built once per engine.
#[derive(Clone)]
pub struct IngestPorts {
    /// AOIs, scenes, tiles, records, registry.
    pub store: Arc<dyn IngestStore>,
    /// Scene search.
    pub catalogue: Arc<dyn Catalogue>,
    /// Who runs scene and tile tasks.
    pub dispatcher: Arc<dyn Dispatcher>,
    /// The engine's core ports: objects, fetcher, processes, jobs, clock.
    pub core: Ports,
}

/// What an ingestion started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ingested {
    /// New scenes.
    pub scenes: usize,
    /// Their tiles.
    pub tiles: usize,
    /// Time taken.
    pub elapsed: Duration,
}

impl Ingested {
    /// geocube-ingester's answer: `Ingestion of N scenes and M tiles in progress (<dur>)`.
    pub fn message(&self) -> String {
        format!(
            "Ingestion of {} scenes and {} tiles in progress ({:?})\n",
            self.scenes, self.tiles, self.elapsed
        )
    }
}

/// A record and its datasets.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RecordWithDatasets {
    /// The record.
    #[serde(flatten)]
    pub record: Record,
    /// Its datasets.
    pub datasets: Vec<Dataset>,
}

/// The ingestion API over one engine's ports.
#[derive(Clone)]
pub struct IngestService {
    ports: IngestPorts,
    transitions: Transitions,
}

/// Whether `name` matches a geocube-ingester AOI pattern: `*` any run, `?` one character, a
/// `(?i)` suffix makes it case-insensitive.
pub fn pattern_matches(pattern: &str, name: &str) -> bool {
    let (pattern, insensitive) = match pattern.strip_suffix("(?i)") {
        Some(p) => (p, true),
        None => (pattern, false),
    };
    let norm = |s: &str| -> Vec<char> {
        if insensitive {
            s.to_lowercase().chars().collect()
        } else {
            s.chars().collect()
        }
    };
    let (p, n) = (norm(pattern), norm(name));
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Whether an AOI path parameter is a pattern.
pub fn is_pattern(aoi: &str) -> bool {
    aoi.contains('*') || aoi.contains('?')
}

impl IngestService {
    /// The service over one engine's ports.
    pub fn new(ports: IngestPorts) -> Self {
        let transitions = Transitions::new(ports.store.clone(), ports.core.clock.clone());
        IngestService { ports, transitions }
    }

    /// The ports.
    pub fn ports(&self) -> &IngestPorts {
        &self.ports
    }

    /// The transitions.
    pub fn transitions(&self) -> &Transitions {
        &self.transitions
    }

    fn now(&self) -> DateTime<Utc> {
        self.ports.core.clock.now()
    }

    async fn dispatch(&self, aoi: &str, work: Vec<Work>) -> Result<()> {
        if work.is_empty() {
            return Ok(());
        }
        self.ports.dispatcher.dispatch(aoi, work).await
    }

    // ---- catalogue -------------------------------------------------------------------------

    /// `/catalog/scenes`: the scenes of the area in its interval (one page when the payload has
    /// a limit), duplicates and scenes outside the AOI removed.
    pub async fn catalog_scenes(&self, area: &Area) -> Result<Scenes> {
        area.interval()?;
        if !self.ports.catalogue.supports(area.constellation) {
            return Err(Error::Catalogue(format!(
                "no catalogue is configured for '{}'",
                area.constellation
            )));
        }
        let found = self
            .ports
            .catalogue
            .search(area, area.page, area.page_size())
            .await?;
        let count = found.len();
        let mut scenes = catalog::refine(area, catalog::scenes_from_found(area, found));
        scenes.sort_by(|a, b| (a.data.date, &a.source_id).cmp(&(b.data.date, &b.source_id)));
        tracing::debug!(aoi = %area.name, found = count, kept = scenes.len(), "scene inventory");
        Ok(Scenes {
            next: area.page_size().is_some_and(|l| count == l as usize),
            scenes,
        })
    }

    /// `/catalog/tiles`: the tiles of the scenes (bursts for Sentinel-1, chained with the AOI's
    /// ingested roots and leaves; the scene itself otherwise).
    pub async fn catalog_tiles(&self, area: &Area, scenes: Scenes) -> Result<Scenes> {
        let next = scenes.next;
        let scenes = self.tiled(area, scenes.scenes).await?;
        Ok(Scenes { scenes, next })
    }

    async fn tiled(&self, area: &Area, mut scenes: Vec<CatalogScene>) -> Result<Vec<CatalogScene>> {
        if scenes.len() > MAX_SCENES_PER_REQUEST {
            return Err(Error::TooLarge {
                what: "the scenes of the request".into(),
                limit: MAX_SCENES_PER_REQUEST.to_string(),
            });
        }
        for s in scenes.iter_mut() {
            s.tiles.clear();
            s.data.tiles.clear();
        }
        if catalog::tiles_are_bursts(area) {
            let fetcher = self.ports.core.fetcher.clone();
            scenes = futures::stream::iter(scenes.into_iter().map(|mut scene| {
                let fetcher = fetcher.clone();
                async move {
                    let urls = catalog::annotation_urls(area, &scene);
                    if urls.is_empty() {
                        return Err(Error::Catalogue(format!(
                            "scene {}: no annotation files (no metadata.annotations and no \
                             annotations_urls in the payload)",
                            scene.source_id
                        )));
                    }
                    let mut files = Vec::new();
                    for url in urls {
                        let fetched = fetcher.fetch(&url).await.map_err(|e| {
                            Error::Catalogue(format!(
                                "annotations of scene {}: {}",
                                scene.source_id, e.message
                            ))
                        })?;
                        let text = String::from_utf8(fetched.body.to_vec()).map_err(|_| {
                            Error::Catalogue(format!("annotation {url} is not UTF-8"))
                        })?;
                        files.push((url, text));
                    }
                    s1::burst_tiles(&mut scene, &files, &area.shape)?;
                    Ok::<_, Error>(scene)
                }
            }))
            .buffered(ANNOTATION_CONCURRENCY)
            .try_collect()
            .await?;
            scenes.retain(|s| !s.tiles.is_empty());
            let ingested = self.ingested_ends(&area.name).await?;
            let (tracks, warnings) = s1::chain(&mut scenes, &ingested);
            for w in warnings {
                tracing::warn!(aoi = %area.name, "{w}");
            }
            tracing::debug!(aoi = %area.name, tracks, "bursts chained");
        } else {
            for s in scenes.iter_mut() {
                catalog::whole_scene_tile(s);
            }
        }
        catalog::set_tile_attributes(area, &mut scenes);
        Ok(scenes)
    }

    /// Roots and leaves of an AOI as catalogue tiles (new dates chain onto them).
    async fn ingested_ends(&self, aoi: &str) -> Result<Vec<crate::model::CatalogTile>> {
        let mut seen = BTreeMap::new();
        for t in self
            .ports
            .store
            .roots(aoi)
            .await?
            .into_iter()
            .chain(self.ports.store.leaves(aoi).await?)
        {
            seen.entry(t.id).or_insert(t);
        }
        let mut scene_names: HashMap<SceneId, String> = HashMap::new();
        let mut out = Vec::new();
        for t in seen.into_values() {
            let name = match scene_names.get(&t.scene_id) {
                Some(n) => n.clone(),
                None => {
                    let n = self.ports.store.scene(t.scene_id).await?.source_id;
                    scene_names.insert(t.scene_id, n.clone());
                    n
                }
            };
            out.push(catalog::ingested_tile(&t.source_id, &name, t.date, &t.data));
        }
        Ok(out)
    }

    /// Resolves the payload's layers to instance ids; an unknown variable or instance is
    /// `Invalid` naming it.
    pub async fn validate_layers(&self, area: &Area) -> Result<BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        for (layer, l) in &area.layers {
            let id = if !l.instance_id.is_empty() {
                self.ports
                    .store
                    .instance(&l.instance_id)
                    .await?
                    .ok_or_else(|| {
                        Error::invalid(format!(
                            "layer '{layer}': unknown instance_id '{}'",
                            l.instance_id
                        ))
                    })?
                    .1
                    .id
            } else {
                let variable = self
                    .ports
                    .store
                    .variable(&l.variable)
                    .await?
                    .ok_or_else(|| {
                        Error::invalid(format!(
                            "layer '{layer}': unknown variable '{}'",
                            l.variable
                        ))
                    })?;
                variable
                    .instances
                    .iter()
                    .find(|i| i.name == l.instance)
                    .ok_or_else(|| {
                        Error::invalid(format!(
                            "layer '{layer}': unknown instance '{}' for variable '{}'",
                            l.instance, l.variable
                        ))
                    })?
                    .id
                    .clone()
            };
            out.insert(layer.clone(), id);
        }
        Ok(out)
    }

    /// `/catalog/aoi`: validates the payload (layers, graphs), lists scenes and tiles (or takes
    /// the given ones), creates or reuses the records, stores the new scenes and tiles (scenes
    /// already in the AOI are skipped) and dispatches one download per new scene.
    pub async fn ingest_area(
        &self,
        area: &Area,
        scenes: Option<Scenes>,
        tiles: Option<Scenes>,
    ) -> Result<Ingested> {
        let started = Instant::now();
        let instances = self.validate_layers(area).await?;
        graph::scene_graph(&area.scene_graph_name)?;
        graph::tile_graph(&area.tile_graph_name, &self.ports.core).await?;
        let scenes = match (tiles, scenes) {
            (Some(t), _) => t.scenes,
            (None, Some(s)) => self.tiled(area, s.scenes).await?,
            (None, None) => {
                let s = self.catalog_scenes(area).await?;
                self.tiled(area, s.scenes).await?
            }
        };
        if scenes.len() > MAX_SCENES_PER_REQUEST {
            return Err(Error::TooLarge {
                what: "the scenes of the request".into(),
                limit: MAX_SCENES_PER_REQUEST.to_string(),
            });
        }
        let tile_count: usize = scenes.iter().map(|s| s.tiles.len()).sum();
        if tile_count > MAX_TILES_PER_REQUEST {
            return Err(Error::TooLarge {
                what: "the tiles of the request".into(),
                limit: MAX_TILES_PER_REQUEST.to_string(),
            });
        }
        let mut to_ingest = catalog::scenes_to_ingest(area, &scenes, &instances)?;
        let store = &self.ports.store;
        let now = self.now();
        let mut fresh = Vec::with_capacity(to_ingest.len());
        let existing: std::collections::HashSet<String> = if store.aoi_exists(&area.name).await? {
            let mut names = std::collections::HashSet::new();
            for (s, _) in &to_ingest {
                if store
                    .scene_by_source(&area.name, &s.source_id)
                    .await?
                    .is_some()
                {
                    names.insert(s.source_id.clone());
                }
            }
            names
        } else {
            Default::default()
        };
        for (mut scene, tags) in to_ingest.drain(..) {
            if existing.contains(&scene.source_id) {
                continue;
            }
            let record = Record {
                id: Record::id_for(&scene.source_id, scene.data.date, &tags),
                name: scene.source_id.clone(),
                date: scene.data.date,
                tags,
                aoi: area.name.clone(),
                wkt: scene.wkt.clone(),
            };
            store.put_record(&record).await?;
            scene.data.record_id = record.id;
            fresh.push(scene);
        }
        store
            .ensure_aoi(&area.name, Some(&area.shape.to_wkt()), now)
            .await?;
        let inserted = store.insert(&area.name, &fresh, now).await?;
        let tiles = inserted.iter().map(|i| i.tiles.len()).sum();
        self.dispatch(
            &area.name,
            inserted.iter().map(|i| Work::Scene(i.id)).collect(),
        )
        .await?;
        Ok(Ingested {
            scenes: inserted.len(),
            tiles,
            elapsed: started.elapsed(),
        })
    }

    // ---- AOIs --------------------------------------------------------------------------------

    /// AOIs matching a pattern ("" = all), with their status.
    pub async fn aois(&self, pattern: &str) -> Result<Vec<AoiJson>> {
        let mut out = Vec::new();
        for name in self.ports.store.aois().await? {
            if pattern.is_empty() || pattern_matches(pattern, &name) {
                let status = self.ports.store.counts(&name).await?.aoi_status();
                out.push(AoiJson { id: name, status });
            }
        }
        Ok(out)
    }

    /// `POST /aoi/{aoi}`.
    pub async fn create_aoi(&self, aoi: &str) -> Result<()> {
        if !crate::area::valid_aoi_name(aoi) {
            return Err(Error::invalid(format!(
                "wrong format for the AOI id '{}' (chars, numbers and -:_)",
                aoi.chars().take(64).collect::<String>()
            )));
        }
        self.ports.store.create_aoi(aoi, self.now()).await
    }

    /// `DELETE /aoi/{aoi}`.
    pub async fn delete_aoi(&self, aoi: &str) -> Result<()> {
        self.ports.store.delete_aoi(aoi).await
    }

    /// `GET /aoi/{aoi}`: geocube-ingester's text summary (counts per status, root tiles, dates
    /// from the oldest root to the newest leaf). An unknown AOI has zeros.
    pub async fn summary(&self, aoi: &str) -> Result<String> {
        let store = &self.ports.store;
        let counts = store.counts(aoi).await?;
        let roots = store.roots(aoi).await?;
        let leaves = store.leaves(aoi).await?;
        let from = roots
            .iter()
            .map(|t| t.date)
            .min()
            .unwrap_or_else(|| self.now());
        let to = leaves
            .iter()
            .map(|t| t.date)
            .max()
            .unwrap_or(DateTime::<Utc>::MIN_UTC);
        let mut out = String::new();
        for (title, c) in [("Scenes", counts.scenes), ("Tiles", counts.tiles)] {
            let _ = write!(
                out,
                "{title}:\n  new:     {}\n  pending: {}\n  done:    {}\n  retry:   {}\n  failed:  {}\n  Total:   {}\n",
                c.new,
                c.pending,
                c.done,
                c.retry,
                c.failed,
                c.total()
            );
        }
        let date = |d: DateTime<Utc>| {
            if d == DateTime::<Utc>::MIN_UTC {
                "0001-01-01".to_string()
            } else {
                d.format("%Y-%m-%d").to_string()
            }
        };
        let _ = write!(
            out,
            "\nRoot tiles : {}\n  From: {}\n  To:   {}\n",
            roots.len(),
            date(from),
            date(to)
        );
        Ok(out)
    }

    /// `GET /aoi/{aoi}/dot`: the AOI's scenes and tiles as a Graphviz digraph coloured by
    /// status (tiles linked to their scene and previous tile).
    pub async fn dot(&self, aoi: &str) -> Result<String> {
        let store = &self.ports.store;
        let scenes = store
            .scenes(
                aoi,
                None,
                Page {
                    page: 0,
                    limit: Some(1000),
                },
            )
            .await?;
        let tiles = store
            .tiles(
                &TileFilter::Aoi {
                    aoi: aoi.to_string(),
                    status: None,
                },
                Page::ALL,
            )
            .await?;
        let ids: std::collections::HashSet<SceneId> = scenes.iter().map(|s| s.id).collect();
        let scene_status: HashMap<SceneId, Status> =
            scenes.iter().map(|s| (s.id, s.status)).collect();
        let name = if crate::area::valid_aoi_name(aoi) {
            aoi.replace([':', '-'], "_")
        } else {
            "aoi".into()
        };
        let mut out = format!("digraph {name} {{\n");
        let esc = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
        for s in &scenes {
            let _ = writeln!(
                out,
                "s{} [label=\"{}\\n(id={})\" shape=box color={}];",
                s.id,
                esc(&s.source_id),
                s.id,
                s.status.color()
            );
        }
        for t in tiles.iter().filter(|t| ids.contains(&t.scene_id)) {
            let _ = writeln!(
                out,
                "t{} [label=\"{}\\n(id={})\" color={}];",
                t.id,
                esc(&t.source_id),
                t.id,
                t.status.color()
            );
        }
        for t in tiles.iter().filter(|t| ids.contains(&t.scene_id)) {
            let dotted = |s: Status| {
                if s == Status::Done {
                    ""
                } else {
                    " style=dotted"
                }
            };
            let _ = writeln!(
                out,
                "s{} -> t{} [color=gray{}];",
                t.scene_id,
                t.id,
                dotted(
                    scene_status
                        .get(&t.scene_id)
                        .copied()
                        .unwrap_or(Status::New)
                )
            );
            if let Some(p) = t.prev {
                let _ = writeln!(out, "t{p} -> t{}{};", t.id, dotted(t.status));
            }
        }
        out.push_str("}\n");
        Ok(out)
    }

    /// `POST /aoi/{aoi}/scene`: ingests one scene; its id, or 0 if it already existed.
    pub async fn ingest_scene(&self, aoi: &str, scene: SceneToIngest) -> Result<SceneId> {
        if !self.ports.store.aoi_exists(aoi).await? {
            return Err(Error::not_found("aoi", aoi));
        }
        let new = scene.into_new(aoi)?;
        if self
            .ports
            .store
            .scene_by_source(aoi, &new.source_id)
            .await?
            .is_some()
        {
            return Ok(0);
        }
        let inserted = self.ports.store.insert(aoi, &[new], self.now()).await?;
        let Some(first) = inserted.first() else {
            return Ok(0);
        };
        self.dispatch(aoi, vec![Work::Scene(first.id)]).await?;
        Ok(first.id)
    }

    /// Scenes of an AOI (or of every AOI matching a pattern), optionally in one status.
    pub async fn scenes(
        &self,
        aoi: &str,
        status: Option<Status>,
        page: Page,
    ) -> Result<Vec<SceneJson>> {
        let store = &self.ports.store;
        let records = if is_pattern(aoi) {
            let mut all = Vec::new();
            for a in self.aois(aoi).await? {
                all.extend(store.scenes(&a.id, status, Page::ALL).await?);
            }
            all.sort_by_key(|s| s.id);
            paged(all, page)
        } else {
            store.scenes(aoi, status, page).await?
        };
        Ok(records.iter().map(SceneJson::from).collect())
    }

    async fn with_scenes(&self, tiles: Vec<TileRecord>) -> Result<Vec<TileJson>> {
        let mut cache: HashMap<SceneId, SceneRecord> = HashMap::new();
        let mut out = Vec::with_capacity(tiles.len());
        for t in tiles {
            if let std::collections::hash_map::Entry::Vacant(e) = cache.entry(t.scene_id) {
                e.insert(self.ports.store.scene(t.scene_id).await?);
            }
            out.push(TileJson::new(&t, &cache[&t.scene_id]));
        }
        Ok(out)
    }

    /// Tiles of an AOI (or pattern) in a status.
    pub async fn aoi_tiles(
        &self,
        aoi: &str,
        status: Option<Status>,
        page: Page,
    ) -> Result<Vec<TileJson>> {
        let store = &self.ports.store;
        let tiles = if is_pattern(aoi) {
            let mut all = Vec::new();
            for a in self.aois(aoi).await? {
                all.extend(
                    store
                        .tiles(&TileFilter::Aoi { aoi: a.id, status }, Page::ALL)
                        .await?,
                );
            }
            all.sort_by_key(|t| t.id);
            paged(all, page)
        } else {
            store
                .tiles(
                    &TileFilter::Aoi {
                        aoi: aoi.to_string(),
                        status,
                    },
                    page,
                )
                .await?
        };
        self.with_scenes(tiles).await
    }

    /// `GET /aoi/{aoi}/roottiles`.
    pub async fn roots(&self, aoi: &str) -> Result<Vec<TileJson>> {
        let t = self.ports.store.roots(aoi).await?;
        self.with_scenes(t).await
    }

    /// `GET /aoi/{aoi}/leaftiles`.
    pub async fn leaves(&self, aoi: &str) -> Result<Vec<TileJson>> {
        let t = self.ports.store.leaves(aoi).await?;
        self.with_scenes(t).await
    }

    /// `PUT /aoi/{aoi}/retry[/force]`: RETRY scenes and tiles back to PENDING (every scene with
    /// `force`, and the tiles of DONE scenes back to NEW so they run again once their scene is
    /// downloaded again). Returns (scenes, tiles) changed.
    pub async fn retry_aoi(&self, aoi: &str, force: bool) -> Result<(usize, usize)> {
        let store = &self.ports.store;
        let scenes = store.scenes(aoi, None, Page::ALL).await?;
        let mut errors = Vec::new();
        let (mut n_scenes, mut n_tiles) = (0, 0);
        let mut work = Vec::new();
        if force {
            for s in scenes.iter().filter(|s| s.status == Status::Done) {
                for t in store.tiles(&TileFilter::Scene(s.id), Page::ALL).await? {
                    match self
                        .transitions
                        .tile(
                            t.id,
                            Status::New,
                            true,
                            Some(String::new()),
                            Requester::User,
                        )
                        .await
                    {
                        Ok(a) if a.changed => n_tiles += 1,
                        Ok(_) => {}
                        Err(e) => errors.push(e.to_string()),
                    }
                }
            }
        }
        for s in &scenes {
            if force || s.status == Status::Retry {
                match self
                    .transitions
                    .scene(
                        s.id,
                        Status::Pending,
                        force,
                        Some(String::new()),
                        Requester::User,
                    )
                    .await
                {
                    Ok(a) => {
                        if a.changed {
                            n_scenes += 1;
                        }
                        work.extend(a.work());
                    }
                    Err(e) => errors.push(e.to_string()),
                }
            }
        }
        if !force {
            let retry = store
                .tiles(
                    &TileFilter::Aoi {
                        aoi: aoi.to_string(),
                        status: Some(Status::Retry),
                    },
                    Page::ALL,
                )
                .await?;
            for t in retry {
                match self
                    .transitions
                    .tile(
                        t.id,
                        Status::Pending,
                        false,
                        Some(String::new()),
                        Requester::User,
                    )
                    .await
                {
                    Ok(a) => {
                        if a.changed {
                            n_tiles += 1;
                        }
                        work.extend(a.work());
                    }
                    Err(e) => errors.push(e.to_string()),
                }
            }
        }
        self.dispatch(aoi, work).await?;
        if !errors.is_empty() {
            return Err(Error::Precondition(errors.join("; ")));
        }
        Ok((n_scenes, n_tiles))
    }

    // ---- scenes and tiles ----------------------------------------------------------------

    /// `GET /scene/{id}`.
    pub async fn scene(&self, id: SceneId) -> Result<SceneJson> {
        Ok(SceneJson::from(&self.ports.store.scene(id).await?))
    }

    /// `GET /scene/{id}/tiles`.
    pub async fn scene_tiles(&self, id: SceneId) -> Result<Vec<TileJson>> {
        let scene = self.ports.store.scene(id).await?;
        let tiles = self
            .ports
            .store
            .tiles(&TileFilter::Scene(id), Page::ALL)
            .await?;
        Ok(tiles.iter().map(|t| TileJson::new(t, &scene)).collect())
    }

    /// `GET /tile/{id}` (with its scene).
    pub async fn tile(&self, id: TileId) -> Result<TileJson> {
        let t = self.ports.store.tile(id).await?;
        let s = self.ports.store.scene(t.scene_id).await?;
        Ok(TileJson::new(&t, &s))
    }

    /// `PUT /scene/{id}/data`.
    pub async fn set_scene_data(&self, id: SceneId, data: &SceneData) -> Result<()> {
        self.ports.store.set_scene_data(id, data).await
    }

    /// `PUT /tile/{id}/data`.
    pub async fn set_tile_data(&self, id: TileId, data: &TileData) -> Result<()> {
        self.ports.store.set_tile_data(id, data).await
    }

    /// `PUT /scene/{id}/{retry,fail,force/{status}}`: whether the change was made (false:
    /// refused, 403); what it made runnable is dispatched.
    pub async fn scene_status(&self, id: SceneId, requested: Status, force: bool) -> Result<bool> {
        let message = (!force && requested == Status::Pending).then(String::new);
        let applied = self
            .transitions
            .scene(id, requested, force, message, Requester::User)
            .await?;
        if applied.changed {
            let aoi = self.ports.store.scene(id).await?.aoi;
            self.dispatch(&aoi, applied.work()).await?;
        }
        Ok(applied.changed)
    }

    /// `PUT /tile/{id}/{retry,fail,force/{status}}` (see [`Self::scene_status`]).
    pub async fn tile_status(&self, id: TileId, requested: Status, force: bool) -> Result<bool> {
        let message = (!force && requested == Status::Pending).then(String::new);
        let applied = self
            .transitions
            .tile(id, requested, force, message, Requester::User)
            .await?;
        if applied.changed {
            let aoi = self.ports.store.tile(id).await?.aoi;
            self.dispatch(&aoi, applied.work()).await?;
        }
        Ok(applied.changed)
    }

    // ---- registry and records ----------------------------------------------------------

    /// Registers a variable (its instances too, if given).
    pub async fn create_variable(&self, mut variable: Variable) -> Result<Variable> {
        if !crate::area::valid_aoi_name(&variable.name) {
            return Err(Error::invalid(format!(
                "variable name '{}' must be chars, numbers and -:_",
                variable.name.chars().take(64).collect::<String>()
            )));
        }
        variable.id = uuid::Uuid::new_v4().hyphenated().to_string();
        let instances = std::mem::take(&mut variable.instances);
        self.ports.store.create_variable(&variable).await?;
        for i in instances {
            self.add_instance(&variable.name, i).await?;
        }
        self.variable(&variable.name).await
    }

    /// Every variable.
    pub async fn variables(&self) -> Result<Vec<Variable>> {
        self.ports.store.variables().await
    }

    /// A variable; `NotFound` if missing.
    pub async fn variable(&self, name: &str) -> Result<Variable> {
        self.ports
            .store
            .variable(name)
            .await?
            .ok_or_else(|| Error::not_found("variable", name))
    }

    /// Adds an instance to a variable.
    pub async fn add_instance(&self, variable: &str, mut instance: Instance) -> Result<Instance> {
        if !crate::area::valid_aoi_name(&instance.name) {
            return Err(Error::invalid(format!(
                "instance name '{}' must be chars, numbers and -:_",
                instance.name.chars().take(64).collect::<String>()
            )));
        }
        instance.id = uuid::Uuid::new_v4().hyphenated().to_string();
        self.ports.store.add_instance(variable, &instance).await?;
        Ok(instance)
    }

    /// Records of an AOI (all if `None`).
    pub async fn records(&self, aoi: Option<&str>, page: Page) -> Result<Vec<Record>> {
        self.ports.store.records(aoi, page).await
    }

    /// A record and its datasets.
    pub async fn record(&self, id: &str) -> Result<RecordWithDatasets> {
        let record = self
            .ports
            .store
            .record(id)
            .await?
            .ok_or_else(|| Error::not_found("record", id))?;
        let datasets = self.ports.store.datasets(id).await?;
        Ok(RecordWithDatasets { record, datasets })
    }
}

fn paged<T>(all: Vec<T>, page: Page) -> Vec<T> {
    let skip = usize::try_from(page.offset()).unwrap_or(usize::MAX);
    let take = page
        .limit
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    all.into_iter().skip(skip).take(take).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aoi_patterns() {
        assert!(pattern_matches("*", "anything"));
        assert!(pattern_matches("Den*S2", "DenmarkDemoS2"));
        assert!(!pattern_matches("Den*S1", "DenmarkDemoS2"));
        assert!(pattern_matches("a?c", "abc"));
        assert!(!pattern_matches("a?c", "abbc"));
        assert!(pattern_matches("den*(?i)", "DenmarkDemo"));
        assert!(!pattern_matches("den*", "DenmarkDemo"));
        assert!(pattern_matches("exact", "exact"));
    }
}
