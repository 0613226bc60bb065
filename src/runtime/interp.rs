//! The interpreter: runs an IR workflow, statement by statement, through a [`Host`].
//!
//! In: a workflow, a [`RunState`] (from [`start`], or loaded back after a park) and a
//! host. Out: [`Progress`]: finished, or parked until a time (a `wait` or a retry
//! delay). The state is plain data (serde): the engine stores it at every park and
//! resumes it after a restart. Control is a stack of frames, never Rust recursion, so
//! no workflow can exhaust the stack; every run ends (routes are acyclic and the step
//! budget caps the work).
//!
//! The run's state is in `state`, action statements (attempts, retries, `on failure`)
//! in `action`; this file steps through the other statements and blocks.

mod action;
mod state;

pub use action::retry_delay;
pub use state::{Frame, FrameKind, Pending, Progress, RunStart, RunState, StepState, start};

use super::eval::{EvalError, Scope};
use super::host::{Host, HostError};
use super::record::{RunError, WaitRecord, format_millis};
use super::value::Value;
use crate::ir::{RunStatus, StmtKind, Workflow};
use crate::source::Span;
use action::action_stmt;

/// The most action steps one run may execute.
pub const STEP_BUDGET: u32 = 1000;

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
