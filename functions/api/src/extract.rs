//! Extractors whose rejections are OGC exceptions, like every other error.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde_json::Value;
use stratus_core::execute::Preferences;
use stratus_core::package::{PackageBody, PackageFormat};

use crate::error::ApiError;
use crate::links::Base;
use crate::prefer::parse_prefer;
use crate::state::AppState;

/// A JSON request body, size-limited by `ApiConfig::max_body_bytes`.
pub struct JsonBody(pub Value);

impl FromRequest<AppState> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let limit = state.config.max_body_bytes;
        if let Some(ct) = req.headers().get(CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
            let essence = ct.split(';').next().unwrap_or("").trim();
            if !(essence == "application/json" || essence.ends_with("+json") || essence.is_empty())
            {
                return Err(ApiError::unsupported_media_type(format!(
                    "the request body must be application/json, not '{essence}'"
                )));
            }
        }
        let bytes = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|e| {
                let too_large = std::error::Error::source(&e)
                    .is_some_and(|s| s.to_string().contains("length limit"))
                    || e.to_string().contains("length limit");
                if too_large {
                    ApiError::too_large(limit)
                } else {
                    ApiError::bad_request(format!("could not read the request body: {e}"))
                }
            })?;
        if bytes.is_empty() {
            return Err(ApiError::bad_request(
                "the request body is empty; send a JSON document",
            ));
        }
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::bad_request(format!("the request body is not valid JSON: {e}")))
    }
}

/// A deployment body (OGC API - Processes Part 2): a CWL document or an application package,
/// by its `Content-Type` (415 `unsupported-media-type` for any other; `application/json` is
/// read as an application package), size-limited like every body.
pub struct PackageRequest(pub PackageBody);

impl FromRequest<AppState> for PackageRequest {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let limit = state.config.max_body_bytes;
        let ct = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let essence = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let format = match PackageFormat::from_media_type(&essence) {
            Some(f) => f,
            None if essence == "application/json" => PackageFormat::AppPackage,
            None => {
                let offered: Vec<&str> =
                    PackageFormat::ALL.iter().map(|f| f.media_type()).collect();
                return Err(ApiError::unsupported_media_type(format!(
                    "a package must be sent as {}, not '{essence}'",
                    offered.join(", ")
                )));
            }
        };
        let bytes = axum::body::to_bytes(req.into_body(), limit)
            .await
            .map_err(|e| {
                let too_large = std::error::Error::source(&e)
                    .is_some_and(|s| s.to_string().contains("length limit"))
                    || e.to_string().contains("length limit");
                if too_large {
                    ApiError::too_large(limit)
                } else {
                    ApiError::bad_request(format!("could not read the request body: {e}"))
                }
            })?;
        if bytes.is_empty() {
            return Err(ApiError::bad_request(
                "the request body is empty; send a package",
            ));
        }
        Ok(PackageRequest(PackageBody { format, bytes }))
    }
}

/// The query string as ordered name/value pairs (names may repeat).
pub struct QueryPairs(pub Vec<(String, String)>);

impl QueryPairs {
    /// Every value of `name`, with comma-separated values split (`status=a,b` = `status=a&status=b`).
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .flat_map(|(_, v)| v.split(',').map(|s| s.trim().to_string()))
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// The single value of `name`; a repeated parameter is an error.
    pub fn one(&self, name: &str) -> Result<Option<&str>, ApiError> {
        let mut values = self
            .0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str());
        let first = values.next();
        if values.next().is_some() {
            return Err(ApiError::bad_request(format!(
                "parameter '{name}' is given more than once"
            )));
        }
        Ok(first)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        Ok(QueryPairs(
            url::form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }
}

impl FromRequestParts<AppState> for Base {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Base::from_request(&state.config, &parts.headers))
    }
}

/// The parsed `Prefer` headers.
pub struct Prefer(pub Preferences);

impl<S: Send + Sync> FromRequestParts<S> for Prefer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let values = parts
            .headers
            .get_all("prefer")
            .iter()
            .filter_map(|v| v.to_str().ok());
        Ok(Prefer(parse_prefer(values)))
    }
}
