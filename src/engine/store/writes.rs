//! The hot writes, as data: what ingest stores for an event, and what the scheduler
//! stores for a run's progress. Each is one transaction on either store, so an event
//! with its contact and runs, or a run's step with its contact and the events it caused,
//! is stored whole or not at all.

use super::RunRow;

/// A contact's blob to write, with the columns it is matched by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactWrite {
    pub id: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub data: String,
}

/// An ingested event to record (deduplicated by id for 24 hours).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEvent {
    pub id: String,
    pub kind: String,
    /// The envelope, as JSON text.
    pub body: String,
}

/// An event the engine raised for its own changes, to be stored with its cause, and the
/// runs it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RaisedEvent {
    pub id: String,
    pub kind: String,
    /// The envelope, as JSON text.
    pub body: String,
    pub depth: i64,
    /// [`crate::runtime::caused::CausedBy`] as JSON.
    pub caused_by: String,
    pub runs: Vec<RunRow>,
}

/// What ingest stores for one event: the event (unless it is not to be recorded), a new
/// contact, the runs it starts and the events its new contact caused. Answered with
/// `None` when the event is a duplicate (nothing is stored), else with how many caused
/// events were stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngestWrite {
    pub workspace: String,
    /// Milliseconds since the epoch.
    pub at: i64,
    pub event: Option<NewEvent>,
    pub new_contact: Option<ContactWrite>,
    pub runs: Vec<RunRow>,
    pub raised: Vec<RaisedEvent>,
}

/// How a run was claimed for advancing: the due time it was listed with and, on a store
/// shared by several nodes, the fencing token of its lease. A commit on a claim that no
/// longer holds (the run was cancelled, advanced by someone else, or its lease was
/// taken over) is refused with [`super::StoreError::Conflict`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Claim {
    pub due_at: Option<i64>,
    pub token: Option<i64>,
}

/// A run's progress after an advance: its new status, state and due time, the contact
/// its internal actions changed, and the events its steps caused (with their runs).
/// Answered with how many events and runs were stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgressWrite {
    pub workspace: String,
    /// Milliseconds since the epoch.
    pub at: i64,
    pub run: String,
    /// The run's contact (on a shared store its lease is part of the claim).
    pub contact_id: Option<String>,
    pub claim: Claim,
    pub status: String,
    pub state: String,
    pub due_at: Option<i64>,
    pub finished_at: Option<i64>,
    pub contact: Option<ContactWrite>,
    pub raised: Vec<RaisedEvent>,
}
