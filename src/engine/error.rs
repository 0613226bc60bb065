//! What can go wrong in the engine, with the HTTP status each answers with.

use std::fmt;

use super::store::StoreError;

#[derive(Clone, Debug, PartialEq)]
pub enum EngineError {
    /// 404: no such workflow, run or contact in this workspace.
    NotFound(String),
    /// 401: no valid key, or a webhook signature that does not verify.
    Unauthorized(String),
    /// 422: the request's content does not fit (an envelope field, a workflow name).
    Invalid { message: String, field: Option<String> },
    /// 422: activation refused; the `komo check --format json` report.
    Refused { diagnostics: serde_json::Value },
    /// 409: a lifecycle transition that is not allowed from the current state.
    Conflict(String),
    /// 400: malformed input (not JSON, too deep).
    BadRequest(String),
    /// 413: the body is over the limit.
    TooLarge(String),
    /// 500: the store failed; nothing was half-written.
    Store(StoreError),
    /// 500: something the engine cannot go on from (no randomness, a compiler bug).
    Internal(String),
    /// The project could not be loaded (startup only).
    Project(String),
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
            EngineError::TooLarge(_) => 413,
            EngineError::Store(_) | EngineError::Internal(_) | EngineError::Project(_) => 500,
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
            EngineError::NotFound(m)
            | EngineError::Unauthorized(m)
            | EngineError::Conflict(m)
            | EngineError::BadRequest(m)
            | EngineError::TooLarge(m)
            | EngineError::Internal(m)
            | EngineError::Project(m) => f.write_str(m),
            EngineError::Store(e) => write!(f, "{e}"),
            EngineError::Invalid { message, .. } => f.write_str(message),
            EngineError::Refused { .. } => f.write_str("the workflow has errors"),
        }
    }
}

/// A stale claim is a conflict (409); every other store failure is a store error (500).
impl From<StoreError> for EngineError {
    fn from(e: StoreError) -> EngineError {
        match e {
            StoreError::Conflict { .. } => EngineError::Conflict(e.to_string()),
            other => EngineError::Store(other),
        }
    }
}
