//! The store's own tests, on real SQLite files.

use super::events::record_event;
use super::runs::{insert_run, update_run};
use super::*;
use std::sync::Arc;

fn temp_store(name: &str) -> (Sqlite, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("komo-store-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let store = Sqlite::open(&dir.join("komo.db")).unwrap();
    store.ensure_workspace("ws", 0).unwrap();
    (store, dir)
}

fn count(store: &Sqlite, sql: &str) -> i64 {
    store.lock().unwrap().query_row(sql, [], |r| r.get(0)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_write_is_undone_and_the_rest_of_its_group_is_kept() {
    let (store, dir) = temp_store("group");
    let store = Arc::new(store);
    // Many writes at once, so they share groups; every third one fails half-way
    // (after its first insert), which must leave no trace of it.
    let mut tasks = Vec::new();
    for i in 0..60 {
        let store = Arc::clone(&store);
        tasks.push(tokio::spawn(async move {
            store
                .write(move |tx| {
                    record_event(tx, "ws", &format!("e{i}"), "T", "{}", 1_000_000_000)?;
                    if i % 3 == 0 {
                        return Err(StoreError::Conflict { run: format!("r{i}") });
                    }
                    Ok(i)
                })
                .await
        }));
    }
    let mut failed = 0;
    for (i, t) in tasks.into_iter().enumerate() {
        match t.await.unwrap() {
            Ok(n) => assert_eq!(n, i),
            Err(e) => {
                assert_eq!(e, StoreError::Conflict { run: format!("r{i}") });
                failed += 1;
            }
        }
    }
    assert_eq!(failed, 20);
    assert_eq!(count(&store, "SELECT count(*) FROM events"), 40);
    assert_eq!(
        count(&store, "SELECT count(*) FROM events WHERE (CAST(substr(id, 2) AS INTEGER) % 3) = 0"),
        0
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_event_id_is_a_duplicate_for_24_hours_then_replaced() {
    let (store, dir) = temp_store("dedup");
    let day = 24 * 3600 * 1000;
    let t0 = 1_700_000_000_000;
    store
        .transaction(|tx| {
            assert!(record_event(tx, "ws", "e1", "A", "first", t0)?);
            assert!(!record_event(tx, "ws", "e1", "A", "second", t0 + day - 1)?);
            assert!(record_event(tx, "ws", "e1", "B", "third", t0 + day)?);
            Ok(())
        })
        .unwrap();
    let body = store.event_body("ws", "e1").unwrap();
    assert_eq!(body.as_deref(), Some("third"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn due_runs_leave_out_the_runs_being_advanced() {
    let (store, dir) = temp_store("skip");
    store
        .transaction(|tx| {
            tx.execute(
                "INSERT INTO workflows (workspace, name, status, source, active_version, updated_at) VALUES ('ws', 'w', 'active', '', 1, 0)",
                [],
            )?;
            for (id, due) in [("run_a", 1), ("run_b", 2), ("run_c", 3)] {
                let mut run = sample_run(id);
                run.due_at = Some(due);
                insert_run(tx, &run)?;
            }
            Ok(())
        })
        .unwrap();
    let ids = |skip: &[&str]| -> Vec<String> {
        store.due_runs(10, 10, skip).unwrap().into_iter().map(|d| d.run.id).collect()
    };
    assert_eq!(ids(&[]), ["run_a", "run_b", "run_c"]);
    assert_eq!(ids(&["run_b", "run_x"]), ["run_a", "run_c"]);
    assert_eq!(ids(&["run_a", "run_b", "run_c"]), Vec::<String>::new());
    let _ = std::fs::remove_dir_all(dir);
}

fn sample_run(id: &str) -> RunRow {
    RunRow {
        trigger: "T".into(),
        event_id: "e".into(),
        started_at: 1,
        due_at: Some(5),
        ..RunRow::pending(id, None)
    }
}

#[test]
fn progress_of_a_run_that_changed_meanwhile_is_refused() {
    let (store, dir) = temp_store("claim");
    let run = sample_run("run_1");
    store.transaction(|tx| insert_run(tx, &run)).unwrap();
    // Claimed at due time 5: the first save wins, a second from the same claim loses.
    store.transaction(|tx| update_run(tx, "run_1", Some(5), "waiting", "{\"a\":1}", Some(9), None)).unwrap();
    let stale = store.transaction(|tx| update_run(tx, "run_1", Some(5), "succeeded", "{}", None, Some(7)));
    assert!(matches!(stale, Err(StoreError::Conflict { .. })), "{stale:?}");
    let row = store.run("ws", "run_1").unwrap().unwrap();
    assert_eq!((row.status.as_str(), row.due_at, row.state.as_str()), ("waiting", Some(9), "{\"a\":1}"));
    let _ = std::fs::remove_dir_all(dir);
}

/// Stores runs of workflow `w`: `(id, status, started_at, hub)` each.
fn store_runs(store: &Sqlite, runs: &[(&str, &str, i64, Option<&str>)]) {
    store
        .transaction(|tx| {
            for (id, status, started, hub) in runs {
                let mut run = sample_run(id);
                run.status = status.to_string();
                run.started_at = *started;
                run.hub = hub.map(str::to_string);
                insert_run(tx, &run)?;
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn run_lists_filter_on_every_field_given_and_page_by_start_then_arrival() {
    let (store, dir) = temp_store("list");
    // run_c arrives before run_b, in the same millisecond: run_b is the newer.
    store_runs(
        &store,
        &[
            ("run_a", "succeeded", 10, Some("h1")),
            ("run_c", "succeeded", 20, Some("h1")),
            ("run_b", "failed", 20, Some("h2")),
            ("run_d", "waiting", 30, None),
        ],
    );
    let ids = |query: RunQuery| -> Vec<String> {
        store.list_runs("ws", &RunQuery { limit: 10, ..query }).unwrap().into_iter().map(|r| r.id).collect()
    };
    assert_eq!(ids(RunQuery::default()), ["run_d", "run_b", "run_c", "run_a"]);
    assert_eq!(ids(RunQuery { status: Some("succeeded".into()), ..RunQuery::default() }), ["run_c", "run_a"]);
    assert_eq!(ids(RunQuery { hub: Some("h1".into()), ..RunQuery::default() }), ["run_c", "run_a"]);
    assert_eq!(ids(RunQuery { workflow: Some("other".into()), ..RunQuery::default() }), Vec::<String>::new());
    let window = RunQuery { started_from: Some(20), started_before: Some(30), ..RunQuery::default() };
    assert_eq!(ids(window), ["run_b", "run_c"]);
    let next_page = RunQuery { after: Some((20, "run_b".into())), ..RunQuery::default() };
    assert_eq!(ids(next_page), ["run_c", "run_a"]);
    // After a run the workspace does not have: nothing more of that millisecond.
    let unknown = RunQuery { after: Some((20, "run_x".into())), ..RunQuery::default() };
    assert_eq!(ids(unknown), ["run_a"]);
    let first_two = store.list_runs("ws", &RunQuery { limit: 2, ..RunQuery::default() }).unwrap();
    assert_eq!(first_two.len(), 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn cancelling_a_workflow_cancels_its_unfinished_runs_only_and_all_or_none() {
    let (store, dir) = temp_store("cancel");
    store_runs(
        &store,
        &[("run_p", "pending", 1, None), ("run_w", "waiting", 2, None), ("run_s", "succeeded", 3, None)],
    );
    // A state that cannot be rewritten cancels nothing.
    let refused = store.cancel_unfinished_runs("ws", "w", 50, |id, _| {
        if id == "run_w" {
            Err(StoreError::corrupt(format!("run `{id}`"), "refused"))
        } else {
            Ok("{}".to_string())
        }
    });
    assert!(refused.is_err());
    assert_eq!(store.run("ws", "run_p").unwrap().unwrap().status, "pending");
    store.cancel_unfinished_runs("ws", "w", 50, |id, state| Ok(format!("{id}:{state}"))).unwrap();
    for id in ["run_p", "run_w"] {
        let row = store.run("ws", id).unwrap().unwrap();
        assert_eq!(
            (row.status.as_str(), row.due_at, row.finished_at, row.state),
            ("cancelled", None, Some(50), format!("{id}:{{}}"))
        );
    }
    let done = store.run("ws", "run_s").unwrap().unwrap();
    assert_eq!((done.status.as_str(), done.finished_at), ("succeeded", None));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn replay_reads_finished_and_waiting_runs_of_a_workflow_with_their_start_contacts() {
    let (store, dir) = temp_store("replay");
    store
        .transaction(|tx| {
            for (id, status, started, contact) in [
                ("run_old", "succeeded", 5, None),
                ("run_s", "succeeded", 10, Some("{\"at\":\"start\"}")),
                ("run_f", "failed", 20, None),
                ("run_w", "waiting", 30, Some("{}")),
                ("run_p", "pending", 40, None),
                ("run_c", "cancelled", 50, None),
            ] {
                let run = RunRow {
                    status: status.into(),
                    started_at: started,
                    start_contact: contact.map(str::to_string),
                    ..sample_run(id)
                };
                insert_run(tx, &run)?;
            }
            Ok(())
        })
        .unwrap();
    let rows = store.replay_runs("ws", "w", 10, 10).unwrap();
    let got: Vec<(&str, Option<&str>)> =
        rows.iter().map(|r| (r.id.as_str(), r.start_contact.as_deref())).collect();
    assert_eq!(got, [("run_w", Some("{}")), ("run_f", None), ("run_s", Some("{\"at\":\"start\"}"))]);
    assert_eq!(store.replay_runs("ws", "w", i64::MIN, 1).unwrap().len(), 1);
    assert!(store.replay_runs("ws", "other", i64::MIN, 10).unwrap().is_empty());
    // The other reads do not carry the blob.
    assert_eq!(store.run("ws", "run_s").unwrap().unwrap().start_contact, None);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_cancelled_run_refuses_the_commit_of_a_claim_taken_before() {
    use crate::engine::store::RunCancel;
    let (store, dir) = temp_store("cancel_one");
    let run = sample_run("run_1");
    store.transaction(|tx| insert_run(tx, &run)).unwrap();
    // The scheduler claimed it at due time 5; the run is cancelled while it advances.
    let cancelled = store.cancel_run("ws", "run_1", 8, |id, state| Ok(format!("{id}:{state}"))).unwrap();
    assert_eq!(cancelled, RunCancel::Cancelled);
    let stale = store.transaction(|tx| update_run(tx, "run_1", Some(5), "succeeded", "{}", None, Some(9)));
    assert!(matches!(stale, Err(StoreError::Conflict { .. })), "{stale:?}");
    let row = store.run("ws", "run_1").unwrap().unwrap();
    assert_eq!(
        (row.status.as_str(), row.due_at, row.finished_at, row.state.as_str()),
        ("cancelled", None, Some(8), "run_1:{}")
    );
    // Again: finished, nothing changes; another workspace's or an unknown run: missing.
    let again = store.cancel_run("ws", "run_1", 9, |_, _| Ok("changed".into())).unwrap();
    assert_eq!(again, RunCancel::Finished { status: "cancelled".into() });
    assert_eq!(store.run("ws", "run_1").unwrap().unwrap().finished_at, Some(8));
    assert_eq!(store.cancel_run("other", "run_1", 9, |_, s| Ok(s.into())).unwrap(), RunCancel::Missing);
    assert_eq!(store.cancel_run("ws", "run_2", 9, |_, s| Ok(s.into())).unwrap(), RunCancel::Missing);
    // A state that cannot be rewritten cancels nothing.
    store.transaction(|tx| insert_run(tx, &sample_run("run_3"))).unwrap();
    let refused = store
        .cancel_run("ws", "run_3", 9, |id, _| Err(StoreError::corrupt(format!("run `{id}`"), "refused")));
    assert!(refused.is_err());
    assert_eq!(store.run("ws", "run_3").unwrap().unwrap().status, "pending");
    let _ = std::fs::remove_dir_all(dir);
}
