//! `komo check [PATHS…] [--format human|short|json] [--bounds] [--deny warnings]`.
//!
//! In: paths (files, or directories walked for `*.komo`). Out: every diagnostic of all
//! the files checked together, human reports and a summary line on stderr, or short
//! lines / one JSON document (with each workflow's bounds) on stdout; with `--bounds`,
//! the bounds table on stdout after them; exit 0 (clean, or only warnings), 1 (errors,
//! or warnings under `--deny warnings`) or 2 (a path could not be read).

use std::io;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::files;
use super::{Console, Exit};
use crate::check::bounds;
use crate::diagnostics::{Diagnostic, render, sort_diagnostics, tally};
use crate::source::SourceMap;

#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  komo check                          every .komo file under the current directory
  komo check workflows/ tests/a.komo  a directory and a file, checked together
  komo check --format short           `file:line:col: error[K0301]: message`, one a line
  komo check --format json | jq .     one JSON document on stdout (format_version 1)
  komo check --deny warnings          fail on warnings too, for CI
  komo check --bounds                 also print each workflow's bounds as a table")]
pub(crate) struct CheckArgs {
    /// Files and directories to check; directories are searched recursively for .komo
    /// files (skipping hidden directories, target/ and node_modules/)
    #[arg(value_name = "PATHS", default_value = ".")]
    paths: Vec<PathBuf>,

    /// How to report diagnostics: `human` on stderr, `short` and `json` on stdout
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,

    /// Print each workflow's bounds (longest run, emails, SMS, external calls, points)
    /// as a table on stdout, after the diagnostics (`--format json` always has them)
    #[arg(long)]
    bounds: bool,

    /// Treat warnings as errors (exit 1 if there are any)
    #[arg(long, value_enum, value_name = "WHAT")]
    deny: Vec<Deny>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// Rich reports with source snippets, on stderr, and a summary line
    Human,
    /// One `file:line:col: severity[CODE]: message` line per diagnostic, on stdout
    Short,
    /// One JSON document on stdout (format_version 1)
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Deny {
    /// Fail when there are warnings
    Warnings,
}

pub(crate) fn run(args: &CheckArgs, console: &mut Console<'_>) -> io::Result<Exit> {
    let files::Sources { sources, mut diagnostics, problems, .. } = files::read_sources(&args.paths);
    if !problems.is_empty() {
        for problem in &problems {
            writeln!(console.err, "{} {problem}", console.red("error:"))?;
        }
        return Ok(Exit::Usage);
    }

    let catalog = match super::project::catalog_for(&args.paths) {
        Ok(catalog) => catalog,
        Err(problem) => {
            writeln!(console.err, "{} {problem}", console.red("error:"))?;
            return Ok(Exit::Usage);
        }
    };
    let checked = crate::check_sources_in(&sources, &catalog);
    diagnostics.extend(checked.diagnostics);
    let workflow_bounds = checked.program.bounds;
    sort_diagnostics(&mut diagnostics);
    let (errors, warnings) = tally(&diagnostics);
    let deny_warnings = args.deny.contains(&Deny::Warnings);
    let exit = if errors > 0 || (deny_warnings && warnings > 0) { Exit::Failure } else { Exit::Success };

    match args.format {
        Format::Json => {
            let report = JsonCheck {
                report: render::json(&sources, &diagnostics),
                bounds: bounds::json(&sources, &workflow_bounds),
            };
            // Plain structs of strings and numbers: serializing cannot fail.
            writeln!(console.out, "{}", serde_json::to_string_pretty(&report).unwrap_or_default())?;
        }
        Format::Short => console.out.write_all(render::short(&sources, &diagnostics).as_bytes())?,
        Format::Human => report_human(console, &sources, &diagnostics, exit, deny_warnings)?,
    }
    if args.bounds && args.format != Format::Json {
        console.out.write_all(bounds::table(&workflow_bounds).as_bytes())?;
    }
    Ok(exit)
}

/// `komo check --format json`: the diagnostics report (engine.md §3), then `bounds`.
#[derive(Serialize)]
struct JsonCheck<'a> {
    #[serde(flatten)]
    report: render::JsonReport<'a>,
    bounds: Vec<bounds::JsonBounds>,
}

fn report_human(
    console: &mut Console<'_>,
    sources: &SourceMap,
    diagnostics: &[Diagnostic],
    exit: Exit,
    deny_warnings: bool,
) -> io::Result<()> {
    if !diagnostics.is_empty() {
        let text = render::human(sources, diagnostics, console.color);
        writeln!(console.err, "{text}")?;
    }
    let line = summary(sources.len(), diagnostics, deny_warnings);
    if exit == Exit::Failure {
        writeln!(console.err, "{} {line}", console.red("error:"))
    } else {
        writeln!(console.err, "{}", console.bold(&line))
    }
}

/// `checked 3 files: no problems`, `checked 3 files: 2 errors, 1 warning`, …
fn summary(files: usize, diagnostics: &[Diagnostic], deny_warnings: bool) -> String {
    if files == 0 {
        return "no .komo files to check".to_owned();
    }
    let (errors, warnings) = tally(diagnostics);
    let found = match (errors, warnings) {
        (0, 0) => "no problems".to_owned(),
        (0, _) => counted(warnings, "warning"),
        (_, 0) => counted(errors, "error"),
        _ => format!("{}, {}", counted(errors, "error"), counted(warnings, "warning")),
    };
    let denied = if deny_warnings && warnings > 0 { " (warnings denied)" } else { "" };
    format!("checked {}: {found}{denied}", counted(files, "file"))
}

fn counted(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Code;
    use crate::source::{FileId, Span};

    fn diags(errors: usize, warnings: usize) -> Vec<Diagnostic> {
        let error = Diagnostic::new(Code::Syntax, FileId(0), Span::point(0), "e");
        let warning = Diagnostic::new(Code::UnusedRoute, FileId(0), Span::point(0), "w");
        std::iter::repeat_n(error, errors).chain(std::iter::repeat_n(warning, warnings)).collect()
    }

    #[test]
    fn summaries_read_well() {
        assert_eq!(summary(0, &[], false), "no .komo files to check");
        assert_eq!(summary(1, &[], false), "checked 1 file: no problems");
        assert_eq!(summary(6, &diags(0, 1), false), "checked 6 files: 1 warning");
        assert_eq!(summary(2, &diags(2, 0), false), "checked 2 files: 2 errors");
        assert_eq!(summary(2, &diags(1, 3), false), "checked 2 files: 1 error, 3 warnings");
        assert_eq!(summary(2, &diags(0, 2), true), "checked 2 files: 2 warnings (warnings denied)");
    }
}
