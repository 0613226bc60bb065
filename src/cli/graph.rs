//! `komo graph FILE [--workflow NAME] [--format svg|dot|mermaid] [-o OUT]`: a workflow
//! as a flowchart (engine.md §9).
//!
//! In: a `.komo` file (checked and lowered as `komo compile` does). Out: the flowchart
//! of one of its workflows on stdout, or in OUT (written atomically); exit 0. A program
//! with errors gets its diagnostics on stderr, exit 1; a file with several workflows and
//! no `--workflow`, or an unknown name, exit 2.

use std::io;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::compile;
use super::files::{describe, write_atomically};
use super::{Console, Exit};
use crate::diagnostics::did_you_mean;
use crate::graph;

#[derive(Debug, Args)]
#[command(after_long_help = "\
The flowchart is drawn from the compiled workflow, so it always matches the code: the
trigger with its scope and filters, each `if` condition as a decision with yes and no,
actions as boxes (step name, action, the arguments written, retry and timeout) with
their `on success` and `on failure` paths, waits, routes, and where runs end. `let`s are
not drawn; an action without `on failure` fails the run when it fails.

Examples:
  komo graph workflows/welcome.komo > welcome.svg      an SVG picture
  komo graph flows.komo --workflow vip_sync --format mermaid
                                                       for a Markdown file
  komo graph welcome.komo --format dot | dot -Tpng > welcome.png
                                                       through Graphviz

Exit status: 0 drawn, 1 the program has errors, 2 usage or I/O error (no such workflow,
or several and no --workflow).")]
pub(crate) struct GraphArgs {
    /// The .komo file with the workflow
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// The workflow to draw, when the file has several
    #[arg(long, value_name = "NAME")]
    workflow: Option<String>,

    /// The picture's format
    #[arg(long, value_enum, default_value_t = Format::Svg)]
    format: Format,

    /// Write it to this file instead of stdout (replaced whole, never half-written)
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// SVG, laid out by komo
    Svg,
    /// Graphviz DOT
    Dot,
    /// A Mermaid flowchart
    Mermaid,
}

pub(crate) fn run(args: &GraphArgs, console: &mut Console<'_>) -> io::Result<Exit> {
    let loaded = match compile::load(std::slice::from_ref(&args.file), "nothing was drawn", console)? {
        Ok(loaded) => loaded,
        Err(exit) => return Ok(exit),
    };
    let workflows = &loaded.program.workflows;
    let chosen = match &args.workflow {
        Some(name) => workflows.iter().find(|wf| &wf.name == name).ok_or_else(|| {
            let names: Vec<&str> = workflows.iter().map(|wf| wf.name.as_str()).collect();
            let hint =
                did_you_mean(name, &names).map(|n| format!("; did you mean `{n}`?")).unwrap_or_default();
            format!("`{}` has no workflow named `{name}`{hint}", args.file.display())
        }),
        None => match workflows.as_slice() {
            [only] => Ok(only),
            [] => Err(format!("`{}` has no workflow to draw", args.file.display())),
            several => {
                let names: Vec<String> = several.iter().map(|wf| format!("`{}`", wf.name)).collect();
                Err(format!(
                    "`{}` has several workflows ({}); choose one with `--workflow NAME`",
                    args.file.display(),
                    names.join(", ")
                ))
            }
        },
    };
    let wf = match chosen {
        Ok(wf) => wf,
        Err(problem) => {
            writeln!(console.err, "{} {problem}", console.red("error:"))?;
            return Ok(Exit::Usage);
        }
    };
    let source = loaded
        .workflow_file(&wf.name)
        .and_then(|file| loaded.sources.get(file))
        .map_or("", |file| file.text.as_str());
    let drawn = graph::build(wf, source);
    let text = match args.format {
        Format::Svg => graph::svg::render(&drawn, None),
        Format::Dot => graph::dot::render(&drawn),
        Format::Mermaid => graph::mermaid::render(&drawn),
    };
    match &args.output {
        None => write!(console.out, "{text}")?,
        Some(out) => {
            if let Err(error) = write_atomically(out, text.as_bytes()) {
                let message = format!("cannot write `{}`: {}", out.display(), describe(&error));
                writeln!(console.err, "{} {message}", console.red("error:"))?;
                return Ok(Exit::Usage);
            }
        }
    }
    Ok(Exit::Success)
}
