//! Prometheus metrics (`GET /metrics`): events accepted, runs started and finished by
//! status, time from an event to its run's first step, and scheduler lag.
//!
//! In: counts from ingest and the scheduler (lock-free atomics). Out: the Prometheus
//! text exposition format.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// Upper bounds of the latency histograms, in milliseconds.
const BUCKETS_MS: [u64; 10] = [1, 2, 5, 10, 25, 50, 100, 250, 1000, 5000];

#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; 10],
    count: AtomicU64,
    sum_ms: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, ms: u64) {
        for (bound, bucket) in BUCKETS_MS.iter().zip(&self.buckets) {
            if ms <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_ms.fetch_add(ms, Ordering::Relaxed);
    }

    fn write(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (bound, bucket) in BUCKETS_MS.iter().zip(&self.buckets) {
            let seconds = *bound as f64 / 1000.0;
            let _ = writeln!(out, "{name}_bucket{{le=\"{seconds}\"}} {}", bucket.load(Ordering::Relaxed));
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum {}", self.sum_ms.load(Ordering::Relaxed) as f64 / 1000.0);
        let _ = writeln!(out, "{name}_count {count}");
    }
}

/// The engine's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    events_accepted: AtomicU64,
    events_duplicate: AtomicU64,
    runs_started: AtomicU64,
    /// Events the engine raised for its own changes.
    events_caused: AtomicU64,
    /// Caused events past `max_chain_depth` (recorded, started nothing).
    chain_too_deep: AtomicU64,
    /// Commits refused because the run's claim no longer held (cancelled meanwhile, or
    /// its lease taken over by another node).
    claims_lost: AtomicU64,
    /// succeeded, failed, cancelled.
    runs_finished: [AtomicU64; 3],
    /// Advances started from memory (handed off by ingest, or going on after a due-now
    /// park) and from the store (read by a pass, or claimed on a shared store).
    picked_up: [AtomicU64; 2],
    /// Time a resume took (statements until a park or the end).
    pub advance: Histogram,
    /// How late the scheduler picked up a due run.
    pub scheduler_lag: Histogram,
}

impl Metrics {
    pub fn event(&self, duplicate: bool, runs: usize) {
        if duplicate {
            self.events_duplicate.fetch_add(1, Ordering::Relaxed);
        } else {
            self.events_accepted.fetch_add(1, Ordering::Relaxed);
            self.runs_started.fetch_add(runs as u64, Ordering::Relaxed);
        }
    }

    /// Events the engine raised for its own changes, stored with their cause, and the
    /// runs they started.
    pub fn caused(&self, events: usize, runs: usize) {
        self.events_caused.fetch_add(events as u64, Ordering::Relaxed);
        self.runs_started.fetch_add(runs as u64, Ordering::Relaxed);
    }

    /// A run's progress refused: its claim no longer held.
    pub fn claim_lost(&self) {
        self.claims_lost.fetch_add(1, Ordering::Relaxed);
    }

    /// A caused event past the chain limit.
    pub fn chain_too_deep(&self) {
        self.chain_too_deep.fetch_add(1, Ordering::Relaxed);
    }

    /// An advance started, from memory or from the store.
    pub fn picked_up(&self, from_memory: bool) {
        if let Some(counter) = self.picked_up.get(usize::from(!from_memory)) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub fn finished(&self, status: &str) {
        let index = match status {
            "succeeded" => 0,
            "failed" => 1,
            _ => 2,
        };
        if let Some(counter) = self.runs_finished.get(index) {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The Prometheus text exposition.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let counter = |out: &mut String, name: &str, help: &str, value: u64| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}");
        };
        counter(
            &mut out,
            "komo_events_accepted_total",
            "Events stored.",
            self.events_accepted.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "komo_events_duplicate_total",
            "Events refused as duplicates.",
            self.events_duplicate.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "komo_runs_started_total",
            "Runs started.",
            self.runs_started.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "komo_events_caused_total",
            "Events the engine raised for its own changes (catalog.md \"What actions change\").",
            self.events_caused.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "komo_chain_depth_exceeded_total",
            "Caused events past [limits] max_chain_depth: recorded, started no run.",
            self.chain_too_deep.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "komo_claims_lost_total",
            "Runs' progress refused because the claim no longer held (cancelled, or the lease taken over).",
            self.claims_lost.load(Ordering::Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP komo_runs_finished_total Runs finished, by status.\n# TYPE komo_runs_finished_total counter"
        );
        for (status, counter) in ["succeeded", "failed", "cancelled"].iter().zip(&self.runs_finished) {
            let _ = writeln!(
                out,
                "komo_runs_finished_total{{status=\"{status}\"}} {}",
                counter.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP komo_runs_picked_up_total Advances started, by where the run was read from: memory (handed over by ingest, or going on after a due-now park) or the store.\n# TYPE komo_runs_picked_up_total counter"
        );
        for (from, counter) in ["memory", "store"].iter().zip(&self.picked_up) {
            let _ = writeln!(
                out,
                "komo_runs_picked_up_total{{from=\"{from}\"}} {}",
                counter.load(Ordering::Relaxed)
            );
        }
        self.advance.write(
            &mut out,
            "komo_run_advance_seconds",
            "Time to advance a run to its next park or its end.",
        );
        self.scheduler_lag.write(&mut out, "komo_scheduler_lag_seconds", "How late due runs were picked up.");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_counts() {
        let m = Metrics::default();
        m.event(false, 2);
        m.event(true, 0);
        m.finished("failed");
        m.picked_up(true);
        m.picked_up(true);
        m.picked_up(false);
        m.advance.observe(3);
        let text = m.text();
        assert!(text.contains("komo_events_accepted_total 1\n"));
        assert!(text.contains("komo_runs_started_total 2\n"));
        assert!(text.contains("komo_runs_finished_total{status=\"failed\"} 1\n"));
        assert!(text.contains("komo_run_advance_seconds_bucket{le=\"0.005\"} 1\n"));
        assert!(text.contains("komo_runs_picked_up_total{from=\"memory\"} 2\n"));
        assert!(text.contains("komo_runs_picked_up_total{from=\"store\"} 1\n"));
        assert!(text.contains("komo_run_advance_seconds_bucket{le=\"0.002\"} 0\n"));
    }
}
