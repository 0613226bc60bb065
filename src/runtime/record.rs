//! The run record: the public JSON shape of a run (engine.md §3), the same for
//! `komo run --format json` and the engine's `GET /v1/runs/{id}`.
//!
//! In: a run's state and its workflow. Out: [`RunRecord`], every step of the workflow in
//! source order (those that did not run as `skipped`), inputs with secrets redacted,
//! timestamps with millisecond precision.

use serde::{Deserialize, Serialize};

use super::caused::{CausedBy, CausedEvent};
use crate::catalog::{ActionId, FailureKind, TriggerId};
use crate::ir::{RunStatus, StepStatus};
use crate::source::Span;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub id: String,
    pub workflow: String,
    pub version: i64,
    pub status: RunStatus,
    pub trigger: TriggerId,
    pub event: serde_json::Value,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub steps: Vec<StepRecord>,
    /// The contact's final state.
    pub contact: serde_json::Value,
    /// Why the run failed, when it did.
    pub error: Option<RunError>,
    /// Every time the run was parked: `wait`s and retry delays.
    pub waits: Vec<WaitRecord>,
    /// What caused the run's trigger event, when a run of the engine did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caused_by: Option<CausedBy>,
    /// The events the run caused (`catalog.md` "What actions change").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caused_events: Vec<CausedEvent>,
    /// The runs those events started (the engine's record; the sandbox starts none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caused_runs: Vec<CausedRun>,
    /// What was done to the run from outside its workflow, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lifecycle: Vec<LifecycleEntry>,
}

/// Something done to a run from outside its workflow (engine.md §8): it was cancelled,
/// or moved to another version of its workflow while it waited.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LifecycleEntry {
    /// Cancelled while unfinished; `by` says how, for people ("through the API").
    Cancelled { at: String, by: String },
    /// Moved from version `from` to version `to` while parked at `point` (the park
    /// point as the source writes it, e.g. `` `wait 3d` ``).
    Moved { at: String, from: i64, to: i64, point: String },
}

impl LifecycleEntry {
    /// When it happened (RFC 3339, milliseconds).
    pub fn at(&self) -> &str {
        match self {
            LifecycleEntry::Cancelled { at, .. } | LifecycleEntry::Moved { at, .. } => at,
        }
    }

    /// One line for people: "moved from v1 to v2 at `wait 3d`".
    pub fn describe(&self) -> String {
        match self {
            LifecycleEntry::Cancelled { by, .. } => format!("cancelled {by}"),
            LifecycleEntry::Moved { from, to, point, .. } => {
                format!("moved from v{from} to v{to} at {point}")
            }
        }
    }
}

/// A run that an event this run caused started.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CausedRun {
    pub id: String,
    pub workflow: String,
    /// The caused event that started it.
    pub event: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    pub name: String,
    pub action: ActionId,
    pub status: StepStatus,
    pub attempts: u32,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// The evaluated arguments (secrets as `[redacted]`).
    pub input: serde_json::Value,
    pub output: serde_json::Value,
    pub error: Option<StepError>,
    /// The route taken after the step (`on success ->` / `on failure ->`).
    pub route: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepError {
    pub kind: FailureKind,
    pub message: String,
    pub status: Option<i64>,
}

/// A failed run's reason, with where in the source it happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunError {
    pub message: String,
    /// The step that failed, if a step did.
    pub step: Option<String>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitRecord {
    /// `wait` or `retry`.
    pub kind: String,
    pub started_at: String,
    pub until: String,
    /// The `wait` statement, or the retried action.
    pub span: Span,
}

/// RFC 3339 in UTC with milliseconds, as run records show times.
pub fn format_millis(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}
