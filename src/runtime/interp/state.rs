//! A run's state: where control is, each step's progress, the values a workflow reads
//! (`run`, `error`), and the run record it becomes.
//!
//! In: a workflow and an admitted event ([`start`]). Out: a [`RunState`], plain data
//! (serde) that the engine stores at every park and resumes after a restart, and its
//! [`RunRecord`](super::super::record::RunRecord).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::TriggerId;
use crate::ir::{BlockId, RunStatus, StepStatus, StmtId, Workflow};
use crate::runtime::caused::CausedEvent;
use crate::runtime::event::TriggerEvent;
use crate::runtime::host::HostError;
use crate::runtime::record::{
    LifecycleEntry, RunError, RunRecord, StepError, StepRecord, WaitRecord, format_millis,
};
use crate::runtime::value::Value;
use crate::source::Span;

/// Where control is: a block and the next statement in it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    pub block: BlockId,
    pub next: u32,
    pub kind: FrameKind,
}

/// What ending a frame's block means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameKind {
    /// The main flow: the run succeeds.
    Main,
    /// An `if` branch: go on after the `if`.
    Branch,
    /// A route: the run ends (failed if it was entered by failure).
    Route,
    /// An `on failure { … }` block: the run ends, failed.
    FailureBlock,
}

/// One step's progress.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct StepState {
    pub status: Option<StepStatus>,
    pub attempts: u32,
    pub started_at: Option<jiff::Timestamp>,
    pub finished_at: Option<jiff::Timestamp>,
    pub input: serde_json::Value,
    pub error: Option<StepError>,
    pub route: Option<String>,
}

/// An action waiting for its next attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    pub stmt: StmtId,
    pub attempt: u32,
}

/// Everything about a run in progress: plain data, serialisable at any park.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    pub id: String,
    pub workflow: String,
    pub version: i64,
    pub trigger: TriggerId,
    pub status: RunStatus,
    pub started_at: jiff::Timestamp,
    pub finished_at: Option<jiff::Timestamp>,
    /// `event` as the workflow sees it.
    pub event: Value,
    /// `hub`, `card`, `prize`, `coupon`, `receipt`.
    pub context: BTreeMap<String, Value>,
    pub frames: Vec<Frame>,
    pub locals: BTreeMap<String, Value>,
    /// By step id.
    pub steps: Vec<StepState>,
    /// Step outputs by step id: `Null` until the step succeeds.
    pub outputs: Vec<Value>,
    /// The failure being handled (`error`), in `on failure` blocks and routes.
    pub error: Option<StepError>,
    pub error_step: Option<String>,
    /// The run entered a route or block by failure: ending there fails the run.
    pub failed_path: bool,
    pub pending: Option<Pending>,
    pub waiting_until: Option<jiff::Timestamp>,
    pub failure: Option<RunError>,
    /// Action steps executed so far.
    pub budget_used: u32,
    pub waits: Vec<WaitRecord>,
    /// The events the run's steps caused, in order (`catalog.md` "What actions change").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub caused: Vec<CausedEvent>,
    /// What was done to the run from outside its workflow (cancelled, moved).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lifecycle: Vec<LifecycleEntry>,
}

/// Identity of a new run.
#[derive(Clone, Debug)]
pub struct RunStart {
    pub id: String,
    pub version: i64,
    pub started_at: jiff::Timestamp,
}

/// What [`resume`](super::resume) achieved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress {
    /// The run ended; see its status.
    Finished,
    /// Parked until this time.
    Waiting(jiff::Timestamp),
    /// The host could not answer; nothing was lost, resume later.
    Interrupted(HostError),
}

/// A new run of `wf` for an admitted event.
pub fn start(wf: &Workflow, run: RunStart, event: &TriggerEvent) -> RunState {
    RunState {
        id: run.id,
        workflow: wf.name.clone(),
        version: run.version,
        trigger: wf.trigger,
        status: RunStatus::Pending,
        started_at: run.started_at,
        finished_at: None,
        event: event.event.clone(),
        context: event.context.clone(),
        frames: vec![Frame { block: wf.body, next: 0, kind: FrameKind::Main }],
        locals: BTreeMap::new(),
        steps: vec![StepState::default(); wf.steps.len()],
        outputs: vec![Value::Null; wf.steps.len()],
        error: None,
        error_step: None,
        failed_path: false,
        pending: None,
        waiting_until: None,
        failure: None,
        budget_used: 0,
        waits: Vec::new(),
        caused: Vec::new(),
        lifecycle: Vec::new(),
    }
}

impl RunState {
    pub fn is_finished(&self) -> bool {
        matches!(self.status, RunStatus::Succeeded | RunStatus::Failed | RunStatus::Cancelled)
    }

    pub(super) fn finish(&mut self, status: RunStatus, now: jiff::Timestamp) {
        self.status = status;
        self.finished_at = Some(now);
        self.frames.clear();
        self.pending = None;
        self.waiting_until = None;
    }

    pub(super) fn fail(&mut self, message: String, step: Option<String>, span: Span, now: jiff::Timestamp) {
        self.failure = Some(RunError { message, step, span });
        self.finish(RunStatus::Failed, now);
    }

    /// `run` as the workflow sees it.
    pub fn run_value(&self) -> Value {
        Value::record([
            ("id".to_string(), Value::str(self.id.clone())),
            ("workflow".to_string(), Value::str(self.workflow.clone())),
            ("version".to_string(), Value::Int(self.version)),
            ("started_at".to_string(), Value::Timestamp(self.started_at)),
        ])
    }

    /// `error` as the workflow sees it.
    pub(super) fn error_value(&self) -> Value {
        match (&self.error, &self.error_step) {
            (Some(e), Some(step)) => Value::record([
                ("step".to_string(), Value::str(step.clone())),
                ("message".to_string(), Value::str(e.message.clone())),
                ("kind".to_string(), Value::str(e.kind.as_str())),
                ("status".to_string(), e.status.map_or(Value::Null, Value::Int)),
            ]),
            _ => Value::Null,
        }
    }

    /// The run record (engine.md §3): every step of the workflow in source order, those
    /// that did not run as `skipped`; `contact` is the contact's state now.
    pub fn record(&self, wf: &Workflow, contact: &Value) -> RunRecord {
        let steps = wf
            .steps
            .iter()
            .zip(&self.steps)
            .enumerate()
            .map(|(i, (step, state))| {
                let ran = state.status.is_some();
                StepRecord {
                    name: step.name.clone(),
                    action: step.action,
                    status: state.status.unwrap_or(StepStatus::Skipped),
                    attempts: state.attempts,
                    started_at: state.started_at.map(format_millis),
                    finished_at: state.finished_at.map(format_millis),
                    input: if ran || state.attempts > 0 {
                        state.input.clone()
                    } else {
                        serde_json::Value::Null
                    },
                    output: if state.status == Some(StepStatus::Succeeded) {
                        self.outputs.get(i).map_or(serde_json::Value::Null, Value::to_json)
                    } else {
                        serde_json::Value::Null
                    },
                    error: state.error.clone(),
                    route: state.route.clone(),
                }
            })
            .collect();
        let mut event = self.event.to_json();
        if let serde_json::Value::Object(map) = &mut event {
            for (name, value) in &self.context {
                if !value.is_null() {
                    map.insert(name.clone(), value.to_json());
                }
            }
        }
        RunRecord {
            id: self.id.clone(),
            workflow: self.workflow.clone(),
            version: self.version,
            status: self.status,
            trigger: self.trigger,
            event,
            started_at: format_millis(self.started_at),
            finished_at: self.finished_at.map(format_millis),
            steps,
            contact: contact.to_json(),
            error: self.failure.clone(),
            waits: self.waits.clone(),
            caused_by: None,
            caused_events: self.caused.clone(),
            caused_runs: Vec::new(),
            lifecycle: self.lifecycle.clone(),
        }
    }
}
