//! The one project loader: everything komo reads of a user's project is read here.
//!
//! In: a path (a `.komo` file or a directory) or a project directory, and the process's
//! environment. Out: plain values for the rest of the program: the [`ProjectCatalog`]
//! the checker checks against, the engine's [`Project`](crate::engine::Project)
//! (workspace id, secret values, workflows, connectors with their templates and secrets
//! resolved), and for the language server the project a document belongs to
//! ([`DiskProjects`]). `komo.toml` is read once into one typed [`ProjectConfig`];
//! a problem is a [`ProjectError`] naming the file at fault.
//!
//! - `config.rs`: the schema of `komo.toml`;
//! - `error.rs`: [`ProjectError`];
//! - `engine.rs`: the engine's project (workflows, environment, connectors), [`open_engine`];
//! - `editor.rs`: [`DiskProjects`], what `komo lsp` reads of projects.

mod config;
mod editor;
mod engine;
mod error;

use std::collections::BTreeMap;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::check::ProjectCatalog;
use crate::check::project_catalog::CatalogConfig;

pub use config::ProjectConfig;
pub use editor::DiskProjects;
pub use engine::{
    OpenEngineError, default_node, default_store, open_engine, open_engine_as, open_engine_with_clock,
};
pub use error::ProjectError;

/// The file that makes a directory a project.
pub const CONFIG_FILE: &str = "komo.toml";

/// A project as read from disk: `komo.toml` (with the catalog file it may name in
/// place of its `[catalog]`) and the texts of `templates/*.html|txt`.
#[derive(Debug)]
pub struct LoadedProject {
    root: PathBuf,
    config: ProjectConfig,
    /// File name (`welcome.html`) → text.
    templates: BTreeMap<String, String>,
}

impl LoadedProject {
    /// Reads the project at `root`: `komo.toml`, the catalog file its `[catalog] file`
    /// names (whose top-level keys are the catalog's), and `templates/` (none when the
    /// folder is missing).
    pub fn load(root: &Path) -> Result<LoadedProject, ProjectError> {
        let path = root.join(CONFIG_FILE);
        let text = fs::read_to_string(&path).map_err(|e| ProjectError::read(&path, e))?;
        let mut config: ProjectConfig = toml::from_str(&text).map_err(|e| ProjectError::syntax(&path, e))?;
        let declared = config.catalog.take().unwrap_or_default();
        config.catalog = Some(read_catalog_file(root, &path, declared)?);
        let templates = read_templates(&root.join("templates"))?;
        Ok(LoadedProject { root: root.to_path_buf(), config, templates })
    }

    /// The project's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The texts of `templates/*.html` and `*.txt`, by file name.
    pub fn templates(&self) -> &BTreeMap<String, String> {
        &self.templates
    }

    fn config_path(&self) -> PathBuf {
        self.root.join(CONFIG_FILE)
    }

    /// The catalog the checker checks against: the declared names, the templates
    /// found and the `[limits]` on one run. A wrong entry is an error naming `komo.toml` and the key.
    pub fn catalog(&self) -> Result<ProjectCatalog, ProjectError> {
        let templates: Vec<(String, String)> =
            self.templates.iter().map(|(file, text)| (file.clone(), text.clone())).collect();
        let declared = self.config.catalog.clone().unwrap_or_default();
        let mut catalog = ProjectCatalog::from_config(&declared, &templates)
            .map_err(|cause| ProjectError::Catalog { path: self.config_path(), cause })?;
        catalog.limits = self.config.limits.as_ref().map(|l| l.bound_limits()).unwrap_or_default();
        Ok(catalog)
    }
}

/// The nearest directory holding `komo.toml`, walking up from `start` (a file's
/// directory, or the directory itself).
pub fn find_root(start: &Path) -> Option<PathBuf> {
    let start = if start.is_dir() { start.to_path_buf() } else { start.parent()?.to_path_buf() };
    let start = if start.as_os_str().is_empty() { PathBuf::from(".") } else { start };
    let absolute = fs::canonicalize(&start).unwrap_or(start);
    absolute.ancestors().find(|dir| dir.join(CONFIG_FILE).is_file()).map(Path::to_path_buf)
}

/// The catalog of the project at `root`.
pub fn load_catalog(root: &Path) -> Result<ProjectCatalog, ProjectError> {
    LoadedProject::load(root)?.catalog()
}

/// The catalog of the project of the first of `paths` (or of the current directory):
/// empty without a `komo.toml`; an error naming the file when it cannot be read or is
/// wrong.
pub fn catalog_for(paths: &[PathBuf]) -> Result<Arc<ProjectCatalog>, ProjectError> {
    let root = paths.first().and_then(|p| find_root(p)).or_else(|| find_root(Path::new(".")));
    match root {
        None => Ok(Arc::default()),
        Some(root) => load_catalog(&root).map(Arc::new),
    }
}

/// `declared` (`komo.toml`'s `[catalog]`), or the TOML file its `file` key names when it
/// names one (and declares nothing else).
fn read_catalog_file(
    root: &Path,
    path: &Path,
    mut declared: CatalogConfig,
) -> Result<CatalogConfig, ProjectError> {
    let Some(file) = declared.file.take() else { return Ok(declared) };
    if declared != CatalogConfig::default() {
        return Err(ProjectError::CatalogFileAndTable { path: path.to_path_buf(), file });
    }
    let other = root.join(&file);
    let text = fs::read_to_string(&other).map_err(|e| ProjectError::read(&other, e))?;
    let catalog: CatalogConfig = toml::from_str(&text).map_err(|e| ProjectError::syntax(&other, e))?;
    if catalog.file.is_some() {
        return Err(ProjectError::NestedCatalogFile { path: other });
    }
    Ok(catalog)
}

/// The texts of every `*.html` and `*.txt` in `dir`, by file name (none if it is
/// missing).
fn read_templates(dir: &Path) -> Result<BTreeMap<String, String>, ProjectError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
            return Ok(BTreeMap::new());
        }
        Err(e) => return Err(ProjectError::read(dir, e)),
    };
    let mut templates = BTreeMap::new();
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let is_template = path.extension().is_some_and(|e| e == "html" || e == "txt");
        let Some(name) = path.file_name().and_then(|n| n.to_str()).filter(|_| is_template) else { continue };
        let text = fs::read_to_string(&path).map_err(|e| ProjectError::read(&path, e))?;
        templates.insert(name.to_string(), text);
    }
    Ok(templates)
}

/// The project's workflow files, `<root>/workflows/*.komo`, sorted, as the engine loads
/// them (none if the folder is missing or unreadable).
pub fn workflow_files(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(root.join("workflows")) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "komo"))
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests;
