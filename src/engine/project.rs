//! A user's project on disk: `komo.toml` and `workflows/*.komo`.
//!
//! In: the project directory. Out: the workspace id, configured secrets (by env-var
//! name) and each workflow's own source text (doc comment included; tests are left
//! to `komo test`).

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::error::EngineError;
use crate::source::FileId;
use crate::syntax::ast::{self, HeaderClause, Item, Scope};

#[derive(Clone, Default)]
pub struct Project {
    pub workspace: String,
    /// Secret name → value read from its environment variable (missing ones absent).
    pub secrets: BTreeMap<String, String>,
    /// `(name, source)` of every workflow found, in file order.
    pub workflows: Vec<(String, String)>,
    /// The signing secret of `POST /v1/hooks/{workflow}` (Standard Webhooks, `whsec_…`).
    pub webhook_secret: Option<String>,
    /// Private or loopback hosts `http.request` may reach (`[http] allow_hosts`).
    pub http_allow_hosts: Vec<String>,
    /// Origins whose `http.request`s go to a local stand-in (`[http] stand_ins`).
    pub http_stand_ins: crate::connectors::http::StandIns,
    /// The `[connectors.*]` tables (secrets still by environment-variable name).
    pub connectors: crate::connectors::config::ConnectorsConfig,
    /// `[limits] max_chain_depth`: how deep a chain of caused events may start runs.
    pub max_chain_depth: u32,
}

/// The default of `[limits] max_chain_depth` (`catalog.md`).
pub const DEFAULT_MAX_CHAIN_DEPTH: u32 = 8;

/// Secret values never print: only their names.
impl std::fmt::Debug for Project {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Project")
            .field("workspace", &self.workspace)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .field("workflows", &self.workflows.iter().map(|(name, _)| name).collect::<Vec<_>>())
            .field("webhook_secret", &self.webhook_secret.as_ref().map(|_| "[redacted]"))
            .field("http_allow_hosts", &self.http_allow_hosts)
            .field("connectors", &self.connectors)
            .field("max_chain_depth", &self.max_chain_depth)
            .finish()
    }
}

#[derive(Debug, Deserialize)]
struct Config {
    workspace: WorkspaceConfig,
    #[serde(default)]
    secrets: BTreeMap<String, SecretRef>,
    webhooks: Option<WebhooksConfig>,
    http: Option<HttpSettings>,
    #[serde(default)]
    connectors: crate::connectors::config::ConnectorsConfig,
    limits: Option<LimitsConfig>,
}

/// `[limits]`: the engine reads `max_chain_depth`; the checker reads the bounds.
#[derive(Debug, Deserialize)]
struct LimitsConfig {
    max_chain_depth: Option<u32>,
}

#[derive(Debug, Deserialize)]
struct HttpSettings {
    #[serde(default)]
    allow_hosts: Vec<String>,
    #[serde(default)]
    stand_ins: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct WebhooksConfig {
    secret: SecretRef,
}

#[derive(Debug, Deserialize)]
struct WorkspaceConfig {
    id: String,
}

#[derive(Debug, Deserialize)]
struct SecretRef {
    env: String,
}

impl Project {
    pub fn load(dir: &Path) -> Result<Project, EngineError> {
        let path = dir.join("komo.toml");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| EngineError::Project(format!("cannot read {}: {e}", path.display())))?;
        let config: Config =
            toml::from_str(&text).map_err(|e| EngineError::Project(format!("{}: {e}", path.display())))?;
        if config.workspace.id.trim().is_empty() {
            return Err(EngineError::Project(format!("{}: `workspace.id` is empty", path.display())));
        }
        let secrets = config
            .secrets
            .into_iter()
            .filter_map(|(name, r)| std::env::var(&r.env).ok().map(|v| (name, v)))
            .collect();
        let mut workflows = Vec::new();
        let dir = dir.join("workflows");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .map(|entries| entries.filter_map(Result::ok).map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "komo"));
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| EngineError::Project(format!("cannot read {}: {e}", file.display())))?;
            workflows.extend(split_workflows(&text));
        }
        let webhook_secret = config.webhooks.and_then(|w| std::env::var(&w.secret.env).ok());
        let (http_allow_hosts, stand_ins) =
            config.http.map(|h| (h.allow_hosts, h.stand_ins)).unwrap_or_default();
        let http_stand_ins = crate::connectors::http::StandIns::parse(&stand_ins)
            .map_err(|e| EngineError::Project(format!("{}: [http] {e}", path.display())))?;
        Ok(Project {
            workspace: config.workspace.id,
            secrets,
            workflows,
            webhook_secret,
            http_allow_hosts,
            http_stand_ins,
            connectors: config.connectors,
            max_chain_depth: config.limits.and_then(|l| l.max_chain_depth).unwrap_or(DEFAULT_MAX_CHAIN_DEPTH),
        })
    }
}

impl Project {
    /// The project's connectors: its `[connectors.*]` tables with their secrets read
    /// from the environment, `[http] allow_hosts`, and the email templates of
    /// `<dir>/templates/`.
    pub fn connectors(&self, dir: &Path) -> Result<crate::connectors::Connectors, EngineError> {
        use crate::connectors::{Connectors, ProjectFiles, template::Templates};
        let mut files = ProjectFiles::default();
        if let Some(email) = &self.connectors.email {
            files.templates = Templates::load(&dir.join("templates")).map_err(EngineError::Project)?;
            files.smtp_ca_pem = email.ca_file.as_ref().and_then(|file| std::fs::read(dir.join(file)).ok());
        }
        let env = |name: &str| std::env::var(name).ok();
        Ok(Connectors::new(&self.connectors, &self.http_allow_hosts, files, &env)
            .with_http_stand_ins(self.http_stand_ins.clone()))
    }
}

/// Each workflow of a file with its own text (from its doc comment to its brace).
pub fn split_workflows(text: &str) -> Vec<(String, String)> {
    let parsed = crate::syntax::parse(FileId(0), text);
    parsed
        .file
        .items
        .iter()
        .filter_map(|item| match item {
            Item::Workflow(wf) => {
                let body = text.get(wf.span.range()).unwrap_or("");
                let doc = wf
                    .doc
                    .as_deref()
                    .map(|d| d.lines().map(|l| format!("/// {l}\n")).collect::<String>())
                    .unwrap_or_default();
                Some((wf.name.node.clone(), format!("{doc}{body}\n")))
            }
            Item::Test(_) => None,
        })
        .collect()
}

/// What a workflow's header says (for listings), when its source parses.
#[derive(Debug, Default)]
pub struct Header {
    pub title: Option<String>,
    pub scope: Option<String>,
    pub trigger: Option<String>,
}

pub fn header_of(source: &str) -> Header {
    let parsed = crate::syntax::parse(FileId(0), source);
    let mut header = Header::default();
    let Some(Item::Workflow(wf)) = parsed.file.items.first() else { return header };
    for clause in &wf.header {
        match &clause.node {
            HeaderClause::Title(t) => {
                if let ast::ExprKind::String(lit) = &t.kind {
                    header.title = lit.as_plain();
                }
            }
            HeaderClause::Scope(s) => {
                header.scope = Some(match s {
                    Scope::Workspace => "workspace".to_string(),
                    Scope::Hub(id) => format!("hub \"{}\"", id.node),
                    Scope::Card(id) => format!("card \"{}\"", id.node),
                })
            }
            HeaderClause::Trigger { name, .. } => {
                header.trigger = Some(
                    crate::catalog::trigger(&name.node).map_or(name.node.clone(), |(t, _)| t.name.into()),
                )
            }
            HeaderClause::Form(_) => {}
        }
    }
    header
}

/// The source with the workflow's name changed (for clones).
pub fn rename_workflow(source: &str, old: &str, new: &str) -> String {
    let parsed = crate::syntax::parse(FileId(0), source);
    for item in &parsed.file.items {
        if let Item::Workflow(wf) = item {
            if wf.name.node == old {
                let r = wf.name.span.range();
                if let (Some(before), Some(after)) = (source.get(..r.start), source.get(r.end..)) {
                    return format!("{before}{new}{after}");
                }
            }
        }
    }
    source.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_names_secrets_without_their_values() {
        let project = Project {
            workspace: "acme".into(),
            secrets: BTreeMap::from([("TOKEN".to_string(), "s3cr3t-canary".to_string())]),
            webhook_secret: Some("whsec_canary".into()),
            ..Project::default()
        };
        let shown = format!("{project:?}");
        assert!(shown.contains("TOKEN"), "{shown}");
        assert!(!shown.contains("canary"), "{shown}");
    }

    #[test]
    fn splits_a_file_into_workflows_with_their_docs() {
        let text = "/// Hello.\nworkflow a {\n  scope workspace\n  trigger Contact.Identified\n}\n\ntest \"t\" {\n  workflow a\n}\nworkflow b {\n  scope workspace\n  trigger Prize.Won\n}\n";
        let split = split_workflows(text);
        assert_eq!(split.len(), 2);
        assert_eq!(split[0].0, "a");
        assert!(split[0].1.starts_with("/// Hello.\nworkflow a {"));
        assert_eq!(header_of(&split[1].1).trigger.as_deref(), Some("Prize.Awarded"));
        assert!(rename_workflow(&split[1].1, "b", "b_copy").contains("workflow b_copy {"));
    }

    #[test]
    fn http_stand_ins_are_read_and_a_wrong_one_stops_the_load() {
        let dir = std::env::temp_dir().join(format!("komo-project-stand-ins-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |http: &str| {
            std::fs::write(dir.join("komo.toml"), format!("[workspace]\nid = \"w\"\n[http]\n{http}\n"))
                .unwrap();
        };
        write(r#"stand_ins = { "https://ops.example.com" = "http://127.0.0.1:8788" }"#);
        let project = Project::load(&dir).unwrap();
        assert!(!project.http_stand_ins.is_empty());
        write(r#"stand_ins = { "https://ops.example.com/alerts" = "http://127.0.0.1:8788" }"#);
        let error = Project::load(&dir).unwrap_err().to_string();
        assert!(error.contains("[http] stand-in origin `https://ops.example.com/alerts`"), "{error}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
