//! `GET /objects/{key}`: files a job published (`results/...`), with single byte-range support
//! so COG readers can fetch only the tiles they need. With `ApiConfig::redirect_objects` (AWS)
//! the answer is a 302 to the object store's download URL, which serves ranges itself.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Only published results and sample data are served; job internals (requests, plans) are not.
const SERVED_PREFIXES: [&str; 2] = ["results/", "samples/"];

/// A parsed `Range: bytes=...` header against an object of `size` bytes.
fn parse_range(value: &str, size: u64) -> Option<std::ops::Range<u64>> {
    let spec = value.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().ok()?;
            (size.saturating_sub(n), size)
        }
        (start, "") => (start.parse().ok()?, size),
        (start, end) => (
            start.parse().ok()?,
            end.parse::<u64>().ok()?.saturating_add(1),
        ),
    };
    let end = end.min(size);
    (start < end).then_some(start..end)
}

/// Serves an object, whole or one byte range.
pub async fn get_object(
    State(state): State<AppState>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if !SERVED_PREFIXES.iter().any(|p| key.starts_with(p)) {
        return Err(ApiError::not_found(format!("no published object '{key}'")));
    }
    let objects = state.objects();
    let meta = objects.head(&key).await?;
    if state.config.redirect_objects {
        let url = objects.download_url(&key).await?;
        let location = HeaderValue::from_str(&url).map_err(|e| {
            ApiError::from(stratus_core::Error::backend("redirect to an object", e))
        })?;
        return Ok((StatusCode::FOUND, [(header::LOCATION, location)]).into_response());
    }
    let content_type = HeaderValue::from_str(&meta.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let range_header = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let mut resp = match range_header {
        Some(r) => match parse_range(r, meta.size) {
            Some(range) => {
                let body = objects.get_range(&key, range.clone()).await?;
                let mut resp = (StatusCode::PARTIAL_CONTENT, Body::from(body)).into_response();
                let cr = format!("bytes {}-{}/{}", range.start, range.end - 1, meta.size);
                if let Ok(v) = HeaderValue::from_str(&cr) {
                    resp.headers_mut().insert(header::CONTENT_RANGE, v);
                }
                resp
            }
            None => {
                let mut resp = ApiError::new(
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    "RangeNotSatisfiable",
                    "Range not satisfiable",
                    format!(
                        "'{r}' is not a single satisfiable byte range of {} bytes",
                        meta.size
                    ),
                )
                .into_response();
                if let Ok(v) = HeaderValue::from_str(&format!("bytes */{}", meta.size)) {
                    resp.headers_mut().insert(header::CONTENT_RANGE, v);
                }
                return Ok(resp);
            }
        },
        None => {
            let (body, _) = objects.get(&key).await?;
            (StatusCode::OK, Body::from(body)).into_response()
        }
    };
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, content_type);
    resp.headers_mut()
        .insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some(0..10));
        assert_eq!(parse_range("bytes=90-", 100), Some(90..100));
        assert_eq!(parse_range("bytes=-10", 100), Some(90..100));
        assert_eq!(parse_range("bytes=95-200", 100), Some(95..100));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }
}
