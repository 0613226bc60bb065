//! The dashboard: server-rendered HTML over the [`Engine`], built into `komo serve`
//! (engine.md §4). No front-end build: askama templates checked at compile time
//! (`templates/dashboard/`), one stylesheet and a few lines of JavaScript embedded in
//! the binary; every page reads fine without JavaScript.
//!
//! In: browser requests with a session cookie. Out: HTML pages and 303 redirects.
//!
//! | route | page |
//! |---|---|
//! | `GET /` | workflows: status, scope, trigger, version, run counts, success rate, p50/p95; filter and search; lifecycle buttons |
//! | `GET /workflows/{name}` | a workflow: highlighted source (`?version=N` for a version's), versions, recent runs |
//! | `POST /workflows/{name}/{activate,pause,resume,deactivate,clone}` | a lifecycle action, then back (303) |
//! | `GET /workflows/{name}/compare` | "compare with draft": the replay diff of recent runs on the saved draft |
//! | `POST /workflows/{name}/migrate` | move the waiting runs of other versions to the active one (`to`), then back (303) |
//! | `GET /runs` | runs, newest first, filtered and paged; live while open |
//! | `GET /runs/{id}` | a run: its event, contact, and timeline; live while unfinished |
//! | `POST /runs/{id}/replay` | a new run on the same event, then its page (303) |
//! | `POST /runs/{id}/cancel` | cancels a pending or waiting run, then back to its page (303) |
//! | `GET`, `POST /login`; `POST /logout` | signing in with a workspace API key, and out |
//! | `GET /assets/{file}` | the stylesheet and script |
//!
//! A workspace sees only its own workflows and runs: every query takes the session's
//! workspace, so another workspace's names and ids are "not found" (404).

mod cancel;
mod compare;
mod form;
mod highlight;
mod migrate;
mod pages;
mod runs;
mod session;
mod timeline;
mod view;

use std::sync::Arc;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::engine::Engine;
use crate::engine::error::EngineError;

/// The dashboard's routes; the caller supplies the engine as state (the API router
/// merges them).
pub fn router() -> Router<Arc<Engine>> {
    Router::new()
        .route("/", get(pages::workflows))
        .route("/workflows", get(|| async { axum::response::Redirect::to("/") }))
        .route("/workflows/{name}", get(pages::workflow))
        .route("/workflows/{name}/{action}", post(pages::lifecycle))
        .route("/workflows/{name}/compare", get(compare::compare))
        .route("/workflows/{name}/migrate", post(migrate::apply))
        .route("/runs", get(runs::runs))
        .route("/runs/{id}", get(runs::run))
        .route("/runs/{id}/replay", post(runs::replay))
        .route("/runs/{id}/cancel", post(cancel::cancel))
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route("/assets/{file}", get(asset))
        .layer(axum::middleware::map_response(harden))
}

const CSS: &str = include_str!("assets/dashboard.css");
const JS: &str = include_str!("assets/dashboard.js");

/// `GET /assets/{file}`: the embedded stylesheet and script.
async fn asset(Path(file): Path<String>) -> Response {
    let (kind, body) = match file.as_str() {
        "dashboard.css" => ("text/css; charset=utf-8", CSS),
        "dashboard.js" => ("text/javascript; charset=utf-8", JS),
        _ => return view::error(None, StatusCode::NOT_FOUND, format!("no asset `{file}`")),
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// Runs an engine call on the blocking pool (see [`Engine::off_thread`]).
pub(crate) async fn call<T, F>(engine: &Arc<Engine>, f: F) -> Result<T, EngineError>
where
    T: Send + 'static,
    F: AsyncFnOnce(&Engine) -> Result<T, EngineError> + Send + 'static,
{
    Engine::off_thread(engine, f).await
}

/// The page for an engine error, with its HTTP status.
fn failure(chrome: view::Chrome, error: &EngineError) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        tracing::error!(%error, "dashboard: engine error");
    }
    view::error(Some(chrome), status, error.to_string())
}

/// Headers every page sends: no caching of workspace data, no framing, and a content
/// policy that allows only this origin's stylesheet and script.
async fn harden(mut response: Response) -> Response {
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CACHE_CONTROL, "no-store"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

#[cfg(test)]
mod tests {
    /// The page's content policy blocks the `<style>` inside an SVG drawn into it, so
    /// the stylesheet carries the flowchart's rules: every one of them.
    #[test]
    fn the_stylesheet_has_every_rule_of_the_flowchart() {
        for rule in crate::graph::svg::STYLE.split_inclusive('}') {
            assert!(super::CSS.contains(rule), "dashboard.css lacks `{rule}`");
        }
    }
}
