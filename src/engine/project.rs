//! A user's project as the engine runs it: plain values, already read.
//!
//! In: nothing from disk or the environment: the CLI's project loader
//! (`cli::project`) reads `komo.toml`, `workflows/*.komo`, `templates/` and the
//! environment and hands over a [`Project`]. Out: the workspace id, secret values,
//! each workflow's own source text (doc comment included; tests are left to `komo
//! test`), the limits, the catalog and the connectors; and the small source helpers the
//! engine's listings use ([`split_workflows`], [`header_of`], [`rename_workflow`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::store::Node;

use crate::check::ProjectCatalog;
use crate::connectors::Connectors;
use crate::source::FileId;
use crate::syntax::ast::{self, HeaderClause, Item, Scope};

/// One project, loaded: what the engine needs of it, with every value resolved.
pub struct Project {
    /// `[workspace] id`: every stored workflow, run and key belongs to it.
    pub workspace_id: String,
    /// Secret name → value read from its environment variable (missing ones absent).
    pub secrets: BTreeMap<String, String>,
    /// `(name, source)` of every workflow found, in file order.
    pub workflows: Vec<(String, String)>,
    /// The signing secret of `POST /v1/hooks/{workflow}` (Standard Webhooks, `whsec_…`).
    pub webhook_secret: Option<String>,
    /// `[limits] max_chain_depth`: how deep a chain of caused events may start runs.
    pub max_chain_depth: u32,
    /// The project catalog: activation checks workflows against it.
    pub catalog: Arc<ProjectCatalog>,
    /// The `[connectors.*]`, `[http]` and `templates/` of the project, secrets resolved.
    pub connectors: Arc<Connectors>,
    /// This process as a node of its store (its name, its claims' lease).
    pub node: Node,
}

/// The default of `[limits] max_chain_depth` (`catalog.md`).
pub const DEFAULT_MAX_CHAIN_DEPTH: u32 = 8;

/// Secret values never print: only their names.
impl std::fmt::Debug for Project {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Project")
            .field("workspace_id", &self.workspace_id)
            .field("secrets", &self.secrets.keys().collect::<Vec<_>>())
            .field("workflows", &self.workflows.iter().map(|(name, _)| name).collect::<Vec<_>>())
            .field("webhook_secret", &self.webhook_secret.as_ref().map(|_| "[redacted]"))
            .field("max_chain_depth", &self.max_chain_depth)
            .field("connectors", &self.connectors)
            .field("node", &self.node)
            .finish_non_exhaustive()
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
        let connectors = Connectors::new(&Default::default(), &[], Default::default(), &|_| None);
        let project = Project {
            workspace_id: "acme".into(),
            secrets: BTreeMap::from([("TOKEN".to_string(), "s3cr3t-canary".to_string())]),
            workflows: Vec::new(),
            webhook_secret: Some("whsec_canary".into()),
            max_chain_depth: DEFAULT_MAX_CHAIN_DEPTH,
            catalog: Arc::default(),
            connectors: Arc::new(connectors),
            node: Node { name: "n1".into(), lease_ms: Node::DEFAULT_LEASE_MS },
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
}
