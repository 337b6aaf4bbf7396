//! Landing page, conformance declaration and API definition.

use axum::Json;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use crate::CONFORMANCE;
use crate::error::ApiResult;
use crate::extract::{QueryPairs, require_json};
use crate::links::{Base, JSON, OPENAPI, link, ogc_rel};
use crate::state::AppState;

/// The OpenAPI 3.0 document of this API, kept in sync with [`super::Endpoint`] by a test.
pub const OPENAPI_DOCUMENT: &str = include_str!("../../openapi.json");

/// `GET /`: the landing page (OGC API - Processes 1.0, /req/core/landingpage-success).
pub async fn landing_page(
    State(state): State<AppState>,
    base: Base,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    require_json(&query)?;
    Ok(Json(json!({
        "title": state.config.title,
        "description": "Serverless Earth-observation processing: OGC API - Processes on AWS Lambda or one local binary.",
        "links": [
            link(base.url("/"), "self", JSON, "this document"),
            link(base.url("/api"), "service-desc", OPENAPI, "the API definition"),
            link(base.url("/conformance"), "conformance", JSON, "conformance classes"),
            link(base.url("/conformance"), &ogc_rel("conformance"), JSON, "conformance classes"),
            link(base.url("/processes"), &ogc_rel("processes"), JSON, "the processes"),
            link(base.url("/jobs"), &ogc_rel("job-list"), JSON, "the jobs"),
        ]
    })))
}

/// `GET /conformance`: the conformance classes Stratus meets.
pub async fn conformance(query: QueryPairs) -> ApiResult<Json<Value>> {
    require_json(&query)?;
    Ok(Json(json!({ "conformsTo": CONFORMANCE })))
}

/// `GET /api`: the OpenAPI 3.0 definition, with this server's URL.
pub async fn api_definition(base: Base, query: QueryPairs) -> ApiResult<impl IntoResponse> {
    require_json(&query)?;
    let mut doc: Value = serde_json::from_str(OPENAPI_DOCUMENT)
        .map_err(|e| stratus_core::Error::backend("parse the OpenAPI document", e))?;
    doc["servers"] = json!([{"url": base.url("")}]);
    Ok(([(CONTENT_TYPE, OPENAPI)], Json(doc)))
}
