//! The HTML encoding of every resource (conformance class `html`): small server-rendered pages
//! built with `maud` (compile-time checked, every interpolated value escaped), a shared layout
//! linking the JSON twin of each page, and the embedded scripts that add the map, the execute
//! form and live job status on top.

mod api_doc;
mod ingestion;
mod jobs;
mod landing;
mod processes;
mod results;

pub use api_doc::api_doc_page;
pub use ingestion::ingestion_page;
pub use jobs::{JobFilters, job_list_page, job_page};
pub use landing::{conformance_page, landing_page};
pub use processes::{process_list_page, process_page};
pub use results::{ResultsView, results_page};

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use serde_json::Value;

use crate::assets::asset_url;
use crate::error::ApiError;
use crate::links::Base;
use crate::negotiate::{Format, with_format};

/// Media type of the pages.
pub const HTML: &str = "text/html; charset=utf-8";

/// What every page has besides its body.
pub struct Page<'a> {
    /// Request base URL.
    pub base: &'a Base,
    /// `<title>` and `<h1>`.
    pub title: String,
    /// URL of this resource (its JSON twin is this with `f=json`).
    pub url: String,
    /// Breadcrumb trail above the title: (label, URL) pairs, the page itself excluded.
    pub trail: Vec<(String, String)>,
    /// Loads the map library.
    pub map: bool,
    /// `data-page` of `<body>`: which script part runs.
    pub kind: &'static str,
    /// JSON handed to the script (`<script type="application/json" id="page-data">`).
    pub data: Option<Value>,
    /// Basemap tile URL template, when configured.
    pub basemap: Option<&'a str>,
}

impl Page<'_> {
    /// The page around `body`.
    pub fn render(self, body: Markup) -> Markup {
        let base = self.base;
        let json_url = with_format(&self.url, "json");
        html! {
            (DOCTYPE)
            html lang="en" {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    title {
                        (self.title)
                        @if self.kind != "landing" { " – Stratus" }
                    }
                    link rel="stylesheet" href=(asset_url(base, "stratus.css"));
                    @if self.map {
                        link rel="stylesheet" href=(asset_url(base, "leaflet.css"));
                    }
                    @if !self.url.is_empty() {
                        link rel="alternate" type="application/json" href=(json_url);
                    }
                    link rel="icon" href=(asset_url(base, "favicon.svg")) type="image/svg+xml";
                }
                body data-page=(self.kind) data-basemap=[self.basemap] {
                    a.skip href="#main" { "Skip to content" }
                    header.top {
                        nav aria-label="Site" {
                            a.brand href=(page(base, "/")) { "Stratus" }
                            a href=(page(base, "/processes")) { "Processes" }
                            a href=(page(base, "/jobs")) { "Jobs" }
                            a href=(base.url("/ingestion")) { "Ingestion" }
                            a href=(page(base, "/api")) { "API" }
                            a href=(page(base, "/conformance")) { "Conformance" }
                        }
                    }
                    main #main {
                        @if !self.trail.is_empty() {
                            nav aria-label="Breadcrumb" {
                                ol.trail {
                                    @for (label, href) in &self.trail {
                                        li { a href=(href) { (label) } }
                                    }
                                    li aria-current="page" { (self.title) }
                                }
                            }
                        }
                        h1 { (self.title) }
                        @if !self.url.is_empty() {
                            p.formats {
                                "This page as "
                                a rel="alternate" type="application/json" href=(json_url) { "JSON" }
                            }
                        }
                        (body)
                    }
                    footer {
                        p { "Stratus – OGC API – Processes" }
                    }
                    @if let Some(data) = &self.data {
                        script type="application/json" #page-data { (json_script(data)) }
                    }
                    @if self.map {
                        script src=(asset_url(base, "leaflet.js")) {}
                    }
                    script src=(asset_url(base, "stratus.js")) {}
                }
            }
        }
    }
}

/// The HTML page URL of `path` (`f=html`, so links work whatever the browser sends).
pub fn page(base: &Base, path: &str) -> String {
    with_format(&base.url(path), "html")
}

/// JSON for a `<script type="application/json">` element: `<`, `>` and `&` escaped as
/// `\u003c`... so no value can close the element.
pub fn json_script(value: &Value) -> PreEscaped<String> {
    let text = serde_json::to_string(value).unwrap_or_else(|_| "null".into());
    PreEscaped(
        text.replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026"),
    )
}

/// `e`, rendered as a page when the request asked for HTML.
pub fn for_format(e: ApiError, format: Format, base: &Base) -> ApiError {
    if format.is_html() { e.in_html(base) } else { e }
}

/// An HTML response with `status`.
pub fn respond(status: StatusCode, markup: Markup) -> Response {
    let mut resp = (status, markup.into_string()).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(HTML));
    resp
}

/// A JSON value shown as indented text.
pub fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// The status badge of a job status.
pub fn status_badge(status: &str) -> Markup {
    html! { span.badge data-status=(status) { (status) } }
}

/// The page of an error (the exception document's fields), for clients that asked for HTML.
pub fn error_page(base: &Base, status: StatusCode, title: &str, detail: &str) -> Markup {
    Page {
        base,
        title: format!("{} {title}", status.as_u16()),
        url: String::new(),
        trail: vec![("Home".into(), page(base, "/"))],
        map: false,
        kind: "error",
        data: None,
        basemap: None,
    }
    .render(html! {
        p.error role="alert" { (detail) }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn script_json_cannot_close_its_element() {
        let v = json!({"m": "</script><script>alert(1)</script>&"});
        let s = json_script(&v).0;
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn error_detail_is_escaped() {
        let base = Base("http://h".into());
        let page = error_page(
            &base,
            StatusCode::NOT_FOUND,
            "Not found",
            "<img src=x onerror=alert(1)>",
        )
        .into_string();
        assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(!page.contains("<img"));
    }
}
