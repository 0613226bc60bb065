//! Workspaces and their API keys.
//!
//! In: a workspace id, a key's hash. Out: the workspace a key belongs to. Only hashes
//! are stored: a copy of the store holds no usable key.

use rusqlite::{OptionalExtension, params};

use super::{Sqlite, StoreError};

impl Sqlite {
    /// Creates the workspace (at `now`) unless it exists.
    pub fn ensure_workspace(&self, id: &str, now: i64) -> Result<(), StoreError> {
        self.transaction(|tx| {
            tx.execute(
                "INSERT OR IGNORE INTO workspaces (id, created_at) VALUES (?1, ?2)",
                params![id, now],
            )?;
            Ok(())
        })
    }

    /// Stores a key's hash for `workspace`, created at `now`.
    pub fn add_key(&self, workspace: &str, hash: &str, now: i64) -> Result<(), StoreError> {
        self.transaction(|tx| {
            tx.execute(
                "INSERT INTO api_keys (hash, workspace, created_at) VALUES (?1, ?2, ?3)",
                params![hash, workspace, now],
            )?;
            Ok(())
        })
    }

    /// The workspace a key hash belongs to.
    pub fn key_workspace(&self, hash: &str) -> Result<Option<String>, StoreError> {
        let conn = self.lock()?;
        Ok(conn
            .query_row("SELECT workspace FROM api_keys WHERE hash = ?1", params![hash], |r| r.get(0))
            .optional()?)
    }
}
