//! The interpreter: runs an IR workflow, statement by statement, through a [`Host`].
//!
//! In: a workflow, a [`RunState`] (from [`start`], or loaded back after a park) and a
//! host. Out: [`Progress`]: finished, or parked until a time (a `wait` or a retry
//! delay). The state is plain data (serde): the engine stores it at every park and
//! resumes it after a restart. Control is a stack of frames, never Rust recursion, so
//! no workflow can exhaust the stack; every run ends (routes are acyclic and the step
//! budget caps the work).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::caused::CausedEvent;
use super::eval::{EvalError, Scope};
use super::event::TriggerEvent;
use super::host::{ActionFailure, ActionRequest, Host, HostError};
use super::record::{RunError, StepError, WaitRecord, format_millis};
use super::value::Value;
use crate::ir::{Action, BlockId, OnFailure, RunStatus, StepStatus, StmtId, StmtKind, Workflow};
use crate::source::Span;

/// The most action steps one run may execute.
pub const STEP_BUDGET: u32 = 1000;

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
    pub trigger: String,
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
}

/// Identity of a new run.
#[derive(Clone, Debug)]
pub struct RunStart {
    pub id: String,
    pub version: i64,
    pub started_at: jiff::Timestamp,
}

/// What [`resume`] achieved.
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
        trigger: wf.trigger.clone(),
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
    }
}

impl RunState {
    pub fn is_finished(&self) -> bool {
        matches!(self.status, RunStatus::Succeeded | RunStatus::Failed | RunStatus::Cancelled)
    }

    fn finish(&mut self, status: RunStatus, now: jiff::Timestamp) {
        self.status = status;
        self.finished_at = Some(now);
        self.frames.clear();
        self.pending = None;
        self.waiting_until = None;
    }

    fn fail(&mut self, message: String, step: Option<String>, span: Span, now: jiff::Timestamp) {
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
    fn error_value(&self) -> Value {
        match (&self.error, &self.error_step) {
            (Some(e), Some(step)) => Value::record([
                ("step".to_string(), Value::str(step.clone())),
                ("message".to_string(), Value::str(e.message.clone())),
                ("kind".to_string(), Value::str(e.kind.clone())),
                ("status".to_string(), e.status.map_or(Value::Null, Value::Int)),
            ]),
            _ => Value::Null,
        }
    }
}

/// What one statement did to control.
enum Next {
    Continue,
    Park(jiff::Timestamp),
    Done,
    Interrupted(HostError),
}

/// Runs until the run ends or parks.
pub async fn resume<H: Host + Send>(wf: &Workflow, st: &mut RunState, host: &mut H) -> Progress {
    if st.is_finished() {
        return Progress::Finished;
    }
    st.status = RunStatus::Running;
    st.waiting_until = None;
    let run = st.run_value();
    loop {
        let next = match st.pending.take() {
            Some(p) => {
                let next = action_stmt(wf, st, host, &run, p.stmt, p.attempt).await;
                if matches!(next, Next::Interrupted(_)) {
                    st.pending = Some(p);
                }
                next
            }
            None => step(wf, st, host, &run).await,
        };
        match next {
            Next::Continue => {}
            Next::Park(until) => {
                st.status = RunStatus::Waiting;
                st.waiting_until = Some(until);
                return Progress::Waiting(until);
            }
            Next::Done => return Progress::Finished,
            Next::Interrupted(e) => return Progress::Interrupted(e),
        }
    }
}

/// Executes the next statement (or ends a block).
async fn step<H: Host + Send>(wf: &Workflow, st: &mut RunState, host: &mut H, run: &Value) -> Next {
    let now = host.now();
    let Some(frame) = st.frames.last_mut() else {
        st.finish(RunStatus::Succeeded, now);
        return Next::Done;
    };
    let stmts = wf.block(frame.block).map(|b| b.stmts.as_slice()).unwrap_or_default();
    let Some(&stmt_id) = stmts.get(frame.next as usize) else {
        let kind = frame.kind;
        st.frames.pop();
        return match kind {
            FrameKind::Branch => Next::Continue,
            FrameKind::Main => {
                st.finish(RunStatus::Succeeded, now);
                Next::Done
            }
            FrameKind::Route | FrameKind::FailureBlock
                if kind == FrameKind::FailureBlock || st.failed_path =>
            {
                let message = match (&st.error_step, &st.error) {
                    (Some(step), Some(e)) => format!("step `{step}` failed: {}", e.message),
                    _ => "the run ended on a failure path".to_string(),
                };
                let step = st.error_step.clone();
                let span = step
                    .as_deref()
                    .and_then(|s| wf.step_named(s))
                    .and_then(|id| wf.step(id))
                    .map_or_else(Span::default, |s| s.span);
                st.failure = Some(RunError { message, step, span });
                st.finish(RunStatus::Failed, now);
                Next::Done
            }
            FrameKind::Route | FrameKind::FailureBlock => {
                st.finish(RunStatus::Succeeded, now);
                Next::Done
            }
        };
    };
    frame.next += 1;
    let Some(stmt) = wf.stmt(stmt_id) else {
        st.fail("internal error: a statement is missing from the IR".into(), None, Span::default(), now);
        return Next::Done;
    };
    let span = stmt.span;
    match &stmt.kind {
        StmtKind::Action(_) => action_stmt(wf, st, host, run, stmt_id, 1).await,
        StmtKind::Let { name, value } => match evaluate(wf, st, host, run, *value).await {
            Ok(v) => {
                st.locals.insert(name.clone(), v);
                Next::Continue
            }
            Err(Stop::Host(e)) => Next::Interrupted(e),
            Err(Stop::Eval(e) | Stop::Fatal(e)) => fail_eval(st, e, now),
        },
        StmtKind::If { branches, otherwise } => {
            for (cond, block) in branches {
                match evaluate(wf, st, host, run, *cond).await {
                    Ok(Value::Bool(true)) => {
                        st.frames.push(Frame { block: *block, next: 0, kind: FrameKind::Branch });
                        return Next::Continue;
                    }
                    Ok(Value::Bool(false)) => {}
                    Ok(other) => {
                        let message = format!("an `if` condition must be a Bool, found {}", other.kind());
                        return fail_eval(st, EvalError { message, span }, now);
                    }
                    Err(Stop::Host(e)) => return Next::Interrupted(e),
                    Err(Stop::Eval(e) | Stop::Fatal(e)) => return fail_eval(st, e, now),
                }
            }
            if let Some(block) = otherwise {
                st.frames.push(Frame { block: *block, next: 0, kind: FrameKind::Branch });
            }
            Next::Continue
        }
        StmtKind::Wait { duration } => match evaluate(wf, st, host, run, *duration).await {
            Ok(Value::Duration(ms)) => {
                park_until(st, now, now.checked_add(jiff::SignedDuration::from_millis(ms)).ok(), span, "wait")
            }
            Ok(other) => fail_eval(
                st,
                EvalError { message: format!("`wait` needs a Duration, found {}", other.kind()), span },
                now,
            ),
            Err(Stop::Host(e)) => Next::Interrupted(e),
            Err(Stop::Eval(e) | Stop::Fatal(e)) => fail_eval(st, e, now),
        },
        StmtKind::WaitUntil { at } => match evaluate(wf, st, host, run, *at).await {
            Ok(Value::Timestamp(t)) => park_until(st, now, Some(t), span, "wait"),
            Ok(Value::String(s)) => match s.parse::<jiff::Timestamp>() {
                Ok(t) => park_until(st, now, Some(t), span, "wait"),
                Err(_) => {
                    fail_eval(st, EvalError { message: format!("`{s}` is not a timestamp"), span }, now)
                }
            },
            Ok(other) => fail_eval(
                st,
                EvalError {
                    message: format!("`wait until` needs a Timestamp, found {}", other.kind()),
                    span,
                },
                now,
            ),
            Err(Stop::Host(e)) => Next::Interrupted(e),
            Err(Stop::Eval(e) | Stop::Fatal(e)) => fail_eval(st, e, now),
        },
        StmtKind::Goto { route } => {
            enter_route(wf, st, *route);
            Next::Continue
        }
        StmtKind::Stop => {
            st.finish(RunStatus::Succeeded, now);
            Next::Done
        }
        StmtKind::Fail { message } => match evaluate(wf, st, host, run, *message).await {
            Ok(v) => {
                st.fail(v.to_text(), None, span, now);
                Next::Done
            }
            Err(Stop::Host(e)) => Next::Interrupted(e),
            Err(Stop::Eval(e) | Stop::Fatal(e)) => fail_eval(st, e, now),
        },
    }
}

/// Parks until `until` unless it is already due (a zero or past wait goes on at once,
/// without a timer).
fn park_until(
    st: &mut RunState,
    now: jiff::Timestamp,
    until: Option<jiff::Timestamp>,
    span: Span,
    kind: &str,
) -> Next {
    let Some(until) = until else {
        st.fail("the wait ends beyond the last representable time".into(), None, span, now);
        return Next::Done;
    };
    if until <= now {
        return Next::Continue;
    }
    st.waits.push(WaitRecord {
        kind: kind.into(),
        started_at: format_millis(now),
        until: format_millis(until),
        span,
    });
    Next::Park(until)
}

fn fail_eval(st: &mut RunState, e: EvalError, now: jiff::Timestamp) -> Next {
    st.fail(e.message, None, e.span, now);
    Next::Done
}

fn enter_route(wf: &Workflow, st: &mut RunState, route: crate::ir::RouteId) {
    st.frames.clear();
    if let Some(r) = wf.route(route) {
        st.frames.push(Frame { block: r.body, next: 0, kind: FrameKind::Route });
    }
}

enum Stop {
    Eval(EvalError),
    Host(HostError),
    /// The host cannot answer and will not by itself (an unreadable contact): the
    /// statement fails; an action fails with kind `contact_unreadable`.
    Fatal(EvalError),
}

/// The contact and entry as they are now: read once per statement ("read live at each
/// use"; nothing changes them within one statement).
struct Live {
    contact: Value,
    entry: Value,
}

async fn live<H: Host + Send>(host: &mut H, span: Span) -> Result<Live, Stop> {
    let stop = |e: HostError| match e.fatal {
        true => Stop::Fatal(EvalError { message: e.message, span }),
        false => Stop::Host(e),
    };
    Ok(Live { contact: host.contact().await.map_err(stop)?, entry: host.entry().await.map_err(stop)? })
}

/// Evaluates one expression of a statement, reading the contact and entry live first.
async fn evaluate<H: Host + Send>(
    wf: &Workflow,
    st: &RunState,
    host: &mut H,
    run: &Value,
    id: crate::ir::ExprId,
) -> Result<Value, Stop> {
    let span = wf.expr(id).map_or_else(Span::default, |e| e.span);
    let live = live(host, span).await?;
    eval_with(wf, st, host, &live, run, id)
}

fn eval_with<H: Host>(
    wf: &Workflow,
    st: &RunState,
    host: &H,
    live: &Live,
    run: &Value,
    id: crate::ir::ExprId,
) -> Result<Value, Stop> {
    let (contact, entry) = (&live.contact, &live.entry);
    let error = if st.error.is_some() { st.error_value() } else { Value::Null };
    let has_secret = |name: &str| host.secret(name).is_some();
    let scope = Scope {
        exprs: &wf.exprs,
        event: &st.event,
        contact,
        entry,
        context: &st.context,
        locals: &st.locals,
        steps: &st.outputs,
        run,
        error: &error,
        now: host.now(),
        has_secret: &has_secret,
    };
    scope.eval(id).map_err(Stop::Eval)
}

/// One attempt of an action statement, and what follows from its outcome.
async fn action_stmt<H: Host + Send>(
    wf: &Workflow,
    st: &mut RunState,
    host: &mut H,
    run: &Value,
    stmt_id: StmtId,
    attempt: u32,
) -> Next {
    let now = host.now();
    let Some((action, span)) = wf.stmt(stmt_id).and_then(|s| match &s.kind {
        StmtKind::Action(a) => Some((a, s.span)),
        _ => None,
    }) else {
        st.fail("internal error: an action is missing from the IR".into(), None, Span::default(), now);
        return Next::Done;
    };
    let index = action.step.index();
    let (name, action_name) =
        wf.step(action.step).map_or((String::new(), String::new()), |s| (s.name.clone(), s.action.clone()));
    if attempt == 1 {
        st.budget_used += 1;
        if st.budget_used > STEP_BUDGET {
            let message = format!("the run went over its budget of {STEP_BUDGET} steps");
            st.fail(message, Some(name), span, now);
            return Next::Done;
        }
    }
    let args = match evaluate_args(wf, st, host, run, action).await {
        Ok(args) => Ok(args),
        Err(Stop::Host(e)) => return Next::Interrupted(e),
        Err(Stop::Eval(e)) => Err(ActionFailure::new("invalid_value", e.message)),
        Err(Stop::Fatal(e)) => Err(ActionFailure::new("contact_unreadable", e.message)),
    };
    if let Some(state) = st.steps.get_mut(index) {
        if attempt == 1 {
            state.started_at = Some(now);
        }
        if let Ok(args) = &args {
            state.input =
                serde_json::Value::Object(args.iter().map(|(k, v)| (k.clone(), v.to_json())).collect());
        }
    }
    let outcome = match args {
        Ok(args) => {
            let key = format!("{}:{}", st.id, name);
            let request = ActionRequest {
                run_id: &st.id,
                step: &name,
                action: &action_name,
                args: &args,
                attempt,
                idempotency_key: &key,
                timeout_ms: action.timeout_ms,
            };
            perform(host, request, action.timeout_ms).await
        }
        Err(failure) => Err(failure),
    };
    let now = host.now();
    let changes = host.take_changes();
    match outcome {
        Ok(output) => {
            for change in changes {
                let id = format!("{}.ev{}", st.id, st.caused.len() + 1);
                st.caused.push(change.into_event(id, &name));
            }
            if let Some(state) = st.steps.get_mut(index) {
                state.status = Some(StepStatus::Succeeded);
                state.attempts = attempt;
                state.finished_at = Some(now);
                state.error = None;
            }
            if let Some(slot) = st.outputs.get_mut(index) {
                *slot = output;
            }
            if let Some(route) = action.on_success {
                if let Some(state) = st.steps.get_mut(index) {
                    state.route = wf.route(route).map(|r| r.name.clone());
                }
                enter_route(wf, st, route);
            }
            Next::Continue
        }
        Err(failure) => {
            let retries = action.retry.map_or(0, |r| r.count);
            if failure.retryable() && attempt <= retries {
                let backoff = action.retry.map_or(1000, |r| r.backoff_ms);
                let delay = retry_delay(backoff, attempt, host.jitter(), failure.retry_after_ms);
                st.pending = Some(Pending { stmt: stmt_id, attempt: attempt + 1 });
                if let Some(state) = st.steps.get_mut(index) {
                    // Between attempts the step shows its last attempt: failed, with
                    // the error (a later attempt may still succeed).
                    state.attempts = attempt;
                    state.status = Some(StepStatus::Failed);
                    state.finished_at = Some(now);
                    state.error = Some(StepError {
                        kind: failure.kind.clone(),
                        message: failure.message.clone(),
                        status: failure.status,
                    });
                }
                let until = now.checked_add(jiff::SignedDuration::from_millis(delay)).ok();
                return park_until(st, now, until, span, "retry");
            }
            let error = StepError {
                kind: failure.kind.clone(),
                message: failure.message.clone(),
                status: failure.status,
            };
            if let Some(state) = st.steps.get_mut(index) {
                state.status = Some(StepStatus::Failed);
                state.attempts = attempt;
                state.finished_at = Some(now);
                state.error = Some(error.clone());
            }
            on_failure(wf, st, action, &name, error, span, now)
        }
    }
}

fn on_failure(
    wf: &Workflow,
    st: &mut RunState,
    action: &Action,
    name: &str,
    error: StepError,
    span: Span,
    now: jiff::Timestamp,
) -> Next {
    match &action.on_failure {
        OnFailure::End => {
            st.fail(format!("step `{name}` failed: {}", error.message), Some(name.to_string()), span, now);
            Next::Done
        }
        OnFailure::Continue => Next::Continue,
        OnFailure::Route(route) => {
            if let Some(state) = st.steps.get_mut(action.step.index()) {
                state.route = wf.route(*route).map(|r| r.name.clone());
            }
            st.error = Some(error);
            st.error_step = Some(name.to_string());
            st.failed_path = true;
            enter_route(wf, st, *route);
            Next::Continue
        }
        OnFailure::Block(block) => {
            st.error = Some(error);
            st.error_step = Some(name.to_string());
            st.failed_path = true;
            st.frames.push(Frame { block: *block, next: 0, kind: FrameKind::FailureBlock });
            Next::Continue
        }
    }
}

/// The delay before attempt `attempt + 1`: `backoff` doubled per attempt, plus up to
/// 10% jitter, and at least what the provider asked for.
pub fn retry_delay(backoff_ms: u64, attempt: u32, jitter: f64, retry_after_ms: Option<u64>) -> i64 {
    let base = backoff_ms.saturating_mul(1u64 << attempt.saturating_sub(1).min(20));
    let jittered = base.saturating_add((base as f64 * 0.1 * jitter.clamp(0.0, 1.0)) as u64);
    i64::try_from(jittered.max(retry_after_ms.unwrap_or(0))).unwrap_or(i64::MAX)
}

async fn evaluate_args<H: Host + Send>(
    wf: &Workflow,
    st: &RunState,
    host: &mut H,
    run: &Value,
    action: &Action,
) -> Result<BTreeMap<String, Value>, Stop> {
    let span = action.args.first().and_then(|(_, e)| wf.expr(*e)).map_or_else(Span::default, |e| e.span);
    let live = live(host, span).await?;
    let mut args = BTreeMap::new();
    for (name, expr) in &action.args {
        args.insert(name.clone(), eval_with(wf, st, host, &live, run, *expr)?);
    }
    Ok(args)
}

async fn perform<H: Host + Send>(
    host: &mut H,
    request: ActionRequest<'_>,
    timeout_ms: Option<u64>,
) -> Result<Value, ActionFailure> {
    match timeout_ms {
        Some(ms) => {
            match tokio::time::timeout(std::time::Duration::from_millis(ms), host.perform(request)).await {
                Ok(result) => result,
                Err(_) => Err(ActionFailure::new("timeout", format!("the attempt took longer than {ms} ms"))),
            }
        }
        None => host.perform(request).await,
    }
}

impl RunState {
    /// The run record (engine.md §3): every step of the workflow in source order, those
    /// that did not run as `skipped`; `contact` is the contact's state now.
    pub fn record(&self, wf: &Workflow, contact: &Value) -> super::record::RunRecord {
        use super::record::{RunRecord, StepRecord};
        let steps = wf
            .steps
            .iter()
            .zip(&self.steps)
            .enumerate()
            .map(|(i, (step, state))| {
                let ran = state.status.is_some();
                StepRecord {
                    name: step.name.clone(),
                    action: step.action.clone(),
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
            trigger: self.trigger.clone(),
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
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_double_with_bounded_jitter() {
        assert_eq!(retry_delay(1000, 1, 0.0, None), 1000);
        assert_eq!(retry_delay(1000, 2, 0.0, None), 2000);
        assert_eq!(retry_delay(1000, 3, 1.0, None), 4400);
        assert_eq!(retry_delay(1000, 1, 0.0, Some(5000)), 5000);
        assert!(retry_delay(u64::MAX, 30, 1.0, None) > 0);
    }
}
