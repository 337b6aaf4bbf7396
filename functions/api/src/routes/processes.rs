//! The process list and process descriptions.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use stratus_core::process::ProcessDescription;

use crate::error::{ApiError, ApiResult};
use crate::extract::QueryPairs;
use crate::html;
use crate::links::{Base, HTML, JSON, link, ogc_rel};
use crate::negotiate::{Format, with_format};
use crate::state::AppState;

fn process_links(base: &Base, p: &ProcessDescription) -> Vec<Value> {
    let url = base.url(&format!("/processes/{}", p.id));
    vec![
        link(url.clone(), "self", JSON, "process description"),
        link(
            with_format(&url, "html"),
            "alternate",
            HTML,
            "process description as HTML",
        ),
        link(
            format!("{url}/execution"),
            &ogc_rel("execute"),
            JSON,
            "execute the process",
        ),
        link(
            base.url(&format!("/jobs?processID={}", p.id)),
            &ogc_rel("job-list"),
            JSON,
            "jobs of this process",
        ),
    ]
}

/// `GET /processes?limit=&offset=`: process summaries with paging links.
pub async fn list_processes(
    State(state): State<AppState>,
    base: Base,
    query: QueryPairs,
    format: Format,
) -> ApiResult<Response> {
    let limit = stratus_core::query::parse_limit(query.one("limit")?)? as usize;
    let offset = match query.one("offset")? {
        None => 0,
        Some(s) => s.parse::<usize>().map_err(|_| {
            ApiError::bad_request(format!("offset '{s}' is not a non-negative integer"))
        })?,
    };
    let (page, more) = state.service.ports.processes.list(offset, limit).await?;
    if format.is_html() {
        let url =
            |offset: usize| html::page(&base, &format!("/processes?limit={limit}&offset={offset}"));
        let prev = (offset > 0).then(|| url(offset.saturating_sub(limit)));
        let next = more.then(|| url(offset + limit));
        let list: Vec<&ProcessDescription> = page.iter().collect();
        let body = html::process_list_page(&base, &list, prev, next);
        return Ok(html::respond(StatusCode::OK, body));
    }
    let processes: Vec<Value> = page
        .iter()
        .map(|p| {
            let mut summary = p.summary();
            summary.insert("links".into(), Value::Array(process_links(&base, p)));
            Value::Object(summary)
        })
        .collect();
    let page_url = |offset: usize| base.url(&format!("/processes?limit={limit}&offset={offset}"));
    let mut links = vec![
        link(page_url(offset), "self", JSON, "this page"),
        link(
            with_format(&page_url(offset), "html"),
            "alternate",
            HTML,
            "this page as HTML",
        ),
    ];
    if more {
        links.push(link(page_url(offset + limit), "next", JSON, "next page"));
    }
    if offset > 0 {
        links.push(link(
            page_url(offset.saturating_sub(limit)),
            "prev",
            JSON,
            "previous page",
        ));
    }
    Ok(Json(json!({"processes": processes, "links": links})).into_response())
}

/// `GET /processes/{processID}`: the full description.
pub async fn describe_process(
    State(state): State<AppState>,
    Path(id): Path<String>,
    base: Base,
    format: Format,
) -> ApiResult<Response> {
    let process = state
        .service
        .ports
        .processes
        .get(&id)
        .await
        .map_err(|e| html::for_format(e.into(), format, &base))?;
    let desc = process.description();
    if format.is_html() {
        let body = html::process_page(&base, desc, state.config.basemap_url.as_deref());
        return Ok(html::respond(StatusCode::OK, body));
    }
    let mut doc = serde_json::to_value(desc)
        .map_err(|e| stratus_core::Error::backend("encode a process description", e))?;
    doc["links"] = Value::Array(process_links(&base, desc));
    Ok(Json(doc).into_response())
}
