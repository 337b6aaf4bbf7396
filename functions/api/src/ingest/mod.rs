//! The ingestion routes of geocube-ingester, each an [`IngestEndpoint`] (one method and path),
//! grouped into a few Lambda functions by what they may touch ([`IngestEndpoint::function`]):
//! catalogue searches, ingestion starts, status reads, status control, and the registry.
//! Handlers translate HTTP to [`stratus_ingest::service::IngestService`] and back, keeping the
//! reference's status codes; error bodies are JSON strings.

mod error;
mod form;
mod handlers;

use axum::Router;
use axum::http::Method;
use axum::routing::{delete, get, post, put};

pub use error::IngestError;

use crate::state::AppState;

/// Every ingestion endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IngestEndpoint {
    /// `GET /ingester`: `ingester ok` (geocube-ingester's `GET /`; Stratus's `/` is the OGC
    /// landing page).
    Status,
    /// `GET /catalog/scenes`
    CatalogScenesGet,
    /// `POST /catalog/scenes`
    CatalogScenes,
    /// `GET /catalog/tiles`
    CatalogTilesGet,
    /// `POST /catalog/tiles`
    CatalogTiles,
    /// `POST /catalog/aoi`
    CatalogAoi,
    /// `GET /aoi/`
    ListAois,
    /// `GET /aoi/{aoi}`
    GetAoi,
    /// `POST /aoi/{aoi}`
    CreateAoi,
    /// `DELETE /aoi/{aoi}`
    DeleteAoi,
    /// `GET /aoi/{aoi}/dot`
    AoiDot,
    /// `POST /aoi/{aoi}/scene`
    IngestScene,
    /// `GET /aoi/{aoi}/scenes`
    AoiScenes,
    /// `GET /aoi/{aoi}/scenes/{status}`
    AoiScenesByStatus,
    /// `GET /aoi/{aoi}/tiles/{status}`
    AoiTiles,
    /// `GET /aoi/{aoi}/roottiles`
    RootTiles,
    /// `GET /aoi/{aoi}/leaftiles`
    LeafTiles,
    /// `PUT /aoi/{aoi}/retry`
    RetryAoi,
    /// `PUT /aoi/{aoi}/retry/{force}`
    ForceRetryAoi,
    /// `GET /scene/{id}`
    GetScene,
    /// `PUT /scene/{id}/data`
    SceneData,
    /// `GET /scene/{id}/tiles`
    SceneTiles,
    /// `PUT /scene/{id}/retry`
    RetryScene,
    /// `PUT /scene/{id}/fail`
    FailScene,
    /// `PUT /scene/{id}/force/{status}`
    ForceScene,
    /// `GET /tile/{id}`
    GetTile,
    /// `PUT /tile/{id}/data`
    TileData,
    /// `PUT /tile/{id}/retry`
    RetryTile,
    /// `PUT /tile/{id}/fail`
    FailTile,
    /// `PUT /tile/{id}/force/{status}`
    ForceTile,
    /// `GET /variables`
    ListVariables,
    /// `POST /variables`
    CreateVariable,
    /// `GET /variables/{name}`
    GetVariable,
    /// `POST /variables/{name}/instances`
    CreateInstance,
    /// `GET /records` (`?aoi=`, `page`, `limit`)
    ListRecords,
    /// `GET /records/{id}`: a record and its datasets.
    GetRecord,
}

/// The Lambda functions the ingestion endpoints are grouped into.
pub const FUNCTIONS: [&str; 5] = [
    "ingest-catalog",
    "ingest-start",
    "ingest-status",
    "ingest-control",
    "ingest-registry",
];

impl IngestEndpoint {
    /// All endpoints.
    pub const ALL: [IngestEndpoint; 36] = [
        IngestEndpoint::Status,
        IngestEndpoint::CatalogScenesGet,
        IngestEndpoint::CatalogScenes,
        IngestEndpoint::CatalogTilesGet,
        IngestEndpoint::CatalogTiles,
        IngestEndpoint::CatalogAoi,
        IngestEndpoint::ListAois,
        IngestEndpoint::GetAoi,
        IngestEndpoint::CreateAoi,
        IngestEndpoint::DeleteAoi,
        IngestEndpoint::AoiDot,
        IngestEndpoint::IngestScene,
        IngestEndpoint::AoiScenes,
        IngestEndpoint::AoiScenesByStatus,
        IngestEndpoint::AoiTiles,
        IngestEndpoint::RootTiles,
        IngestEndpoint::LeafTiles,
        IngestEndpoint::RetryAoi,
        IngestEndpoint::ForceRetryAoi,
        IngestEndpoint::GetScene,
        IngestEndpoint::SceneData,
        IngestEndpoint::SceneTiles,
        IngestEndpoint::RetryScene,
        IngestEndpoint::FailScene,
        IngestEndpoint::ForceScene,
        IngestEndpoint::GetTile,
        IngestEndpoint::TileData,
        IngestEndpoint::RetryTile,
        IngestEndpoint::FailTile,
        IngestEndpoint::ForceTile,
        IngestEndpoint::ListVariables,
        IngestEndpoint::CreateVariable,
        IngestEndpoint::GetVariable,
        IngestEndpoint::CreateInstance,
        IngestEndpoint::ListRecords,
        IngestEndpoint::GetRecord,
    ];

    /// HTTP method.
    pub fn method(self) -> Method {
        use IngestEndpoint::*;
        match self {
            CatalogScenes | CatalogTiles | CatalogAoi | CreateAoi | IngestScene
            | CreateVariable | CreateInstance => Method::POST,
            DeleteAoi => Method::DELETE,
            RetryAoi | ForceRetryAoi | SceneData | RetryScene | FailScene | ForceScene
            | TileData | RetryTile | FailTile | ForceTile => Method::PUT,
            _ => Method::GET,
        }
    }

    /// Path template (axum syntax).
    pub fn path(self) -> &'static str {
        use IngestEndpoint::*;
        match self {
            Status => "/ingester",
            CatalogScenesGet | CatalogScenes => "/catalog/scenes",
            CatalogTilesGet | CatalogTiles => "/catalog/tiles",
            CatalogAoi => "/catalog/aoi",
            ListAois => "/aoi/",
            GetAoi | CreateAoi | DeleteAoi => "/aoi/{aoi}",
            AoiDot => "/aoi/{aoi}/dot",
            IngestScene => "/aoi/{aoi}/scene",
            AoiScenes => "/aoi/{aoi}/scenes",
            AoiScenesByStatus => "/aoi/{aoi}/scenes/{status}",
            AoiTiles => "/aoi/{aoi}/tiles/{status}",
            RootTiles => "/aoi/{aoi}/roottiles",
            LeafTiles => "/aoi/{aoi}/leaftiles",
            RetryAoi => "/aoi/{aoi}/retry",
            ForceRetryAoi => "/aoi/{aoi}/retry/{force}",
            GetScene => "/scene/{id}",
            SceneData => "/scene/{id}/data",
            SceneTiles => "/scene/{id}/tiles",
            RetryScene => "/scene/{id}/retry",
            FailScene => "/scene/{id}/fail",
            ForceScene => "/scene/{id}/force/{status}",
            GetTile => "/tile/{id}",
            TileData => "/tile/{id}/data",
            RetryTile => "/tile/{id}/retry",
            FailTile => "/tile/{id}/fail",
            ForceTile => "/tile/{id}/force/{status}",
            ListVariables | CreateVariable => "/variables",
            GetVariable => "/variables/{name}",
            CreateInstance => "/variables/{name}/instances",
            ListRecords => "/records",
            GetRecord => "/records/{id}",
        }
    }

    /// The Lambda function serving the endpoint (one of [`FUNCTIONS`]).
    pub fn function(self) -> &'static str {
        use IngestEndpoint::*;
        match self {
            CatalogScenesGet | CatalogScenes | CatalogTilesGet | CatalogTiles => "ingest-catalog",
            CatalogAoi | IngestScene => "ingest-start",
            Status | ListAois | GetAoi | AoiDot | AoiScenes | AoiScenesByStatus | AoiTiles
            | RootTiles | LeafTiles | GetScene | SceneTiles | GetTile => "ingest-status",
            CreateAoi | DeleteAoi | RetryAoi | ForceRetryAoi | SceneData | RetryScene
            | FailScene | ForceScene | TileData | RetryTile | FailTile | ForceTile => {
                "ingest-control"
            }
            ListVariables | CreateVariable | GetVariable | CreateInstance | ListRecords
            | GetRecord => "ingest-registry",
        }
    }

    /// Adds the endpoint's route to a router.
    pub fn mount(self, router: Router<AppState>) -> Router<AppState> {
        use IngestEndpoint::*;
        use handlers as h;
        let path = self.path();
        match self {
            Status => router.route(path, get(h::status)),
            CatalogScenesGet => router.route(path, get(h::catalog_scenes).layer(form_limit())),
            CatalogScenes => router.route(path, post(h::catalog_scenes).layer(form_limit())),
            CatalogTilesGet => router.route(path, get(h::catalog_tiles).layer(form_limit())),
            CatalogTiles => router.route(path, post(h::catalog_tiles).layer(form_limit())),
            CatalogAoi => router.route(path, post(h::catalog_aoi).layer(form_limit())),
            ListAois => router
                .route(path, get(h::list_aois))
                .route("/aoi", get(h::list_aois)),
            GetAoi => router.route(path, get(h::get_aoi)),
            CreateAoi => router.route(path, post(h::create_aoi)),
            DeleteAoi => router.route(path, delete(h::delete_aoi)),
            AoiDot => router.route(path, get(h::aoi_dot)),
            IngestScene => router.route(path, post(h::ingest_scene)),
            AoiScenes => router.route(path, get(h::aoi_scenes)),
            AoiScenesByStatus => router.route(path, get(h::aoi_scenes_by_status)),
            AoiTiles => router.route(path, get(h::aoi_tiles)),
            RootTiles => router.route(path, get(h::root_tiles)),
            LeafTiles => router.route(path, get(h::leaf_tiles)),
            RetryAoi => router.route(path, put(h::retry_aoi)),
            ForceRetryAoi => router.route(path, put(h::force_retry_aoi)),
            GetScene => router.route(path, get(h::get_scene)),
            SceneData => router.route(path, put(h::scene_data)),
            SceneTiles => router.route(path, get(h::scene_tiles)),
            RetryScene => router.route(path, put(h::retry_scene)),
            FailScene => router.route(path, put(h::fail_scene)),
            ForceScene => router.route(path, put(h::force_scene)),
            GetTile => router.route(path, get(h::get_tile)),
            TileData => router.route(path, put(h::tile_data)),
            RetryTile => router.route(path, put(h::retry_tile)),
            FailTile => router.route(path, put(h::fail_tile)),
            ForceTile => router.route(path, put(h::force_tile)),
            ListVariables => router.route(path, get(h::list_variables)),
            CreateVariable => router.route(path, post(h::create_variable)),
            GetVariable => router.route(path, get(h::get_variable)),
            CreateInstance => router.route(path, post(h::create_instance)),
            ListRecords => router.route(path, get(h::list_records)),
            GetRecord => router.route(path, get(h::get_record)),
        }
    }
}

/// The body limit of the form routes (multipart bodies are otherwise cut at 2 MiB).
fn form_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(form::MAX_FORM_BYTES)
}

/// Mounts the endpoints of one Lambda function (see [`FUNCTIONS`]).
pub fn mount_function(router: Router<AppState>, function: &str) -> Router<AppState> {
    IngestEndpoint::ALL
        .iter()
        .filter(|e| e.function() == function)
        .fold(router, |r, e| e.mount(r))
}

/// Mounts every ingestion endpoint.
pub fn mount_all(router: Router<AppState>) -> Router<AppState> {
    IngestEndpoint::ALL.iter().fold(router, |r, e| e.mount(r))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_endpoint_is_unique_and_served_by_a_function() {
        let pairs: BTreeSet<(String, &str)> = IngestEndpoint::ALL
            .iter()
            .map(|e| (e.method().to_string(), e.path()))
            .collect();
        assert_eq!(pairs.len(), IngestEndpoint::ALL.len());
        for e in IngestEndpoint::ALL {
            assert!(FUNCTIONS.contains(&e.function()), "{e:?}");
        }
        for f in FUNCTIONS {
            let _ = mount_function(Router::new(), f);
        }
        let _ = mount_all(Router::new());
    }
}
