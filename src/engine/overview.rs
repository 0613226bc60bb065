//! Read-only queries the dashboard needs beyond the API's: run counts in a time
//! window, the versions of a workflow with their dates, the names and triggers to
//! filter by.
//!
//! In: a workspace (and a workflow). Out: small rows; every query is one indexed read
//! of the store.

use std::collections::HashMap;

use super::error::EngineError;
use super::{Engine, format_ms};

/// One immutable version of a workflow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionInfo {
    pub version: i64,
    pub trigger: String,
    /// RFC 3339 with milliseconds.
    pub created_at: String,
}

impl Engine {
    /// How many runs each workflow started at or after `since_ms`, by workflow name.
    pub async fn run_counts_since(
        &self,
        ws: &str,
        since_ms: i64,
    ) -> Result<HashMap<String, u64>, EngineError> {
        let counts = self.store.run_counts_since(ws, since_ms).await?;
        Ok(counts.into_iter().map(|(name, n)| (name, u64::try_from(n).unwrap_or(0))).collect())
    }

    /// The versions of a workflow, newest first.
    pub async fn version_list(&self, ws: &str, name: &str) -> Result<Vec<VersionInfo>, EngineError> {
        let rows = self.store.version_history(ws, name).await?;
        Ok(rows
            .into_iter()
            .map(|r| VersionInfo {
                version: r.version,
                trigger: r.trigger,
                created_at: format_ms(r.created_at),
            })
            .collect())
    }

    /// The source of one version, if it exists.
    pub async fn version_source(
        &self,
        ws: &str,
        name: &str,
        version: i64,
    ) -> Result<Option<String>, EngineError> {
        Ok(self.store.version_source(ws, name, version).await?)
    }

    /// The names of the workspace's workflows, sorted (without their metrics).
    pub async fn workflow_names(&self, ws: &str) -> Result<Vec<String>, EngineError> {
        Ok(self.store.workflow_names(ws).await?)
    }

    /// The triggers of the workspace's activated versions, sorted.
    pub async fn known_triggers(&self, ws: &str) -> Result<Vec<String>, EngineError> {
        Ok(self.store.version_triggers(ws).await?)
    }
}
