//! `GET /static/{path}`: the stylesheet, script and map library of the HTML pages, embedded in
//! the binary (the same bytes on the local server and on every Lambda; no CDN, no network).
//!
//! Pages link each asset as `/static/{name}?v={hash}`: a request carrying the current hash is
//! cached for a year (`immutable`), any other revalidates with the `ETag`.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, ApiResult};
use crate::extract::QueryPairs;
use crate::links::Base;

/// Name, media type, bytes.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "stratus.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/stratus.css"),
    ),
    (
        "stratus.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/stratus.js"),
    ),
    (
        "favicon.svg",
        "image/svg+xml",
        include_bytes!("../assets/favicon.svg"),
    ),
    (
        "leaflet.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/vendor/leaflet/leaflet.js"),
    ),
    (
        "leaflet.css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/vendor/leaflet/leaflet.css"),
    ),
    (
        "images/layers.png",
        "image/png",
        include_bytes!("../assets/vendor/leaflet/images/layers.png"),
    ),
    (
        "images/layers-2x.png",
        "image/png",
        include_bytes!("../assets/vendor/leaflet/images/layers-2x.png"),
    ),
    (
        "images/marker-icon.png",
        "image/png",
        include_bytes!("../assets/vendor/leaflet/images/marker-icon.png"),
    ),
    (
        "images/marker-icon-2x.png",
        "image/png",
        include_bytes!("../assets/vendor/leaflet/images/marker-icon-2x.png"),
    ),
    (
        "images/marker-shadow.png",
        "image/png",
        include_bytes!("../assets/vendor/leaflet/images/marker-shadow.png"),
    ),
    (
        "LICENSE-leaflet.txt",
        "text/plain; charset=utf-8",
        include_bytes!("../assets/vendor/leaflet/LICENSE"),
    ),
];

/// FNV-1a, 64 bits: a content fingerprint for cache busting (not security).
fn fingerprint(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

struct Asset {
    media_type: &'static str,
    bytes: &'static [u8],
    hash: String,
}

fn table() -> &'static HashMap<&'static str, Asset> {
    static TABLE: OnceLock<HashMap<&'static str, Asset>> = OnceLock::new();
    TABLE.get_or_init(|| {
        ASSETS
            .iter()
            .map(|(name, media_type, bytes)| {
                (
                    *name,
                    Asset {
                        media_type,
                        bytes,
                        hash: fingerprint(bytes),
                    },
                )
            })
            .collect()
    })
}

/// The URL pages link an asset by: `{base}/static/{name}?v={hash}`.
pub fn asset_url(base: &Base, name: &str) -> String {
    match table().get(name) {
        Some(a) => base.url(&format!("/static/{name}?v={}", a.hash)),
        None => base.url(&format!("/static/{name}")),
    }
}

/// Serves an embedded asset.
pub async fn get_asset(
    Path(path): Path<String>,
    query: QueryPairs,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let asset = table()
        .get(path.as_str())
        .ok_or_else(|| ApiError::not_found(format!("no static asset '{path}'")))?;
    let etag = format!("\"{}\"", asset.hash);
    let cache = if query.one("v")? == Some(asset.hash.as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=0, must-revalidate"
    };
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut resp = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = asset.bytes.into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.media_type),
        );
        r
    };
    let h = resp.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::{asset_url, fingerprint, table};
    use crate::links::Base;

    #[test]
    fn every_asset_is_fingerprinted() {
        assert_eq!(fingerprint(b""), "cbf29ce484222325");
        let url = asset_url(&Base("http://h".into()), "stratus.js");
        assert!(url.starts_with("http://h/static/stratus.js?v="), "{url}");
        assert_eq!(url.len(), "http://h/static/stratus.js?v=".len() + 16);
        assert!(table().values().all(|a| !a.bytes.is_empty()));
    }
}
