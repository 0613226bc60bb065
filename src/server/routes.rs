//! The `/v1` handlers: each takes the key's workspace, calls the engine once and
//! answers its result as JSON (engine.md §4).
//!
//! In: the request's path, query and body, already authenticated. Out: the engine's
//! answer (200, or 201/202 where something was created or started) or an
//! [`ApiError`]. Synchronous engine calls run through [`blocking`].

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Extension, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

pub(crate) mod migrate;

use super::auth::WorkspaceId;
use super::reply::{ApiError, blocking};
use crate::diagnostics::did_you_mean;
use crate::engine::Engine;
use crate::engine::api::{RunFilter, WorkflowSummary};

type Shared = State<Arc<Engine>>;
type Params = Result<Query<Vec<(String, String)>>, QueryRejection>;

fn body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| ApiError::rejected(rejection.status(), rejection.body_text()))
}

fn path<T>(path: Result<Path<T>, PathRejection>) -> Result<T, ApiError> {
    path.map(|Path(value)| value)
        .map_err(|rejection| ApiError::rejected(rejection.status(), rejection.body_text()))
}

/// The query's parameters, each allowed at most once and only if `known`.
fn params(query: Params, known: &[&str]) -> Result<Vec<(String, String)>, ApiError> {
    let Query(pairs) =
        query.map_err(|rejection| ApiError::rejected(rejection.status(), rejection.body_text()))?;
    for (at, (name, _)) in pairs.iter().enumerate() {
        if !known.contains(&name.as_str()) {
            let hint =
                did_you_mean(name, known).map(|n| format!("; did you mean `{n}`?")).unwrap_or_default();
            let list = known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
            return Err(ApiError::bad_request(format!(
                "unknown query parameter `{name}`{hint} (known: {list})"
            )));
        }
        if pairs.iter().take(at).any(|(earlier, _)| earlier == name) {
            return Err(ApiError::bad_request(format!("the query parameter `{name}` is given twice")));
        }
    }
    Ok(pairs)
}

/// `POST /v1/events`: 202 once the event is stored, with the runs it started.
pub(crate) async fn ingest(
    State(engine): Shared,
    Extension(WorkspaceId(ws)): Extension<WorkspaceId>,
    event: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let event = body(event)?;
    let answer = to_the_end(async move { engine.ingest(&ws, &event).await }).await??;
    Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
}

/// Runs `work` on its own task, so that it ends even when the client goes away while it
/// runs: an event whose commit has begun is counted, handed to the scheduler and
/// answered (to nobody) like any other, instead of being dropped half-way at an
/// `.await` after its commit.
async fn to_the_end<T: Send + 'static>(
    work: impl std::future::Future<Output = T> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::spawn(work).await.map_err(|error| {
        tracing::error!(%error, "an ingest task failed");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error: the event could not be processed")
    })
}

/// `POST /v1/platform/events`: the platform's own webhook events.
pub(crate) async fn ingest_platform(
    State(engine): Shared,
    Extension(WorkspaceId(ws)): Extension<WorkspaceId>,
    event: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let event = body(event)?;
    let answer = to_the_end(async move { engine.ingest_platform(&ws, &event).await }).await??;
    Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
}

/// `POST /v1/hooks/{workflow}`: `Webhook.Received`, verified by its signature.
pub(crate) async fn hook(
    State(engine): Shared,
    Path(workflow): Path<String>,
    headers: axum::http::HeaderMap,
    event: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let event = body(event)?;
    let headers = headers
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_ascii_lowercase(), v.to_string())))
        .collect();
    let answer = to_the_end(async move { engine.hook(&workflow, &headers, &event).await }).await??;
    Ok((StatusCode::ACCEPTED, Json(answer)).into_response())
}

/// `GET /metrics`: Prometheus text.
pub(crate) async fn metrics(State(engine): Shared) -> Response {
    let mut response = engine.metrics_text().into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
    response
}

#[derive(serde::Serialize)]
struct WorkflowList {
    workflows: Vec<WorkflowSummary>,
}

/// `GET /v1/workflows`: `{ "workflows": [ … ] }`, by name.
pub(crate) async fn workflows(
    State(engine): Shared,
    Extension(WorkspaceId(ws)): Extension<WorkspaceId>,
) -> Result<Response, ApiError> {
    let workflows = blocking(&engine, async move |engine| engine.workflows(&ws).await).await?;
    Ok(Json(WorkflowList { workflows }).into_response())
}

/// `GET /v1/workflows/{name}`.
pub(crate) async fn workflow(
    State(engine): Shared,
    Extension(WorkspaceId(ws)): Extension<WorkspaceId>,
    name: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let name = path(name)?;
    let detail = blocking(&engine, async move |engine| engine.workflow(&ws, &name).await).await?;
    Ok(Json(detail).into_response())
}

/// `PUT /v1/workflows/{name}`: the body (the source text) becomes the draft.
pub(crate) async fn save_draft(
    State(engine): Shared,
    Extension(WorkspaceId(ws)): Extension<WorkspaceId>,
    name: Result<Path<String>, PathRejection>,
    source: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let name = path(name)?;
    let source = String::from_utf8(body(source)?.to_vec())
        .map_err(|_| ApiError::bad_request("the workflow source is not valid UTF-8"))?;
    let detail = blocking(&engine, async move |engine| engine.save_draft(&ws, &name, &source).await).await?;
    Ok(Json(detail).into_response())
}

/// The body of `POST /v1/workflows/{name}/clone` (optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CloneRequest {
    name: Option<String>,
}

/// The lifecycle actions of `POST /v1/workflows/{name}/{action}`.
const ACTIONS: &[&str] = &["activate", "pause", "resume", "deactivate", "clone"];

/// `POST /v1/workflows/{name}/{activate|pause|resume|deactivate|clone}`: the
/// workflow's detail after the transition (the new workflow's, 201, for `clone`).
pub(crate) async fn lifecycle(
    State(engine): Shared,
    Extension(WorkspaceId(ws)): Extension<WorkspaceId>,
    target: Result<Path<(String, String)>, PathRejection>,
    request: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let (name, action) = path(target)?;
    let detail = match action.as_str() {
        "activate" => blocking(&engine, async move |engine| engine.activate(&ws, &name).await).await?,
        "pause" => blocking(&engine, async move |engine| engine.pause(&ws, &name).await).await?,
        "resume" => blocking(&engine, async move |engine| engine.resume(&ws, &name).await).await?,
        "deactivate" => blocking(&engine, async move |engine| engine.deactivate(&ws, &name).await).await?,
        "clone" => {
            let request = clone_request(&body(request)?)?;
            let detail = blocking(&engine, async move |engine| {
                engine.clone_workflow(&ws, &name, request.name.as_deref()).await
            })
            .await?;
            let mut response = (StatusCode::CREATED, Json(&detail)).into_response();
            let location = format!("/v1/workflows/{}", detail.summary.name);
            if let Ok(location) = HeaderValue::from_str(&location) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            return Ok(response);
        }
        other => {
            let hint =
                did_you_mean(other, ACTIONS).map(|n| format!("; did you mean `{n}`?")).unwrap_or_default();
            let list = ACTIONS.join(", ");
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                format!("no workflow action `{other}`{hint} (actions: {list})"),
            ));
        }
    };
    Ok(Json(detail).into_response())
}

/// An empty body, or `{ "name": "…" }`.
fn clone_request(body: &[u8]) -> Result<CloneRequest, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(CloneRequest::default());
    }
    serde_json::from_slice(body).map_err(|error| {
        ApiError::bad_request(format!("the clone request must be empty or `{{ \"name\": \"…\" }}`: {error}"))
    })
}

/// The filters and paging parameters of `GET /v1/runs`.
const RUN_PARAMS: &[&str] =
    &["workflow", "status", "trigger", "hub", "card", "since", "until", "cursor", "limit"];

/// `GET /v1/runs`: newest first, filtered and paged.
pub(crate) async fn runs(
    State(engine): Shared,
    Extension(WorkspaceId(ws)): Extension<WorkspaceId>,
    query: Params,
) -> Result<Response, ApiError> {
    let filter = run_filter(params(query, RUN_PARAMS)?)?;
    let page = blocking(&engine, async move |engine| engine.runs(&ws, &filter).await).await?;
    Ok(Json(page).into_response())
}

fn run_filter(params: Vec<(String, String)>) -> Result<RunFilter, ApiError> {
    let mut filter = RunFilter::default();
    for (name, value) in params {
        let slot = match name.as_str() {
            "workflow" => &mut filter.workflow,
            "status" => &mut filter.status,
            "trigger" => &mut filter.trigger,
            "hub" => &mut filter.hub,
            "card" => &mut filter.card,
            "since" => &mut filter.since,
            "until" => &mut filter.until,
            "cursor" => &mut filter.cursor,
            _ => {
                let limit = value.parse::<u32>().map_err(|_| {
                    ApiError::bad_request(format!("`limit` must be a whole number up to 500, not `{value}`"))
                })?;
                filter.limit = Some(limit);
                continue;
            }
        };
        *slot = Some(value);
    }
    Ok(filter)
}

/// `GET /v1/runs/{id}`: the run record.
pub(crate) async fn run(
    State(engine): Shared,
    Extension(WorkspaceId(ws)): Extension<WorkspaceId>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = path(id)?;
    let record = blocking(&engine, async move |engine| engine.run(&ws, &id).await).await?;
    Ok(Json(record).into_response())
}

/// `POST /v1/runs/{id}/replay`: 202 with the new run.
pub(crate) async fn replay(
    State(engine): Shared,
    Extension(WorkspaceId(ws)): Extension<WorkspaceId>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = path(id)?;
    let started = engine.replay(&ws, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(started)).into_response())
}

/// `POST /v1/runs/{id}/cancel`: the run record, cancelled; 409 when it had finished.
pub(crate) async fn cancel(
    State(engine): Shared,
    Extension(WorkspaceId(ws)): Extension<WorkspaceId>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = path(id)?;
    let record = blocking(&engine, async move |engine| engine.cancel_run(&ws, &id).await).await?;
    Ok(Json(record).into_response())
}

/// `GET /v1/contacts/{id}`.
pub(crate) async fn contact(
    State(engine): Shared,
    Extension(WorkspaceId(ws)): Extension<WorkspaceId>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id = path(id)?;
    let contact = blocking(&engine, async move |engine| engine.contact(&ws, &id).await).await?;
    Ok(Json(contact).into_response())
}

/// `GET /v1/contacts?email=…`.
pub(crate) async fn contact_by_email(
    State(engine): Shared,
    Extension(WorkspaceId(ws)): Extension<WorkspaceId>,
    query: Params,
) -> Result<Response, ApiError> {
    let params = params(query, &["email"])?;
    let Some((_, email)) = params.into_iter().next() else {
        return Err(ApiError::bad_request(
            "look contacts up by email (`/v1/contacts?email=…`) or by id (`/v1/contacts/{id}`)",
        ));
    };
    let contact = blocking(&engine, async move |engine| engine.contact_by_email(&ws, &email).await).await?;
    Ok(Json(contact).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn message(error: &ApiError) -> &str {
        error.body["error"].as_str().unwrap()
    }

    #[test]
    fn run_filters_come_from_the_query() {
        let filter = run_filter(pairs(&[("workflow", "welcome"), ("limit", "2"), ("cursor", "c1")])).unwrap();
        assert_eq!(filter.workflow.as_deref(), Some("welcome"));
        assert_eq!(filter.limit, Some(2));
        assert_eq!(filter.cursor.as_deref(), Some("c1"));
        assert_eq!(filter.status, None);
        let bad = run_filter(pairs(&[("limit", "many")])).unwrap_err();
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(message(&bad).contains("`limit`"), "{}", bad.body);
    }

    #[test]
    fn unknown_or_repeated_parameters_are_refused() {
        let unknown = params(Ok(Query(pairs(&[("workflw", "x")]))), RUN_PARAMS).unwrap_err();
        assert!(message(&unknown).contains("did you mean `workflow`?"), "{}", unknown.body);
        let twice = params(Ok(Query(pairs(&[("hub", "a"), ("hub", "b")]))), RUN_PARAMS).unwrap_err();
        assert!(message(&twice).contains("given twice"), "{}", twice.body);
    }

    #[test]
    fn a_clone_request_is_empty_or_names_the_copy() {
        assert_eq!(clone_request(b"").unwrap().name, None);
        assert_eq!(clone_request(b" \n").unwrap().name, None);
        assert_eq!(clone_request(br#"{"name":"copy"}"#).unwrap().name.as_deref(), Some("copy"));
        assert_eq!(clone_request(br#"{"nmae":"copy"}"#).unwrap_err().status, StatusCode::BAD_REQUEST);
        assert_eq!(clone_request(b"copy").unwrap_err().status, StatusCode::BAD_REQUEST);
    }
}
