//! The form fields of the `/catalog/*` routes: `multipart/form-data` (files or plain values),
//! `application/x-www-form-urlencoded`, or the query string, as Go's `FormValue`/`FormFile`
//! read them.

use std::collections::HashMap;

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header::CONTENT_TYPE;
use bytes::Bytes;

use super::error::IngestError;
use crate::state::AppState;

/// Largest form accepted (a scenes or tiles FeatureCollection of thousands of scenes).
pub const MAX_FORM_BYTES: usize = 64 * 1024 * 1024;

/// Form fields by name (the first value of each).
pub struct Form {
    fields: HashMap<String, Bytes>,
}

impl Form {
    /// A field's bytes, if present and not empty.
    pub fn get(&self, name: &str) -> Option<&Bytes> {
        self.fields.get(name).filter(|b| !b.is_empty())
    }
}

fn too_large() -> IngestError {
    IngestError::new(
        axum::http::StatusCode::PAYLOAD_TOO_LARGE,
        format!("the form exceeds the limit of {MAX_FORM_BYTES} bytes"),
    )
}

impl FromRequest<AppState> for Form {
    type Rejection = IngestError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let mut fields: HashMap<String, Bytes> = HashMap::new();
        if let Some(q) = req.uri().query() {
            for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
                fields
                    .entry(k.into_owned())
                    .or_insert_with(|| Bytes::from(v.into_owned()));
            }
        }
        let ct = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if ct.starts_with("multipart/form-data") {
            let mut mp = Multipart::from_request(req, state)
                .await
                .map_err(|e| IngestError::bad_request(format!("invalid multipart form: {e}")))?;
            let mut total = 0usize;
            while let Some(mut field) = mp
                .next_field()
                .await
                .map_err(|e| IngestError::bad_request(format!("invalid multipart form: {e}")))?
            {
                let name = field.name().unwrap_or_default().to_string();
                let mut buf = bytes::BytesMut::new();
                while let Some(chunk) = field
                    .chunk()
                    .await
                    .map_err(|e| IngestError::bad_request(format!("invalid multipart form: {e}")))?
                {
                    total += chunk.len();
                    if total > MAX_FORM_BYTES {
                        return Err(too_large());
                    }
                    buf.extend_from_slice(&chunk);
                }
                fields.insert(name, buf.freeze());
            }
        } else if ct.starts_with("application/x-www-form-urlencoded") {
            let body = axum::body::to_bytes(req.into_body(), MAX_FORM_BYTES)
                .await
                .map_err(|_| too_large())?;
            for (k, v) in url::form_urlencoded::parse(&body) {
                fields.insert(k.into_owned(), Bytes::from(v.into_owned()));
            }
        }
        Ok(Form { fields })
    }
}
