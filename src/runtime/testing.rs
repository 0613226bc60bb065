//! `test` items: one workflow run on a sample event in the sandbox, then assertions.
//!
//! In: the IR program and one [`TestCase`]. Out: a [`TestOutcome`] with each failed
//! assertion (what was expected, what was found) and the run record. Runs use a virtual
//! clock starting at the event's `occurred_at`: waits and retry delays take no real
//! time. A test that expects `run waiting` stops the run at its first park.

mod caused_events;

use std::collections::BTreeMap;
use std::sync::Arc;

use super::admit::{Admission, admit};
use super::eval::{EvalError, Scope, equal};
use super::event::{TriggerEvent, from_test_record};
use super::host::{ActionFailure, FailureKind, Host};
use super::interp::{Progress, RunStart, RunState, resume, start};
use super::record::RunRecord;
use super::sandbox::{ArgsPredicate, MockResult, MockRule, SandboxHost};
use super::value::Value;
use crate::ir::{
    BinOp, Expect, ExpectKind, Expr, ExprId, ExprKind, MockOutcome, Program, RunStatus, TestCase,
};
use crate::source::Span;

/// The id of every test run (tests are deterministic).
pub const TEST_RUN_ID: &str = "run_test";
/// The seed of the sandbox's jitter in tests.
pub const TEST_SEED: u64 = 7;

/// One failed assertion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssertionFailure {
    pub span: Span,
    pub message: String,
    pub expected: Option<String>,
    pub actual: Option<String>,
}

/// The result of one test.
#[derive(Clone, Debug, PartialEq)]
pub struct TestOutcome {
    pub name: String,
    pub workflow: String,
    pub failures: Vec<AssertionFailure>,
    /// The run, if one started.
    pub record: Option<RunRecord>,
    /// Why no run started, if none did.
    pub no_run: Option<String>,
}

impl TestOutcome {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

fn failure(span: Span, message: impl Into<String>) -> AssertionFailure {
    AssertionFailure { span, message: message.into(), expected: None, actual: None }
}

fn mismatch(
    span: Span,
    message: impl Into<String>,
    expected: impl Into<String>,
    actual: impl Into<String>,
) -> AssertionFailure {
    AssertionFailure {
        span,
        message: message.into(),
        expected: Some(expected.into()),
        actual: Some(actual.into()),
    }
}

/// Evaluates a test expression that needs no run (event, contact, mock records).
fn constant(exprs: &[Expr], id: ExprId, now: jiff::Timestamp) -> Result<Value, EvalError> {
    let empty = BTreeMap::new();
    let no_secret = |_: &str| true;
    let scope = Scope {
        exprs,
        event: &Value::Null,
        contact: &Value::Null,
        entry: &Value::Null,
        context: &empty,
        locals: &empty,
        steps: &[],
        run: &Value::Null,
        error: &Value::Null,
        now,
        has_secret: &no_secret,
    };
    scope.eval(id)
}

/// Runs one test.
pub async fn run_test(program: &Program, case: &TestCase) -> TestOutcome {
    let mut outcome = TestOutcome {
        name: case.name.clone(),
        workflow: case.workflow.clone(),
        failures: Vec::new(),
        record: None,
        no_run: None,
    };
    let Some(wf) = program.workflows.iter().find(|w| w.name == case.workflow) else {
        outcome.failures.push(failure(case.span, format!("no workflow `{}`", case.workflow)));
        return outcome;
    };
    let trigger = wf.trigger.spec();
    let default_start: jiff::Timestamp =
        "2026-01-01T00:00:00Z".parse().unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let record = match case.event.map(|id| constant(&case.exprs, id, default_start)) {
        Some(Ok(v)) => v,
        Some(Err(e)) => {
            outcome.failures.push(failure(case.span, format!("the test's event: {}", e.message)));
            return outcome;
        }
        None => Value::Record(BTreeMap::new()),
    };
    let event = match from_test_record(trigger, &record) {
        Ok(e) => e,
        Err(e) => {
            outcome.failures.push(failure(case.span, format!("the test's event: {e}")));
            return outcome;
        }
    };
    let mut host = SandboxHost::new(event.occurred_at, TEST_RUN_ID, TEST_SEED);
    let contact = match case.contact.map(|id| constant(&case.exprs, id, event.occurred_at)) {
        Some(Ok(v)) => v,
        Some(Err(e)) => {
            outcome.failures.push(failure(case.span, format!("the test's contact: {}", e.message)));
            return outcome;
        }
        None => Value::Record(BTreeMap::new()),
    };
    host.set_contact(&contact);
    if let Some(entry) = event.context.get("entry").filter(|e| !e.is_null()) {
        host.set_entry(entry.clone());
    }
    if let Err(e) = add_mocks(&mut host, case, event.occurred_at) {
        outcome.failures.push(failure(case.span, e.message));
        return outcome;
    }
    let event = match admit(wf, event, &mut host).await {
        Ok(Admission::Run(event)) => event,
        Ok(Admission::NoRun(reason)) => {
            check_no_run(case, &reason, &mut outcome);
            outcome.no_run = Some(reason);
            return outcome;
        }
        Err(e) => {
            outcome.failures.push(failure(case.span, e.message));
            return outcome;
        }
    };
    let stop_at_park = case.expects.iter().any(|x| x.kind == ExpectKind::Run(RunStatus::Waiting));
    let mut state =
        start(wf, RunStart { id: TEST_RUN_ID.into(), version: 1, started_at: host.now() }, &event);
    loop {
        match resume(wf, &mut state, &mut host).await {
            Progress::Finished => break,
            Progress::Waiting(_) if stop_at_park => break,
            Progress::Waiting(until) => host.advance_to(until),
            Progress::Interrupted(e) => {
                outcome.failures.push(failure(case.span, e.message));
                break;
            }
        }
    }
    let contact = host.contact().await.unwrap_or(Value::Null);
    let entry = host.entry().await.unwrap_or(Value::Null);
    let record = state.record(wf, &contact);
    let finals = Finals {
        state: &state,
        record: &record,
        contact: &contact,
        entry: &entry,
        now: host.now(),
        event: &event,
    };
    for expect in &case.expects {
        if let Err(f) = finals.check(case, expect) {
            outcome.failures.push(f);
        }
    }
    outcome.record = Some(record);
    outcome
}

fn check_no_run(case: &TestCase, reason: &str, outcome: &mut TestOutcome) {
    for expect in &case.expects {
        if expect.kind != ExpectKind::NoRun {
            outcome.failures.push(mismatch(
                expect.span,
                "no run started",
                "a run",
                format!("no run: {reason}"),
            ));
        }
    }
}

fn add_mocks(host: &mut SandboxHost, case: &TestCase, now: jiff::Timestamp) -> Result<(), EvalError> {
    let exprs: Arc<Vec<Expr>> = Arc::new(case.exprs.clone());
    for mock in &case.mocks {
        let outcome = match &mock.outcome {
            MockOutcome::Ok(id) => MockResult::Ok(constant(&exprs, *id, now)?),
            MockOutcome::Fail { message, kind } => {
                let message = constant(&exprs, *message, now)?.to_text();
                MockResult::Fail(ActionFailure::new(kind.clone().unwrap_or(FailureKind::Error), message))
            }
        };
        let matches: ArgsPredicate = match mock.filter {
            None => Box::new(|_| true),
            Some(filter) => {
                let exprs = Arc::clone(&exprs);
                Box::new(move |args| {
                    let empty = BTreeMap::new();
                    let no_secret = |_: &str| true;
                    let scope = Scope {
                        exprs: &exprs,
                        event: &Value::Null,
                        contact: &Value::Null,
                        entry: &Value::Null,
                        context: &empty,
                        locals: args,
                        steps: &[],
                        run: &Value::Null,
                        error: &Value::Null,
                        now,
                        has_secret: &no_secret,
                    };
                    matches!(scope.eval(filter), Ok(Value::Bool(true)))
                })
            }
        };
        host.add_mock(MockRule { action: mock.action, matches, outcome });
    }
    Ok(())
}

/// The state after the run, for assertions.
struct Finals<'a> {
    state: &'a RunState,
    record: &'a RunRecord,
    contact: &'a Value,
    entry: &'a Value,
    event: &'a TriggerEvent,
    now: jiff::Timestamp,
}

impl Finals<'_> {
    fn scope<'s>(
        &'s self,
        exprs: &'s [Expr],
        outputs: &'s [Value],
        run: &'s Value,
        has_secret: &'s dyn Fn(&str) -> bool,
        locals: &'s BTreeMap<String, Value>,
    ) -> Scope<'s> {
        Scope {
            exprs,
            event: &self.state.event,
            contact: self.contact,
            entry: self.entry,
            context: &self.event.context,
            locals,
            steps: outputs,
            run,
            error: &Value::Null,
            now: self.now,
            has_secret,
        }
    }

    fn check(&self, case: &TestCase, expect: &Expect) -> Result<(), AssertionFailure> {
        let span = expect.span;
        match &expect.kind {
            ExpectKind::Run(status) => {
                let actual = self.state.status;
                if actual == *status {
                    return Ok(());
                }
                let why =
                    self.state.failure.as_ref().map(|f| format!(" ({})", f.message)).unwrap_or_default();
                Err(mismatch(
                    span,
                    "the run ended otherwise",
                    status.as_str(),
                    format!("{}{why}", actual.as_str()),
                ))
            }
            ExpectKind::NoRun => Err(mismatch(span, "a run started", "no run", self.state.status.as_str())),
            ExpectKind::Step(id, status) => {
                let step = self.record.steps.get(id.index()).ok_or_else(|| failure(span, "unknown step"))?;
                if step.status == *status {
                    Ok(())
                } else {
                    Err(mismatch(
                        span,
                        format!("step `{}`", step.name),
                        status.as_str(),
                        step.status.as_str(),
                    ))
                }
            }
            ExpectKind::CalledWith(id, args) => {
                let step = self.record.steps.get(id.index()).ok_or_else(|| failure(span, "unknown step"))?;
                let wanted = constant(&case.exprs, *args, self.now).map_err(|e| failure(span, e.message))?;
                let input = Value::from_json(&step.input);
                let Value::Record(wanted) = wanted else {
                    return Err(failure(span, "`called with` needs a record"));
                };
                let wrong: Vec<String> = wanted
                    .iter()
                    .filter(|(k, v)| !equal(&input.field(k), v))
                    .map(|(k, v)| format!("{k}: {} (was {})", v.to_json(), input.field(k).to_json()))
                    .collect();
                if step.input.is_null() {
                    return Err(mismatch(
                        span,
                        format!("step `{}` was not called", step.name),
                        "a call",
                        step.status.as_str(),
                    ));
                }
                if wrong.is_empty() {
                    Ok(())
                } else {
                    Err(mismatch(
                        span,
                        format!("step `{}` was called with other arguments", step.name),
                        wrong.join(", "),
                        step.input.to_string(),
                    ))
                }
            }
            ExpectKind::Took(ms) => {
                let end = self.state.finished_at.unwrap_or(self.now);
                let took =
                    i64::try_from(end.duration_since(self.state.started_at).as_millis()).unwrap_or(i64::MAX);
                if took == *ms {
                    Ok(())
                } else {
                    let fmt = super::value::format_duration;
                    Err(mismatch(span, "the run took another time", fmt(*ms), fmt(took)))
                }
            }
            ExpectKind::That(id) => self.that(case, *id, span),
            ExpectKind::Event { trigger, filter } => self.caused_event(case, trigger.name(), *filter, span),
            ExpectKind::NoEvent(trigger) => self.no_caused_event(trigger.name(), span),
        }
    }

    fn that(&self, case: &TestCase, id: ExprId, span: Span) -> Result<(), AssertionFailure> {
        let outputs = &self.state.outputs;
        let run = Value::record([("id".to_string(), Value::str(self.state.id.clone()))]);
        let yes = |_: &str| true;
        let empty = BTreeMap::new();
        let scope = self.scope(&case.exprs, outputs, &run, &yes, &empty);
        match scope.eval(id) {
            Ok(Value::Bool(true)) => Ok(()),
            Ok(other) => {
                // For a comparison, show both sides.
                let detail = match case.expr(id).map(|e| &e.kind) {
                    Some(ExprKind::Binary(op, l, r)) if !matches!(op, BinOp::And | BinOp::Or) => {
                        let l = scope.eval(*l).map(|v| v.to_json().to_string()).unwrap_or_else(|e| e.message);
                        let r = scope.eval(*r).map(|v| v.to_json().to_string()).unwrap_or_else(|e| e.message);
                        Some((l, r))
                    }
                    _ => None,
                };
                Err(match detail {
                    Some((l, r)) => mismatch(
                        span,
                        "the expectation is false",
                        format!("right side: {r}"),
                        format!("left side: {l}"),
                    ),
                    None => mismatch(span, "the expectation is false", "true", other.to_json().to_string()),
                })
            }
            Err(e) => Err(failure(span, format!("the expectation could not be evaluated: {}", e.message))),
        }
    }
}
