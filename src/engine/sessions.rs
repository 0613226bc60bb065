//! Dashboard sessions: a workspace API key, posted once to sign in, becomes a random
//! session id (the cookie) and a CSRF token, both kept server-side in the store.
//!
//! In: a key, or a session id from a cookie. Out: the [`Session`] (its workspace and
//! CSRF token) while it has not expired. Only the SHA-256 of a session id is stored, as
//! for keys: a copy of the store holds no live session.

use super::error::EngineError;
use super::store::SessionRow;
use super::{Engine, random_hex, sha256_hex};

/// A signed-in dashboard session.
pub type Session = SessionRow;

impl Engine {
    /// Signs in with a workspace API key: `(session id, session)`, or `None` for a key
    /// the store does not know. Expired sessions are removed on the way.
    pub async fn sign_in(
        &self,
        key: &str,
        lifetime_ms: i64,
    ) -> Result<Option<(String, Session)>, EngineError> {
        let Some(workspace) = self.authenticate(key).await? else {
            return Ok(None);
        };
        let id = random_hex(32)?;
        let now = self.clock.now_ms();
        let session = Session { workspace, csrf: random_hex(32)?, expires_at: now + lifetime_ms };
        self.store.start_session(&sha256_hex(&id), &session, now).await?;
        Ok(Some((id, session)))
    }

    /// The session of a cookie's id, unless it is unknown or expired.
    pub async fn session(&self, id: &str) -> Result<Option<Session>, EngineError> {
        Ok(self.store.session(&sha256_hex(id), self.clock.now_ms()).await?)
    }

    /// Ends a session (signing out); an unknown id is not an error.
    pub async fn sign_out(&self, id: &str) -> Result<(), EngineError> {
        Ok(self.store.end_session(&sha256_hex(id)).await?)
    }
}
