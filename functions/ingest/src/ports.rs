//! Ports of the ingestion domain: the store of AOIs, scenes, tiles, records and the registry
//! ([`IngestStore`]), the catalogue of scenes ([`Catalogue`]) and who runs scene and tile tasks
//! ([`Dispatcher`]). Object storage, URL fetching, processes and time come from
//! `stratus_core::ports`.
//!
//! | Port | Local engine | AWS engine |
//! |---|---|---|
//! | [`IngestStore`] | SQLite tables `aoi`, `scene`, `tile`, `record`, `dataset`, `variable`, `instance`; conditional `UPDATE ... WHERE status IN (...)` | DynamoDB single table, conditional `UpdateItem`/`TransactWriteItems`, GSIs by AOI+status, scene, previous and reference tile, sharded AOI counters |
//! | [`Catalogue`] | STAC API item search (`POST /search`), providers per constellation | the same |
//! | [`Dispatcher`] | in-process queue of the ingestion executor (the store is the durable queue) | a manifest in S3 and `StartExecution` of the ingestion state machine |

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::area::{Area, Constellation};
use crate::error::Result;
use crate::geom::Shape;
use crate::model::{
    Dataset, Instance, NewScene, Record, SceneData, SceneId, SceneRecord, TileData, TileId,
    TileRecord, Variable,
};
use crate::status::{Counts, Status};

/// A condition on the lease of a scene or tile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseGuard {
    /// No condition (user requests).
    Any,
    /// No lease, an expired one (at `now`), or one held by `owner`: a task may claim it.
    Claimable {
        /// The claimant.
        owner: String,
        /// Now.
        now: DateTime<Utc>,
    },
    /// Held by `owner`: a task reports the outcome of its run.
    HeldBy(String),
}

/// What an update does to the lease.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LeaseSet {
    /// Leave it.
    #[default]
    Keep,
    /// Remove it.
    Clear,
    /// Take it for `owner` until `until`.
    Take {
        /// The claimant.
        owner: String,
        /// Expiry.
        until: DateTime<Utc>,
    },
}

/// A conditional change of a scene.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SceneChange {
    /// The current status must be one of these (empty: any).
    pub expect: Vec<Status>,
    /// Condition on the lease.
    pub lease_guard: Option<LeaseGuard>,
    /// New status.
    pub status: Option<Status>,
    /// New message.
    pub message: Option<String>,
    /// Decrement the retry countdown.
    pub decrement_countdown: bool,
    /// Lease change.
    pub lease: LeaseSet,
}

/// A conditional change of a tile.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TileChange {
    /// The current status must be one of these (empty: any).
    pub expect: Vec<Status>,
    /// Condition on the lease.
    pub lease_guard: Option<LeaseGuard>,
    /// The current previous tile must be this.
    pub expect_prev: Option<Option<TileId>>,
    /// New status.
    pub status: Option<Status>,
    /// New message.
    pub message: Option<String>,
    /// Decrement the retry countdown.
    pub decrement_countdown: bool,
    /// Lease change.
    pub lease: LeaseSet,
    /// New previous tile.
    pub prev: Option<Option<TileId>>,
    /// New reference tile.
    pub reference: Option<Option<TileId>>,
}

/// Paging of a listing: 0-based page of `limit` entries (`None`: everything).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Page {
    /// Page number.
    pub page: u64,
    /// Page size.
    pub limit: Option<u64>,
}

impl Page {
    /// Every entry.
    pub const ALL: Page = Page {
        page: 0,
        limit: None,
    };

    /// Entries to skip.
    pub fn offset(&self) -> u64 {
        self.limit.map_or(0, |l| l.saturating_mul(self.page))
    }
}

/// Which tiles a listing returns (ordered by id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TileFilter {
    /// Tiles of an AOI, optionally in one status.
    Aoi {
        /// AOI id.
        aoi: String,
        /// Status.
        status: Option<Status>,
    },
    /// Tiles of a scene.
    Scene(SceneId),
    /// Tiles whose previous tile is this one.
    Prev(TileId),
    /// Tiles whose reference tile is this one.
    Reference(TileId),
}

/// A scene created by [`IngestStore::insert`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inserted {
    /// Product name.
    pub source_id: String,
    /// New id.
    pub id: SceneId,
    /// Its tiles' new ids.
    pub tiles: Vec<TileId>,
}

/// Work an engine runs: download a scene, or process tiles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Work {
    /// Run a scene's graph (download).
    Scene(SceneId),
    /// Run these tiles' graphs, in order.
    Tiles(Vec<TileId>),
}

/// Durable AOIs, scenes, tiles, records, datasets and the variable registry, with conditional
/// updates.
///
/// Contract (checked by `stratus_ingest::contract::ingest_store` against every adapter):
/// - `insert` creates scenes PENDING (countdown = `retry_count`) and their tiles NEW, skips
///   scenes whose (AOI, source id) exists, and resolves each tile's previous and reference by
///   (tile source id, scene source id) in the AOI, the batch included. A link to a missing or
///   FAILED tile is `Invalid` (SQLite: the batch is rolled back; DynamoDB: scenes before it stay).
///   Ids are positive integers, unique across the store, increasing.
/// - `update_scene`/`update_tile` apply the change only if the current status is in `expect`
///   (when not empty), the lease guard holds and (tiles) the previous tile is `expect_prev`;
///   atomically, with the AOI counts; they bump `version` and return the new record. Otherwise
///   `Conflict`; a missing id is `NotFound`.
/// - `counts` are exact after every update (SQLite: `GROUP BY` on indexed columns; DynamoDB:
///   sharded counter items updated in the same transaction as the status).
/// - Listings are ordered by id and paged by [`Page`]; a missing AOI lists nothing.
/// - `roots`: non-FAILED tiles of the AOI with neither previous nor reference; `leaves`:
///   non-FAILED tiles of the AOI no tile names as previous.
/// - `replace_reference(old, new)`: every tile whose reference is `old` gets `new`, and `new`
///   itself gets none (it becomes a root).
/// - `delete_aoi` removes the AOI, its scenes and tiles (records and datasets stay).
/// - `put_record` and `put_dataset` are idempotent (same id, same (record, tile, layer)).
#[async_trait]
pub trait IngestStore: Send + Sync {
    /// Creates an AOI; `AlreadyExists` if it exists.
    async fn create_aoi(&self, aoi: &str, now: DateTime<Utc>) -> Result<()>;
    /// Creates an AOI if missing, and records the area of its latest payload (WKT).
    async fn ensure_aoi(&self, aoi: &str, area_wkt: Option<&str>, now: DateTime<Utc>)
    -> Result<()>;
    /// Every AOI id, sorted.
    async fn aois(&self) -> Result<Vec<String>>;
    /// The area of an AOI's latest payload, if known; `None` for a missing AOI too.
    async fn aoi_area(&self, aoi: &str) -> Result<Option<String>>;
    /// Whether the AOI exists.
    async fn aoi_exists(&self, aoi: &str) -> Result<bool>;
    /// Removes an AOI and its scenes and tiles; a missing AOI is not an error.
    async fn delete_aoi(&self, aoi: &str) -> Result<()>;
    /// Scene and tile counts of an AOI.
    async fn counts(&self, aoi: &str) -> Result<Counts>;

    /// Creates scenes and tiles (see the contract).
    async fn insert(
        &self,
        aoi: &str,
        scenes: &[NewScene],
        now: DateTime<Utc>,
    ) -> Result<Vec<Inserted>>;
    /// A scene; `NotFound` if missing.
    async fn scene(&self, id: SceneId) -> Result<SceneRecord>;
    /// A scene by its natural key.
    async fn scene_by_source(&self, aoi: &str, source_id: &str) -> Result<Option<SceneRecord>>;
    /// Scenes of an AOI, optionally in one status.
    async fn scenes(
        &self,
        aoi: &str,
        status: Option<Status>,
        page: Page,
    ) -> Result<Vec<SceneRecord>>;
    /// A tile; `NotFound` if missing.
    async fn tile(&self, id: TileId) -> Result<TileRecord>;
    /// Tiles matching a filter.
    async fn tiles(&self, filter: &TileFilter, page: Page) -> Result<Vec<TileRecord>>;
    /// Root tiles of an AOI.
    async fn roots(&self, aoi: &str) -> Result<Vec<TileRecord>>;
    /// Leaf tiles of an AOI.
    async fn leaves(&self, aoi: &str) -> Result<Vec<TileRecord>>;
    /// Footprint (WKT) of a scene or tile as ingested ("" if unknown).
    async fn footprint(&self, scene: SceneId, tile: Option<TileId>) -> Result<String>;

    /// Conditionally updates a scene.
    async fn update_scene(
        &self,
        id: SceneId,
        change: &SceneChange,
        now: DateTime<Utc>,
    ) -> Result<SceneRecord>;
    /// Conditionally updates a tile.
    async fn update_tile(
        &self,
        id: TileId,
        change: &TileChange,
        now: DateTime<Utc>,
    ) -> Result<TileRecord>;
    /// Moves every reference to `old` onto `new`, which becomes a root.
    async fn replace_reference(&self, old: TileId, new: TileId, now: DateTime<Utc>) -> Result<()>;
    /// Replaces a scene's data; `NotFound` if missing.
    async fn set_scene_data(&self, id: SceneId, data: &SceneData) -> Result<()>;
    /// Replaces a tile's data; `NotFound` if missing.
    async fn set_tile_data(&self, id: TileId, data: &TileData) -> Result<()>;
    /// PENDING scenes and tiles, oldest first, at most `limit` of each (engine recovery).
    async fn pending(&self, limit: u64) -> Result<Vec<Work>>;

    /// Registers a variable; `AlreadyExists` if the name is taken.
    async fn create_variable(&self, variable: &Variable) -> Result<()>;
    /// A variable with its instances.
    async fn variable(&self, name: &str) -> Result<Option<Variable>>;
    /// Every variable with its instances, by name.
    async fn variables(&self) -> Result<Vec<Variable>>;
    /// Adds an instance to a variable; `NotFound` for a missing variable, `AlreadyExists` if
    /// the name (or id) is taken.
    async fn add_instance(&self, variable: &str, instance: &Instance) -> Result<()>;
    /// An instance by id, with its variable's name.
    async fn instance(&self, id: &str) -> Result<Option<(String, Instance)>>;

    /// Stores a record unless one with its id exists.
    async fn put_record(&self, record: &Record) -> Result<()>;
    /// A record.
    async fn record(&self, id: &str) -> Result<Option<Record>>;
    /// Records an AOI created (every record when `None`), by date then id; a record another
    /// AOI reuses stays listed under the AOI that created it.
    async fn records(&self, aoi: Option<&str>, page: Page) -> Result<Vec<Record>>;
    /// Stores or replaces the dataset of (record, tile, layer).
    async fn put_dataset(&self, dataset: &Dataset) -> Result<()>;
    /// Datasets of a record, by tile then layer.
    async fn datasets(&self, record: &str) -> Result<Vec<Dataset>>;
}

/// A scene a catalogue found.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundScene {
    /// Product name (SAFE name without `.SAFE`, Landsat product id, ...).
    pub source_id: String,
    /// Catalogue id (the STAC Item id).
    pub uuid: String,
    /// Acquisition date.
    pub date: DateTime<Utc>,
    /// Footprint.
    pub shape: Shape,
    /// Record tags (`constellation`, `satellite`, `relativeOrbit`, `orbitDirection`, ...).
    pub tags: std::collections::BTreeMap<String, String>,
    /// Metadata for the tasks (`download_link`, `assets`, `annotations`).
    pub metadata: Map<String, Value>,
}

/// Searches scenes.
///
/// Adapters speak STAC API item search (`POST {api}/search` with `intersects`, `datetime`,
/// `collections`, and `query` or CQL2 `filter` for catalogue parameters, paging by `next`
/// links), one provider per constellation, trying the next provider when one fails.
#[async_trait]
pub trait Catalogue: Send + Sync {
    /// Scenes intersecting the area in its interval: page `page` of `limit` (all when `None`).
    async fn search(&self, area: &Area, page: u32, limit: Option<u32>) -> Result<Vec<FoundScene>>;
    /// Whether a provider is configured for the constellation.
    fn supports(&self, constellation: Constellation) -> bool;
}

/// Hands work to the engine. Idempotent per work item: the tasks claim what they run, so a
/// duplicate dispatch never runs anything twice.
#[async_trait]
pub trait Dispatcher: Send + Sync {
    /// Runs the work of an AOI.
    async fn dispatch(&self, aoi: &str, work: Vec<Work>) -> Result<()>;
}
