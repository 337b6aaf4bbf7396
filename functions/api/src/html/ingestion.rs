//! The ingestion dashboard: AOIs with their scene and tile counts, the scenes and tiles of one
//! AOI filtered by status with retry and fail buttons, its tile chains drawn as a graph from
//! the `/aoi/{aoi}/dot` output, and its records' footprints on the map. The page is a shell;
//! the script fills it from the ingestion routes (the same JSON every client reads).

use maud::{Markup, html};
use serde_json::json;

use super::{Page, page};
use crate::links::Base;

/// The ingestion statuses, in lifecycle order.
const STATUSES: [&str; 5] = ["NEW", "PENDING", "DONE", "RETRY", "FAILED"];

fn status_filter(id: &str, label: &str) -> Markup {
    html! {
        label.inline for=(id) { (label) }
        select #(id) {
            option value="" { "all" }
            @for s in STATUSES { option value=(s) { (s) } }
        }
    }
}

/// The dashboard page.
pub fn ingestion_page(base: &Base, basemap: Option<&str>) -> Markup {
    Page {
        base,
        title: "Ingestion".into(),
        url: base.url("/aoi/"),
        trail: vec![("Home".into(), page(base, "/"))],
        map: true,
        kind: "ingestion",
        data: Some(json!({ "base": base.url("") })),
        basemap,
    }
    .render(html! {
        p.lead { "Areas of interest being ingested: scenes downloaded per date, tiles processed along their chains." }
        h2 #aois-heading { "Areas of interest" }
        table #aois aria-labelledby="aois-heading" {
            thead {
                tr {
                    th scope="col" { "AOI" }
                    th scope="col" { "Status" }
                    th scope="col" { "Scenes (new / pending / done / retry / failed)" }
                    th scope="col" { "Tiles (new / pending / done / retry / failed)" }
                    th scope="col" { "Actions" }
                }
            }
            tbody {}
        }
        p #aois-empty hidden { "No AOI yet: POST /aoi/{name} or run stratus ingest." }
        span #ingest-status role="status" aria-live="polite" {}
        section #aoi-detail hidden aria-labelledby="aoi-title" {
            h2 #aoi-title { "AOI" }
            pre #aoi-summary {}
            h3 { "Scenes" }
            div.actions { (status_filter("scene-filter", "Status")) }
            table #scenes {
                thead {
                    tr {
                        th scope="col" { "Id" }
                        th scope="col" { "Scene" }
                        th scope="col" { "Date" }
                        th scope="col" { "Status" }
                        th scope="col" { "Message" }
                        th scope="col" { "Actions" }
                    }
                }
                tbody {}
            }
            h3 { "Tiles" }
            div.actions { (status_filter("tile-filter", "Status")) }
            table #tiles {
                thead {
                    tr {
                        th scope="col" { "Id" }
                        th scope="col" { "Tile" }
                        th scope="col" { "Scene" }
                        th scope="col" { "Previous" }
                        th scope="col" { "Status" }
                        th scope="col" { "Message" }
                        th scope="col" { "Actions" }
                    }
                }
                tbody {}
            }
            h3 #graph-heading { "Tile chains" }
            div #chain-graph.graph role="img" aria-labelledby="graph-heading" {}
            h3 { "Footprints" }
            section #map.map.small aria-label="Map of the AOI's record footprints" {}
        }
    })
}
