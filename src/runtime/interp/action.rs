//! Action statements: one attempt through the host, then what its outcome means for
//! the run (the output kept and the caused events journaled, a retry parked with
//! backoff, or the step's `on failure` taken).
//!
//! In: the run's state, the action statement and the attempt number. Out: the step's
//! new state and what control does next.

use std::collections::BTreeMap;

use super::state::{Frame, FrameKind, Pending, RunState};
use super::{Next, STEP_BUDGET, Stop, enter_route, eval_with, live, park_until};
use crate::ir::{Action, OnFailure, StepStatus, StmtId, StmtKind, Workflow};
use crate::runtime::host::{ActionFailure, ActionRequest, FailureKind, Host};
use crate::runtime::record::StepError;
use crate::runtime::value::Value;
use crate::source::Span;

/// One attempt of an action statement, and what follows from its outcome.
pub(super) async fn action_stmt<H: Host + Send>(
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
    let Some(step) = wf.step(action.step) else {
        st.fail("internal error: a step is missing from the IR".into(), None, span, now);
        return Next::Done;
    };
    let name = step.name.clone();
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
        Err(Stop::Eval(e)) => Err(ActionFailure::new(FailureKind::InvalidValue, e.message)),
        Err(Stop::Fatal(e)) => Err(ActionFailure::new(FailureKind::ContactUnreadable, e.message)),
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
                action: step.action,
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
                Err(_) => Err(ActionFailure::new(
                    FailureKind::Timeout,
                    format!("the attempt took longer than {ms} ms"),
                )),
            }
        }
        None => host.perform(request).await,
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
