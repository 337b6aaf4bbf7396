//! The one HTTP error type: every failure becomes an RFC 7807 exception document with an OGC
//! exception `type`, served as `application/json` (the OGC test suite rejects
//! `application/problem+json`). Client errors carry detail; server errors carry a generic
//! message and an id that is logged with the cause.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use stratus_core::Error;
use stratus_core::job::FailureKind;

const E1: &str = "http://www.opengis.net/def/exceptions/ogcapi-processes-1/1.0/";
const E2: &str = "http://www.opengis.net/def/exceptions/ogcapi-processes-2/1.0/";

/// An HTTP error with its OGC exception type.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: String,
    title: &'static str,
    detail: String,
    /// Rendered as an HTML page for a client that asked for HTML (the base of its links).
    html: Option<crate::links::Base>,
}

impl ApiError {
    /// An error with an explicit status, exception type, title and detail.
    pub fn new(
        status: StatusCode,
        kind: impl Into<String>,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        ApiError {
            status,
            kind: kind.into(),
            title,
            detail: detail.into(),
            html: None,
        }
    }

    /// The same error, rendered as an HTML page (for a request that asked for HTML).
    pub fn in_html(mut self, base: &crate::links::Base) -> Self {
        self.html = Some(base.clone());
        self
    }

    /// 400 `InvalidParameterValue`.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "InvalidParameterValue",
            "Invalid parameter value",
            detail,
        )
    }

    /// 404 for a path that is no resource.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "NotFound", "Not found", detail)
    }

    /// 405 for a method a resource does not support.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "Method not allowed",
            "this resource does not support the request's method",
        )
    }

    /// 406 for a representation Stratus cannot produce.
    pub fn not_acceptable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_ACCEPTABLE,
            "NotAcceptable",
            "Not acceptable",
            detail,
        )
    }

    /// 415 for a request body of the wrong media type.
    pub fn unsupported_media_type(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("{E2}unsupported-media-type"),
            "Unsupported media type",
            detail,
        )
    }

    /// 413 for a request body over the limit.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PayloadTooLarge",
            "Payload too large",
            format!("the request body exceeds the limit of {limit} bytes"),
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub(crate) fn internal(source: &dyn std::fmt::Display) -> Self {
        let id = uuid::Uuid::new_v4();
        tracing::error!(error_id = %id, error = %source, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "NoApplicableCode",
            "Internal server error",
            format!("the server failed to handle the request (error id {id})"),
        )
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        use StatusCode as S;
        let detail = e.to_string();
        match e {
            Error::NoSuchProcess(_) => Self::new(
                S::NOT_FOUND,
                format!("{E1}no-such-process"),
                "No such process",
                detail,
            ),
            Error::NoSuchJob(_) => Self::new(
                S::NOT_FOUND,
                format!("{E1}no-such-job"),
                "No such job",
                detail,
            ),
            Error::ResultNotReady { .. } => Self::new(
                S::NOT_FOUND,
                format!("{E1}result-not-ready"),
                "Result not ready",
                detail,
            ),
            Error::JobDismissed(_) => Self::new(S::GONE, "JobDismissed", "Job dismissed", detail),
            Error::JobFailed { kind, message, .. } => match kind {
                FailureKind::InvalidInput => Self::bad_request(message),
                FailureKind::Upstream => Self::new(
                    S::BAD_GATEWAY,
                    "NoApplicableCode",
                    "A remote resource failed",
                    message,
                ),
                FailureKind::Timeout => Self::new(
                    S::GATEWAY_TIMEOUT,
                    "NoApplicableCode",
                    "The job timed out",
                    message,
                ),
                FailureKind::Internal => Self::new(
                    S::INTERNAL_SERVER_ERROR,
                    "NoApplicableCode",
                    "The job failed",
                    message,
                ),
            },
            Error::InvalidInput(_) | Error::InvalidParameter { .. } => Self::bad_request(detail),
            Error::Conflict { .. } | Error::AlreadyExists(_) => {
                Self::new(S::CONFLICT, "Conflict", "Conflict", detail)
            }
            Error::DuplicatedProcess(_) => Self::new(
                S::CONFLICT,
                format!("{E2}duplicated-process"),
                "Duplicated process",
                detail,
            ),
            Error::ImmutableProcess(_) => Self::new(
                S::FORBIDDEN,
                format!("{E2}immutable-process"),
                "Immutable process",
                detail,
            ),
            Error::InvalidPackage(_) => Self::bad_request(detail),
            Error::WorkflowNotFound(_) => Self::new(
                S::BAD_REQUEST,
                format!("{E2}workflow-not-found"),
                "Workflow not found",
                detail,
            ),
            Error::NotSupported(_) => Self::new(
                S::NOT_IMPLEMENTED,
                "NotImplemented",
                "Not implemented",
                detail,
            ),
            Error::NoSuchObject(_) => Self::not_found(detail),
            Error::TooLarge { .. } => Self::new(
                S::PAYLOAD_TOO_LARGE,
                "PayloadTooLarge",
                "Payload too large",
                detail,
            ),
            other => Self::internal(&other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(base) = &self.html {
            let page = crate::html::error_page(base, self.status, self.title, &self.detail);
            return crate::html::respond(self.status, page);
        }
        let body = json!({
            "type": self.kind,
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        let mut resp = (self.status, Json(body)).into_response();
        if self.status == StatusCode::PAYLOAD_TOO_LARGE {
            // The rest of the body was not read: tell the client not to reuse the connection.
            resp.headers_mut().insert(
                axum::http::header::CONNECTION,
                axum::http::HeaderValue::from_static("close"),
            );
        }
        resp
    }
}

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;
