//! The guarded client against a real local HTTP server.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use stratus_outbound::{Error, HttpClient, Limits, NetPolicy};

const BODY: &[u8] = b"0123456789abcdefghij";

async fn flaky(State(calls): State<Arc<AtomicU32>>) -> Response {
    if calls.fetch_add(1, Ordering::SeqCst) < 2 {
        StatusCode::SERVICE_UNAVAILABLE.into_response()
    } else {
        "finally".into_response()
    }
}

async fn ranged(headers: HeaderMap) -> Response {
    let Some(range) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return BODY.into_response();
    };
    let spec = range.trim_start_matches("bytes=");
    let (a, b) = spec.split_once('-').unwrap();
    let (a, b): (usize, usize) = (a.parse().unwrap(), b.parse().unwrap());
    (
        StatusCode::PARTIAL_CONTENT,
        [(
            header::CONTENT_RANGE,
            format!("bytes {a}-{b}/{}", BODY.len()),
        )],
        BODY[a..=b].to_vec(),
    )
        .into_response()
}

async fn server() -> (String, Arc<AtomicU32>) {
    let calls = Arc::new(AtomicU32::new(0));
    let app = Router::new()
        .route("/flaky", get(flaky))
        .route("/ranged", get(ranged))
        .route("/big", get(|| async { vec![b'x'; 4096] }))
        .route("/missing", get(|| async { StatusCode::NOT_FOUND }))
        .route(
            "/to-metadata",
            get(|| async { Redirect::temporary("http://169.254.169.254/latest/") }),
        )
        .with_state(calls.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, calls)
}

fn client(policy: NetPolicy) -> HttpClient {
    HttpClient::new(
        policy,
        Limits {
            backoff: Duration::from_millis(10),
            max_document_bytes: 1024,
            ..Limits::default()
        },
    )
}

#[tokio::test]
async fn retries_transient_failures() {
    let (url, calls) = server().await;
    let (body, _) = client(NetPolicy::LOCAL_DEFAULT)
        .get_bytes(&format!("{url}/flaky"))
        .await
        .unwrap();
    assert_eq!(&body[..], b"finally");
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn does_not_retry_client_errors() {
    let (url, _) = server().await;
    let err = client(NetPolicy::LOCAL_DEFAULT)
        .get_bytes(&format!("{url}/missing"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Status { status: 404, .. }), "{err}");
}

#[tokio::test]
async fn reads_ranges_and_sizes() {
    let (url, _) = server().await;
    let c = client(NetPolicy::LOCAL_DEFAULT);
    let part = c.get_range(&format!("{url}/ranged"), 3..7).await.unwrap();
    assert_eq!(&part[..], b"3456");
    assert_eq!(
        c.content_length(&format!("{url}/ranged")).await.unwrap(),
        20
    );
}

#[tokio::test]
async fn enforces_the_size_limit() {
    let (url, _) = server().await;
    let err = client(NetPolicy::LOCAL_DEFAULT)
        .get_bytes(&format!("{url}/big"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TooLarge { limit: 1024, .. }), "{err}");
}

#[tokio::test]
async fn refuses_what_the_policy_forbids() {
    let (url, _) = server().await;
    let public = client(NetPolicy::PUBLIC_ONLY);
    let err = public.get_bytes(&format!("{url}/flaky")).await.unwrap_err();
    assert!(
        matches!(err, Error::Forbidden { .. }),
        "loopback literal: {err}"
    );
    let err = public.get_bytes("http://localhost:9/x").await.unwrap_err();
    assert!(
        matches!(err, Error::Forbidden { .. }),
        "loopback by name: {err}"
    );
    let err = public
        .get_bytes("http://169.254.169.254/latest/meta-data/")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "metadata: {err}");
    let local = client(NetPolicy::LOCAL_DEFAULT);
    let err = local
        .get_bytes(&format!("{url}/to-metadata"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Forbidden { .. }), "redirect: {err}");
    let err = local.get_bytes("ftp://example.com/x").await.unwrap_err();
    assert!(matches!(err, Error::BadUrl { .. }));
}
