//! Replay diff: a recorded run re-run on another version of its workflow, in the
//! sandbox, and what changes.
//!
//! In: a workflow (the new version), a [`Recorded`] run (its record, its trigger
//! event, the contact it started with) and, for a waiting run, a horizon. Out: a
//! [`RunDiff`] (the [`Change`]s from the recorded run to the replayed one), and for many
//! runs a [`ReplayReport`] with [`Totals`].
//!
//! The replay runs as `komo run` does: a virtual clock that starts when the recorded
//! run started (waits and retry delays take no time), internal actions on an in-memory
//! copy of the contact as it was at the start, external actions recorded and not sent.
//! An external step of the same name and action that the recorded run performed gets
//! what it got then (its output, or its failure); others get the sandbox's plausible
//! outputs. A waiting run is compared on what it did so far: its replay stops at the
//! first park that would last past the horizon (the time of the replay).

mod diff;
mod totals;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

pub use diff::{Change, ChangeKind, FieldChange, diff, ran};
pub use totals::{KindTotal, StepTotal, Totals, totals};

use super::admit::{Admission, admit};
use super::contact::ContactState;
use super::event::{TriggerEvent, convert};
use super::host::{ActionFailure, Host};
use super::interp::{Progress, RunStart, resume, start};
use super::record::{RunRecord, StepRecord};
use super::sandbox::SandboxHost;
use super::value::Value;
use crate::catalog::{ActionKind, catalog_type};
use crate::ir::{RunStatus, StepStatus, Ty, Workflow};

/// The version of the report's JSON form.
pub const FORMAT_VERSION: u32 = 1;

/// The seed of a replay's retry jitter (the same as `komo run`'s).
const SEED: u64 = 7;

/// The contact a recorded run started with.
#[derive(Clone, Debug)]
pub enum StartContact {
    /// As stored when the run started.
    Snapshot(Box<ContactState>),
    /// The run has no contact (its trigger's contact is optional, and the event had none).
    NoContact,
    /// None was kept (the run was recorded before start contacts were): a new contact
    /// with only the run's identity (id, email, phone).
    Identity,
}

/// Where a replay's contact came from (see [`StartContact`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactSource {
    Snapshot,
    None,
    Identity,
}

impl StartContact {
    pub fn source(&self) -> ContactSource {
        match self {
            StartContact::Snapshot(_) => ContactSource::Snapshot,
            StartContact::NoContact => ContactSource::None,
            StartContact::Identity => ContactSource::Identity,
        }
    }
}

/// A recorded run, with what its replay needs.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub record: RunRecord,
    /// Its trigger event, as received.
    pub event: TriggerEvent,
    pub contact: StartContact,
}

/// One run's replay.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunDiff {
    pub run: String,
    /// The version it ran on.
    pub version: i64,
    /// Its recorded status.
    pub status: RunStatus,
    pub started_at: String,
    pub contact: ContactSource,
    /// Empty when nothing changes (or it could not be replayed).
    pub changes: Vec<Change>,
    /// Why it could not be replayed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A replay of many runs: `komo replay --format json`, and the API's answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReplayReport {
    pub format_version: u32,
    pub workflow: String,
    /// What the runs were replayed on: `v3`, or `source` (a source text).
    pub against: String,
    /// Every run read, newest first.
    pub runs: Vec<RunDiff>,
    pub totals: Totals,
}

impl ReplayReport {
    pub fn new(workflow: &str, against: &str, runs: Vec<RunDiff>) -> ReplayReport {
        let totals = totals(&runs);
        ReplayReport {
            format_version: FORMAT_VERSION,
            workflow: workflow.to_string(),
            against: against.to_string(),
            runs,
            totals,
        }
    }
}

/// Replays `recorded` on `wf` (as version `version`) and compares. A waiting run
/// (`horizon` given) stops at the first park that lasts past `horizon`.
pub async fn replay_run(
    wf: &Workflow,
    version: i64,
    recorded: Recorded,
    horizon: Option<jiff::Timestamp>,
) -> RunDiff {
    let Recorded { record, event, contact } = recorded;
    let mut diff = RunDiff {
        run: record.id.clone(),
        version: record.version,
        status: record.status,
        started_at: record.started_at.clone(),
        contact: contact.source(),
        changes: Vec::new(),
        error: None,
    };
    let horizon = horizon.filter(|_| record.status == RunStatus::Waiting);
    match rerun(wf, version, &record, event, contact, horizon).await {
        Ok(Ok(new)) => diff.changes = diff::diff(&record, &new),
        Ok(Err(reason)) => diff.changes = vec![Change::no_run(reason)],
        Err(message) => diff.error = Some(message),
    }
    diff
}

/// The replayed run's record, or why the new version starts no run (`Ok(Err)`), or why
/// it could not be replayed (`Err`).
async fn rerun(
    wf: &Workflow,
    version: i64,
    record: &RunRecord,
    event: TriggerEvent,
    contact: StartContact,
    horizon: Option<jiff::Timestamp>,
) -> Result<Result<RunRecord, String>, String> {
    let started_at: jiff::Timestamp = record
        .started_at
        .parse()
        .map_err(|e| format!("its start time `{}` is not a timestamp: {e}", record.started_at))?;
    let mut host = SandboxHost::new(started_at, &record.id, SEED);
    match contact {
        StartContact::Snapshot(state) => host.set_contact_state(*state),
        StartContact::NoContact => host.set_contact(&Value::Null),
        StartContact::Identity => host.set_contact(&identity(record, &event)),
    }
    if let Some(entry) = event.context.get("entry").filter(|e| !e.is_null()) {
        host.set_entry(entry.clone());
    }
    for step in &record.steps {
        if let Some(outcome) = recorded_outcome(step) {
            host.add_recorded(&step.name, step.action, outcome);
        }
    }
    let event = match admit(wf, event, &mut host).await.map_err(|e| e.message)? {
        Admission::Run(event) => event,
        Admission::NoRun(reason) => return Ok(Err(reason)),
    };
    let mut state = start(wf, RunStart { id: record.id.clone(), version, started_at }, &event);
    loop {
        match resume(wf, &mut state, &mut host).await {
            Progress::Finished => break,
            Progress::Waiting(until) if horizon.is_some_and(|h| until > h) => break,
            Progress::Waiting(until) => host.advance_to(until),
            Progress::Interrupted(e) => return Err(e.message),
        }
    }
    let contact = host.contact().await.map_err(|e| e.message)?;
    Ok(Ok(state.record(wf, &contact)))
}

/// A new contact with only the run's identity: its id (from the record), email and
/// phone (from the event).
fn identity(record: &RunRecord, event: &TriggerEvent) -> Value {
    let id = record.contact.get("id").and_then(|id| id.as_str()).map(Value::str);
    let fields = [
        ("id", id),
        ("email", Some(event.contact.field("email"))),
        ("phone", Some(event.contact.field("phone"))),
    ];
    Value::record(
        fields
            .into_iter()
            .filter_map(|(name, value)| value.filter(|v| !v.is_null()).map(|v| (name.to_string(), v))),
    )
}

/// What a recorded external step got: its output (typed as the action's output), or
/// its failure. `None` for internal actions (they act on the contact again) and for
/// steps that did not end.
fn recorded_outcome(step: &StepRecord) -> Option<Result<Value, ActionFailure>> {
    let spec = step.action.spec();
    if spec.kind != ActionKind::External {
        return None;
    }
    match step.status {
        StepStatus::Succeeded => {
            let Value::Record(mut fields) = Value::from_json(&step.output) else {
                return Some(Ok(Value::from_json(&step.output)));
            };
            for (name, ty) in spec.output {
                if let Some(value) = fields.get_mut(*name) {
                    if let Ok(typed) = convert(value, &Ty::from(&catalog_type(ty)), name) {
                        *value = typed;
                    }
                }
            }
            Some(Ok(Value::Record(fields)))
        }
        StepStatus::Failed => step.error.as_ref().map(|e| {
            Err(ActionFailure {
                kind: e.kind.clone(),
                message: e.message.clone(),
                status: e.status,
                retry_after_ms: None,
            })
        }),
        StepStatus::Skipped => None,
    }
}
