//! The workflows list, a workflow's page, and the lifecycle actions.
//!
//! In: the session's workspace, the query (`status`, `q`; `version`) or a posted form
//! (`csrf`, `back`, `name` for a clone). Out: the pages, or a 303 back to the page
//! the action came from with a notice; a refused activation shows the workflow's page
//! with its diagnostics (422), a transition that is not allowed the reason (409).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::highlight::highlight;
use super::session::SignedIn;
use super::timeline::duration_text;
use super::view::{self, ActionButton, DiagnosticLine, Problem, WorkflowPage, WorkflowRow, WorkflowsPage};
use super::{call, failure, form, runs};
use crate::engine::Engine;
use crate::engine::api::{RunFilter, WorkflowStatus, WorkflowSummary};
use crate::engine::error::{EngineError, Missing};

const STATUSES: &[&str] = &["draft", "active", "paused", "inactive"];
const DAY_MS: i64 = 24 * 3600 * 1000;

/// The buttons a workflow in `status` offers.
fn actions(status: WorkflowStatus) -> Vec<ActionButton> {
    let button = |action, label| ActionButton { action, label };
    match status {
        WorkflowStatus::Draft | WorkflowStatus::Inactive => {
            vec![button("activate", "Activate"), button("clone", "Clone")]
        }
        WorkflowStatus::Active => {
            vec![button("pause", "Pause"), button("deactivate", "Deactivate"), button("clone", "Clone")]
        }
        WorkflowStatus::Paused => {
            vec![button("resume", "Resume"), button("deactivate", "Deactivate"), button("clone", "Clone")]
        }
    }
}

/// Today's and the last 7 days' run counts of every workflow.
struct Recent {
    today: std::collections::HashMap<String, u64>,
    week: std::collections::HashMap<String, u64>,
}

impl Recent {
    async fn load(engine: &Engine, ws: &str) -> Result<Recent, EngineError> {
        let now = engine.clock().now_ms();
        Ok(Recent {
            today: engine.run_counts_since(ws, now - now.rem_euclid(DAY_MS)).await?,
            week: engine.run_counts_since(ws, now - 7 * DAY_MS).await?,
        })
    }
}

fn row(summary: &WorkflowSummary, recent: &Recent) -> WorkflowRow {
    let ms = |v: Option<i64>| v.map_or_else(|| "—".to_string(), duration_text);
    let m = &summary.metrics;
    WorkflowRow {
        name: summary.name.clone(),
        title: summary.title.clone().unwrap_or_default(),
        status: summary.status.as_str(),
        scope: summary.scope.clone().unwrap_or_else(|| "—".into()),
        trigger: summary.trigger.clone().unwrap_or_else(|| "—".into()),
        version: summary.version.map_or_else(|| "—".to_string(), |v| v.to_string()),
        today: recent.today.get(&summary.name).copied().unwrap_or(0),
        week: recent.week.get(&summary.name).copied().unwrap_or(0),
        runs: m.runs,
        success: m.success_rate.map_or_else(|| "—".to_string(), |r| format!("{:.1}%", r * 100.0)),
        p50: ms(m.p50_ms),
        p95: ms(m.p95_ms),
        actions: actions(summary.status),
    }
}

/// The notice after a successful action (`?done=…&name=…`).
fn notice(pairs: &[(String, String)]) -> Option<String> {
    let name = form::value(pairs, "name")?;
    let what = match form::value(pairs, "done")? {
        "activate" => "activated",
        "pause" => "paused",
        "resume" => "resumed",
        "deactivate" => "deactivated",
        "clone" => "created as a draft (a clone)",
        "migrate" => return super::migrate::notice(pairs),
        _ => return None,
    };
    Some(format!("`{name}` {what}."))
}

/// `GET /`: every workflow of the workspace.
pub async fn workflows(
    State(engine): State<Arc<Engine>>,
    signed_in: SignedIn,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs = form::parse(query.unwrap_or_default().as_bytes());
    let status =
        form::value(&pairs, "status").filter(|s| STATUSES.contains(s)).unwrap_or_default().to_string();
    let search = form::value(&pairs, "q").unwrap_or_default().trim().to_string();
    let ws = signed_in.workspace();
    let loaded = call(&engine, async move |engine| {
        Ok((engine.workflows(&ws).await?, Recent::load(engine, &ws).await?))
    })
    .await;
    let (all, recent) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => return failure(signed_in.chrome("workflows"), &error),
    };
    let needle = search.to_lowercase();
    let rows: Vec<WorkflowRow> = all
        .iter()
        .filter(|w| status.is_empty() || w.status.as_str() == status)
        .filter(|w| {
            needle.is_empty()
                || w.name.to_lowercase().contains(&needle)
                || w.title.as_deref().is_some_and(|t| t.to_lowercase().contains(&needle))
        })
        .map(|w| row(w, &recent))
        .collect();
    let page = WorkflowsPage {
        chrome: Some(signed_in.chrome("workflows")),
        csrf: signed_in.session.csrf.clone(),
        total: all.len(),
        rows,
        status,
        search,
        statuses: STATUSES,
        notice: notice(&pairs),
    };
    view::html(StatusCode::OK, &page)
}

/// What the workflow page shows besides the workflow.
#[derive(Default)]
struct Extra {
    problem: Option<Problem>,
    notice: Option<String>,
    version: Option<i64>,
}

async fn workflow_page(engine: &Arc<Engine>, signed_in: &SignedIn, name: String, extra: Extra) -> Response {
    let ws = signed_in.workspace();
    let wanted = extra.version;
    let loaded = call(engine, async move |engine| {
        let detail = engine.workflow(&ws, &name).await?;
        let source = match wanted {
            Some(v) => engine
                .version_source(&ws, &name, v)
                .await?
                .ok_or_else(|| Missing::Version { workflow: name.clone(), version: v })?,
            None => detail.source.clone(),
        };
        let filter = RunFilter { workflow: Some(name.clone()), limit: Some(20), ..RunFilter::default() };
        let runs = engine.runs(&ws, &filter).await?;
        // "Compare with draft" when the saved draft is not the active version's source.
        let active = match detail.summary.version {
            Some(v) => engine.version_source(&ws, &name, v).await?,
            None => None,
        };
        let compare = active.is_some_and(|active| active != detail.source);
        let versions = engine.version_list(&ws, &name).await?;
        let picture = engine.picture(&name, &source);
        let migration = super::migrate::load(engine, &ws, &detail.summary).await?;
        let recent = Recent::load(engine, &ws).await?;
        Ok((detail, source, versions, runs, recent, (compare, migration, picture)))
    })
    .await;
    let (detail, source, versions, page, recent, (compare, migration, picture)) = match loaded {
        Ok(loaded) => loaded,
        Err(error) => return failure(signed_in.chrome("workflows"), &error),
    };
    let status = if extra.problem.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = WorkflowPage {
        chrome: Some(signed_in.chrome("workflows")),
        csrf: signed_in.session.csrf.clone(),
        row: row(&detail.summary, &recent),
        lines: highlight(&source),
        shown: wanted.unwrap_or(0),
        versions,
        rows: page.runs.iter().map(runs::run_row).collect(),
        problem: extra.problem,
        notice: extra.notice,
        compare,
        picture: picture.as_ref().map(|p| view::PictureView::new(p, None)),
        migration,
    };
    view::html(status, &page)
}

/// `GET /workflows/{name}` (`?version=N`: that version's source).
pub async fn workflow(
    State(engine): State<Arc<Engine>>,
    signed_in: SignedIn,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let pairs = form::parse(query.unwrap_or_default().as_bytes());
    let version = match form::value(&pairs, "version").map(str::parse::<i64>) {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(_)) => {
            return view::error(
                Some(signed_in.chrome("workflows")),
                StatusCode::BAD_REQUEST,
                "`version` must be a version number",
            );
        }
    };
    workflow_page(&engine, &signed_in, name, Extra { version, notice: notice(&pairs), ..Extra::default() })
        .await
}

/// The lines of a refused activation's `komo check --format json` report.
pub(super) fn diagnostics(report: &serde_json::Value) -> Vec<DiagnosticLine> {
    let text = |d: &serde_json::Value, key: &str| d.get(key).and_then(|v| v.as_str()).map(str::to_string);
    let number = |d: &serde_json::Value, key: &str| d.get(key).and_then(|v| v.as_u64()).unwrap_or(0);
    report
        .get("diagnostics")
        .and_then(|d| d.as_array())
        .map(|list| {
            list.iter()
                .map(|d| DiagnosticLine {
                    severity: text(d, "severity").unwrap_or_else(|| "error".into()),
                    code: text(d, "code").unwrap_or_default(),
                    message: text(d, "message").unwrap_or_default(),
                    at: format!(
                        "{}:{}:{}",
                        text(d, "file").unwrap_or_default(),
                        number(d, "line"),
                        number(d, "column")
                    ),
                    help: text(d, "help"),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `POST /workflows/{name}/{action}`.
pub async fn lifecycle(
    State(engine): State<Arc<Engine>>,
    signed_in: SignedIn,
    Path((name, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let pairs = match signed_in.accept_form(&headers, &body) {
        Ok(pairs) => pairs,
        Err(refused) => return *refused,
    };
    let ws = signed_in.workspace();
    let clone_name = form::value(&pairs, "name").map(|n| n.trim().to_string());
    let target = name.clone();
    let verb = action.clone();
    let done = call(&engine, async move |engine| {
        let detail = match verb.as_str() {
            "activate" => engine.activate(&ws, &target).await?,
            "pause" => engine.pause(&ws, &target).await?,
            "resume" => engine.resume(&ws, &target).await?,
            "deactivate" => engine.deactivate(&ws, &target).await?,
            "clone" => engine.clone_workflow(&ws, &target, clone_name.as_deref()).await?,
            other => return Err(Missing::WorkflowAction { action: other.to_string() }.into()),
        };
        Ok(detail.summary.name)
    })
    .await;
    match done {
        Ok(result) => {
            let back = if action == "clone" || form::value(&pairs, "back") == Some("workflow") {
                format!("/workflows/{}", form::encode(&result))
            } else {
                "/".to_string()
            };
            let query = form::query(&[("done", &action), ("name", &result)]);
            Redirect::to(&format!("{back}?{query}")).into_response()
        }
        Err(EngineError::Refused { diagnostics: report }) => {
            let problem = Problem {
                message: format!("`{name}` was not activated: it has errors"),
                diagnostics: diagnostics(&report),
            };
            workflow_page(&engine, &signed_in, name, Extra { problem: Some(problem), ..Extra::default() })
                .await
        }
        Err(error @ (EngineError::Conflict(_) | EngineError::Invalid { .. })) => {
            let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::CONFLICT);
            let problem = Problem { message: error.to_string(), diagnostics: Vec::new() };
            let mut response = workflow_page(
                &engine,
                &signed_in,
                name,
                Extra { problem: Some(problem), ..Extra::default() },
            )
            .await;
            if response.status().is_success() || response.status() == StatusCode::UNPROCESSABLE_ENTITY {
                *response.status_mut() = status;
            }
            response
        }
        Err(error) => failure(signed_in.chrome("workflows"), &error),
    }
}
