//! What can go wrong in the store, as data.
//!
//! In: a failure of SQLite or Postgres, of the file system or of the writer thread, a stale claim,
//! a stored row that cannot be read back. Out: a [`StoreError`] whose variant says
//! which, with the facts; [`std::fmt::Display`] makes the message. The engine turns it
//! into its own error (`From<StoreError> for EngineError`): a stale claim is a conflict,
//! everything else a store failure.

use std::fmt;
use std::sync::Arc;

/// A store failure. Nothing was half-written: the operation's transaction (or the
/// write's savepoint) was rolled back.
#[derive(Clone, Debug)]
pub enum StoreError {
    /// SQLite failed a statement (shared, since a failed group commit answers every
    /// write of its group with it).
    Sqlite(Arc<rusqlite::Error>),
    /// A run's progress was saved on a stale claim: since it was picked up, the run was
    /// cancelled or advanced by someone else.
    Conflict { run: String },
    /// A stored row that cannot be read back: `what` names it, `detail` says why.
    Corrupt { what: String, detail: String },
    /// A value that cannot be written to the store: `what` names it, `detail` says why.
    Unwritable { what: String, detail: String },
    /// The group-commit writer thread is gone.
    WriterStopped,
    /// A thread panicked while it held the store's connection.
    LockPoisoned,
    /// The file system refused `action` (create the store's folder, start a thread).
    Io { action: String, detail: String },
    /// A write answered with another type than its caller expects (a bug).
    AnswerMismatch,
    /// Postgres failed a statement (shared, like [`StoreError::Sqlite`]).
    Postgres(Arc<tokio_postgres::Error>),
    /// The store cannot be reached: `store` names it (without a password), `detail`
    /// says why.
    Unreachable { store: String, detail: String },
}

impl StoreError {
    /// A stored row `what` that cannot be read back, and why.
    pub fn corrupt(what: impl Into<String>, detail: impl fmt::Display) -> StoreError {
        StoreError::Corrupt { what: what.into(), detail: detail.to_string() }
    }

    /// A value `what` that cannot be written, and why.
    pub fn unwritable(what: impl Into<String>, detail: impl fmt::Display) -> StoreError {
        StoreError::Unwritable { what: what.into(), detail: detail.to_string() }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Sqlite(e) => write!(f, "store error: {e}"),
            StoreError::Conflict { run } => {
                write!(f, "run `{run}` changed while it was advanced; its progress is dropped")
            }
            StoreError::Corrupt { what, detail } => write!(f, "{what} cannot be read: {detail}"),
            StoreError::Unwritable { what, detail } => write!(f, "{what} cannot be written: {detail}"),
            StoreError::WriterStopped => f.write_str("the store writer stopped"),
            StoreError::LockPoisoned => f.write_str("the store lock is poisoned"),
            StoreError::Io { action, detail } => write!(f, "cannot {action}: {detail}"),
            StoreError::AnswerMismatch => f.write_str("internal error: a write answered another type"),
            StoreError::Postgres(e) => match e.as_db_error() {
                Some(db) => write!(f, "store error: {}: {}", db.code().code(), db.message()),
                None => write!(f, "store error: {e}"),
            },
            StoreError::Unreachable { store, detail } => {
                write!(f, "cannot reach the store `{store}`: {detail}")
            }
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Sqlite(e) => Some(e.as_ref()),
            StoreError::Postgres(e) => Some(e.as_ref()),
            _ => None,
        }
    }
}

/// Two errors are equal when they are the same failure: the same shared driver error,
/// or the same variant with the same facts.
impl PartialEq for StoreError {
    fn eq(&self, other: &StoreError) -> bool {
        match (self, other) {
            (StoreError::Postgres(a), StoreError::Postgres(b)) => Arc::ptr_eq(a, b),
            (StoreError::Sqlite(a), StoreError::Sqlite(b)) => a == b,
            (StoreError::Postgres(_) | StoreError::Sqlite(_), _)
            | (_, StoreError::Postgres(_) | StoreError::Sqlite(_)) => false,
            _ => {
                std::mem::discriminant(self) == std::mem::discriminant(other)
                    && self.to_string() == other.to_string()
            }
        }
    }
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> StoreError {
        StoreError::Postgres(Arc::new(e))
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Sqlite(Arc::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_what_failed() {
        let conflict = StoreError::Conflict { run: "run_1".into() };
        assert_eq!(
            conflict.to_string(),
            "run `run_1` changed while it was advanced; its progress is dropped"
        );
        let corrupt = StoreError::corrupt("contact `ct_1`", "its stored state is not valid (EOF)");
        assert_eq!(corrupt.to_string(), "contact `ct_1` cannot be read: its stored state is not valid (EOF)");
        let io = StoreError::Io { action: "create /x".into(), detail: "denied".into() };
        assert_eq!(io.to_string(), "cannot create /x: denied");
        let sqlite = StoreError::from(rusqlite::Error::QueryReturnedNoRows);
        assert!(sqlite.to_string().starts_with("store error: "), "{sqlite}");
    }

    #[test]
    fn a_stale_claim_answers_409_and_other_failures_500() {
        use crate::engine::error::EngineError;
        let conflict = EngineError::from(StoreError::Conflict { run: "run_1".into() });
        assert_eq!(conflict.status(), 409);
        assert!(matches!(conflict, EngineError::Conflict(_)), "{conflict:?}");
        for other in [StoreError::WriterStopped, StoreError::corrupt("the stored state of run `r`", "EOF")] {
            let engine = EngineError::from(other.clone());
            assert_eq!((engine.status(), engine.to_string()), (500, other.to_string()));
        }
    }
}
