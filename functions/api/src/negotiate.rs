//! Content negotiation: JSON for clients, HTML for browsers.
//!
//! `?f=json` / `?f=html` win; otherwise `Accept` chooses HTML only when it ranks `text/html`
//! (or `application/xhtml+xml`) above every JSON type it names. A request without `Accept`, with
//! `*/*` or with a JSON type gets JSON, as clients and the OGC test suite expect.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::ACCEPT;
use axum::http::request::Parts;

use crate::error::ApiError;
use crate::extract::QueryPairs;

/// The representation a response is encoded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/json` (and the resource's own JSON types): the default.
    Json,
    /// `text/html`: the pages of the HTML conformance class.
    Html,
}

impl Format {
    /// The format of a request, from `f` first, then `Accept`.
    pub fn of(query: &QueryPairs, headers: &HeaderMap) -> Result<Self, ApiError> {
        match query.one("f")? {
            Some("json") => Ok(Format::Json),
            Some("html") => Ok(Format::Html),
            Some(other) => Err(ApiError::not_acceptable(format!(
                "format '{other}' is not offered; use f=json or f=html"
            ))),
            None => Ok(Self::from_accept(
                headers
                    .get_all(ACCEPT)
                    .iter()
                    .filter_map(|v| v.to_str().ok()),
            )),
        }
    }

    /// HTML when the `Accept` values rank an HTML type strictly above every JSON type.
    pub fn from_accept<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let (mut html, mut json) = (0.0f32, 0.0f32);
        for range in values.into_iter().flat_map(|v| v.split(',')) {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0)
                .clamp(0.0, 1.0);
            match media.as_str() {
                "text/html" | "application/xhtml+xml" => html = html.max(q),
                "application/json" | "application/*" => json = json.max(q),
                m if m.starts_with("application/") && m.ends_with("+json") => json = json.max(q),
                _ => {}
            }
        }
        if html > 0.0 && html > json {
            Format::Html
        } else {
            Format::Json
        }
    }

    /// True for HTML.
    pub fn is_html(self) -> bool {
        self == Format::Html
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Format {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let query = QueryPairs::from_request_parts(parts, state).await?;
        Format::of(&query, &parts.headers)
    }
}

/// `url` with `f={format}` set (any other `f` replaced), for `alternate` links.
pub fn with_format(url: &str, format: &str) -> String {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let mut ser = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()).filter(|(k, _)| k != "f") {
        ser.append_pair(&k, &v);
    }
    ser.append_pair("f", format);
    format!("{path}?{}", ser.finish())
}

#[cfg(test)]
mod tests {
    use super::{Format, with_format};

    #[test]
    fn browsers_get_html_clients_get_json() {
        let chrome = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,\
                      image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7";
        assert_eq!(Format::from_accept([chrome]), Format::Html);
        assert_eq!(Format::from_accept([]), Format::Json);
        assert_eq!(Format::from_accept(["*/*"]), Format::Json);
        assert_eq!(Format::from_accept(["application/json"]), Format::Json);
        assert_eq!(
            Format::from_accept(["text/html, application/json"]),
            Format::Json
        );
        assert_eq!(
            Format::from_accept(["application/json;q=0.5, text/html"]),
            Format::Html
        );
        assert_eq!(Format::from_accept(["text/html;q=0"]), Format::Json);
        assert_eq!(
            Format::from_accept(["application/geo+json, text/html;q=0.9"]),
            Format::Json
        );
        assert_eq!(Format::from_accept(["TEXT/HTML"]), Format::Html);
    }

    #[test]
    fn format_parameter_is_replaced() {
        assert_eq!(with_format("http://h/jobs", "html"), "http://h/jobs?f=html");
        assert_eq!(
            with_format("http://h/jobs?status=running&f=json&limit=2", "html"),
            "http://h/jobs?status=running&limit=2&f=html"
        );
    }
}
