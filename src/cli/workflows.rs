//! `komo workflows list|activate|pause|resume|deactivate|clone` against a running
//! engine.
//!
//! In: a server and a key ([`ServerArgs`]), a workflow's name. Out: `list`, a table of
//! the workspace's workflows on stdout (or, with `--format json`, the server's JSON);
//! the lifecycle commands, the workflow's new state in one line on stdout (`welcome:
//! active (version 3)`). A refused activation prints the server's diagnostics on
//! stderr. Exit 0 done, 1 the server refused (diagnostics, a transition not allowed, no
//! such workflow), 2 no key, no server, a refused key.

use std::io;

use clap::{Args, Subcommand, ValueEnum};
use reqwest::Method;
use serde::Deserialize;

use super::client::{Client, ServerArgs, connected, state_line, write_refusal};
use super::{Console, Exit};
use crate::engine::api::{WorkflowDetail, WorkflowSummary};

#[derive(Debug, Args)]
#[command(after_long_help = "\
The server is `--server URL`, else KOMO_SERVER, else http://127.0.0.1:8080; the key is
`--key KEY`, else KOMO_KEY (`komo keys create` prints one).

Examples:
  komo workflows list                          status, version, trigger and run metrics
  komo workflows list --format json | jq .     the server's answer
  komo workflows activate welcome              a new version of the draft, active
  komo workflows pause welcome                 no new runs; waiting runs stay parked
  komo workflows clone welcome --as welcome_b  a new draft with the same source

Exit status: 0 done, 1 the server refused (errors in the workflow, a transition that is
not allowed, no such workflow), 2 no key, no server or a refused key.")]
pub(crate) struct WorkflowsArgs {
    #[command(subcommand)]
    command: WorkflowsCommand,
}

#[derive(Debug, Subcommand)]
enum WorkflowsCommand {
    /// List the workspace's workflows with their state and run metrics
    List(ListArgs),
    /// Check the draft and make it the active version (errors are listed)
    Activate(NameArgs),
    /// Start no new runs; waiting runs stay parked
    Pause(NameArgs),
    /// Make a paused workflow active again; parked runs go on
    Resume(NameArgs),
    /// Stop the workflow; its unfinished runs are cancelled
    Deactivate(NameArgs),
    /// Copy a workflow's source into a new draft
    Clone(CloneArgs),
}

#[derive(Debug, Args)]
struct ListArgs {
    /// `table`: one row per workflow; `json`: the server's answer
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,

    #[command(flatten)]
    server: ServerArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Json,
}

#[derive(Debug, Args)]
struct NameArgs {
    /// The workflow's name
    name: String,

    #[command(flatten)]
    server: ServerArgs,
}

#[derive(Debug, Args)]
struct CloneArgs {
    /// The workflow to copy
    name: String,

    /// The copy's name [default: NAME_copy]
    #[arg(long = "as", value_name = "NEW")]
    new_name: Option<String>,

    #[command(flatten)]
    server: ServerArgs,
}

pub(crate) fn run(args: &WorkflowsArgs, console: &mut Console<'_>) -> io::Result<Exit> {
    match &args.command {
        WorkflowsCommand::List(list) => {
            connected(&list.server, console, |c, console| listing(c, console, list))
        }
        WorkflowsCommand::Activate(named) => lifecycle(named, "activate", console),
        WorkflowsCommand::Pause(named) => lifecycle(named, "pause", console),
        WorkflowsCommand::Resume(named) => lifecycle(named, "resume", console),
        WorkflowsCommand::Deactivate(named) => lifecycle(named, "deactivate", console),
        WorkflowsCommand::Clone(clone) => {
            connected(&clone.server, console, |c, console| clone_workflow(c, console, clone))
        }
    }
}

fn lifecycle(named: &NameArgs, action: &str, console: &mut Console<'_>) -> io::Result<Exit> {
    connected(&named.server, console, |client, console| transition(client, console, &named.name, action))
}

/// `GET /v1/workflows`.
#[derive(Debug, Deserialize)]
struct WorkflowList {
    workflows: Vec<WorkflowSummary>,
}

fn listing(client: &Client, console: &mut Console<'_>, args: &ListArgs) -> io::Result<Exit> {
    let body = match client.send(Method::GET, &["v1", "workflows"], None) {
        Ok(body) => body,
        Err(failure) => return failure.report(console),
    };
    let list: WorkflowList = match client.parse(&body) {
        Ok(list) => list,
        Err(failure) => return failure.report(console),
    };
    match args.format {
        Format::Json => {
            console.out.write_all(body.trim_ascii_end())?;
            writeln!(console.out)?;
        }
        Format::Table if list.workflows.is_empty() => {
            writeln!(console.err, "no workflows yet: `komo deploy` saves the project's as drafts")?;
        }
        Format::Table => console.out.write_all(table(&list.workflows).as_bytes())?,
    }
    Ok(Exit::Success)
}

/// `POST /v1/workflows/{name}/{action}`: the new state, or why not.
fn transition(client: &Client, console: &mut Console<'_>, name: &str, action: &str) -> io::Result<Exit> {
    match client.post::<WorkflowDetail>(&["v1", "workflows", name, action], None) {
        Ok(detail) => {
            writeln!(console.out, "{}", state_line(&detail.summary))?;
            Ok(Exit::Success)
        }
        Err(failure) if action == "activate" => write_refusal(console, name, &failure),
        Err(failure) => failure.report(console),
    }
}

/// `POST /v1/workflows/{name}/clone`: `welcome_copy: draft (a copy of welcome)`.
fn clone_workflow(client: &Client, console: &mut Console<'_>, args: &CloneArgs) -> io::Result<Exit> {
    let request = args.new_name.as_ref().map(|new| serde_json::json!({ "name": new }));
    match client.post::<WorkflowDetail>(&["v1", "workflows", &args.name, "clone"], request.as_ref()) {
        Ok(detail) => {
            writeln!(console.out, "{} (a copy of {})", state_line(&detail.summary), args.name)?;
            Ok(Exit::Success)
        }
        Err(failure) => failure.report(console),
    }
}

/// How a column lines up.
#[derive(Clone, Copy)]
enum Align {
    Left,
    Right,
}

const COLUMNS: [(&str, Align); 9] = [
    ("NAME", Align::Left),
    ("STATUS", Align::Left),
    ("VERSION", Align::Right),
    ("TRIGGER", Align::Left),
    ("SCOPE", Align::Left),
    ("RUNS", Align::Right),
    ("SUCCESS", Align::Right),
    ("P50", Align::Right),
    ("P95", Align::Right),
];

/// The listing as aligned columns, a header first; `-` where there is nothing to show.
fn table(workflows: &[WorkflowSummary]) -> String {
    let dash = || "-".to_owned();
    let rows: Vec<[String; 9]> = workflows
        .iter()
        .map(|w| {
            let m = &w.metrics;
            [
                w.name.clone(),
                w.status.as_str().to_owned(),
                w.version.map_or_else(dash, |v| v.to_string()),
                w.trigger.clone().unwrap_or_else(dash),
                w.scope.clone().unwrap_or_else(dash),
                m.runs.to_string(),
                m.success_rate.map_or_else(dash, percent),
                m.p50_ms.map_or_else(dash, duration),
                m.p95_ms.map_or_else(dash, duration),
            ]
        })
        .collect();
    let header = COLUMNS.map(|(title, _)| title.to_owned());
    let mut widths = COLUMNS.map(|(title, _)| title.chars().count());
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
            .zip(COLUMNS)
            .map(|((cell, width), (_, align))| match align {
                Align::Left => format!("{cell:<width$}"),
                Align::Right => format!("{cell:>width$}"),
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// `97.5%`, `100%`.
fn percent(rate: f64) -> String {
    let percent = (rate * 1000.0).round() / 10.0;
    if percent.fract() == 0.0 { format!("{percent:.0}%") } else { format!("{percent:.1}%") }
}

/// `850ms`, `1.2s`, `3m 5s`, `2h 10m`, `3d 4h`.
fn duration(ms: i64) -> String {
    const SECOND: i64 = 1000;
    const MINUTE: i64 = 60 * SECOND;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    let ms = ms.max(0);
    match ms {
        _ if ms < SECOND => format!("{ms}ms"),
        _ if ms < MINUTE => format!("{:.1}s", ms as f64 / SECOND as f64),
        _ if ms < HOUR => format!("{}m {}s", ms / MINUTE, ms % MINUTE / SECOND),
        _ if ms < DAY => format!("{}h {}m", ms / HOUR, ms % HOUR / MINUTE),
        _ => format!("{}d {}h", ms / DAY, ms % DAY / HOUR),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::api::{WorkflowMetrics, WorkflowStatus};

    #[test]
    fn durations_and_rates_read_short() {
        assert_eq!(duration(-5), "0ms");
        assert_eq!(duration(850), "850ms");
        assert_eq!(duration(1_240), "1.2s");
        assert_eq!(duration(185_000), "3m 5s");
        assert_eq!(duration(7_800_000), "2h 10m");
        assert_eq!(duration(3 * 86_400_000 + 4 * 3_600_000), "3d 4h");
        assert_eq!(percent(1.0), "100%");
        assert_eq!(percent(0.975), "97.5%");
        assert_eq!(percent(2.0 / 3.0), "66.7%");
    }

    #[test]
    fn the_table_lines_up() {
        let welcome = WorkflowSummary {
            name: "welcome".into(),
            status: WorkflowStatus::Active,
            title: None,
            scope: Some("workspace".into()),
            trigger: Some("Contact.Identified".into()),
            version: Some(3),
            metrics: WorkflowMetrics {
                runs: 12,
                succeeded: 11,
                failed: 1,
                success_rate: Some(11.0 / 12.0),
                p50_ms: Some(420),
                p95_ms: Some(1_900),
                ..WorkflowMetrics::default()
            },
        };
        let draft = WorkflowSummary {
            name: "a_longer_name".into(),
            status: WorkflowStatus::Draft,
            scope: None,
            trigger: None,
            version: None,
            metrics: WorkflowMetrics::default(),
            ..welcome.clone()
        };
        assert_eq!(
            table(&[welcome, draft]),
            "\
NAME           STATUS  VERSION  TRIGGER             SCOPE      RUNS  SUCCESS    P50   P95
welcome        active        3  Contact.Identified  workspace    12    91.7%  420ms  1.9s
a_longer_name  draft         -  -                   -             0        -      -     -
"
        );
    }
}
