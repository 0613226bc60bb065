//! `komo fmt [PATHS…] [--check] [--stdin]`.
//!
//! In: paths (files, or directories walked for `*.komo`), or standard input. Out: the
//! files rewritten in the canonical layout (each through a temporary file renamed over
//! it: a reader never sees half a file; unchanged files are not touched), or with
//! `--check` the names of the files that are not formatted, on stdout, and nothing
//! written; with `--stdin` the formatted text on stdout. A file with syntax errors is
//! left as it is and its errors are reported as `komo check` reports them. Exit 0 (all
//! formatted), 1 (syntax errors, or `--check` found unformatted files) or 2 (a path
//! could not be read or written).

use std::io::{self, Read};
use std::path::PathBuf;

use clap::Args;

use super::files::{self, describe, write_atomically};
use super::{Console, Exit};
use crate::diagnostics::{Diagnostic, render, sort_diagnostics};
use crate::source::{FileId, SourceMap};
use crate::syntax::Limits;

#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  komo fmt                            format every .komo file under the current directory
  komo fmt workflows/welcome.komo     format one file in place
  komo fmt --check                    list the files that are not formatted; exit 1 if any
  komo fmt --stdin < a.komo           format standard input to standard output (for editors)

The layout is described in docs/formatting.md.")]
pub(crate) struct FmtArgs {
    /// Files and directories to format; directories are searched recursively for .komo
    /// files (skipping hidden directories, target/ and node_modules/)
    #[arg(value_name = "PATHS", default_value = ".")]
    paths: Vec<PathBuf>,

    /// Write nothing: list the files that are not formatted and exit 1 if there are any
    #[arg(long)]
    check: bool,

    /// Format standard input and write the result to standard output
    #[arg(long)]
    stdin: bool,
}

/// The name shown for standard input.
const STDIN_NAME: &str = "<stdin>";

pub(crate) fn run(args: &FmtArgs, console: &mut Console<'_>) -> io::Result<Exit> {
    if args.stdin {
        return run_stdin(args.check, console);
    }
    let (found, problems) = files::collect(&args.paths);
    if !problems.is_empty() {
        for problem in &problems {
            writeln!(console.err, "{} {problem}", console.red("error:"))?;
        }
        return Ok(Exit::Usage);
    }

    let mut sources = SourceMap::new();
    let mut diagnostics = Vec::new();
    let mut unformatted = 0;
    let mut io_errors = 0;
    for file in &found {
        let bytes = match files::read_source(&file.path) {
            Ok(bytes) => bytes,
            Err(error) => {
                writeln!(
                    console.err,
                    "{} {}",
                    console.red("error:"),
                    files::cannot_read(&file.path, &error)
                )?;
                io_errors += 1;
                continue;
            }
        };
        let id = FileId(u32::try_from(sources.len()).unwrap_or(u32::MAX));
        let (text, formatted) = format_bytes(id, &bytes);
        sources.add(file.name.as_str(), text);
        let formatted = match formatted {
            Ok(text) => text,
            Err(errors) => {
                diagnostics.extend(errors);
                continue;
            }
        };
        if formatted.as_bytes() == bytes.as_slice() {
            continue;
        }
        unformatted += 1;
        if args.check {
            writeln!(console.out, "{}", file.name)?;
        } else if let Err(error) = write_atomically(&file.path, formatted.as_bytes()) {
            let message = format!("cannot write `{}`: {}", file.path.display(), describe(&error));
            writeln!(console.err, "{} {message}", console.red("error:"))?;
            io_errors += 1;
        }
    }

    sort_diagnostics(&mut diagnostics);
    if !diagnostics.is_empty() {
        writeln!(console.err, "{}", render::human(&sources, &diagnostics, console.color))?;
    }
    let failed = diagnostics.iter().filter(|d| d.is_error()).map(Diagnostic::file).collect::<Vec<_>>();
    let mut failed_files = failed;
    failed_files.dedup();
    let summary = summary(found.len(), unformatted, failed_files.len(), args.check);
    if io_errors > 0 {
        writeln!(console.err, "{} {summary}", console.red("error:"))?;
        return Ok(Exit::Usage);
    }
    if !failed_files.is_empty() || (args.check && unformatted > 0) {
        writeln!(console.err, "{} {summary}", console.red("error:"))?;
        return Ok(Exit::Failure);
    }
    writeln!(console.err, "{}", console.bold(&summary))?;
    Ok(Exit::Success)
}

fn run_stdin(check: bool, console: &mut Console<'_>) -> io::Result<Exit> {
    let mut bytes = Vec::new();
    let limit = files::MAX_SOURCE_BYTES as u64 + 4;
    io::stdin().lock().take(limit).read_to_end(&mut bytes)?;
    let (text, formatted) = format_bytes(FileId(0), &bytes);
    match formatted {
        Ok(formatted) => {
            if check {
                if formatted.as_bytes() == bytes.as_slice() {
                    return Ok(Exit::Success);
                }
                writeln!(console.out, "{STDIN_NAME}")?;
                return Ok(Exit::Failure);
            }
            console.out.write_all(formatted.as_bytes())?;
            Ok(Exit::Success)
        }
        Err(mut errors) => {
            let mut sources = SourceMap::new();
            sources.add(STDIN_NAME, text);
            sort_diagnostics(&mut errors);
            writeln!(console.err, "{}", render::human(&sources, &errors, console.color))?;
            writeln!(
                console.err,
                "{} {STDIN_NAME} not formatted: it has syntax errors",
                console.red("error:")
            )?;
            Ok(Exit::Failure)
        }
    }
}

/// A file's decoded text (what diagnostics point into) and its formatted text, or the
/// diagnostics that stop formatting (invalid UTF-8, syntax errors).
fn format_bytes(id: FileId, bytes: &[u8]) -> (String, Result<String, Vec<Diagnostic>>) {
    let (text, decoded) = crate::syntax::decode_source(id, bytes);
    if decoded.iter().any(Diagnostic::is_error) {
        return (text, Err(decoded));
    }
    let formatted = crate::fmt::format_with(id, &text, Limits::default())
        .and_then(|formatted| {
            crate::fmt::verify(id, &text, &formatted, Limits::default()).map(|()| formatted)
        })
        .map_err(|e| e.diagnostics);
    (text, formatted)
}

/// `formatted 3 files (1 changed)`, `2 files not formatted (--check)`, …
fn summary(files: usize, unformatted: usize, with_errors: usize, check: bool) -> String {
    if files == 0 {
        return "no .komo files to format".to_owned();
    }
    let mut line = if check {
        match unformatted {
            0 => format!("{} already formatted", counted(files - with_errors, "file")),
            n => format!("{} of {} not formatted", counted(n, "file"), files),
        }
    } else {
        format!("formatted {} ({} changed)", counted(files - with_errors, "file"), unformatted)
    };
    if with_errors > 0 {
        line.push_str(&format!("; {} left as is: syntax errors", counted(with_errors, "file")));
    }
    line
}

fn counted(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_read_well() {
        assert_eq!(summary(0, 0, 0, false), "no .komo files to format");
        assert_eq!(summary(3, 1, 0, false), "formatted 3 files (1 changed)");
        assert_eq!(summary(3, 0, 0, true), "3 files already formatted");
        assert_eq!(summary(3, 2, 0, true), "2 files of 3 not formatted");
        assert_eq!(
            summary(3, 0, 1, false),
            "formatted 2 files (0 changed); 1 file left as is: syntax errors"
        );
    }
}
