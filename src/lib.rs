//! komo: a typed workflow language for marketing automation.
//!
//! Text flows one way through the crate: [`syntax`] parses `.komo` source into an AST
//! with spans, [`check`] resolves names and types (against the platform's [`catalog`] of
//! triggers and actions) and reports every problem as a [`diagnostics::Diagnostic`], and
//! the renderers in [`diagnostics::render`] present them to people, editors and tools.
//!
//! ```
//! use komo::source::SourceMap;
//!
//! let mut sources = SourceMap::new();
//! sources.add("welcome.komo", r#"
//! workflow welcome {
//!   scope workspace
//!   trigger Contact.Identifed
//!   contact.add_to_list("New Users")
//! }
//! "#);
//! let diagnostics = komo::check_sources(&sources).diagnostics;
//! assert_eq!(diagnostics.len(), 1);
//! assert_eq!(diagnostics[0].code.as_str(), "K0301");
//! assert_eq!(diagnostics[0].help.as_deref(), Some("did you mean `Contact.Identified`?"));
//! ```

// pest_derive without its `std` feature names `alloc` paths (see `syntax::parser`).
extern crate alloc;

pub mod catalog;
pub mod check;
pub mod cli;
pub mod connectors;
pub mod dashboard;
pub mod diagnostics;
pub mod engine;
pub mod fmt;
pub mod graph;
pub mod ir;
pub mod lsp;
pub mod runtime;
pub mod server;
pub mod source;
pub mod syntax;

use diagnostics::Diagnostic;
use source::SourceMap;

/// Every file parsed and the whole project checked.
#[derive(Debug)]
pub struct Checked {
    pub files: Vec<(source::FileId, syntax::ast::File)>,
    pub program: check::Program,
    /// Parser and checker findings, sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
    /// The project catalog the files were checked against (empty without one).
    pub project_catalog: std::sync::Arc<check::ProjectCatalog>,
}

/// Parses every file of `sources` and checks them together (workflow names are
/// unique across files; tests may name a workflow from another file).
pub fn check_sources(sources: &SourceMap) -> Checked {
    check_sources_in(sources, &std::sync::Arc::default())
}

/// [`check_sources`] against a project's catalog (`komo.toml`'s `[catalog]`).
pub fn check_sources_in(
    sources: &SourceMap,
    project_catalog: &std::sync::Arc<check::ProjectCatalog>,
) -> Checked {
    let mut diagnostics = Vec::new();
    let mut files = Vec::new();
    for (id, file) in sources.files() {
        let parsed = syntax::parse(id, &file.text);
        diagnostics.extend(parsed.diagnostics);
        files.push((id, parsed.file));
    }
    let checked = check::check_in(&files, project_catalog);
    diagnostics.extend(checked.diagnostics);
    diagnostics::sort_diagnostics(&mut diagnostics);
    Checked {
        files,
        program: checked.program,
        diagnostics,
        project_catalog: std::sync::Arc::clone(project_catalog),
    }
}
