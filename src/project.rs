//! Finding a user's project and loading its workspace catalog (engine.md §1).
//!
//! In: a path (a `.komo` file or a directory) or a project directory. Out: the directory
//! of the nearest `komo.toml` walking up, and the [`ProjectCatalog`] its `[catalog]` table
//! (or the file that table names) and `templates/` declare, and its `workflows/*.komo`
//! files. Only the language server still reads its project here; the CLI and the
//! engine load through `cli::project`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::check::project_catalog::{CatalogConfig, ProjectCatalog};

/// The nearest directory holding `komo.toml`, walking up from `start` (a file's
/// directory, or the directory itself).
pub fn find_root(start: &Path) -> Option<PathBuf> {
    let start = if start.is_dir() { start.to_path_buf() } else { start.parent()?.to_path_buf() };
    let start = if start.as_os_str().is_empty() { PathBuf::from(".") } else { start };
    let absolute = std::fs::canonicalize(&start).unwrap_or(start);
    absolute.ancestors().find(|dir| dir.join("komo.toml").is_file()).map(Path::to_path_buf)
}

/// The project of the first of `paths` (or of the current directory): its root and
/// catalog. No `komo.toml`: no catalog (`None`). A `komo.toml` that cannot be read or
/// whose catalog is wrong is an error naming the file.
pub fn workspace_for(paths: &[PathBuf]) -> Result<Option<(PathBuf, Arc<ProjectCatalog>)>, String> {
    let root = paths.first().and_then(|p| find_root(p)).or_else(|| find_root(Path::new(".")));
    match root {
        None => Ok(None),
        Some(root) => load_workspace(&root).map(|ws| Some((root, Arc::new(ws)))),
    }
}

#[derive(Debug, Default, Deserialize)]
struct ConfigFile {
    catalog: Option<CatalogConfig>,
}

/// The catalog of the project at `root`: `komo.toml`'s `[catalog]` (or the TOML file
/// its `file` key names, whose top-level keys are the catalog's) and `templates/`.
pub fn load_workspace(root: &Path) -> Result<ProjectCatalog, String> {
    let path = root.join("komo.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let config: ConfigFile = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut catalog = config.catalog.unwrap_or_default();
    if let Some(file) = catalog.file.take() {
        if catalog != CatalogConfig::default() {
            return Err(format!(
                "{}: `[catalog]` names a file (`{file}`) and declares things too; keep one",
                path.display()
            ));
        }
        let other = root.join(&file);
        let text =
            std::fs::read_to_string(&other).map_err(|e| format!("cannot read {}: {e}", other.display()))?;
        catalog = toml::from_str(&text).map_err(|e| format!("{}: {e}", other.display()))?;
        if catalog.file.is_some() {
            return Err(format!("{}: a catalog file cannot name another (`file`)", other.display()));
        }
    }
    let templates = read_templates(&root.join("templates"))?;
    ProjectCatalog::from_config(&catalog, &templates).map_err(|e| format!("{}: {e}", path.display()))
}

/// `(file name, text)` of every `*.html` and `*.txt` in `dir` (none if it is missing).
pub fn read_templates(dir: &Path) -> Result<Vec<(String, String)>, String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let is_template = path.extension().is_some_and(|e| e == "html" || e == "txt");
        let Some(name) = path.file_name().and_then(|n| n.to_str()).filter(|_| is_template) else { continue };
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        out.push((name.to_string(), text));
    }
    out.sort();
    Ok(out)
}

/// The project's deployed workflow files, `<root>/workflows/*.komo`, sorted, as the
/// engine loads them (none if the folder is missing or unreadable).
pub fn workflow_files(root: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(root.join("workflows")) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "komo") && path.is_file())
        .collect();
    files.sort();
    files
}
