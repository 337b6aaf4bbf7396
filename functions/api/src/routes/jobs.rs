//! The job list, job status, results and dismissal.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use stratus_core::job::{JobKind, JobStatus};
use stratus_core::query::{JobQuery, PageToken, TimeRange, parse_limit};

use crate::error::{ApiError, ApiResult};
use crate::extract::QueryPairs;
use crate::html;
use crate::links::{Base, HTML, JSON, link};
use crate::negotiate::{Format, with_format};
use crate::render::{job_list_document, results_response, status_document};
use crate::state::AppState;

/// Most processes offered in the job list's process filter.
const MAX_PROCESS_CHOICES: usize = 1000;

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
    format: Format,
) -> ApiResult<Response> {
    if format.is_html() {
        return list_jobs_html(&state, &base, &query)
            .await
            .map_err(|e| e.in_html(&base));
    }
    let q = job_query(&query)?;
    let page = state.service.jobs(&q).await?;
    let self_url = page_url(&base, &query, q.page.as_ref());
    let mut links = vec![
        link(self_url.clone(), "self", JSON, "this page"),
        link(
            with_format(&self_url, "html"),
            "alternate",
            HTML,
            "this page as HTML",
        ),
    ];
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
    Ok(Json(job_list_document(jobs, links)).into_response())
}

/// The job list page: the same query, rendered with its filter form.
async fn list_jobs_html(state: &AppState, base: &Base, query: &QueryPairs) -> ApiResult<Response> {
    let q = job_query(query)?;
    let page = state.service.jobs(&q).await?;
    let (processes, _) = state
        .service
        .ports
        .processes
        .list(0, MAX_PROCESS_CHOICES)
        .await?;
    let html_url = |token| with_format(&page_url(base, query, token), "html");
    let jobs: Vec<Value> = page.jobs.iter().map(|j| status_document(j, base)).collect();
    let self_url = html_url(q.page.as_ref());
    let filters = html::JobFilters {
        statuses: query.all("status"),
        process_ids: query.all("processID"),
        known_processes: processes.into_iter().map(|p| p.id).collect(),
        limit: q.limit,
        url: &self_url,
    };
    let prev = page.prev.as_ref().map(|t| html_url(Some(t)));
    let next = page.next.as_ref().map(|t| html_url(Some(t)));
    let body = html::job_list_page(base, &jobs, &filters, prev, next);
    Ok(html::respond(StatusCode::OK, body))
}

/// `GET /jobs/{jobID}`: the status document.
pub async fn get_job(
    State(state): State<AppState>,
    Path(id): Path<String>,
    base: Base,
    format: Format,
) -> ApiResult<Response> {
    let job = state
        .service
        .job(&id)
        .await
        .map_err(|e| html::for_format(e.into(), format, &base))?;
    let doc = status_document(&job, &base);
    if format.is_html() {
        return Ok(html::respond(StatusCode::OK, html::job_page(&base, &doc)));
    }
    Ok(Json(doc).into_response())
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
    base: Base,
    format: Format,
) -> ApiResult<Response> {
    let (job, outputs) = state
        .service
        .results(&id)
        .await
        .map_err(|e| html::for_format(e.into(), format, &base))?;
    if format.is_html() {
        let view = html::ResultsView::build(&job, &outputs, &**state.objects(), &base)
            .await
            .map_err(|e| e.in_html(&base))?;
        let body = html::results_page(&base, &view, state.config.basemap_url.as_deref());
        return Ok(html::respond(StatusCode::OK, body));
    }
    results_response(&job, &outputs, &**state.objects()).await
}
