//! What `komo lsp` reads of the projects of the documents it is given: the language
//! server asks through [`ProjectAccess`], and this answers from the disk.
//!
//! In: a document's path, a project's root. Out: the root (as `komo check` finds it),
//! the project's catalog, and the texts of its `workflows/*.komo` files that are not
//! open (files over the size limit, or unreadable, left out).

use std::path::{Path, PathBuf};

use super::{find_root, load_catalog, workflow_files};
use crate::check::ProjectCatalog;
use crate::lsp::project::{ProjectAccess, ProjectProblem};

/// Files of the project larger than the source limit are not read for the loop check.
const MAX_CLOSED_BYTES: u64 = crate::cli::files::MAX_SOURCE_BYTES as u64;

/// The projects on disk.
#[derive(Clone, Copy, Debug, Default)]
pub struct DiskProjects;

impl ProjectAccess for DiskProjects {
    fn root_of(&self, document: &Path) -> Option<PathBuf> {
        find_root(document)
    }

    fn catalog(&self, root: &Path) -> Result<ProjectCatalog, ProjectProblem> {
        Ok(load_catalog(root)?)
    }

    fn closed_workflows(&self, root: &Path, open: &[PathBuf]) -> Vec<(PathBuf, String)> {
        let open: Vec<PathBuf> = open.iter().map(|path| canonical(path)).collect();
        let mut closed = Vec::new();
        for path in workflow_files(root) {
            let small = std::fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() <= MAX_CLOSED_BYTES);
            if !small || open.contains(&canonical(&path)) {
                continue;
            }
            if let Ok(text) = std::fs::read_to_string(&path) {
                closed.push((path, text));
            }
        }
        closed
    }
}

/// A path with links resolved, for comparing an open document with a file on disk.
fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_workflows_leave_out_the_open_ones_and_answer_absolute_paths() {
        let dir = std::env::temp_dir().join(format!("komo-editor-projects-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("workflows/sub.komo")).unwrap();
        std::fs::write(dir.join("komo.toml"), "[catalog]\nlists = [\"VIP\"]\n").unwrap();
        std::fs::write(dir.join("workflows/a.komo"), "// a").unwrap();
        std::fs::write(dir.join("workflows/b.komo"), "// b").unwrap();
        let projects = DiskProjects;
        let root = projects.root_of(&dir.join("workflows/a.komo")).unwrap();
        assert_eq!(root, canonical(&dir));
        assert!(projects.catalog(&root).unwrap().lists.is_some_and(|l| l.contains("VIP")));
        let closed = projects.closed_workflows(&root, &[dir.join("workflows/a.komo")]);
        let names: Vec<_> =
            closed.iter().map(|(p, t)| (p.is_absolute(), p.file_name(), t.as_str())).collect();
        assert_eq!(names, [(true, Some("b.komo".as_ref()), "// b")]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
