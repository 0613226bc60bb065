//! The checker: parsed files in, findings and a resolved, typed [`Program`] out.
//!
//! It resolves names and types, follows each path of each workflow (narrowing,
//! definite success of steps, failure paths, routes), and type-checks tests. It reports
//! every finding it can in one pass, and records the type of every expression it
//! checks ([`typed`]), so IR lowering and tools never check again; nothing here does
//! I/O.

pub mod bounds;
mod builtins;
mod catalog_names;
mod env;
mod errors;
mod expr;
mod flow;
pub mod literals;
pub mod loops;
pub mod project_catalog;
mod stmt;
mod test_items;
pub mod typed;
pub mod types;
mod workflow;

use std::collections::HashMap;
use std::sync::Arc;

pub use builtins::FUNCTIONS as BUILTIN_FUNCTIONS;
pub use env::{StepDecl, contact_type_in};
pub use errors::{Because, CheckError};
pub use project_catalog::ProjectCatalog;
pub use stmt::{MAX_RETRY, MAX_TIMEOUT_MS, MAX_WAIT_MS};
pub use test_items::caused_event_scope;
pub use typed::{ExprTypes, ItemId, ProgramTypes};
pub use workflow::{WorkflowInfo, is_snake_case};

use crate::diagnostics::Diagnostic;
use crate::source::{FileId, Span};
use crate::syntax::ast;

/// What the checker learned about the project, for lowering to IR and for tools: the
/// typed program. Lowering reads it as it is; nothing checks the files again.
#[derive(Debug, Default)]
pub struct Program {
    /// Every workflow by name (the first one, when a name is duplicated).
    pub workflows: HashMap<String, WorkflowInfo>,
    /// For each test, by file and the span of its name: the workflow it runs.
    pub tests: Vec<(FileId, Span, Option<String>)>,
    /// The type of every expression of every checked item (workflows and tests).
    pub types: ProgramTypes,
    /// The bounds of each workflow of the files checked (not of `others`), in source
    /// order.
    pub bounds: Vec<bounds::WorkflowBounds>,
}

#[derive(Debug, Default)]
pub struct CheckOutput {
    pub program: Program,
    pub diagnostics: Vec<Diagnostic>,
}

/// Checks every file together: workflow names are unique across files, tests may name
/// a workflow of another file, and workflows must not trigger each other in a loop; each
/// workflow's bounds are computed and held against the project's limits.
pub fn check(files: &[(FileId, ast::File)]) -> CheckOutput {
    check_in(files, &Arc::default())
}

/// [`check`] against a project's catalog.
pub fn check_in(files: &[(FileId, ast::File)], project_catalog: &Arc<ProjectCatalog>) -> CheckOutput {
    check_with_others(files, &[], project_catalog)
}

/// [`check_in`] for `files`, with the trigger loops looked for among the workflows of
/// `files` and `others` together (the project's files an editor has not opened), and
/// reported when they go through a workflow of `files`. Nothing else of `others` is
/// checked; their ids must differ from those of `files`.
pub fn check_with_others(
    files: &[(FileId, ast::File)],
    others: &[(FileId, ast::File)],
    project_catalog: &Arc<ProjectCatalog>,
) -> CheckOutput {
    let mut out = check_files(files, project_catalog);
    let checked = |id: FileId| others.iter().all(|(other, _)| *other != id);
    out.diagnostics.extend(loops::trigger_loops(files.iter().chain(others), &checked));
    out.program.bounds = bounds::bounds(files);
    out.diagnostics.extend(bounds::limit_errors(&out.program.bounds, &project_catalog.limits));
    out
}

/// Everything but the trigger loops.
fn check_files(files: &[(FileId, ast::File)], project_catalog: &Arc<ProjectCatalog>) -> CheckOutput {
    let mut out = CheckOutput::default();
    // Each file's own workflows (duplicates included): a test runs one of its file's.
    let mut per_file: Vec<Vec<WorkflowInfo>> = Vec::new();
    for (file, parsed) in files {
        let mut own = Vec::new();
        for (index, item) in parsed.items.iter().enumerate() {
            let ast::Item::Workflow(wf) = item else { continue };
            let (info, errors, types) = workflow::check_workflow(*file, wf, project_catalog);
            out.program.types.insert(ItemId { file: *file, index }, types);
            out.diagnostics.extend(errors.into_iter().map(|e| e.into_diagnostic(*file)));
            match out.program.workflows.get(&info.name) {
                Some(first) => {
                    let first =
                        Because { file: first.file, span: first.span, message: "first defined here".into() };
                    let dup =
                        CheckError::DuplicateWorkflow { name: info.name.clone(), span: info.span, first };
                    out.diagnostics.push(dup.into_diagnostic(*file));
                }
                None => {
                    out.program.workflows.insert(info.name.clone(), info.clone());
                }
            }
            own.push(info);
        }
        per_file.push(own);
    }
    let mut test_names: HashMap<String, Because> = HashMap::new();
    for ((file, parsed), own) in files.iter().zip(&per_file) {
        let scope = test_items::TestScope { all: &out.program.workflows, in_file: own.iter().collect() };
        let mut errors = Vec::new();
        for (index, item) in parsed.items.iter().enumerate() {
            let ast::Item::Test(test) = item else { continue };
            if let Some(first) = test_names.get(&test.name.node) {
                let first = first.clone();
                errors.push(CheckError::DuplicateTest {
                    name: test.name.node.clone(),
                    span: test.name.span,
                    first,
                });
            } else {
                let first =
                    Because { file: *file, span: test.name.span, message: "first defined here".into() };
                test_names.insert(test.name.node.clone(), first);
            }
            let (runs, types) = test_items::check_test(*file, test, &scope, &mut errors);
            out.program.types.insert(ItemId { file: *file, index }, types);
            out.program.tests.push((*file, test.name.span, runs));
        }
        out.diagnostics.extend(errors.into_iter().map(|e| e.into_diagnostic(*file)));
    }
    out
}
