//! The engine's clock: every "what time is it" of the engine goes through it.
//!
//! In: nothing (the system clock) or the time a test sets and advances. Out: the
//! current time, for ingest (received and started times), the scheduler (what is due,
//! the times it commits), a run's host (`Host::now`, so `wait` and retry times), caused
//! events' `occurred_at`, sessions' expiry and the dashboard's "now"; and, for the
//! scheduler, a signal that a manual clock moved, so a run that became due is picked up
//! at once.
//!
//! Production runs on [`Clock::System`]. [`Clock::Manual`] is for tests and for
//! embedding the engine where time is simulated: it stands still until
//! [`ManualClock::advance`] or [`ManualClock::set`] moves it, never backwards. Tokio's
//! own timers (the scheduler's pause between passes, HTTP timeouts) and elapsed-time
//! measurements (metrics, request logs) stay on tokio's clock.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::watch;

/// Where the engine reads the time.
#[derive(Clone, Debug, Default)]
pub enum Clock {
    /// The system's wall clock.
    #[default]
    System,
    /// A clock that moves only when told to (tests, embedding).
    Manual(ManualClock),
}

impl Clock {
    /// The current time.
    pub fn now(&self) -> Timestamp {
        match self {
            Clock::System => Timestamp::now(),
            Clock::Manual(manual) => manual.now(),
        }
    }

    /// The current time in milliseconds since the epoch (as the store keeps times).
    pub fn now_ms(&self) -> i64 {
        self.now().as_millisecond()
    }

    /// A subscription to the clock's moves (never fires for the system clock, whose
    /// moves the scheduler's own pause between passes covers).
    pub(crate) fn moves(&self) -> ClockMoves {
        match self {
            Clock::System => ClockMoves(None),
            Clock::Manual(manual) => ClockMoves(Some(manual.now.subscribe())),
        }
    }
}

impl From<ManualClock> for Clock {
    fn from(manual: ManualClock) -> Clock {
        Clock::Manual(manual)
    }
}

/// A clock that stands still until moved; clones share the same time.
#[derive(Clone, Debug)]
pub struct ManualClock {
    now: Arc<watch::Sender<Timestamp>>,
}

impl ManualClock {
    /// A clock that reads `start`.
    pub fn starting_at(start: Timestamp) -> ManualClock {
        ManualClock { now: Arc::new(watch::Sender::new(start)) }
    }

    /// The time it reads.
    pub fn now(&self) -> Timestamp {
        *self.now.borrow()
    }

    /// Moves the clock forward by `by` (saturating at the largest time).
    pub fn advance(&self, by: Duration) {
        self.now.send_modify(|now| *now = now.saturating_add(by).unwrap_or(Timestamp::MAX));
    }

    /// Moves the clock forward to `to`; a time before the one it reads is ignored (the
    /// engine's times never go back).
    pub fn set(&self, to: Timestamp) {
        self.now.send_if_modified(|now| {
            let later = to > *now;
            if later {
                *now = to;
            }
            later
        });
    }
}

/// The moves of a clock, as the scheduler waits for them.
#[derive(Debug)]
pub(crate) struct ClockMoves(Option<watch::Receiver<Timestamp>>);

impl ClockMoves {
    /// Resolves when the clock has moved since this was last resolved (or made);
    /// never, for the system clock.
    pub async fn moved(&mut self) {
        match &mut self.0 {
            Some(moves) => {
                if moves.changed().await.is_err() {
                    // The clock is gone with its engine: nothing will move it again.
                    std::future::pending::<()>().await;
                }
            }
            None => std::future::pending::<()>().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn a_manual_clock_moves_only_forward_and_only_when_told() {
        let manual = ManualClock::starting_at(at("2026-11-29T09:00:00Z"));
        let clock = Clock::from(manual.clone());
        assert_eq!(clock.now(), at("2026-11-29T09:00:00Z"));
        manual.advance(Duration::from_millis(1500));
        assert_eq!(clock.now(), at("2026-11-29T09:00:01.5Z"));
        manual.set(at("2026-11-29T08:00:00Z"));
        assert_eq!(clock.now(), at("2026-11-29T09:00:01.5Z"), "never back");
        manual.set(at("2026-11-30T00:00:00Z"));
        assert_eq!(clock.now_ms(), at("2026-11-30T00:00:00Z").as_millisecond());
    }

    #[tokio::test]
    async fn moving_a_manual_clock_is_heard_by_its_subscribers_even_when_not_waiting() {
        let manual = ManualClock::starting_at(at("2026-11-29T09:00:00Z"));
        let mut moves = Clock::from(manual.clone()).moves();
        let pending = |moves: &ClockMoves| !moves.0.as_ref().unwrap().has_changed().unwrap();
        assert!(pending(&moves), "nothing moved yet");
        // Moved before anyone waits: the next wait returns at once.
        manual.advance(Duration::from_secs(1));
        assert!(!pending(&moves));
        moves.moved().await;
        assert!(pending(&moves), "heard once");
        manual.set(at("2026-11-29T08:00:00Z"));
        assert!(pending(&moves), "a set that does not move the clock is not a move");
        assert!(Clock::System.moves().0.is_none(), "the system clock never signals");
    }
}
