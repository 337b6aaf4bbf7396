//! Bearer-token authentication of every route but `/`, as geocube-ingester does it: when tokens
//! are configured, a request without `Authorization: Bearer <token>` is refused with 403 and a
//! JSON string (`"token not found"`, `"missing \"Bearer \" prefix"`, `"invalid token"`); nothing
//! else is said. With no token configured, every request passes.

use axum::Json;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

/// The check of one request's `Authorization` header against the configured tokens.
pub fn check(tokens: &[String], header: Option<&str>) -> Result<(), &'static str> {
    let header = header.unwrap_or("").trim();
    if header.is_empty() {
        return Err("token not found");
    }
    let Some(token) = header.strip_prefix("Bearer ") else {
        return Err("missing \"Bearer \" prefix");
    };
    if tokens
        .iter()
        .any(|t| constant_time_eq(t.as_bytes(), token.trim().as_bytes()))
    {
        Ok(())
    } else {
        Err("invalid token")
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Middleware refusing unauthenticated requests when `ApiConfig::bearer_tokens` is not empty.
pub async fn require_bearer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let tokens = &state.config.bearer_tokens;
    // The pages' stylesheet, script and map library are public: a browser sends no token.
    let path = req.uri().path();
    if tokens.is_empty() || path == "/" || path.starts_with("/static/") {
        return next.run(req).await;
    }
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match check(tokens, header) {
        Ok(()) => next.run(req).await,
        Err(why) => (StatusCode::FORBIDDEN, Json(why)).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_as_the_reference_words_them() {
        let tokens = vec!["s3cret".to_string()];
        assert_eq!(check(&tokens, None), Err("token not found"));
        assert_eq!(check(&tokens, Some("")), Err("token not found"));
        assert_eq!(
            check(&tokens, Some("s3cret")),
            Err("missing \"Bearer \" prefix")
        );
        assert_eq!(check(&tokens, Some("Bearer nope")), Err("invalid token"));
        assert_eq!(check(&tokens, Some("Bearer s3cret")), Ok(()));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }
}
