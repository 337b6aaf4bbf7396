//! Stratus HTTP handlers. Each endpoint of OGC API - Processes is an axum [`axum::Router`]
//! built from an [`AppState`]: the local server merges them all ([`routes::all`]); each AWS
//! Lambda mounts one ([`routes::ENDPOINTS`]). Handlers only translate HTTP to the domain's
//! [`stratus_core::service::ProcessesService`] and back. The ingestion routes of
//! geocube-ingester are in [`ingest`]; bearer-token authentication covers every route but `/`
//! when tokens are configured ([`ApiConfig::bearer_tokens`]).

#![warn(missing_docs)]

mod assets;
mod auth;
mod error;
mod extract;
mod html;
pub mod ingest;
mod links;
mod negotiate;
mod prefer;
mod quicklook;
mod render;
pub mod routes;
mod state;

pub use auth::check as check_bearer;
pub use error::ApiError;
pub use negotiate::Format;
pub use prefer::parse_prefer;
pub use state::{ApiConfig, AppState};

/// The conformance classes Stratus claims; each is met by the routes of this crate.
pub const CONFORMANCE: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/ogc-process-description",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/json",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/job-list",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/dismiss",
    "http://www.opengis.net/spec/ogcapi-processes-1/1.0/conf/callback",
    "http://www.opengis.net/spec/ogcapi-processes-2/1.0/conf/deploy-replace-undeploy",
    "http://www.opengis.net/spec/ogcapi-processes-2/1.0/conf/ogcapppkg",
    "http://www.opengis.net/spec/ogcapi-processes-2/1.0/conf/cwl",
];
