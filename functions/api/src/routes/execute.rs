//! `POST /processes/{processID}/execution`.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use stratus_core::execute::ExecutionMode;
use stratus_core::job::JobStatus;

use crate::error::ApiResult;
use crate::extract::{JsonBody, Prefer};
use crate::links::Base;
use crate::render::{failure_response, results_response, status_document};
use crate::state::AppState;

/// Executes a process: asynchronously (201, `Location` of the job, status document) or
/// synchronously (the results as the request's `response` and `transmissionMode` ask).
pub async fn execute(
    State(state): State<AppState>,
    Path(process_id): Path<String>,
    base: Base,
    Prefer(prefs): Prefer,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let execution = state.service.execute(&process_id, &body, &prefs).await?;
    let job = execution.job;
    let job_url = base.url(&format!("/jobs/{}", job.id));
    let mut resp = match execution.mode {
        ExecutionMode::Async => {
            let mut resp = (
                StatusCode::CREATED,
                axum::Json(status_document(&job, &base)),
            )
                .into_response();
            if let Ok(v) = HeaderValue::from_str(&job_url) {
                resp.headers_mut().insert(header::LOCATION, v);
            }
            if execution.async_preference_applied {
                resp.headers_mut().insert(
                    "preference-applied",
                    HeaderValue::from_static("respond-async"),
                );
            }
            resp
        }
        ExecutionMode::Sync if job.status == JobStatus::Successful => {
            let (job, outputs) = state.service.results(job.id.as_str()).await?;
            results_response(&job, &outputs, &**state.objects()).await?
        }
        ExecutionMode::Sync => failure_response(&job),
    };
    if execution.mode == ExecutionMode::Sync
        && state.config.sync_monitor_link
        && let Ok(v) = HeaderValue::from_str(&format!("<{job_url}>; rel=monitor"))
    {
        resp.headers_mut().insert(header::LINK, v);
    }
    Ok(resp)
}
