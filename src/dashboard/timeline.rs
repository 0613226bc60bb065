//! A run's timeline as the run page draws it: one row a step (in source order, skipped
//! ones included) and one a wait, each with its start to the millisecond and a bar
//! placed to scale on the run's own time axis.
//!
//! In: a [`RunRecord`] and the current time. Out: [`Timeline`], plain strings and
//! numbers for the template.

use crate::runtime::record::{RunRecord, StepRecord, WaitRecord};

/// The width of the bars' axis (SVG user units).
pub const AXIS: f64 = 1000.0;

/// One row of the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineRow {
    /// `step` or `wait` (a `wait` statement) or `retry` (a retry delay).
    pub kind: &'static str,
    pub name: String,
    pub action: String,
    /// `succeeded`, `failed`, `skipped`; for a wait, `waited` or `waiting`.
    pub status: String,
    /// `HH:MM:SS.mmm` (UTC), empty for a step that did not run.
    pub clock: String,
    /// The full timestamp, for the `<time datetime>`.
    pub started_at: String,
    /// `+123 ms` from the start of the run.
    pub offset: String,
    pub duration: String,
    /// The bar's start and width on [`AXIS`]; `None` when the step did not run.
    pub bar: Option<(f64, f64)>,
    pub attempts: u32,
    pub input: String,
    pub output: String,
    pub error: Option<String>,
    pub route: Option<String>,
    /// When a wait ends.
    pub until: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    pub rows: Vec<TimelineRow>,
    /// The length of the axis: from the start of the run to its end (or to now).
    pub total: String,
}

fn millis(text: &str) -> Option<i64> {
    text.parse::<jiff::Timestamp>().ok().map(|t| t.as_millisecond())
}

/// `850 ms`, `1.250 s`, `2 min 5 s`, `1 h 2 min`.
pub fn duration_text(ms: i64) -> String {
    let ms = ms.max(0);
    match ms {
        0..1000 => format!("{ms} ms"),
        1000..60_000 => format!("{}.{:03} s", ms / 1000, ms % 1000),
        60_000..3_600_000 => format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000),
        _ => format!("{} h {} min", ms / 3_600_000, (ms % 3_600_000) / 60_000),
    }
}

fn pretty(value: &serde_json::Value) -> String {
    if value.is_null() {
        return String::new();
    }
    serde_json::to_string_pretty(value).unwrap_or_default()
}

struct Axis {
    start: i64,
    total: i64,
}

impl Axis {
    /// The bar of `[from, to]`, at least 0.4% wide so an instant stays visible.
    fn bar(&self, from: i64, to: i64) -> (f64, f64) {
        let total = self.total.max(1) as f64;
        let x = ((from - self.start) as f64 / total * AXIS).clamp(0.0, AXIS);
        let w = ((to - from).max(0) as f64 / total * AXIS).clamp(AXIS * 0.004, AXIS - x.min(AXIS * 0.996));
        (x, w)
    }

    fn offset(&self, at: i64) -> String {
        format!("+{}", duration_text(at - self.start))
    }
}

fn clock(text: &str) -> String {
    text.split_once('T').map(|(_, time)| time.trim_end_matches('Z').to_string()).unwrap_or_default()
}

fn step_row(step: &StepRecord, axis: &Axis, now: i64) -> TimelineRow {
    let start = step.started_at.as_deref().and_then(millis);
    let end = step.finished_at.as_deref().and_then(millis).or(start.map(|_| now));
    let (bar, duration, offset) = match (start, end) {
        (Some(s), Some(e)) => (Some(axis.bar(s, e)), duration_text(e - s), axis.offset(s)),
        _ => (None, String::new(), String::new()),
    };
    TimelineRow {
        kind: "step",
        name: step.name.clone(),
        action: step.action.to_string(),
        status: step.status.as_str().to_string(),
        clock: step.started_at.as_deref().map(clock).unwrap_or_default(),
        started_at: step.started_at.clone().unwrap_or_default(),
        offset,
        duration,
        bar,
        attempts: step.attempts,
        input: pretty(&step.input),
        output: pretty(&step.output),
        error: step.error.as_ref().map(|e| match e.status {
            Some(status) => format!("{} ({}, status {status})", e.message, e.kind),
            None => format!("{} ({})", e.message, e.kind),
        }),
        route: step.route.clone(),
        until: String::new(),
    }
}

fn wait_row(wait: &WaitRecord, axis: &Axis, now: i64) -> TimelineRow {
    let start = millis(&wait.started_at).unwrap_or(axis.start);
    let until = millis(&wait.until).unwrap_or(start);
    let status = if until > now { "waiting" } else { "waited" };
    TimelineRow {
        kind: if wait.kind == "retry" { "retry" } else { "wait" },
        name: if wait.kind == "retry" { "retry delay".into() } else { "wait".into() },
        action: String::new(),
        status: status.into(),
        clock: clock(&wait.started_at),
        started_at: wait.started_at.clone(),
        offset: axis.offset(start),
        duration: duration_text(until - start),
        bar: Some(axis.bar(start, until)),
        attempts: 0,
        input: String::new(),
        output: String::new(),
        error: None,
        route: None,
        until: wait.until.clone(),
    }
}

/// The timeline of `run` at `now` (milliseconds since the epoch).
pub fn timeline(run: &RunRecord, now: i64) -> Timeline {
    let start = millis(&run.started_at).unwrap_or(now);
    let mut end = run.finished_at.as_deref().and_then(millis).unwrap_or(now);
    for wait in &run.waits {
        end = end.max(millis(&wait.until).unwrap_or(end));
    }
    for step in &run.steps {
        end = end.max(step.finished_at.as_deref().and_then(millis).unwrap_or(end));
    }
    let axis = Axis { start, total: (end - start).max(1) };
    let mut waits: Vec<&WaitRecord> = run.waits.iter().collect();
    waits.sort_by_key(|w| millis(&w.started_at).unwrap_or(0));
    let mut waits = waits.into_iter().peekable();
    let mut rows = Vec::with_capacity(run.steps.len() + run.waits.len());
    let starts: Vec<Option<i64>> =
        run.steps.iter().map(|s| s.started_at.as_deref().and_then(millis)).collect();
    for (at, step) in run.steps.iter().enumerate() {
        // A wait comes right after the last step that started before it: before the
        // next step that started once it was over, and before the skipped steps that
        // precede that one.
        let anchor = starts.iter().skip(at).flatten().next().copied();
        if let Some(anchor) = anchor {
            while let Some(wait) = waits.next_if(|w| millis(&w.until).unwrap_or(0) <= anchor) {
                rows.push(wait_row(wait, &axis, now));
            }
        }
        rows.push(step_row(step, &axis, now));
    }
    rows.extend(waits.map(|w| wait_row(w, &axis, now)));
    Timeline { rows, total: duration_text(end - start) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{ActionId, TriggerId};
    use crate::ir::{RunStatus, StepStatus};
    use crate::source::Span;

    fn step(name: &str, status: StepStatus, at: Option<(&str, &str)>) -> StepRecord {
        StepRecord {
            name: name.into(),
            action: ActionId::ContactUpdate,
            status,
            attempts: u32::from(at.is_some()),
            started_at: at.map(|a| a.0.to_string()),
            finished_at: at.map(|a| a.1.to_string()),
            input: serde_json::json!({ "tags": ["a"] }),
            output: serde_json::Value::Null,
            error: None,
            route: None,
        }
    }

    #[test]
    fn waits_sit_between_the_steps_they_separate_and_bars_are_to_scale() {
        let run = RunRecord {
            id: "r".into(),
            workflow: "w".into(),
            version: 1,
            status: RunStatus::Succeeded,
            trigger: TriggerId::ContactIdentified,
            event: serde_json::Value::Null,
            started_at: "2026-11-29T09:00:00.000Z".into(),
            finished_at: Some("2026-11-29T09:00:10.000Z".into()),
            steps: vec![
                step(
                    "a",
                    StepStatus::Succeeded,
                    Some(("2026-11-29T09:00:00.000Z", "2026-11-29T09:00:01.000Z")),
                ),
                step("s", StepStatus::Skipped, None),
                step(
                    "b",
                    StepStatus::Succeeded,
                    Some(("2026-11-29T09:00:06.000Z", "2026-11-29T09:00:10.000Z")),
                ),
                step("c", StepStatus::Skipped, None),
            ],
            contact: serde_json::Value::Null,
            caused_by: None,
            caused_events: Vec::new(),
            caused_runs: Vec::new(),
            lifecycle: Vec::new(),
            error: None,
            waits: vec![WaitRecord {
                kind: "wait".into(),
                started_at: "2026-11-29T09:00:01.000Z".into(),
                until: "2026-11-29T09:00:06.000Z".into(),
                span: Span { start: 0, end: 0 },
            }],
        };
        let t = timeline(&run, millis("2026-11-29T10:00:00Z").unwrap());
        let shape: Vec<_> =
            t.rows.iter().map(|r| (r.kind, r.name.as_str(), r.status.as_str(), r.bar)).collect();
        assert_eq!(
            shape,
            vec![
                ("step", "a", "succeeded", Some((0.0, 100.0))),
                ("wait", "wait", "waited", Some((100.0, 500.0))),
                ("step", "s", "skipped", None),
                ("step", "b", "succeeded", Some((600.0, 400.0))),
                ("step", "c", "skipped", None),
            ]
        );
        assert_eq!(t.total, "10.000 s");
        assert_eq!(t.rows[1].duration, "5.000 s");
        assert_eq!(t.rows[3].clock, "09:00:06.000");
        assert_eq!(t.rows[3].offset, "+6.000 s");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration_text(0), "0 ms");
        assert_eq!(duration_text(999), "999 ms");
        assert_eq!(duration_text(1250), "1.250 s");
        assert_eq!(duration_text(125_000), "2 min 5 s");
        assert_eq!(duration_text(3_720_000), "1 h 2 min");
        assert_eq!(duration_text(-5), "0 ms");
    }
}
