//! `komo migrate` in the engine: the plan for a workflow's waiting runs of other
//! versions, and applying it (engine.md §8, "Migration").
//!
//! In: a workspace, a workflow and the version to move to. Out: a [`MigrationPlan`]:
//! the waiting runs grouped by version and park point, each group with the point it
//! maps to or the reason it cannot move (`ir::migrate`); applying moves every movable
//! run in one transaction (`store::migrate`: a run that is due, and so may be advancing,
//! is not moved) and answers a [`MigrationOutcome`].

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::store::migrate::{RunMove, WaitingRun};
use super::{Engine, EngineError, Missing, StoreError};
use crate::ir::migrate::{MigrationMap, ParkPoint, plan};
use crate::ir::{StmtId, Workflow};
use crate::runtime::interp::RunState;
use crate::runtime::migrate::{MoveError, move_run, point_of};

/// The runs of a workflow's other versions that wait, and where each would go.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MigrationPlan {
    pub workflow: String,
    /// The version runs would move to.
    pub to: i64,
    /// By source version and park point, in that order.
    pub groups: Vec<MigrationGroup>,
    /// How many runs can move, and how many cannot.
    pub movable: usize,
    pub unmovable: usize,
}

/// The waiting runs of one version parked at one point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MigrationGroup {
    pub from: i64,
    pub point: PointRef,
    /// Where they go; `None` when they cannot move (see `reason`).
    pub target: Option<PointRef>,
    pub reason: Option<String>,
    /// The runs' ids, oldest first.
    pub runs: Vec<String>,
}

/// A park point as people see it: `wait 3d` at line 9.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointRef {
    pub text: String,
    pub line: usize,
}

/// What applying a plan did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MigrationOutcome {
    /// The plan as it was when applied.
    pub plan: MigrationPlan,
    /// The runs moved.
    pub moved: Vec<String>,
    /// Movable runs that were not moved: they were resumed (or became due) meanwhile.
    pub skipped: Vec<String>,
}

/// A run's place in the plan, and its moved state when it can move.
struct Placed {
    run: WaitingRun,
    key: GroupKey,
    moved: Option<String>,
}

/// (from version, park statement or none, target or reason).
type GroupKey = (i64, Option<StmtId>, Result<PointRef, String>, PointRef);

impl Engine {
    /// The plan for moving `workflow`'s waiting runs of other versions to version `to`.
    pub async fn plan_migration(
        &self,
        ws: &str,
        workflow: &str,
        to: i64,
    ) -> Result<MigrationPlan, EngineError> {
        Ok(self.place(ws, workflow, to).await?.0)
    }

    /// Moves every movable run of the plan to version `to`, in one transaction.
    pub async fn apply_migration(
        &self,
        ws: &str,
        workflow: &str,
        to: i64,
    ) -> Result<MigrationOutcome, EngineError> {
        let (plan, placed) = self.place(ws, workflow, to).await?;
        let moves: Vec<RunMove> = placed
            .iter()
            .filter_map(|p| {
                Some(RunMove {
                    id: p.run.id.clone(),
                    from_version: p.run.version,
                    due_at: p.run.due_at,
                    to_version: to,
                    state: p.moved.clone()?,
                })
            })
            .collect();
        let now = self.clock.now().as_millisecond();
        let moved = self.store.move_runs(ws, &moves, now).await?;
        let skipped = moves.iter().filter(|m| !moved.contains(&m.id)).map(|m| m.id.clone()).collect();
        if !moved.is_empty() {
            tracing::info!(workflow, to, moved = moved.len(), "moved waiting runs to another version");
        }
        Ok(MigrationOutcome { plan, moved, skipped })
    }

    async fn place(
        &self,
        ws: &str,
        workflow: &str,
        to: i64,
    ) -> Result<(MigrationPlan, Vec<Placed>), EngineError> {
        self.row(ws, workflow).await?;
        if !self.store.versions(ws, workflow).await?.contains(&to) {
            return Err(Missing::Version { workflow: workflow.to_string(), version: to }.into());
        }
        let target = self.version(ws, workflow, to).await?;
        let target_source = self.store.version_source(ws, workflow, to).await?.unwrap_or_default();
        let now = self.clock.now();
        let mut maps: HashMap<i64, (Arc<Workflow>, MigrationMap, String)> = HashMap::new();
        let mut placed = Vec::new();
        for run in self.store.waiting_runs(ws, workflow, to).await? {
            if let std::collections::hash_map::Entry::Vacant(slot) = maps.entry(run.version) {
                let from = self.version(ws, workflow, run.version).await?;
                let source = self.store.version_source(ws, workflow, run.version).await?.unwrap_or_default();
                let map = plan(&from, &target);
                slot.insert((from, map, source));
            }
            let Some((from, map, source)) = maps.get(&run.version) else { continue };
            let mut state: RunState = serde_json::from_str(&run.state)
                .map_err(|e| StoreError::corrupt(format!("the stored state of run `{}`", run.id), e))?;
            let (key, moved) = match point_of(map, from, &state) {
                Ok((point, goes_to)) => {
                    let key = (
                        run.version,
                        Some(point.stmt),
                        Ok(point_ref(goes_to, &target_source)),
                        point_ref(point, source),
                    );
                    let moved = match move_run(map, from, &target, to, &mut state, now) {
                        Ok(()) => Some(serde_json::to_string(&state).map_err(|e| {
                            StoreError::unwritable(format!("the state of run `{}`", run.id), e)
                        })?),
                        Err(_) => None,
                    };
                    (key, moved)
                }
                Err(e) => {
                    let stmt = crate::runtime::migrate::park_stmt(from, &state);
                    let point = stmt.and_then(|s| map.point(s)).map_or_else(
                        || PointRef { text: "?".into(), line: 0 },
                        |p| point_ref(&p.from, source),
                    );
                    let reason = match e {
                        MoveError::Unmovable(u) => u.message(run.version, to),
                        other => other.to_string(),
                    };
                    ((run.version, stmt, Err(reason), point), None)
                }
            };
            placed.push(Placed { run, key, moved });
        }
        Ok((group(workflow, to, &placed), placed))
    }
}

fn point_ref(point: &ParkPoint, source: &str) -> PointRef {
    let start = (point.span.start as usize).min(source.len());
    let line = source.get(..start).map_or(0, |s| s.matches('\n').count()) + 1;
    PointRef { text: point.label.clone(), line }
}

fn group(workflow: &str, to: i64, placed: &[Placed]) -> MigrationPlan {
    let mut groups: Vec<MigrationGroup> = Vec::new();
    let mut keys: Vec<&GroupKey> = Vec::new();
    let (mut movable, mut unmovable) = (0, 0);
    for p in placed {
        match &p.key.2 {
            Ok(_) => movable += 1,
            Err(_) => unmovable += 1,
        }
        if let Some(i) = keys.iter().position(|k| **k == p.key) {
            if let Some(g) = groups.get_mut(i) {
                g.runs.push(p.run.id.clone());
            }
            continue;
        }
        keys.push(&p.key);
        let (from, _, to_or_reason, point) = &p.key;
        groups.push(MigrationGroup {
            from: *from,
            point: point.clone(),
            target: to_or_reason.as_ref().ok().cloned(),
            reason: to_or_reason.as_ref().err().cloned(),
            runs: vec![p.run.id.clone()],
        });
    }
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.sort_by_key(|i| groups.get(*i).map(|g| (g.from, g.point.line, g.point.text.clone())));
    let groups = order.into_iter().filter_map(|i| groups.get(i).cloned()).collect();
    MigrationPlan { workflow: workflow.to_string(), to, groups, movable, unmovable }
}
