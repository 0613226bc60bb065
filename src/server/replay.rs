//! `POST /v1/workflows/{name}/replay`: the replay diff of a workflow's recorded runs on
//! a stored version or a source text (`crate::engine::replay`).
//!
//! In: the workflow's name and a JSON body `{ "against": { "version": N } | { "source":
//! "…" }, "since": "…", "limit": N }`. Out: 200 with the report (`format_version` 1,
//! `runs`, `totals`); 422 with the diagnostics when the source has errors; 400 for a
//! body that is not such a request; 404 for an unknown workflow or version.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Extension, Path, State};
use axum::response::{IntoResponse, Response};

use super::auth::WorkspaceId;
use super::reply::{ApiError, blocking};
use crate::engine::Engine;
use crate::engine::replay::ReplayRequest;

pub(crate) async fn replay_diff(
    State(engine): State<Arc<Engine>>,
    Extension(WorkspaceId(ws)): Extension<WorkspaceId>,
    name: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let name = name
        .map(|Path(name)| name)
        .map_err(|rejection| ApiError::rejected(rejection.status(), rejection.body_text()))?;
    let body = body.map_err(|rejection| ApiError::rejected(rejection.status(), rejection.body_text()))?;
    let request: ReplayRequest = serde_json::from_slice(&body).map_err(|error| {
        ApiError::bad_request(format!(
            "the replay request must be `{{ \"against\": {{ \"version\": N }} or {{ \"source\": \"…\" }}, \"since\": \"…\", \"limit\": N }}`: {error}"
        ))
    })?;
    let report =
        blocking(&engine, async move |engine| engine.replay_diff(&ws, &name, &request).await).await?;
    Ok(Json(report).into_response())
}
