//! OGC API - Processes Part 2 (Deploy, Replace, Undeploy): `POST /processes`,
//! `PUT /processes/{processID}`, `DELETE /processes/{processID}` and
//! `GET /processes/{processID}/package`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};
use stratus_core::package::{self, PackageBody, PackageFormat};

use crate::error::{ApiError, ApiResult};
use crate::extract::{PackageRequest, QueryPairs};
use crate::links::{Base, JSON, link, ogc_rel};
use crate::state::AppState;

/// `POST /processes?w=`: deploys a CWL document or an application package (201, `Location`
/// of the new process, its summary).
pub async fn deploy(
    State(state): State<AppState>,
    base: Base,
    query: QueryPairs,
    PackageRequest(body): PackageRequest,
) -> ApiResult<Response> {
    let workflow = query.one("w")?.map(str::to_string);
    let description = state.service.deploy(body, workflow.as_deref()).await?;
    let url = base.url(&format!("/processes/{}", description.id));
    let mut summary = description.summary();
    summary.insert(
        "links".into(),
        json!([
            link(url.clone(), "self", JSON, "process description"),
            link(
                format!("{url}/execution"),
                &ogc_rel("execute"),
                JSON,
                "execute the process"
            ),
            link(
                format!("{url}/package"),
                "http://www.opengis.net/def/rel/ogc/1.0/application-package",
                PackageFormat::CwlYaml.media_type(),
                "the application package"
            ),
        ]),
    );
    let mut resp = (StatusCode::CREATED, axum::Json(Value::Object(summary))).into_response();
    if let Ok(v) = HeaderValue::from_str(&url) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    Ok(resp)
}

/// `PUT /processes/{processID}?w=`: replaces a deployed process's package (204).
pub async fn replace(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: QueryPairs,
    PackageRequest(body): PackageRequest,
) -> ApiResult<StatusCode> {
    let workflow = query.one("w")?.map(str::to_string);
    state
        .service
        .replace(&id, body, workflow.as_deref())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /processes/{processID}`: undeploys a deployed process (204).
pub async fn undeploy(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.service.undeploy(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /processes/{processID}/package`: the package as deployed, byte for byte, in its media
/// type; `Accept: application/cwl+json` or `application/cwl+yaml` converts the CWL.
pub async fn get_package(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let stored = state.service.package(&id).await?;
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("*/*");
    let (bytes, format) = negotiate(accept, &stored.body, &stored.cwl)?;
    let mut resp = bytes.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.media_type()),
    );
    Ok(resp)
}

/// The representation `accept` asks for: the original body when it matches, a conversion of
/// the CWL otherwise.
fn negotiate(
    accept: &str,
    original: &PackageBody,
    cwl: &stratus_core::cwl::CwlPackage,
) -> ApiResult<(Bytes, PackageFormat)> {
    let yaml_original = matches!(original.format, PackageFormat::Cwl | PackageFormat::CwlYaml);
    for range in accept.split(',') {
        let essence = range
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let wanted = match essence.as_str() {
            "*/*" | "application/*" => return Ok((original.bytes.clone(), original.format)),
            "application/json" => PackageFormat::CwlJson,
            other => match PackageFormat::from_media_type(other) {
                Some(f) => f,
                None => continue,
            },
        };
        if wanted == original.format {
            return Ok((original.bytes.clone(), original.format));
        }
        return Ok(match wanted {
            PackageFormat::CwlJson => (package::convert(cwl, true), PackageFormat::CwlJson),
            PackageFormat::Cwl | PackageFormat::CwlYaml if yaml_original => {
                (original.bytes.clone(), original.format)
            }
            PackageFormat::Cwl | PackageFormat::CwlYaml => (package::convert(cwl, false), wanted),
            PackageFormat::AppPackage => {
                let doc = json!({"executionUnit": {"value": cwl.document,
                                                   "mediaType": PackageFormat::CwlJson.media_type()}});
                (
                    Bytes::from(serde_json::to_vec_pretty(&doc).unwrap_or_default()),
                    PackageFormat::AppPackage,
                )
            }
        });
    }
    Err(ApiError::not_acceptable(format!(
        "the package is offered as {}",
        PackageFormat::ALL.map(PackageFormat::media_type).join(", ")
    )))
}
