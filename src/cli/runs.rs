//! `komo runs list|show|follow|replay|cancel` against a running engine.
//!
//! In: a server and a key ([`ServerArgs`]); `list` takes the API's filters and paging
//! (`GET /v1/runs`), the others a run's id. Out, on stdout: `list`, a table of runs
//! (id, workflow, version, status, started, duration), with the next page's cursor
//! named on stderr when there is one, or with `--format json` the server's page as it
//! answered; `show`, the same timeline `komo run` prints, or with `--format json` the
//! run record; `follow`, that timeline again at every change until the run ends
//! (`follow.rs`); `replay`, the new run's id; `cancel`, the run's new lifecycle line.
//!
//! Exit 0 done (for `follow`: the run succeeded), 1 the server refused (no such run, a
//! finished run cancelled, a replay not admitted) or, for `follow`, the run failed or
//! was cancelled; 2 no key, no server, a refused key.

use std::io;

use clap::{Args, Subcommand, ValueEnum};
use serde::Deserialize;

use super::client::{Client, Failure, ServerArgs, connected};
use super::{Console, Exit, follow, timeline};
use crate::engine::api::{RunSummary, StartedRun};
use crate::runtime::record::RunRecord;
use crate::runtime::value::format_duration;

#[derive(Debug, Args)]
#[command(after_long_help = "\
The server is `--server URL`, else KOMO_SERVER, else http://127.0.0.1:8080; the key is
`--key KEY`, else KOMO_KEY (`komo keys create` prints one).

Examples:
  komo runs list                               the newest 50 runs
  komo runs list --workflow welcome --status failed --limit 10
  komo runs list --since 2026-11-29T00:00:00Z --format json | jq .
  komo runs list --cursor CURSOR               the next page (its cursor is on stderr)
  komo runs show RUN                           the run's timeline, as `komo run` prints it
  komo runs show RUN --format json             the run record
  komo runs follow RUN                         the timeline, redrawn until the run ends
  komo runs replay RUN                         a new run on the same event; its id
  komo runs cancel RUN                         cancel a pending or waiting run

Exit status: 0 done (`follow`: the run succeeded), 1 the server refused (no such run, a
run that has finished cannot be cancelled) or, for `follow`, the run failed or was
cancelled; 2 no key, no server or a refused key.")]
pub(crate) struct RunsArgs {
    #[command(subcommand)]
    command: RunsCommand,
}

#[derive(Debug, Subcommand)]
enum RunsCommand {
    /// List the workspace's runs, newest first, filtered and paged
    List(ListArgs),
    /// Print a run's timeline (as `komo run` does) or its record
    Show(ShowArgs),
    /// Print a run's timeline, again at every change, until the run ends
    Follow(FollowArgs),
    /// Start a new run of the same workflow on the run's event
    Replay(IdArgs),
    /// Cancel a pending or waiting run
    Cancel(IdArgs),
}

#[derive(Debug, Args)]
struct ListArgs {
    /// Runs of this workflow only
    #[arg(long, value_name = "NAME")]
    workflow: Option<String>,

    /// Runs with this status only (pending, running, waiting, succeeded, failed, cancelled)
    #[arg(long, value_name = "STATUS")]
    status: Option<String>,

    /// Runs started by this trigger only (e.g. `Contact.Identified`)
    #[arg(long, value_name = "TRIGGER")]
    trigger: Option<String>,

    /// Runs of events in this hub only (its id)
    #[arg(long, value_name = "HUB")]
    hub: Option<String>,

    /// Runs of events of this card only (its id)
    #[arg(long, value_name = "CARD")]
    card: Option<String>,

    /// Runs started at or after this time (RFC 3339)
    #[arg(long, value_name = "TIME")]
    since: Option<String>,

    /// Runs started before this time (RFC 3339)
    #[arg(long, value_name = "TIME")]
    until: Option<String>,

    /// At most this many runs (up to 500) [server's default: 50]
    #[arg(long, value_name = "N")]
    limit: Option<u32>,

    /// The page after the one that named this cursor
    #[arg(long, value_name = "CURSOR")]
    cursor: Option<String>,

    /// `human`: one row per run; `json`: the server's page
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,

    #[command(flatten)]
    server: ServerArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    Human,
    Json,
}

#[derive(Debug, Args)]
struct ShowArgs {
    /// The run's id
    id: String,

    /// `human`: the timeline; `json`: the run record
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,

    #[command(flatten)]
    server: ServerArgs,
}

#[derive(Debug, Args)]
pub(crate) struct FollowArgs {
    /// The run's id
    pub id: String,

    /// Seconds between two reads of the run
    #[arg(long, value_name = "SECONDS", default_value_t = 1.0)]
    pub every: f64,

    #[command(flatten)]
    pub server: ServerArgs,
}

#[derive(Debug, Args)]
struct IdArgs {
    /// The run's id
    id: String,

    #[command(flatten)]
    server: ServerArgs,
}

pub(crate) fn run(args: &RunsArgs, console: &mut Console<'_>) -> io::Result<Exit> {
    match &args.command {
        RunsCommand::List(list) => connected(&list.server, console, |c, console| listing(c, console, list)),
        RunsCommand::Show(show) => connected(&show.server, console, |c, console| showing(c, console, show)),
        RunsCommand::Follow(args) => {
            connected(&args.server, console, |c, console| follow::follow(c, console, args))
        }
        RunsCommand::Replay(args) => connected(&args.server, console, |c, console| replay(c, console, args)),
        RunsCommand::Cancel(args) => connected(&args.server, console, |c, console| cancel(c, console, args)),
    }
}

/// `GET /v1/runs`.
#[derive(Debug, Deserialize)]
struct RunPage {
    runs: Vec<RunSummary>,
    next_cursor: Option<String>,
}

fn listing(client: &Client, console: &mut Console<'_>, args: &ListArgs) -> io::Result<Exit> {
    let limit = args.limit.map(|n| n.to_string());
    let filters = [
        ("workflow", args.workflow.as_deref()),
        ("status", args.status.as_deref()),
        ("trigger", args.trigger.as_deref()),
        ("hub", args.hub.as_deref()),
        ("card", args.card.as_deref()),
        ("since", args.since.as_deref()),
        ("until", args.until.as_deref()),
        ("limit", limit.as_deref()),
        ("cursor", args.cursor.as_deref()),
    ];
    let query: Vec<(&str, &str)> =
        filters.iter().filter_map(|(name, value)| value.map(|value| (*name, value))).collect();
    let body = match client.get_query_body(&["v1", "runs"], &query) {
        Ok(body) => body,
        Err(failure) => return failure.report(console),
    };
    let page: RunPage = match client.parse(&body) {
        Ok(page) => page,
        Err(failure) => return failure.report(console),
    };
    match args.format {
        Format::Json => {
            console.out.write_all(body.trim_ascii_end())?;
            writeln!(console.out)?;
        }
        Format::Human if page.runs.is_empty() => writeln!(console.err, "no runs")?,
        Format::Human => console.out.write_all(table(&page.runs).as_bytes())?,
    }
    if let (Some(cursor), Format::Human) = (&page.next_cursor, args.format) {
        writeln!(console.err, "more runs: add `--cursor {cursor}` for the next page")?;
    }
    Ok(Exit::Success)
}

/// The record of run `id`.
pub(crate) fn record(client: &Client, id: &str) -> Result<RunRecord, Failure> {
    client.get(&["v1", "runs", id])
}

fn showing(client: &Client, console: &mut Console<'_>, args: &ShowArgs) -> io::Result<Exit> {
    let record = match record(client, &args.id) {
        Ok(record) => record,
        Err(failure) => return failure.report(console),
    };
    write_record(console, &record, args.format)?;
    Ok(Exit::Success)
}

/// The record as `komo run` prints it: the timeline, or pretty JSON.
pub(crate) fn write_record(console: &mut Console<'_>, record: &RunRecord, format: Format) -> io::Result<()> {
    match format {
        Format::Human => console.out.write_all(timeline::render(record, None, "").as_bytes()),
        Format::Json => {
            let json = serde_json::to_string_pretty(record).map_err(io::Error::other)?;
            writeln!(console.out, "{json}")
        }
    }
}

/// `POST /v1/runs/{id}/replay`: the new run's id on stdout, what it is on stderr.
fn replay(client: &Client, console: &mut Console<'_>, args: &IdArgs) -> io::Result<Exit> {
    match client.post::<StartedRun>(&["v1", "runs", &args.id, "replay"], None) {
        Ok(started) => {
            writeln!(console.out, "{}", started.id)?;
            writeln!(
                console.err,
                "replayed {} as {} ({}, version {})",
                args.id, started.id, started.workflow, started.version
            )?;
            Ok(Exit::Success)
        }
        Err(failure) => failure.report(console),
    }
}

/// `POST /v1/runs/{id}/cancel`: `run_…: cancelled through the API (2026-…Z)`.
fn cancel(client: &Client, console: &mut Console<'_>, args: &IdArgs) -> io::Result<Exit> {
    match client.post::<RunRecord>(&["v1", "runs", &args.id, "cancel"], None) {
        Ok(record) => {
            match record.lifecycle.last() {
                Some(entry) => writeln!(console.out, "{}: {} ({})", record.id, entry.describe(), entry.at())?,
                None => writeln!(console.out, "{}: {}", record.id, record.status.as_str())?,
            }
            Ok(Exit::Success)
        }
        Err(failure) => failure.report(console),
    }
}

const COLUMNS: [&str; 6] = ["ID", "WORKFLOW", "VERSION", "STATUS", "STARTED", "DURATION"];

/// The runs as aligned columns, a header first; `-` for the duration of an unfinished
/// run. The version is right-aligned, every other column left-aligned.
fn table(runs: &[RunSummary]) -> String {
    let rows: Vec<[String; 6]> = runs
        .iter()
        .map(|r| {
            [
                r.id.clone(),
                r.workflow.clone(),
                r.version.to_string(),
                r.status.clone(),
                r.started_at.clone(),
                r.finished_at
                    .as_deref()
                    .and_then(|end| took(&r.started_at, end))
                    .unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let header = COLUMNS.map(str::to_owned);
    let mut widths = COLUMNS.map(|title| title.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .enumerate()
            .map(
                |(column, (cell, width))| {
                    if column == 2 { format!("{cell:>width$}") } else { format!("{cell:<width$}") }
                },
            )
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// `1s250ms` between two RFC 3339 times.
fn took(start: &str, end: &str) -> Option<String> {
    let (start, end): (jiff::Timestamp, jiff::Timestamp) = (start.parse().ok()?, end.parse().ok()?);
    let ms = i64::try_from(end.duration_since(start).as_millis()).ok()?;
    Some(format_duration(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(id: &str, status: &str, finished_at: Option<&str>) -> RunSummary {
        RunSummary {
            id: id.into(),
            workflow: "welcome".into(),
            version: 12,
            status: status.into(),
            trigger: "Contact.Identified".into(),
            hub: None,
            card: None,
            started_at: "2026-11-29T09:00:00.000Z".into(),
            finished_at: finished_at.map(str::to_owned),
        }
    }

    #[test]
    fn the_table_lines_up() {
        let runs = [
            summary("run_a", "succeeded", Some("2026-11-29T09:00:01.250Z")),
            summary("run_longer", "waiting", None),
        ];
        assert_eq!(
            table(&runs),
            "\
ID          WORKFLOW  VERSION  STATUS     STARTED                   DURATION
run_a       welcome        12  succeeded  2026-11-29T09:00:00.000Z  1s250ms
run_longer  welcome        12  waiting    2026-11-29T09:00:00.000Z  -
"
        );
    }
}
