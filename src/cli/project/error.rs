//! Why a project cannot be loaded: the file at fault and the cause, as data; one
//! `Display` says it as the CLI prints it after `error:`.

use std::fmt;
use std::path::PathBuf;

/// A project that cannot be loaded. `path` is the file (or folder) at fault.
#[derive(Debug)]
pub enum ProjectError {
    /// A file or folder of the project cannot be read.
    Read { path: PathBuf, cause: std::io::Error },
    /// `komo.toml` (or the catalog file it names) is not TOML or does not fit its schema.
    Syntax { path: PathBuf, cause: Box<toml::de::Error> },
    /// `komo.toml` has no `[workspace]` table (the engine needs one).
    NoWorkspace { path: PathBuf },
    /// `workspace.id` is empty.
    EmptyWorkspaceId { path: PathBuf },
    /// `[catalog]` names a catalog file and declares things too.
    CatalogFileAndTable { path: PathBuf, file: String },
    /// The catalog file names yet another one.
    NestedCatalogFile { path: PathBuf },
    /// A `[catalog]` entry is wrong (the cause names its key).
    Catalog { path: PathBuf, cause: crate::check::project_catalog::CatalogConfigError },
    /// An `[http] stand_ins` entry is wrong.
    StandIn { path: PathBuf, cause: crate::connectors::http::StandInError },
}

impl ProjectError {
    pub(super) fn read(path: impl Into<PathBuf>, cause: std::io::Error) -> ProjectError {
        ProjectError::Read { path: path.into(), cause }
    }

    pub(super) fn syntax(path: impl Into<PathBuf>, cause: toml::de::Error) -> ProjectError {
        ProjectError::Syntax { path: path.into(), cause: Box::new(cause) }
    }
}

impl fmt::Display for ProjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProjectError::Read { path, cause } => write!(f, "cannot read {}: {cause}", path.display()),
            ProjectError::Syntax { path, cause } => write!(f, "{}: {cause}", path.display()),
            ProjectError::NoWorkspace { path } => write!(f, "{}: missing field `workspace`", path.display()),
            ProjectError::EmptyWorkspaceId { path } => {
                write!(f, "{}: `workspace.id` is empty", path.display())
            }
            ProjectError::CatalogFileAndTable { path, file } => write!(
                f,
                "{}: `[catalog]` names a file (`{file}`) and declares things too; keep one",
                path.display()
            ),
            ProjectError::NestedCatalogFile { path } => {
                write!(f, "{}: a catalog file cannot name another (`file`)", path.display())
            }
            ProjectError::Catalog { path, cause } => write!(f, "{}: {cause}", path.display()),
            ProjectError::StandIn { path, cause } => write!(f, "{}: [http] {cause}", path.display()),
        }
    }
}

impl std::error::Error for ProjectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ProjectError::Read { cause, .. } => Some(cause),
            ProjectError::Syntax { cause, .. } => Some(cause.as_ref()),
            _ => None,
        }
    }
}
