//! `komo replay WORKFLOW --against FILE|vN [--since T] [--limit N] [--format human|json]
//! [--fail-on-change]` against a running engine.
//!
//! In: a workflow's name, what to replay it on (a `.komo` file, whose source is sent,
//! or a stored version `vN`), and which recorded runs. Out: the engine's replay diff
//! (`POST /v1/workflows/{name}/replay`): as text, one block per run that changes (its
//! id, then one line per change), the unchanged runs counted, then the totals; or the
//! report's JSON. Exit 0 (a diff is not an error; with `--fail-on-change`, 1 when a run
//! changes), 1 the server refused (errors in the file: its diagnostics on stderr; no
//! such workflow or version), 2 no key, no server, a file that cannot be read.

use std::fmt::Write as _;
use std::io;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::client::{Client, Failure, ServerArgs, write_diagnostics};
use super::{Console, Exit};
use crate::engine::replay::{Against, ReplayRequest};
use crate::runtime::replay::{ContactSource, ReplayReport};

#[derive(Debug, Args)]
#[command(after_long_help = "\
Recorded runs of the workflow (newest first; those that succeeded, failed, or are waiting)
are re-run in the engine's sandbox on the new version: each from its trigger event, the
contact as it was when the run started, and its external steps' recorded outputs (or
failures) as mocks. Nothing is sent and nothing is stored. A waiting run is compared on
what it did so far. Runs recorded before start contacts were kept are replayed from the
event's identity only; the output says how many.

Examples:
  komo replay welcome --against workflows/welcome.komo   the draft in the file vs the runs
  komo replay welcome --against v3 --since 7d            version 3, on the last week's runs
  komo replay welcome --against v3 --limit 1000 --format json
                                                         the report as JSON (for CI)

`--against vN` names a stored version; anything else is a file (`./v3` for a file named
like a version). The file's workflow is the one named WORKFLOW, or its only one.
`--since` is an RFC 3339 time or a duration back from now (`24h`, `7d`).

Exit status: 0 done (whatever changes; with --fail-on-change, 1 when a run changes), 1
the server refused (errors in the file, no such workflow or version), 2 no key, no
server, a file that cannot be read.")]
pub(crate) struct ReplayArgs {
    /// The workflow whose recorded runs are replayed
    workflow: String,

    /// What to replay them on: a .komo file, or a stored version (`v3`)
    #[arg(long, value_name = "FILE|vN")]
    against: String,

    /// Only runs started at or after this time (RFC 3339, or a duration back from now: `7d`)
    #[arg(long, value_name = "T")]
    since: Option<String>,

    /// How many runs, newest first (the server's default is 100, its most 1000)
    #[arg(long, value_name = "N")]
    limit: Option<u32>,

    /// `human`: the runs that change and the totals; `json`: the report
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,

    /// Exit 1 when any run changes
    #[arg(long)]
    fail_on_change: bool,

    #[command(flatten)]
    server: ServerArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
}

pub(crate) fn run(args: &ReplayArgs, console: &mut Console<'_>) -> io::Result<Exit> {
    let request = match request(args) {
        Ok(request) => request,
        Err(message) => {
            writeln!(console.err, "{} {message}", console.red("error:"))?;
            return Ok(Exit::Usage);
        }
    };
    let client = match Client::new(&args.server) {
        Ok(client) => client,
        Err(failure) => return failure.report(console),
    };
    let path = ["v1", "workflows", args.workflow.as_str(), "replay"];
    let report: ReplayReport = match client.post(&path, Some(&request)) {
        Ok(report) => report,
        Err(failure) => {
            if let Failure::Refused { body, .. } = &failure {
                write_diagnostics(console, body)?;
            }
            return failure.report(console);
        }
    };
    match args.format {
        Format::Json => match serde_json::to_string_pretty(&report) {
            Ok(json) => writeln!(console.out, "{json}")?,
            Err(error) => {
                writeln!(console.err, "{} internal error: {error}", console.red("error:"))?;
                return Ok(Exit::Internal);
            }
        },
        Format::Human => console.out.write_all(render(&report).as_bytes())?,
    }
    Ok(if args.fail_on_change && report.totals.changed > 0 { Exit::Failure } else { Exit::Success })
}

/// The API request: the file's source or the version, `since` as an RFC 3339 time.
fn request(args: &ReplayArgs) -> Result<serde_json::Value, String> {
    let against = match version(&args.against) {
        Some(n) => Against::Version(n),
        None => {
            let path = PathBuf::from(&args.against);
            Against::Source(std::fs::read_to_string(&path).map_err(|e| super::files::cannot_read(&path, &e))?)
        }
    };
    let since = match &args.since {
        Some(since) => Some(since_time(since, jiff::Timestamp::now())?),
        None => None,
    };
    let request = ReplayRequest { against, since, limit: args.limit };
    serde_json::to_value(&request).map_err(|e| format!("internal error: {e}"))
}

/// `v3` → 3.
fn version(against: &str) -> Option<i64> {
    let digits = against.strip_prefix('v')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// An RFC 3339 time as it is, or a duration (`7d`) back from `now`.
fn since_time(since: &str, now: jiff::Timestamp) -> Result<String, String> {
    if since.parse::<jiff::Timestamp>().is_ok() {
        return Ok(since.to_string());
    }
    let ms = crate::runtime::event::parse_duration(since)
        .map_err(|_| format!("--since `{since}` is neither an RFC 3339 time nor a duration (`7d`)"))?;
    let back = jiff::SignedDuration::from_millis(ms);
    let at = now.checked_sub(back).map_err(|e| format!("--since `{since}` reaches too far back: {e}"))?;
    Ok(crate::runtime::record::format_millis(at))
}

/// The report as text: a block per run that changes or could not be replayed, the
/// unchanged runs counted, then the totals.
pub(crate) fn render(report: &ReplayReport) -> String {
    let mut out = String::new();
    let totals = &report.totals;
    for run in report.runs.iter().filter(|r| !r.changes.is_empty() || r.error.is_some()) {
        let _ = writeln!(
            out,
            "{} (v{}, {}, started {})",
            run.run,
            run.version,
            run.status.as_str(),
            run.started_at
        );
        if let Some(error) = &run.error {
            let _ = writeln!(out, "  not replayed: {error}");
        }
        for change in &run.changes {
            for line in change.describe() {
                let _ = writeln!(out, "  {line}");
            }
        }
        if run.contact == ContactSource::Identity {
            let _ =
                writeln!(out, "  note: replayed from the event's identity only (no start contact was kept)");
        }
        out.push('\n');
    }
    let runs = |n: usize| format!("{n} run{}", if n == 1 { "" } else { "s" });
    let _ = writeln!(
        out,
        "{} of `{}` replayed on {}: {} changed, {} unchanged{}",
        runs(totals.runs),
        report.workflow,
        report.against,
        totals.changed,
        totals.unchanged,
        if totals.errors > 0 { format!(", {} not replayed", totals.errors) } else { String::new() }
    );
    for total in &totals.by_step {
        let _ = writeln!(out, "  {}", total.sentence(totals.runs));
    }
    if totals.without_contact_snapshot > 0 {
        let _ = writeln!(
            out,
            "note: {} recorded before start contacts were kept: replayed from the event's identity only",
            runs(totals.without_contact_snapshot)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ActionId;
    use crate::ir::RunStatus;
    use crate::runtime::replay::{Change, ChangeKind, FieldChange, RunDiff};

    #[test]
    fn versions_and_durations_are_told_from_files_and_times() {
        assert_eq!(version("v3"), Some(3));
        assert_eq!((version("v"), version("v3.komo"), version("welcome.komo")), (None, None, None));
        let now: jiff::Timestamp = "2026-12-08T12:00:00Z".parse().unwrap();
        assert_eq!(since_time("7d", now).unwrap(), "2026-12-01T12:00:00.000Z");
        assert_eq!(since_time("2026-12-01T00:00:00Z", now).unwrap(), "2026-12-01T00:00:00Z");
        assert!(since_time("last week", now).unwrap_err().contains("neither an RFC 3339 time"));
    }

    fn change(kind: ChangeKind, step: Option<(&str, ActionId)>) -> Change {
        Change {
            kind,
            step: step.map(|(s, _)| s.to_string()),
            action: step.map(|(_, a)| a),
            fields: Vec::new(),
            old: None,
            new: None,
            reason: None,
        }
    }

    fn run(id: &str, contact: ContactSource, changes: Vec<Change>) -> RunDiff {
        RunDiff {
            run: id.into(),
            version: 1,
            status: RunStatus::Succeeded,
            started_at: "2026-11-29T09:00:00.000Z".into(),
            contact,
            changes,
            error: None,
        }
    }

    /// A report with every kind of change, as the server would answer it.
    pub(crate) fn sample() -> ReplayReport {
        let welcome = Some(("welcome", ActionId::ContactSendEmail));
        let arguments = Change {
            fields: vec![
                FieldChange { field: "subject".into(), old: "Hi Ana".into(), new: "Welcome, Ana!".into() },
                FieldChange { field: "template".into(), old: "welcome".into(), new: "welcome_v2".into() },
            ],
            ..change(ChangeKind::Arguments, welcome)
        };
        let points = Change {
            fields: vec![FieldChange { field: "points".into(), old: 10.into(), new: 20.into() }],
            ..change(ChangeKind::Arguments, Some(("bonus", ActionId::LoyaltyAwardPoints)))
        };
        let route = Change { old: None, new: Some("apologise".into()), ..change(ChangeKind::Route, welcome) };
        let outcome = Change {
            old: Some("succeeded".into()),
            new: Some("failed".into()),
            ..change(ChangeKind::Outcome, welcome)
        };
        let status = Change {
            old: Some("succeeded".into()),
            new: Some("failed".into()),
            ..change(ChangeKind::Status, None)
        };
        let runs = vec![
            run("run_3", ContactSource::Snapshot, vec![arguments.clone(), points.clone()]),
            run("run_2", ContactSource::Identity, vec![arguments, outcome, route, status]),
            run(
                "run_1",
                ContactSource::Snapshot,
                vec![
                    change(ChangeKind::StepRemoved, welcome),
                    change(ChangeKind::StepAdded, Some(("add_to_list_1", ActionId::ContactAddToList))),
                ],
            ),
            run("run_0", ContactSource::Snapshot, Vec::new()),
            RunDiff {
                error: Some("its event `evt_9` is no longer stored".into()),
                ..run("run_9", ContactSource::Snapshot, Vec::new())
            },
            run("run_8", ContactSource::None, vec![Change::no_run("the `where` filter is false".into())]),
        ];
        ReplayReport::new("welcome", "v2", runs)
    }

    #[test]
    fn the_human_report_lists_each_changed_run_then_the_totals() {
        let report = sample();
        assert_eq!(report.runs.iter().filter(|r| !r.changes.is_empty()).count(), 4);
        insta::assert_snapshot!(render(&report));
    }

    #[test]
    fn the_json_report_is_versioned_and_reads_back() {
        let report = sample();
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["format_version"], 1);
        let back: ReplayReport = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, report);
        insta::assert_json_snapshot!(json);
    }
}
