//! Workspace API keys: every `/v1` request names its workspace by its key alone.
//!
//! In: the `Authorization: Bearer <key>` header. Out: the request, with the key's
//! [`WorkspaceId`] attached for the handlers, or a 401 answer before anything else
//! happens (the body is not read).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::reply::{ApiError, blocking};
use crate::engine::Engine;

/// The workspace id of the request's key (never taken from the request itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WorkspaceId(pub String);

/// Middleware: authenticates the bearer key and attaches its [`WorkspaceId`].
pub(crate) async fn require_key(
    State(engine): State<Arc<Engine>>,
    mut request: Request,
    next: Next,
) -> Response {
    let key = match bearer(request.headers()) {
        Ok(key) => key.to_owned(),
        Err(message) => return ApiError::unauthorized(message).into_response(),
    };
    // A key seen before needs no store read (and no trip to the blocking pool).
    let known = match engine.known_key(&key) {
        Some(workspace) => Ok(Some(workspace)),
        None => blocking(&engine, async move |engine| engine.authenticate(&key).await).await,
    };
    match known {
        Ok(Some(workspace)) => {
            request.extensions_mut().insert(WorkspaceId(workspace));
            next.run(request).await
        }
        Ok(None) => ApiError::unauthorized("unknown API key").into_response(),
        Err(error) => error.into_response(),
    }
}

/// The key of an `Authorization: Bearer <key>` header (the scheme in any case).
fn bearer(headers: &HeaderMap) -> Result<&str, &'static str> {
    const MISSING: &str =
        "missing API key: send `Authorization: Bearer <key>` (`komo keys create` makes one)";
    let value = headers.get(header::AUTHORIZATION).ok_or(MISSING)?;
    let value = value.to_str().map_err(|_| "the `Authorization` header is not readable text")?;
    let value = value.trim();
    let (scheme, key) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err("the `Authorization` header must be `Bearer <key>`");
    }
    let key = key.trim();
    if key.is_empty() { Err(MISSING) } else { Ok(key) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn reads_bearer_keys_only() {
        assert_eq!(bearer(&with("Bearer komo_abc")), Ok("komo_abc"));
        assert_eq!(bearer(&with("bearer  komo_abc ")), Ok("komo_abc"));
        assert!(bearer(&HeaderMap::new()).unwrap_err().starts_with("missing API key"));
        assert!(bearer(&with("Bearer ")).unwrap_err().starts_with("missing API key"));
        assert!(bearer(&with("Basic dXNlcjpwYXNz")).unwrap_err().contains("must be `Bearer <key>`"));
        assert!(bearer(&with("komo_abc")).unwrap_err().contains("must be `Bearer <key>`"));
    }
}
