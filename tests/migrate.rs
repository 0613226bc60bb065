//! Moving waiting runs to another version (`komo migrate`), in the engine, on both
//! stores: the plan, applying it, and what the moved and the unmoved runs do once their
//! waits end (manual clock); a run that is due, or claimed by a node, is not moved.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::stores::Backend;
use common::{eventually, manual_clock};
use komo::engine::store::{Node, ProgressWrite, Store, StoreLocation};
use komo::engine::{Clock, Engine, ManualClock};

fn project(test: &str, backend: Backend) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("komo-migrate-{test}-{backend}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("workflows")).unwrap();
    std::fs::write(dir.join("komo.toml"), "[workspace]\nid = \"acme\"\n").unwrap();
    std::fs::write(dir.join("workflows/nudge.komo"), common::NUDGE_V1).unwrap();
    dir
}

fn envelope(id: &str, email: &str) -> Vec<u8> {
    format!(r#"{{ "id": "{id}", "type": "Contact.Created", "occurred_at": "2026-11-29T09:00:00Z", "contact": {{ "email": "{email}" }}, "data": {{ "source": "form" }} }}"#).into_bytes()
}

async fn open_on(dir: &Path, db: Option<&StoreLocation>, clock: &ManualClock) -> Arc<Engine> {
    Arc::new(komo::cli::project::open_engine_with_clock(dir, db, Clock::from(clock.clone())).await.unwrap())
}

fn start_scheduler(engine: &Arc<Engine>) -> tokio::sync::watch::Sender<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(Arc::clone(engine).run_scheduler(rx));
    tx
}

async fn record(engine: &Engine, run: &str) -> serde_json::Value {
    serde_json::to_value(engine.run("acme", run).await.unwrap()).unwrap()
}

async fn wait_for(engine: &Engine, run: &str, status: &str, waits: usize) -> serde_json::Value {
    eventually(&format!("run {run} is {status} after {waits} waits"), async || {
        let r = record(engine, run).await;
        let parks = r["waits"].as_array().map_or(0, Vec::len);
        if r["status"] == status && parks >= waits { Ok(r) } else { Err(r["status"].clone()) }
    })
    .await
}

async fn lists(engine: &Engine, email: &str) -> serde_json::Value {
    engine.contact_by_email("acme", email).await.unwrap()["lists"].clone()
}

/// v1 active with three runs parked (two at `wait 1h`, the slow one at `wait 2h`), then
/// v2 active.
async fn parked(
    test: &str,
    backend: Backend,
) -> (PathBuf, Option<StoreLocation>, ManualClock, Arc<Engine>, Vec<String>) {
    let dir = project(test, backend);
    let db = backend.location(&dir);
    let clock = manual_clock();
    let engine = open_on(&dir, db.as_ref(), &clock).await;
    engine.activate("acme", "nudge").await.unwrap();
    let stop = start_scheduler(&engine);
    let mut runs = Vec::new();
    for (i, email) in ["ana@example.com", "bo@example.com", "slow@example.com"].iter().enumerate() {
        let answer = engine.ingest("acme", &envelope(&format!("e{i}"), email)).await.unwrap();
        runs.push(answer.runs[0].id.clone());
    }
    for run in &runs {
        wait_for(&engine, run, "waiting", 1).await;
    }
    stop.send(true).unwrap();
    engine.save_draft("acme", "nudge", common::NUDGE_V2).await.unwrap();
    assert_eq!(engine.activate("acme", "nudge").await.unwrap().summary.version, Some(2));
    (dir, db, clock, engine, runs)
}

both_stores!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    moved_runs_follow_the_new_version_and_the_others_the_old
);
async fn moved_runs_follow_the_new_version_and_the_others_the_old(backend: Backend) {
    let (_dir, _db, clock, engine, runs) = parked("follow", backend).await;
    let plan = engine.plan_migration("acme", "nudge", 2).await.unwrap();
    let plan_json = serde_json::to_value(&plan).unwrap();
    assert_eq!(
        plan_json,
        serde_json::json!({
            "workflow": "nudge", "to": 2, "movable": 2, "unmovable": 1,
            "groups": [
                { "from": 1, "point": { "text": "wait 2h", "line": 6 }, "target": null,
                  "reason": "`wait 2h` has no counterpart in v2", "runs": [runs[2]] },
                { "from": 1, "point": { "text": "wait 1h", "line": 8 }, "target": { "text": "wait 1h", "line": 9 },
                  "reason": null, "runs": [runs[0], runs[1]] },
            ]
        })
    );
    // Planning moves nothing.
    assert_eq!(record(&engine, &runs[0]).await["version"], 1);

    let outcome = engine.apply_migration("acme", "nudge", 2).await.unwrap();
    assert_eq!(outcome.moved, vec![runs[0].clone(), runs[1].clone()]);
    assert!(outcome.skipped.is_empty());
    let moved = record(&engine, &runs[0]).await;
    assert_eq!(moved["version"], 2);
    assert_eq!(moved["status"], "waiting");
    assert_eq!(
        moved["lifecycle"],
        serde_json::json!([{ "kind": "moved", "at": "2026-11-29T09:00:00.000Z", "from": 1, "to": 2, "point": "`wait 1h`" }])
    );
    // Nothing is left to move.
    let again = engine.apply_migration("acme", "nudge", 2).await.unwrap();
    assert!(again.moved.is_empty());
    assert_eq!(again.plan.movable, 0);

    let stop = start_scheduler(&engine);
    clock.advance(Duration::from_secs(3600));
    for run in &runs[..2] {
        let r = wait_for(&engine, run, "succeeded", 1).await;
        let steps: Vec<(String, String)> = r["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["name"].as_str().unwrap().to_string(), s["status"].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(
            steps,
            [
                ("add_to_list_1", "succeeded"),
                ("bonus", "skipped"),
                ("add_to_list_2", "skipped"),
                ("add_to_list_3", "succeeded")
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
    }
    for email in ["ana@example.com", "bo@example.com"] {
        assert_eq!(lists(&engine, email).await, serde_json::json!(["Started", "Reminded v2"]));
        assert_eq!(
            engine.contact_by_email("acme", email).await.unwrap()["points"],
            0,
            "the new step before the wait did not run"
        );
    }
    // The slow run stayed in v1: its `wait 2h`, then `wait 1h`, then v1's list.
    assert_eq!(record(&engine, &runs[2]).await["status"], "waiting");
    clock.advance(Duration::from_secs(3600));
    wait_for(&engine, &runs[2], "waiting", 2).await;
    clock.advance(Duration::from_secs(3600));
    let slow = wait_for(&engine, &runs[2], "succeeded", 2).await;
    assert_eq!(slow["version"], 1);
    assert!(slow.get("lifecycle").is_none(), "{slow:#}");
    assert_eq!(lists(&engine, "slow@example.com").await, serde_json::json!(["Started", "Reminded v1"]));
    stop.send(true).unwrap();
}

both_stores!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    a_run_that_is_due_is_not_moved
);
async fn a_run_that_is_due_is_not_moved(backend: Backend) {
    let (_dir, _db, clock, engine, runs) = parked("due", backend).await;
    // The wait is over but the scheduler has not taken the runs yet: they may be
    // advancing at any moment, so they stay.
    clock.advance(Duration::from_secs(3600));
    let outcome = engine.apply_migration("acme", "nudge", 2).await.unwrap();
    assert!(outcome.moved.is_empty());
    assert_eq!(outcome.skipped, vec![runs[0].clone(), runs[1].clone()]);
    let stop = start_scheduler(&engine);
    let r = wait_for(&engine, &runs[0], "succeeded", 1).await;
    assert_eq!(r["version"], 1);
    assert_eq!(lists(&engine, "ana@example.com").await, serde_json::json!(["Started", "Reminded v1"]));
    stop.send(true).unwrap();
}

both_stores!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    a_claimed_run_is_not_moved_and_a_stale_claim_cannot_commit_over_a_move
);
async fn a_claimed_run_is_not_moved_and_a_stale_claim_cannot_commit_over_a_move(backend: Backend) {
    if backend == Backend::Sqlite {
        // One process and one clock: a run the scheduler claims is due (see the test
        // above); leases are Postgres's.
        return;
    }
    let (_dir, db, _clock, engine, _runs) = parked("claimed", backend).await;
    let db = db.unwrap();
    // Another node whose clock runs an hour ahead claims the runs for an hour.
    let ahead = "2026-11-29T10:00:00Z".parse::<jiff::Timestamp>().unwrap().as_millisecond();
    let other = Store::open(&db, Node { name: "ahead".into(), lease_ms: 3_600_000 }).await.unwrap();
    let claimed = other.claim_due(ahead + 1, 10, &[]).await.unwrap();
    assert_eq!(claimed.len(), 2, "the two runs at `wait 1h`");
    let outcome = engine.apply_migration("acme", "nudge", 2).await.unwrap();
    assert!(outcome.moved.is_empty(), "leased runs stay");
    assert_eq!(outcome.skipped.len(), 2);

    // A node whose lease ran out: the runs move, and its late commit is refused.
    let (_dir, db, _clock, engine, runs) = parked("stale", backend).await;
    let db = db.unwrap();
    let paused = Store::open(&db, Node { name: "paused".into(), lease_ms: 1 }).await.unwrap();
    let claimed = paused.claim_due(ahead + 1, 10, &[]).await.unwrap();
    assert_eq!(claimed.len(), 2);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let outcome = engine.apply_migration("acme", "nudge", 2).await.unwrap();
    assert_eq!(outcome.moved, vec![runs[0].clone(), runs[1].clone()]);
    let due = &claimed[0];
    let late = ProgressWrite {
        workspace: "acme".into(),
        at: ahead + 1,
        run: due.run.id.clone(),
        contact_id: due.run.contact_id.clone(),
        claim: due.claim,
        status: "succeeded".into(),
        state: due.run.state.clone(),
        due_at: None,
        finished_at: Some(ahead + 1),
        contact: None,
        raised: Vec::new(),
    };
    assert!(paused.progress(late).await.is_err(), "a commit on the claim from before the move is refused");
    let r = record(&engine, &due.run.id).await;
    assert_eq!(
        (r["version"].clone(), r["status"].clone()),
        (serde_json::json!(2), serde_json::json!("waiting"))
    );
}
