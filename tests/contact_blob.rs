//! A contact whose stored state cannot be read (a row corrupted by hand) fails the step
//! that needs it, with an error naming the contact and what is wrong, and the row is
//! left exactly as it was: on ingest, on a run resumed after a wait, and on a run that a
//! caused event started. Never "the run has no contact", never a fresh contact saved
//! over the stored one. The engine runs on a manual clock, moved past the waits. Each
//! test runs on both stores (`common::stores`): the row is corrupted with `rusqlite` in
//! the SQLite file, with `psql` in the Postgres database.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::eventually;
use common::stores::{self, Backend};
use komo::engine::store::StoreLocation;
use komo::engine::{Clock, Engine, ManualClock};
use serde_json::Value;

const WORKFLOWS: &str = r#"
workflow welcome {
  scope workspace
  trigger Contact.Identified
  contact.add_to_list("New Users")
  wait 400ms
  loyalty.award_points(10)
}

workflow scored {
  scope workspace
  trigger Gameplay.Ended
  loyalty.award_points(event.score ?? 1)
}

workflow listed {
  scope workspace
  trigger Contact.ListAdded where event.list == "New Users"
  wait 400ms
  contact.update(add_tags: ["listed"])
}
"#;

/// The waits in `WORKFLOWS`.
const WAIT: Duration = Duration::from_millis(400);

const GARBAGE: &str = "{ not json";

fn project(test: &str, backend: Backend) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("komo-blob-{test}-{backend}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("workflows")).unwrap();
    std::fs::write(dir.join("komo.toml"), "[workspace]\nid = \"acme\"\n").unwrap();
    std::fs::write(dir.join("workflows/main.komo"), WORKFLOWS).unwrap();
    dir
}

fn db(file: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(file).unwrap()
}

/// Overwrites the stored state of the contact with `email` with [`GARBAGE`]; its id.
fn corrupt(store: &StoreLocation, email: &str) -> String {
    match store {
        StoreLocation::Sqlite(file) => {
            let conn = db(file);
            conn.execute("UPDATE contacts SET data = ?1 WHERE email = ?2", rusqlite::params![GARBAGE, email])
                .unwrap();
            conn.query_row("SELECT id FROM contacts WHERE email = ?1", [email], |r| r.get(0)).unwrap()
        }
        StoreLocation::Postgres(url) => {
            stores::psql(url, &format!("UPDATE contacts SET data = '{GARBAGE}' WHERE email = '{email}'"));
            stores::psql(url, &format!("SELECT id FROM contacts WHERE email = '{email}'"))
                .trim_end()
                .to_owned()
        }
    }
}

/// The stored state of contact `id`, as it is in the store.
fn stored(store: &StoreLocation, id: &str) -> String {
    match store {
        StoreLocation::Sqlite(file) => {
            db(file).query_row("SELECT data FROM contacts WHERE id = ?1", [id], |r| r.get(0)).unwrap()
        }
        StoreLocation::Postgres(url) => {
            let data = stores::psql(url, &format!("SELECT data FROM contacts WHERE id = '{id}'"));
            data.strip_suffix('\n').unwrap_or(&data).to_owned()
        }
    }
}

async fn ingest(engine: &Engine, body: Value) -> Vec<(String, String)> {
    let answer = engine.ingest("acme", body.to_string().as_bytes()).await.unwrap();
    answer.runs.into_iter().map(|r| (r.workflow, r.id)).collect()
}

fn created(id: &str, email: &str) -> Value {
    serde_json::json!({ "id": id, "type": "Contact.Identified", "occurred_at": "2026-11-29T09:00:00Z",
        "contact": { "email": email }, "data": { "source": "test" } })
}

async fn record_when(engine: &Engine, run: &str, status: &str) -> Value {
    eventually(&format!("run {run} is {status}"), async || {
        let record = serde_json::to_value(engine.run("acme", run).await.unwrap()).unwrap();
        if record["status"] == status { Ok(record) } else { Err(record["status"].clone()) }
    })
    .await
}

struct Opened {
    /// The store the engine is on.
    db: StoreLocation,
    engine: Arc<Engine>,
    clock: ManualClock,
    stop: tokio::sync::watch::Sender<bool>,
}

async fn open(test: &str, backend: Backend) -> Opened {
    let dir = project(test, backend);
    let db = backend.location(&dir).unwrap();
    let clock = common::manual_clock();
    let engine = Arc::new(
        komo::cli::project::open_engine_with_clock(&dir, Some(&db), Clock::from(clock.clone()))
            .await
            .unwrap(),
    );
    for wf in ["welcome", "scored", "listed"] {
        engine.activate("acme", wf).await.unwrap();
    }
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(Arc::clone(&engine).run_scheduler(stopped));
    Opened { db, engine, clock, stop }
}

/// The step failed for the unreadable contact, and said which and why.
fn assert_failed_on_contact(record: &Value, step: &str, contact: &str) {
    assert_eq!(record["status"], "failed", "{record:#}");
    let failed = record["steps"].as_array().unwrap().iter().find(|s| s["name"] == step).unwrap();
    assert_eq!(failed["status"], "failed", "{record:#}");
    assert_eq!(failed["error"]["kind"], "contact_unreadable", "{record:#}");
    let message = failed["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("contact `{contact}` cannot be read"))
            && message.contains("not valid")
            && message.contains("left as it is"),
        "{message}"
    );
    assert!(!message.contains("has no contact"), "{message}");
}

both_stores!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    ingest_for_an_unreadable_contact_fails_its_steps_and_leaves_the_row
);
async fn ingest_for_an_unreadable_contact_fails_its_steps_and_leaves_the_row(backend: Backend) {
    let Opened { db, engine, clock, stop } = open("ingest", backend).await;
    let (_, first) = ingest(&engine, created("e1", "ana@example.com")).await.remove(0);
    record_when(&engine, &first, "waiting").await;
    clock.advance(WAIT);
    record_when(&engine, &first, "succeeded").await;
    let id = corrupt(&db, "ana@example.com");

    let event = serde_json::json!({ "id": "e2", "type": "Gameplay.Ended", "occurred_at": "2026-11-29T09:00:00Z",
        "contact": { "email": "ana@example.com" },
        "hub": { "id": "h", "name": "H" }, "card": { "id": "c", "name": "C", "type": "Quiz" },
        "data": { "completed": true, "duration": "1m", "score": 5 } });
    let runs = ingest(&engine, event).await;
    assert_eq!(runs.len(), 1, "the event is stored and its run started: {runs:?}");
    let record = record_when(&engine, &runs[0].1, "failed").await;
    assert_failed_on_contact(&record, "award_points_1", &id);
    assert_eq!(stored(&db, &id), GARBAGE, "the row is untouched");
    // The API says what is wrong instead of showing an empty contact.
    let error = engine.contact("acme", &id).await.unwrap_err().to_string();
    assert!(error.contains("cannot be read"), "{error}");
    stop.send(true).unwrap();
}

both_stores!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    a_run_resumed_after_a_wait_fails_on_an_unreadable_contact_and_leaves_the_row
);
async fn a_run_resumed_after_a_wait_fails_on_an_unreadable_contact_and_leaves_the_row(backend: Backend) {
    let Opened { db, engine, clock, stop } = open("resume", backend).await;
    let runs = ingest(&engine, created("e1", "bo@example.com")).await;
    let welcome = runs.iter().find(|(w, _)| w == "welcome").unwrap().1.clone();
    record_when(&engine, &welcome, "waiting").await;
    let id = corrupt(&db, "bo@example.com");
    clock.advance(WAIT);
    let record = record_when(&engine, &welcome, "failed").await;
    assert_failed_on_contact(&record, "award_points_1", &id);
    assert_eq!(stored(&db, &id), GARBAGE);
    stop.send(true).unwrap();
}

both_stores!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    a_run_started_by_a_caused_event_fails_on_an_unreadable_contact_and_leaves_the_row
);
async fn a_run_started_by_a_caused_event_fails_on_an_unreadable_contact_and_leaves_the_row(backend: Backend) {
    let Opened { db, engine, clock, stop } = open("caused", backend).await;
    let runs = ingest(&engine, created("e1", "cy@example.com")).await;
    let welcome = runs.iter().find(|(w, _)| w == "welcome").unwrap().1.clone();
    // welcome's list add raised Contact.ListAdded, which started `listed` (now waiting).
    let listed = eventually("welcome caused a run", async || {
        engine.run("acme", &welcome).await.unwrap().caused_runs.first().map(|run| run.id.clone())
    })
    .await;
    record_when(&engine, &listed, "waiting").await;
    let id = corrupt(&db, "cy@example.com");
    clock.advance(WAIT);
    let record = record_when(&engine, &listed, "failed").await;
    assert_eq!(record["caused_by"]["run"], welcome.as_str());
    assert_failed_on_contact(&record, "update_1", &id);
    assert_eq!(stored(&db, &id), GARBAGE);
    stop.send(true).unwrap();
}
