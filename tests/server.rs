//! The engine's HTTP API end to end: a real store for a temporary project, each test on
//! both (a SQLite file and a Postgres database, `common::stores`), the router called in
//! process (`oneshot`), the scheduler running beside it; and the `komo keys create` /
//! `komo serve` binary over a real socket.

// Test helpers may fail loudly: a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use common::komo_command as komo;
use common::stores::Backend;
use common::{eventually, eventually_blocking};

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use komo::cli::project::open_engine;
use komo::engine::store::StoreLocation;
use komo::engine::{Clock, Engine};
use serde_json::{Value, json};
use tower::ServiceExt;

/// A fresh project directory with a `komo.toml` for `workspace` and the given
/// `workflows/*.komo` files.
fn project(test: &str, workspace: &str, files: &[(&str, &str)]) -> PathBuf {
    common::project("server", test, workspace, files)
}

/// Internal actions only, so runs need no connector.
const WELCOME: &str = r#"workflow welcome {
  scope workspace
  trigger Contact.Identified
  contact.add_to_list("New Users")
  loyalty.award_points(50)
}
"#;

/// The router over one project's engine, with a key for its workspace.
struct Api {
    engine: Arc<Engine>,
    app: Router,
    key: String,
}

impl Api {
    /// On a manual clock: every run starts at the same instant, so the runs list's order
    /// is the arrival order.
    async fn open(test: &str, backend: Backend) -> Api {
        Api::open_on(test, backend).await.0
    }

    /// [`Api::open`], and the store it is on.
    async fn open_on(test: &str, backend: Backend) -> (Api, Option<StoreLocation>) {
        let dir = project(&format!("{test}_{backend}"), "acme", &[("welcome.komo", WELCOME)]);
        let db = backend.location(&dir);
        let clock = Clock::from(common::manual_clock());
        let engine =
            Arc::new(komo::cli::project::open_engine_with_clock(&dir, db.as_ref(), clock).await.unwrap());
        let key = engine.create_key().await.unwrap();
        (Api { app: komo::server::router(Arc::clone(&engine)), engine, key }, db)
    }

    /// Sends a request with `key` (if any) and answers its status and JSON body
    /// (`null` when empty).
    async fn send(
        &self,
        method: &str,
        uri: &str,
        key: Option<&str>,
        body: Option<(&str, Vec<u8>)>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(key) = key {
            request = request.header(header::AUTHORIZATION, format!("Bearer {key}"));
        }
        let request = match body {
            Some((kind, bytes)) => request
                .header(header::CONTENT_TYPE, kind)
                .header(header::CONTENT_LENGTH, bytes.len())
                .body(Body::from(bytes)),
            None => request.body(Body::empty()),
        };
        let response = self.app.clone().oneshot(request.unwrap()).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        let json = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
        (status, json)
    }

    async fn get(&self, uri: &str) -> (StatusCode, Value) {
        self.send("GET", uri, Some(&self.key), None).await
    }

    async fn get_as(&self, key: &str, uri: &str) -> (StatusCode, Value) {
        self.send("GET", uri, Some(key), None).await
    }

    async fn post(&self, uri: &str) -> (StatusCode, Value) {
        self.send("POST", uri, Some(&self.key), None).await
    }

    async fn post_json(&self, uri: &str, body: &Value) -> (StatusCode, Value) {
        self.send("POST", uri, Some(&self.key), Some(("application/json", body.to_string().into_bytes())))
            .await
    }

    async fn put_text(&self, uri: &str, text: &str) -> (StatusCode, Value) {
        self.send("PUT", uri, Some(&self.key), Some(("text/plain", text.as_bytes().to_vec()))).await
    }

    /// Runs the scheduler until the returned sender says stop.
    fn start_scheduler(&self) -> (tokio::sync::watch::Sender<bool>, tokio::task::JoinHandle<()>) {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        (stop, tokio::spawn(Arc::clone(&self.engine).run_scheduler(stopped)))
    }

    /// The run record once the run has finished.
    async fn finished_run(&self, id: &str) -> Value {
        eventually(&format!("run {id} finished"), async || {
            let (status, run) = self.get(&format!("/v1/runs/{id}")).await;
            assert_eq!(status, StatusCode::OK, "{run}");
            if run["finished_at"].is_string() { Ok(run) } else { Err(run) }
        })
        .await
    }
}

fn event(id: &str, email: &str) -> Value {
    json!({ "id": id, "type": "Contact.Identified", "occurred_at": "2026-11-29T09:00:00Z",
            "contact": { "email": email, "first_name": "Ana" }, "data": { "source": "signup-form" } })
}

fn error_of(body: &Value) -> &str {
    body["error"].as_str().unwrap_or_else(|| panic!("no error message in {body}"))
}

both_stores!(
    #[tokio::test]
    every_v1_call_needs_a_known_key_and_health_does_not
);
async fn every_v1_call_needs_a_known_key_and_health_does_not(backend: Backend) {
    let api = Api::open("auth", backend).await;
    let (status, body) = api.send("GET", "/healthz", None, None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "status": "ok" })));

    for key in [None, Some("komo_not_a_key"), Some("")] {
        for (method, uri) in
            [("GET", "/v1/workflows"), ("GET", "/v1/runs"), ("POST", "/v1/workflows/welcome/activate")]
        {
            let (status, body) = api.send(method, uri, key, None).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {uri} with {key:?}: {body}");
            assert!(!error_of(&body).is_empty());
        }
    }
    // Nothing happened: the workflow is still a draft, and the refused event was not
    // stored (sent again with a key, it is not a duplicate).
    let body = event("evt_auth", "ana@example.com").to_string().into_bytes();
    let (status, refused) =
        api.send("POST", "/v1/events", Some("komo_wrong"), Some(("application/json", body))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused}");
    assert_eq!(error_of(&refused), "unknown API key");
    let (_, welcome) = api.get("/v1/workflows/welcome").await;
    assert_eq!(welcome["status"], "draft");
    let (status, ingested) = api.post_json("/v1/events", &event("evt_auth", "ana@example.com")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{ingested}");
    assert_eq!(ingested["duplicate"], false);
}

both_stores!(
    #[tokio::test]
    workflows_are_drafts_until_activated_and_broken_ones_are_refused
);
async fn workflows_are_drafts_until_activated_and_broken_ones_are_refused(backend: Backend) {
    let api = Api::open("activate", backend).await;
    let (status, list) = api.get("/v1/workflows").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let workflows = list["workflows"].as_array().unwrap();
    assert_eq!(workflows.len(), 1, "{list}");
    assert_eq!(workflows[0]["name"], "welcome");
    assert_eq!(workflows[0]["status"], "draft");
    assert_eq!(workflows[0]["trigger"], "Contact.Identified");
    assert_eq!(workflows[0]["version"], Value::Null);

    let (status, active) = api.post("/v1/workflows/welcome/activate").await;
    assert_eq!(status, StatusCode::OK, "{active}");
    assert_eq!((&active["status"], &active["version"]), (&json!("active"), &json!(1)));
    assert_eq!(active["versions"], json!([1]));

    let broken = WELCOME.replace("Contact.Identified", "Contact.Identifed");
    let (status, draft) = api.put_text("/v1/workflows/welcome", &broken).await;
    assert_eq!(status, StatusCode::OK, "{draft}");
    assert_eq!(draft["source"], broken);
    let (status, refused) = api.post("/v1/workflows/welcome/activate").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let diagnostics = &refused["diagnostics"]["diagnostics"];
    assert_eq!(diagnostics[0]["code"], "K0301", "{refused}");
    // The active version is untouched.
    let (_, welcome) = api.get("/v1/workflows/welcome").await;
    assert_eq!((&welcome["status"], &welcome["version"]), (&json!("active"), &json!(1)));

    let (status, missing) = api.get("/v1/workflows/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    let (status, bad_name) = api.put_text("/v1/workflows/Not-A-Name", WELCOME).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad_name}");
    let not_utf8 = Some(("text/plain", vec![0xff, 0xfe]));
    let (status, body) = api.send("PUT", "/v1/workflows/welcome", Some(&api.key), not_utf8).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

both_stores!(
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    an_event_starts_one_run_once_and_the_scheduler_finishes_it
);
async fn an_event_starts_one_run_once_and_the_scheduler_finishes_it(backend: Backend) {
    let api = Api::open("ingest", backend).await;
    assert_eq!(api.post("/v1/workflows/welcome/activate").await.0, StatusCode::OK);

    let (status, ingested) = api.post_json("/v1/events", &event("evt_1", "ana@example.com")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{ingested}");
    assert_eq!((&ingested["event_id"], &ingested["duplicate"]), (&json!("evt_1"), &json!(false)));
    let runs = ingested["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "{ingested}");
    assert_eq!((&runs[0]["workflow"], &runs[0]["version"]), (&json!("welcome"), &json!(1)));
    let run_id = runs[0]["id"].as_str().unwrap().to_owned();

    let (status, again) = api.post_json("/v1/events", &event("evt_1", "ana@example.com")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{again}");
    assert_eq!((&again["duplicate"], &again["runs"]), (&json!(true), &json!([])));

    let mut bad = event("evt_2", "ana@example.com");
    bad["data"]["source"] = json!(5);
    let (status, refused) = api.post_json("/v1/events", &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["field"], "data.source", "{refused}");
    assert!(error_of(&refused).contains("String"), "{refused}");

    // A pending run (the scheduler is not running yet) is cancelled; a scheduler that
    // picks it up later cannot commit on its old claim.
    let (status, pending) = api.post_json("/v1/events", &event("evt_3", "cy@example.com")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{pending}");
    let cancelled_id = pending["runs"][0]["id"].as_str().unwrap().to_owned();
    let (status, cancelled) = api.post(&format!("/v1/runs/{cancelled_id}/cancel")).await;
    assert_eq!(status, StatusCode::OK, "{cancelled}");
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    assert_eq!(cancelled["lifecycle"][0]["by"], "through the API", "{cancelled}");

    let (scheduler_stop, scheduler) = api.start_scheduler();
    let run = api.finished_run(&run_id).await;
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!((&run["workflow"], &run["trigger"]), (&json!("welcome"), &json!("Contact.Identified")));
    let steps: Vec<&Value> = run["steps"].as_array().unwrap().iter().map(|s| &s["status"]).collect();
    assert_eq!(steps, [&json!("succeeded"), &json!("succeeded")], "{run}");

    let (status, contact) = api.get("/v1/contacts?email=ana@example.com").await;
    assert_eq!(status, StatusCode::OK, "{contact}");
    assert_eq!(contact["lists"], json!(["New Users"]), "{contact}");
    assert_eq!(contact["points"], 50, "{contact}");
    let id = contact["id"].as_str().unwrap();
    let (status, by_id) = api.get(&format!("/v1/contacts/{id}")).await;
    assert_eq!((status, &by_id), (StatusCode::OK, &contact));
    assert_eq!(run["contact"], contact);

    let (status, replayed) = api.post(&format!("/v1/runs/{run_id}/replay")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{replayed}");
    assert_eq!(replayed["workflow"], "welcome");
    assert_ne!(replayed["id"], json!(run_id));
    let replay = api.finished_run(replayed["id"].as_str().unwrap()).await;
    assert_eq!(replay["status"], "succeeded", "{replay}");
    let (_, contact) = api.get("/v1/contacts?email=ana@example.com").await;
    assert_eq!(contact["points"], 100, "{contact}");
    let (status, finished) = api.post(&format!("/v1/runs/{run_id}/cancel")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{finished}");
    assert!(error_of(&finished).contains("has finished (succeeded)"), "{finished}");
    let (_, still) = api.get(&format!("/v1/runs/{cancelled_id}")).await;
    assert_eq!(still["status"], "cancelled", "{still}");
    let ran: Vec<&Value> = still["steps"].as_array().unwrap().iter().map(|s| &s["status"]).collect();
    assert_eq!(ran, [&json!("skipped"), &json!("skipped")], "{still}");
    let (status, no_run) = api.post("/v1/runs/run_nope/cancel").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{no_run}");

    scheduler_stop.send_replace(true);
    scheduler.await.unwrap();

    let (status, nobody) = api.get("/v1/contacts?email=bob@example.com").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{nobody}");
    let (status, no_email) = api.get("/v1/contacts").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{no_email}");
    let (status, no_run) = api.get("/v1/runs/run_nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{no_run}");
}

both_stores!(
    #[tokio::test]
    runs_are_paged_newest_first
);
async fn runs_are_paged_newest_first(backend: Backend) {
    let api = Api::open("paging", backend).await;
    assert_eq!(api.post("/v1/workflows/welcome/activate").await.0, StatusCode::OK);
    let mut started = Vec::new();
    for (id, email) in [("evt_a", "a@example.com"), ("evt_b", "b@example.com"), ("evt_c", "c@example.com")] {
        let (status, ingested) = api.post_json("/v1/events", &event(id, email)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{ingested}");
        started.push(ingested["runs"][0]["id"].as_str().unwrap().to_owned());
    }
    let mut seen = Vec::new();
    let mut uri = "/v1/runs?limit=1&workflow=welcome".to_owned();
    loop {
        let (status, page) = api.get(&uri).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let runs = page["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 1, "{page}");
        seen.push(runs[0]["id"].as_str().unwrap().to_owned());
        match page["next_cursor"].as_str() {
            Some(cursor) => uri = format!("/v1/runs?limit=1&workflow=welcome&cursor={cursor}"),
            None => break,
        }
    }
    started.reverse();
    assert_eq!(seen, started, "newest first: the arrival order, all three started at the same instant");

    let (_, page) = api.get("/v1/runs").await;
    assert_eq!((page["runs"].as_array().unwrap().len(), &page["next_cursor"]), (3, &Value::Null));
    let (_, none) = api.get("/v1/runs?workflow=other").await;
    assert_eq!(none["runs"], json!([]));
    let (status, typo) = api.get("/v1/runs?workflw=welcome").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{typo}");
    assert!(error_of(&typo).contains("did you mean `workflow`?"), "{typo}");
    let (status, bad_limit) = api.get("/v1/runs?limit=lots").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad_limit}");
    let (status, bad_since) = api.get("/v1/runs?since=yesterday").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad_since}");
}

both_stores!(
    #[tokio::test]
    another_workspace_key_reaches_nothing_of_this_one
);
async fn another_workspace_key_reaches_nothing_of_this_one(backend: Backend) {
    let (api, db) = Api::open_on("workspaces", backend).await;
    assert_eq!(api.post("/v1/workflows/welcome/activate").await.0, StatusCode::OK);
    let (_, ingested) = api.post_json("/v1/events", &event("evt_ws", "ana@example.com")).await;
    let run_id = ingested["runs"][0]["id"].as_str().unwrap().to_owned();

    // A second project, workspace `other`, sharing the same store.
    let other_dir = project(&format!("workspaces_other_{backend}"), "other", &[]);
    let other = open_engine(&other_dir, db.as_ref()).await.unwrap();
    let other_key = other.create_key().await.unwrap();

    let (status, run) = api.get_as(&other_key, &format!("/v1/runs/{run_id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{run}");
    let (status, runs) = api.get_as(&other_key, "/v1/runs").await;
    assert_eq!((status, &runs["runs"]), (StatusCode::OK, &json!([])));
    let (status, workflows) = api.get_as(&other_key, "/v1/workflows").await;
    assert_eq!((status, &workflows["workflows"]), (StatusCode::OK, &json!([])));
    let (status, contact) = api.get_as(&other_key, "/v1/contacts?email=ana@example.com").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{contact}");
    let (status, replay) =
        api.send("POST", &format!("/v1/runs/{run_id}/replay"), Some(&other_key), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{replay}");
    let (status, cancel) =
        api.send("POST", &format!("/v1/runs/{run_id}/cancel"), Some(&other_key), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{cancel}");
    // This workspace's own key still sees its run.
    assert_eq!(api.get(&format!("/v1/runs/{run_id}")).await.0, StatusCode::OK);
}

both_stores!(
    #[tokio::test]
    lifecycle_transitions_and_clones
);
async fn lifecycle_transitions_and_clones(backend: Backend) {
    let api = Api::open("lifecycle", backend).await;
    let action = |name: &'static str| format!("/v1/workflows/welcome/{name}");
    let (status, conflict) = api.post(&action("pause")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict}");
    for (name, expected) in
        [("activate", "active"), ("pause", "paused"), ("resume", "active"), ("deactivate", "inactive")]
    {
        let (status, detail) = api.post(&action(name)).await;
        assert_eq!(status, StatusCode::OK, "{name}: {detail}");
        assert_eq!(detail["status"], expected, "{name}: {detail}");
    }
    let (status, conflict) = api.post(&action("resume")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{conflict}");

    let (status, copy) = api.post(&action("clone")).await;
    assert_eq!(status, StatusCode::CREATED, "{copy}");
    assert_eq!((&copy["name"], &copy["status"]), (&json!("welcome_copy"), &json!("draft")));
    assert!(copy["source"].as_str().unwrap().contains("workflow welcome_copy {"), "{copy}");
    let (status, named) = api.post_json(&action("clone"), &json!({ "name": "welcome_two" })).await;
    assert_eq!(status, StatusCode::CREATED, "{named}");
    assert_eq!(named["name"], "welcome_two");
    let (status, taken) = api.post_json(&action("clone"), &json!({ "name": "welcome_two" })).await;
    assert_eq!(status, StatusCode::CONFLICT, "{taken}");
    let (status, bad) = api.post_json(&action("clone"), &json!({ "title": "x" })).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    let (_, list) = api.get("/v1/workflows").await;
    let names: Vec<&Value> = list["workflows"].as_array().unwrap().iter().map(|w| &w["name"]).collect();
    assert_eq!(names, [&json!("welcome"), &json!("welcome_copy"), &json!("welcome_two")]);

    let (status, unknown) = api.post(&action("archive")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{unknown}");
    let (status, missing) = api.post("/v1/workflows/nope/activate").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
}

both_stores!(
    #[tokio::test]
    bad_bodies_and_unknown_routes_are_json_errors
);
async fn bad_bodies_and_unknown_routes_are_json_errors(backend: Backend) {
    let api = Api::open("limits", backend).await;
    let too_big = vec![b' '; 1024 * 1024 + 1];
    let (status, body) =
        api.send("POST", "/v1/events", Some(&api.key), Some(("application/json", too_big.clone()))).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(error_of(&body).contains("1 MiB"), "{body}");
    // Without a declared length, the limit applies as the body is read.
    let request = Request::post("/v1/events")
        .header(header::AUTHORIZATION, format!("Bearer {}", api.key))
        .body(Body::from(too_big))
        .unwrap();
    let response = api.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let deep = format!("{}{}", "[".repeat(100), "]".repeat(100)).into_bytes();
    let (status, body) =
        api.send("POST", "/v1/events", Some(&api.key), Some(("application/json", deep))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) =
        api.send("POST", "/v1/events", Some(&api.key), Some(("application/json", b"{".to_vec()))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");

    let (status, body) = api.get("/v1/nothing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(error_of(&body).contains("/v1/nothing"), "{body}");
    let (status, body) = api.send("DELETE", "/v1/workflows/welcome", Some(&api.key), None).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body}");
}

/// Kills the server if the test ends before it was stopped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP/1.1 request over a plain socket: the status line and the body.
fn http(address: &str, request_line: &str, key: Option<&str>) -> (String, String) {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = key.map(|key| format!("Authorization: Bearer {key}\r\n")).unwrap_or_default();
    write!(stream, "{request_line} HTTP/1.1\r\nHost: {address}\r\n{auth}Connection: close\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.lines().next().unwrap().to_owned(), body.to_owned())
}

both_stores!(
    #[test]
    the_binary_creates_a_key_serves_with_it_and_stops_on_sigterm
);
fn the_binary_creates_a_key_serves_with_it_and_stops_on_sigterm(backend: Backend) {
    let dir = project(&format!("binary_{backend}"), "acme", &[("welcome.komo", WELCOME)]);
    let db = backend.db_arg(&dir);
    // Found from a subdirectory, walking up to komo.toml.
    let created = komo(&dir.join("workflows"), &["keys", "create", "--db", &db]).output().unwrap();
    assert_eq!(created.status.code(), Some(0), "{}", String::from_utf8_lossy(&created.stderr));
    let stdout = String::from_utf8(created.stdout).unwrap();
    let key = stdout.strip_suffix('\n').unwrap();
    assert!(!key.is_empty() && !key.contains(char::is_whitespace), "one line, the key alone: {stdout:?}");

    let child = komo(&dir, &["serve", "--db", &db, "--listen", "127.0.0.1:0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut server = Running(child);
    let (lines, received) = std::sync::mpsc::channel();
    let stderr = server.0.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let mut log = Vec::new();
    let address = loop {
        let line = received.recv_timeout(Duration::from_secs(60)).expect("the listening line");
        log.push(line.clone());
        if let Some(rest) = line.strip_prefix("komo serve: listening on http://") {
            assert!(rest.ends_with(" (workspace acme)"), "{line}");
            break rest.split(' ').next().unwrap().to_owned();
        }
    };

    let (status, body) = http(&address, "GET /healthz", None);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap(), json!({ "status": "ok" }));
    let (status, body) = http(&address, "GET /v1/workflows", Some(key));
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["workflows"][0]["name"], "welcome");
    let (status, _) = http(&address, "GET /v1/workflows", Some("komo_wrong"));
    assert_eq!(status, "HTTP/1.1 401 Unauthorized");

    // At the default level (`info`), a run logs one line when it finishes, and its steps
    // and the requests none.
    let (status, body) = http(&address, "POST /v1/workflows/welcome/activate", Some(key));
    assert_eq!(status, "HTTP/1.1 200 OK", "{body}");
    let run = started_run(&address, key, "evt_log_1", "lee@example.com");
    let finished = format!("run={run} workflow=welcome version=1 status=\"succeeded\"");
    loop {
        let line = received.recv_timeout(Duration::from_secs(60)).expect("the run's finished line");
        log.push(line.clone());
        if line.contains(&finished) {
            break;
        }
    }

    let pid = server.0.id().to_string();
    if cfg!(unix) {
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let exit = eventually_blocking("the server stops on SIGTERM", || server.0.try_wait().unwrap());
        reader.join().unwrap();
        log.extend(received.try_iter());
        let text = log.join("\n");
        assert_eq!(exit.code(), Some(0), "{text}");
        assert_eq!(log.iter().filter(|l| l.contains(&run)).count(), 1, "one line for the run: {text}");
        assert!(log.iter().any(|l| l.contains("INFO") && l.contains("run finished")), "{text}");
        assert!(!text.contains(" step ") && !text.contains("path=/"), "no step or request lines: {text}");
        assert!(text.ends_with("komo serve: stopped"), "{text}");
    }

    // `--log debug` (over the tests' RUST_LOG=info) gives every step and request.
    let mut child = komo(&dir, &["serve", "--db", &db, "--listen", "127.0.0.1:0", "--log", "debug"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let _server = Running(child);
    let mut lines = stderr.lines().map_while(Result::ok);
    let address = lines
        .by_ref()
        .find_map(|l| {
            l.strip_prefix("komo serve: listening on http://")
                .map(|r| r.split(' ').next().unwrap().to_owned())
        })
        .expect("the listening line");
    let run = started_run(&address, key, "evt_log_2", "lee@example.com");
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        seen.push(line.clone());
        if line.contains("run finished") && line.contains(&run) {
            break;
        }
    }
    let text = seen.join("\n");
    assert!(text.contains("path=/v1/events status=202"), "{text}");
    for step in ["add_to_list_1", "award_points_1"] {
        assert!(
            seen.iter().any(|l| l.contains("DEBUG") && l.contains(&format!("run={run} step={step}"))),
            "the step {step} is logged at debug: {text}"
        );
    }
}

/// Posts a `Contact.Identified` event over a plain socket; answers the id of the one run
/// it started.
fn started_run(address: &str, key: &str, id: &str, email: &str) -> String {
    let body = event(id, email).to_string();
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        stream,
        "POST /v1/events HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, answer) = response.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 202"), "{response}");
    let answer: Value = serde_json::from_str(answer).unwrap();
    answer["runs"][0]["id"].as_str().unwrap().to_owned()
}

/// Not run per store: errors in the arguments and the project, and a `postgres://` URL
/// of a host that is not there.
#[test]
fn serve_needs_a_project_and_a_store_it_can_open() {
    let dir = project("binary_errors", "acme", &[]);
    let empty = dir.join("workflows");
    let output = komo(&dir, &["serve", "--project", empty.to_str().unwrap()]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("no `komo.toml` in"), "{stderr}");

    let output = komo(&dir, &["serve", "--db", "postgres://komo@db/komo"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("postgres://komo@db/komo"), "the store is named: {stderr}");

    let output = komo(&dir, &["serve", "--listen", "not-an-address"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));

    let output = komo(&dir, &["keys", "create", "--project", empty.to_str().unwrap()]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
}

both_stores!(
    #[tokio::test]
    activation_refuses_a_workflow_that_closes_a_trigger_loop_with_live_ones
);
async fn activation_refuses_a_workflow_that_closes_a_trigger_loop_with_live_ones(backend: Backend) {
    let vip_welcome = "workflow vip_welcome {\n  scope workspace\n  trigger Contact.ListAdded\n  contact.update(set: { vip: true })\n}\n";
    let vip_sync = "workflow vip_sync {\n  scope workspace\n  trigger Contact.PropertyUpdated where \"vip\" in event.changed\n  contact.add_to_list(\"VIP\")\n}\n";
    let files = [("vip_welcome.komo", vip_welcome), ("vip_sync.komo", vip_sync)];
    let dir = project(&format!("loops_{backend}"), "acme", &files);
    let engine = Arc::new(open_engine(&dir, backend.location(&dir).as_ref()).await.unwrap());
    let key = engine.create_key().await.unwrap();
    let api = Api { app: komo::server::router(Arc::clone(&engine)), engine, key };

    // Alone, each is fine; the second one closes the loop with the first.
    assert_eq!(api.post("/v1/workflows/vip_welcome/activate").await.0, StatusCode::OK);
    let (status, refused) = api.post("/v1/workflows/vip_sync/activate").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let diagnostics = &refused["diagnostics"]["diagnostics"];
    assert_eq!(diagnostics.as_array().map(Vec::len), Some(1), "{refused}");
    let loop_ = &diagnostics[0];
    assert_eq!(loop_["code"], "K0701", "{refused}");
    assert_eq!(
        loop_["message"],
        "workflows trigger each other in a loop: vip_welcome → contact.update(set: {vip}) → Contact.PropertyUpdated → vip_sync → contact.add_to_list(\"VIP\") → Contact.ListAdded → vip_welcome",
        "{refused}"
    );
    // The closing action is the activated workflow's; the other is in the active version.
    assert_eq!((&loop_["file"], &loop_["line"]), (&json!("vip_sync.komo"), &json!(4)), "{refused}");
    assert_eq!(loop_["labels"][1]["file"], "vip_welcome.komo", "{refused}");
    assert_eq!(loop_["labels"][1]["line"], 4, "{refused}");
    let (_, sync) = api.get("/v1/workflows/vip_sync").await;
    assert_eq!(sync["status"], "draft");

    // A paused workflow comes back with `resume`: it still counts.
    assert_eq!(api.post("/v1/workflows/vip_welcome/pause").await.0, StatusCode::OK);
    assert_eq!(api.post("/v1/workflows/vip_sync/activate").await.0, StatusCode::UNPROCESSABLE_ENTITY);
    // An inactive one does not; a filter that breaks the loop is accepted.
    assert_eq!(api.post("/v1/workflows/vip_welcome/deactivate").await.0, StatusCode::OK);
    assert_eq!(api.post("/v1/workflows/vip_sync/activate").await.0, StatusCode::OK);
    let filtered =
        vip_welcome.replace("Contact.ListAdded", "Contact.ListAdded where event.list == \"Newsletter\"");
    assert_eq!(api.put_text("/v1/workflows/vip_welcome", &filtered).await.0, StatusCode::OK);
    let (status, active) = api.post("/v1/workflows/vip_welcome/activate").await;
    assert_eq!(status, StatusCode::OK, "{active}");
}

both_stores!(
    #[tokio::test]
    activation_checks_names_against_the_workspace_catalog
);
async fn activation_checks_names_against_the_workspace_catalog(backend: Backend) {
    let welcome = WELCOME.replace("New Users", "New Usres");
    let dir = project(&format!("catalog_{backend}"), "acme", &[("welcome.komo", &welcome)]);
    std::fs::write(
        dir.join("komo.toml"),
        "[workspace]\nid = \"acme\"\n\n[catalog]\nlists = [\"New Users\", \"Newsletter\"]\n",
    )
    .unwrap();
    let engine = Arc::new(open_engine(&dir, backend.location(&dir).as_ref()).await.unwrap());
    let key = engine.create_key().await.unwrap();
    let api = Api { app: komo::server::router(Arc::clone(&engine)), engine, key };

    let (status, refused) = api.post("/v1/workflows/welcome/activate").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let diagnostics = &refused["diagnostics"]["diagnostics"];
    assert_eq!(diagnostics.as_array().map(Vec::len), Some(1), "{refused}");
    assert_eq!(diagnostics[0]["code"], "K0601", "{refused}");
    assert_eq!(diagnostics[0]["message"], "list `New Usres` does not exist", "{refused}");
    assert_eq!(diagnostics[0]["help"], "did you mean `New Users`?", "{refused}");

    let (status, saved) = api.put_text("/v1/workflows/welcome", WELCOME).await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    let (status, active) = api.post("/v1/workflows/welcome/activate").await;
    assert_eq!(status, StatusCode::OK, "{active}");
    assert_eq!(active["status"], "active");
}

/// Not run per store: the project is refused before any store is opened.
#[tokio::test]
async fn a_broken_catalog_stops_the_engine_with_the_file_named() {
    let dir = project("bad-catalog", "acme", &[("welcome.komo", WELCOME)]);
    std::fs::write(
        dir.join("komo.toml"),
        "[workspace]\nid = \"acme\"\n\n[catalog.properties]\nage = \"Integer\"\n",
    )
    .unwrap();
    let error = open_engine(&dir, None).await.unwrap_err().to_string();
    assert!(error.contains("komo.toml") && error.contains("catalog.properties.age"), "{error}");
}
