//! The connection loop: accepts TCP connections and serves each with HTTP/1.1 under
//! limits a hostile or broken client cannot get around (engine.md §7).
//!
//! In: a bound listener, the router, [`Limits`] and a shutdown signal. Out: nothing
//! until shutdown; then the loop stops accepting, asks every connection to finish the
//! request in flight and close, and returns once they have (or after
//! [`Limits::drain`]).
//!
//! What it guards against:
//! - **Too many connections**: at most [`Limits::max_connections`] are served at once;
//!   past that, new ones wait in the kernel's backlog until one ends.
//! - **Slow or silent clients** (slowloris): a connection whose request head does not
//!   arrive whole within [`Limits::header_timeout`] (counted from when the server starts
//!   waiting for it, idle keep-alive time included) is closed; a body that does not
//!   arrive within [`Limits::body_timeout`] is answered 408 (`read_body`).
//! - **Huge heads**: more than 100 header fields, or a head over
//!   [`Limits::max_header_bytes`], is answered 431 by hyper and the connection closed.
//! - **Huge bodies**: `read_body` reads at most [`super::MAX_BODY_BYTES`] while the
//!   body streams in and answers 413 as soon as it passes that, without reading the
//!   rest.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

use super::reply::ApiError;

/// The limits of [`serve_with`]; [`Limits::default`] is what `komo serve` uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub body_timeout: Duration,
    pub max_header_bytes: usize,
    /// How long shutdown waits for the requests in flight.
    pub drain: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 4096,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            max_header_bytes: 32 * 1024,
            drain: Duration::from_secs(30),
        }
    }
}

/// Serves `app` on `listener` under `limits` until `shutdown` completes.
pub async fn serve_with(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_header_size(limits.max_header_bytes.max(1024));
    let mut shutdown = pin!(shutdown);
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let (stream, _peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, or a connection reset before it was
                    // accepted: wait a moment rather than spin.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let mut connection = pin!(connection);
            let stopped = tokio::select! {
                _ = connection.as_mut() => false,
                stopped = stop.wait_for(|stopped| *stopped) => stopped.is_ok(),
            };
            if stopped {
                connection.as_mut().graceful_shutdown();
                let _ = connection.as_mut().await;
            }
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // Every connection holds a permit until it ends: all of them back means all ended.
    let all = u32::try_from(limits.max_connections.max(1)).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(limits.drain, permits.acquire_many(all)).await;
    Ok(())
}

/// Middleware: reads the whole body, at most [`super::MAX_BODY_BYTES`] and within
/// `timeout`, before the handler runs: 413 as soon as it passes the limit, 408 when it
/// is too slow, 400 when the client breaks it off.
pub async fn read_body(timeout: Duration, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let read = axum::body::to_bytes(body, super::MAX_BODY_BYTES);
    let bytes = match tokio::time::timeout(timeout, read).await {
        Err(_) => {
            let message = format!("the request body did not arrive within {}s", timeout.as_secs());
            return ApiError::new(StatusCode::REQUEST_TIMEOUT, message).into_response();
        }
        Ok(Err(error)) => {
            let too_large = std::error::Error::source(&error)
                .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
            if too_large {
                return ApiError::too_large(super::MAX_BODY_BYTES).into_response();
            }
            return ApiError::new(StatusCode::BAD_REQUEST, format!("cannot read the request body: {error}"))
                .into_response();
        }
        Ok(Ok(bytes)) => bytes,
    };
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}
