//! Landing page and conformance declaration.

use maud::{Markup, html};
use serde_json::Value;

use super::{Page, page};
use crate::links::Base;

/// The landing page: what the service is and where to go.
pub fn landing_page(base: &Base, title: &str, description: &str, links: &[Value]) -> Markup {
    Page {
        base,
        title: title.to_string(),
        url: base.url("/"),
        trail: Vec::new(),
        map: false,
        kind: "landing",
        data: None,
        basemap: None,
    }
    .render(html! {
        p.lead { (description) }
        ul.cards {
            li {
                a href=(page(base, "/processes")) { "Processes" }
                p { "What this server can run; each process page has a form to execute it." }
            }
            li {
                a href=(page(base, "/jobs")) { "Jobs" }
                p { "Submitted jobs, their live status and their results on a map." }
            }
            li {
                a href=(base.url("/ingestion")) { "Ingestion" }
                p { "Areas being ingested: scene and tile status, retries, tile chains." }
            }
            li {
                a href=(page(base, "/api")) { "API documentation" }
                p { "Every operation of the OpenAPI 3.0 definition." }
            }
            li {
                a href=(page(base, "/conformance")) { "Conformance" }
                p { "The OGC conformance classes this server meets." }
            }
        }
        h2 { "Links" }
        (link_table(links))
    })
}

/// The conformance classes as a list of links.
pub fn conformance_page(base: &Base, classes: &[&str]) -> Markup {
    Page {
        base,
        title: "Conformance".into(),
        url: base.url("/conformance"),
        trail: vec![("Home".into(), page(base, "/"))],
        map: false,
        kind: "conformance",
        data: None,
        basemap: None,
    }
    .render(html! {
        p { "This server conforms to these classes:" }
        ul.uris {
            @for c in classes {
                li { a href=(c) { code { (c) } } }
            }
        }
    })
}

/// A table of link objects (title, relation, media type).
pub fn link_table(links: &[Value]) -> Markup {
    html! {
        table {
            thead { tr { th scope="col" { "Link" } th scope="col" { "Relation" } th scope="col" { "Type" } } }
            tbody {
                @for l in links {
                    @let href = l["href"].as_str().unwrap_or_default();
                    tr {
                        td { a href=(href) { (l["title"].as_str().unwrap_or(href)) } }
                        td { code { (l["rel"].as_str().unwrap_or_default()) } }
                        td { (l["type"].as_str().unwrap_or_default()) }
                    }
                }
            }
        }
    }
}
