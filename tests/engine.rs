//! The engine end to end on a real store, each test on both (a SQLite file and a
//! Postgres database, `common::stores`): lifecycle, ingest and matching, durable runs
//! through the scheduler, restarts, exactly-once internal effects. Tests whose runs
//! `wait` run the engine on a manual clock and advance it past the wait.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use common::stores::Backend;
use common::{eventually, manual_clock};
use komo::cli::project::open_engine;
use komo::engine::api::RunFilter;
use komo::engine::error::EngineError;
use komo::engine::store::StoreLocation;
use komo::engine::{Clock, Engine, ManualClock};

/// A project for the test on `backend` (each variant of a test has its own directory).
fn project(test: &str, backend: Backend, workflows: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("komo-engine-{test}-{backend}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("workflows")).unwrap();
    std::fs::write(dir.join("komo.toml"), "[workspace]\nid = \"acme\"\n").unwrap();
    std::fs::write(dir.join("workflows/main.komo"), workflows).unwrap();
    dir
}

const WORKFLOWS: &str = r#"
/// Welcome every new contact.
workflow welcome {
  scope workspace
  trigger Contact.Identified
  contact.add_to_list("New Users")
  step award = loyalty.award_points(50, reason: "welcome")
  wait 1s
  contact.update(add_tags: ["balance-${award.balance}"])
}

workflow sports_only {
  scope hub "sports"
  trigger Gameplay.Ended where event.completed
  loyalty.award_points(event.score ?? 1)
}
"#;

fn envelope(id: &str, email: &str) -> Vec<u8> {
    format!(r#"{{ "id": "{id}", "type": "Contact.Created", "occurred_at": "2026-11-29T09:00:00Z", "contact": {{ "email": "{email}" }}, "data": {{ "source": "form" }} }}"#).into_bytes()
}

/// The run's record once its status is `status`.
async fn wait_for(engine: &Engine, run: &str, status: &str) -> serde_json::Value {
    eventually(&format!("run {run} is {status}"), async || {
        let record = serde_json::to_value(engine.run("acme", run).await.unwrap()).unwrap();
        if record["status"] == status { Ok(record) } else { Err(record["status"].clone()) }
    })
    .await
}

/// The engine of `dir` on the store `db`, on `clock`.
async fn open_on(dir: &Path, db: Option<&StoreLocation>, clock: &ManualClock) -> Arc<Engine> {
    Arc::new(komo::cli::project::open_engine_with_clock(dir, db, Clock::from(clock.clone())).await.unwrap())
}

fn start_scheduler(engine: &Arc<Engine>) -> tokio::sync::watch::Sender<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(Arc::clone(engine).run_scheduler(rx));
    tx
}

both_stores!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    an_event_runs_the_active_workflows_durably
);
async fn an_event_runs_the_active_workflows_durably(backend: Backend) {
    let dir = project("durable", backend, WORKFLOWS);
    let clock = manual_clock();
    let engine = open_on(&dir, backend.location(&dir).as_ref(), &clock).await;
    let drafts = engine.workflows("acme").await.unwrap();
    assert_eq!(drafts.iter().map(|w| w.status.as_str()).collect::<Vec<_>>(), vec!["draft", "draft"]);
    // Drafts start nothing.
    assert!(engine.ingest("acme", &envelope("e0", "zoe@example.com")).await.unwrap().runs.is_empty());

    let active = engine.activate("acme", "welcome").await.unwrap();
    assert_eq!(active.summary.version, Some(1));
    let stop = start_scheduler(&engine);
    let answer = engine.ingest("acme", &envelope("e1", "ana@example.com")).await.unwrap();
    assert_eq!(answer.runs.len(), 1);
    let again = engine.ingest("acme", &envelope("e1", "ana@example.com")).await.unwrap();
    assert!(again.duplicate && again.runs.is_empty());

    // Parked at `wait 1s` until the clock says a second has passed.
    let parked = wait_for(&engine, &answer.runs[0].id, "waiting").await;
    assert_eq!(parked["waits"][0]["until"], "2026-11-29T09:00:01.000Z", "{parked:#}");
    clock.advance(Duration::from_secs(1));
    let record = wait_for(&engine, &answer.runs[0].id, "succeeded").await;
    assert_eq!(record["steps"][1]["output"]["balance"], 50);
    let contact = engine.contact_by_email("acme", "ana@example.com").await.unwrap();
    assert_eq!(contact["points"], 50);
    assert_eq!(contact["lists"], serde_json::json!(["New Users"]));
    assert_eq!(contact["tags"], serde_json::json!(["balance-50"]));
    stop.send(true).unwrap();
}

both_stores!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    a_parked_run_survives_a_restart_and_acts_exactly_once
);
async fn a_parked_run_survives_a_restart_and_acts_exactly_once(backend: Backend) {
    let dir = project("restart", backend, WORKFLOWS);
    let db = backend.location(&dir);
    let clock = manual_clock();
    let engine = open_on(&dir, db.as_ref(), &clock).await;
    engine.activate("acme", "welcome").await.unwrap();
    let run = engine.ingest("acme", &envelope("e1", "kim@example.com")).await.unwrap().runs.remove(0);
    // Advance it to the wait, then "crash" (drop the engine without finishing).
    let stop = start_scheduler(&engine);
    wait_for(&engine, &run.id, "waiting").await;
    stop.send(true).unwrap();
    drop(engine);
    // The wait passes while the engine is down: the restarted one resumes the run once.
    clock.advance(Duration::from_secs(2));

    let engine = open_on(&dir, db.as_ref(), &clock).await;
    let stop = start_scheduler(&engine);
    wait_for(&engine, &run.id, "succeeded").await;
    let contact = engine.contact_by_email("acme", "kim@example.com").await.unwrap();
    assert_eq!(contact["points"], 50, "the award before the wait applied once");
    stop.send(true).unwrap();
}

both_stores!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    deactivating_cancels_a_waiting_run_and_its_record_says_why
);
async fn deactivating_cancels_a_waiting_run_and_its_record_says_why(backend: Backend) {
    let dir = project("deactivate", backend, WORKFLOWS);
    let clock = manual_clock();
    let engine = open_on(&dir, backend.location(&dir).as_ref(), &clock).await;
    engine.activate("acme", "welcome").await.unwrap();
    let stop = start_scheduler(&engine);
    let run = engine.ingest("acme", &envelope("e1", "lia@example.com")).await.unwrap().runs.remove(0);
    wait_for(&engine, &run.id, "waiting").await;
    engine.deactivate("acme", "welcome").await.unwrap();
    let record = wait_for(&engine, &run.id, "cancelled").await;
    assert_eq!(
        record["lifecycle"],
        serde_json::json!([{ "kind": "cancelled", "at": "2026-11-29T09:00:00.000Z", "by": "when its workflow was deactivated" }]),
        "{record:#}"
    );
    // The wait passing does not bring it back.
    clock.advance(Duration::from_secs(2));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let record = serde_json::to_value(engine.run("acme", &run.id).await.unwrap()).unwrap();
    assert_eq!(record["status"], "cancelled");
    assert_eq!(record["steps"][2]["status"], "skipped", "the step after the wait never ran");
    stop.send(true).unwrap();
}

both_stores!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    cancelling_a_waiting_run_ends_it_for_good
);
async fn cancelling_a_waiting_run_ends_it_for_good(backend: Backend) {
    let dir = project("cancel", backend, WORKFLOWS);
    let clock = manual_clock();
    let engine = open_on(&dir, backend.location(&dir).as_ref(), &clock).await;
    engine.activate("acme", "welcome").await.unwrap();
    let stop = start_scheduler(&engine);
    let run = engine.ingest("acme", &envelope("e1", "noa@example.com")).await.unwrap().runs.remove(0);
    let other = engine.ingest("acme", &envelope("e2", "max@example.com")).await.unwrap().runs.remove(0);
    wait_for(&engine, &run.id, "waiting").await;
    wait_for(&engine, &other.id, "waiting").await;

    let record = serde_json::to_value(engine.cancel_run("acme", &run.id).await.unwrap()).unwrap();
    assert_eq!(record["status"], "cancelled", "{record:#}");
    assert_eq!(record["finished_at"], "2026-11-29T09:00:00.000Z");
    assert_eq!(
        record["lifecycle"],
        serde_json::json!([{ "kind": "cancelled", "at": "2026-11-29T09:00:00.000Z", "by": "through the API" }]),
    );

    // The wait passing resumes the other run, never the cancelled one.
    clock.advance(Duration::from_secs(2));
    wait_for(&engine, &other.id, "succeeded").await;
    let record = serde_json::to_value(engine.run("acme", &run.id).await.unwrap()).unwrap();
    assert_eq!(record["status"], "cancelled");
    assert_eq!(record["steps"][2]["status"], "skipped", "the step after the wait never ran");
    let noa = engine.contact_by_email("acme", "noa@example.com").await.unwrap();
    assert_eq!(noa["tags"], serde_json::json!([]), "{noa:#}");

    // Finished runs, cancelled or not, cannot be cancelled; unknown runs are not found.
    for finished in [&run.id, &other.id] {
        match engine.cancel_run("acme", finished).await {
            Err(EngineError::Conflict(refusal)) => {
                assert!(refusal.to_string().contains("has finished"), "{refusal}")
            }
            other => panic!("{other:?}"),
        }
    }
    let again = engine.cancel_run("acme", &run.id).await.unwrap_err();
    assert_eq!(
        again.to_string(),
        format!("run `{}` has finished (cancelled); only a pending or waiting run can be cancelled", run.id)
    );
    assert!(matches!(engine.cancel_run("acme", "run_nope").await, Err(EngineError::NotFound(_))));
    assert!(
        matches!(engine.cancel_run("other_ws", &other.id).await, Err(EngineError::NotFound(_))),
        "another workspace's run is not found"
    );
    stop.send(true).unwrap();
}

both_stores!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    matching_applies_scope_and_the_filter
);
async fn matching_applies_scope_and_the_filter(backend: Backend) {
    let dir = project("matching", backend, WORKFLOWS);
    let engine = open_engine(&dir, backend.location(&dir).as_ref()).await.unwrap();
    engine.activate("acme", "sports_only").await.unwrap();
    let ended = |id: &str, hub: &str, completed: bool| {
        format!(r#"{{ "id": "{id}", "type": "Gameplay.Ended", "occurred_at": "2026-11-29T09:00:00Z", "contact": {{ "email": "a@example.com" }}, "hub": {{ "id": "{hub}", "name": "H" }}, "card": {{ "id": "c", "name": "C", "type": "Quiz" }}, "data": {{ "completed": {completed}, "duration": "1m", "score": 5 }} }}"#).into_bytes()
    };
    assert_eq!(engine.ingest("acme", &ended("a", "sports", true)).await.unwrap().runs.len(), 1);
    assert!(engine.ingest("acme", &ended("b", "music", true)).await.unwrap().runs.is_empty(), "other hub");
    assert!(
        engine.ingest("acme", &ended("c", "sports", false)).await.unwrap().runs.is_empty(),
        "filter false"
    );
}

both_stores!(
    #[tokio::test]
    bad_input_is_refused_and_nothing_is_stored
);
async fn bad_input_is_refused_and_nothing_is_stored(backend: Backend) {
    let dir = project("refused", backend, WORKFLOWS);
    let engine = open_engine(&dir, backend.location(&dir).as_ref()).await.unwrap();
    engine.activate("acme", "welcome").await.unwrap();
    let bad = br#"{ "id": "x", "type": "Contact.Identified", "occurred_at": "2026-11-29T09:00:00Z", "data": { "source": 42 } }"#;
    match engine.ingest("acme", bad).await {
        Err(EngineError::Invalid { field, .. }) => assert_eq!(field.as_deref(), Some("data.source")),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        engine.ingest("acme", "[".repeat(10_000).as_bytes()).await,
        Err(EngineError::BadRequest(_))
    ));
    assert!(matches!(engine.ingest("acme", b"not json").await, Err(EngineError::BadRequest(_))));
    assert!(engine.runs("acme", &RunFilter::default()).await.unwrap().runs.is_empty());
}

both_stores!(
    #[tokio::test]
    lifecycle_and_activation_refusals
);
async fn lifecycle_and_activation_refusals(backend: Backend) {
    let dir = project("lifecycle", backend, WORKFLOWS);
    let engine = open_engine(&dir, backend.location(&dir).as_ref()).await.unwrap();
    assert!(matches!(engine.pause("acme", "welcome").await, Err(EngineError::Conflict(_))));
    engine
        .save_draft(
            "acme",
            "broken",
            "workflow broken {\n  scope workspace\n  trigger Contact.Identifed\n}\n",
        )
        .await
        .unwrap();
    match engine.activate("acme", "broken").await {
        Err(EngineError::Refused { diagnostics }) => {
            assert_eq!(diagnostics["diagnostics"][0]["code"], "K0301")
        }
        other => panic!("{other:?}"),
    }
    let email = "workflow mailer {\n  scope workspace\n  trigger Contact.Identified\n  contact.send_email(template: \"t\", to: \"a@example.com\")\n}\n";
    engine.save_draft("acme", "mailer", email).await.unwrap();
    assert!(
        matches!(engine.activate("acme", "mailer").await, Err(EngineError::Invalid { .. })),
        "no email connector yet"
    );
    engine.activate("acme", "welcome").await.unwrap();
    assert_eq!(engine.pause("acme", "welcome").await.unwrap().summary.status.as_str(), "paused");
    assert_eq!(engine.resume("acme", "welcome").await.unwrap().summary.status.as_str(), "active");
    assert_eq!(engine.deactivate("acme", "welcome").await.unwrap().summary.status.as_str(), "inactive");
    let copy = engine.clone_workflow("acme", "welcome", None).await.unwrap();
    assert_eq!((copy.summary.name.as_str(), copy.summary.status.as_str()), ("welcome_copy", "draft"));
    assert!(copy.source.contains("workflow welcome_copy {"));
    assert!(matches!(engine.workflow("acme", "nope").await, Err(EngineError::NotFound(_))));
}

both_stores!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    a_signed_webhook_runs_its_workflow_and_a_bad_signature_is_refused
);
async fn a_signed_webhook_runs_its_workflow_and_a_bad_signature_is_refused(backend: Backend) {
    use base64::Engine as _;
    use hmac::{KeyInit, Mac};
    let var = format!("KOMO_TEST_HOOK_SECRET_{}_{}", backend.name().to_uppercase(), std::process::id());
    let key = b"partner secret";
    let secret = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(key));
    // SAFETY: set once, before any engine reads it; the name is unique to this test (and
    // to its backend: both variants run at once).
    #[allow(unsafe_code)]
    unsafe {
        std::env::set_var(&var, &secret)
    };
    let dir = project(
        "hooks",
        backend,
        "workflow inbound {\n  scope workspace\n  trigger Webhook.Received\n  let order = event.body.order as Int\n  if order > 0 {\n    stop\n  }\n  fail \"no order\"\n}\n",
    );
    std::fs::write(
        dir.join("komo.toml"),
        format!("[workspace]\nid = \"acme\"\n\n[webhooks]\nsecret = {{ env = \"{var}\" }}\n"),
    )
    .unwrap();
    let clock = manual_clock();
    let engine = open_on(&dir, backend.location(&dir).as_ref(), &clock).await;
    engine.activate("acme", "inbound").await.unwrap();
    let stop = start_scheduler(&engine);
    let body = br#"{"order": 42}"#;
    let now = clock.now().as_second();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(format!("msg_1.{now}.").as_bytes());
    mac.update(body);
    let signature =
        format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()));
    let headers = |sig: &str| {
        [("webhook-id", "msg_1"), ("webhook-timestamp", &now.to_string()), ("webhook-signature", sig)]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    assert!(matches!(
        engine.hook("inbound", &headers("v1,AAAA"), body).await,
        Err(EngineError::Unauthorized(_))
    ));
    let started = engine.hook("inbound", &headers(&signature), body).await.unwrap();
    assert_eq!(started.runs.len(), 1);
    // The same signed request more than 5 minutes later is refused (a replay).
    clock.advance(Duration::from_secs(5 * 60 + 1));
    assert!(matches!(
        engine.hook("inbound", &headers(&signature), body).await,
        Err(EngineError::Unauthorized(_))
    ));
    let record = wait_for(&engine, &started.runs[0].id, "succeeded").await;
    assert_eq!(record["event"]["body"]["order"], 42);
    assert!(record["event"]["headers"].get("webhook-signature").is_none(), "the signature is not kept");
    stop.send(true).unwrap();
}

both_stores!(
    #[tokio::test]
    platform_events_are_adapted_and_unmapped_ones_recorded
);
async fn platform_events_are_adapted_and_unmapped_ones_recorded(backend: Backend) {
    let dir = project(
        "platform",
        backend,
        "workflow entries {\n  scope hub \"s1\"\n  trigger Gameplay.DataCaptured\n  form { optin: Bool }\n  if event.fields.optin {\n    contact.add_to_list(\"Opted in\")\n  }\n}\n",
    );
    let engine = open_engine(&dir, backend.location(&dir).as_ref()).await.unwrap();
    engine.activate("acme", "entries").await.unwrap();
    let entry = br#"{ "id": "p1", "event": "CompetitionEntrySuccess", "timestamp": "2026-11-29T09:00:00Z",
        "site_id": "s1", "site_name": "Sports", "user_profile_id": "u1", "card_id": "c1", "card_name": "Quiz",
        "card_type": "Quiz", "competition_entry_id": "e1", "email": "ana@example.com", "optin": "true" }"#;
    let answer = engine.ingest_platform("acme", entry).await.unwrap();
    assert_eq!(
        answer.runs.len(),
        1,
        "CompetitionEntrySuccess → Gameplay.DataCaptured, optin coerced to a Bool"
    );
    let viewed = br#"{ "id": "p2", "event": "CardViewed", "timestamp": "2026-11-29T09:00:00Z" }"#;
    let recorded = engine.ingest_platform("acme", viewed).await.unwrap();
    assert!(!recorded.duplicate && recorded.runs.is_empty());
    assert!(engine.ingest_platform("acme", viewed).await.unwrap().duplicate);
}

/// A one-shot HTTP sink on loopback: answers 200 with JSON and hands back the request.
async fn http_sink() -> (u16, tokio::task::JoinHandle<String>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let n = socket.read(&mut buf).await.unwrap();
            request.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&request).to_string();
            if let Some(head_end) = text.find("\r\n\r\n") {
                let length = text
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap())
                    })
                    .unwrap_or(0);
                if request.len() >= head_end + 4 + length {
                    break;
                }
            }
            if n == 0 {
                break;
            }
        }
        let body = r#"{"accepted": true}"#;
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(answer.as_bytes()).await.unwrap();
        String::from_utf8_lossy(&request).to_string()
    });
    (port, task)
}

fn http_workflow(port: u16) -> String {
    format!(
        "workflow notify {{\n  scope workspace\n  trigger Contact.Identified\n  step post = http.request(\"POST\", \"http://127.0.0.1:{port}/hook\", json: {{ id: contact.id }})\n  contact.update(add_tags: [\"posted-${{post.status}}\"])\n}}\n"
    )
}

both_stores!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    http_requests_go_out_to_allowed_hosts_only
);
async fn http_requests_go_out_to_allowed_hosts_only(backend: Backend) {
    let (port, sink) = http_sink().await;
    let dir = project("http", backend, &http_workflow(port));
    std::fs::write(
        dir.join("komo.toml"),
        format!("[workspace]\nid = \"acme\"\n\n[http]\nallow_hosts = [\"127.0.0.1:{port}\"]\n"),
    )
    .unwrap();
    let engine = Arc::new(open_engine(&dir, backend.location(&dir).as_ref()).await.unwrap());
    engine.activate("acme", "notify").await.unwrap();
    let stop = start_scheduler(&engine);
    let run = engine.ingest("acme", &envelope("h1", "ana@example.com")).await.unwrap().runs.remove(0);
    let record = wait_for(&engine, &run.id, "succeeded").await;
    let request = sink.await.unwrap();
    assert!(request.starts_with("POST /hook HTTP/1.1"), "{request}");
    assert!(request.to_ascii_lowercase().contains(&format!("idempotency-key: {}:post", run.id)), "{request}");
    assert_eq!(record["steps"][0]["output"]["json"]["accepted"], true);
    assert_eq!(
        engine.contact_by_email("acme", "ana@example.com").await.unwrap()["tags"],
        serde_json::json!(["posted-200"])
    );
    stop.send(true).unwrap();

    // The same workflow in a project that does not allow the host: refused, nothing sent.
    let dir = project("http-refused", backend, &http_workflow(port));
    let engine = Arc::new(open_engine(&dir, backend.location(&dir).as_ref()).await.unwrap());
    engine.activate("acme", "notify").await.unwrap();
    let stop = start_scheduler(&engine);
    let run = engine.ingest("acme", &envelope("h2", "kim@example.com")).await.unwrap().runs.remove(0);
    let record = wait_for(&engine, &run.id, "failed").await;
    assert_eq!(record["steps"][0]["error"]["kind"], "invalid_request");
    assert!(record["steps"][0]["error"]["message"].as_str().unwrap().contains("loopback"));
    stop.send(true).unwrap();
}

both_stores!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    runs_of_one_contact_never_overwrite_each_other
);
async fn runs_of_one_contact_never_overwrite_each_other(backend: Backend) {
    let two = "workflow first {\n  scope workspace\n  trigger Contact.Identified\n  loyalty.award_points(25)\n  wait 1ms\n  contact.update(add_tags: [\"first\"])\n}\n\
               workflow second {\n  scope workspace\n  trigger Contact.Identified\n  loyalty.award_points(25)\n  wait 1ms\n  contact.update(add_tags: [\"second\"])\n}\n";
    let dir = project("same-contact", backend, two);
    let clock = manual_clock();
    let engine = open_on(&dir, backend.location(&dir).as_ref(), &clock).await;
    engine.activate("acme", "first").await.unwrap();
    engine.activate("acme", "second").await.unwrap();
    let stop = start_scheduler(&engine);
    let mut runs = Vec::new();
    for i in 0..5 {
        runs.extend(
            engine.ingest("acme", &envelope(&format!("s{i}"), "lee@example.com")).await.unwrap().runs,
        );
    }
    assert_eq!(runs.len(), 10);
    // Each awards, then parks; once all are parked, all are due at once.
    for run in &runs {
        wait_for(&engine, &run.id, "waiting").await;
    }
    clock.advance(Duration::from_millis(1));
    for run in &runs {
        wait_for(&engine, &run.id, "succeeded").await;
    }
    let contact = engine.contact_by_email("acme", "lee@example.com").await.unwrap();
    assert_eq!(contact["points"], 250, "ten awards of 25, none lost");
    let mut tags: Vec<&str> = contact["tags"].as_array().unwrap().iter().filter_map(|t| t.as_str()).collect();
    tags.sort_unstable();
    assert_eq!(tags, vec!["first", "second"], "both runs' tags, in whichever order they finished");
    stop.send(true).unwrap();
}
