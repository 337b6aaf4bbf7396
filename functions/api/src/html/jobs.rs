//! The job list with its filters, and the job page that follows a job live.

use maud::{Markup, html};
use serde_json::{Value, json};
use stratus_core::job::JobStatus;

use super::processes::pager;
use super::{Page, page, status_badge};
use crate::links::Base;

/// Filters shown in the job list form.
pub struct JobFilters<'a> {
    /// Statuses asked for (empty: the default set).
    pub statuses: Vec<String>,
    /// `processID` values asked for.
    pub process_ids: Vec<String>,
    /// Every process id, for the select.
    pub known_processes: Vec<String>,
    /// `limit`.
    pub limit: u32,
    /// The URL of this page (with its query).
    pub url: &'a str,
}

/// The job list: filter form, table, pages.
pub fn job_list_page(
    base: &Base,
    jobs: &[Value],
    filters: &JobFilters<'_>,
    prev: Option<String>,
    next: Option<String>,
) -> Markup {
    let default_statuses = filters.statuses.is_empty();
    Page {
        base,
        title: "Jobs".into(),
        url: filters.url.to_string(),
        trail: vec![("Home".into(), page(base, "/"))],
        map: false,
        kind: "jobs",
        data: None,
        basemap: None,
    }
    .render(html! {
        form.filters method="get" action=(base.url("/jobs")) aria-label="Filter jobs" {
            input type="hidden" name="f" value="html";
            fieldset {
                legend { "Status" }
                @for s in JobStatus::ALL {
                    @let checked = if default_statuses {
                        JobStatus::LISTED_BY_DEFAULT.contains(&s)
                    } else {
                        filters.statuses.iter().any(|x| x == s.as_str())
                    };
                    label.inline {
                        input type="checkbox" name="status" value=(s.as_str()) checked[checked];
                        " " (s.as_str())
                    }
                }
            }
            div.field {
                label for="filter-process" { "Process" }
                select #filter-process name="processID" {
                    option value="" { "any" }
                    @for p in &filters.known_processes {
                        option value=(p) selected[filters.process_ids.contains(p)] { (p) }
                    }
                }
            }
            div.field {
                label for="filter-limit" { "Per page" }
                input #filter-limit type="number" name="limit" min="1" max="10000" value=(filters.limit);
            }
            div.actions { button type="submit" { "Filter" } }
        }
        @if jobs.is_empty() {
            p { "No jobs match." }
        } @else {
            table.jobs {
                thead {
                    tr {
                        th scope="col" { "Job" }
                        th scope="col" { "Process" }
                        th scope="col" { "Status" }
                        th scope="col" { "Progress" }
                        th scope="col" { "Created" }
                        th scope="col" { "Message" }
                    }
                }
                tbody {
                    @for j in jobs {
                        @let id = j["jobID"].as_str().unwrap_or_default();
                        @let process = j["processID"].as_str().unwrap_or_default();
                        tr {
                            td { a href=(page(base, &format!("/jobs/{id}"))) { code { (id) } } }
                            td { a href=(page(base, &format!("/processes/{process}"))) { (process) } }
                            td { (status_badge(j["status"].as_str().unwrap_or_default())) }
                            td { (j["progress"].as_u64().unwrap_or(0)) " %" }
                            td { time datetime=(j["created"].as_str().unwrap_or_default()) { (short_time(&j["created"])) } }
                            td.message { (j["message"].as_str().unwrap_or_default()) }
                        }
                    }
                }
            }
        }
        (pager(prev, next))
    })
}

fn short_time(v: &Value) -> String {
    v.as_str()
        .map(|t| t.replace('T', " ").trim_end_matches('Z').to_string())
        .unwrap_or_default()
}

/// The job page: status, progress, items, message, results link and dismiss button, kept up
/// to date by the script polling the status document.
pub fn job_page(base: &Base, doc: &Value) -> Markup {
    let id = doc["jobID"].as_str().unwrap_or_default();
    let process = doc["processID"].as_str().unwrap_or_default();
    let status = doc["status"].as_str().unwrap_or_default();
    let progress = doc["progress"].as_u64().unwrap_or(0).min(100);
    let url = base.url(&format!("/jobs/{id}"));
    let items = &doc["stratus:items"];
    let terminal = matches!(status, "successful" | "failed" | "dismissed");
    Page {
        base,
        title: format!("Job {id}"),
        url: url.clone(),
        trail: vec![
            ("Home".into(), page(base, "/")),
            ("Jobs".into(), page(base, "/jobs")),
        ],
        map: false,
        kind: "job",
        data: Some(json!({
            "status": url,
            "results": page(base, &format!("/jobs/{id}/results")),
            "jobs": page(base, "/jobs"),
            "document": doc,
        })),
        basemap: None,
    }
    .render(html! {
        dl.facts #job-facts {
            dt { "Process" } dd { a href=(page(base, &format!("/processes/{process}"))) { (process) } }
            dt { "Status" } dd #job-status aria-live="polite" { (status_badge(status)) }
            dt { "Progress" }
            dd {
                progress #job-progress max="100" value=(progress) aria-label="Job progress" { (progress) " %" }
                " "
                span #job-progress-text { (progress) " %" }
            }
            dt { "Items" }
            dd #job-items {
                @if items.is_object() {
                    (items["done"].as_u64().unwrap_or(0)) " of " (items["total"].as_u64().unwrap_or(0)) " done"
                } @else { "—" }
            }
            dt { "Message" } dd #job-message { (doc["message"].as_str().unwrap_or_default()) }
            dt { "Created" } dd #job-created { (short_time(&doc["created"])) }
            dt { "Started" } dd #job-started { (short_time(&doc["started"])) }
            dt { "Finished" } dd #job-finished { (short_time(&doc["finished"])) }
            dt { "Updated" } dd #job-updated { (short_time(&doc["updated"])) }
        }
        p.error #job-error role="alert" hidden[status != "failed"] {
            (if status == "failed" { doc["message"].as_str().unwrap_or("the job failed") } else { "" })
        }
        div.actions {
            a.button #job-results href=(page(base, &format!("/jobs/{id}/results"))) hidden[status != "successful"] { "Results" }
            button #job-dismiss type="button" data-url=(url) {
                (if terminal { "Delete job" } else { "Dismiss job" })
            }
            span #job-action-status role="status" aria-live="polite" {}
        }
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::job_page;
    use crate::links::Base;

    #[test]
    fn job_message_is_escaped_everywhere() {
        let doc = json!({
            "jobID": "j1", "processID": "echo", "status": "failed", "progress": 100,
            "message": "<script>alert('x')</script>",
            "created": "2026-01-01T00:00:00.000Z", "updated": "2026-01-01T00:00:00.000Z"
        });
        let html = job_page(&Base("http://h".into()), &doc).into_string();
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("&lt;script&gt;alert('x')&lt;/script&gt;"));
        assert!(html.contains("\\u003cscript\\u003e"));
    }
}
