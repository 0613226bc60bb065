//! The pages' data and their askama templates (`templates/dashboard/`), checked at
//! compile time; everything interpolated is HTML-escaped by askama.
//!
//! In: engine answers, already shaped into strings. Out: HTML responses.

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::highlight::Token;
use super::timeline::{AXIS, Timeline};
use crate::engine::overview::VersionInfo;

/// The header of a signed-in page: the workspace, the token its forms post back, and
/// which part of the navigation is current (`workflows` or `runs`).
#[derive(Clone, Debug)]
pub struct Chrome {
    pub workspace: String,
    pub csrf: String,
    pub nav: &'static str,
    /// The node that served the page.
    pub node: String,
}

#[derive(Template, Debug)]
#[template(path = "dashboard/login.html")]
pub struct LoginPage {
    pub chrome: Option<Chrome>,
    pub next: String,
    pub error: Option<String>,
}

#[derive(Template, Debug)]
#[template(path = "dashboard/error.html")]
pub struct ErrorPage {
    pub chrome: Option<Chrome>,
    pub status: u16,
    pub title: String,
    pub message: String,
}

/// A lifecycle button.
#[derive(Clone, Debug)]
pub struct ActionButton {
    pub action: &'static str,
    pub label: &'static str,
}

/// A row of the workflows list (and the head of a workflow's page).
#[derive(Clone, Debug)]
pub struct WorkflowRow {
    pub name: String,
    pub title: String,
    pub status: &'static str,
    pub scope: String,
    pub trigger: String,
    pub version: String,
    pub today: u64,
    pub week: u64,
    pub runs: u64,
    pub success: String,
    pub p50: String,
    pub p95: String,
    pub actions: Vec<ActionButton>,
}

#[derive(Template, Debug)]
#[template(path = "dashboard/workflows.html")]
pub struct WorkflowsPage {
    pub chrome: Option<Chrome>,
    pub csrf: String,
    pub rows: Vec<WorkflowRow>,
    pub total: usize,
    pub status: String,
    pub search: String,
    pub statuses: &'static [&'static str],
    pub notice: Option<String>,
}

/// One diagnostic of a refused activation.
#[derive(Clone, Debug)]
pub struct DiagnosticLine {
    pub severity: String,
    pub code: String,
    pub message: String,
    pub at: String,
    pub help: Option<String>,
}

/// Why an action was refused.
#[derive(Clone, Debug)]
pub struct Problem {
    pub message: String,
    pub diagnostics: Vec<DiagnosticLine>,
}

/// A row of a runs table.
#[derive(Clone, Debug)]
pub struct RunRow {
    pub id: String,
    pub workflow: String,
    pub version: i64,
    pub status: String,
    pub trigger: String,
    pub place: String,
    pub started_at: String,
    pub duration: String,
}

#[derive(Template, Debug)]
#[template(path = "dashboard/workflow.html")]
pub struct WorkflowPage {
    pub chrome: Option<Chrome>,
    pub csrf: String,
    pub row: WorkflowRow,
    pub lines: Vec<Vec<Token>>,
    /// The version whose source is shown; 0: the draft.
    pub shown: i64,
    pub versions: Vec<VersionInfo>,
    /// Its recent runs.
    pub rows: Vec<RunRow>,
    pub problem: Option<Problem>,
    pub notice: Option<String>,
    /// The saved draft differs from the active version: offer "compare with draft".
    pub compare: bool,
    /// The shown source's flowchart and bounds (none when it does not check).
    pub picture: Option<PictureView>,
    /// Runs of other versions wait: the migration plan and its button.
    pub migration: Option<super::migrate::MigrationView>,
}

/// A workflow's flowchart (SVG made by `graph::svg`, every text in it escaped), its
/// nodes as a list for screen readers and without images, and its bounds.
#[derive(Clone, Debug)]
pub struct PictureView {
    pub svg: String,
    /// One line per node: what it is, and where each way out of it leads.
    pub steps: Vec<String>,
    /// `(what, value)`: `("longest run", "3d")`, …
    pub bounds: Vec<(String, String)>,
}

impl PictureView {
    /// The view of `picture`, with `overlay` (a run) drawn on it when given.
    pub fn new(
        picture: &crate::engine::picture::Picture,
        overlay: Option<&crate::graph::svg::Overlay>,
    ) -> PictureView {
        let graph = &picture.graph;
        let title =
            |id: crate::graph::NodeId| graph.node(id).map(|n| n.lines.join(" · ")).unwrap_or_default();
        let steps = graph
            .nodes
            .iter()
            .map(|node| {
                let mut line = title(node.id);
                if let Some(status) = node.step.as_ref().and_then(|s| overlay.and_then(|o| o.steps.get(s))) {
                    line.push_str(&format!(" [{status}]"));
                }
                let ways: Vec<String> = graph
                    .edges
                    .iter()
                    .filter(|e| e.from == node.id)
                    .map(|e| match &e.label {
                        Some(label) => format!("{label} → {}", title(e.to)),
                        None => format!("→ {}", title(e.to)),
                    })
                    .collect();
                if !ways.is_empty() {
                    line.push_str(&format!(": {}", ways.join("; ")));
                }
                line
            })
            .collect();
        PictureView { svg: crate::graph::svg::render(graph, overlay), steps, bounds: picture.bound_cells() }
    }
}

/// The runs page's filters, as the form shows them.
#[derive(Clone, Debug, Default)]
pub struct RunsFilterView {
    pub workflow: String,
    pub status: String,
    pub trigger: String,
    pub hub: String,
    pub card: String,
    pub range: String,
    pub since: String,
    pub until: String,
}

#[derive(Template, Debug)]
#[template(path = "dashboard/runs.html")]
pub struct RunsPage {
    pub chrome: Option<Chrome>,
    pub rows: Vec<RunRow>,
    pub filter: RunsFilterView,
    pub workflows: Vec<String>,
    pub triggers: Vec<String>,
    pub statuses: &'static [&'static str],
    pub ranges: &'static [(&'static str, &'static str)],
    /// Links to the next page and back to the first one.
    pub next: Option<String>,
    pub first: Option<String>,
    pub live: bool,
    pub error: Option<String>,
}

#[derive(Template, Debug)]
#[template(path = "dashboard/run_rows.html")]
pub struct RunRowsFragment {
    pub rows: Vec<RunRow>,
}

/// The head of a run's page.
#[derive(Clone, Debug)]
pub struct RunHead {
    pub id: String,
    pub workflow: String,
    pub version: i64,
    pub status: String,
    pub trigger: String,
    pub started_at: String,
    pub finished_at: String,
    pub duration: String,
    pub error: Option<String>,
    /// What caused the run's trigger event, when the engine raised it.
    pub cause: Option<CauseView>,
    /// The events the run caused, with the runs each started.
    pub caused: Vec<CausedView>,
    /// `(at, what)`: cancelled or moved from outside the workflow, in order.
    pub lifecycle: Vec<(String, String)>,
}

/// "Started by run X, step Y" (or by the contact's creation from event E).
#[derive(Clone, Debug)]
pub struct CauseView {
    pub run: Option<String>,
    pub step: String,
    pub event: String,
}

/// One event a run caused.
#[derive(Clone, Debug)]
pub struct CausedView {
    pub id: String,
    pub kind: String,
    pub step: String,
    /// Its data as compact JSON.
    pub data: String,
    /// `(run id, workflow)` of the runs it started.
    pub runs: Vec<(String, String)>,
}

#[derive(Template, Debug)]
#[template(path = "dashboard/run.html")]
pub struct RunPage {
    pub chrome: Option<Chrome>,
    pub csrf: String,
    pub run: RunHead,
    pub timeline: Timeline,
    pub axis: f64,
    pub event: String,
    pub contact: String,
    pub live: bool,
    /// The run's version as a flowchart, with the run's path and each step's status.
    pub picture: Option<PictureView>,
}

#[derive(Template, Debug)]
#[template(path = "dashboard/run_live.html")]
pub struct RunLiveFragment {
    pub run: RunHead,
    pub timeline: Timeline,
    pub axis: f64,
    pub event: String,
    pub contact: String,
    pub picture: Option<PictureView>,
}

/// The axis width the bars are drawn on.
pub const BAR_AXIS: f64 = AXIS;

/// Renders `page` with `status` (a template error is a 500 with a plain message).
pub fn html(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(body) => {
            let mut response = (status, body).into_response();
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            response
        }
        Err(error) => {
            tracing::error!(%error, "a dashboard template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error: the page could not be drawn").into_response()
        }
    }
}

/// An error page.
pub fn error(chrome: Option<Chrome>, status: StatusCode, message: impl Into<String>) -> Response {
    let title = status.canonical_reason().unwrap_or("Error").to_string();
    html(status, &ErrorPage { chrome, status: status.as_u16(), title, message: message.into() })
}
