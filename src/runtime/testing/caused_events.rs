//! `expect event T [where c]` and `expect no event T`: assertions over the events a
//! test's run caused (`RunState.caused`, `catalog.md` "What actions change").
//!
//! In: the run's caused events and the assertion. Out: `Ok`, or an
//! [`AssertionFailure`] that lists the events the run did cause, so the reader sees
//! why. In `where`, each event is read as the engine reads an event envelope (typed by
//! its trigger); its fields, the whole event (`event`) and the context records its
//! trigger carries are locals of the condition, over the final state `expect <cond>`
//! sees. An event occurs when its step finished.

use std::collections::BTreeMap;
use std::fmt;

use super::{AssertionFailure, Finals, mismatch};
use crate::ir::{ExprId, TestCase};
use crate::runtime::caused::CausedEvent;
use crate::runtime::eval::EvalError;
use crate::runtime::event::{EnvelopeError, parse_envelope};
use crate::runtime::value::{Value, format_timestamp};
use crate::source::Span;

/// Why a `where` condition could not be judged for one caused event.
#[derive(Clone, Debug, PartialEq)]
enum WhereError {
    /// The condition failed to evaluate.
    Eval(EvalError),
    /// The condition gave something other than a Bool (its kind).
    NotBool { found: &'static str },
    /// The caused event does not read as an envelope of its trigger.
    Envelope { event: String, cause: EnvelopeError },
}

impl fmt::Display for WhereError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WhereError::Eval(error) => f.write_str(&error.message),
            WhereError::NotBool { found } => write!(f, "the condition is {found}, not a Bool"),
            WhereError::Envelope { event, cause } => write!(f, "the event `{event}`: {cause}"),
        }
    }
}

impl Finals<'_> {
    /// `expect event trigger [where filter]`: some event of the run has that trigger
    /// and satisfies `filter`.
    pub(super) fn caused_event(
        &self,
        case: &TestCase,
        trigger: &str,
        filter: Option<ExprId>,
        span: Span,
    ) -> Result<(), AssertionFailure> {
        let caused = &self.state.caused;
        let of_trigger: Vec<&CausedEvent> = caused.iter().filter(|e| e.kind == trigger).collect();
        let Some(filter) = filter else {
            if of_trigger.is_empty() {
                let message = format!("the run caused no `{trigger}` event");
                return Err(mismatch(span, message, format!("a `{trigger}` event"), listed(caused)));
            }
            return Ok(());
        };
        let mut problems = Vec::new();
        for event in &of_trigger {
            match self.satisfies(case, event, filter) {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(problem) => problems.push(problem),
            }
        }
        let mut message = if of_trigger.is_empty() {
            format!("the run caused no `{trigger}` event")
        } else {
            format!("no `{trigger}` event the run caused satisfies the `where` condition")
        };
        if let Some(problem) = problems.first() {
            message.push_str(&format!(" (it could not be evaluated: {problem})"));
        }
        let expected = format!("a `{trigger}` event for which the condition holds");
        Err(mismatch(span, message, expected, listed(caused)))
    }

    /// `expect no event trigger`: no event of the run has that trigger.
    pub(super) fn no_caused_event(&self, trigger: &str, span: Span) -> Result<(), AssertionFailure> {
        let of_trigger: Vec<&CausedEvent> = self.state.caused.iter().filter(|e| e.kind == trigger).collect();
        if of_trigger.is_empty() {
            return Ok(());
        }
        let message = format!("the run caused a `{trigger}` event");
        Err(mismatch(span, message, format!("no `{trigger}` event"), listed(of_trigger)))
    }

    /// Whether `filter` holds for `event`.
    fn satisfies(&self, case: &TestCase, event: &CausedEvent, filter: ExprId) -> Result<bool, WhereError> {
        let locals = self.event_locals(event)?;
        let run = Value::record([("id".to_string(), Value::str(self.state.id.clone()))]);
        let yes = |_: &str| true;
        let scope = self.scope(&case.exprs, &self.state.outputs, &run, &yes, &locals);
        match scope.eval(filter) {
            Ok(Value::Bool(b)) => Ok(b),
            Ok(other) => Err(WhereError::NotBool { found: other.kind() }),
            Err(e) => Err(WhereError::Eval(e)),
        }
    }

    /// The names `where` binds for `event`, typed as the engine types an envelope.
    fn event_locals(&self, event: &CausedEvent) -> Result<BTreeMap<String, Value>, WhereError> {
        let step = self.record.steps.iter().find(|s| s.name == event.step);
        let occurred_at =
            step.and_then(|s| s.finished_at.clone()).unwrap_or_else(|| format_timestamp(self.now));
        let mut envelope = serde_json::json!({
            "id": event.id,
            "type": event.kind,
            "occurred_at": occurred_at,
            "data": event.data,
        });
        if let (Some(coupon), serde_json::Value::Object(top)) = (&event.coupon, &mut envelope) {
            top.insert("coupon".into(), coupon.clone());
        }
        let parsed = parse_envelope(&envelope)
            .map_err(|cause| WhereError::Envelope { event: event.id.clone(), cause })?;
        let mut locals = match &parsed.event {
            Value::Record(fields) => fields.clone(),
            _ => BTreeMap::new(),
        };
        locals.insert("event".into(), parsed.event);
        locals.extend(parsed.context);
        Ok(locals)
    }
}

/// The events, one per part: `Contact.ListAdded {"list":"VIP"} (step add_vip); …`.
fn listed<'e>(events: impl IntoIterator<Item = &'e CausedEvent>) -> String {
    let lines: Vec<String> = events.into_iter().map(CausedEvent::summary).collect();
    if lines.is_empty() { "the run caused no event".into() } else { lines.join("; ") }
}
