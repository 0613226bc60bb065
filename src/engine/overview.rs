//! Read-only queries the dashboard needs beyond the API's: run counts in a time
//! window, the versions of a workflow with their dates, the names and triggers to
//! filter by.
//!
//! In: a workspace (and a workflow). Out: small rows; every query is one indexed read.

use std::collections::HashMap;

use rusqlite::{OptionalExtension, params};

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
    pub fn run_counts_since(&self, ws: &str, since_ms: i64) -> Result<HashMap<String, u64>, EngineError> {
        self.store.transaction(|tx| {
            // Per workflow, so each count is a range of the covering index
            // `runs_workflow_newest` (no table rows read).
            let mut stmt = tx.prepare(
                "SELECT w.name, (SELECT COUNT(*) FROM runs r
                                 WHERE r.workspace = w.workspace AND r.workflow = w.name AND r.started_at >= ?2)
                 FROM workflows w WHERE w.workspace = ?1",
            )?;
            let rows = stmt
                .query_map(params![ws, since_ms], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows.into_iter().map(|(name, n)| (name, u64::try_from(n).unwrap_or(0))).collect())
        })
    }

    /// The versions of a workflow, newest first.
    pub fn version_list(&self, ws: &str, name: &str) -> Result<Vec<VersionInfo>, EngineError> {
        self.store.transaction(|tx| {
            let mut stmt = tx.prepare(
                "SELECT version, trigger, created_at FROM versions WHERE workspace = ?1 AND workflow = ?2
                 ORDER BY version DESC",
            )?;
            let rows = stmt
                .query_map(params![ws, name], |r| {
                    Ok(VersionInfo {
                        version: r.get(0)?,
                        trigger: r.get(1)?,
                        created_at: format_ms(r.get(2)?),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    /// The source of one version, if it exists.
    pub fn version_source(&self, ws: &str, name: &str, version: i64) -> Result<Option<String>, EngineError> {
        self.store.transaction(|tx| {
            Ok(tx
                .query_row(
                    "SELECT source FROM versions WHERE workspace = ?1 AND workflow = ?2 AND version = ?3",
                    params![ws, name, version],
                    |r| r.get(0),
                )
                .optional()?)
        })
    }

    /// The names of the workspace's workflows, sorted (without their metrics).
    pub fn workflow_names(&self, ws: &str) -> Result<Vec<String>, EngineError> {
        self.store.transaction(|tx| {
            let mut stmt = tx.prepare("SELECT name FROM workflows WHERE workspace = ?1 ORDER BY name")?;
            let rows = stmt.query_map(params![ws], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
            Ok(rows)
        })
    }

    /// The triggers of the workspace's activated versions, sorted.
    pub fn known_triggers(&self, ws: &str) -> Result<Vec<String>, EngineError> {
        self.store.transaction(|tx| {
            let mut stmt =
                tx.prepare("SELECT DISTINCT trigger FROM versions WHERE workspace = ?1 ORDER BY trigger")?;
            let rows = stmt.query_map(params![ws], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
            Ok(rows)
        })
    }
}
