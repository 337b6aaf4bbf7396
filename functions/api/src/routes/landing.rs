//! Landing page, conformance declaration and API definition.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::CONFORMANCE;
use crate::error::ApiResult;
use crate::html;
use crate::links::{Base, HTML, JSON, OPENAPI, link, ogc_rel};
use crate::negotiate::{Format, with_format};
use crate::state::AppState;

/// What the landing page says Stratus is.
const DESCRIPTION: &str = "Serverless Earth-observation processing: OGC API - Processes on AWS Lambda or one local binary.";

/// The OpenAPI 3.0 document of this API, kept in sync with [`super::Endpoint`] by a test.
pub const OPENAPI_DOCUMENT: &str = include_str!("../../openapi.json");

/// `GET /`: the landing page (OGC API - Processes 1.0, /req/core/landingpage-success).
pub async fn landing_page(
    State(state): State<AppState>,
    base: Base,
    format: Format,
) -> ApiResult<Response> {
    let doc = json!({
        "title": state.config.title,
        "description": DESCRIPTION,
        "links": [
            link(base.url("/"), "self", JSON, "this document"),
            link(with_format(&base.url("/"), "html"), "alternate", HTML, "this document as HTML"),
            link(base.url("/api"), "service-desc", OPENAPI, "the API definition"),
            link(with_format(&base.url("/api"), "html"), "service-doc", HTML, "the API documentation"),
            link(base.url("/conformance"), "conformance", JSON, "conformance classes"),
            link(base.url("/conformance"), &ogc_rel("conformance"), JSON, "conformance classes"),
            link(base.url("/processes"), &ogc_rel("processes"), JSON, "the processes"),
            link(base.url("/jobs"), &ogc_rel("job-list"), JSON, "the jobs"),
        ]
    });
    if format.is_html() {
        let links = doc["links"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default();
        let page = html::landing_page(&base, &state.config.title, DESCRIPTION, links);
        return Ok(html::respond(StatusCode::OK, page));
    }
    Ok(Json(doc).into_response())
}

/// `GET /ingestion`: the ingestion dashboard, a page whatever the `Accept` (its JSON is the
/// ingestion routes it reads, `GET /aoi/` first).
pub async fn ingestion_dashboard(State(state): State<AppState>, base: Base) -> Response {
    let page = html::ingestion_page(&base, state.config.basemap_url.as_deref());
    html::respond(StatusCode::OK, page)
}

/// `GET /conformance`: the conformance classes Stratus meets.
pub async fn conformance(base: Base, format: Format) -> ApiResult<Response> {
    if format.is_html() {
        let page = html::conformance_page(&base, CONFORMANCE);
        return Ok(html::respond(StatusCode::OK, page));
    }
    let url = base.url("/conformance");
    Ok(Json(json!({
        "conformsTo": CONFORMANCE,
        "links": [
            link(url.clone(), "self", JSON, "this document"),
            link(with_format(&url, "html"), "alternate", HTML, "this document as HTML"),
        ]
    }))
    .into_response())
}

/// `GET /api`: the OpenAPI 3.0 definition, with this server's URL.
pub async fn api_definition(base: Base, format: Format) -> ApiResult<Response> {
    let mut doc: Value = serde_json::from_str(OPENAPI_DOCUMENT)
        .map_err(|e| stratus_core::Error::backend("parse the OpenAPI document", e))?;
    doc["servers"] = json!([{"url": base.url("")}]);
    if format.is_html() {
        return Ok(html::respond(
            StatusCode::OK,
            html::api_doc_page(&base, &doc),
        ));
    }
    Ok(([(CONTENT_TYPE, OPENAPI)], Json(doc)).into_response())
}
