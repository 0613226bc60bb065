//! A run record for people: the timeline `komo run` prints and `komo test` shows for a
//! failed test.
//!
//! In: a [`RunRecord`] and, for a failed run, where its error is in the source. Out:
//! plain text (no colour: it is data, written to stdout): a header (workflow, run,
//! trigger, status, start, end, virtual duration), then the steps that ran and the
//! waits, in time order, each step with its input and its output or error as one line
//! of compact JSON, then the events the steps caused (`catalog.md` "What actions
//! change"), then the steps that were skipped, then the run's error.
//!
//! ```text
//! workflow  welcome_new_contacts (version 1)
//! run       run_evt_01
//! trigger   Contact.Identified (event evt_01)
//! status    succeeded
//! started   2026-01-01T00:00:00.000Z
//! finished  2026-01-01T00:00:40.000Z
//! took      40s (virtual time)
//!
//! 2026-01-01 00:00:00.000  ✓ welcome        contact.send_email   40s, 3 attempts
//!                            input:  {"subject":"Welcome, Ana!","template":"welcome"}
//!                            output: {"message_id":"msg_run_evt_01_welcome"}
//!            00:00:00.000  ⏸ retry in 10s (until 2026-01-01T00:00:10.000Z)
//!
//! caused
//!   Contact.ListAdded  {"list":"New Users"}  (step add_to_list_1)
//! ```

use std::fmt::Write as _;

use crate::ir::{RunStatus, StepStatus};
use crate::runtime::record::{LifecycleEntry, RunRecord, StepRecord, WaitRecord};
use crate::runtime::value::format_duration;

/// The most characters of one JSON line (input, output, error) before it is cut.
const JSON_WIDTH: usize = 200;

/// Width of the time column: `2026-01-01 00:00:00.000`.
const TIME_WIDTH: usize = 23;

/// The timeline of `record`, every line prefixed with `indent`. `error_at` is the
/// source position (`file:line:col`) of the run's error, when known.
pub(crate) fn render(record: &RunRecord, error_at: Option<&str>, indent: &str) -> String {
    let mut lines = header(record);
    lines.push(String::new());
    lines.extend(events(record));
    if !record.caused_events.is_empty() {
        lines.push(String::new());
        lines.push("caused".to_owned());
        let width = record.caused_events.iter().map(|e| e.kind.chars().count()).max().unwrap_or(0);
        for event in &record.caused_events {
            let fields = compact(&event.fields());
            lines.push(format!("  {:<width$}  {fields}  (step {})", event.kind, event.step));
        }
    }
    let skipped: Vec<&StepRecord> = record.steps.iter().filter(|s| !ran(s)).collect();
    if !skipped.is_empty() {
        lines.push(String::new());
        lines.push("skipped".to_owned());
        let width = skipped.iter().map(|s| s.name.chars().count()).max().unwrap_or(0);
        for step in skipped {
            lines.push(format!("  {} {:<width$}  {}", symbol(step.status), step.name, step.action));
        }
    }
    if let Some(error) = &record.error {
        lines.push(String::new());
        let at = error_at.map(|at| format!(" (at {at})")).unwrap_or_default();
        lines.push(format!("error: {}{at}", error.message));
    }
    let mut out = String::new();
    for line in lines {
        if line.is_empty() {
            out.push('\n');
        } else {
            let _ = writeln!(out, "{indent}{line}");
        }
    }
    out
}

fn header(record: &RunRecord) -> Vec<String> {
    let event_id = record.event.get("id").and_then(serde_json::Value::as_str);
    let event = event_id.map(|id| format!(" (event {id})")).unwrap_or_default();
    let mut lines = vec![
        format!("workflow  {} (version {})", record.workflow, record.version),
        format!("run       {}", record.id),
        format!("trigger   {}{event}", record.trigger),
        format!("status    {}", record.status.as_str()),
        format!("started   {}", record.started_at),
    ];
    match &record.finished_at {
        Some(finished) => {
            lines.push(format!("finished  {finished}"));
            if let Some(ms) = millis_between(&record.started_at, finished) {
                lines.push(format!("took      {} (virtual time)", format_duration(ms)));
            }
        }
        None if record.status == RunStatus::Waiting => {
            lines.push("finished  not yet: the run is waiting".to_owned())
        }
        None => {}
    }
    lines
}

/// A step that ran or a park, at its start time.
enum Event<'a> {
    Step(&'a StepRecord),
    Wait(&'a WaitRecord),
    /// Cancelled or moved from outside the workflow.
    Lifecycle(&'a LifecycleEntry),
}

/// The steps that ran, the waits and the lifecycle entries, in time order; at the same
/// instant steps come first (a park ends the instant), then waits, then lifecycle
/// entries; then source order for steps and record order for the others.
fn events(record: &RunRecord) -> Vec<String> {
    let steps = record.steps.iter().filter(|s| ran(s)).map(|s| (s.started_at.as_deref(), 0, Event::Step(s)));
    let waits = record.waits.iter().map(|w| (Some(w.started_at.as_str()), 1, Event::Wait(w)));
    let lifecycle = record.lifecycle.iter().map(|l| (Some(l.at()), 2, Event::Lifecycle(l)));
    let mut timed: Vec<(Option<jiff::Timestamp>, u8, usize, Event<'_>)> = steps
        .chain(waits)
        .chain(lifecycle)
        .enumerate()
        .map(|(order, (at, rank, event))| (at.and_then(parse), rank, order, event))
        .collect();
    timed.sort_by_key(|&(at, rank, order, _)| (at, rank, order));

    let ran: Vec<&StepRecord> = record.steps.iter().filter(|s| ran(s)).collect();
    let name_width = ran.iter().map(|s| s.name.chars().count()).max().unwrap_or(0);
    let action_width = ran.iter().map(|s| s.action.to_string().chars().count()).max().unwrap_or(0);
    let detail_indent = " ".repeat(TIME_WIDTH + 4);

    let mut lines = Vec::new();
    let mut last_date: Option<jiff::civil::Date> = None;
    for (at, _, _, event) in timed {
        let time = time_column(at, &mut last_date);
        match event {
            Event::Step(step) => {
                let mut line = format!(
                    "{time}  {} {:<name_width$}  {:<action_width$}",
                    symbol(step.status),
                    step.name,
                    step.action
                );
                let took = step.started_at.as_deref().zip(step.finished_at.as_deref());
                if let Some(ms) = took.and_then(|(start, end)| millis_between(start, end)) {
                    let _ = write!(line, "  {}", format_duration(ms));
                }
                if step.attempts > 1 {
                    let _ = write!(line, ", {} attempts", step.attempts);
                }
                if let Some(route) = &step.route {
                    let _ = write!(line, "  → {route}");
                }
                lines.push(line);
                if !step.input.is_null() {
                    lines.push(format!("{detail_indent}input:  {}", compact(&step.input)));
                }
                if let Some(error) = &step.error {
                    let json = serde_json::to_value(error).unwrap_or(serde_json::Value::Null);
                    lines.push(format!("{detail_indent}error:  {}", compact(&json)));
                } else if !step.output.is_null() {
                    lines.push(format!("{detail_indent}output: {}", compact(&step.output)));
                }
            }
            Event::Wait(wait) => lines.push(format!("{time}  ⏸ {}", describe_wait(wait))),
            Event::Lifecycle(entry) => lines.push(format!("{time}  ↷ {}", entry.describe())),
        }
    }
    if lines.is_empty() {
        lines.push("(no step ran)".to_owned());
    }
    lines
}

/// `wait 2d (until …)` or `retry in 30s (until …)`.
fn describe_wait(wait: &WaitRecord) -> String {
    let length = millis_between(&wait.started_at, &wait.until).map(format_duration);
    let what = match (wait.kind.as_str(), length) {
        ("retry", Some(length)) => format!("retry in {length}"),
        ("retry", None) => "retry".to_owned(),
        (kind, Some(length)) => format!("{kind} {length}"),
        (kind, None) => kind.to_owned(),
    };
    format!("{what} (until {})", wait.until)
}

/// `2026-01-01 00:00:00.000` the first time and whenever the date changes, else the
/// time alone, aligned.
fn time_column(at: Option<jiff::Timestamp>, last_date: &mut Option<jiff::civil::Date>) -> String {
    let Some(at) = at else { return format!("{:TIME_WIDTH$}", "") };
    let civil = jiff::tz::Offset::UTC.to_datetime(at);
    let time = civil.time().strftime("%H:%M:%S%.3f").to_string();
    if *last_date == Some(civil.date()) {
        format!("{time:>TIME_WIDTH$}")
    } else {
        *last_date = Some(civil.date());
        format!("{} {time}", civil.date())
    }
}

fn ran(step: &StepRecord) -> bool {
    step.status != StepStatus::Skipped || step.started_at.is_some()
}

fn symbol(status: StepStatus) -> &'static str {
    match status {
        StepStatus::Succeeded => "✓",
        StepStatus::Failed => "✗",
        StepStatus::Skipped => "–",
    }
}

fn parse(text: &str) -> Option<jiff::Timestamp> {
    text.parse().ok()
}

fn millis_between(start: &str, end: &str) -> Option<i64> {
    let (start, end) = (parse(start)?, parse(end)?);
    i64::try_from(end.duration_since(start).as_millis()).ok()
}

/// One line of JSON, cut to about [`JSON_WIDTH`] characters.
fn compact(json: &serde_json::Value) -> String {
    let text = json.to_string();
    match text.char_indices().nth(JSON_WIDTH) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or_default()),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{ActionId, FailureKind, TriggerId};
    use crate::runtime::caused::CausedEvent;
    use crate::runtime::record::{RunError, StepError};
    use crate::source::Span;

    fn step(name: &str, status: StepStatus, started: Option<&str>, finished: Option<&str>) -> StepRecord {
        StepRecord {
            name: name.into(),
            action: ActionId::ContactSendEmail,
            status,
            attempts: u32::from(started.is_some()),
            started_at: started.map(Into::into),
            finished_at: finished.map(Into::into),
            input: if started.is_some() {
                serde_json::json!({ "template": "welcome" })
            } else {
                serde_json::Value::Null
            },
            output: serde_json::Value::Null,
            error: None,
            route: None,
        }
    }

    fn caused(
        step: &str,
        kind: &str,
        data: serde_json::Value,
        coupon: Option<serde_json::Value>,
    ) -> CausedEvent {
        CausedEvent { id: "run_evt_1.ev1".into(), step: step.into(), kind: kind.into(), data, coupon }
    }

    fn record() -> RunRecord {
        let mut first = step(
            "welcome",
            StepStatus::Succeeded,
            Some("2026-01-01T00:00:00.000Z"),
            Some("2026-01-01T00:00:30.000Z"),
        );
        first.attempts = 2;
        first.output = serde_json::json!({ "message_id": "m1" });
        let mut second = step(
            "reminder",
            StepStatus::Failed,
            Some("2026-01-03T00:00:30.000Z"),
            Some("2026-01-03T00:00:30.000Z"),
        );
        second.error =
            Some(StepError { kind: FailureKind::Error, message: "mailbox unavailable".into(), status: None });
        second.route = Some("give_up".into());
        RunRecord {
            id: "run_evt_1".into(),
            workflow: "welcome".into(),
            version: 1,
            status: RunStatus::Failed,
            trigger: TriggerId::ContactIdentified,
            event: serde_json::json!({ "id": "evt_1" }),
            started_at: "2026-01-01T00:00:00.000Z".into(),
            finished_at: Some("2026-01-03T00:00:30.000Z".into()),
            steps: vec![first, step("never", StepStatus::Skipped, None, None), second],
            contact: serde_json::json!({}),
            caused_by: None,
            caused_events: vec![
                caused("welcome", "Contact.ListAdded", serde_json::json!({ "list": "VIP" }), None),
                caused(
                    "welcome",
                    "Coupon.Issued",
                    serde_json::json!({}),
                    Some(serde_json::json!({ "code": "C1" })),
                ),
            ],
            caused_runs: Vec::new(),
            lifecycle: Vec::new(),
            error: Some(RunError {
                message: "step `reminder` failed".into(),
                step: Some("reminder".into()),
                span: Span::default(),
            }),
            waits: vec![
                WaitRecord {
                    kind: "retry".into(),
                    started_at: "2026-01-01T00:00:00.000Z".into(),
                    until: "2026-01-01T00:00:30.000Z".into(),
                    span: Span::default(),
                },
                WaitRecord {
                    kind: "wait".into(),
                    started_at: "2026-01-01T00:00:30.000Z".into(),
                    until: "2026-01-03T00:00:30.000Z".into(),
                    span: Span::default(),
                },
            ],
        }
    }

    #[test]
    fn a_timeline_reads_in_time_order() {
        let text = render(&record(), Some("w.komo:9:5"), "");
        let expected = "\
workflow  welcome (version 1)
run       run_evt_1
trigger   Contact.Identified (event evt_1)
status    failed
started   2026-01-01T00:00:00.000Z
finished  2026-01-03T00:00:30.000Z
took      2d30s (virtual time)

2026-01-01 00:00:00.000  ✓ welcome   contact.send_email  30s, 2 attempts
                           input:  {\"template\":\"welcome\"}
                           output: {\"message_id\":\"m1\"}
           00:00:00.000  ⏸ retry in 30s (until 2026-01-01T00:00:30.000Z)
           00:00:30.000  ⏸ wait 2d (until 2026-01-03T00:00:30.000Z)
2026-01-03 00:00:30.000  ✗ reminder  contact.send_email  0s  → give_up
                           input:  {\"template\":\"welcome\"}
                           error:  {\"kind\":\"error\",\"message\":\"mailbox unavailable\",\"status\":null}

caused
  Contact.ListAdded  {\"list\":\"VIP\"}  (step welcome)
  Coupon.Issued      {\"coupon\":{\"code\":\"C1\"}}  (step welcome)

skipped
  – never  contact.send_email

error: step `reminder` failed (at w.komo:9:5)
";
        assert_eq!(text, expected);
    }

    #[test]
    fn lifecycle_entries_take_their_place_in_time() {
        let mut moved = record();
        moved.lifecycle.push(crate::runtime::record::LifecycleEntry::Moved {
            at: "2026-01-02T12:00:00.000Z".into(),
            from: 1,
            to: 2,
            point: "`wait 2d`".into(),
        });
        let text = render(&moved, None, "");
        let wait = text.find("⏸ wait 2d").expect("the wait");
        let line = "2026-01-02 12:00:00.000  ↷ moved from v1 to v2 at `wait 2d`\n";
        let at = text.find(line).unwrap_or_else(|| panic!("no move line in:\n{text}"));
        let reminder = text.find("✗ reminder").expect("the step");
        assert!(wait < at && at < reminder, "out of order:\n{text}");
    }

    #[test]
    fn every_line_takes_the_indent() {
        let text = render(&record(), None, "    ");
        assert!(text.lines().all(|line| line.is_empty() || line.starts_with("    ")), "{text}");
        assert!(text.ends_with("error: step `reminder` failed\n"));
    }

    #[test]
    fn long_json_is_cut() {
        let long = serde_json::json!({ "body": "x".repeat(500) });
        let cut = compact(&long);
        assert_eq!(cut.chars().count(), JSON_WIDTH + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(compact(&serde_json::json!([1, 2])), "[1,2]");
    }
}
