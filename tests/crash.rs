//! The engine's durability under crashes (`engine.md` §5), end to end on the real
//! binary, once on each store (`--db` a SQLite file or a Postgres database,
//! `common::stores`; the two runs take turns): `komo serve` on a temporary project's
//! store is killed with SIGKILL at seeded random moments while events are being posted
//! and while runs are parked on waits and retry delays, restarted on the same store on a
//! new port each time, and finally left to finish every run. Then:
//!
//! - every event answered 202 (and every event whose post was cut off, once posted
//!   again) has exactly one run per matching workflow, and no run exists besides those;
//! - every run succeeded; a `wait` was honoured and recorded once;
//! - each contact's internal effects applied exactly once (points and tags);
//! - every event the engine caused (each points award raises `Contact.PropertyUpdated`)
//!   exists exactly once and started exactly one run of the workflow it matches, whose
//!   own effect applied exactly once;
//! - the HTTP sink saw every `notify` run at least once, every repeat for a run carried
//!   the same `Idempotency-Key` (`<run id>:<step>`), and no key came with two bodies.
//!
//! `KOMO_CRASH_SEED=<u64>` replays a particular schedule of kills.

// Test helpers may fail loudly: a failed setup is a failed test. The summary of the
// schedule and the timings goes to stderr (shown with `--nocapture` or on failure).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::print_stderr
)]

mod common;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use common::serve::{Api, Server, komo, tail};
use common::stores::Backend;
use serde_json::{Value, json};

/// Events posted, each for a contact of its own.
const EVENTS: usize = 200;
/// Kills while events are being posted; one more follows with only runs in flight.
const LOADING_CRASHES: usize = 3;
/// Concurrent posters.
const LOADERS: usize = 4;
/// Each poster's pause between two events, so that posting spans several crashes.
const PACE: Duration = Duration::from_millis(20);
/// A kill comes this long (ms, uniformly random) after the server is ready.
const KILL_AFTER_MS: (u64, u64) = (50, 400);
/// How long the last server may take to finish every run.
const FINISH_WITHIN: Duration = Duration::from_secs(30);
const DEFAULT_SEED: u64 = 0x6b6f_6d6f_6372_6173;

const POINTS: &str = r#"/// Internal effects before and after a durable wait.
workflow points {
  scope workspace
  trigger Contact.Identified
  step award = loyalty.award_points(10)
  wait 1s
  contact.update(add_tags: ["done-${event.id}"])
}
"#;

/// An external call with stored retries, then internal effects. `SINK` is replaced by
/// the sink's address.
const NOTIFY: &str = r#"/// At least once outside, exactly once inside.
workflow notify {
  scope workspace
  trigger Contact.Identified
  step sink = http.request("POST", "http://SINK/sink", json: { event: event.id }) retry 3 backoff 200ms
  step bonus = loyalty.award_points(5)
  contact.update(add_tags: ["notified-${event.id}"])
}
"#;

/// Started by the events the other two cause: each points award raises
/// `Contact.PropertyUpdated` with `points` changed (the tags they add do not pass the
/// filter, and neither do this workflow's own).
const SEEN: &str = r#"/// Caused events, exactly once.
workflow seen {
  scope workspace
  trigger Contact.PropertyUpdated where "points" in event.changed
  contact.update(add_tags: ["seen-${event.new.points}"])
}
"#;

/// Runs per posted event: `points`, `notify`, and two `seen` (one per award).
const RUNS_PER_EVENT: usize = 4;

// ---------------------------------------------------------------------------------
// Deterministic randomness.

/// SplitMix64: small, seeded, good enough to pick kill moments.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn between(&mut self, (lo, hi): (u64, u64)) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }
}

// ---------------------------------------------------------------------------------
// The HTTP sink: records every request, fails the first attempts of some keys.

#[derive(Clone, Debug)]
struct Hit {
    path: String,
    key: Option<String>,
    body: String,
    status: u16,
}

#[derive(Debug, Default)]
struct Sink {
    hits: Mutex<Vec<Hit>>,
}

fn event_id(index: usize) -> String {
    format!("evt_{index:03}")
}

/// How many first attempts of the key for event `index` the sink fails with 503.
fn failures_for(index: usize) -> usize {
    match index % 6 {
        0 => 1,
        3 => 2,
        _ => 0,
    }
}

async fn sink_handler(
    State(sink): State<Arc<Sink>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    // A little latency widens the window in which a kill finds a request in flight.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body = String::from_utf8_lossy(&body).into_owned();
    let index = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v["event"].as_str().and_then(|e| e.strip_prefix("evt_")).and_then(|n| n.parse().ok()));
    let mut hits = sink.hits.lock().unwrap();
    let earlier = hits.iter().filter(|h| h.key == key).count();
    let status = match index {
        Some(index) if earlier < failures_for(index) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::OK,
    };
    hits.push(Hit { path: uri.path().to_owned(), key, body, status: status.as_u16() });
    status
}

async fn start_sink() -> (String, Arc<Sink>) {
    let sink = Arc::new(Sink::default());
    let address =
        common::serve::listen(Router::new().fallback(sink_handler).with_state(Arc::clone(&sink))).await;
    (address, sink)
}

// ---------------------------------------------------------------------------------
// The project and the `komo serve` process.

fn project(sink: &str, backend: Backend) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("crash").join(backend.name());
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("workflows")).unwrap();
    let toml = format!("[workspace]\nid = \"crash\"\n\n[http]\nallow_hosts = [\"{sink}\"]\n");
    std::fs::write(dir.join("komo.toml"), toml).unwrap();
    std::fs::write(dir.join("workflows/points.komo"), POINTS).unwrap();
    std::fs::write(dir.join("workflows/notify.komo"), NOTIFY.replace("SINK", sink)).unwrap();
    std::fs::write(dir.join("workflows/seen.komo"), SEEN).unwrap();
    dir
}

// ---------------------------------------------------------------------------------
// The API client.

// ---------------------------------------------------------------------------------
// Posting events.

fn envelope(index: usize) -> String {
    json!({ "id": event_id(index), "type": "Contact.Identified", "occurred_at": "2026-11-29T09:00:00Z",
            "contact": { "email": format!("c{index:03}@example.com"), "first_name": "Crash" },
            "data": { "source": "crash-test" } })
    .to_string()
}

#[derive(Debug)]
enum Answer {
    /// 202, new: the runs started (id, workflow).
    Started(Vec<(String, String)>),
    /// 202, `"duplicate": true`: an earlier post was committed though its answer was lost.
    Duplicate,
}

#[derive(Debug, Default)]
struct Load {
    pending: VecDeque<usize>,
    answers: BTreeMap<usize, Answer>,
    /// Posts cut off (no answer) per event.
    cut: BTreeMap<usize, u32>,
}

/// Posts pending events until none is left or the server stops answering (the event
/// then goes back to the queue, to be posted again after the restart).
async fn loader(api: Api, load: Arc<Mutex<Load>>) -> Result<(), String> {
    loop {
        let Some(index) = load.lock().unwrap().pending.pop_front() else { return Ok(()) };
        match api.try_send("POST", "/v1/events", Some(envelope(index))).await {
            Ok((202, body)) => {
                let mut load = load.lock().unwrap();
                if body["event_id"] != event_id(index) {
                    return Err(format!("event {index}: answer for another event: {body}"));
                }
                let answer = if body["duplicate"] == true {
                    if body["runs"] != json!([]) {
                        return Err(format!("event {index}: a duplicate started runs: {body}"));
                    }
                    if !load.cut.contains_key(&index) {
                        return Err(format!("event {index}: duplicate on its first complete post: {body}"));
                    }
                    Answer::Duplicate
                } else {
                    let runs: Vec<(String, String)> = body["runs"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| {
                            (r["id"].as_str().unwrap().to_owned(), r["workflow"].as_str().unwrap().to_owned())
                        })
                        .collect();
                    Answer::Started(runs)
                };
                if let Some(earlier) = load.answers.insert(index, answer) {
                    return Err(format!("event {index}: answered twice (first {earlier:?})"));
                }
            }
            Ok((status, body)) => return Err(format!("event {index}: {status} {body}")),
            Err(_) => {
                let mut load = load.lock().unwrap();
                load.pending.push_back(index);
                *load.cut.entry(index).or_default() += 1;
                return Ok(());
            }
        }
        tokio::time::sleep(PACE).await;
    }
}

fn spawn_loaders(api: &Api, load: &Arc<Mutex<Load>>) -> tokio::task::JoinSet<Result<(), String>> {
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..LOADERS {
        set.spawn(loader(api.clone(), Arc::clone(load)));
    }
    set
}

async fn join_loaders(mut set: tokio::task::JoinSet<Result<(), String>>) {
    while let Some(result) = set.join_next().await {
        result.unwrap().unwrap();
    }
}

// ---------------------------------------------------------------------------------
// Checking.

fn millis(text: &Value) -> i64 {
    text.as_str().unwrap().parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

/// Fetches `paths` with a few concurrent requests; answers in order.
async fn get_all(api: &Api, paths: Vec<String>) -> Vec<Value> {
    let chunks: Vec<Vec<(usize, String)>> = {
        let indexed: Vec<(usize, String)> = paths.into_iter().enumerate().collect();
        indexed.chunks(indexed.len().div_ceil(4).max(1)).map(<[_]>::to_vec).collect()
    };
    let mut set = tokio::task::JoinSet::new();
    for chunk in chunks {
        let api = api.clone();
        set.spawn(async move {
            let mut out = Vec::new();
            for (i, path) in chunk {
                out.push((i, api.get(&path).await));
            }
            out
        });
    }
    let mut all = Vec::new();
    while let Some(part) = set.join_next().await {
        all.extend(part.unwrap());
    }
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, v)| v).collect()
}

/// The two variants of the crash test take turns: each is a load on the machine and
/// measures how long things take.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

both_stores!(
    #[test]
    runs_survive_sigkill_exactly_once_inside_and_at_least_once_outside
);
fn runs_survive_sigkill_exactly_once_inside_and_at_least_once_outside(backend: Backend) {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(crash_test(backend));
}

async fn crash_test(backend: Backend) {
    let began = Instant::now();
    let seed = std::env::var("KOMO_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(DEFAULT_SEED);
    let mut rng = Rng(seed);
    let mut schedule = format!("seed {seed}, store {backend}\n");

    let (sink_address, sink) = start_sink().await;
    let dir = project(&sink_address, backend);
    // Every server, after every kill, on this one store.
    let db = backend.db_arg(&dir);
    let created =
        komo(&dir, &["keys", "create", "--project", dir.to_str().unwrap(), "--db", &db]).output().unwrap();
    assert_eq!(created.status.code(), Some(0), "{}", String::from_utf8_lossy(&created.stderr));
    let key = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    let log = Arc::new(Mutex::new(Vec::new()));
    let client = reqwest::Client::builder().timeout(Duration::from_secs(15)).build().unwrap();

    // One node name for every restart: a restarted node ends the leases its killed
    // process held (on Postgres), as a supervisor restarting it would have it.
    let mut server = Server::start(&dir, &["--db", &db, "--node", "crash"], "0", &log).await;
    let api = Api::new(&client, &server.address, &key);
    for workflow in ["points", "notify", "seen"] {
        let (status, body) =
            api.try_send("POST", &format!("/v1/workflows/{workflow}/activate"), None).await.unwrap();
        assert_eq!(status, 200, "activate {workflow}: {body}");
    }

    let load = Arc::new(Mutex::new(Load { pending: (0..EVENTS).collect(), ..Load::default() }));
    // When the store was unreachable: (killed, ready again), in ms since the epoch.
    let mut downtime: Vec<(i64, i64)> = Vec::new();
    for generation in 0..=LOADING_CRASHES {
        let api = Api::new(&client, &server.address, &key);
        let loading = generation < LOADING_CRASHES;
        let loaders = loading.then(|| spawn_loaders(&api, &load));
        let after = rng.between(KILL_AFTER_MS);
        tokio::time::sleep(Duration::from_millis(after)).await;
        let killed = jiff::Timestamp::now().as_millisecond();
        server.kill();
        if let Some(loaders) = loaders {
            join_loaders(loaders).await;
        }
        let (answered, left, cut) = {
            let load = load.lock().unwrap();
            (load.answers.len(), load.pending.len(), load.cut.values().sum::<u32>())
        };
        let hits = sink.hits.lock().unwrap().len();
        server =
            Server::start(&dir, &["--db", &db, "--node", "crash"], &(generation + 1).to_string(), &log).await;
        let ready = jiff::Timestamp::now().as_millisecond();
        downtime.push((killed, ready));
        writeln!(
            schedule,
            "kill {generation} after {after} ms ({}): {answered} answered, {left} to post, {cut} posts cut off, \
             {hits} sink hits; back up in {} ms",
            if loading { "posting" } else { "runs only" },
            ready - killed
        )
        .unwrap();
    }

    // The last server: post what is left, then let every run finish.
    let api = Api::new(&client, &server.address, &key);
    for _ in 0..5 {
        join_loaders(spawn_loaders(&api, &load)).await;
        if load.lock().unwrap().pending.is_empty() {
            break;
        }
    }
    let load = Arc::try_unwrap(load).unwrap().into_inner().unwrap();
    assert!(load.pending.is_empty(), "events left unposted: {:?}", load.pending);
    assert_eq!(load.answers.len(), EVENTS);
    let posted = began.elapsed();

    let deadline = Instant::now() + FINISH_WITHIN;
    let runs = loop {
        let runs = api.all_runs().await;
        let unfinished = runs.iter().filter(|r| r["finished_at"].is_null()).count();
        if runs.len() >= RUNS_PER_EVENT * EVENTS && unfinished == 0 {
            break runs;
        }
        if Instant::now() > deadline {
            let statuses: BTreeMap<String, usize> = runs.iter().fold(BTreeMap::new(), |mut m, r| {
                *m.entry(r["status"].as_str().unwrap_or("?").to_owned()).or_default() += 1;
                m
            });
            panic!(
                "runs unfinished after {FINISH_WITHIN:?}: {} runs, by status {statuses:?}\n{schedule}\n{}",
                runs.len(),
                tail(&log.lock().unwrap(), 40)
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let finished = began.elapsed();

    let mut problems: Vec<String> = Vec::new();
    let ids: Vec<String> = runs.iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect();
    let unique: BTreeSet<&String> = ids.iter().collect();
    if unique.len() != ids.len() {
        problems.push(format!("the runs list repeats ids: {} rows, {} ids", ids.len(), unique.len()));
    }
    if ids.len() != RUNS_PER_EVENT * EVENTS {
        problems.push(format!("{} runs for {EVENTS} events, {RUNS_PER_EVENT} expected per event", ids.len()));
    }
    let records = get_all(&api, ids.iter().map(|id| format!("/v1/runs/{id}")).collect()).await;

    // Runs per (event, workflow), and the 202 answers' run ids among them.
    let mut by_event: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut notify_runs: BTreeMap<String, String> = BTreeMap::new(); // run id -> event id
    // Caused events: id -> (causing run, the runs it started per the causing run's record).
    let mut caused: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    // `seen` runs: run id -> (its event id, the run its record names as the cause).
    let mut seen_runs: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut wait_lag_max = 0i64;
    // Runs in progress at a kill, and parks (waits, retry delays) that a kill interrupted.
    let kills: Vec<i64> = downtime.iter().map(|d| d.0).collect();
    let spans = |from: i64, to: i64| kills.iter().any(|k| (from..to).contains(k));
    let (mut runs_across, mut parks_across) = (0, 0);
    for record in &records {
        if spans(
            millis(&record["started_at"]),
            record["finished_at"].as_str().map_or(i64::MAX, |_| millis(&record["finished_at"])),
        ) {
            runs_across += 1;
        }
        for park in record["waits"].as_array().into_iter().flatten() {
            if spans(millis(&park["started_at"]), millis(&park["until"])) {
                parks_across += 1;
            }
        }
    }
    if runs_across == 0 || parks_across == 0 {
        problems.push(format!(
            "the kills missed the runs: {runs_across} runs in progress and {parks_across} parks across a kill"
        ));
    }
    for record in &records {
        let id = record["id"].as_str().unwrap().to_owned();
        let workflow = record["workflow"].as_str().unwrap().to_owned();
        let event = record["event"]["id"].as_str().unwrap_or("?").to_owned();
        by_event.entry((event.clone(), workflow.clone())).or_default().push(id.clone());
        if record["status"] != "succeeded" {
            problems.push(format!("run {id} ({workflow}, {event}) is {}: {record}", record["status"]));
            continue;
        }
        let steps = record["steps"].as_array().unwrap();
        for step in steps {
            if step["status"] != "succeeded" {
                problems.push(format!("run {id}: step {} is {}", step["name"], step["status"]));
            }
        }
        let step = |name: &str| steps.iter().find(|s| s["name"] == name).cloned().unwrap_or(Value::Null);
        if workflow != "seen" {
            // One award, so one caused event with `points` changed, and it started one run.
            let awards: Vec<&Value> = record["caused_events"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|e| e["data"]["changed"].as_array().is_some_and(|c| c.contains(&json!("points"))))
                .collect();
            if awards.len() != 1 {
                problems.push(format!(
                    "run {id}: {} caused points events: {}",
                    awards.len(),
                    record["caused_events"]
                ));
            }
            for award in awards {
                let event_id = award["id"].as_str().unwrap_or("?").to_owned();
                let started: Vec<String> = record["caused_runs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|r| r["event"] == event_id.as_str())
                    .map(|r| r["id"].as_str().unwrap_or("?").to_owned())
                    .collect();
                if caused.insert(event_id.clone(), (id.clone(), started)).is_some() {
                    problems.push(format!("caused event {event_id} listed by two runs"));
                }
            }
        }
        match workflow.as_str() {
            "points" => {
                let waits: Vec<&Value> =
                    record["waits"].as_array().unwrap().iter().filter(|w| w["kind"] == "wait").collect();
                let update = step("update_1");
                if waits.len() != 1 || update.is_null() {
                    problems.push(format!("run {id}: {} wait records, update step {update}", waits.len()));
                    continue;
                }
                let (started, until) = (millis(&waits[0]["started_at"]), millis(&waits[0]["until"]));
                let resumed = millis(&update["started_at"]);
                if until - started != 1000 || resumed < until {
                    problems.push(format!("run {id}: wait {} to {}, resumed at {}", started, until, resumed));
                }
                // How late the wait fired, downtime discounted.
                let due =
                    downtime.iter().find(|(down, up)| (*down..*up).contains(&until)).map_or(until, |d| d.1);
                wait_lag_max = wait_lag_max.max(resumed - due);
                let balance = &step("award")["output"]["balance"];
                if *balance != 10 && *balance != 15 {
                    problems.push(format!("run {id}: award balance {balance}"));
                }
            }
            "notify" => {
                notify_runs.insert(id.clone(), event.clone());
                let sent = step("sink");
                let attempts = sent["attempts"].as_u64().unwrap_or(0);
                if sent["output"]["status"] != 200 || !(1..=4).contains(&attempts) {
                    problems.push(format!("run {id}: sink step {sent}"));
                }
            }
            "seen" => {
                let cause = record["caused_by"]["run"].as_str().unwrap_or("?").to_owned();
                seen_runs.insert(id.clone(), (event.clone(), cause));
            }
            other => problems.push(format!("run {id} of unknown workflow {other}")),
        }
    }

    let mut started_answers = 0;
    let mut duplicates = 0;
    for (index, answer) in &load.answers {
        let event = event_id(*index);
        for workflow in ["points", "notify"] {
            let runs = by_event.get(&(event.clone(), workflow.to_owned())).cloned().unwrap_or_default();
            if runs.len() != 1 {
                problems.push(format!("{event}: {} runs of {workflow}: {runs:?}", runs.len()));
            }
        }
        match answer {
            Answer::Started(started) => {
                started_answers += 1;
                let mut workflows: Vec<&str> = started.iter().map(|(_, w)| w.as_str()).collect();
                workflows.sort_unstable();
                if workflows != ["notify", "points"] {
                    problems.push(format!("{event}: 202 started {started:?}"));
                }
                for (run, workflow) in started {
                    let found = by_event.get(&(event.clone(), workflow.clone()));
                    if !found.is_some_and(|runs| runs.contains(run)) {
                        problems.push(format!(
                            "{event}: acknowledged run {run} ({workflow}) is missing: {found:?}"
                        ));
                    }
                }
            }
            Answer::Duplicate => duplicates += 1,
        }
    }
    // Every caused event started exactly one `seen` run, which names it and its cause.
    if caused.len() != 2 * EVENTS {
        problems.push(format!("{} caused points events for {EVENTS} events (2 each expected)", caused.len()));
    }
    for (event, (cause, started)) in &caused {
        let runs: Vec<&String> = seen_runs.iter().filter(|(_, (e, _))| e == event).map(|(r, _)| r).collect();
        if started.len() != 1 || runs.len() != 1 || runs.first().copied() != started.first() {
            problems
                .push(format!("caused event {event} (run {cause}): started {started:?}, seen runs {runs:?}"));
        }
        if runs.first().is_some_and(|r| seen_runs.get(*r).is_some_and(|(_, c)| c != cause)) {
            problems.push(format!("caused event {event}: its run names another cause than {cause}"));
        }
    }
    for (run, (event, _)) in &seen_runs {
        if !caused.contains_key(event) {
            problems.push(format!("seen run {run} started by an event no run caused: {event}"));
        }
    }
    let known: BTreeSet<String> = (0..EVENTS).map(event_id).collect();
    for (event, workflow) in by_event.keys() {
        if workflow != "seen" && !known.contains(event) {
            problems.push(format!("a {workflow} run for an event never posted: {event}"));
        }
    }

    // Internal effects: exactly once per run.
    let emails = (0..EVENTS).map(|i| format!("/v1/contacts?email=c{i:03}@example.com")).collect();
    for (index, contact) in get_all(&api, emails).await.iter().enumerate() {
        let event = event_id(index);
        let tags: BTreeSet<&str> =
            contact["tags"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
        // Each award raised one event and each started one `seen` run: the first saw 10
        // or 5 points, the second 15.
        let first_seen = if tags.contains("seen-10") { "seen-10" } else { "seen-5" };
        let want: BTreeSet<String> =
            [format!("done-{event}"), format!("notified-{event}"), "seen-15".into(), first_seen.into()]
                .into();
        let want: BTreeSet<&str> = want.iter().map(String::as_str).collect();
        if contact["points"] != 15 || tags != want || contact["tags"].as_array().unwrap().len() != 4 {
            problems.push(format!(
                "{event}: contact has points {} and tags {}",
                contact["points"], contact["tags"]
            ));
        }
    }

    // External effects: at least once, one key per run, one body per key.
    let hits = sink.hits.lock().unwrap().clone();
    let mut by_key: BTreeMap<String, Vec<&Hit>> = BTreeMap::new();
    let mut keys_by_event: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for hit in &hits {
        let body: Value = serde_json::from_str(&hit.body).unwrap_or(Value::Null);
        let event = body["event"].as_str().unwrap_or("?").to_owned();
        if hit.path != "/sink" {
            problems.push(format!("sink hit on {}", hit.path));
        }
        let Some(key) = &hit.key else {
            problems.push(format!("sink hit without an Idempotency-Key: {}", hit.body));
            continue;
        };
        keys_by_event.entry(event).or_default().insert(key.clone());
        by_key.entry(key.clone()).or_default().push(hit);
    }
    for (key, key_hits) in &by_key {
        let bodies: BTreeSet<&str> = key_hits.iter().map(|h| h.body.as_str()).collect();
        if bodies.len() != 1 {
            problems.push(format!("key {key} came with {} bodies: {bodies:?}", bodies.len()));
        }
        let run = key.strip_suffix(":sink").unwrap_or("?");
        match notify_runs.get(run) {
            None => problems.push(format!("key {key} is not `<notify run id>:sink`")),
            Some(event) => {
                let sent = json!({ "event": event }).to_string();
                if !bodies
                    .iter()
                    .all(|b| serde_json::from_str::<Value>(b).ok() == serde_json::from_str(&sent).ok())
                {
                    problems.push(format!("key {key} (run of {event}) sent {bodies:?}"));
                }
            }
        }
        if !key_hits.iter().any(|h| h.status == 200) {
            problems.push(format!("key {key} never got a 200"));
        }
    }
    for (run, event) in &notify_runs {
        if !by_key.contains_key(&format!("{run}:sink")) {
            problems.push(format!("notify run {run} ({event}) never reached the sink"));
        }
    }
    for (event, keys) in &keys_by_event {
        if keys.len() != 1 {
            problems.push(format!("{event}: the sink saw {} keys: {keys:?}", keys.len()));
        }
    }
    let repeats = by_key.values().map(|h| h.len().saturating_sub(1)).sum::<usize>();
    let failed_on_purpose = hits.iter().filter(|h| h.status == 503).count();

    let logged = log.lock().unwrap().clone();
    let errors: Vec<&String> = logged
        .iter()
        .filter(|l| l.contains("ERROR") || l.contains("WARN") || l.contains("panicked"))
        .collect();
    writeln!(
        schedule,
        "{} events answered new, {duplicates} answered duplicate after a cut-off post; {} runs, {} of them \
         started by the {} events runs caused; {} sink hits \
         ({failed_on_purpose} answered 503, {repeats} repeats of a key); {runs_across} runs in progress and \
         {parks_across} waits or retry delays across a kill; latest wait fired {wait_lag_max} ms \
         after due (downtime discounted); {} warnings/errors logged; posted in {posted:?}, all finished in \
         {finished:?}, checked in {:?}",
        started_answers,
        records.len(),
        seen_runs.len(),
        caused.len(),
        hits.len(),
        errors.len(),
        began.elapsed(),
    )
    .unwrap();
    eprintln!("{schedule}");
    assert!(
        problems.is_empty(),
        "{} problems (first 30):\n{}\n\n{schedule}\nwarnings and errors logged (first 20):\n{}",
        problems.len(),
        problems.iter().take(30).cloned().collect::<Vec<_>>().join("\n"),
        errors.iter().take(20).map(|l| l.as_str()).collect::<Vec<_>>().join("\n"),
    );
}
