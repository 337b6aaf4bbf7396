//! The endpoints. Each [`Endpoint`] mounts one method and path; [`all`] serves every endpoint
//! (the local server), [`single`] serves one (a Lambda function).

mod deploy;
mod execute;
mod jobs;
mod landing;
mod objects;
mod processes;

use axum::Router;
use axum::http::Method;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post, put};
use tower_http::cors::{Any, CorsLayer};

use crate::error::ApiError;
use crate::state::AppState;

/// Every endpoint of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `GET /`
    LandingPage,
    /// `GET /conformance`
    Conformance,
    /// `GET /api`
    ApiDefinition,
    /// `GET /processes`
    ListProcesses,
    /// `GET /processes/{processID}`
    DescribeProcess,
    /// `POST /processes/{processID}/execution`
    Execute,
    /// `GET /jobs`
    ListJobs,
    /// `GET /jobs/{jobID}`
    GetJob,
    /// `DELETE /jobs/{jobID}`
    DismissJob,
    /// `GET /jobs/{jobID}/results`
    GetResults,
    /// `GET /objects/{key}`: published files (results), with `Range` support.
    GetObject,
    /// `GET /quicklook/{key}`: a PNG of a published GeoTIFF for the results map.
    Quicklook,
    /// `GET /static/{path}`: the embedded stylesheet, script and map library of the pages.
    StaticAsset,
    /// `GET /ingestion`: the ingestion dashboard page.
    IngestDashboard,
    /// `POST /processes` (Part 2: deploy)
    DeployProcess,
    /// `PUT /processes/{processID}` (Part 2: replace)
    ReplaceProcess,
    /// `DELETE /processes/{processID}` (Part 2: undeploy)
    UndeployProcess,
    /// `GET /processes/{processID}/package` (Part 2)
    GetPackage,
}

impl Endpoint {
    /// All endpoints.
    pub const ALL: [Endpoint; 18] = [
        Endpoint::LandingPage,
        Endpoint::Conformance,
        Endpoint::ApiDefinition,
        Endpoint::ListProcesses,
        Endpoint::DescribeProcess,
        Endpoint::Execute,
        Endpoint::ListJobs,
        Endpoint::GetJob,
        Endpoint::DismissJob,
        Endpoint::GetResults,
        Endpoint::GetObject,
        Endpoint::Quicklook,
        Endpoint::StaticAsset,
        Endpoint::IngestDashboard,
        Endpoint::DeployProcess,
        Endpoint::ReplaceProcess,
        Endpoint::UndeployProcess,
        Endpoint::GetPackage,
    ];

    /// Kebab-case name, used for Lambda function and binary names.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::LandingPage => "landing-page",
            Endpoint::Conformance => "conformance",
            Endpoint::ApiDefinition => "api-definition",
            Endpoint::ListProcesses => "list-processes",
            Endpoint::DescribeProcess => "describe-process",
            Endpoint::Execute => "execute",
            Endpoint::ListJobs => "list-jobs",
            Endpoint::GetJob => "get-job",
            Endpoint::DismissJob => "dismiss-job",
            Endpoint::GetResults => "get-results",
            Endpoint::GetObject => "get-object",
            Endpoint::Quicklook => "quicklook",
            Endpoint::StaticAsset => "static-asset",
            Endpoint::IngestDashboard => "ingest-dashboard",
            Endpoint::DeployProcess => "deploy-process",
            Endpoint::ReplaceProcess => "replace-process",
            Endpoint::UndeployProcess => "undeploy-process",
            Endpoint::GetPackage => "get-package",
        }
    }

    /// HTTP method.
    pub fn method(self) -> Method {
        match self {
            Endpoint::Execute | Endpoint::DeployProcess => Method::POST,
            Endpoint::ReplaceProcess => Method::PUT,
            Endpoint::DismissJob | Endpoint::UndeployProcess => Method::DELETE,
            _ => Method::GET,
        }
    }

    /// Path template (axum syntax).
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::LandingPage => "/",
            Endpoint::Conformance => "/conformance",
            Endpoint::ApiDefinition => "/api",
            Endpoint::ListProcesses | Endpoint::DeployProcess => "/processes",
            Endpoint::DescribeProcess | Endpoint::ReplaceProcess | Endpoint::UndeployProcess => {
                "/processes/{processID}"
            }
            Endpoint::GetPackage => "/processes/{processID}/package",
            Endpoint::Execute => "/processes/{processID}/execution",
            Endpoint::ListJobs => "/jobs",
            Endpoint::GetJob | Endpoint::DismissJob => "/jobs/{jobID}",
            Endpoint::GetResults => "/jobs/{jobID}/results",
            Endpoint::GetObject => "/objects/{*key}",
            Endpoint::Quicklook => "/quicklook/{*key}",
            Endpoint::StaticAsset => "/static/{*path}",
            Endpoint::IngestDashboard => "/ingestion",
        }
    }

    fn mount(self, router: Router<AppState>) -> Router<AppState> {
        let path = self.path();
        match self {
            Endpoint::LandingPage => router.route(path, get(landing::landing_page)),
            Endpoint::Conformance => router.route(path, get(landing::conformance)),
            Endpoint::ApiDefinition => router.route(path, get(landing::api_definition)),
            Endpoint::ListProcesses => router.route(path, get(processes::list_processes)),
            Endpoint::DescribeProcess => router.route(path, get(processes::describe_process)),
            Endpoint::Execute => router.route(path, post(execute::execute)),
            Endpoint::ListJobs => router.route(path, get(jobs::list_jobs)),
            Endpoint::GetJob => router.route(path, get(jobs::get_job)),
            Endpoint::DismissJob => router.route(path, delete(jobs::dismiss_job)),
            Endpoint::GetResults => router.route(path, get(jobs::get_results)),
            Endpoint::GetObject => router.route(path, get(objects::get_object)),
            Endpoint::Quicklook => router.route(path, get(crate::quicklook::get_quicklook)),
            Endpoint::StaticAsset => router.route(path, get(crate::assets::get_asset)),
            Endpoint::IngestDashboard => router.route(path, get(landing::ingestion_dashboard)),
            Endpoint::DeployProcess => router.route(path, post(deploy::deploy)),
            Endpoint::ReplaceProcess => router.route(path, put(deploy::replace)),
            Endpoint::UndeployProcess => router.route(path, delete(deploy::undeploy)),
            Endpoint::GetPackage => router.route(path, get(deploy::get_package)),
        }
    }
}

/// Adds what every served router has: OGC exceptions for unknown paths and methods, CORS that
/// exposes the headers clients of this API read, `Vary: Accept` (JSON and HTML share URLs).
fn finish(router: Router<AppState>, state: AppState) -> Router {
    router
        .fallback(|| async { ApiError::not_found("no resource at this path") })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(axum::middleware::from_fn(run_to_completion))
        .layer(axum::middleware::map_response(vary_accept))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::auth::require_bearer,
        ))
        .layer(
            CorsLayer::new()
                .allow_origin(Any)
                .allow_methods(Any)
                .allow_headers(Any)
                .expose_headers([
                    axum::http::header::LOCATION,
                    axum::http::header::LINK,
                    axum::http::HeaderName::from_static("preference-applied"),
                ]),
        )
        .with_state(state)
}

/// Handles a request that changes state (POST, PUT, DELETE, PATCH) in a task of its own, so that
/// it finishes even when the client goes away mid-request: the server drops the request's
/// future on a disconnect, which would otherwise leave, say, a job created but never started.
async fn run_to_completion(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if req.method().is_safe() {
        return next.run(req).await;
    }
    match tokio::spawn(next.run(req)).await {
        Ok(resp) => resp,
        Err(e) => ApiError::internal(&e).into_response(),
    }
}

async fn vary_accept(mut resp: axum::response::Response) -> axum::response::Response {
    resp.headers_mut().append(
        axum::http::header::VARY,
        axum::http::HeaderValue::from_static("accept"),
    );
    resp
}

/// A router serving every endpoint (the local server), the ingestion endpoints included.
pub fn all(state: AppState) -> Router {
    let router = Endpoint::ALL.iter().fold(Router::new(), |r, e| e.mount(r));
    finish(crate::ingest::mount_all(router), state)
}

/// A router serving the ingestion endpoints of one Lambda function
/// (see [`crate::ingest::FUNCTIONS`]).
pub fn ingest_function(function: &str, state: AppState) -> Router {
    finish(
        crate::ingest::mount_function(Router::new(), function),
        state,
    )
}

/// A router serving one endpoint (one Lambda function).
pub fn single(endpoint: Endpoint, state: AppState) -> Router {
    finish(endpoint.mount(Router::new()), state)
}

/// A router for requests no endpoint takes (API Gateway's `$default` route on AWS): 405 for a
/// path an endpoint serves with another method, 404 for any other path; no handler runs.
pub fn unmatched(state: AppState) -> Router {
    let mut paths: Vec<&str> = Endpoint::ALL.iter().map(|e| e.path()).collect();
    paths.extend(crate::ingest::IngestEndpoint::ALL.iter().map(|e| e.path()));
    paths.push("/aoi");
    paths.sort_unstable();
    paths.dedup();
    let router = paths.into_iter().fold(Router::new(), |r, path| {
        r.route(path, axum::routing::MethodRouter::new())
    });
    finish(router, state)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::Endpoint;
    use super::landing::OPENAPI_DOCUMENT;

    #[test]
    fn openapi_describes_exactly_the_served_endpoints() {
        let doc: Value = serde_json::from_str(OPENAPI_DOCUMENT).expect("openapi.json is JSON");
        assert_eq!(doc["openapi"], "3.0.3");
        let mut documented = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for method in item.as_object().expect("path item").keys() {
                if ["get", "post", "put", "delete", "patch"].contains(&method.as_str()) {
                    documented.insert((method.to_uppercase(), path.clone()));
                }
            }
        }
        let served: BTreeSet<(String, String)> = Endpoint::ALL
            .iter()
            .map(|e| {
                (
                    e.method().to_string(),
                    e.path()
                        .replace("{*key}", "{key}")
                        .replace("{*path}", "{path}"),
                )
            })
            .collect();
        assert_eq!(documented, served);
    }

    #[test]
    fn endpoint_names_are_unique_kebab_case() {
        let names: BTreeSet<&str> = Endpoint::ALL.iter().map(|e| e.name()).collect();
        assert_eq!(names.len(), Endpoint::ALL.len());
        assert!(
            names
                .iter()
                .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '-'))
        );
    }
}
