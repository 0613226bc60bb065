//! `[limits]` of `komo.toml` against the bounds: a workflow one of whose runs may go
//! over a limit is an error (K0702) whose labels walk the path that goes over it.
//!
//! In: the bounds of the workflows checked and the project's limits (already read; no
//! I/O here). Out: one diagnostic per workflow and limit it goes over.

use super::report::{cause_text, duration_text, unbounded_help};
use super::{Amount, Measure, WorkflowBounds};
use crate::diagnostics::{Code, Diagnostic};

/// The project's limits on one run (`None`: no limit).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BoundLimits {
    /// `max_run_duration`, in milliseconds.
    pub max_run_duration_ms: Option<u64>,
    pub max_emails_per_run: Option<u64>,
    pub max_sms_per_run: Option<u64>,
    pub max_points_per_run: Option<u64>,
}

impl BoundLimits {
    pub fn is_empty(&self) -> bool {
        *self == BoundLimits::default()
    }

    /// The limit on `measure`, if any (there is none on external calls).
    pub fn of(&self, measure: Measure) -> Option<u64> {
        match measure {
            Measure::Duration => self.max_run_duration_ms,
            Measure::Emails => self.max_emails_per_run,
            Measure::Sms => self.max_sms_per_run,
            Measure::Points => self.max_points_per_run,
            Measure::ExternalCalls => None,
        }
    }
}

/// A workflow that goes over a limit: the facts; [`LimitExceeded::into_diagnostic`]
/// words them.
#[derive(Debug)]
pub struct LimitExceeded<'a> {
    pub bounds: &'a WorkflowBounds,
    pub measure: Measure,
    pub limit: u64,
}

/// Every limit each workflow goes over.
pub fn limit_errors(bounds: &[WorkflowBounds], limits: &BoundLimits) -> Vec<Diagnostic> {
    if limits.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for wf in bounds {
        for (measure, bound) in wf.each() {
            let Some(limit) = limits.of(measure) else { continue };
            if bound.amount.finite().is_none_or(|n| n > limit) {
                out.push(LimitExceeded { bounds: wf, measure, limit }.into_diagnostic());
            }
        }
    }
    out
}

impl LimitExceeded<'_> {
    pub fn into_diagnostic(self) -> Diagnostic {
        let LimitExceeded { bounds, measure, limit } = self;
        let (bound, key, limit_text) = match measure {
            Measure::Duration => (&bounds.duration, "max_run_duration", duration_text(limit)),
            Measure::Emails => (&bounds.emails, "max_emails_per_run", limit.to_string()),
            Measure::Sms => (&bounds.sms, "max_sms_per_run", limit.to_string()),
            Measure::Points => (&bounds.points, "max_points_per_run", limit.to_string()),
            Measure::ExternalCalls => {
                (&bounds.external_calls, "max_external_calls_per_run", limit.to_string())
            }
        };
        let name = &bounds.workflow;
        let (message, label, help) = match bound.amount {
            Amount::Finite(n) => {
                let most = amount_text(measure, n);
                (
                    format!("a run of `{name}` may {most}, over `{key} = {limit_text}`"),
                    format!("may {most}"),
                    format!(
                        "bring the path the labels walk under the limit, or raise `{key}` in `komo.toml`"
                    ),
                )
            }
            Amount::Unbounded(u) => (
                format!("`{name}` has no bound on {}, and `{key}` is {limit_text}", noun(measure)),
                format!("{} cannot be bounded", noun(measure)),
                unbounded_help(u.reason).to_owned(),
            ),
        };
        let mut diagnostic = Diagnostic::new(Code::LimitExceeded, bounds.file, bounds.span, message)
            .with_label(label)
            .with_help(help);
        for step in &bound.path {
            diagnostic = diagnostic.with_secondary(bounds.file, step.span, cause_text(measure, &step.cause));
        }
        diagnostic
    }
}

/// `take up to 3d`, `send up to 4 emails`, …
fn amount_text(measure: Measure, n: u64) -> String {
    match measure {
        Measure::Duration => format!("take up to {}", duration_text(n)),
        Measure::Emails => format!("send up to {n} email{}", plural(n)),
        Measure::Sms => format!("send up to {n} SMS"),
        Measure::ExternalCalls => format!("make up to {n} external call{}", plural(n)),
        Measure::Points => format!("award up to {n} point{}", plural(n)),
    }
}

fn noun(measure: Measure) -> &'static str {
    match measure {
        Measure::Duration => "its run time",
        Measure::Emails => "the emails it sends",
        Measure::Sms => "the SMS it sends",
        Measure::ExternalCalls => "its external calls",
        Measure::Points => "the points it awards",
    }
}

pub(super) fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}
