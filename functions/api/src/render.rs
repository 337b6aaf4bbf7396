//! Documents with links, and results in the shape the execute request asked for (the response
//! matrix of OGC API - Processes 1.0, requirements `/req/core/process-execute-sync-*` and
//! `/req/core/job-results-*`).

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};
use stratus_core::documents::{output_entry, status_info};
use stratus_core::execute::ResponseMode;
use stratus_core::job::{Job, JobStatus};
use stratus_core::ports::ObjectStore;
use stratus_core::process::TransmissionMode;
use stratus_core::results::{OutputValue, Outputs};

use crate::error::{ApiError, ApiResult};
use crate::links::{Base, HTML, JSON, link, ogc_rel};
use crate::negotiate::with_format;

/// The status document of a job with its links: `self`, `up` (the job list); `status` and
/// `monitor` while it is not finished; the results link only when it succeeded.
pub fn status_document(job: &Job, base: &Base) -> Value {
    let mut doc = status_info(job);
    let job_url = base.url(&format!("/jobs/{}", job.id));
    let mut links = vec![
        link(job_url.clone(), "self", JSON, "this status document"),
        link(
            with_format(&job_url, "html"),
            "alternate",
            HTML,
            "the job page",
        ),
        link(base.url("/jobs"), "up", JSON, "the job list"),
    ];
    if !job.status.is_terminal() {
        links.push(link(job_url.clone(), "status", JSON, "job status"));
        links.push(link(job_url, "monitor", JSON, "monitor the job"));
    }
    if job.status == JobStatus::Successful {
        links.push(link(
            base.url(&format!("/jobs/{}/results", job.id)),
            &ogc_rel("results"),
            JSON,
            "job results",
        ));
    }
    links.push(link(
        base.url(&format!("/processes/{}", job.process_id)),
        &ogc_rel("processes"),
        JSON,
        "the process",
    ));
    doc.insert("links".into(), Value::Array(links));
    Value::Object(doc)
}

/// Renders a successful job's outputs as its execute request asked.
pub async fn results_response(
    job: &Job,
    outputs: &Outputs,
    objects: &dyn ObjectStore,
) -> ApiResult<Response> {
    if job.delivery.response == ResponseMode::Document {
        let doc = stratus_core::documents::results_document(outputs, objects).await?;
        return Ok((StatusCode::OK, axum::Json(doc)).into_response());
    }
    let selected: Vec<(&String, &OutputValue, TransmissionMode)> = outputs
        .iter()
        .map(|(id, out)| {
            let mode = job.delivery.outputs.get(id).copied().unwrap_or_default();
            (id, out, mode)
        })
        .collect();
    if selected.is_empty() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    if selected
        .iter()
        .all(|(_, _, m)| *m == TransmissionMode::Reference)
    {
        let mut resp = StatusCode::NO_CONTENT.into_response();
        for (id, out, _) in &selected {
            let (href, media_type) = reference_of(out, objects).await?;
            let value = format!(
                "<{href}>; rel=\"{}\"; type=\"{media_type}\"; title=\"{id}\"",
                ogc_rel("results")
            );
            if let Ok(v) = HeaderValue::from_str(&value) {
                resp.headers_mut().append(header::LINK, v);
            }
        }
        return Ok(resp);
    }
    if let [(_, out, TransmissionMode::Value)] = selected.as_slice() {
        let (body, media_type) = raw_value(out, objects).await?;
        return Ok(bytes_response(body, &media_type));
    }
    multipart(&selected, objects).await
}

fn bytes_response(body: Vec<u8>, media_type: &str) -> Response {
    let mut resp = Response::new(Body::from(body));
    if let Ok(v) = HeaderValue::from_str(media_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp
}

async fn reference_of(out: &OutputValue, objects: &dyn ObjectStore) -> ApiResult<(String, String)> {
    match out {
        OutputValue::Stored { key, media_type } => {
            Ok((objects.download_url(key).await?, media_type.clone()))
        }
        inline => {
            // Only reachable for outputs selected by reference that a process kept inline.
            let entry = output_entry(inline, objects).await?;
            Err(ApiError::from(stratus_core::Error::backend(
                "render a reference",
                format!("output is inline: {entry}"),
            )))
        }
    }
}

/// The bytes and media type of an output returned by value.
async fn raw_value(out: &OutputValue, objects: &dyn ObjectStore) -> ApiResult<(Vec<u8>, String)> {
    match out {
        OutputValue::Inline {
            value,
            media_type,
            encoding,
        } => match (value, encoding.as_deref()) {
            (Value::String(s), Some("base64")) => {
                let body = base64::engine::general_purpose::STANDARD
                    .decode(s)
                    .map_err(|e| {
                        ApiError::from(stratus_core::Error::backend("decode output", e))
                    })?;
                Ok((
                    body,
                    media_type
                        .clone()
                        .unwrap_or_else(|| "application/octet-stream".into()),
                ))
            }
            (Value::String(s), _) if media_type.as_deref().is_some_and(|m| !m.contains("json")) => {
                Ok((
                    s.clone().into_bytes(),
                    media_type.clone().unwrap_or_default(),
                ))
            }
            (v, _) => Ok((
                serde_json::to_vec(v).unwrap_or_default(),
                media_type.clone().unwrap_or_else(|| JSON.into()),
            )),
        },
        OutputValue::Stored { key, media_type } => {
            let (body, _) = objects.get(key).await?;
            Ok((body.to_vec(), media_type.clone()))
        }
    }
}

async fn multipart(
    selected: &[(&String, &OutputValue, TransmissionMode)],
    objects: &dyn ObjectStore,
) -> ApiResult<Response> {
    let boundary = format!("stratus-{}", uuid::Uuid::new_v4().simple());
    let mut body: Vec<u8> = Vec::new();
    for (id, out, mode) in selected {
        body.extend_from_slice(format!("--{boundary}\r\nContent-ID: <{id}>\r\n").as_bytes());
        match mode {
            TransmissionMode::Reference => {
                let (href, media_type) = reference_of(out, objects).await?;
                body.extend_from_slice(
                    format!("Content-Type: {media_type}\r\nContent-Location: {href}\r\n\r\n\r\n")
                        .as_bytes(),
                );
            }
            TransmissionMode::Value => {
                let (bytes, media_type) = raw_value(out, objects).await?;
                body.extend_from_slice(format!("Content-Type: {media_type}\r\n\r\n").as_bytes());
                body.extend_from_slice(&bytes);
                body.extend_from_slice(b"\r\n");
            }
        }
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Ok(bytes_response(
        body,
        &format!("multipart/related; boundary={boundary}"),
    ))
}

/// The response to a failed job's results (or a failed synchronous execution).
pub fn failure_response(job: &Job) -> Response {
    match stratus_core::service::outputs_ready(job) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// A JSON response with links for the job list.
pub fn job_list_document(jobs: Vec<Value>, links: Vec<Value>) -> Value {
    json!({"jobs": jobs, "links": links})
}
