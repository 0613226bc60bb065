//! What can go wrong in the engine, as data, with the HTTP status each answers with.
//!
//! In: a failed engine call. Out: an [`EngineError`] whose variant says which status it
//! answers with ([`EngineError::status`]) and whose payload holds the facts (what was
//! not found, which transition was refused, …); [`fmt::Display`] makes the message, in
//! this file only. The API ([`EngineError::body`]), the dashboard and the CLI render
//! from these two.

use std::fmt;

use super::api::WorkflowStatus;
use super::store::StoreError;
use crate::ir::LowerError;
use crate::runtime::event::EnvelopeError;
use crate::runtime::host::HostError;

#[derive(Clone, Debug, PartialEq)]
pub enum EngineError {
    /// 404: no such workflow, run or contact in this workspace.
    NotFound(Missing),
    /// 401: no valid key, or a webhook signature that does not verify.
    Unauthorized(Denied),
    /// 422: the request's content does not fit (an envelope field, a workflow name).
    Invalid { message: String, field: Option<String> },
    /// 422: activation refused; the `komo check --format json` report.
    Refused { diagnostics: serde_json::Value },
    /// 409: a lifecycle transition that is not allowed from the current state.
    Conflict(Refusal),
    /// 400: malformed input (not JSON, too deep).
    BadRequest(Malformed),
    /// 413: the body is over `limit` bytes.
    TooLarge { limit: usize },
    /// 500: the store failed; nothing was half-written.
    Store(StoreError),
    /// 500: something the engine cannot go on from (no randomness, a compiler bug).
    Internal(Fault),
}

/// What a 404 did not find.
#[derive(Clone, Debug, PartialEq)]
pub enum Missing {
    Workflow {
        name: String,
    },
    Version {
        workflow: String,
        version: i64,
    },
    Run {
        id: String,
    },
    Contact {
        id: String,
    },
    ContactWithEmail {
        email: String,
    },
    /// The stored event a run started from (to replay it).
    RunEvent {
        run: String,
    },
    /// The project has no `[webhooks]` secret, so there is no webhook endpoint.
    Webhooks,
    /// A dashboard lifecycle action that does not exist.
    WorkflowAction {
        action: String,
    },
}

/// Why a 401 refused the caller.
#[derive(Clone, Debug, PartialEq)]
pub enum Denied {
    /// A Standard Webhooks header is not in the request.
    HeaderMissing { header: &'static str },
    /// The webhook signature does not verify.
    Signature(SignatureRefusal),
}

/// Why a webhook signature was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureRefusal {
    /// `webhook-timestamp` is not a number.
    TimestampNotNumber,
    /// The timestamp is further from now than the tolerance (5 minutes).
    TimestampTooFar,
    /// The timestamp is out of range.
    BadTimestamp,
    /// None of the listed `v1` signatures matches.
    NoMatch,
}

/// Why a 409 refused the change.
#[derive(Clone, Debug, PartialEq)]
pub enum Refusal {
    /// The workflow's lifecycle does not go from its `current` status to `to`.
    Transition { name: String, current: WorkflowStatus, to: WorkflowStatus },
    /// A workflow of that name exists already.
    Exists { name: String },
    /// A replay: the workflow is not active, or no longer admits the run's event.
    NotAdmitted { workflow: String },
    /// A run's progress was saved on a stale claim ([`StoreError::Conflict`]).
    StaleClaim { run: String },
    /// Cancelling a run that has finished already (`status`: succeeded, failed, cancelled).
    RunFinished { run: String, status: String },
}

/// Why a 400 could not read the body.
#[derive(Clone, Debug, PartialEq)]
pub enum Malformed {
    /// JSON nested deeper than `max`, found at byte `at`.
    TooDeep { max: usize, at: usize },
    /// Not JSON: `detail` is the parser's complaint.
    NotJson { detail: String },
    /// A platform event that is not a JSON object.
    PlatformNotObject,
}

/// What the engine cannot go on from (500).
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// The system has no randomness to give.
    NoRandomness(getrandom::Error),
    /// The thread running the request was lost.
    Interrupted,
    /// A checked workflow could not be lowered (a compiler bug).
    Lowering(Vec<LowerError>),
    /// An event the engine raised does not fit its own trigger (a bug).
    CausedMisfit { kind: String, error: EnvelopeError },
    /// The host failed while an event was admitted.
    Admission(HostError),
    /// The project's webhook secret is not base64.
    WebhookSecretNotBase64,
    /// The project's webhook secret cannot key the signature.
    WebhookSecretUnusable,
}

impl EngineError {
    /// The HTTP status this error answers with.
    pub fn status(&self) -> u16 {
        match self {
            EngineError::NotFound(_) => 404,
            EngineError::Unauthorized(_) => 401,
            EngineError::Invalid { .. } | EngineError::Refused { .. } => 422,
            EngineError::Conflict(_) => 409,
            EngineError::BadRequest(_) => 400,
            EngineError::TooLarge { .. } => 413,
            EngineError::Store(_) | EngineError::Internal(_) => 500,
        }
    }

    /// The JSON body of the error answer: `{ "error": message, … }`.
    pub fn body(&self) -> serde_json::Value {
        match self {
            EngineError::Refused { diagnostics } => {
                serde_json::json!({ "error": "the workflow has errors", "diagnostics": diagnostics })
            }
            EngineError::Invalid { message, field } => {
                serde_json::json!({ "error": message, "field": field })
            }
            other => serde_json::json!({ "error": other.to_string() }),
        }
    }
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::NotFound(missing) => missing.fmt(f),
            EngineError::Unauthorized(denied) => denied.fmt(f),
            EngineError::Invalid { message, .. } => f.write_str(message),
            EngineError::Refused { .. } => f.write_str("the workflow has errors"),
            EngineError::Conflict(refusal) => refusal.fmt(f),
            EngineError::BadRequest(malformed) => malformed.fmt(f),
            EngineError::TooLarge { limit } => write!(f, "the event is over {limit} bytes"),
            EngineError::Store(e) => e.fmt(f),
            EngineError::Internal(fault) => fault.fmt(f),
        }
    }
}

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Missing::Workflow { name } => write!(f, "no workflow `{name}`"),
            Missing::Version { workflow, version } => write!(f, "no version {version} of `{workflow}`"),
            Missing::Run { id } => write!(f, "no run `{id}`"),
            Missing::Contact { id } => write!(f, "no contact `{id}`"),
            Missing::ContactWithEmail { email } => write!(f, "no contact with email `{email}`"),
            Missing::RunEvent { run } => write!(f, "the event of run `{run}` is gone"),
            Missing::Webhooks => f.write_str("webhooks are not configured ([webhooks] in komo.toml)"),
            Missing::WorkflowAction { action } => write!(f, "no workflow action `{action}`"),
        }
    }
}

impl fmt::Display for Denied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Denied::HeaderMissing { header } => write!(f, "`{header}` header missing"),
            Denied::Signature(why) => write!(f, "webhook signature refused: {why}"),
        }
    }
}

impl fmt::Display for SignatureRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignatureRefusal::TimestampNotNumber => "`webhook-timestamp` is not a number",
            SignatureRefusal::TimestampTooFar => "the timestamp is more than 5 minutes away",
            SignatureRefusal::BadTimestamp => "bad timestamp",
            SignatureRefusal::NoMatch => "no `v1` signature matches",
        })
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Transition { name, current, to } => {
                write!(f, "`{name}` is {}; it cannot become {}", current.as_str(), to.as_str())
            }
            Refusal::Exists { name } => write!(f, "a workflow `{name}` exists already"),
            Refusal::NotAdmitted { workflow } => {
                write!(f, "`{workflow}` is not active, or no longer admits this event")
            }
            Refusal::StaleClaim { run } => StoreError::Conflict { run: run.clone() }.fmt(f),
            Refusal::RunFinished { run, status } => {
                write!(
                    f,
                    "run `{run}` has finished ({status}); only a pending or waiting run can be cancelled"
                )
            }
        }
    }
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Malformed::TooDeep { max, at } => {
                write!(f, "the JSON is nested more than {max} levels deep (at byte {at})")
            }
            Malformed::NotJson { detail } => write!(f, "the body is not JSON: {detail}"),
            Malformed::PlatformNotObject => f.write_str("a platform event is a JSON object"),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::NoRandomness(e) => write!(f, "no randomness: {e}"),
            Fault::Interrupted => f.write_str("internal error: the request was interrupted"),
            Fault::Lowering(errors) => write!(f, "internal error while compiling: {errors:?}"),
            Fault::CausedMisfit { kind, error } => {
                write!(f, "internal error: a caused `{kind}` does not fit: {error}")
            }
            Fault::Admission(e) => f.write_str(&e.message),
            Fault::WebhookSecretNotBase64 => f.write_str("the webhook secret is not base64"),
            Fault::WebhookSecretUnusable => f.write_str("the webhook secret is unusable"),
        }
    }
}

/// A stale claim is a conflict (409); every other store failure is a store error (500).
impl From<StoreError> for EngineError {
    fn from(e: StoreError) -> EngineError {
        match e {
            StoreError::Conflict { run } => EngineError::Conflict(Refusal::StaleClaim { run }),
            other => EngineError::Store(other),
        }
    }
}

impl From<Missing> for EngineError {
    fn from(missing: Missing) -> EngineError {
        EngineError::NotFound(missing)
    }
}

impl From<Refusal> for EngineError {
    fn from(refusal: Refusal) -> EngineError {
        EngineError::Conflict(refusal)
    }
}

impl From<Malformed> for EngineError {
    fn from(malformed: Malformed) -> EngineError {
        EngineError::BadRequest(malformed)
    }
}

impl From<Fault> for EngineError {
    fn from(fault: Fault) -> EngineError {
        EngineError::Internal(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each error's status and message, as the API, the dashboard and the CLI show them.
    #[test]
    fn each_error_says_what_and_answers_its_status() {
        let cases: Vec<(EngineError, u16, &str)> = vec![
            (Missing::Workflow { name: "welcome".into() }.into(), 404, "no workflow `welcome`"),
            (
                Missing::Version { workflow: "welcome".into(), version: 3 }.into(),
                404,
                "no version 3 of `welcome`",
            ),
            (Missing::Run { id: "run_1".into() }.into(), 404, "no run `run_1`"),
            (Missing::Contact { id: "ct_1".into() }.into(), 404, "no contact `ct_1`"),
            (
                Missing::ContactWithEmail { email: "a@b.c".into() }.into(),
                404,
                "no contact with email `a@b.c`",
            ),
            (Missing::RunEvent { run: "run_1".into() }.into(), 404, "the event of run `run_1` is gone"),
            (Missing::Webhooks.into(), 404, "webhooks are not configured ([webhooks] in komo.toml)"),
            (Missing::WorkflowAction { action: "fly".into() }.into(), 404, "no workflow action `fly`"),
            (
                EngineError::Unauthorized(Denied::HeaderMissing { header: "webhook-id" }),
                401,
                "`webhook-id` header missing",
            ),
            (
                EngineError::Unauthorized(Denied::Signature(SignatureRefusal::NoMatch)),
                401,
                "webhook signature refused: no `v1` signature matches",
            ),
            (
                Refusal::Transition {
                    name: "welcome".into(),
                    current: WorkflowStatus::Draft,
                    to: WorkflowStatus::Paused,
                }
                .into(),
                409,
                "`welcome` is draft; it cannot become paused",
            ),
            (
                Refusal::Exists { name: "welcome_copy".into() }.into(),
                409,
                "a workflow `welcome_copy` exists already",
            ),
            (
                Refusal::NotAdmitted { workflow: "welcome".into() }.into(),
                409,
                "`welcome` is not active, or no longer admits this event",
            ),
            (
                Malformed::TooDeep { max: 64, at: 70 }.into(),
                400,
                "the JSON is nested more than 64 levels deep (at byte 70)",
            ),
            (Malformed::PlatformNotObject.into(), 400, "a platform event is a JSON object"),
            (EngineError::TooLarge { limit: 1024 }, 413, "the event is over 1024 bytes"),
            (Fault::Interrupted.into(), 500, "internal error: the request was interrupted"),
            (Fault::WebhookSecretNotBase64.into(), 500, "the webhook secret is not base64"),
            (
                Fault::Admission(HostError::fatal("contact `ct_1` is not in the store")).into(),
                500,
                "contact `ct_1` is not in the store",
            ),
        ];
        for (error, status, message) in cases {
            assert_eq!((error.status(), error.to_string()), (status, message.to_string()), "{error:?}");
            assert_eq!(error.body(), serde_json::json!({ "error": message }));
        }
    }

    #[test]
    fn a_stale_claim_says_what_the_store_says() {
        let stale = StoreError::Conflict { run: "run_1".into() };
        let engine = EngineError::from(stale.clone());
        assert_eq!(engine, EngineError::Conflict(Refusal::StaleClaim { run: "run_1".into() }));
        assert_eq!(engine.to_string(), stale.to_string());
    }
}
