//! The replay diff end to end: runs recorded by a real engine (on both stores) replayed
//! on a stored version and on a source text (`Engine::replay_diff`, the JSON report
//! snapshotted), the start contact each run keeps, and `komo replay` against a real
//! `komo serve` (its human output snapshotted).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::path::Path;
use std::sync::Arc;

use common::stores::Backend;
use common::{eventually, manual_clock};
use komo::engine::error::EngineError;
use komo::engine::replay::{Against, ReplayRequest};
use komo::engine::store::StoreLocation;
use komo::engine::{Clock, Engine, ManualClock};

/// Regulars (10 points or more when a run starts) go on a list; everyone gets 10
/// points, then waits three days for a tag.
const V1: &str = r#"workflow welcome {
  scope workspace
  trigger Contact.Identified
  if contact.points >= 10 {
    contact.add_to_list("Regulars")
  }
  step bonus = loyalty.award_points(10, reason: "welcome")
  wait 3d
  contact.update(add_tags: ["welcomed"])
}
"#;

/// Another list and more points.
fn v2() -> String {
    V1.replace("\"Regulars\"", "\"Loyal\"").replace("(10, reason", "(25, reason")
}

fn envelope(id: &str, email: &str) -> Vec<u8> {
    format!(r#"{{ "id": "{id}", "type": "Contact.Identified", "occurred_at": "2026-11-29T09:00:00Z", "contact": {{ "email": "{email}" }}, "data": {{ "source": "form" }} }}"#).into_bytes()
}

async fn open_on(dir: &Path, db: Option<&StoreLocation>, clock: &ManualClock) -> Arc<Engine> {
    Arc::new(komo::cli::project::open_engine_with_clock(dir, db, Clock::from(clock.clone())).await.unwrap())
}

/// Ingests one event and waits for its one run to park at `wait 3d`; its id.
async fn run_to_wait(engine: &Arc<Engine>, id: &str, email: &str) -> String {
    let run = engine.ingest("acme", &envelope(id, email)).await.unwrap().runs.remove(0).id;
    eventually(&format!("run {run} waits"), async || {
        let record = engine.run("acme", &run).await.unwrap();
        if record.status.as_str() == "waiting" { Ok(()) } else { Err(record.status.as_str()) }
    })
    .await;
    run
}

async fn replay(engine: &Engine, against: Against) -> Result<serde_json::Value, EngineError> {
    let request = ReplayRequest { against, since: None, limit: None };
    engine.replay_diff("acme", "welcome", &request).await.map(|r| serde_json::to_value(r).unwrap())
}

/// The report with the runs' random ids as `run_1`, `run_2`, … (in the order given).
fn named(report: &serde_json::Value, runs: &[&str]) -> serde_json::Value {
    let mut text = report.to_string();
    for (i, id) in runs.iter().enumerate() {
        text = text.replace(id, &format!("run_{}", i + 1));
    }
    serde_json::from_str(&text).unwrap()
}

both_stores!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    recorded_runs_replay_on_a_version_and_on_a_source_from_their_start_contacts
);
async fn recorded_runs_replay_on_a_version_and_on_a_source_from_their_start_contacts(backend: Backend) {
    let dir = common::project("replay", &format!("engine-{backend}"), "acme", &[("welcome.komo", V1)]);
    let db = backend.location(&dir);
    let clock = manual_clock();
    let engine = open_on(&dir, db.as_ref(), &clock).await;
    engine.activate("acme", "welcome").await.unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(Arc::clone(&engine).run_scheduler(stopped));
    // Ana twice (a regular the second time: she has 10 points by then), Bob once.
    let ana_1 = run_to_wait(&engine, "e1", "ana@example.com").await;
    let ana_2 = run_to_wait(&engine, "e2", "ana@example.com").await;
    let bob = run_to_wait(&engine, "e3", "bob@example.com").await;
    stop.send(true).unwrap();

    // On its own version nothing changes: each run starts from the contact as it was
    // (Ana has 20 points now; from those her first run would have joined the list).
    let same = replay(&engine, Against::Version(1)).await.unwrap();
    assert_eq!(same["against"], "v1");
    assert_eq!(same["totals"]["runs"], 3, "{same:#}");
    assert_eq!(same["totals"]["unchanged"], 3, "{same:#}");
    let sources: Vec<&str> =
        same["runs"].as_array().unwrap().iter().map(|r| r["contact"].as_str().unwrap()).collect();
    assert_eq!(sources, ["snapshot", "snapshot", "snapshot"]);

    // On the edited source: other points for everyone, another list for Ana's second run.
    let report = replay(&engine, Against::Source(v2())).await.unwrap();
    insta::assert_json_snapshot!("replay_report_on_a_source", named(&report, &[&ana_1, &ana_2, &bob]));

    // A source with errors is refused with its diagnostics, as activation refuses it.
    let broken = V1.replace("trigger Contact.Identified", "trigger Contact.Identifed");
    match replay(&engine, Against::Source(broken)).await {
        Err(EngineError::Refused { diagnostics }) => {
            assert_eq!(diagnostics["diagnostics"][0]["code"], "K0301", "{diagnostics:#}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }

    // A run recorded without a start contact (as before it was kept) replays from the
    // event's identity: no points, so not a regular, and the report says so.
    let forget = format!("UPDATE runs SET start_contact = NULL WHERE id = '{ana_2}'");
    match &db {
        Some(StoreLocation::Postgres(url)) => {
            common::stores::psql(url, &forget);
        }
        _ => {
            let file = dir.join(".komo/komo.db");
            rusqlite::Connection::open(file).unwrap().execute(&forget, []).unwrap();
        }
    }
    let forgotten = replay(&engine, Against::Version(1)).await.unwrap();
    let run = forgotten["runs"].as_array().unwrap().iter().find(|r| r["run"] == ana_2.as_str()).unwrap();
    assert_eq!(run["contact"], "identity", "{forgotten:#}");
    assert_eq!(
        run["changes"],
        serde_json::json!([{ "kind": "step_removed", "step": "add_to_list_1", "action": "contact.add_to_list" }])
    );
    assert_eq!(forgotten["totals"]["without_contact_snapshot"], 1);
}

/// Internal actions only (activation needs no connector), no wait.
const SERVED: &str = r#"workflow welcome {
  scope workspace
  trigger Contact.Identified
  step bonus = loyalty.award_points(10, reason: "welcome")
  contact.add_to_list("New Users")
}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn komo_replay_prints_the_diff_of_a_real_servers_runs() {
    let dir = common::project("replay", "cli", "acme", &[("welcome.komo", SERVED)]);
    let created = common::komo(&dir, &["keys", "create"]);
    assert!(created.status.success(), "{}", common::stderr(&created));
    let key = common::stdout(&created).trim().to_owned();
    let log = common::serve::Log::default();
    let server = common::serve::Server::start(&dir, &[], "serve", &log).await;
    let api = common::serve::Api::new(&reqwest::Client::new(), &server.address, &key);
    let (status, body) = api.try_send("POST", "/v1/workflows/welcome/activate", None).await.unwrap();
    assert_eq!(status, 200, "{body}");
    let mut runs = Vec::new();
    for (id, email) in [("e1", "ana@example.com"), ("e2", "bob@example.com")] {
        let envelope = String::from_utf8(envelope(id, email)).unwrap();
        let (status, answer) = api.try_send("POST", "/v1/events", Some(envelope)).await.unwrap();
        assert_eq!(status, 202, "{answer}");
        let run = answer["runs"][0]["id"].as_str().unwrap().to_owned();
        eventually(&format!("run {run} succeeds"), async || {
            let record = api.get(&format!("/v1/runs/{run}")).await;
            if record["status"] == "succeeded" { Ok(()) } else { Err(record["status"].clone()) }
        })
        .await;
        runs.push(run);
    }
    let url = server.base();
    let replay = |args: &[&str]| {
        let mut command = common::komo_command(&dir, &["replay", "welcome"]);
        command.args(args).args(["--server", &url]).env("KOMO_KEY", &key);
        command.output().unwrap()
    };
    common::write(
        &dir,
        "edited.komo",
        SERVED.replace("(10,", "(20,").replace("\"New Users\"", "\"Members\""),
    );

    // JSON for CI: the report, every run in it.
    let json = replay(&["--against", "edited.komo", "--format", "json"]);
    assert!(json.status.success(), "{}", common::stderr(&json));
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!((report["format_version"].as_i64(), report["against"].as_str()), (Some(1), Some("source")));
    assert_eq!(report["totals"]["changed"], 2, "{report:#}");

    // The human form, with the runs' ids and start times made stable.
    let human = replay(&["--against", "edited.komo"]);
    assert_eq!(human.status.code(), Some(0), "{}", common::stderr(&human));
    let mut text = common::stdout(&human);
    for (i, run) in runs.iter().enumerate() {
        text = text.replace(run.as_str(), &format!("run_{}", i + 1));
    }
    for run in report["runs"].as_array().unwrap() {
        text = text.replace(run["started_at"].as_str().unwrap(), "[started]");
    }
    insta::assert_snapshot!("komo_replay_human", text);

    // On its own version nothing changes; --fail-on-change fails only on a change.
    let same = replay(&["--against", "v1", "--fail-on-change"]);
    assert_eq!(same.status.code(), Some(0), "{}", common::stderr(&same));
    assert_eq!(common::stdout(&same), "2 runs of `welcome` replayed on v1: 0 changed, 2 unchanged\n");
    let changed = replay(&["--against", "edited.komo", "--fail-on-change", "--limit", "1"]);
    assert_eq!(changed.status.code(), Some(1), "{}", common::stderr(&changed));
    assert!(common::stdout(&changed).contains("1 run of `welcome` replayed on source: 1 changed"));

    // A file with errors: its diagnostics, exit 1; no such version: exit 1.
    common::write(&dir, "broken.komo", SERVED.replace("Contact.Identified", "Contact.Identifed"));
    let broken = replay(&["--against", "broken.komo"]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(common::stderr(&broken).contains("error[K0301]"), "{}", common::stderr(&broken));
    let missing = replay(&["--against", "v9"]);
    assert_eq!(missing.status.code(), Some(1), "{}", common::stderr(&missing));
    let unreadable = replay(&["--against", "nowhere.komo"]);
    assert_eq!(unreadable.status.code(), Some(2), "{}", common::stderr(&unreadable));
}

/// Started by the list add of `welcome_listed` (an event the engine causes).
const CAUSED: &str = r#"workflow welcome_listed {
  scope workspace
  trigger Contact.Identified
  contact.add_to_list("New Users")
}

workflow listed {
  scope workspace
  trigger Contact.ListAdded where event.list == "New Users"
  if contact.points == 0 {
    contact.update(add_tags: ["listed"])
  }
  loyalty.award_points(5)
}
"#;

both_stores!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    a_run_a_caused_event_started_keeps_the_contact_its_cause_left
);
async fn a_run_a_caused_event_started_keeps_the_contact_its_cause_left(backend: Backend) {
    let dir = common::project("replay", &format!("caused-{backend}"), "acme", &[("caused.komo", CAUSED)]);
    let clock = manual_clock();
    let engine = open_on(&dir, backend.location(&dir).as_ref(), &clock).await;
    engine.activate("acme", "welcome_listed").await.unwrap();
    engine.activate("acme", "listed").await.unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(Arc::clone(&engine).run_scheduler(stopped));
    engine.ingest("acme", &envelope("e1", "ana@example.com")).await.unwrap();
    let listed = eventually("the caused run succeeds", async || {
        let page = engine
            .runs(
                "acme",
                &komo::engine::api::RunFilter { workflow: Some("listed".into()), ..Default::default() },
            )
            .await
            .unwrap();
        match page.runs.first() {
            Some(run) if run.status == "succeeded" => Ok(run.id.clone()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    stop.send(true).unwrap();
    // Replayed from the contact its cause left (0 points then; 5 now), it changes nothing.
    let request = ReplayRequest { against: Against::Version(1), since: None, limit: None };
    let report = serde_json::to_value(engine.replay_diff("acme", "listed", &request).await.unwrap()).unwrap();
    assert_eq!(report["runs"][0]["run"], listed.as_str(), "{report:#}");
    assert_eq!(report["runs"][0]["contact"], "snapshot", "{report:#}");
    assert_eq!(report["totals"]["unchanged"], 1, "{report:#}");
}
