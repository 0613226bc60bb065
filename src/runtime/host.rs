//! The only way the interpreter reaches the outside world.
//!
//! In: requests from the interpreter (the time, jitter, a secret, the live contact and
//! entry, an action to perform). Out: values or failures. The sandbox host (tests,
//! `komo run`) answers from memory with a virtual clock; the engine answers from its
//! store and real connectors.

use std::collections::BTreeMap;
use std::future::Future;

use serde::{Deserialize, Serialize};

pub use crate::catalog::FailureKind;

use super::caused::Change;
use super::value::Value;
use crate::catalog::ActionId;

/// One attempt of one action.
#[derive(Clone, Debug)]
pub struct ActionRequest<'a> {
    pub run_id: &'a str,
    /// The step's name in the run record.
    pub step: &'a str,
    /// The action to perform (hosts and connectors dispatch on it).
    pub action: ActionId,
    /// Every parameter with a value, evaluated (secrets included, for the connector).
    pub args: &'a BTreeMap<String, Value>,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// Stable per (run, step): sent where the provider takes one.
    pub idempotency_key: &'a str,
    pub timeout_ms: Option<u64>,
}

/// Why an attempt failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionFailure {
    /// What went wrong, for the retry policy and `error.kind` (its name in JSON).
    pub kind: FailureKind,
    pub message: String,
    /// The HTTP status, for `http_status`.
    pub status: Option<i64>,
    /// A delay the provider asked for (`Retry-After`), in milliseconds.
    pub retry_after_ms: Option<u64>,
}

impl ActionFailure {
    pub fn new(kind: FailureKind, message: impl Into<String>) -> ActionFailure {
        ActionFailure { kind, message: message.into(), status: None, retry_after_ms: None }
    }

    /// Whether another attempt may succeed. `auth`, `invalid_request` and
    /// `invalid_value` will fail the same way again, and so will an `http_status` with a
    /// 4xx status (the provider refused this request), except 408 Request Timeout, 409
    /// Conflict, 425 Too Early and 429 Too Many Requests. `timeout`, `rate_limited`,
    /// `error`, 5xx statuses and a mock's kind of its own are retried.
    pub fn retryable(&self) -> bool {
        match self.kind {
            FailureKind::Auth
            | FailureKind::InvalidRequest
            | FailureKind::InvalidValue
            | FailureKind::ContactUnreadable => false,
            FailureKind::HttpStatus => {
                !self.status.is_some_and(|s| (400..500).contains(&s) && !matches!(s, 408 | 409 | 425 | 429))
            }
            FailureKind::Error | FailureKind::Timeout | FailureKind::RateLimited | FailureKind::Other(_) => {
                true
            }
        }
    }
}

/// The host could not answer. Unless `fatal`, the cause is passing (its store is down,
/// say): the run is not failed, the engine resumes it later. A `fatal` error (the
/// contact's stored state cannot be read) fails the statement that needed the answer,
/// with the message, as an evaluation error does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostError {
    pub message: String,
    pub fatal: bool,
}

impl HostError {
    /// A passing failure: the run is resumed later.
    pub fn unavailable(message: impl Into<String>) -> HostError {
        HostError { message: message.into(), fatal: false }
    }

    /// A failure that will not pass by itself: the statement fails.
    pub fn fatal(message: impl Into<String>) -> HostError {
        HostError { message: message.into(), fatal: true }
    }
}

/// Everything the interpreter needs from outside.
pub trait Host {
    /// The current time (virtual in the sandbox).
    fn now(&self) -> jiff::Timestamp;

    /// A number in `[0, 1)` for retry jitter (seeded in the sandbox).
    fn jitter(&mut self) -> f64;

    /// A configured secret's value.
    fn secret(&self, name: &str) -> Option<String>;

    /// The run's contact as it is now (`Null` when the run has none).
    fn contact(&mut self) -> impl Future<Output = Result<Value, HostError>> + Send;

    /// The run's competition entry as it is now (`Null` when the trigger has none).
    fn entry(&mut self) -> impl Future<Output = Result<Value, HostError>> + Send;

    /// Performs one attempt of an action; internal actions act on the store, external
    /// ones call a connector (or are recorded, in the sandbox).
    fn perform(
        &mut self,
        request: ActionRequest<'_>,
    ) -> impl Future<Output = Result<Value, ActionFailure>> + Send;

    /// The events the actions performed since the last call caused (what they really
    /// changed, `catalog.md` "What actions change"), oldest first.
    fn take_changes(&mut self) -> Vec<Change> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn final_failures_are_not_retried() {
        let with_status = |kind: &str, status: Option<i64>| ActionFailure {
            status,
            ..ActionFailure::new(FailureKind::from_name(kind), "")
        };
        for (kind, status, retryable) in [
            ("auth", Some(401), false),
            ("invalid_request", None, false),
            ("invalid_value", None, false),
            ("contact_unreadable", None, false),
            ("http_status", Some(400), false),
            ("http_status", Some(404), false),
            ("http_status", Some(408), true),
            ("http_status", Some(409), true),
            ("http_status", Some(425), true),
            ("http_status", Some(500), true),
            ("http_status", Some(503), true),
            ("http_status", None, true),
            ("rate_limited", Some(429), true),
            ("timeout", None, true),
            ("error", None, true),
            ("network", None, true),
        ] {
            assert_eq!(with_status(kind, status).retryable(), retryable, "{kind} {status:?}");
        }
    }
}
