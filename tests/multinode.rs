//! Several nodes on one Postgres, under faults: three `komo serve --db postgres://…`
//! processes share a store; 1,000 events are posted round-robin while runs park on
//! waits and retries against a slow loopback sink; one node is SIGKILLed mid-flight, and
//! another is SIGSTOPped past its lease (1 s) for 4 s, then continued.
//!
//! After the load, on the store and the sink:
//! - exactly one run per event and workflow, every run succeeded;
//! - each contact's internal effects exactly once (points and tags);
//! - every external call of a run carries one idempotency key (retries and take-overs
//!   reuse it), and each got a 200 at least once;
//! - no node committed a step after it lost its lease: the paused node's commits on its
//!   old claims were refused (`komo_claims_lost_total` on it), and nothing was applied
//!   twice (the points).
//!
//! Skipped (passing, with a message) where PostgreSQL is not installed; `.ci/run` sets
//! `KOMO_REQUIRE_POSTGRES=1`, which makes that a failure.
// Test helpers may fail loudly: a failed setup is a failed test. The summary of the
// faults and timings goes to stderr (shown with `--nocapture` or on failure).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::print_stderr
)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use common::serve::{Api, Log, Server, komo, tail};
use serde_json::{Value, json};

const EVENTS: usize = 1000;
/// Events then posted to two nodes at the same moment each.
const AT_ONCE: usize = 100;
/// Posts in flight at once, over all nodes.
const POSTERS: usize = 12;
/// Claims last this long without renewal; the paused node sleeps well past it.
const LEASE_SECONDS: &str = "1";
const PAUSE: Duration = Duration::from_secs(4);
/// The sink answers this slowly, so every node has runs in flight when it is stopped.
const SINK_LATENCY: Duration = Duration::from_millis(60);
const FINISH_WITHIN: Duration = Duration::from_secs(90);

const POINTS: &str = r#"/// Internal effects around a durable wait.
workflow points {
  scope workspace
  trigger Contact.Identified
  step award = loyalty.award_points(10)
  wait 1s
  contact.update(add_tags: ["done-${event.id}"])
}
"#;

const NOTIFY: &str = r#"/// At least once outside (retried), exactly once inside.
workflow notify {
  scope workspace
  trigger Contact.Identified
  step sink = http.request("POST", "http://SINK/sink", json: { event: event.id }) retry 3 backoff 300ms
  step bonus = loyalty.award_points(5)
  contact.update(add_tags: ["notified-${event.id}"])
}
"#;

fn event_id(index: usize) -> String {
    format!("evt_{index:04}")
}

#[derive(Clone, Debug)]
struct Hit {
    key: Option<String>,
    event: String,
    status: u16,
}

#[derive(Default)]
struct Sink {
    hits: Mutex<Vec<Hit>>,
}

/// Slow, and the first call of every fifth event fails (503): those runs park on a
/// retry, which any node may pick up.
async fn sink_handler(State(sink): State<Arc<Sink>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    tokio::time::sleep(SINK_LATENCY).await;
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let event =
        serde_json::from_slice::<Value>(&body).ok().and_then(|v| v["event"].as_str().map(str::to_owned));
    let event = event.unwrap_or_default();
    let index: usize = event.strip_prefix("evt_").and_then(|n| n.parse().ok()).unwrap_or(0);
    let mut hits = sink.hits.lock().unwrap();
    let earlier = hits.iter().filter(|h| h.key == key).count();
    let status =
        if index % 5 == 0 && earlier == 0 { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
    hits.push(Hit { key, event, status: status.as_u16() });
    status
}

async fn start_sink() -> (String, Arc<Sink>) {
    let sink = Arc::new(Sink::default());
    let address =
        common::serve::listen(Router::new().fallback(sink_handler).with_state(Arc::clone(&sink))).await;
    (address, sink)
}

fn project(sink: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("multinode");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("workflows")).unwrap();
    let toml = format!("[workspace]\nid = \"multi\"\n\n[http]\nallow_hosts = [\"{sink}\"]\n");
    std::fs::write(dir.join("komo.toml"), toml).unwrap();
    std::fs::write(dir.join("workflows/points.komo"), POINTS).unwrap();
    std::fs::write(dir.join("workflows/notify.komo"), NOTIFY.replace("SINK", sink)).unwrap();
    dir
}

fn envelope(index: usize) -> String {
    json!({ "id": event_id(index), "type": "Contact.Identified", "occurred_at": "2026-12-07T09:00:00Z",
            "contact": { "email": format!("m{index:04}@example.com") }, "data": {} })
    .to_string()
}

/// Which nodes are up (an index into the APIs) and which stay reachable.
struct Nodes {
    apis: Vec<Api>,
    down: Mutex<BTreeSet<usize>>,
}

/// Posts event `index`, starting at node `first` and moving on to the next live node
/// when one does not answer (killed, or stopped: the post times out). An answer lost
/// with a dead node is posted again elsewhere, which must then be a duplicate or the
/// first commit.
async fn post(nodes: &Nodes, index: usize, first: usize) -> Value {
    for attempt in 0..30 {
        let node = (first + attempt) % nodes.apis.len();
        if nodes.down.lock().unwrap().contains(&node) {
            continue;
        }
        match nodes.apis[node].try_send("POST", "/v1/events", Some(envelope(index))).await {
            Ok((202, body)) => return body,
            Ok((status, body)) => panic!("event {index} on node {node}: {status} {body}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("event {index}: no node took it");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_nodes_share_one_postgres_through_a_kill_and_a_pause() {
    let Some(cluster) = common::postgres::cluster() else { return };
    let url = cluster.fresh_database();
    let (sink_address, sink) = start_sink().await;
    let dir = project(&sink_address);
    let output =
        komo(&dir, &["keys", "create", "--project", dir.to_str().unwrap(), "--db", &url]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let key = String::from_utf8(output.stdout).unwrap().trim().to_owned();

    let log: Log = Arc::default();
    let mut servers = Vec::new();
    for n in 0..3 {
        let name = format!("node{n}");
        let args = ["--db", url.as_str(), "--node", name.as_str(), "--lease", LEASE_SECONDS];
        servers.push(Some(Server::start(&dir, &args, &name, &log).await));
    }
    let client = reqwest::Client::new();
    let apis: Vec<Api> =
        servers.iter().map(|s| Api::new(&client, &s.as_ref().unwrap().address, &key)).collect();
    for workflow in ["points", "notify"] {
        let (status, body) =
            apis[0].try_send("POST", &format!("/v1/workflows/{workflow}/activate"), None).await.unwrap();
        assert_eq!(status, 200, "{body}");
    }
    // Every node names itself in /metrics.
    for (n, api) in apis.iter().enumerate() {
        let text = api.metrics().await;
        assert!(text.contains(&format!("komo_node_info{{node=\"node{n}\",store=\"postgres\"}} 1")), "{text}");
    }
    let nodes = Arc::new(Nodes { apis: apis.clone(), down: Mutex::default() });

    // The load, round-robin, with the faults part-way through.
    let began = Instant::now();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let answers: Arc<Mutex<BTreeMap<usize, Value>>> = Arc::default();
    let mut posters = tokio::task::JoinSet::new();
    for _ in 0..POSTERS {
        let (nodes, next, answers) = (Arc::clone(&nodes), Arc::clone(&next), Arc::clone(&answers));
        posters.spawn(async move {
            loop {
                let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if index >= EVENTS {
                    return;
                }
                let body = post(&nodes, index, index % 3).await;
                answers.lock().unwrap().insert(index, body);
            }
        });
    }
    let progress = |n: usize| {
        let next = Arc::clone(&next);
        async move {
            while next.load(std::sync::atomic::Ordering::Relaxed) < n {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
    };
    progress(EVENTS * 3 / 10).await;
    nodes.down.lock().unwrap().insert(2);
    servers[2].take().unwrap().kill();
    let killed_at = began.elapsed();
    progress(EVENTS * 6 / 10).await;
    nodes.down.lock().unwrap().insert(1);
    servers[1].as_ref().unwrap().signal("STOP");
    let paused_at = began.elapsed();
    tokio::time::sleep(PAUSE).await;
    servers[1].as_ref().unwrap().signal("CONT");
    nodes.down.lock().unwrap().remove(&1);
    while let Some(done) = posters.join_next().await {
        done.unwrap();
    }
    let posted = began.elapsed();

    // Every run finishes.
    let deadline = Instant::now() + FINISH_WITHIN;
    let runs = loop {
        let runs = apis[0].all_runs().await;
        if runs.len() >= 2 * EVENTS && runs.iter().all(|r| !r["finished_at"].is_null()) {
            break runs;
        }
        if Instant::now() > deadline {
            let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
            for r in &runs {
                *statuses.entry(r["status"].as_str().unwrap_or("?").to_owned()).or_default() += 1;
            }
            panic!(
                "runs unfinished after {FINISH_WITHIN:?}: {} runs, {statuses:?}\n{}",
                runs.len(),
                tail(&log.lock().unwrap(), 60)
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let finished = began.elapsed();

    let mut problems = Vec::new();
    // Exactly one run per event and workflow, all succeeded.
    let mut by_event: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for run in &runs {
        let id = run["id"].as_str().unwrap().to_owned();
        if run["status"] != "succeeded" {
            problems.push(format!("run {id}: {}", run["status"]));
        }
        let record = apis[0].get(&format!("/v1/runs/{id}")).await;
        let event = record["event"]["id"].as_str().unwrap_or("?").to_owned();
        by_event.entry((event, run["workflow"].as_str().unwrap().to_owned())).or_default().push(id);
    }
    for index in 0..EVENTS {
        for workflow in ["points", "notify"] {
            let found = by_event.get(&(event_id(index), workflow.to_owned())).map_or(0, Vec::len);
            if found != 1 {
                problems.push(format!("{}: {found} runs of {workflow}", event_id(index)));
            }
        }
    }
    // Internal effects exactly once.
    for index in 0..EVENTS {
        let contact = apis[0].get(&format!("/v1/contacts?email=m{index:04}@example.com")).await;
        let event = event_id(index);
        let tags: BTreeSet<&str> =
            contact["tags"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
        let want: BTreeSet<String> = [format!("done-{event}"), format!("notified-{event}")].into();
        if contact["points"] != 15 || tags != want.iter().map(String::as_str).collect() {
            problems.push(format!("{event}: points {} tags {}", contact["points"], contact["tags"]));
        }
    }
    // External effects: one key per run, each answered 200 at least once.
    let hits = sink.hits.lock().unwrap().clone();
    let mut keys: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut ok: BTreeSet<String> = BTreeSet::new();
    for hit in &hits {
        match &hit.key {
            Some(key) => {
                keys.entry(hit.event.clone()).or_default().insert(key.clone());
                if hit.status == 200 {
                    ok.insert(key.clone());
                }
            }
            None => problems.push(format!("a sink call for {} without an Idempotency-Key", hit.event)),
        }
    }
    for index in 0..EVENTS {
        let event = event_id(index);
        match keys.get(&event) {
            Some(k) if k.len() == 1 && k.iter().all(|key| ok.contains(key)) => {}
            other => problems.push(format!("{event}: sink keys {other:?}")),
        }
    }
    let repeated = hits.len() - EVENTS;
    // The paused node came back to claims it had lost: its commits on them were refused.
    let lost = apis[1].metric("komo_claims_lost_total").await;
    if lost == 0 {
        problems
            .push("the paused node committed nothing on a lost claim, or never tried: no claim lost".into());
    }
    let duplicates = answers.lock().unwrap().values().filter(|a| a["duplicate"] == true).count();

    // The same event on two nodes at the same moment starts one set of runs.
    let mut twice = tokio::task::JoinSet::new();
    for index in EVENTS..EVENTS + AT_ONCE {
        let (a, b) = (apis[0].clone(), apis[1].clone());
        twice.spawn(async move {
            let (x, y) = tokio::join!(
                a.try_send("POST", "/v1/events", Some(envelope(index))),
                b.try_send("POST", "/v1/events", Some(envelope(index)))
            );
            (index, x.unwrap(), y.unwrap())
        });
    }
    while let Some(done) = twice.join_next().await {
        let (index, (sx, x), (sy, y)) = done.unwrap();
        let fresh: Vec<&Value> = [&x, &y].into_iter().filter(|a| a["duplicate"] == false).collect();
        let started: usize = fresh.iter().map(|a| a["runs"].as_array().map_or(0, Vec::len)).sum();
        if (sx, sy) != (202, 202) || fresh.len() != 1 || started != 2 {
            problems.push(format!("{} posted to two nodes at once: {sx} {x} / {sy} {y}", event_id(index)));
        }
    }
    // A lifecycle change on one node reaches the others' caches of active workflows:
    // node 1 has matched events to both workflows (and cached them); once node 0 pauses
    // `notify`, node 1's next events start `points` alone.
    let (status, body) = apis[0].try_send("POST", "/v1/workflows/notify/pause", None).await.unwrap();
    assert_eq!(status, 200, "{body}");
    let mut next_index = EVENTS + AT_ONCE;
    let seen_by_node1 = loop {
        let (_, answer) = apis[1].try_send("POST", "/v1/events", Some(envelope(next_index))).await.unwrap();
        next_index += 1;
        let workflows: Vec<&str> =
            answer["runs"].as_array().unwrap().iter().filter_map(|r| r["workflow"].as_str()).collect();
        if workflows == ["points"] {
            break began.elapsed();
        }
        if next_index > EVENTS + AT_ONCE + 50 {
            problems.push(format!("node 1 still starts {workflows:?} after node 0 paused `notify`"));
            break began.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let extra = next_index - (EVENTS + AT_ONCE);
    eprintln!("multinode: node 1 saw the pause after {extra} event(s) (at {seen_by_node1:?})");
    let total = apis[0].all_runs().await.len();
    // The last of the events after the pause started `points` alone; the ones before it
    // (if the notification was not there yet) both.
    let want = 2 * (EVENTS + AT_ONCE) + 2 * extra - 1;
    if total != want {
        problems.push(format!("{total} runs after the simultaneous posts and the pause, not {want}"));
    }
    eprintln!(
        "multinode: {EVENTS} events, {} runs; node2 killed at {killed_at:?}, node1 paused at {paused_at:?} for \
         {PAUSE:?}; posted in {posted:?}, all finished at {finished:?}; {} sink calls ({repeated} repeated), \
         {duplicates} duplicate answers, {lost} claims lost by the paused node",
        runs.len(),
        hits.len()
    );
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}
