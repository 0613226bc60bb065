//! Totals of a replay: how many runs change, by kind of change and by (kind, step).
//!
//! In: the runs' diffs. Out: [`Totals`], counting runs (a run with two argument changes
//! to one step counts once for that step), and the sentence each line of it reads as
//! ("37 of 500 runs would call `send_welcome` (contact.send_email) with other
//! arguments").

use serde::{Deserialize, Serialize};

use super::RunDiff;
use super::diff::ChangeKind;
use crate::catalog::ActionId;

/// The counts of a replay.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    /// Runs read.
    pub runs: usize,
    /// Runs with at least one change.
    pub changed: usize,
    /// Runs replayed without a change.
    pub unchanged: usize,
    /// Runs that could not be replayed (each says why).
    pub errors: usize,
    /// Runs replayed from the event's identity only: recorded before the contact they
    /// started with was kept.
    pub without_contact_snapshot: usize,
    /// Runs with a change of each kind, in the order of [`ChangeKind`].
    pub by_kind: Vec<KindTotal>,
    /// Runs with a change of each kind to each step.
    pub by_step: Vec<StepTotal>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindTotal {
    pub kind: ChangeKind,
    pub runs: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepTotal {
    pub kind: ChangeKind,
    /// The step (none for a run's status or a refused event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<ActionId>,
    pub runs: usize,
}

impl StepTotal {
    /// The line this total reads as, out of `of` runs.
    pub fn sentence(&self, of: usize) -> String {
        let n = format!("{} of {of} run{}", self.runs, if of == 1 { "" } else { "s" });
        let step = match (&self.step, self.action) {
            (Some(step), Some(action)) => format!("`{step}` ({action})"),
            (Some(step), None) => format!("`{step}`"),
            _ => String::new(),
        };
        match self.kind {
            ChangeKind::NoRun => format!("{n} would not start (the new version refuses their event)"),
            ChangeKind::StepAdded => format!("{n} would run {step}, which they did not"),
            ChangeKind::StepRemoved => format!("{n} would no longer run {step}"),
            ChangeKind::Arguments => format!("{n} would call {step} with other arguments"),
            ChangeKind::Outcome => format!("{n} would see {step} end otherwise"),
            ChangeKind::Route => format!("{n} would take another route after {step}"),
            ChangeKind::Status => format!("{n} would end with another status"),
        }
    }
}

/// The totals of `runs`.
pub fn totals(runs: &[RunDiff]) -> Totals {
    let mut totals = Totals { runs: runs.len(), ..Totals::default() };
    for run in runs {
        if run.error.is_some() {
            totals.errors += 1;
        } else if run.changes.is_empty() {
            totals.unchanged += 1;
        } else {
            totals.changed += 1;
        }
        if run.contact == super::ContactSource::Identity {
            totals.without_contact_snapshot += 1;
        }
        let mut kinds: Vec<ChangeKind> = run.changes.iter().map(|c| c.kind).collect();
        kinds.sort();
        kinds.dedup();
        for kind in kinds {
            match totals.by_kind.iter_mut().find(|t| t.kind == kind) {
                Some(total) => total.runs += 1,
                None => totals.by_kind.push(KindTotal { kind, runs: 1 }),
            }
        }
        let mut steps: Vec<(ChangeKind, Option<&String>, Option<ActionId>)> =
            run.changes.iter().map(|c| (c.kind, c.step.as_ref(), c.action)).collect();
        steps.dedup();
        for (i, (kind, step, action)) in steps.iter().enumerate() {
            if steps.get(..i).is_some_and(|before| before.contains(&(*kind, *step, *action))) {
                continue;
            }
            let same =
                |t: &&mut StepTotal| t.kind == *kind && t.step.as_ref() == *step && t.action == *action;
            match totals.by_step.iter_mut().find(same) {
                Some(total) => total.runs += 1,
                None => totals.by_step.push(StepTotal {
                    kind: *kind,
                    step: step.cloned(),
                    action: *action,
                    runs: 1,
                }),
            }
        }
    }
    totals.by_kind.sort_by_key(|t| t.kind);
    totals.by_step.sort_by(|a, b| (a.kind, &a.step).cmp(&(b.kind, &b.step)));
    totals
}
