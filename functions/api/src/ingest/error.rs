//! Errors of the ingestion routes: geocube-ingester's status codes, bodies as JSON strings.
//! Server errors other than domain preconditions carry a generic message and an error id that
//! is logged with the cause.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use stratus_ingest::Error;

/// An ingestion route's error.
#[derive(Debug)]
pub struct IngestError {
    status: StatusCode,
    message: String,
}

impl IngestError {
    /// An error with a status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        IngestError {
            status,
            message: message.into(),
        }
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<Error> for IngestError {
    fn from(e: Error) -> Self {
        let status = match &e {
            Error::Invalid(_) => StatusCode::BAD_REQUEST,
            Error::NotFound { .. } => StatusCode::NOT_FOUND,
            Error::AlreadyExists { .. } => StatusCode::CONFLICT,
            Error::Conflict { .. } => StatusCode::FORBIDDEN,
            Error::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::Precondition(_) | Error::Catalogue(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => {
                let id = uuid::Uuid::new_v4();
                tracing::error!(error_id = %id, error = %e, "ingestion route failed");
                return Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("the server failed to handle the request (error id {id})"),
                );
            }
        };
        if status.is_server_error() {
            tracing::warn!(error = %e, "ingestion route");
        }
        Self::new(status, e.to_string())
    }
}

impl IntoResponse for IngestError {
    fn into_response(self) -> Response {
        (self.status, Json(self.message)).into_response()
    }
}

/// Result of an ingestion handler.
pub type IngestResult<T> = Result<T, IngestError>;
