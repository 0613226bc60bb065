//! Dashboard sessions: a workspace API key, posted once to sign in, becomes a random
//! session id (the cookie) and a CSRF token, both kept server-side in the store.
//!
//! In: a key, or a session id from a cookie. Out: the [`Session`] (its workspace and
//! CSRF token) while it has not expired. Only the SHA-256 of a session id is stored, as
//! for keys: a copy of the store holds no live session.

use rusqlite::{OptionalExtension, params};

use super::error::EngineError;
use super::store::now_ms;
use super::{Engine, random_hex, sha256_hex};

/// A signed-in dashboard session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub workspace: String,
    /// The token every form of the session posts back.
    pub csrf: String,
    /// Milliseconds since the epoch.
    pub expires_at: i64,
}

impl Engine {
    /// Signs in with a workspace API key: `(session id, session)`, or `None` for a key
    /// the store does not know. Expired sessions are removed on the way.
    pub fn sign_in(&self, key: &str, lifetime_ms: i64) -> Result<Option<(String, Session)>, EngineError> {
        let Some(workspace) = self.authenticate(key)? else {
            return Ok(None);
        };
        let id = random_hex(32)?;
        let session = Session { workspace, csrf: random_hex(32)?, expires_at: now_ms() + lifetime_ms };
        self.store.transaction(|tx| {
            tx.execute("DELETE FROM dashboard_sessions WHERE expires_at <= ?1", params![now_ms()])?;
            tx.execute(
                "INSERT INTO dashboard_sessions (id_hash, workspace, csrf, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![sha256_hex(&id), session.workspace, session.csrf, now_ms(), session.expires_at],
            )?;
            Ok(())
        })?;
        Ok(Some((id, session)))
    }

    /// The session of a cookie's id, unless it is unknown or expired.
    pub fn session(&self, id: &str) -> Result<Option<Session>, EngineError> {
        self.store.transaction(|tx| {
            Ok(tx
                .query_row(
                    "SELECT workspace, csrf, expires_at FROM dashboard_sessions
                     WHERE id_hash = ?1 AND expires_at > ?2",
                    params![sha256_hex(id), now_ms()],
                    |r| Ok(Session { workspace: r.get(0)?, csrf: r.get(1)?, expires_at: r.get(2)? }),
                )
                .optional()?)
        })
    }

    /// Ends a session (signing out); an unknown id is not an error.
    pub fn sign_out(&self, id: &str) -> Result<(), EngineError> {
        self.store.transaction(|tx| {
            tx.execute("DELETE FROM dashboard_sessions WHERE id_hash = ?1", params![sha256_hex(id)])?;
            Ok(())
        })
    }
}
