//! The webhook workload's driver: the bench binary re-executed with `KOMO_BENCH_ROLE=driver`,
//! so that the engine's process holds the engine alone. It holds two things:
//!
//! - a loopback HTTP sink that the workflow's `http.request` posts to: it answers 200
//!   with a small JSON body and notes when each event's POST arrived (the event id is
//!   the JSON body's `event`);
//! - a closed-loop load generator: `connections` keep-alive connections, each posting its
//!   next envelope to the engine's `/v1/events` as soon as the previous one is acked.
//!
//! The conversation over its stdin and stdout, one JSON line each way:
//! 1. it prints the sink's address ([`SinkReady`]);
//! 2. it reads what to post and where ([`Orders`]), posts every event, waits until the
//!    sink has received one POST per event, and prints a [`Report`];
//! 3. it keeps the sink answering until its stdin closes (the engine may still be
//!    reading the last answers), then exits.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// The environment variable that turns the bench binary into the driver.
pub const ROLE_VAR: &str = "KOMO_BENCH_ROLE";
/// Its value for the driver.
pub const DRIVER: &str = "driver";

/// How long the sink may take to receive every event's POST before the driver gives up.
const RECEIVE_WITHIN: Duration = Duration::from_secs(300);

/// The driver's first line: where the workflow is to post.
#[derive(Debug, Serialize, Deserialize)]
pub struct SinkReady {
    pub sink: SocketAddr,
}

/// What the engine's process asks for.
#[derive(Debug, Serialize, Deserialize)]
pub struct Orders {
    /// The engines' `/v1/events` URLs; event `i` goes to `urls[i % urls.len()]`.
    pub urls: Vec<String>,
    pub key: String,
    pub events: usize,
    pub connections: usize,
    pub round: usize,
}

/// What the driver saw.
#[derive(Debug, Serialize, Deserialize)]
pub struct Report {
    /// Envelopes posted and acked with 202.
    pub accepted: usize,
    /// From the first post to the last ack.
    pub posting_s: f64,
    pub ack_p50_ms: f64,
    pub ack_p99_ms: f64,
    /// From posting an event to the sink receiving its run's POST.
    pub end_to_end_p50_ms: f64,
    pub end_to_end_p99_ms: f64,
    /// POSTs the sink received, and how many distinct events they named.
    pub sink_posts: usize,
    pub sink_events: usize,
    /// CPU the driver's process used (user + system) from the orders to the report.
    pub cpu_s: f64,
}

/// The id of event `i` of round `round`.
pub fn event_id(round: usize, i: usize) -> String {
    format!("w{round}_e{i}")
}

fn envelope(round: usize, i: usize) -> String {
    format!(
        r#"{{ "id": "{}", "type": "Contact.Identified", "occurred_at": "2026-11-29T09:00:00Z", "contact": {{ "email": "w{round}_{i}@example.com" }}, "data": {{}} }}"#,
        event_id(round, i)
    )
}

/// What the sink has received: when each event's first POST arrived, and how many POSTs.
#[derive(Debug, Default)]
struct Received {
    first_at: HashMap<String, Instant>,
    posts: usize,
}

type Sink = Arc<Mutex<Received>>;

async fn receive(
    axum::extract::State(sink): axum::extract::State<Sink>,
    axum::Json(body): axum::Json<serde_json::Value>,
) -> impl axum::response::IntoResponse {
    let at = Instant::now();
    let event = body.get("event").and_then(|e| e.as_str()).unwrap_or("").to_string();
    {
        let mut received = sink.lock().unwrap();
        received.posts += 1;
        received.first_at.entry(event).or_insert(at);
    }
    axum::Json(serde_json::json!({ "ok": true }))
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let at = (sorted.len().saturating_sub(1) as f64 * q) as usize;
    sorted.get(at).copied().unwrap_or(0.0)
}

fn sorted(mut xs: Vec<f64>) -> Vec<f64> {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    xs
}

/// One line of JSON to stdout, flushed (the engine's process waits for it).
fn say(line: &impl Serialize) {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(&mut out, line).unwrap();
    out.write_all(b"\n").unwrap();
    out.flush().unwrap();
}

/// Posts every event over `orders.connections` connections, closed loop: each event's
/// post start, and each ack's latency.
async fn post_all(orders: &Orders) -> (Vec<(usize, Instant)>, Vec<f64>, Duration) {
    let client = reqwest::Client::builder().pool_max_idle_per_host(orders.connections).build().unwrap();
    let urls = Arc::new(orders.urls.clone());
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..orders.connections {
        let (client, urls, key) = (client.clone(), Arc::clone(&urls), orders.key.clone());
        let (events, step, round) = (orders.events, orders.connections, orders.round);
        tasks.push(tokio::spawn(async move {
            let mut posted = Vec::new();
            for i in (c..events).step_by(step) {
                let url = urls.get(i % urls.len()).unwrap();
                let at = Instant::now();
                let answer = client
                    .post(url)
                    .bearer_auth(&key)
                    .header("content-type", "application/json")
                    .body(envelope(round, i))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(answer.status().as_u16(), 202, "event {i} was not accepted");
                posted.push((i, at, at.elapsed().as_secs_f64() * 1000.0));
            }
            posted
        }));
    }
    let (mut starts, mut acks) = (Vec::new(), Vec::new());
    for t in tasks {
        for (i, at, ack_ms) in t.await.unwrap() {
            starts.push((i, at));
            acks.push(ack_ms);
        }
    }
    (starts, acks, start.elapsed())
}

async fn drive(sink: Sink, orders: Orders, cpu_seconds: fn() -> f64) -> Report {
    let cpu_before = cpu_seconds();
    let (starts, acks, posting) = post_all(&orders).await;
    let waiting = Instant::now();
    while sink.lock().unwrap().first_at.len() < orders.events {
        assert!(
            waiting.elapsed() < RECEIVE_WITHIN,
            "the sink received {} of {} events' POSTs",
            sink.lock().unwrap().first_at.len(),
            orders.events
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let cpu = cpu_seconds() - cpu_before;
    let received = sink.lock().unwrap();
    let end_to_end: Vec<f64> = starts
        .iter()
        .filter_map(|(i, at)| {
            let got = received.first_at.get(&event_id(orders.round, *i))?;
            Some(got.duration_since(*at).as_secs_f64() * 1000.0)
        })
        .collect();
    assert_eq!(end_to_end.len(), starts.len(), "the sink received POSTs for other events than those posted");
    let (acks, end_to_end) = (sorted(acks), sorted(end_to_end));
    Report {
        accepted: starts.len(),
        posting_s: posting.as_secs_f64(),
        ack_p50_ms: quantile(&acks, 0.5),
        ack_p99_ms: quantile(&acks, 0.99),
        end_to_end_p50_ms: quantile(&end_to_end, 0.5),
        end_to_end_p99_ms: quantile(&end_to_end, 0.99),
        sink_posts: received.posts,
        sink_events: received.first_at.len(),
        cpu_s: cpu,
    }
}

/// The driver's `main`: `cpu_seconds` reads this process's CPU time.
pub fn main(cpu_seconds: fn() -> f64) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    runtime.block_on(async {
        let sink = Sink::default();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        say(&SinkReady { sink: listener.local_addr().unwrap() });
        let app =
            axum::Router::new().route("/sink", axum::routing::post(receive)).with_state(Arc::clone(&sink));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

        let line = tokio::task::spawn_blocking(|| {
            let mut line = String::new();
            std::io::stdin().lock().read_line(&mut line).map(|_| line)
        })
        .await
        .unwrap()
        .unwrap();
        let orders: Orders = serde_json::from_str(&line).expect("the driver's orders");
        say(&drive(sink, orders, cpu_seconds).await);

        // Answer the engine's last POSTs until the engine's process is done with us.
        tokio::task::spawn_blocking(|| std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink()))
            .await
            .unwrap()
            .unwrap();
    });
}
