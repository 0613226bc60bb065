//! `komo store copy`: a store carried SQLite → Postgres → SQLite answers the API as the
//! original did (workflows and versions, every run and its record, contacts), and a
//! copied store serves on (its parked runs finish, new events start runs that list
//! first). A target that holds anything is refused and left as it was.
//!
//! The Postgres half is skipped (passing, with a message) where PostgreSQL is not
//! installed; `.ci/run` sets `KOMO_REQUIRE_POSTGRES=1`, which makes that a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::eventually;
use common::serve::komo;
use komo::cli::project::open_engine_with_clock;
use komo::engine::api::RunFilter;
use komo::engine::store::StoreLocation;
use komo::engine::{Clock, Engine, ManualClock};
use serde_json::{Value, json};

const WELCOME: &str = r#"/// Points now, a tag a day later.
workflow welcome {
  scope workspace
  trigger Contact.Identified
  loyalty.award_points(10)
  wait 1d
  contact.update(add_tags: ["welcomed"])
}
"#;

const LISTED: &str = r#"/// Runs to the end at once.
workflow listed {
  scope workspace
  trigger Contact.Identified
  contact.add_to_list("All")
}
"#;

const EVENTS: usize = 12;

fn envelope(i: usize) -> Vec<u8> {
    json!({ "id": format!("evt_{i}"), "type": "Contact.Identified", "occurred_at": "2026-11-29T09:00:00Z",
            "contact": { "email": format!("c{i}@example.com") }, "data": {} })
    .to_string()
    .into_bytes()
}

async fn open(dir: &Path, db: &StoreLocation, clock: &ManualClock) -> Arc<Engine> {
    Arc::new(open_engine_with_clock(dir, Some(db), Clock::from(clock.clone())).await.unwrap())
}

fn scheduler(engine: &Arc<Engine>) -> tokio::sync::watch::Sender<bool> {
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(Arc::clone(engine).run_scheduler(stopped));
    stop
}

/// What the API answers about the store: the workflows, every run (the list and each
/// record), and every contact.
async fn answers(engine: &Engine) -> Value {
    let workflows = serde_json::to_value(engine.workflows("acme").await.unwrap()).unwrap();
    let page = engine.runs("acme", &RunFilter { limit: Some(500), ..RunFilter::default() }).await.unwrap();
    let list = serde_json::to_value(&page).unwrap();
    let mut records = Vec::new();
    for run in list["runs"].as_array().unwrap() {
        let record = engine.run("acme", run["id"].as_str().unwrap()).await.unwrap();
        records.push(serde_json::to_value(record).unwrap());
    }
    let mut contacts = Vec::new();
    for i in 0..EVENTS {
        contacts.push(engine.contact_by_email("acme", &format!("c{i}@example.com")).await.unwrap());
    }
    let versions: Vec<Value> = engine
        .version_list("acme", "welcome")
        .await
        .unwrap()
        .into_iter()
        .map(|v| json!([v.version, v.trigger, v.created_at]))
        .collect();
    json!({ "workflows": workflows, "runs": list, "records": records, "contacts": contacts, "versions": versions })
}

/// `komo store copy --from --to`: exit code and stderr.
fn copy(dir: &Path, from: &str, to: &str) -> (Option<i32>, String) {
    let output = komo(dir, &["store", "copy", "--from", from, "--to", to]).output().unwrap();
    (output.status.code(), String::from_utf8_lossy(&output.stderr).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_copied_to_postgres_and_back_answers_the_same_and_serves_on() {
    let Some(cluster) = common::postgres::cluster() else { return };
    let dir = common::project(
        "store_copy",
        "round_trip",
        "acme",
        &[("welcome.komo", WELCOME), ("listed.komo", LISTED)],
    );
    let clock = common::manual_clock();
    let first = StoreLocation::Sqlite(dir.join("first.db"));

    // A store with every kind of row: versions (two of welcome), finished and parked
    // runs, contacts, events, a key.
    let engine = open(&dir, &first, &clock).await;
    let key = engine.create_key().await.unwrap();
    engine.activate("acme", "welcome").await.unwrap();
    engine.activate("acme", "listed").await.unwrap();
    engine.deactivate("acme", "welcome").await.unwrap();
    engine.activate("acme", "welcome").await.unwrap();
    let stop = scheduler(&engine);
    for i in 0..EVENTS {
        engine.ingest("acme", &envelope(i)).await.unwrap();
    }
    eventually("every run advanced", async || {
        let page =
            engine.runs("acme", &RunFilter { limit: Some(500), ..RunFilter::default() }).await.unwrap();
        let statuses: Vec<&str> = page.runs.iter().map(|r| r.status.as_str()).collect();
        (statuses.len() == 2 * EVENTS && statuses.iter().all(|s| *s == "succeeded" || *s == "waiting"))
            .then_some(())
            .ok_or(format!("{statuses:?}"))
    })
    .await;
    let _ = stop.send(true);
    let before = answers(&engine).await;
    assert_eq!(before["runs"]["runs"].as_array().unwrap().len(), 2 * EVENTS);
    drop(engine);
    tokio::time::sleep(Duration::from_millis(100)).await;

    // SQLite → Postgres → SQLite.
    let pg = cluster.fresh_database();
    let last = dir.join("last.db");
    let (code, stderr) = copy(&dir, first_path(&first), &pg);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains(&format!("runs         {}", 2 * EVENTS)), "{stderr}");
    let (code, stderr) = copy(&dir, &pg, last.to_str().unwrap());
    assert_eq!(code, Some(0), "{stderr}");

    // A non-empty target is refused, and left as it was.
    let (code, stderr) = copy(&dir, first_path(&first), &pg);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("is not empty"), "{stderr}");

    let on_pg = open(&dir, &StoreLocation::Postgres(pg.clone()), &clock).await;
    assert_eq!(answers(&on_pg).await, before, "Postgres copy");
    assert_eq!(on_pg.authenticate(&key).await.unwrap().as_deref(), Some("acme"), "keys are copied");
    let on_last = open(&dir, &StoreLocation::Sqlite(last), &clock).await;
    assert_eq!(answers(&on_last).await, before, "copied back to SQLite");
    drop(on_last);

    // The Postgres copy serves on: the parked runs finish a day later, and a new event's
    // runs list first.
    let stop = scheduler(&on_pg);
    clock.advance(Duration::from_secs(24 * 3600 + 1));
    eventually("the parked runs finished on the copy", async || {
        let page =
            on_pg.runs("acme", &RunFilter { status: Some("waiting".into()), ..RunFilter::default() }).await;
        page.unwrap().runs.is_empty().then_some(()).ok_or("runs still waiting")
    })
    .await;
    let contact = on_pg.contact_by_email("acme", "c0@example.com").await.unwrap();
    assert_eq!(contact["points"], 10, "{contact}");
    assert_eq!(contact["tags"], json!(["welcomed"]), "{contact}");
    let started = on_pg.ingest("acme", &envelope(EVENTS)).await.unwrap();
    assert_eq!(started.runs.len(), 2);
    let newest = on_pg.runs("acme", &RunFilter { limit: Some(2), ..RunFilter::default() }).await.unwrap();
    let mut newest: Vec<String> = newest.runs.iter().map(|r| r.id.clone()).collect();
    let mut new: Vec<String> = started.runs.iter().map(|r| r.id.clone()).collect();
    newest.sort();
    new.sort();
    assert_eq!(newest, new, "the new runs list first");
    let _ = stop.send(true);
}

fn first_path(location: &StoreLocation) -> &str {
    match location {
        StoreLocation::Sqlite(path) => path.to_str().unwrap(),
        StoreLocation::Postgres(url) => url,
    }
}

#[test]
fn a_copy_needs_two_stores_it_knows() {
    let dir = common::project("store_copy", "refusals", "acme", &[]);
    let (code, stderr) = copy(&dir, "mysql://h/db", "x.db");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("`--from mysql://h/db` is not a store komo knows"), "{stderr}");
    let (code, stderr) = copy(&dir, "a.db", "a.db");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("name the same store"), "{stderr}");
    assert!(!dir.join("a.db").exists(), "nothing is created when the copy is refused");
}
