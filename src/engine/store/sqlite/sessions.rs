//! Dashboard sessions: the SHA-256 of each session id, its workspace, CSRF token and
//! expiry.
//!
//! In: a session id's hash (and its workspace and token, to start one). Out: the
//! [`SessionRow`] of a session that has not expired.

use rusqlite::{OptionalExtension, params};

use super::{SessionRow, Sqlite, StoreError};

impl Sqlite {
    /// Stores a new session under `id_hash`, created at `now`; sessions expired at `now`
    /// are removed in the same transaction.
    pub fn start_session(&self, id_hash: &str, session: &SessionRow, now: i64) -> Result<(), StoreError> {
        self.transaction(|tx| {
            tx.execute("DELETE FROM dashboard_sessions WHERE expires_at <= ?1", params![now])?;
            tx.execute(
                "INSERT INTO dashboard_sessions (id_hash, workspace, csrf, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id_hash, session.workspace, session.csrf, now, session.expires_at],
            )?;
            Ok(())
        })
    }

    /// The session stored under `id_hash`, unless it is unknown or expired at `now`.
    pub fn session(&self, id_hash: &str, now: i64) -> Result<Option<SessionRow>, StoreError> {
        let conn = self.lock()?;
        Ok(conn
            .query_row(
                "SELECT workspace, csrf, expires_at FROM dashboard_sessions
                 WHERE id_hash = ?1 AND expires_at > ?2",
                params![id_hash, now],
                |r| Ok(SessionRow { workspace: r.get(0)?, csrf: r.get(1)?, expires_at: r.get(2)? }),
            )
            .optional()?)
    }

    /// Removes the session stored under `id_hash` (none there is not an error).
    pub fn end_session(&self, id_hash: &str) -> Result<(), StoreError> {
        self.transaction(|tx| {
            tx.execute("DELETE FROM dashboard_sessions WHERE id_hash = ?1", params![id_hash])?;
            Ok(())
        })
    }
}
