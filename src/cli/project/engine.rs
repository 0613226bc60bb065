//! The engine's project: a [`LoadedProject`] with its workflows read and its secrets
//! taken from the environment, ready for [`Engine::open`].
//!
//! In: the loaded project, the `workflows/*.komo` files, the CA file
//! `[connectors.email] ca_file` names, and environment variables by the names
//! `komo.toml` gives (`[secrets]`, `[webhooks]`, `[connectors.*]`). Out: an
//! [`engine::Project`](Project) of plain values, or the engine itself.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{LoadedProject, ProjectError};
use crate::connectors::config::Env;
use crate::connectors::http::StandIns;
use crate::connectors::template::Templates;
use crate::connectors::{Connectors, ProjectFiles};
use crate::engine::error::EngineError;
use crate::engine::project::{DEFAULT_MAX_CHAIN_DEPTH, split_workflows};
use crate::engine::store::{Node, StoreLocation};
use crate::engine::{Engine, Project};

/// Reads an environment variable of the process.
fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl LoadedProject {
    /// The project as the engine runs it, secrets read from the process's environment.
    pub fn engine_project(&self) -> Result<Project, ProjectError> {
        self.engine_project_with(&process_env)
    }

    /// [`engine_project`](Self::engine_project) with environment variables read
    /// through `env`: the workspace id (required), the `[secrets]` and webhook secret
    /// values (unset ones absent), every workflow of `workflows/*.komo` with its own
    /// text, `[limits]`, the catalog, and the connectors.
    pub fn engine_project_with(&self, env: Env<'_>) -> Result<Project, ProjectError> {
        let path = self.config_path();
        let config = &self.config;
        let workspace =
            config.workspace.as_ref().ok_or_else(|| ProjectError::NoWorkspace { path: path.clone() })?;
        if workspace.id.trim().is_empty() {
            return Err(ProjectError::EmptyWorkspaceId { path });
        }
        let secrets = config
            .secrets
            .iter()
            .filter_map(|(name, r)| env(&r.env).map(|value| (name.clone(), value)))
            .collect();
        let mut workflows = Vec::new();
        for file in super::workflow_files(&self.root) {
            let text = std::fs::read_to_string(&file).map_err(|e| ProjectError::read(&file, e))?;
            workflows.extend(split_workflows(&text));
        }
        let stand_ins = config.http.as_ref().map(|h| StandIns::parse(&h.stand_ins)).transpose();
        let stand_ins = stand_ins.map_err(|cause| ProjectError::StandIn { path, cause })?.unwrap_or_default();
        Ok(Project {
            workspace_id: workspace.id.clone(),
            secrets,
            workflows,
            webhook_secret: config.webhooks.as_ref().and_then(|w| env(&w.secret.env)),
            max_chain_depth: config
                .limits
                .as_ref()
                .and_then(|l| l.max_chain_depth)
                .unwrap_or(DEFAULT_MAX_CHAIN_DEPTH),
            catalog: Arc::new(self.catalog()?),
            connectors: Arc::new(self.connectors(stand_ins, env)),
            node: default_node(),
        })
    }

    /// The `[connectors.*]` with their secrets read through `env`, `[http]`, and for
    /// email the templates and the CA file (an unreadable one leaves the connector
    /// unusable, with the reason).
    fn connectors(&self, stand_ins: StandIns, env: Env<'_>) -> Connectors {
        let config = &self.config.connectors;
        let mut files = ProjectFiles::default();
        if let Some(email) = &config.email {
            files.templates = Templates::new(self.templates.clone());
            files.smtp_ca_pem =
                email.ca_file.as_ref().and_then(|file| std::fs::read(self.root.join(file)).ok());
        }
        let allow_hosts = self.config.http.as_ref().map(|h| h.allow_hosts.clone()).unwrap_or_default();
        Connectors::new(config, &allow_hosts, files, env).with_http_stand_ins(stand_ins)
    }
}

/// Where the engine keeps the project's store unless told otherwise.
pub fn default_store(root: &Path) -> PathBuf {
    root.join(".komo").join("komo.db")
}

/// Why an engine could not be opened: its project, or its store.
#[derive(Debug)]
pub enum OpenEngineError {
    Project(ProjectError),
    Engine(EngineError),
}

impl fmt::Display for OpenEngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenEngineError::Project(error) => error.fmt(f),
            OpenEngineError::Engine(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for OpenEngineError {}

/// This process as a node: `<host>-<pid>` (the host's name from the kernel, if it
/// can be read), with the default lease. `komo serve --node` and `--lease` override it.
pub fn default_node() -> Node {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "komo".to_string());
    Node { name: format!("{host}-{}", std::process::id()), lease_ms: Node::DEFAULT_LEASE_MS }
}

/// The engine of the project at `root`, with its store at `db` (by default
/// [`default_store`]).
pub async fn open_engine(root: &Path, db: Option<&StoreLocation>) -> Result<Engine, OpenEngineError> {
    open_engine_with_clock(root, db, crate::engine::Clock::System).await
}

/// [`open_engine`] as another node than [`default_node`] (`komo serve --node`).
pub async fn open_engine_as(
    root: &Path,
    db: Option<&StoreLocation>,
    node: Node,
) -> Result<Engine, OpenEngineError> {
    let mut project =
        LoadedProject::load(root).and_then(|p| p.engine_project()).map_err(OpenEngineError::Project)?;
    project.node = node;
    let default_db = StoreLocation::Sqlite(default_store(root));
    Engine::open(project, db.unwrap_or(&default_db)).await.map_err(OpenEngineError::Engine)
}

/// [`open_engine`] on another clock (tests, embedding: see [`Engine::open_with_clock`]).
pub async fn open_engine_with_clock(
    root: &Path,
    db: Option<&StoreLocation>,
    clock: crate::engine::Clock,
) -> Result<Engine, OpenEngineError> {
    let project =
        LoadedProject::load(root).and_then(|p| p.engine_project()).map_err(OpenEngineError::Project)?;
    let default_db = StoreLocation::Sqlite(default_store(root));
    Engine::open_with_clock(project, db.unwrap_or(&default_db), clock).await.map_err(OpenEngineError::Engine)
}
