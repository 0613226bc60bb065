//! The workflow page's migration section: the waiting runs of other versions than the
//! active one, grouped by park point with where they would go or why they stay (the
//! plan of `komo migrate`, `crate::engine::migrate`), and the button that moves them.
//!
//! In: the session's workspace, the workflow, its active version; for the button, a
//! posted form (`csrf`, `to`). Out: a [`MigrationView`] for the page (none when no run
//! of another version waits), and `POST /workflows/{name}/migrate`: the runs moved in
//! one transaction, then a 303 back to the workflow's page with a notice. Works without
//! JavaScript.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::session::SignedIn;
use super::{call, failure, form, view};
use crate::engine::Engine;
use crate::engine::api::{WorkflowStatus, WorkflowSummary};
use crate::engine::error::EngineError;
use crate::engine::migrate::{MigrationGroup, MigrationPlan};

/// How many runs of a group that stays are listed by id.
const LISTED: usize = 10;

/// The plan as the page shows it.
#[derive(Clone, Debug)]
pub struct MigrationView {
    /// The version the runs would move to (the active one).
    pub to: i64,
    pub movable: usize,
    pub unmovable: usize,
    pub groups: Vec<GroupView>,
    /// `Move 2 runs to v2`.
    pub button: String,
}

/// One version's runs at one park point.
#[derive(Clone, Debug)]
pub struct GroupView {
    /// `2 runs of v1`.
    pub count: String,
    pub point: String,
    pub line: usize,
    /// Where they go: the point and its line in the target version.
    pub target: Option<(String, usize)>,
    /// Why they stay (after `stays:` or `stay:`).
    pub reason: Option<String>,
    pub verb: &'static str,
    /// The first runs of a group that stays, and how many more there are.
    pub runs: Vec<String>,
    pub more: usize,
}

fn runs(n: usize) -> String {
    if n == 1 { "1 run".to_string() } else { format!("{n} runs") }
}

fn group(g: &MigrationGroup) -> GroupView {
    let stays = g.target.is_none();
    GroupView {
        count: format!("{} of v{}", runs(g.runs.len()), g.from),
        point: g.point.text.clone(),
        line: g.point.line,
        target: g.target.as_ref().map(|t| (t.text.clone(), t.line)),
        reason: stays.then(|| g.reason.clone().unwrap_or_else(|| "cannot move".into())),
        verb: if g.runs.len() == 1 { "stays" } else { "stay" },
        runs: if stays { g.runs.iter().take(LISTED).cloned().collect() } else { Vec::new() },
        more: if stays { g.runs.len().saturating_sub(LISTED) } else { 0 },
    }
}

/// The page's view of `plan`; none when no run of another version waits.
pub fn view(plan: &MigrationPlan) -> Option<MigrationView> {
    if plan.groups.is_empty() {
        return None;
    }
    Some(MigrationView {
        to: plan.to,
        movable: plan.movable,
        unmovable: plan.unmovable,
        groups: plan.groups.iter().map(group).collect(),
        button: format!("Move {} to v{}", runs(plan.movable), plan.to),
    })
}

/// The plan for the waiting runs of other versions than the active one of a workflow
/// that is active or paused (none for a draft or an inactive workflow).
pub(super) async fn load(
    engine: &Engine,
    ws: &str,
    workflow: &WorkflowSummary,
) -> Result<Option<MigrationView>, EngineError> {
    match (workflow.status, workflow.version) {
        (WorkflowStatus::Active | WorkflowStatus::Paused, Some(to)) => {
            Ok(view(&engine.plan_migration(ws, &workflow.name, to).await?))
        }
        _ => Ok(None),
    }
}

/// The notice after moving runs (`?done=migrate&moved=N&to=M&stayed=K&skipped=J`).
pub(super) fn notice(pairs: &[(String, String)]) -> Option<String> {
    let number = |key| form::value(pairs, key).and_then(|v| v.parse::<usize>().ok());
    let (moved, to) = (number("moved")?, number("to")?);
    let mut text = format!("Moved {} to v{to}", runs(moved));
    if let Some(stayed) = number("stayed").filter(|n| *n > 0) {
        text.push_str(&format!("; {stayed} stayed"));
    }
    if let Some(skipped) = number("skipped").filter(|n| *n > 0) {
        text.push_str(&format!("; {} skipped (resumed or due while moving; try again)", runs(skipped)));
    }
    text.push('.');
    Some(text)
}

/// `POST /workflows/{name}/migrate` (`to`: the version to move to).
pub async fn apply(
    State(engine): State<Arc<Engine>>,
    signed_in: SignedIn,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let pairs = match signed_in.accept_form(&headers, &body) {
        Ok(pairs) => pairs,
        Err(refused) => return *refused,
    };
    let Some(to) = form::value(&pairs, "to").and_then(|v| v.parse::<i64>().ok()) else {
        return view::error(
            Some(signed_in.chrome("workflows")),
            StatusCode::BAD_REQUEST,
            "`to` must be a version number",
        );
    };
    let ws = signed_in.workspace();
    let target = name.clone();
    match call(&engine, async move |engine| engine.apply_migration(&ws, &target, to).await).await {
        Ok(outcome) => {
            let (moved, stayed, skipped) =
                (outcome.moved.len().to_string(), outcome.plan.unmovable.to_string(), outcome.skipped.len());
            let query = form::query(&[
                ("done", "migrate"),
                ("name", &name),
                ("moved", &moved),
                ("to", &to.to_string()),
                ("stayed", &stayed),
                ("skipped", &skipped.to_string()),
            ]);
            Redirect::to(&format!("/workflows/{}?{query}", form::encode(&name))).into_response()
        }
        Err(error) => failure(signed_in.chrome("workflows"), &error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::migrate::PointRef;

    #[test]
    fn a_plan_as_the_page_shows_it() {
        let point = |text: &str, line| PointRef { text: text.into(), line };
        let plan = MigrationPlan {
            workflow: "nudge".into(),
            to: 2,
            groups: vec![
                MigrationGroup {
                    from: 1,
                    point: point("wait 2h", 6),
                    target: None,
                    reason: Some("`wait 2h` has no counterpart in v2".into()),
                    runs: (0..12).map(|i| format!("run_{i}")).collect(),
                },
                MigrationGroup {
                    from: 1,
                    point: point("wait 1h", 8),
                    target: Some(point("wait 1h", 9)),
                    reason: None,
                    runs: vec!["run_a".into()],
                },
            ],
            movable: 1,
            unmovable: 12,
        };
        let Some(view) = view(&plan) else { panic!("a plan with groups has a view") };
        assert_eq!(view.button, "Move 1 run to v2");
        let [stays, moves] = view.groups.as_slice() else { panic!("two groups") };
        assert_eq!((stays.count.as_str(), stays.runs.len(), stays.more), ("12 runs of v1", 10, 2));
        assert_eq!(stays.reason.as_deref(), Some("`wait 2h` has no counterpart in v2"));
        assert_eq!(
            (moves.count.as_str(), moves.target.clone()),
            ("1 run of v1", Some(("wait 1h".into(), 9)))
        );
        assert!(moves.runs.is_empty());
        assert!(super::view(&MigrationPlan { groups: Vec::new(), ..plan }).is_none());
    }

    #[test]
    fn the_notice_after_moving() {
        let pairs: Vec<(String, String)> = [("moved", "2"), ("to", "2"), ("stayed", "1"), ("skipped", "0")]
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect();
        assert_eq!(notice(&pairs).as_deref(), Some("Moved 2 runs to v2; 1 stayed."));
    }
}
