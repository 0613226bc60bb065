//! Moving a parked run to another version of its workflow (engine.md §8).
//!
//! In: a run's state parked in version `from`, the [`MigrationMap`] from `from` to `to`
//! (`ir::migrate::plan`), the target version's number and the time. Out: the state
//! parked at the mapped point of `to` (frames, steps and outputs re-indexed, `let`s
//! kept by name, a pending retry pointed at the mapped action, a `moved` entry in its
//! lifecycle), or why it cannot move. The due time is kept: a moved run wakes when it
//! would have.

use crate::ir::migrate::{FrameRole, MigrationMap, ParkPoint, Unmovable};
use crate::ir::{RunStatus, StmtId, StmtKind, Workflow};
use crate::runtime::interp::{Frame, FrameKind, Pending, RunState, StepState};
use crate::runtime::record::{LifecycleEntry, format_millis};
use crate::runtime::value::Value;

/// Why a run's state cannot move.
#[derive(Clone, Debug, PartialEq)]
pub enum MoveError {
    /// The run is not waiting.
    NotWaiting,
    /// The run's state is not parked at a park point of its version.
    UnknownPoint,
    /// The run's frames are not those of its park point (a corrupt or older state).
    FramesDiffer,
    /// The park point cannot move.
    Unmovable(Unmovable),
}

impl std::fmt::Display for MoveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MoveError::NotWaiting => f.write_str("the run is not waiting"),
            MoveError::UnknownPoint => f.write_str("the run is not parked at a `wait` or a retry"),
            MoveError::FramesDiffer => f.write_str("the run's position does not match its park point"),
            MoveError::Unmovable(reason) => write!(f, "{reason}"),
        }
    }
}

/// The park statement of a parked run: its pending retry's action, or the `wait` just
/// before its innermost frame's next statement.
pub fn park_stmt(wf: &Workflow, st: &RunState) -> Option<StmtId> {
    if let Some(p) = st.pending {
        return Some(p.stmt);
    }
    let frame = st.frames.last()?;
    let index = frame.next.checked_sub(1)?;
    let id = *wf.block(frame.block)?.stmts.get(index as usize)?;
    matches!(wf.stmt(id)?.kind, StmtKind::Wait { .. } | StmtKind::WaitUntil { .. }).then_some(id)
}

/// The park point of `map` a parked run is at, with its target, or why it cannot move.
pub fn point_of<'m>(
    map: &'m MigrationMap,
    from: &Workflow,
    st: &RunState,
) -> Result<(&'m ParkPoint, &'m ParkPoint), MoveError> {
    if st.status != RunStatus::Waiting {
        return Err(MoveError::NotWaiting);
    }
    let stmt = park_stmt(from, st).ok_or(MoveError::UnknownPoint)?;
    let plan = map.point(stmt).ok_or(MoveError::UnknownPoint)?;
    let same = plan.from.frames.len() == st.frames.len()
        && plan.from.frames.iter().zip(&st.frames).all(|(p, f)| p.block == f.block && p.next == f.next);
    if !same {
        return Err(MoveError::FramesDiffer);
    }
    match &plan.to {
        Ok(target) => Ok((&plan.from, target)),
        Err(reason) => Err(MoveError::Unmovable(reason.clone())),
    }
}

/// Moves a parked run of `from` to version `to_version` (whose IR is `to`), at `at`.
pub fn move_run(
    map: &MigrationMap,
    from: &Workflow,
    to: &Workflow,
    to_version: i64,
    st: &mut RunState,
    at: jiff::Timestamp,
) -> Result<(), MoveError> {
    let (source, target) = point_of(map, from, st)?;
    let frames = target
        .frames
        .iter()
        .map(|f| Frame { block: f.block, next: f.next, kind: frame_kind(f.role) })
        .collect();
    let mut steps = vec![StepState::default(); to.steps.len()];
    let mut outputs = vec![Value::Null; to.steps.len()];
    for (old, new) in &map.steps {
        if let (Some(state), Some(slot)) = (st.steps.get_mut(old.index()), steps.get_mut(new.index())) {
            *slot = std::mem::take(state);
        }
        if let (Some(output), Some(slot)) = (st.outputs.get_mut(old.index()), outputs.get_mut(new.index())) {
            *slot = std::mem::replace(output, Value::Null);
        }
    }
    if let Some(name) = &st.error_step {
        let renamed = from
            .step_named(name)
            .and_then(|old| map.new_step(old))
            .and_then(|new| to.step(new))
            .map(|s| s.name.clone());
        st.error_step = renamed.or_else(|| st.error_step.clone());
    }
    st.pending = st.pending.map(|p| Pending { stmt: target.stmt, attempt: p.attempt });
    st.frames = frames;
    st.steps = steps;
    st.outputs = outputs;
    st.lifecycle.push(LifecycleEntry::Moved {
        at: format_millis(at),
        from: st.version,
        to: to_version,
        point: format!("`{}`", source.label),
    });
    st.version = to_version;
    Ok(())
}

fn frame_kind(role: FrameRole) -> FrameKind {
    match role {
        FrameRole::Main => FrameKind::Main,
        FrameRole::Branch => FrameKind::Branch,
        FrameRole::Route => FrameKind::Route,
        FrameRole::FailureBlock => FrameKind::FailureBlock,
    }
}

#[cfg(test)]
mod tests;
