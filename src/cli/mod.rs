//! The `komo` command line: the only place that reads argv, the environment and files.
//!
//! In: the process's arguments, environment, files and terminal. Out: text on stdout
//! (data: JSON, short diagnostics, explanations, IR, run timelines and records, test
//! reports) and stderr (human diagnostics, progress, summaries, errors), and an exit
//! code:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success (warnings allowed unless `--deny warnings`) |
//! | 1 | the input has errors |
//! | 2 | usage or I/O error |
//! | 101 | internal error (a bug in komo) |
//!
//! Each subcommand lives in its own file and writes through a [`Console`], so a closed
//! pipe (`komo check --format short | head`) ends output quietly instead of failing.
//! Every command reads its project through [`project`], the one loader of `komo.toml`,
//! `templates/`, `workflows/*.komo` and the environment.

mod check;
mod client;
mod compile;
mod deploy;
mod explain;
mod files;
mod fmt;
mod follow;
mod graph;
mod keys;
mod lsp;
mod migrate;
mod output;
pub mod project;
mod replay;
mod run;
mod runs;
mod serve;
mod store;
mod test;
mod timeline;
mod workflows;

use std::io::{IsTerminal, Write};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use output::{Console, PipeSafe};

/// How a command ended; converts to the process exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: done, nothing wrong (warnings allowed unless denied).
    Success,
    /// 1: the input has errors (diagnostics, denied warnings).
    Failure,
    /// 2: usage or I/O error.
    Usage,
    /// 101: a bug in komo.
    Internal,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::Usage => 2,
            Exit::Internal => 101,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

const EXAMPLES: &str = "\
Examples:
  komo check                         check every .komo file under the current directory
  komo check workflows/welcome.komo  check one file
  komo check --format short          one `file:line:col: error[CODE]: message` line each
  komo check --format json           machine-readable diagnostics on stdout
  komo check --deny warnings         fail on warnings too (for CI)
  komo explain K0301                 what a diagnostic code means, and how to fix it
  komo test                          run every `test` block under the current directory
  komo run welcome.komo --event e.json
                                     one sandboxed run on a sample event, as a timeline
  komo compile welcome.komo          the IR as JSON
  komo graph welcome.komo > w.svg    the workflow as a flowchart (svg, dot or mermaid)
  komo fmt                           format every .komo file under the current directory
  komo keys create                   an API key for the project's workspace
  komo serve                         the engine: HTTP API and durable runs
  komo deploy --activate             check the project's workflows, save and activate them
  komo workflows list                a running engine's workflows, states and metrics
  komo migrate welcome --to v2       which waiting runs can move to version 2 (--apply moves them)
  komo replay welcome --against workflows/welcome.komo
                                     what the edited workflow would change on recorded runs
  komo runs list --status failed     a running engine's runs, newest first
  komo runs show RUN                 a run's timeline, as `komo run` prints it
  komo runs follow RUN               the timeline, redrawn until the run ends

Exit status: 0 no errors, 1 the input has errors, 2 usage or I/O error, 101 internal error.
Colour follows the terminal; set NO_COLOR to turn it off.";

/// komo: a typed workflow language for marketing automation.
#[derive(Debug, Parser)]
#[command(
    name = "komo",
    version,
    about = "Check, test, run, compile and serve komo workflows",
    long_about = "komo is a typed workflow language for marketing automation. \
                  This tool checks .komo files and explains the diagnostics it reports, \
                  runs their tests and sample events in a sandbox, compiles them to IR, \
                  and runs them in the engine (`komo serve`).",
    after_long_help = EXAMPLES,
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse and check .komo files, and report every problem found
    Check(check::CheckArgs),
    /// Explain a diagnostic code, with a wrong and a fixed example
    Explain(explain::ExplainArgs),
    /// Run the `test` blocks, in a sandbox with a virtual clock
    Test(test::TestArgs),
    /// Run a workflow once on a sample event, in the sandbox, and show the run
    Run(run::RunArgs),
    /// Check a file and print its IR as JSON
    Compile(compile::CompileArgs),
    Graph(graph::GraphArgs),
    /// Run the engine: the HTTP API, workflow lifecycle and durable runs
    Serve(serve::ServeArgs),
    /// Manage the workspace's API keys
    Keys(keys::KeysArgs),
    /// List a running engine's workflows and change their state
    Workflows(workflows::WorkflowsArgs),
    /// Move a workflow's waiting runs to another version (the plan; --apply moves them)
    Migrate(migrate::MigrateArgs),
    /// List a running engine's runs; show, follow, replay or cancel one
    Runs(runs::RunsArgs),
    /// Move a whole store between SQLite and Postgres
    Store(store::StoreCommandArgs),
    /// Check the project's workflows and save them to a running engine
    Deploy(deploy::DeployArgs),
    /// Re-run a workflow's recorded runs on a new version, in the sandbox, and show what changes
    Replay(replay::ReplayArgs),
    /// Run the language server on stdin/stdout, for editors
    Lsp(lsp::LspArgs),
    /// Format .komo files in the canonical layout (or list those that are not, with --check)
    Fmt(fmt::FmtArgs),
}

/// The whole program: parses argv, runs the subcommand, returns the exit code.
///
/// A panic anywhere below is a bug: the hook prints "internal error, please report"
/// with the panic's message and location, and the exit code is 101.
pub fn main() -> ExitCode {
    install_panic_hook();
    guarded(run).into()
}

fn run() -> Exit {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version are printed on stdout and end with 0; usage errors on
            // stderr with 2. A closed pipe while printing help is not an error.
            let _ = error.print();
            return if error.exit_code() == 0 { Exit::Success } else { Exit::Usage };
        }
    };
    if let Command::Lsp(args) = &cli.command {
        // The server owns stdin and stdout: they must not be locked by a console.
        return lsp::run(args);
    }
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let color = use_color(stderr.is_terminal(), std::env::var_os("NO_COLOR"));
    let mut out = std::io::BufWriter::new(PipeSafe::new(stdout.lock()));
    // Unlocked: `komo serve` logs to stderr from other threads while this one waits.
    let mut err = PipeSafe::new(stderr);
    let mut console = Console { out: &mut out, err: &mut err, color };
    let result = match cli.command {
        Command::Check(args) => check::run(&args, &mut console),
        Command::Explain(args) => explain::run(&args, &mut console),
        Command::Test(args) => test::run(&args, &mut console),
        Command::Run(args) => run::run(&args, &mut console),
        Command::Compile(args) => compile::run(&args, &mut console),
        Command::Graph(args) => graph::run(&args, &mut console),
        Command::Serve(args) => serve::run(&args, &mut console),
        Command::Keys(args) => keys::run(&args, &mut console),
        Command::Workflows(args) => workflows::run(&args, &mut console),
        Command::Migrate(args) => migrate::run(&args, &mut console),
        Command::Runs(args) => runs::run(&args, &mut console),
        Command::Store(args) => store::run(&args, &mut console),
        Command::Deploy(args) => deploy::run(&args, &mut console),
        Command::Replay(args) => replay::run(&args, &mut console),
        Command::Lsp(args) => Ok(lsp::run(&args)),
        Command::Fmt(args) => fmt::run(&args, &mut console),
    };
    let result = result.and_then(|exit| console.out.flush().map(|()| exit));
    match result {
        Ok(exit) => exit,
        Err(error) => {
            let _ = writeln!(console.err, "error: cannot write the output: {error}");
            Exit::Usage
        }
    }
}

/// Runs `command`, turning a panic into [`Exit::Internal`].
fn guarded(command: impl FnOnce() -> Exit) -> Exit {
    catch_unwind(AssertUnwindSafe(command)).unwrap_or(Exit::Internal)
}

fn install_panic_hook() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(
            err,
            "error: internal error in komo {}, please report it with the input that caused it\n{info}",
            env!("CARGO_PKG_VERSION"),
        );
        if std::env::var_os("RUST_BACKTRACE").is_some() {
            default_hook(info);
        }
    }));
}

/// Colour on stderr: only on a terminal, and never when `NO_COLOR` is set to a
/// non-empty value (<https://no-color.org>).
fn use_color(stderr_is_terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|value| value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn exit_codes_are_the_documented_ones() {
        let codes: Vec<u8> =
            [Exit::Success, Exit::Failure, Exit::Usage, Exit::Internal].map(Exit::code).to_vec();
        assert_eq!(codes, [0, 1, 2, 101]);
    }

    #[test]
    fn a_panic_becomes_an_internal_error() {
        assert_eq!(guarded(|| Exit::Failure), Exit::Failure);
        let panicking = || -> Exit { std::panic::panic_any("a bug") };
        assert_eq!(guarded(panicking), Exit::Internal);
    }

    #[test]
    fn colour_follows_the_terminal_and_no_color() {
        assert!(use_color(true, None));
        assert!(!use_color(false, None));
        assert!(!use_color(true, Some("1".into())));
        assert!(use_color(true, Some("".into())));
    }
}
