//! The hand-off of new runs from ingest to the scheduler, in memory.
//!
//! In: runs that ingest has just committed, each with its contact's blob as ingest read
//! or created it, and the scheduler's release count read before that blob was read.
//! Out: the same runs, taken by the scheduler, which starts each at once without
//! reading it back from the store, unless its contact is busy or was let go since
//! (the blob may then be old): such a run stays due in the store, and the scheduler's
//! next pass reads it. On a store shared with other nodes, runs are claimed through
//! the store instead, and nothing is handed off.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Notify;

use super::host::ContactLoad;
use super::store::DueRun;
use crate::runtime::interp::RunState;

/// The most runs waiting to be taken; past it, new runs are left to the store pass (an
/// engine without a running scheduler must not hold every new run in memory).
const MAX_WAITING: usize = 4096;

/// A run handed off: the run as stored, with the release count it is as fresh as, and
/// its state and contact parsed already (what the row and blob hold as JSON).
#[derive(Debug)]
pub(crate) struct Handed {
    pub due: DueRun,
    pub parsed: Option<Box<Parsed>>,
    pub since: u64,
}

/// A run's state and its contact's, as the JSON of a [`DueRun`] would parse.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub state: RunState,
    pub contact: ContactLoad,
}

/// New runs on their way from ingest to the scheduler.
#[derive(Debug, Default)]
pub(crate) struct HandOff {
    waiting: Mutex<Vec<Handed>>,
    ready: Notify,
    /// The scheduler's count of released runs (see `scheduler::InFlight`).
    released: AtomicU64,
}

impl HandOff {
    /// The release count now: read before reading a contact whose runs are handed off.
    pub fn since(&self) -> u64 {
        self.released.load(Ordering::Acquire)
    }

    /// Called by the scheduler after each release, with its new count.
    pub fn released(&self, count: u64) {
        self.released.store(count, Ordering::Release);
    }

    /// Hands off committed runs; `false` when they were not taken (too many waiting):
    /// they are due in the store, and the caller wakes the store pass instead.
    pub fn give(&self, runs: Vec<Handed>) -> bool {
        let Ok(mut waiting) = self.waiting.lock() else {
            return false;
        };
        if waiting.len() + runs.len() > MAX_WAITING {
            return false;
        }
        waiting.extend(runs);
        drop(waiting);
        self.ready.notify_one();
        true
    }

    /// Every run waiting, oldest first.
    pub fn take(&self) -> Vec<Handed> {
        self.waiting.lock().map(|mut w| std::mem::take(&mut *w)).unwrap_or_default()
    }

    /// Signalled when runs are handed off.
    pub fn ready(&self) -> &Notify {
        &self.ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::store::{Claim, RunRow};

    fn handed(id: &str) -> Handed {
        let run = RunRow::pending(id, None);
        let due = DueRun { run, contact: None, claim: Claim { due_at: Some(0), token: None } };
        Handed { due, parsed: None, since: 0 }
    }

    #[test]
    fn hands_off_in_order_and_refuses_past_the_cap() {
        let handoff = HandOff::default();
        assert!(handoff.give(vec![handed("a"), handed("b")]));
        let taken: Vec<String> = handoff.take().into_iter().map(|h| h.due.run.id).collect();
        assert_eq!(taken, ["a", "b"]);
        assert!(handoff.take().is_empty());
        let many: Vec<Handed> = (0..MAX_WAITING).map(|i| handed(&i.to_string())).collect();
        assert!(handoff.give(many));
        assert!(!handoff.give(vec![handed("over")]), "past the cap, runs are left to the store");
        assert_eq!(handoff.take().len(), MAX_WAITING);
    }
}
