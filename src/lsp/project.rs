//! What the server knows of the projects its documents belong to, through whoever
//! starts it.
//!
//! In: a document's path. Out: its project's root, the project's catalog, and the
//! project's `workflows/*.komo` files that are not open (for the trigger-loop check).
//! `komo lsp` gives the server the CLI's reader of projects on disk; tests and
//! benchmarks may give [`NoProjects`]. The server itself reads no file.

use std::fmt::Debug;
use std::path::{Path, PathBuf};

use crate::check::ProjectCatalog;

/// Why a project's catalog cannot be used (the server goes on without it).
pub type ProjectProblem = Box<dyn std::error::Error + Send + Sync>;

/// How the server reaches the projects of the documents it is given.
pub trait ProjectAccess: Debug + Send + Sync {
    /// The directory of the project the document at `path` belongs to (the nearest
    /// `komo.toml` above it), if any.
    fn root_of(&self, document: &Path) -> Option<PathBuf>;

    /// The catalog of the project at `root`.
    fn catalog(&self, root: &Path) -> Result<ProjectCatalog, ProjectProblem>;

    /// `(absolute path, text)` of the project's `workflows/*.komo` files other than
    /// those at the `open` paths, in file order; files that cannot be read (or are
    /// too large to be worth reading) are left out.
    fn closed_workflows(&self, root: &Path, open: &[PathBuf]) -> Vec<(PathBuf, String)>;
}

/// No project: every document is checked on its own, with an empty catalog.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProjects;

impl ProjectAccess for NoProjects {
    fn root_of(&self, _: &Path) -> Option<PathBuf> {
        None
    }

    fn catalog(&self, _: &Path) -> Result<ProjectCatalog, ProjectProblem> {
        Ok(ProjectCatalog::default())
    }

    fn closed_workflows(&self, _: &Path, _: &[PathBuf]) -> Vec<(PathBuf, String)> {
        Vec::new()
    }
}
