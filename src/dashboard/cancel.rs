//! `POST /runs/{id}/cancel`: the "Cancel run" button of a pending or waiting run's page.
//!
//! In: the signed-in session's form (its CSRF token) and a run's id. Out: 303 back to
//! the run's page, which now shows it cancelled with the line "cancelled through the
//! API"; or the error page (404 no such run, 409 it had finished meanwhile).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};

use super::session::SignedIn;
use super::{call, failure, form};
use crate::engine::Engine;

pub async fn cancel(
    State(engine): State<Arc<Engine>>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(refused) = signed_in.accept_form(&headers, &body) {
        return *refused;
    }
    let ws = signed_in.workspace();
    let run = id.clone();
    match call(&engine, async move |engine| engine.cancel_run(&ws, &run).await).await {
        Ok(_) => Redirect::to(&format!("/runs/{}", form::encode(&id))).into_response(),
        Err(error) => failure(signed_in.chrome("runs"), &error),
    }
}
