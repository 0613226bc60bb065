//! Interpreter throughput against the physical limit of this design: a hand-written
//! async function that makes the same host calls, in the same order, with the same
//! arguments, as the interpreter does for the reference workflow (trigger → condition →
//! three internal actions → `wait 0s` → `http.request` into the sandbox's in-memory
//! recorder). Both run with the sandbox host, inline (one after another in one task)
//! and as one tokio task per event. Also prints the memory a parked run takes.
//!
//! Run: `cargo bench --bench interp`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr, clippy::cast_precision_loss)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use komo::catalog::ActionId;
use komo::ir::Workflow;
use komo::runtime::event::{TriggerEvent, from_test_record};
use komo::runtime::host::{ActionRequest, Host};
use komo::runtime::interp::{Progress, RunStart, RunState, resume, start};
use komo::runtime::sandbox::SandboxHost;
use komo::runtime::value::Value;
use komo::source::SourceMap;

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

/// Statements the reference run executes (if, three actions, wait, request).
const STATEMENTS: f64 = 6.0;

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

async fn interpreted(wf: &Workflow, event: &TriggerEvent) -> bool {
    let mut host = new_host(event);
    let mut state = start(wf, RunStart { id: "run_bench".into(), version: 1, started_at: host.now() }, event);
    matches!(resume(wf, &mut state, &mut host).await, Progress::Finished)
}

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
async fn hand_written(event: &TriggerEvent) -> bool {
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

const EVENTS: usize = 100;

fn throughput(c: &mut Criterion) {
    let wf = Arc::new(compile(REFERENCE));
    let event = Arc::new(event(&wf));
    let current = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    assert!(current.block_on(interpreted(&wf, &event)));
    assert!(current.block_on(hand_written(&event)));

    let mut group = c.benchmark_group("reference_workflow");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.sample_size(30).measurement_time(Duration::from_secs(5)).warm_up_time(Duration::from_secs(1));
    group.bench_function("inline/interpreter", |b| {
        b.iter(|| {
            current.block_on(async {
                for _ in 0..EVENTS {
                    black_box(interpreted(&wf, &event).await);
                }
            })
        })
    });
    group.bench_function("inline/hand-written", |b| {
        b.iter(|| {
            current.block_on(async {
                for _ in 0..EVENTS {
                    black_box(hand_written(&event).await);
                }
            })
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
    group.bench_function("task-per-event/hand-written", |b| {
        b.iter(|| {
            multi.block_on(async {
                let tasks: Vec<_> = (0..EVENTS)
                    .map(|_| {
                        let event = Arc::clone(&event);
                        tokio::spawn(async move { hand_written(&event).await })
                    })
                    .collect();
                for t in tasks {
                    black_box(t.await.unwrap());
                }
            })
        })
    });
    group.finish();
    eprintln!("reference run: {STATEMENTS} statements, 4 host actions + 6 contact/entry reads each");
}

/// Heap bytes a run holds while parked at a `wait`, and its stored (JSON) size.
fn parked_memory(_: &mut Criterion) {
    let wf = compile(&REFERENCE.replace("wait 0s", "wait 1d"));
    let event = event(&wf);
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    const N: usize = 1000;
    let mut parked: Vec<RunState> = Vec::with_capacity(N);
    let mut hosts: Vec<SandboxHost> = (0..N).map(|_| new_host(&event)).collect();
    let before = LIVE.load(Ordering::Relaxed);
    for host in &mut hosts {
        let mut state =
            start(&wf, RunStart { id: "run_bench".into(), version: 1, started_at: host.now() }, &event);
        let progress = runtime.block_on(resume(&wf, &mut state, host));
        assert!(matches!(progress, Progress::Waiting(_)));
        parked.push(state);
    }
    let after = LIVE.load(Ordering::Relaxed);
    // Host state (the sandbox's store) also grew; measure the run states alone by
    // dropping them and seeing what is freed.
    let with_states = LIVE.load(Ordering::Relaxed);
    let json: usize = parked.iter().map(|s| serde_json::to_vec(s).map_or(0, |v| v.len())).sum();
    drop(parked);
    let freed = with_states - LIVE.load(Ordering::Relaxed);
    let each = freed as f64 / N as f64;
    let inline = std::mem::size_of::<RunState>();
    eprintln!(
        "parked run: {each:.0} bytes each ({inline} inline + {:.0} on the heap); {:.0} bytes as JSON; \
         all growth per run incl. the sandbox store: {:.0} bytes",
        each - inline as f64,
        json as f64 / N as f64,
        (after - before) as f64 / N as f64,
    );
    black_box(hosts);
}

criterion_group!(benches, throughput, parked_memory);
criterion_main!(benches);
