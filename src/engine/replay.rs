//! The replay diff on the engine: a workflow's recorded runs re-run on a stored
//! version or on a source text, and what would change (`POST
//! /v1/workflows/{name}/replay`, `komo replay`, the dashboard's "compare with draft").
//!
//! In: a workspace, a workflow and a [`ReplayRequest`]. Out: a [`ReplayReport`]. The
//! runs are read newest first (`since`, `limit`: 100 by default, at most 1000): those
//! that succeeded or failed, and those waiting (compared on what they did so far: their
//! replay stops at the first park that lasts past now). Each starts from its trigger
//! event as stored, the contact as it was when it started (a run stored before start
//! contacts were kept starts from its identity only, and the report says so), and its
//! external steps' recorded outputs. A source text is checked first: one with errors is
//! refused with the diagnostics (422), as activation refuses it.

use serde::{Deserialize, Serialize};

use super::Engine;
use super::error::{EngineError, Fault};
use super::host::blob_state;
use super::store::{ReplayQuery, RunRow};
use crate::ir;
use crate::runtime::event::parse_envelope;
use crate::runtime::interp::RunState;
use crate::runtime::replay::{Recorded, ReplayReport, RunDiff, StartContact, replay_run};
use crate::runtime::value::Value;
use crate::source::SourceMap;

/// Runs replayed when the request does not say.
pub const DEFAULT_LIMIT: u32 = 100;
/// The most runs one replay reads.
pub const MAX_LIMIT: u32 = 1000;

/// What to replay on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Against {
    /// A stored version of the workflow.
    Version(i64),
    /// A source text (a file, or the saved draft), defining the workflow.
    Source(String),
}

/// The body of `POST /v1/workflows/{name}/replay`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplayRequest {
    pub against: Against,
    /// Only runs started at or after this time (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<String>,
    /// How many runs, newest first (default 100, at most 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

impl Engine {
    /// Replays `name`'s recorded runs on what `request` says (see the module's comment).
    pub async fn replay_diff(
        &self,
        ws: &str,
        name: &str,
        request: &ReplayRequest,
    ) -> Result<ReplayReport, EngineError> {
        // The workflow must exist (404 otherwise), whatever it is replayed on.
        self.row(ws, name).await?;
        let (wf, version, label) = match &request.against {
            Against::Version(n) => (self.version(ws, name, *n).await?, *n, format!("v{n}")),
            Against::Source(source) => {
                let next = self.store.versions(ws, name).await?.last().copied().unwrap_or(0) + 1;
                (std::sync::Arc::new(self.compile_for_replay(name, source)?), next, "source".to_string())
            }
        };
        let started_from = match &request.since {
            None => None,
            Some(text) => Some(
                text.parse::<jiff::Timestamp>()
                    .map_err(|_| EngineError::Invalid {
                        message: format!("`{text}` is not an RFC 3339 time"),
                        field: Some("since".into()),
                    })?
                    .as_millisecond(),
            ),
        };
        let limit = request.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
        let query = ReplayQuery { workflow: name.to_string(), started_from, limit };
        let rows = self.store.replay_runs(ws, &query).await?;
        let now = self.clock.now();
        let mut runs = Vec::with_capacity(rows.len());
        for row in rows {
            let diff = match self.recorded(ws, &row).await {
                Ok(recorded) => replay_run(&wf, version, recorded, Some(now)).await,
                Err(why) => unreplayable(&row, why),
            };
            runs.push(diff);
        }
        Ok(ReplayReport::new(name, &label, runs))
    }

    /// Checks and lowers `source`: its workflow `name`, or its only workflow; a source
    /// with errors is refused with its diagnostics.
    fn compile_for_replay(&self, name: &str, source: &str) -> Result<ir::Workflow, EngineError> {
        let mut sources = SourceMap::new();
        sources.add(format!("{name}.komo"), source.to_string());
        let checked = crate::check_sources_in(&sources, &self.catalog);
        if checked.diagnostics.iter().any(|d| d.is_error()) {
            let report = crate::diagnostics::render::json(&sources, &checked.diagnostics);
            let diagnostics = serde_json::to_value(&report).unwrap_or(serde_json::Value::Null);
            return Err(EngineError::Refused { diagnostics });
        }
        let mut workflows = ir::lower_program(&checked).map_err(Fault::Lowering)?.workflows;
        match workflows.iter().position(|w| w.name == name) {
            Some(at) => Ok(workflows.swap_remove(at)),
            None if workflows.len() == 1 => workflows.pop().ok_or_else(|| no_workflow(name)),
            None => Err(no_workflow(name)),
        }
    }

    /// A stored run with what its replay needs: its record (on its own version), its
    /// trigger event and its start contact.
    async fn recorded(&self, ws: &str, row: &RunRow) -> Result<Recorded, String> {
        let old = self.version(ws, &row.workflow, row.version).await.map_err(|e| e.to_string())?;
        let state: RunState =
            serde_json::from_str(&row.state).map_err(|e| format!("its stored state is not valid ({e})"))?;
        let contact = row
            .contact_id
            .as_ref()
            .map_or(Value::Null, |id| Value::record([("id".to_string(), Value::str(id.clone()))]));
        let record = state.record(&old, &contact);
        let body = self
            .store
            .event_body(ws, &row.event_id)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("its event `{}` is no longer stored", row.event_id))?;
        let json: serde_json::Value =
            serde_json::from_str(&body).map_err(|e| format!("its stored event is not JSON ({e})"))?;
        let event =
            parse_envelope(&json).map_err(|e| format!("its event no longer fits its trigger: {e}"))?;
        let contact = match (&row.contact_id, &row.start_contact) {
            (None, _) => StartContact::NoContact,
            (Some(_), None) => StartContact::Identity,
            (Some(id), Some(blob)) => match blob_state(id, blob) {
                Ok(state) => StartContact::Snapshot(Box::new(state)),
                Err(why) => return Err(format!("its start contact cannot be read: {why}")),
            },
        };
        Ok(Recorded { record, event, contact })
    }
}

fn no_workflow(name: &str) -> EngineError {
    EngineError::Invalid {
        message: format!("the source does not define workflow `{name}` (nor only one workflow)"),
        field: Some("against.source".into()),
    }
}

/// A run that could not be replayed, and why.
fn unreplayable(row: &RunRow, why: String) -> RunDiff {
    use crate::runtime::replay::ContactSource;
    let status = serde_json::from_value(serde_json::Value::String(row.status.clone()))
        .unwrap_or(crate::ir::RunStatus::Failed);
    RunDiff {
        run: row.id.clone(),
        version: row.version,
        status,
        started_at: super::format_ms(row.started_at),
        contact: if row.start_contact.is_some() { ContactSource::Snapshot } else { ContactSource::Identity },
        changes: Vec::new(),
        error: Some(why),
    }
}
