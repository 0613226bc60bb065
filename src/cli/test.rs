//! `komo test [PATHS…]`.
//!
//! In: paths (files, or directories walked for `*.komo`), checked together as
//! `komo check` checks them. Out: every `test` item run in the sandbox, one progress
//! line each on stderr as it finishes (`test "name" (file) ... ok`); then, on stdout,
//! each failure (the failed assertions with their positions, expected and found, and
//! the run's timeline or why no run started) and the summary `N passed, N failed`
//! alone on the last line; exit 0 when every test passed, 1 when one failed or the
//! program has errors, 2 when a path cannot be read.

use std::io;
use std::path::PathBuf;

use clap::Args;

use super::compile::{self, Loaded};
use super::{Console, Exit, timeline};
use crate::ir::TestCase;
use crate::runtime::testing::{TestOutcome, run_test};
use crate::source::FileId;

#[derive(Debug, Args)]
#[command(after_long_help = "\
Each `test` block runs its workflow once on its sample event, in the sandbox: a virtual
clock (waits and retries take no time), an in-memory store for contacts, lists, loyalty
and entries, and external actions recorded instead of sent, unless mocked.

Examples:
  komo test                          every test under the current directory
  komo test workflows/welcome.komo   the tests of one file
  komo test workflows/ 2>/dev/null   only the failures and the summary

Output: a progress line per test on stderr; the failures and the last line
`N passed, N failed` on stdout.

Exit status: 0 every test passed (or there were none), 1 a test failed or the program
has errors, 2 usage or I/O error.")]
pub(crate) struct TestArgs {
    /// Files and directories to test; directories are searched recursively for .komo
    /// files (skipping hidden directories, target/ and node_modules/)
    #[arg(value_name = "PATHS", default_value = ".")]
    paths: Vec<PathBuf>,
}

pub(crate) fn run(args: &TestArgs, console: &mut Console<'_>) -> io::Result<Exit> {
    let loaded = match compile::load(&args.paths, "no test was run", console)? {
        Ok(loaded) => loaded,
        Err(exit) => return Ok(exit),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(error) => {
            writeln!(console.err, "{} cannot start the runtime: {error}", console.red("error:"))?;
            return Ok(Exit::Usage);
        }
    };
    let files = loaded.test_files();
    let count = loaded.program.tests.len();
    if count > 0 {
        writeln!(console.err, "running {count} test{}", if count == 1 { "" } else { "s" })?;
    }
    let mut failed = Vec::new();
    let mut passed = 0usize;
    for (index, case) in loaded.program.tests.iter().enumerate() {
        let file = files.get(index).copied();
        let outcome = runtime.block_on(run_test(&loaded.program, case));
        let name = file.map_or("?", |file| loaded.file_name(file));
        let verdict = if outcome.passed() { "ok".to_owned() } else { console.red("FAILED") };
        writeln!(console.err, "test {:?} ({name}) ... {verdict}", case.name)?;
        if outcome.passed() {
            passed += 1;
        } else {
            failed.push(Failed { case, file, outcome });
        }
    }
    for failure in &failed {
        report(&loaded, failure, console)?;
    }
    if !failed.is_empty() {
        writeln!(console.out)?;
    }
    writeln!(console.out, "{passed} passed, {} failed", failed.len())?;
    Ok(if failed.is_empty() { Exit::Success } else { Exit::Failure })
}

/// A test that failed, and where it is.
struct Failed<'p> {
    case: &'p TestCase,
    file: Option<FileId>,
    outcome: TestOutcome,
}

/// One failure on stdout: the test, each failed assertion, and what the run did.
fn report(loaded: &Loaded, failed: &Failed<'_>, console: &mut Console<'_>) -> io::Result<()> {
    let Failed { case, file, outcome } = failed;
    let at = |span| file.map_or_else(|| "?".to_owned(), |file| loaded.position(file, span));
    writeln!(console.out)?;
    writeln!(console.out, "--- test {:?} ({}) FAILED", case.name, at(case.span))?;
    writeln!(console.out, "  workflow: {}", case.workflow)?;
    for assertion in &outcome.failures {
        writeln!(console.out, "  {}: {}", at(assertion.span), assertion.message)?;
        if let Some(expected) = &assertion.expected {
            writeln!(console.out, "      expected: {expected}")?;
        }
        if let Some(found) = &assertion.actual {
            writeln!(console.out, "      found:    {found}")?;
        }
    }
    match (&outcome.record, &outcome.no_run) {
        (Some(record), _) => {
            writeln!(console.out, "  the run:")?;
            let error_at = record.error.as_ref().and_then(|error| {
                let file = loaded.workflow_file(&record.workflow)?;
                Some(loaded.position(file, error.span))
            });
            console.out.write_all(timeline::render(record, error_at.as_deref(), "    ").as_bytes())?;
        }
        (None, Some(reason)) => writeln!(console.out, "  no run: {reason}")?,
        (None, None) => writeln!(console.out, "  no run")?,
    }
    Ok(())
}
