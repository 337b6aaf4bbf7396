//! The job list, job status, results and dismissal.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::Response;
use serde_json::Value;
use stratus_core::job::{JobKind, JobStatus};
use stratus_core::query::{JobQuery, PageToken, TimeRange, parse_limit};

use crate::error::{ApiError, ApiResult};
use crate::extract::{QueryPairs, require_json};
use crate::links::{Base, JSON, link};
use crate::render::{job_list_document, results_response, status_document};
use crate::state::AppState;

/// Most `processID` values one job list request may filter on.
const MAX_PROCESS_FILTER: usize = 100;

fn duration_param(query: &QueryPairs, name: &str) -> ApiResult<Option<i64>> {
    let values = query.all(name);
    let Some(first) = values.first() else {
        return Ok(None);
    };
    first
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
        .map(Some)
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "{name} '{first}' is not a non-negative number of seconds"
            ))
        })
}

/// Parses the job list parameters of OGC API - Processes 1.0 (job-list class).
fn job_query(query: &QueryPairs) -> ApiResult<JobQuery> {
    let statuses = query.all("status");
    let statuses = if statuses.is_empty() {
        JobStatus::LISTED_BY_DEFAULT.to_vec()
    } else {
        statuses
            .iter()
            .map(|s| s.parse::<JobStatus>())
            .collect::<Result<Vec<_>, _>>()?
    };
    let types = query.all("type");
    let kinds = if types.is_empty() {
        None
    } else {
        // Unknown job types match no job rather than failing the request.
        Some(
            types
                .iter()
                .filter_map(|t| t.parse::<JobKind>().ok())
                .collect(),
        )
    };
    let created = match query.one("datetime")? {
        Some(dt) => TimeRange::parse(dt)?,
        None => TimeRange::default(),
    };
    let page = query.one("page")?.map(PageToken::decode).transpose()?;
    let mut process_ids = query.all("processID");
    process_ids.sort();
    process_ids.dedup();
    if process_ids.len() > MAX_PROCESS_FILTER {
        return Err(ApiError::bad_request(format!(
            "at most {MAX_PROCESS_FILTER} processID values per request"
        )));
    }
    let mut statuses = statuses;
    statuses.sort_by_key(|s| s.as_str());
    statuses.dedup();
    Ok(JobQuery {
        kinds,
        process_ids,
        statuses,
        created,
        min_duration: duration_param(query, "minDuration")?,
        max_duration: duration_param(query, "maxDuration")?,
        limit: parse_limit(query.one("limit")?)?,
        page,
    })
}

/// The job list URL for the same filters at another page.
fn page_url(base: &Base, query: &QueryPairs, token: Option<&PageToken>) -> String {
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in query.0.iter().filter(|(k, _)| k != "page") {
        ser.append_pair(k, v);
    }
    if let Some(t) = token {
        ser.append_pair("page", &t.encode());
    }
    let qs = ser.finish();
    if qs.is_empty() {
        base.url("/jobs")
    } else {
        base.url(&format!("/jobs?{qs}"))
    }
}

/// `GET /jobs`: jobs newest first, filtered, with `next`/`prev` links.
pub async fn list_jobs(
    State(state): State<AppState>,
    base: Base,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    require_json(&query)?;
    let q = job_query(&query)?;
    let page = state.service.jobs(&q).await?;
    let mut links = vec![link(
        page_url(&base, &query, q.page.as_ref()),
        "self",
        JSON,
        "this page",
    )];
    if let Some(next) = &page.next {
        links.push(link(
            page_url(&base, &query, Some(next)),
            "next",
            JSON,
            "older jobs",
        ));
    }
    if let Some(prev) = &page.prev {
        links.push(link(
            page_url(&base, &query, Some(prev)),
            "prev",
            JSON,
            "newer jobs",
        ));
    }
    let jobs = page
        .jobs
        .iter()
        .map(|j| status_document(j, &base))
        .collect();
    Ok(Json(job_list_document(jobs, links)))
}

/// `GET /jobs/{jobID}`: the status document.
pub async fn get_job(
    State(state): State<AppState>,
    Path(id): Path<String>,
    base: Base,
    query: QueryPairs,
) -> ApiResult<Json<Value>> {
    require_json(&query)?;
    let job = state.service.job(&id).await?;
    Ok(Json(status_document(&job, &base)))
}

/// `DELETE /jobs/{jobID}`: dismisses the job (stops it, removes its outputs).
pub async fn dismiss_job(
    State(state): State<AppState>,
    Path(id): Path<String>,
    base: Base,
) -> ApiResult<Json<Value>> {
    let job = state.service.dismiss(&id).await?;
    Ok(Json(status_document(&job, &base)))
}

/// `GET /jobs/{jobID}/results`: the outputs of a successful job, as its execute request asked.
pub async fn get_results(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: QueryPairs,
) -> ApiResult<Response> {
    require_json(&query)?;
    let (job, outputs) = state.service.results(&id).await?;
    results_response(&job, &outputs, &**state.objects()).await
}
