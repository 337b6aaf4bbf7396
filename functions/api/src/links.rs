//! Absolute links: the base URL of a request and the `links` arrays of documents.

use axum::http::HeaderMap;
use serde_json::{Value, json};

use crate::state::ApiConfig;

/// The base URL (scheme, host, optional path prefix; no trailing slash) links are built on.
#[derive(Debug, Clone)]
pub struct Base(pub String);

impl Base {
    /// From the configuration, else from the request's forwarding and `Host` headers.
    pub fn from_request(config: &ApiConfig, headers: &HeaderMap) -> Self {
        if let Some(url) = &config.public_url {
            return Base(url.trim_end_matches('/').to_string());
        }
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(str::trim)
                .filter(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_graphic()))
        };
        let proto = match header("x-forwarded-proto") {
            Some("https") => "https",
            _ => "http",
        };
        let host = header("x-forwarded-host")
            .or_else(|| header("host"))
            .unwrap_or("localhost");
        Base(format!("{proto}://{host}"))
    }

    /// `{base}{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

/// A link object.
pub fn link(href: String, rel: &str, media_type: &str, title: &str) -> Value {
    json!({"href": href, "rel": rel, "type": media_type, "title": title})
}

/// OGC link relation `http://www.opengis.net/def/rel/ogc/1.0/{name}`.
pub fn ogc_rel(name: &str) -> String {
    format!("http://www.opengis.net/def/rel/ogc/1.0/{name}")
}

/// Media type of JSON documents.
pub const JSON: &str = "application/json";
/// Media type of the HTML pages.
pub const HTML: &str = "text/html";
/// Media type of the OpenAPI document.
pub const OPENAPI: &str = "application/vnd.oai.openapi+json;version=3.0";
