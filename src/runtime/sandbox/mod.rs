//! The sandbox host: what `komo test` and `komo run` run workflows against.
//!
//! In: a start time, a run id and a seed; the run's contact and entry; mocks; action
//! requests from the interpreter. Out: a virtual clock (moved only by
//! [`SandboxHost::advance_to`]; nothing sleeps), seeded jitter (the same seed gives the
//! same sequence), secrets that all exist, internal actions answered by the run's
//! [`ContactState`] with the engine's semantics, external actions recorded (arguments with
//! secrets redacted) and answered with plausible outputs, and mocks consulted first.
//! No I/O: every future is ready at once.

mod external;
mod mock;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

pub use mock::{ArgsPredicate, MockResult, MockRule};

use crate::catalog::{ActionId, ActionKind, ActionSpec, catalog_type};
use crate::ir::Ty;
use crate::runtime::caused::Change;
use crate::runtime::contact::ContactState;
use crate::runtime::event::zero_value;
use crate::runtime::host::{ActionFailure, ActionRequest, Host, HostError};
use crate::runtime::value::Value;

/// What every secret is in the sandbox, unless secrets are configured.
pub const SANDBOX_SECRET: &str = "sandbox-secret";

/// An action the sandbox recorded instead of performing: every external call, and
/// every mocked call (internal ones too).
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedCall {
    pub step: String,
    /// The action called (`ns.action` in messages).
    pub action: ActionId,
    pub attempt: u32,
    /// The arguments as JSON, secrets as `[redacted]`.
    pub args: serde_json::Value,
    /// The virtual time of the call.
    pub at: jiff::Timestamp,
    /// Whether a mock answered it.
    pub mocked: bool,
    /// The output given, or the failure.
    pub outcome: Result<Value, ActionFailure>,
}

/// splitmix64: a tiny, seeded, good-enough generator for retry jitter.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        external::mix(self.state)
    }

    /// A number in `[0, 1)` (53 random bits).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The host for tests and `komo run`.
#[derive(Debug)]
pub struct SandboxHost {
    started_at: jiff::Timestamp,
    clock: jiff::Timestamp,
    run_id: String,
    rng: SplitMix64,
    /// `None`: every secret exists (as [`SANDBOX_SECRET`]).
    secrets: Option<BTreeMap<String, String>>,
    contact: ContactState,
    mocks: Vec<MockRule>,
    /// Outputs recorded by an earlier run, by step and action (for replays).
    recorded: Vec<(String, ActionId, Result<Value, ActionFailure>)>,
    calls: Vec<RecordedCall>,
}

impl SandboxHost {
    /// A sandbox whose clock reads `start`, with a new contact (`contact_1`, created at
    /// `start`) and no entry.
    pub fn new(start: jiff::Timestamp, run_id: &str, seed: u64) -> SandboxHost {
        SandboxHost {
            started_at: start,
            clock: start,
            run_id: run_id.to_string(),
            rng: SplitMix64::new(seed),
            secrets: None,
            contact: ContactState::new(start),
            mocks: Vec::new(),
            recorded: Vec::new(),
            calls: Vec::new(),
        }
    }

    /// Only these secrets exist (for `--live-connectors`).
    pub fn with_secrets(mut self, secrets: BTreeMap<String, String>) -> SandboxHost {
        self.secrets = Some(secrets);
        self
    }

    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// When the clock started.
    pub fn started_at(&self) -> jiff::Timestamp {
        self.started_at
    }

    /// Moves the clock forward to `t` (never back).
    pub fn advance_to(&mut self, t: jiff::Timestamp) {
        if t > self.clock {
            self.clock = t;
        }
    }

    /// Sets the run's contact: a record's fields over a new contact's (see
    /// [`ContactState::set_contact`]), or `Null` for a run without a contact.
    pub fn set_contact(&mut self, partial: &Value) {
        self.contact.set_contact(partial, self.started_at);
    }

    /// Sets the run's whole contact state: a stored contact's record, loyalty, coupons
    /// and gifts (a replay starts from the contact as its run did).
    pub fn set_contact_state(&mut self, state: ContactState) {
        self.contact = state;
    }

    /// Answers every attempt of `step` calling `action` with `outcome` (what a recorded
    /// run got there), after the mocks and before anything else.
    pub fn add_recorded(&mut self, step: &str, action: ActionId, outcome: Result<Value, ActionFailure>) {
        self.recorded.push((step.to_string(), action, outcome));
    }

    /// Sets the run's competition entry (`Null` for none).
    pub fn set_entry(&mut self, entry: Value) {
        self.contact.set_entry(entry);
    }

    /// Adds a mock; the first added that matches a call wins.
    pub fn add_mock(&mut self, rule: MockRule) {
        self.mocks.push(rule);
    }

    /// External and mocked calls, in order.
    pub fn calls(&self) -> &[RecordedCall] {
        &self.calls
    }

    /// The run's contact state: its record, entry, loyalty programs, coupons and gifts.
    pub fn contact_state(&self) -> &ContactState {
        &self.contact
    }

    /// One attempt of an action, at once: a matching mock answers first (a mocked
    /// internal action leaves the contact state alone), then internal actions act on it
    /// and external ones are recorded with a plausible output.
    pub fn perform_now(&mut self, request: &ActionRequest<'_>) -> Result<Value, ActionFailure> {
        let spec = request.action.spec();
        if let Some(rule) = self.mocks.iter().find(|m| m.applies(request.action, request.args)) {
            let outcome = match &rule.outcome {
                MockResult::Ok(record) => Ok(merge(self.default_output(spec, request), record)),
                MockResult::Fail(failure) => Err(failure.clone()),
            };
            self.record(request, true, outcome.clone());
            return outcome;
        }
        let recorded =
            self.recorded.iter().find(|(step, action, _)| step == request.step && *action == request.action);
        if let Some((_, _, outcome)) = recorded {
            let outcome = outcome.clone();
            self.record(request, true, outcome.clone());
            return outcome;
        }
        match spec.kind {
            ActionKind::Internal => self.contact.perform(request.action, request.args),
            ActionKind::External => {
                let output =
                    external::default_output(request.action, request.step, &self.run_id, request.args);
                self.record(request, false, Ok(output.clone()));
                Ok(output)
            }
        }
    }

    /// What an action gives when a mock does not say: an external action's plausible
    /// output, an internal action's output type filled with zero values (the contact
    /// state is not consulted).
    fn default_output(&self, spec: &ActionSpec, request: &ActionRequest<'_>) -> Value {
        match spec.kind {
            ActionKind::External => {
                external::default_output(request.action, request.step, &self.run_id, request.args)
            }
            ActionKind::Internal => Value::record(
                spec.output.iter().map(|(n, t)| ((*n).to_string(), zero_value(&Ty::from(&catalog_type(t))))),
            ),
        }
    }

    fn record(&mut self, request: &ActionRequest<'_>, mocked: bool, outcome: Result<Value, ActionFailure>) {
        self.calls.push(RecordedCall {
            step: request.step.to_string(),
            action: request.action,
            attempt: request.attempt,
            args: Value::Record(request.args.clone()).to_json(),
            at: self.clock,
            mocked,
            outcome,
        });
    }
}

/// `base` with `over`'s fields on top (`over` as a whole when either is not a record).
fn merge(base: Value, over: &Value) -> Value {
    match (base, over) {
        (Value::Record(mut base), Value::Record(over)) => {
            base.extend(over.iter().map(|(k, v)| (k.clone(), v.clone())));
            Value::Record(base)
        }
        (base, Value::Null) => base,
        (_, over) => over.clone(),
    }
}

impl Host for SandboxHost {
    fn now(&self) -> jiff::Timestamp {
        self.clock
    }

    fn jitter(&mut self) -> f64 {
        self.rng.next_f64()
    }

    fn secret(&self, name: &str) -> Option<String> {
        match &self.secrets {
            Some(secrets) => secrets.get(name).cloned(),
            None => Some(SANDBOX_SECRET.to_string()),
        }
    }

    async fn contact(&mut self) -> Result<Value, HostError> {
        Ok(self.contact.contact())
    }

    async fn entry(&mut self) -> Result<Value, HostError> {
        Ok(self.contact.entry())
    }

    async fn perform(&mut self, request: ActionRequest<'_>) -> Result<Value, ActionFailure> {
        self.perform_now(&request)
    }

    fn take_changes(&mut self) -> Vec<Change> {
        self.contact.take_changes()
    }
}
