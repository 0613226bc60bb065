//! "Compare with draft": a workflow's recorded runs replayed on its saved draft, and
//! what would change (`crate::engine::replay`, the same diff as `komo replay`).
//!
//! In: the session's workspace and the workflow's name. Out: `GET
//! /workflows/{name}/compare`, a page with the totals (one sentence each) and a row
//! per run that would change (or could not be replayed), each linking to the run; a
//! draft with errors shows its diagnostics (422). Works without JavaScript.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::pages::diagnostics;
use super::session::SignedIn;
use super::view::{self, Chrome, Problem};
use super::{call, failure};
use crate::engine::Engine;
use crate::engine::error::EngineError;
use crate::engine::replay::{Against, ReplayRequest};
use crate::runtime::replay::{ContactSource, ReplayReport};

/// A run that would change, as the page lists it.
#[derive(Clone, Debug)]
pub struct CompareRow {
    pub id: String,
    pub version: i64,
    pub status: String,
    pub started_at: String,
    /// One line per change (or why it could not be replayed).
    pub lines: Vec<String>,
    /// Replayed from the event's identity only (no start contact was kept).
    pub identity: bool,
}

#[derive(Template, Debug)]
#[template(path = "dashboard/compare.html")]
pub struct ComparePage {
    pub chrome: Option<Chrome>,
    pub name: String,
    /// `3 runs replayed on the draft: 1 changed, 2 unchanged`.
    pub summary: String,
    /// One sentence per (kind, step) total.
    pub totals: Vec<String>,
    pub rows: Vec<CompareRow>,
    pub note: Option<String>,
    pub problem: Option<Problem>,
}

/// `GET /workflows/{name}/compare`.
pub async fn compare(
    State(engine): State<Arc<Engine>>,
    signed_in: SignedIn,
    Path(name): Path<String>,
) -> Response {
    let ws = signed_in.workspace();
    let wanted = name.clone();
    let replayed = call(&engine, async move |engine| {
        let draft = engine.workflow(&ws, &wanted).await?.source;
        let request = ReplayRequest { against: Against::Source(draft), since: None, limit: None };
        engine.replay_diff(&ws, &wanted, &request).await
    })
    .await;
    let chrome = signed_in.chrome("workflows");
    let empty = |problem| ComparePage {
        chrome: Some(chrome.clone()),
        name: name.clone(),
        summary: String::new(),
        totals: Vec::new(),
        rows: Vec::new(),
        note: None,
        problem,
    };
    match replayed {
        Ok(report) => view::html(StatusCode::OK, &page(report, empty(None))),
        Err(EngineError::Refused { diagnostics: report }) => {
            let problem = Problem {
                message: "the draft has errors: nothing to compare".into(),
                diagnostics: diagnostics(&report),
            };
            view::html(StatusCode::UNPROCESSABLE_ENTITY, &empty(Some(problem)))
        }
        Err(error) => failure(chrome, &error),
    }
}

/// The page of a report.
fn page(report: ReplayReport, base: ComparePage) -> ComparePage {
    let totals = &report.totals;
    let runs = |n: usize| format!("{n} run{}", if n == 1 { "" } else { "s" });
    let mut summary = format!(
        "{} replayed on the draft: {} changed, {} unchanged",
        runs(totals.runs),
        totals.changed,
        totals.unchanged
    );
    if totals.errors > 0 {
        summary.push_str(&format!(", {} not replayed", totals.errors));
    }
    let note = (totals.without_contact_snapshot > 0).then(|| {
        format!(
            "{} recorded before start contacts were kept: replayed from the event's identity only",
            runs(totals.without_contact_snapshot)
        )
    });
    let sentences = totals.by_step.iter().map(|t| t.sentence(totals.runs)).collect();
    let rows = report
        .runs
        .into_iter()
        .filter(|r| !r.changes.is_empty() || r.error.is_some())
        .map(|r| CompareRow {
            lines: match &r.error {
                Some(error) => vec![format!("not replayed: {error}")],
                None => r.changes.iter().flat_map(|c| c.describe()).collect(),
            },
            identity: r.contact == ContactSource::Identity,
            id: r.run,
            version: r.version,
            status: r.status.as_str().to_string(),
            started_at: r.started_at,
        })
        .collect();
    ComparePage { summary, totals: sentences, rows, note, ..base }
}
