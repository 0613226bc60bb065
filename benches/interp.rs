//! Interpreter throughput and a parked run's size, against issue 13's goals (≤ 300 ns of
//! interpretive overhead per statement; a parked run ≤ 1 KB in memory and ≤ 300 bytes of
//! stored resumable state, the journal stored apart).
//!
//! In: the reference workflow (trigger → condition → three internal actions → `wait 0s`
//! → `http.request`). Out: criterion's figures for three ways of running it, then a
//! summary on stderr. The three ways:
//! - `interpreter`: the IR through [`resume`] with the sandbox host;
//! - `sandbox-baseline`: a hand-written async function that makes the same host calls,
//!   in the same order, with the same arguments, through the same [`SandboxHost`];
//! - `plain-baseline` (inline only): a hand-written function over plain structs (a
//!   [`Contact`] with `points`, `lists`, `tags`; a `Vec` of recorded requests), no JSON,
//!   no [`Value`], no host trait, doing the same work: the contact changed the same way,
//!   the same request body built as a `String`. It keeps no journal (step records,
//!   caused events): that is part of what the interpreter costs.
//!
//! Inline runs go one after another in one task; task-per-event spawns one tokio task
//! per event. The summary gives (interpreter − baseline) / statements per run from
//! criterion's medians (the statements are counted from the IR along the path the run
//! took), the heap a run parked at a `wait` holds, and the bytes of its stored state
//! (the [`RunState`] JSON) split field by field into resumable state (position, locals,
//! the step outputs later statements read), identity, the event, and the journal.
//!
//! Run: `cargo bench --bench interp` (shorter: `-- --warm-up-time 1 --measurement-time 3`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    clippy::cast_precision_loss
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::{BTreeMap, BTreeSet};
use std::hint::black_box;
use std::path::PathBuf;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use komo::catalog::ActionId;
use komo::ir::{BlockId, ExprKind, RunStatus, StepId, StepStatus, StmtKind, Var, Workflow};
use komo::runtime::event::{TriggerEvent, from_test_record};
use komo::runtime::host::{ActionRequest, Host};
use komo::runtime::interp::{Progress, RunStart, RunState, resume, start};
use komo::runtime::sandbox::SandboxHost;
use komo::runtime::value::Value;
use komo::source::SourceMap;
use serde::Serialize;

/// Counts live heap bytes, to measure a parked run.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: delegates to the system allocator and only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same layout as asked.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: ptr came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

const REFERENCE: &str = r#"
workflow reference {
  scope workspace
  trigger Contact.Identified

  if contact.points >= 0 {
    contact.add_to_list("Bench")
    contact.update(add_tags: ["bench"])
    loyalty.award_points(10, reason: "bench")
  }
  wait 0s
  http.request("POST", "https://hooks.example.com/bench", json: { id: contact.id })
}
"#;

fn compile(src: &str) -> Workflow {
    let mut sources = SourceMap::new();
    sources.add("bench.komo", src);
    let checked = komo::check_sources(&sources);
    assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
    komo::ir::lower_program(&checked).unwrap().workflows.remove(0)
}

fn event(wf: &Workflow) -> TriggerEvent {
    from_test_record(wf.trigger.spec(), &Value::Record(BTreeMap::new())).unwrap()
}

fn new_host(event: &TriggerEvent) -> SandboxHost {
    let mut host = SandboxHost::new(event.occurred_at, "run_bench", 7);
    host.set_contact(&Value::record([("email".to_string(), Value::str("ana@example.com"))]));
    host
}

// ---- The interpreter ----

async fn run(wf: &Workflow, event: &TriggerEvent, host: &mut SandboxHost) -> (Progress, RunState) {
    let mut state = start(wf, RunStart { id: "run_bench".into(), version: 1, started_at: host.now() }, event);
    let progress = resume(wf, &mut state, host).await;
    (progress, state)
}

async fn interpreted(wf: &Workflow, event: &TriggerEvent) -> bool {
    let mut host = new_host(event);
    matches!(run(wf, event, &mut host).await.0, Progress::Finished)
}

/// The statements a successful run executed: its workflow's statements along the path
/// it took (an `if` counts once, plus the branch whose actions ran). Every action on the
/// path must have succeeded, and every branch must hold an action, or the path cannot be
/// told from the run's step states.
fn executed_statements(wf: &Workflow, st: &RunState) -> usize {
    assert_eq!(st.status, RunStatus::Succeeded);
    let ran = |step: StepId| st.steps.get(step.index()).is_some_and(|s| s.status.is_some());
    let mut count = 0;
    let mut blocks = vec![wf.body];
    while let Some(block) = blocks.pop() {
        for &id in &wf.block(block).unwrap().stmts {
            count += 1;
            match &wf.stmt(id).unwrap().kind {
                StmtKind::Action(action) => {
                    let status = st.steps.get(action.step.index()).and_then(|s| s.status);
                    assert_eq!(status, Some(StepStatus::Succeeded), "step {:?}", action.step);
                }
                StmtKind::If { branches, otherwise } => {
                    let mut taken = branches.iter().map(|(_, b)| *b).chain(*otherwise).filter(|&b| {
                        let steps = steps_in(wf, b);
                        assert!(
                            !steps.is_empty(),
                            "a branch without actions: the count cannot tell if it ran"
                        );
                        steps.into_iter().any(ran)
                    });
                    blocks.extend(taken.next());
                    assert!(taken.next().is_none(), "two branches of one `if` ran");
                }
                StmtKind::Let { .. } | StmtKind::Wait { .. } | StmtKind::WaitUntil { .. } => {}
                other => panic!("the statement count does not follow {other:?}"),
            }
        }
    }
    count
}

/// The steps of the actions in a block and the blocks inside it.
fn steps_in(wf: &Workflow, block: BlockId) -> Vec<StepId> {
    let mut steps = Vec::new();
    for &id in &wf.block(block).unwrap().stmts {
        match &wf.stmt(id).unwrap().kind {
            StmtKind::Action(action) => steps.push(action.step),
            StmtKind::If { branches, otherwise } => {
                for b in branches.iter().map(|(_, b)| *b).chain(*otherwise) {
                    steps.extend(steps_in(wf, b));
                }
            }
            _ => {}
        }
    }
    steps
}

// ---- The sandbox baseline: the interpreter's host calls, by hand ----

fn args(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
    pairs.iter().map(|(k, v)| ((*k).to_string(), v.clone())).collect()
}

async fn call(
    host: &mut SandboxHost,
    step: &str,
    action: ActionId,
    args: &BTreeMap<String, Value>,
) -> Option<Value> {
    let key = format!("run_bench:{step}");
    let request = ActionRequest {
        run_id: "run_bench",
        step,
        action,
        args,
        attempt: 1,
        idempotency_key: &key,
        timeout_ms: None,
    };
    host.perform(request).await.ok()
}

/// The same host calls as the interpreter makes for REFERENCE, written by hand.
async fn sandbox_baseline(event: &TriggerEvent) -> bool {
    let mut host = new_host(event);
    let contact = host.contact().await.unwrap();
    let _entry = host.entry().await.unwrap();
    if contact.field("points").as_int().unwrap_or(0) >= 0 {
        let _ = (host.contact().await, host.entry().await);
        call(&mut host, "add_to_list_1", ActionId::ContactAddToList, &args(&[("list", Value::str("Bench"))]))
            .await;
        let _ = (host.contact().await, host.entry().await);
        let tags = Value::List(vec![Value::str("bench")]);
        call(&mut host, "update_1", ActionId::ContactUpdate, &args(&[("add_tags", tags)])).await;
        let _ = (host.contact().await, host.entry().await);
        let award = args(&[
            ("points", Value::Int(10)),
            ("program", Value::str("default")),
            ("reason", Value::str("bench")),
        ]);
        call(&mut host, "award_points_1", ActionId::LoyaltyAwardPoints, &award).await;
    }
    let _ = (host.contact().await, host.entry().await); // `wait 0s`: due at once
    let contact = host.contact().await.unwrap();
    let _entry = host.entry().await.unwrap();
    let request = args(&[
        ("method", Value::str("POST")),
        ("url", Value::str("https://hooks.example.com/bench")),
        ("json", Value::record([("id".to_string(), contact.field("id"))])),
    ]);
    call(&mut host, "request_1", ActionId::HttpRequest, &request).await.is_some()
}

// ---- The plain baseline: plain functions over plain structs ----

/// The sandbox's new contact (`contact_1`, 0 points, no tags or lists), as plain data.
#[derive(Debug)]
struct Contact {
    id: String,
    email: Option<String>,
    phone: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    tags: Vec<String>,
    lists: Vec<String>,
    points: i64,
    tier: Option<String>,
    achievements: Vec<String>,
    created_at: jiff::Timestamp,
}

impl Contact {
    fn new(email: &str, created_at: jiff::Timestamp) -> Contact {
        Contact {
            id: "contact_1".to_string(),
            email: Some(email.to_string()),
            phone: None,
            first_name: None,
            last_name: None,
            tags: Vec::new(),
            lists: Vec::new(),
            points: 0,
            tier: None,
            achievements: Vec::new(),
            created_at,
        }
    }
}

/// An HTTP request recorded instead of sent.
#[derive(Debug)]
struct RecordedRequest {
    step: &'static str,
    method: String,
    url: String,
    body: String,
    at: jiff::Timestamp,
}

/// What a plain run leaves: the contact and the requests.
#[derive(Debug)]
struct PlainRun {
    contact: Contact,
    requests: Vec<RecordedRequest>,
}

/// Appends `item` unless the list has it (lists and tags never repeat).
fn add_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|x| x == item) {
        list.push(item.to_string());
    }
}

fn add_to_list(contact: &mut Contact, list: &str) {
    add_unique(&mut contact.lists, list);
}

fn add_tags(contact: &mut Contact, tags: &[&str]) {
    for tag in tags {
        add_unique(&mut contact.tags, tag);
    }
}

/// The `default` program's points are the contact's; the balance never goes negative.
fn award_points(contact: &mut Contact, points: i64, program: &str, _reason: &str) -> Result<i64, String> {
    assert_eq!(program, "default", "the plain baseline knows the default program only");
    let balance = contact.points.checked_add(points).ok_or("the points balance would overflow")?;
    if balance < 0 {
        return Err(format!("cannot deduct {} points: the balance is {}", -points, contact.points));
    }
    contact.points = balance;
    Ok(balance)
}

/// `"text"` as a JSON string.
fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Records the request; the status a real endpoint would give.
fn http_request(
    requests: &mut Vec<RecordedRequest>,
    step: &'static str,
    method: &str,
    url: &str,
    body: String,
    at: jiff::Timestamp,
) -> u16 {
    requests.push(RecordedRequest { step, method: method.to_string(), url: url.to_string(), body, at });
    200
}

/// What REFERENCE does, by hand over plain structs.
fn plain_baseline(now: jiff::Timestamp) -> Option<PlainRun> {
    let mut contact = Contact::new("ana@example.com", now);
    let mut requests = Vec::new();
    if contact.points >= 0 {
        add_to_list(&mut contact, "Bench");
        add_tags(&mut contact, &["bench"]);
        award_points(&mut contact, 10, "default", "bench").ok()?;
    }
    let until = now.checked_add(jiff::SignedDuration::from_millis(0)).ok()?;
    if until > now {
        return None; // would park
    }
    let mut body = String::from("{\"id\":");
    push_json_string(&mut body, &contact.id);
    body.push('}');
    let status =
        http_request(&mut requests, "request_1", "POST", "https://hooks.example.com/bench", body, now);
    (status == 200).then_some(PlainRun { contact, requests })
}

/// The interpreter and the plain baseline leave the contact and the request alike.
fn assert_same_effects(host: &SandboxHost, plain: &PlainRun) {
    let contact = host.contact_state().contact();
    let strings = |v: Value| match v {
        Value::List(items) => items.iter().filter_map(|i| i.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    };
    assert_eq!(contact.field("points").as_int(), Some(plain.contact.points));
    assert_eq!(strings(contact.field("lists")), plain.contact.lists);
    assert_eq!(strings(contact.field("tags")), plain.contact.tags);
    let c = &plain.contact;
    assert_eq!(contact.field("id").as_str(), Some(c.id.as_str()));
    for (field, plain) in [
        ("email", &c.email),
        ("phone", &c.phone),
        ("first_name", &c.first_name),
        ("last_name", &c.last_name),
        ("tier", &c.tier),
    ] {
        assert_eq!(contact.field(field).as_str(), plain.as_deref(), "{field}");
    }
    assert_eq!(strings(contact.field("achievements")), c.achievements);
    assert_eq!(contact.field("created_at"), Value::Timestamp(c.created_at));
    let [call] = host.calls() else { panic!("one recorded call expected: {:?}", host.calls()) };
    let [request] = plain.requests.as_slice() else { panic!("one request expected") };
    assert_eq!((call.step.as_str(), call.at), (request.step, request.at));
    assert_eq!(call.args.get("method").and_then(|m| m.as_str()), Some(request.method.as_str()));
    assert_eq!(call.args.get("url").and_then(|m| m.as_str()), Some(request.url.as_str()));
    assert_eq!(call.args.get("json").map(ToString::to_string), Some(request.body.clone()));
}

// ---- Throughput ----

const EVENTS: usize = 100;
const GROUP: &str = "reference_workflow";

/// When the benchmarks started: criterion's estimates older than this are another run's.
static STARTED: OnceLock<SystemTime> = OnceLock::new();

/// Statements per reference run, counted from its IR and step states.
static STATEMENTS: OnceLock<usize> = OnceLock::new();

fn throughput(c: &mut Criterion) {
    STARTED.get_or_init(SystemTime::now);
    let wf = Arc::new(compile(REFERENCE));
    let event = Arc::new(event(&wf));
    let current = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut host = new_host(&event);
    let (progress, state) = current.block_on(run(&wf, &event, &mut host));
    assert_eq!(progress, Progress::Finished);
    STATEMENTS.get_or_init(|| executed_statements(&wf, &state));
    assert_same_effects(&host, &plain_baseline(event.occurred_at).unwrap());
    assert!(current.block_on(sandbox_baseline(&event)));

    let mut group = c.benchmark_group(GROUP);
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.bench_function("inline/interpreter", |b| {
        b.iter(|| {
            current.block_on(async {
                for _ in 0..EVENTS {
                    black_box(interpreted(&wf, &event).await);
                }
            })
        })
    });
    group.bench_function("inline/sandbox-baseline", |b| {
        b.iter(|| {
            current.block_on(async {
                for _ in 0..EVENTS {
                    black_box(sandbox_baseline(&event).await);
                }
            })
        })
    });
    let now = event.occurred_at;
    group.bench_function("inline/plain-baseline", |b| {
        b.iter(|| {
            for _ in 0..EVENTS {
                black_box(plain_baseline(black_box(now)));
            }
        })
    });
    let multi = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    group.bench_function("task-per-event/interpreter", |b| {
        b.iter(|| {
            multi.block_on(async {
                let tasks: Vec<_> = (0..EVENTS)
                    .map(|_| {
                        let (wf, event) = (Arc::clone(&wf), Arc::clone(&event));
                        tokio::spawn(async move { interpreted(&wf, &event).await })
                    })
                    .collect();
                for t in tasks {
                    black_box(t.await.unwrap());
                }
            })
        })
    });
    group.bench_function("task-per-event/sandbox-baseline", |b| {
        b.iter(|| {
            multi.block_on(async {
                let tasks: Vec<_> = (0..EVENTS)
                    .map(|_| {
                        let event = Arc::clone(&event);
                        tokio::spawn(async move { sandbox_baseline(&event).await })
                    })
                    .collect();
                for t in tasks {
                    black_box(t.await.unwrap());
                }
            })
        })
    });
    group.finish();
}

/// Where criterion keeps its estimates (its own rule: `CRITERION_HOME`, else the target
/// directory's `criterion`; the bench runs as `<target>/release/deps/interp-…`).
fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    let exe = std::env::current_exe().ok();
    exe.as_deref()
        .and_then(|e| e.parent()?.parent()?.parent())
        .map_or_else(|| PathBuf::from("target/criterion"), |t| t.join("criterion"))
}

/// Criterion's median for one benchmark of this run, per reference run, in nanoseconds;
/// `None` when it was not measured in this run (filtered out, or `--test`).
fn median_per_run(bench: &str) -> Option<f64> {
    let path = criterion_home().join(GROUP).join(bench.replace('/', "_")).join("new/estimates.json");
    let fresh = std::fs::metadata(&path).ok()?.modified().ok()? >= *STARTED.get()?;
    let estimates: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).ok()?).ok()?;
    let median = estimates.get("median")?.get("point_estimate")?.as_f64()?;
    fresh.then_some(median / EVENTS as f64)
}

/// (interpreter − each baseline) per run and per statement.
fn print_overhead() {
    let statements = STATEMENTS.get().copied().unwrap_or(0);
    eprintln!("\ninterpretive overhead, inline, criterion medians; {statements} statements per run");
    eprintln!("  {:<18} {:>10} {:>18} {:>15}", "", "per run", "interpreter − it", "per statement");
    let Some(interpreter) = median_per_run("inline/interpreter") else {
        eprintln!("  (the interpreter was not measured in this run)");
        return;
    };
    eprintln!("  {:<18} {:>7.0} ns", "interpreter", interpreter);
    for (name, bench) in
        [("sandbox baseline", "inline/sandbox-baseline"), ("plain baseline", "inline/plain-baseline")]
    {
        match median_per_run(bench) {
            Some(base) => eprintln!(
                "  {name:<18} {base:>7.0} ns {:>15.0} ns {:>12.0} ns",
                interpreter - base,
                (interpreter - base) / statements as f64,
            ),
            None => eprintln!("  {name:<18} (not measured in this run)"),
        }
    }
    eprintln!("  goal (issue 13): ≤ 300 ns per statement against the plain baseline");
}

// ---- A parked run ----

/// Heap bytes a run holds while parked at a `wait`, and what its stored state holds.
fn parked(_: &mut Criterion) {
    print_overhead();
    let wf = compile(&REFERENCE.replace("wait 0s", "wait 1d"));
    let event = event(&wf);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    const N: usize = 1000;
    let mut parked: Vec<RunState> = Vec::with_capacity(N);
    let mut hosts: Vec<SandboxHost> = (0..N).map(|_| new_host(&event)).collect();
    let before = LIVE.load(Ordering::Relaxed);
    for host in &mut hosts {
        let (progress, state) = runtime.block_on(run(&wf, &event, host));
        assert!(matches!(progress, Progress::Waiting(_)));
        parked.push(state);
    }
    let after = LIVE.load(Ordering::Relaxed);
    // Host state (the sandbox's store) also grew; measure the run states alone by
    // dropping them and seeing what is freed.
    let stored = parked.first().cloned().unwrap();
    let json: usize = parked.iter().map(size).sum();
    let with_states = LIVE.load(Ordering::Relaxed);
    drop(parked);
    let freed = with_states - LIVE.load(Ordering::Relaxed);
    let each = freed as f64 / N as f64;
    let inline = std::mem::size_of::<RunState>();
    eprintln!(
        "\nparked run in memory: {each:.0} bytes ({inline} inline + {:.0} on the heap); \
         all growth per run incl. the sandbox store: {:.0} bytes (goal: ≤ 1 KB)",
        each - inline as f64,
        (after - before) as f64 / N as f64,
    );
    black_box(hosts);
    print_stored(&wf, &stored, json / N);
}

/// Bytes of `value` as JSON.
fn size<T: Serialize>(value: &T) -> usize {
    serde_json::to_vec(value).map_or(0, |v| v.len())
}

/// The stored state (the `RunState` JSON) of a parked run, field by field: each field's
/// value as JSON; field names, quotes and commas are the rest. Step outputs that some
/// expression reads (`Var::Step`) are resumable state; the others only journal.
fn print_stored(wf: &Workflow, st: &RunState, total: usize) {
    let read: BTreeSet<StepId> = wf
        .exprs
        .iter()
        .filter_map(|e| match &e.kind {
            ExprKind::Var(Var::Step(id)) => Some(*id),
            _ => None,
        })
        .collect();
    let needed: Vec<&Value> = read.iter().filter_map(|id| st.outputs.get(id.index())).collect();
    let (outputs, needed_outputs) = (size(&st.outputs), size(&needed));
    let caused = if st.caused.is_empty() { 0 } else { size(&st.caused) };
    let groups: [(&str, Vec<(&str, usize)>); 4] = [
        (
            "resumable",
            vec![
                ("frames", size(&st.frames)),
                ("pending", size(&st.pending)),
                ("status", size(&st.status)),
                ("waiting_until", size(&st.waiting_until)),
                ("budget_used", size(&st.budget_used)),
                ("failed_path", size(&st.failed_path)),
                ("locals", size(&st.locals)),
                ("error", size(&st.error)),
                ("error_step", size(&st.error_step)),
                ("needed outputs", needed_outputs),
            ],
        ),
        (
            "identity",
            vec![
                ("id", size(&st.id)),
                ("workflow", size(&st.workflow)),
                ("version", size(&st.version)),
                ("trigger", size(&st.trigger)),
                ("started_at", size(&st.started_at)),
                ("finished_at", size(&st.finished_at)),
            ],
        ),
        ("event", vec![("event", size(&st.event)), ("context", size(&st.context))]),
        (
            "journal",
            vec![
                ("steps", size(&st.steps)),
                ("other outputs", outputs - needed_outputs),
                ("waits", size(&st.waits)),
                ("failure", size(&st.failure)),
                ("caused", caused),
            ],
        ),
    ];
    eprintln!("stored state of a parked run (RunState as JSON): {total} bytes (goal: ≤ 300 resumable)");
    let mut values = 0;
    for (group, fields) in &groups {
        let sum: usize = fields.iter().map(|(_, n)| n).sum();
        values += sum;
        let parts: Vec<String> = fields.iter().map(|(name, n)| format!("{name} {n}")).collect();
        eprintln!("  {group:<10} {sum:>5}  {}", parts.join(", "));
    }
    eprintln!("  {:<10} {:>5}  field names, quotes, commas", "keys", total.saturating_sub(values));
}

criterion_group! {
    name = benches;
    // Here, not on the group, so that `--warm-up-time` and `--measurement-time` override.
    config = Criterion::default()
        .sample_size(30)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    targets = throughput, parked
}
criterion_main!(benches);
