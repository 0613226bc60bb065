//! `komo compile FILE [-o OUT]`, and the loading every running command shares.
//!
//! In: a `.komo` file. Out: its IR (engine.md §3, `ir_version` 1) as pretty JSON on
//! stdout, or in OUT, written atomically (a temporary file beside OUT, then a rename:
//! OUT is never half-written); exit 0. A program with errors gets its diagnostics on
//! stderr, as `komo check` shows them, exit 1, and nothing is written.
//!
//! [`load`] is the front half of `compile`, `run` and `test`: read, parse, check and
//! lower a set of files, reporting problems the same way for all three.

use std::io;
use std::path::PathBuf;

use clap::Args;

use super::files::{self, describe, write_atomically};
use super::{Console, Exit};
use crate::diagnostics::{Diagnostic, render, sort_diagnostics, tally};
use crate::ir::Program;
use crate::source::{FileId, SourceMap, Span};

#[derive(Debug, Args)]
#[command(after_long_help = "\
The IR is the checked program in its stored form: every workflow and test with names
resolved, defaults written out and each expression's type; `ir_version` says its shape.

Examples:
  komo compile workflows/welcome.komo              the IR as JSON on stdout
  komo compile workflows/welcome.komo | jq '.workflows[].name'
  komo compile workflows/welcome.komo -o welcome.ir.json
                                                   write it to a file (atomically)

Exit status: 0 compiled, 1 the program has errors (nothing is written), 2 usage or I/O
error.")]
pub(crate) struct CompileArgs {
    /// The .komo file to compile
    #[arg(value_name = "FILE")]
    file: PathBuf,

    /// Write the IR to this file instead of stdout (replaced whole, never half-written)
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
}

pub(crate) fn run(args: &CompileArgs, console: &mut Console<'_>) -> io::Result<Exit> {
    let loaded = match load(std::slice::from_ref(&args.file), "nothing was written", console)? {
        Ok(loaded) => loaded,
        Err(exit) => return Ok(exit),
    };
    let json = match serde_json::to_string_pretty(&loaded.program) {
        Ok(json) => json,
        Err(error) => {
            writeln!(
                console.err,
                "{} internal error: cannot serialise the IR: {error}",
                console.red("error:")
            )?;
            return Ok(Exit::Internal);
        }
    };
    match &args.output {
        None => writeln!(console.out, "{json}")?,
        Some(out) => {
            if let Err(error) = write_atomically(out, format!("{json}\n").as_bytes()) {
                let message = format!("cannot write `{}`: {}", out.display(), describe(&error));
                writeln!(console.err, "{} {message}", console.red("error:"))?;
                return Ok(Exit::Usage);
            }
        }
    }
    Ok(Exit::Success)
}

/// A checked and lowered set of files.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub sources: SourceMap,
    pub checked: crate::Checked,
    pub program: Program,
}

impl Loaded {
    /// `file:line:col` of `span` in `file`.
    pub fn position(&self, file: FileId, span: Span) -> String {
        match self.sources.get(file) {
            Some(source) => {
                let at = source.line_col(span.start as usize);
                format!("{}:{}:{}", source.name, at.line, at.column)
            }
            None => "?".to_owned(),
        }
    }

    /// The display name of `file`.
    pub fn file_name(&self, file: FileId) -> &str {
        self.sources.get(file).map_or("?", |source| source.name.as_str())
    }

    /// The file that declares workflow `name`.
    pub fn workflow_file(&self, name: &str) -> Option<FileId> {
        self.checked.files.iter().find_map(|(id, file)| {
            let declares = file.items.iter().any(|item| match item {
                crate::syntax::ast::Item::Workflow(wf) => wf.name.node == name,
                crate::syntax::ast::Item::Test(_) => false,
            });
            declares.then_some(*id)
        })
    }

    /// The file of each test of the program, in the order of `program.tests`
    /// (lowering emits tests file by file, in item order).
    pub fn test_files(&self) -> Vec<FileId> {
        let tests = self.checked.files.iter().flat_map(|(id, file)| {
            file.items
                .iter()
                .filter(|item| matches!(item, crate::syntax::ast::Item::Test(_)))
                .map(move |_| *id)
        });
        tests.collect()
    }
}

/// Reads, parses, checks and lowers `paths` (files, or directories walked for `.komo`
/// files) together. Unreadable paths are reported on stderr (`Err(Exit::Usage)`);
/// diagnostics are rendered as `komo check` renders them, warnings included, and
/// errors end it (`Err(Exit::Failure)`).
///
/// `outcome` ends the error line: "nothing was written", "nothing was run".
pub(crate) fn load(
    paths: &[PathBuf],
    outcome: &str,
    console: &mut Console<'_>,
) -> io::Result<Result<Loaded, Exit>> {
    let files::Sources { sources, mut diagnostics, problems, .. } = files::read_sources(paths);
    if !problems.is_empty() {
        for problem in &problems {
            writeln!(console.err, "{} {problem}", console.red("error:"))?;
        }
        return Ok(Err(Exit::Usage));
    }
    let catalog = match super::project::catalog_for(paths) {
        Ok(catalog) => catalog,
        Err(problem) => {
            writeln!(console.err, "{} {problem}", console.red("error:"))?;
            return Ok(Err(Exit::Usage));
        }
    };
    let checked = crate::check_sources_in(&sources, &catalog);
    diagnostics.extend(checked.diagnostics.iter().cloned());
    sort_diagnostics(&mut diagnostics);
    let (errors, _) = tally(&diagnostics);
    if !diagnostics.is_empty() {
        writeln!(console.err, "{}", render::human(&sources, &diagnostics, console.color))?;
    }
    if errors > 0 {
        let noun = if errors == 1 { "1 error" } else { &format!("{errors} errors") };
        writeln!(console.err, "{} the program has {noun}; {outcome}", console.red("error:"))?;
        return Ok(Err(Exit::Failure));
    }
    match crate::ir::lower_program(&checked) {
        Ok(program) => Ok(Ok(Loaded { sources, checked, program })),
        Err(lower_errors) => {
            // The checker accepted the program, so this is a bug in komo.
            let mut internal: Vec<Diagnostic> =
                lower_errors.into_iter().map(crate::ir::LowerError::into_diagnostic).collect();
            sort_diagnostics(&mut internal);
            writeln!(console.err, "{}", render::human(&sources, &internal, console.color))?;
            Ok(Err(Exit::Internal))
        }
    }
}
