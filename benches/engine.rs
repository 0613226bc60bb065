//! Engine throughput: events accepted and runs completed per second for a 5-step
//! internal-only workflow, posted over loopback HTTP to an in-process `komo serve`
//! (SQLite, WAL, `synchronous = FULL`), side by side with a raw SQLite loop of
//! single-row commits on the same disk in the same run (the fsync limit). Also: SQL
//! statements per run, and ingest acknowledgement latency at half the peak rate.
//!
//! Run: `cargo bench --bench engine`. Each figure is the median of `ROUNDS` rounds.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    clippy::print_stdout,
    clippy::cast_precision_loss
)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use komo::cli::project::open_engine;

const ROUNDS: usize = 3;
/// Events per round and concurrent clients (`KOMO_BENCH_EVENTS`, `KOMO_BENCH_CLIENTS`).
fn setting(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

const REFERENCE: &str = r#"
workflow reference {
  scope workspace
  trigger Contact.Identified
  contact.add_to_list("Bench")
  contact.update(add_tags: ["bench"])
  loyalty.award_points(10, reason: "bench")
  contact.assign_achievement("benched")
  loyalty.add_to_tier("Silver")
}
"#;

fn project(round: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("komo-bench-engine-{}-{round}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("workflows")).unwrap();
    std::fs::write(dir.join("komo.toml"), "[workspace]\nid = \"bench\"\n").unwrap();
    std::fs::write(dir.join("workflows/reference.komo"), REFERENCE).unwrap();
    dir
}

fn envelope(round: usize, i: usize) -> String {
    format!(
        r#"{{ "id": "r{round}_e{i}", "type": "Contact.Identified", "occurred_at": "2026-11-29T09:00:00Z", "contact": {{ "email": "c{round}_{i}@example.com" }}, "data": {{}} }}"#
    )
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    xs.get(xs.len() / 2).copied().unwrap_or(0.0)
}

/// Single-row commits per second in a SQLite file like the engine's.
fn raw_commits_per_second(dir: &std::path::Path) -> f64 {
    let conn = rusqlite::Connection::open(dir.join("raw.db")).unwrap();
    conn.pragma_update(None, "journal_mode", "WAL").unwrap();
    conn.pragma_update(None, "synchronous", "FULL").unwrap();
    conn.execute_batch("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)").unwrap();
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_millis(1500) {
        conn.execute("INSERT INTO t (body) VALUES ('x')", []).unwrap();
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// CPU time this process has used (user + system), from /proc (Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) / 100.0
}

struct Round {
    accepted_per_s: f64,
    completed_per_s: f64,
    statements_per_run: f64,
    raw_commits_per_s: f64,
    p50_ack_ms: f64,
    p99_ack_ms: f64,
    cpu_us_per_run: f64,
}

async fn post(client: &reqwest::Client, url: &str, key: &str, body: String) -> Duration {
    let start = Instant::now();
    let answer = client
        .post(url)
        .bearer_auth(key)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 202);
    start.elapsed()
}

async fn round(round: usize, events: usize, clients: usize) -> Round {
    let dir = project(round);
    let engine = Arc::new(open_engine(&dir, None).await.unwrap());
    let key = engine.create_key().await.unwrap();
    engine.activate("bench", "reference").await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1/events", listener.local_addr().unwrap());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(Arc::clone(&engine).run_scheduler(stop_rx.clone()));
    let mut server_stop = stop_rx.clone();
    tokio::spawn(komo::server::serve_on(Arc::clone(&engine), listener, async move {
        let _ = server_stop.changed().await;
    }));
    let client = reqwest::Client::new();

    // Peak: every event as fast as `clients` connections allow.
    let statements_before = komo::engine::store::statements_executed();
    let cpu_before = cpu_seconds();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, url, key) = (client.clone(), url.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            for i in (c..events).step_by(clients) {
                post(&client, &url, &key, envelope(round, i)).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let accepted = start.elapsed();
    // Until every run finished (watching the engine's counters, which cost no SQL, so
    // the statement count below is the engine's own).
    loop {
        let finished = engine
            .metrics_text()
            .lines()
            .find_map(|l| l.strip_prefix("komo_runs_finished_total{status=\"succeeded\"} "))
            .and_then(|n| n.trim().parse::<usize>().ok())
            .unwrap_or(0);
        if finished >= events {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "runs did not finish");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let completed = start.elapsed();
    let cpu = cpu_seconds() - cpu_before;
    let statements = komo::engine::store::statements_executed() - statements_before;

    // Half the peak rate, paced, one request per tick.
    let rate = events as f64 / accepted.as_secs_f64() / 2.0;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let mut latencies = Vec::new();
    let mut ticker = tokio::time::interval(interval);
    let mut pending = Vec::new();
    for i in 0..(rate as usize).clamp(50, 1000) {
        ticker.tick().await;
        let (client, url, key) = (client.clone(), url.clone(), key.clone());
        pending
            .push(tokio::spawn(async move { post(&client, &url, &key, envelope(round, events + i)).await }));
    }
    for p in pending {
        latencies.push(p.await.unwrap().as_secs_f64() * 1000.0);
    }
    latencies.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let at = |q: f64| latencies.get(((latencies.len() - 1) as f64 * q) as usize).copied().unwrap_or(0.0);
    let _ = stop_tx.send(true);
    tokio::time::sleep(Duration::from_millis(100)).await;
    Round {
        accepted_per_s: events as f64 / accepted.as_secs_f64(),
        completed_per_s: events as f64 / completed.as_secs_f64(),
        statements_per_run: statements as f64 / events as f64,
        raw_commits_per_s: raw_commits_per_second(&dir),
        p50_ack_ms: at(0.5),
        p99_ack_ms: at(0.99),
        cpu_us_per_run: cpu * 1e6 / events as f64,
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (events, clients) = (setting("KOMO_BENCH_EVENTS", 6000), setting("KOMO_BENCH_CLIENTS", 128));
    let rounds: Vec<Round> = (0..ROUNDS).map(|r| runtime.block_on(round(r, events, clients))).collect();
    let m = |f: fn(&Round) -> f64| median(rounds.iter().map(f).collect());
    println!(
        "engine benchmark: {events} events, {clients} clients, 5-step internal-only workflow, medians of {ROUNDS} rounds"
    );
    println!("  events accepted:        {:>8.0} /s", m(|r| r.accepted_per_s));
    println!("  runs completed:         {:>8.0} /s", m(|r| r.completed_per_s));
    println!(
        "  raw SQLite commits:     {:>8.0} /s (same disk, WAL, synchronous=FULL)",
        m(|r| r.raw_commits_per_s)
    );
    println!("  SQL statements per run: {:>8.1}", m(|r| r.statements_per_run));
    println!(
        "  CPU per run:            {:>8.0} µs (client and server together, both cores)",
        m(|r| r.cpu_us_per_run)
    );
    println!(
        "  ingest ack at half peak: p50 {:.2} ms, p99 {:.2} ms",
        m(|r| r.p50_ack_ms),
        m(|r| r.p99_ack_ms)
    );
}
