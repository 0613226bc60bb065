//! `komo migrate WORKFLOW --to vN [--apply]` against a running engine.
//!
//! In: a server and a key ([`ServerArgs`]), a workflow and the version to move its
//! waiting runs to. Out: on stdout, the plan grouped by version and park point ("2 runs
//! of v1 at `wait 1h` (line 8) → `wait 1h` (line 9) in v2"), the runs that cannot move
//! with the reason, then totals; with `--apply`, what moved. `--format json`: the
//! server's answer with `"format_version": 1`. Exit 0 done, 1 the server refused (no such
//! workflow or version), 2 no key, no server, a refused key.

use std::io;

use clap::{Args, ValueEnum};
use serde_json::json;

use super::client::{Client, ServerArgs};
use super::{Console, Exit};
use crate::engine::migrate::{MigrationOutcome, MigrationPlan};

#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  komo migrate welcome --to v2              which waiting runs can move to version 2, and why not
  komo migrate welcome --to v2 --apply      move them (one transaction; the others stay)
  komo migrate welcome --to 2 --format json the server's answer

Exit status: 0 done, 1 the server refused (no such workflow or version), 2 no key, no
server or a refused key.")]
pub(crate) struct MigrateArgs {
    /// The workflow
    workflow: String,

    /// The version to move waiting runs to (`v2` or `2`)
    #[arg(long, value_name = "vN", value_parser = parse_version)]
    to: i64,

    /// Move the runs that can move (without it, only the plan is shown)
    #[arg(long)]
    apply: bool,

    /// `human`: grouped by park point; `json`: the server's answer
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,

    #[command(flatten)]
    server: ServerArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Human,
    Json,
}

fn parse_version(text: &str) -> Result<i64, String> {
    text.strip_prefix('v')
        .unwrap_or(text)
        .parse()
        .map_err(|_| format!("`{text}` is not a version (`v2` or `2`)"))
}

pub(crate) fn run(args: &MigrateArgs, console: &mut Console<'_>) -> io::Result<Exit> {
    let client = match Client::new(&args.server) {
        Ok(client) => client,
        Err(failure) => return failure.report(console),
    };
    let to = args.to.to_string();
    let text = if args.apply {
        let body = json!({ "to": args.to });
        match client.post::<MigrationOutcome>(&["v1", "workflows", &args.workflow, "migrate"], Some(&body)) {
            Ok(outcome) => render_outcome(&outcome, args.format),
            Err(failure) => return failure.report(console),
        }
    } else {
        let path = ["v1", "workflows", args.workflow.as_str(), "migration"];
        match client.get_query::<MigrationPlan>(&path, &[("to", &to)]) {
            Ok(plan) => render_plan(&plan, args.format),
            Err(failure) => return failure.report(console),
        }
    };
    write!(console.out, "{text}")?;
    Ok(Exit::Success)
}

fn runs(n: usize) -> String {
    if n == 1 { "1 run".to_string() } else { format!("{n} runs") }
}

fn with_version(value: serde_json::Value) -> String {
    let mut object = serde_json::Map::new();
    object.insert("format_version".into(), json!(1));
    if let serde_json::Value::Object(fields) = value {
        object.extend(fields);
    }
    format!("{:#}\n", serde_json::Value::Object(object))
}

/// The plan: one line per group, then totals.
fn render_plan(plan: &MigrationPlan, format: Format) -> String {
    if format == Format::Json {
        return with_version(serde_json::to_value(plan).unwrap_or_default());
    }
    let mut out = groups(plan);
    out.push_str(&format!(
        "{} can move to v{}, {} cannot{}\n",
        runs(plan.movable),
        plan.to,
        plan.unmovable,
        if plan.movable > 0 { "; --apply moves them" } else { "" }
    ));
    out
}

fn groups(plan: &MigrationPlan) -> String {
    if plan.groups.is_empty() {
        return format!("no waiting runs of `{}` in other versions than v{}\n", plan.workflow, plan.to);
    }
    let mut out = String::new();
    for g in &plan.groups {
        let at =
            format!("{} of v{} at `{}` (line {})", runs(g.runs.len()), g.from, g.point.text, g.point.line);
        match (&g.target, &g.reason) {
            (Some(t), _) => out.push_str(&format!("{at} → `{}` (line {}) in v{}\n", t.text, t.line, plan.to)),
            (None, reason) => {
                let verb = if g.runs.len() == 1 { "stays" } else { "stay" };
                out.push_str(&format!("{at} {verb}: {}\n", reason.as_deref().unwrap_or("cannot move")));
                for run in &g.runs {
                    out.push_str(&format!("  {run}\n"));
                }
            }
        }
    }
    out
}

/// What `--apply` did.
fn render_outcome(outcome: &MigrationOutcome, format: Format) -> String {
    if format == Format::Json {
        return with_version(serde_json::to_value(outcome).unwrap_or_default());
    }
    let plan = &outcome.plan;
    let mut out = groups(plan);
    out.push_str(&format!("moved {} to v{}; {} stayed", runs(outcome.moved.len()), plan.to, plan.unmovable));
    if !outcome.skipped.is_empty() {
        out.push_str(&format!(
            "; {} skipped (resumed or due while moving; try again)",
            runs(outcome.skipped.len())
        ));
        out.push('\n');
        for run in &outcome.skipped {
            out.push_str(&format!("  {run}\n"));
        }
    } else {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::migrate::{MigrationGroup, PointRef};

    fn plan() -> MigrationPlan {
        let point = |text: &str, line| PointRef { text: text.into(), line };
        MigrationPlan {
            workflow: "nudge".into(),
            to: 2,
            groups: vec![
                MigrationGroup {
                    from: 1,
                    point: point("wait 2h", 6),
                    target: None,
                    reason: Some("`wait 2h` has no counterpart in v2".into()),
                    runs: vec!["run_3".into()],
                },
                MigrationGroup {
                    from: 1,
                    point: point("wait 1h", 8),
                    target: Some(point("wait 1h", 9)),
                    reason: None,
                    runs: vec!["run_1".into(), "run_2".into()],
                },
            ],
            movable: 2,
            unmovable: 1,
        }
    }

    #[test]
    fn the_plan_for_people_and_machines() {
        insta::assert_snapshot!("migrate_plan_human", render_plan(&plan(), Format::Human));
        insta::assert_snapshot!("migrate_plan_json", render_plan(&plan(), Format::Json));
    }

    #[test]
    fn what_apply_did() {
        let outcome =
            MigrationOutcome { plan: plan(), moved: vec!["run_1".into()], skipped: vec!["run_2".into()] };
        insta::assert_snapshot!("migrate_apply_human", render_outcome(&outcome, Format::Human));
        insta::assert_snapshot!("migrate_apply_json", render_outcome(&outcome, Format::Json));
    }
}
