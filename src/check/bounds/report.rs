//! How bounds read: the `komo check --bounds` table, the text of each step of a path
//! (K0702's labels, the editor's hover) and durations as Komo writes them.

use serde::Serialize;

use super::limits::plural;
use super::{Amount, Bound, Cause, Measure, UnboundedReason, WorkflowBounds};
use crate::source::SourceMap;

/// One workflow's bounds in `komo check --format json`: a number per measure, `null`
/// when it cannot be bounded (and an entry in `unbounded` saying why and where).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JsonBounds {
    pub workflow: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub duration_ms: Option<u64>,
    pub emails: Option<u64>,
    pub sms: Option<u64>,
    pub external_calls: Option<u64>,
    pub points: Option<u64>,
    pub unbounded: Vec<JsonUnbounded>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JsonUnbounded {
    /// The key it is `null` under.
    pub measure: &'static str,
    pub reason: UnboundedReason,
    pub line: usize,
    pub column: usize,
}

/// The JSON form of each workflow's bounds.
pub fn json(sources: &SourceMap, bounds: &[WorkflowBounds]) -> Vec<JsonBounds> {
    bounds
        .iter()
        .map(|wf| {
            let file = sources.get(wf.file);
            let at = |offset: u32| {
                file.map_or((1, 1), |f| {
                    let lc = f.line_col(offset as usize);
                    (lc.line, lc.column)
                })
            };
            let (line, column) = at(wf.span.start);
            let mut unbounded = Vec::new();
            for (measure, bound) in wf.each() {
                if let Amount::Unbounded(u) = bound.amount {
                    let (line, column) = at(u.span.start);
                    unbounded.push(JsonUnbounded {
                        measure: json_key(measure),
                        reason: u.reason,
                        line,
                        column,
                    });
                }
            }
            JsonBounds {
                workflow: wf.workflow.clone(),
                file: file.map(|f| f.name.clone()).unwrap_or_default(),
                line,
                column,
                duration_ms: wf.duration.amount.finite(),
                emails: wf.emails.amount.finite(),
                sms: wf.sms.amount.finite(),
                external_calls: wf.external_calls.amount.finite(),
                points: wf.points.amount.finite(),
                unbounded,
            }
        })
        .collect()
}

fn json_key(measure: Measure) -> &'static str {
    match measure {
        Measure::Duration => "duration_ms",
        Measure::Emails => "emails",
        Measure::Sms => "sms",
        Measure::ExternalCalls => "external_calls",
        Measure::Points => "points",
    }
}

/// Milliseconds as Komo writes durations, days the largest unit: `1h30m`, `7d2m`, `0s`.
pub fn duration_text(ms: u64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = ms;
    for (unit, size) in [("d", 86_400_000u64), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

/// A bound's value in a table cell: `3d`, `4`, `unbounded`.
pub fn cell(measure: Measure, bound: &Bound) -> String {
    match bound.amount {
        Amount::Finite(ms) if measure == Measure::Duration => duration_text(ms),
        Amount::Finite(n) => n.to_string(),
        Amount::Unbounded(_) => "unbounded".into(),
    }
}

/// One line per workflow, under a header, columns aligned.
pub fn table(bounds: &[WorkflowBounds]) -> String {
    let header = ["workflow", "longest run", "emails", "SMS", "external calls", "points"];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|h| (*h).to_owned()).collect()];
    for wf in bounds {
        let mut row = vec![wf.workflow.clone()];
        row.extend(wf.each().iter().map(|(measure, bound)| cell(*measure, bound)));
        rows.push(row);
    }
    let widths: Vec<usize> = (0..header.len())
        .map(|i| rows.iter().filter_map(|r| r.get(i)).map(|c| c.chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in &rows {
        let cells: Vec<String> =
            row.iter().zip(&widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// What a step of a path adds to `measure`, as a label.
pub fn cause_text(measure: Measure, cause: &Cause) -> String {
    match cause {
        Cause::Wait { ms } => format!("waits {}", duration_text(*ms)),
        Cause::WaitUntilStart { ms } => format!("waits until {} after the run started", duration_text(*ms)),
        Cause::RetryDelays { count, backoff_ms, ms } => format!(
            "retry {count} backoff {}: up to {} of delays",
            duration_text(*backoff_ms),
            duration_text(*ms)
        ),
        Cause::Attempts { attempts, timeout_ms, given } => {
            let whose = if *given { "its `timeout`" } else { "the connectors' default timeout" };
            let n = u64::from(*attempts);
            format!("{attempts} attempt{} of up to {} ({whose})", plural(n), duration_text(*timeout_ms))
        }
        Cause::Action { action, times } => match measure {
            Measure::Points => format!("awards {times} point{}", plural(*times)),
            Measure::Emails if *times == 1 => "sends an email".into(),
            Measure::Emails => format!("up to {times} emails (one per attempt)"),
            Measure::Sms if *times == 1 => "sends an SMS".into(),
            Measure::Sms => format!("up to {times} SMS (one per attempt)"),
            Measure::ExternalCalls | Measure::Duration if *times == 1 => format!("calls `{action}`"),
            Measure::ExternalCalls | Measure::Duration => {
                format!("up to {times} calls of `{action}` (one per attempt)")
            }
        },
        Cause::Unbounded(reason) => match reason {
            UnboundedReason::WaitExpr => "cannot be bounded: the duration is computed".into(),
            UnboundedReason::WaitUntil => {
                "cannot be bounded: `wait until` a time the checker cannot place".into()
            }
            UnboundedReason::PointsExpr => "cannot be bounded: the amount is computed".into(),
        },
        Cause::Route { name, by_failure: true } => format!("on failure, goes on in route `{name}`"),
        Cause::Route { name, by_failure: false } => format!("goes on in route `{name}`"),
    }
}

/// How to make a bound decidable.
pub fn unbounded_help(reason: UnboundedReason) -> &'static str {
    match reason {
        UnboundedReason::WaitExpr => "wait a literal duration (`wait 2d`)",
        UnboundedReason::WaitUntil => {
            "wait until a time the checker can place: `run.started_at + 7d` or `now() + 1d`"
        }
        UnboundedReason::PointsExpr => "award a literal number of points (`loyalty.award_points(50)`)",
    }
}

/// The hover text of a workflow's bounds: a Markdown table.
pub fn markdown(bounds: &WorkflowBounds) -> String {
    let mut out =
        String::from("| longest run | emails | SMS | external calls | points |\n|---|---|---|---|---|\n|");
    for (measure, bound) in bounds.each() {
        out.push_str(&format!(" {} |", cell(measure, bound)));
    }
    out
}
