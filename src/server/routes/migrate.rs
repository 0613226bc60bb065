//! `GET /v1/workflows/{name}/migration?to=N` (the plan for the workflow's waiting runs
//! of other versions) and `POST /v1/workflows/{name}/migrate` `{ "to": N }` (apply it:
//! what moved, what was skipped, and the plan with the reasons of the others).

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Extension, Path};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::{ApiError, Params, Shared, WorkspaceId, blocking, body, params, path};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MigrateRequest {
    to: i64,
}

/// `GET /v1/workflows/{name}/migration?to=N`.
pub(crate) async fn plan(
    axum::extract::State(engine): Shared,
    Extension(WorkspaceId(ws)): Extension<WorkspaceId>,
    name: Result<Path<String>, PathRejection>,
    query: Params,
) -> Result<Response, ApiError> {
    let name = path(name)?;
    let pairs = params(query, &["to"])?;
    let to = pairs.iter().find(|(n, _)| n == "to").map(|(_, v)| version(v)).ok_or_else(|| {
        ApiError::bad_request("the query parameter `to` (the version to move to) is required")
    })??;
    let plan = blocking(&engine, async move |engine| engine.plan_migration(&ws, &name, to).await).await?;
    Ok(Json(plan).into_response())
}

/// `POST /v1/workflows/{name}/migrate` with `{ "to": N }`.
pub(crate) async fn apply(
    axum::extract::State(engine): Shared,
    Extension(WorkspaceId(ws)): Extension<WorkspaceId>,
    name: Result<Path<String>, PathRejection>,
    request: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let name = path(name)?;
    let request: MigrateRequest = serde_json::from_slice(&body(request)?).map_err(|error| {
        ApiError::bad_request(format!("the migrate request must be `{{ \"to\": N }}`: {error}"))
    })?;
    let outcome =
        blocking(&engine, async move |engine| engine.apply_migration(&ws, &name, request.to).await).await?;
    Ok(Json(outcome).into_response())
}

/// `2` or `v2`.
fn version(text: &str) -> Result<i64, ApiError> {
    text.strip_prefix('v')
        .unwrap_or(text)
        .parse()
        .map_err(|_| ApiError::bad_request(format!("`{text}` is not a version (`2` or `v2`)")))
}
