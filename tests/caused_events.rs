//! Events the engine causes (`catalog.md` "What actions change"), end to end over HTTP,
//! served by the real `komo serve` binary, each test on both stores (`--db` a SQLite file
//! or a Postgres database, `common::stores`):
//!
//! - the demo (its `welcome` really waits 5 s): a form entry from an email never seen
//!   runs `entries` and, through the
//!   `Contact.Identified` the new contact raises, `welcome`; `entries` adding the contact
//!   to the newsletter list runs `newsletter_welcome` (`Contact.ListAdded`); run records
//!   name their cause and the runs they caused; a duplicate post causes nothing again;
//! - a chain deeper than `[limits] max_chain_depth` stops there: the event is recorded,
//!   starts nothing, and is counted in `/metrics`;
//! - two workflows that feed each other, made active behind the loop analysis's back (a
//!   direct write to the store while the server is down), stop at the default depth (8)
//!   with nothing lost.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::path::Path;
use std::time::Duration;

use common::eventually_blocking;
use common::serve::{Log, Server};
use common::stores::{self, Backend};
use serde_json::{Value, json};

/// `komo serve` on the project at `dir` and the store `db` (a `--db` value), with its
/// stderr kept in `log`.
fn start(dir: &Path, db: &str, log: &Log) -> Server {
    Server::start_blocking(dir, &["--db", db], "serve", log)
}

/// Every line the servers of a test wrote.
fn lines(log: &Log) -> String {
    log.lock().unwrap().join("\n")
}

/// The API over reqwest, driven by a runtime of its own (the tests are plain threads).
struct Api {
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    base: String,
    key: String,
}

impl Api {
    fn new(base: &str, key: &str) -> Api {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build().unwrap();
        Api { runtime, client, base: base.to_owned(), key: key.to_owned() }
    }

    fn send(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.client.request(method, format!("{}{path}", self.base)).bearer_auth(&self.key);
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body.to_string());
        }
        let (status, text) = self.runtime.block_on(async {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        });
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    fn get(&self, path: &str) -> Value {
        let (status, body) = self.send("GET", path, None);
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    fn activate(&self, workflow: &str) {
        let (status, body) = self.send("POST", &format!("/v1/workflows/{workflow}/activate"), None);
        assert_eq!(status, 200, "activate {workflow}: {body}");
    }

    fn post(&self, event: &Value) -> Value {
        let (status, body) = self.send("POST", "/v1/events", Some(event));
        assert_eq!(status, 202, "{body}");
        body
    }

    fn metrics(&self) -> String {
        let request = self.client.get(format!("{}/metrics", self.base));
        self.runtime.block_on(async { request.send().await.unwrap().text().await.unwrap() })
    }

    /// The runs list (one page of up to 500: one read of the store).
    fn runs(&self) -> Vec<Value> {
        self.get("/v1/runs?limit=500")["runs"].as_array().unwrap().clone()
    }

    /// Every run's record, once at least `at_least` runs are listed and all of them have
    /// finished. That list is final: it is one read of the store, and a run's caused
    /// events and the runs they start commit with the run's own progress, so no run of
    /// it can be caused by a run still unfinished, or be on its way.
    fn finished_runs(&self, at_least: usize) -> Vec<Value> {
        let runs = eventually_blocking(&format!("{at_least} runs, all finished"), || {
            let runs = self.runs();
            let done = runs.len() >= at_least && runs.iter().all(|r| !r["finished_at"].is_null());
            if done { Ok(runs) } else { Err(Value::Array(runs)) }
        });
        runs.iter().map(|r| self.get(&format!("/v1/runs/{}", r["id"].as_str().unwrap()))).collect()
    }

    /// `/metrics` once `name` reads `value`: the scheduler counts the events a run caused
    /// just after committing them, so right after the run shows finished the count may
    /// still be on its way.
    fn metrics_when(&self, name: &str, value: u64) -> String {
        eventually_blocking(&format!("{name} is {value}"), || {
            let metrics = self.metrics();
            if metric(&metrics, name) == value { Ok(metrics) } else { Err(metrics) }
        })
    }
}

fn metric(text: &str, name: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")).and_then(|v| v.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no metric {name} in:\n{text}"))
}

/// A new key for the project at `dir`, in the store `db` (a `--db` value).
fn key(dir: &Path, db: &str) -> String {
    let out = common::komo(dir, &["keys", "create", "--project", dir.to_str().unwrap(), "--db", db]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    common::stdout(&out).trim().to_owned()
}

fn runs_of<'a>(records: &'a [Value], workflow: &str) -> Vec<&'a Value> {
    records.iter().filter(|r| r["workflow"] == workflow).collect()
}

both_stores!(
    #[test]
    a_form_entry_from_a_new_email_welcomes_the_contact_and_starts_list_workflows
);
fn a_form_entry_from_a_new_email_welcomes_the_contact_and_starts_list_workflows(backend: Backend) {
    let dir = common::demo_copy("caused", &format!("demo_{backend}"), &["workflows", "templates"]);
    let db = backend.db_arg(&dir);
    let key = key(&dir, &db);
    let log = Log::default();
    let server = start(&dir, &db, &log);
    let api = Api::new(&server.base(), &key);
    for workflow in ["welcome", "entries", "newsletter_welcome"] {
        api.activate(workflow);
    }
    let entry: Value = serde_json::from_str(include_str!("../examples/demo/events/03_entry.json")).unwrap();
    let answer = api.post(&entry);
    let started: Vec<&str> =
        answer["runs"].as_array().unwrap().iter().map(|r| r["workflow"].as_str().unwrap()).collect();
    assert_eq!(
        started,
        ["entries", "welcome"],
        "the entry and the new contact's Contact.Identified: {answer}"
    );

    // welcome waits 5 s (real time: this is the real binary).
    eventually_blocking("welcome parks at its wait", || {
        api.runs().iter().any(|r| r["workflow"] == "welcome" && r["status"] == "waiting")
    });
    let records = api.finished_runs(3);
    assert_eq!(records.len(), 3, "{records:#?}");
    assert!(records.iter().all(|r| r["status"] == "succeeded"), "{records:#?}");
    let entries = runs_of(&records, "entries")[0];
    let welcome = runs_of(&records, "welcome")[0];
    let newsletter = runs_of(&records, "newsletter_welcome")[0];

    // welcome: started by the contact's creation, not by a run.
    assert_eq!(welcome["trigger"], "Contact.Identified");
    assert_eq!(welcome["event"]["id"], "demo_evt_3.identified");
    assert_eq!(welcome["event"]["source"], "Gameplay.DataCaptured");
    assert_eq!(welcome["caused_by"], json!({ "event": "demo_evt_3" }));
    // Its own list add (New Users) and points award were raised but start nothing here.
    let kinds: Vec<(&str, &str)> = welcome["caused_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["type"].as_str().unwrap(), e["step"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("Contact.ListAdded", "add_to_list_1"),
            ("Contact.PropertyUpdated", "bonus"),
            ("Contact.PropertyUpdated", "update_1")
        ]
    );
    assert!(welcome.get("caused_runs").is_none(), "{welcome:#}");

    // entries: the email it sets is the contact's already (no PropertyUpdated); joining
    // the newsletter raises Contact.ListAdded, which starts newsletter_welcome.
    let caused = entries["caused_events"].as_array().unwrap();
    assert_eq!(caused.len(), 1, "{caused:?}");
    assert_eq!(caused[0]["type"], "Contact.ListAdded");
    assert_eq!(caused[0]["data"], json!({ "list": "Newsletter" }));
    let caused_id = caused[0]["id"].as_str().unwrap();
    assert_eq!(
        entries["caused_runs"],
        json!([{ "id": newsletter["id"], "workflow": "newsletter_welcome", "event": caused_id }])
    );
    assert_eq!(newsletter["event"]["id"], caused_id);
    assert_eq!(newsletter["event"]["list"], "Newsletter");
    assert_eq!(
        newsletter["caused_by"],
        json!({ "run": entries["id"], "step": "add_to_list_1", "event": "demo_evt_3", "chain": ["entries.add_to_list_1"] })
    );

    // Every effect once: 50 + 20 points, both lists, the tags of both.
    let contact = api.get("/v1/contacts?email=sam@example.com");
    assert_eq!(contact["points"], 70, "{contact:#}");
    let mut lists: Vec<&str> =
        contact["lists"].as_array().unwrap().iter().map(|l| l.as_str().unwrap()).collect();
    lists.sort_unstable();
    assert_eq!(lists, ["New Users", "Newsletter"], "{contact:#}");
    let tags = contact["tags"].as_array().unwrap();
    assert!(tags.contains(&json!("newsletter")) && tags.contains(&json!("welcomed")), "{contact:#}");

    let metrics = api.metrics_when("komo_events_caused_total", 1 + 3 + 1 + 2);
    assert_eq!(metric(&metrics, "komo_runs_started_total"), 3);
    assert_eq!(metric(&metrics, "komo_chain_depth_exceeded_total"), 0);

    // The same event again: a duplicate, and nothing is caused again.
    let again = api.post(&entry);
    assert_eq!(again["duplicate"], true, "{again}");
    // The answer comes after the engine refused to store anything of it: nothing can
    // follow from it later.
    assert_eq!(api.get("/v1/runs")["runs"].as_array().unwrap().len(), 3);
    assert_eq!(metric(&api.metrics(), "komo_events_caused_total"), 7);
}

/// `step_n` sets property `p<n>` when `p<n-1>` changed.
fn chain_step(n: usize) -> String {
    format!(
        "workflow step_{n} {{\n  scope workspace\n  trigger Contact.PropertyUpdated where \"p{}\" in event.changed\n  contact.update(set: {{ p{n}: true }})\n}}\n",
        n - 1
    )
}

both_stores!(
    #[test]
    a_chain_deeper_than_the_limit_is_recorded_and_starts_nothing
);
fn a_chain_deeper_than_the_limit_is_recorded_and_starts_nothing(backend: Backend) {
    let files: Vec<(String, String)> = (1..=5).map(|n| (format!("step_{n}.komo"), chain_step(n))).collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let dir = common::project("caused", &format!("chain_{backend}"), "chain", &files);
    common::write(&dir, "komo.toml", "[workspace]\nid = \"chain\"\n\n[limits]\nmax_chain_depth = 3\n");
    let db = backend.db_arg(&dir);
    let key = key(&dir, &db);
    let log = Log::default();
    let server = start(&dir, &db, &log);
    let api = Api::new(&server.base(), &key);
    for n in 1..=5 {
        api.activate(&format!("step_{n}"));
    }
    // An outside event (depth 0) that says p0 changed starts step_1; its change is depth
    // 1 and starts step_2, then depth 2 → step_3, depth 3 → step_4; step_4's change is
    // depth 4, past the limit of 3.
    let event = json!({ "id": "outside_1", "type": "Contact.PropertyUpdated", "occurred_at": "2026-11-29T09:00:00Z",
        "contact": { "email": "chain@example.com" }, "data": { "changed": ["p0"], "old": {}, "new": {} } });
    api.post(&event);
    let records = api.finished_runs(4);
    let mut ran: Vec<&str> = records.iter().map(|r| r["workflow"].as_str().unwrap()).collect();
    ran.sort_unstable();
    assert_eq!(ran, ["step_1", "step_2", "step_3", "step_4"], "{records:#?}");
    let last = runs_of(&records, "step_4")[0];
    assert_eq!(last["caused_by"]["chain"], json!(["step_1.update_1", "step_2.update_1", "step_3.update_1"]));
    // The event step_4 caused is recorded (its record lists it) but started nothing.
    assert_eq!(last["caused_events"].as_array().unwrap().len(), 1);
    assert!(last.get("caused_runs").is_none(), "{last:#}");
    // 4 changes and the new contact.
    let metrics = api.metrics_when("komo_events_caused_total", 5);
    assert_eq!(metric(&metrics, "komo_chain_depth_exceeded_total"), 1, "{metrics}");
    let log = lines(&log);
    assert!(
        log.contains("past max_chain_depth")
            && log.contains("step_1.update_1 → step_2.update_1 → step_3.update_1 → step_4.update_1"),
        "{log}"
    );
    let contact = api.get("/v1/contacts?email=chain@example.com");
    assert_eq!(contact["properties"], json!({ "p1": true, "p2": true, "p3": true, "p4": true }));
}

const PING: &str = r#"workflow ping {
  scope workspace
  trigger Contact.PropertyUpdated where "pong" in event.changed
  contact.update(set: { ping: ((contact.properties.ping ?? 0) as Int) + 1 })
}
"#;

const PONG: &str = r#"workflow pong {
  scope workspace
  trigger Contact.PropertyUpdated where "ping" in event.changed
  contact.update(set: { pong: ((contact.properties.pong ?? 0) as Int) + 1 })
}
"#;

both_stores!(
    #[test]
    two_workflows_that_feed_each_other_stop_at_the_default_depth
);
fn two_workflows_that_feed_each_other_stop_at_the_default_depth(backend: Backend) {
    let files = [("ping.komo", PING), ("pong.komo", PONG)];
    let dir = common::project("caused", &format!("loop_{backend}"), "loop", &files);
    let db = backend.db_arg(&dir);
    let key = key(&dir, &db);
    {
        let log = Log::default();
        let server = start(&dir, &db, &log);
        let api = Api::new(&server.base(), &key);
        // Each alone is fine; together they loop, which activation refuses. So: pong
        // gets a version and is deactivated, ping is activated, and pong is made active
        // again by hand while no server runs (the loop analysis bypassed).
        api.activate("pong");
        let (status, body) = api.send("POST", "/v1/workflows/pong/deactivate", None);
        assert_eq!(status, 200, "{body}");
        api.activate("ping");
    }
    let pong_active = "UPDATE workflows SET status = 'active', active_version = 1 WHERE name = 'pong'";
    match backend {
        Backend::Sqlite => {
            let db = dir.join(".komo/komo.db");
            let conn = rusqlite::Connection::open(&db).unwrap();
            let changed = conn.execute(pong_active, []).unwrap();
            assert_eq!(changed, 1);
            drop(conn);
        }
        Backend::Postgres => {
            let changed = stores::psql(&db, &format!("{pong_active} RETURNING name"));
            assert_eq!(changed.lines().count(), 1, "{changed}");
        }
    }

    let log = Log::default();
    let server = start(&dir, &db, &log);
    let api = Api::new(&server.base(), &key);
    let event = json!({ "id": "serve_1", "type": "Contact.PropertyUpdated", "occurred_at": "2026-11-29T09:00:00Z",
        "contact": { "email": "loop@example.com" }, "data": { "changed": ["pong"], "old": {}, "new": {} } });
    api.post(&event);
    // Depths 0 to 8 start runs (9 runs, ping first); the 9th run's change is depth 9.
    let records = api.finished_runs(9);
    assert_eq!(records.len(), 9, "{records:#?}");
    assert!(records.iter().all(|r| r["status"] == "succeeded"));
    assert_eq!(runs_of(&records, "ping").len(), 5);
    assert_eq!(runs_of(&records, "pong").len(), 4);
    let contact = api.get("/v1/contacts?email=loop@example.com");
    assert_eq!(contact["properties"], json!({ "ping": 5, "pong": 4 }), "every change once");
    let metrics = api.metrics();
    assert_eq!(metric(&metrics, "komo_chain_depth_exceeded_total"), 1, "{metrics}");
}

const COUPONS: &str = r#"workflow give {
  scope workspace
  trigger Contact.Identified
  contact.issue_coupon("Save 10", quantity: 2)
}
"#;

const THANKS: &str = r#"workflow thanks {
  scope workspace
  trigger Coupon.Issued where coupon.offer == "Save 10"
  contact.update(add_tags: ["got-${coupon.code}"])
}
"#;

both_stores!(
    #[test]
    each_issued_coupon_raises_coupon_issued_once
);
fn each_issued_coupon_raises_coupon_issued_once(backend: Backend) {
    let files = [("give.komo", COUPONS), ("thanks.komo", THANKS)];
    let dir = common::project("caused", &format!("coupons_{backend}"), "coupons", &files);
    let db = backend.db_arg(&dir);
    let key = key(&dir, &db);
    let log = Log::default();
    let server = start(&dir, &db, &log);
    let api = Api::new(&server.base(), &key);
    api.activate("give");
    api.activate("thanks");
    let event = json!({ "id": "c_1", "type": "Contact.Identified", "occurred_at": "2026-11-29T09:00:00Z",
        "contact": { "email": "coupons@example.com" }, "data": { "source": "test" } });
    api.post(&event);
    let records = api.finished_runs(3);
    let give = runs_of(&records, "give")[0];
    let codes = give["steps"][0]["output"]["codes"].as_array().unwrap().clone();
    assert_eq!(codes.len(), 2);
    let thanks = runs_of(&records, "thanks");
    assert_eq!(thanks.len(), 2, "{records:#?}");
    let mut seen: Vec<&Value> = thanks.iter().map(|r| &r["event"]["coupon"]["code"]).collect();
    seen.sort_by_key(|v| v.as_str().unwrap().to_owned());
    let mut want: Vec<&Value> = codes.iter().collect();
    want.sort_by_key(|v| v.as_str().unwrap().to_owned());
    assert_eq!(seen, want, "one Coupon.Issued per code");
    assert!(thanks.iter().all(|r| r["event"]["coupon"]["offer"] == "Save 10" && r["caused_by"]["step"] == "issue_coupon_1"));
    let contact = api.get("/v1/contacts?email=coupons@example.com");
    let tags = contact["tags"].as_array().unwrap();
    for code in &codes {
        assert!(tags.contains(&json!(format!("got-{}", code.as_str().unwrap()))), "{contact:#}");
    }
}
