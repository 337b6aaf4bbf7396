//! The API documentation page (`service-doc`): every operation of the OpenAPI document with
//! its parameters and responses, rendered on the server (no Swagger UI bundle).

use maud::{Markup, html};
use serde_json::Value;

use super::{Page, page};
use crate::links::Base;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Resolves a local `$ref` (`#/components/...`) once.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => doc.pointer(pointer).unwrap_or(v),
        None => v,
    }
}

/// The documentation of `doc` (an OpenAPI 3.0 document).
pub fn api_doc_page(base: &Base, doc: &Value) -> Markup {
    let info = &doc["info"];
    Page {
        base,
        title: "API documentation".into(),
        url: base.url("/api"),
        trail: vec![("Home".into(), page(base, "/"))],
        map: false,
        kind: "api",
        data: None,
        basemap: None,
    }
    .render(html! {
        p.lead {
            (info["title"].as_str().unwrap_or_default()) " "
            (info["version"].as_str().unwrap_or_default())
            " – the OpenAPI 3.0 definition is "
            a href=(base.url("/api?f=json")) type="application/vnd.oai.openapi+json;version=3.0" { "here as JSON" }
            "."
        }
        @if let Some(d) = info["description"].as_str() { p { (d) } }
        nav aria-label="Operations" {
            ul.toc {
                @for (path, item) in doc["paths"].as_object().into_iter().flatten() {
                    @for m in METHODS {
                        @if let Some(op) = item.get(m) {
                            li { a href=(format!("#{}", anchor(m, path, op))) { code { (m.to_uppercase()) " " (path) } } }
                        }
                    }
                }
            }
        }
        @for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            @for m in METHODS {
                @if let Some(op) = item.get(m) {
                    section.operation #(anchor(m, path, op)) {
                        h2 { code { (m.to_uppercase()) " " (path) } }
                        @if let Some(s) = op["summary"].as_str() { p { strong { (s) } } }
                        @if let Some(d) = op["description"].as_str() { p { (d) } }
                        @let params: Vec<&Value> = item["parameters"].as_array().into_iter().flatten()
                            .chain(op["parameters"].as_array().into_iter().flatten())
                            .map(|p| resolve(doc, p)).collect();
                        @if !params.is_empty() {
                            table {
                                caption { "Parameters" }
                                thead { tr { th scope="col" { "Name" } th scope="col" { "In" } th scope="col" { "Required" } th scope="col" { "Description" } } }
                                tbody {
                                    @for p in params {
                                        tr {
                                            td { code { (p["name"].as_str().unwrap_or_default()) } }
                                            td { (p["in"].as_str().unwrap_or_default()) }
                                            td { (if p["required"] == true { "yes" } else { "no" }) }
                                            td { (p["description"].as_str().unwrap_or_default()) }
                                        }
                                    }
                                }
                            }
                        }
                        table {
                            caption { "Responses" }
                            thead { tr { th scope="col" { "Status" } th scope="col" { "Description" } } }
                            tbody {
                                @for (code, r) in op["responses"].as_object().into_iter().flatten() {
                                    tr {
                                        td { (code) }
                                        td { (resolve(doc, r)["description"].as_str().unwrap_or_default()) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    })
}

fn anchor(method: &str, path: &str, op: &Value) -> String {
    match op["operationId"].as_str() {
        Some(id) => format!("op-{id}"),
        None => {
            let slug: String = path
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                .collect();
            format!("op-{method}{slug}")
        }
    }
}
