//! The engine's HTTP API (engine.md §4): JSON over HTTP/1.1, every `/v1` call
//! authenticated with a workspace API key.
//!
//! In: HTTP requests. Out: the [`Engine`]'s answers as JSON, errors as
//! `{ "error": message, … }` with the status [`EngineError::status`] gives, and one
//! log line per request (method, path, status, milliseconds) through `tracing`.
//!
//! | route | answers |
//! |---|---|
//! | `POST /v1/events` | 202, the ingest answer |
//! | `GET /v1/workflows` | `{ "workflows": [ … ] }` |
//! | `GET`, `PUT /v1/workflows/{name}` | the workflow (`PUT`: the body is the draft's source) |
//! | `POST /v1/workflows/{name}/{activate,pause,resume,deactivate}` | the workflow after the transition |
//! | `POST /v1/workflows/{name}/clone` | 201, the copy (body: nothing or `{ "name": "…" }`) |
//! | `GET /v1/workflows/{name}/migration?to=N` | which waiting runs of other versions can move to N, where, and why not |
//! | `POST /v1/workflows/{name}/migrate` | `{ "to": N }`: moves them; what moved, what was skipped, the plan |
//! | `POST /v1/workflows/{name}/replay` | the replay diff (body: `{ "against": { "version": N } \| { "source": "…" }, "since", "limit" }`) |
//! | `GET /v1/runs` | a page of runs (filters and paging in the query) |
//! | `GET /v1/runs/{id}`, `POST /v1/runs/{id}/replay` | the run record; 202, the new run |
//! | `POST /v1/runs/{id}/cancel` | the run record, cancelled; 409 when it had finished |
//! | `GET /v1/contacts/{id}`, `GET /v1/contacts?email=…` | the contact |
//! | `GET /healthz` | `{ "status": "ok" }`, without a key |
//!
//! The dashboard's HTML pages (`crate::dashboard`: `/`, `/workflows/…`, `/runs…`,
//! `/login`) are merged into the same router; they authenticate with a session cookie.
//!
//! The workspace always comes from the key: a request never names it, so one
//! workspace's key cannot reach another's workflows, runs or contacts (they are
//! "not found"). Bodies are limited to 1 MiB (engine.md §7): a declared larger length
//! is refused with 413 before the body is read, and a streamed one as soon as it
//! passes the limit. Synchronous engine calls (short SQLite transactions) run on the
//! blocking pool; `ingest` and `replay` are awaited directly.
//!
//! [`EngineError::status`]: crate::engine::error::EngineError::status

mod auth;
mod listen;
mod replay;
mod reply;
mod routes;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::net::TcpListener;

use crate::engine::Engine;
pub use listen::Limits;
use reply::ApiError;

/// The most a request body may be: an event, a workflow's source (engine.md §7).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The API's routes over `engine`, with [`Limits::default`].
pub fn router(engine: Arc<Engine>) -> Router {
    router_with(engine, Limits::default())
}

/// The API's routes over `engine`; request bodies are read whole before a handler
/// runs, within `limits.body_timeout`.
pub fn router_with(engine: Arc<Engine>, limits: Limits) -> Router {
    let v1 = Router::new()
        .route("/v1/events", post(routes::ingest))
        .route("/v1/platform/events", post(routes::ingest_platform))
        .route("/v1/workflows", get(routes::workflows))
        .route("/v1/workflows/{name}", get(routes::workflow).put(routes::save_draft))
        .route("/v1/workflows/{name}/migration", get(routes::migrate::plan))
        .route("/v1/workflows/{name}/migrate", post(routes::migrate::apply))
        .route("/v1/workflows/{name}/{action}", post(routes::lifecycle))
        .route("/v1/workflows/{name}/replay", post(replay::replay_diff))
        .route("/v1/runs", get(routes::runs))
        .route("/v1/runs/{id}", get(routes::run))
        .route("/v1/runs/{id}/replay", post(routes::replay))
        .route("/v1/runs/{id}/cancel", post(routes::cancel))
        .route("/v1/contacts", get(routes::contact_by_email))
        .route("/v1/contacts/{id}", get(routes::contact))
        // Layers run last-added first: the key, then the declared length.
        .route_layer(middleware::from_fn(refuse_declared_overlength))
        .route_layer(middleware::from_fn_with_state(Arc::clone(&engine), auth::require_key));
    // Signed by the sender instead of a key (Standard Webhooks).
    let hooks = Router::new()
        .route("/v1/hooks/{workflow}", post(routes::hook))
        .route_layer(middleware::from_fn(refuse_declared_overlength));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(routes::metrics))
        .merge(v1)
        .merge(hooks)
        .merge(crate::dashboard::router())
        .fallback(no_route)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(move |request, next| {
            listen::read_body(limits.body_timeout, request, next)
        }))
        .layer(middleware::from_fn(log_request))
        .with_state(engine)
}

/// Binds `listen` and serves the API until `shutdown` completes (then stops
/// accepting and lets the requests in flight finish).
pub async fn serve(
    engine: Arc<Engine>,
    listen: SocketAddr,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = TcpListener::bind(listen).await?;
    serve_on(engine, listener, shutdown).await
}

/// [`serve`] on a listener already bound (so the caller can tell its address, e.g.
/// after binding port 0).
pub async fn serve_on(
    engine: Arc<Engine>,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_limited(engine, listener, Limits::default(), shutdown).await
}

/// [`serve_on`] under other [`Limits`] (tests use short timeouts).
pub async fn serve_limited(
    engine: Arc<Engine>,
    listener: TcpListener,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    listen::serve_with(listener, router_with(engine, limits), limits, shutdown).await
}

/// `GET /healthz`.
async fn healthz() -> Response {
    axum::Json(serde_json::json!({ "status": "ok" })).into_response()
}

async fn no_route(request: Request) -> Response {
    let message = format!("no such endpoint: {} {}", request.method(), request.uri().path());
    ApiError::new(StatusCode::NOT_FOUND, message).into_response()
}

async fn method_not_allowed(request: Request) -> Response {
    let message = format!("{} is not allowed on {}", request.method(), request.uri().path());
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, message).into_response()
}

/// 413 at once for a body declared (`Content-Length`) over the limit.
async fn refuse_declared_overlength(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    match declared {
        Some(length) if length > MAX_BODY_BYTES as u64 => ApiError::too_large(MAX_BODY_BYTES).into_response(),
        _ => next.run(request).await,
    }
}

/// A log line per request: method, path (without the query), status, duration; at
/// `debug`, but a server error's at `warn` (the default level logs finished runs and
/// failures, not every request: see `scheduler::log_finished`).
async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    let status = response.status().as_u16();
    if response.status().is_server_error() {
        tracing::warn!(%method, %path, status, ms = %format!("{ms:.1}"), "request failed");
    } else {
        tracing::debug!(%method, %path, status, ms = %format!("{ms:.1}"), "request");
    }
    response
}
