//! Static bounds: the most one run of a workflow can take and cause (language.md §9).
//!
//! In: a parsed workflow (the checker has already reported what is wrong with it; the
//! bounds of a broken workflow are computed on what can be read). Out: a
//! [`WorkflowBounds`]: over every path of the workflow (`if` branches, routes reached by
//! `->`, `on success ->` and `on failure ->`, `on failure { }` blocks, `on failure
//! continue`, `stop` and `fail`), the longest run time and the most emails, SMS,
//! external calls and loyalty points, each with the path (labelled statements, in run
//! order) that reaches it. A bound the checker cannot decide is [`Amount::Unbounded`],
//! with the statement that makes it so.
//!
//! The rules (docs/language.md, "Bounds", says them for users):
//!
//! - `wait D`: `D` when it is a literal (or arithmetic on literals); anything else is
//!   unbounded. `wait until T`: `now() + D` waits `D`; `run.started_at + D` ends the wait
//!   by `D` after the start, counted as a wait of `D` (an upper bound); any other time
//!   is unbounded (an event's or a contact's time may be any distance away).
//! - an action runs at most `1 + retry` attempts; between them the runtime waits
//!   `backoff · 2^(a-1)` plus up to 10% jitter ([`retry_delay_max`]); each attempt takes
//!   at most its `timeout`, or, for an external action without one, the connectors'
//!   default timeout ([`DEFAULT_ATTEMPT_MS`]); an internal action without a `timeout`
//!   takes no time that counts.
//! - emails, SMS and external calls count attempts (an external call is at least once:
//!   an attempt that failed may still have been delivered); points count the literal
//!   `points` of `loyalty.award_points` once (internal: exactly once, retries included),
//!   negative awards as 0; a computed amount is unbounded.
//!
//! The walk goes backward: the most a statement can add is its own cost plus the most
//! of what may follow it, so each statement and each route is walked once.

mod fold;
pub mod limits;
pub mod report;
#[cfg(test)]
mod tests;
mod walk;

pub use limits::{BoundLimits, limit_errors};
pub use report::{JsonBounds, cause_text, cell, duration_text, json, markdown, table};

use serde::Serialize;

use crate::source::{FileId, Span};
use crate::syntax::ast;

/// The time an attempt of an external action without a `timeout` may take: the
/// connectors' default timeout (`connectors::rest::DEFAULT_TIMEOUT_MS`; a project that
/// raises a connector's `timeout_ms` is not looked at).
pub const DEFAULT_ATTEMPT_MS: u64 = 30_000;

/// The bounds of one workflow.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkflowBounds {
    pub workflow: String,
    pub file: FileId,
    /// The workflow's name as written.
    pub span: Span,
    /// Milliseconds.
    pub duration: Bound,
    pub emails: Bound,
    pub sms: Bound,
    pub external_calls: Bound,
    pub points: Bound,
}

impl WorkflowBounds {
    /// Each bound with what it measures.
    pub fn each(&self) -> [(Measure, &Bound); 5] {
        [
            (Measure::Duration, &self.duration),
            (Measure::Emails, &self.emails),
            (Measure::Sms, &self.sms),
            (Measure::ExternalCalls, &self.external_calls),
            (Measure::Points, &self.points),
        ]
    }
}

/// What a bound measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    Duration,
    Emails,
    Sms,
    ExternalCalls,
    Points,
}

/// The most a run can reach along one path, and that path.
#[derive(Clone, Debug, PartialEq)]
pub struct Bound {
    pub amount: Amount,
    /// The statements that add to it, in run order.
    pub path: Vec<PathStep>,
}

/// A number, or "cannot be bounded" with the statement that makes it so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Amount {
    Finite(u64),
    Unbounded(Unbounded),
}

impl Amount {
    pub fn finite(self) -> Option<u64> {
        match self {
            Amount::Finite(n) => Some(n),
            Amount::Unbounded(_) => None,
        }
    }
}

/// Why an amount cannot be bounded, and where.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unbounded {
    pub reason: UnboundedReason,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UnboundedReason {
    /// `wait <expr>` whose duration is not a literal.
    WaitExpr,
    /// `wait until <expr>` at a time not relative to the run's start or to now.
    WaitUntil,
    /// `loyalty.award_points` with an amount that is not a literal.
    PointsExpr,
}

/// One statement on a path, and what it adds there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathStep {
    pub span: Span,
    pub cause: Cause,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cause {
    /// `wait D`, or `wait until now() + D`.
    Wait { ms: u64 },
    /// `wait until run.started_at + D`.
    WaitUntilStart { ms: u64 },
    /// `retry N backoff B`: up to `ms` of delays between attempts.
    RetryDelays { count: u32, backoff_ms: u64, ms: u64 },
    /// Attempts of at most `timeout_ms` each (`given`: by the step's `timeout`).
    Attempts { attempts: u32, timeout_ms: u64, given: bool },
    /// An action counted `times` (its attempts, or its points).
    Action { action: crate::catalog::ActionId, times: u64 },
    /// A statement that makes the bound unbounded.
    Unbounded(UnboundedReason),
    /// The path goes on in a route.
    Route { name: String, by_failure: bool },
}

/// The bounds of every workflow of `files` (each name once: the first of duplicates),
/// in source order.
pub fn bounds<'a>(files: impl IntoIterator<Item = &'a (FileId, ast::File)>) -> Vec<WorkflowBounds> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (file, parsed) in files {
        for item in &parsed.items {
            if let ast::Item::Workflow(wf) = item {
                if seen.insert(wf.name.node.as_str()) {
                    out.push(workflow_bounds(*file, wf));
                }
            }
        }
    }
    out
}

/// The bounds of one workflow.
pub fn workflow_bounds(file: FileId, wf: &ast::Workflow) -> WorkflowBounds {
    let [duration, emails, sms, external_calls, points] = walk::walk(wf);
    WorkflowBounds {
        workflow: wf.name.node.clone(),
        file,
        span: wf.name.span,
        duration,
        emails,
        sms,
        external_calls,
        points,
    }
}

/// The longest delay the runtime waits before attempt `attempt + 1`
/// (`runtime::interp::action::retry_delay` with the most jitter, and no provider's
/// `Retry-After`).
pub fn retry_delay_max(backoff_ms: u64, attempt: u32) -> u64 {
    let base = backoff_ms.saturating_mul(1u64 << attempt.saturating_sub(1).min(20));
    base.saturating_add(base.div_ceil(10))
}
