//! The process list and process descriptions.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};
use stratus_core::process::ProcessDescription;

use crate::error::{ApiError, ApiResult};
use crate::extract::{QueryPairs, require_json};
use crate::links::{Base, JSON, link, ogc_rel};
use crate::state::AppState;

fn process_links(base: &Base, p: &ProcessDescription) -> Vec<Value> {
    let url = base.url(&format!("/processes/{}", p.id));
    vec![
        link(url.clone(), "self", JSON, "process description"),
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
) -> ApiResult<Json<Value>> {
    require_json(&query)?;
    let limit = stratus_core::query::parse_limit(query.one("limit")?)? as usize;
    let offset = match query.one("offset")? {
        None => 0,
        Some(s) => s.parse::<usize>().map_err(|_| {
            ApiError::bad_request(format!("offset '{s}' is not a non-negative integer"))
        })?,
    };
    let (page, more) = state.service.ports.processes.list(offset, limit).await?;
    let processes: Vec<Value> = page
        .iter()
        .map(|p| {
            let mut summary = p.summary();
            summary.insert("links".into(), Value::Array(process_links(&base, p)));
            Value::Object(summary)
        })
        .collect();
    let page_url = |offset: usize| base.url(&format!("/processes?limit={limit}&offset={offset}"));
    let mut links = vec![link(page_url(offset), "self", JSON, "this page")];
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
    Ok(Json(json!({"processes": processes, "links": links})))
}

/// `GET /processes/{processID}`: the full description.
pub async fn describe_process(
    State(state): State<AppState>,
    Path(id): Path<String>,
    base: Base,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    require_json(&query)?;
    let process = state.service.ports.processes.get(&id).await?;
    let desc = process.description();
    let mut doc = serde_json::to_value(desc)
        .map_err(|e| stratus_core::Error::backend("encode a process description", e))?;
    doc["links"] = Value::Array(process_links(&base, desc));
    Ok(Json(doc))
}
