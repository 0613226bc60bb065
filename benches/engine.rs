//! Engine throughput, two workloads, each posted over loopback HTTP to in-process
//! `komo serve`s and printed as a table of its own (`KOMO_BENCH_WORKLOADS`, comma-separated:
//! `internal`, `webhook`; both by default).
//!
//! `internal`: events accepted and runs completed per second for a 5-step internal-only
//! workflow, on three stores one after the other in the same run, printed side by side:
//!
//! - `sqlite`: one engine on SQLite (WAL, `synchronous = FULL`), beside a raw SQLite
//!   loop of single-row commits on the same disk (the fsync limit);
//! - `postgres, 1 node`: one engine on a fresh database of a throwaway local Postgres
//!   (`tests/common/postgres.rs`: loopback TCP, turned back to `fsync = on` for the bench);
//! - `postgres, 3 nodes`: three engines (distinct node names, each with its own
//!   scheduler and HTTP server) in this process on one fresh database, the clients
//!   posting round-robin across the three servers.
//!
//! Also: SQL statements per run, CPU per run (this process, which holds the engines and
//! the clients; and for Postgres the server's processes too), how many cores that kept
//! busy (and how many the machine's other processes took meanwhile: on a shared machine
//! they slow a round down), and ingest acknowledgement latency at half the peak rate.
//! Without Postgres installed the Postgres columns are skipped.
//!
//! `webhook` (issue 13's reference workload, `support/webhook.rs`): an event, a condition,
//! three internal contact and loyalty actions, `wait 0s`, and an `http.request` POSTing
//! JSON to a loopback sink. The sink and a closed-loop load generator (16 and 64
//! keep-alive connections) run in a process of their own, this binary re-executed with
//! `KOMO_BENCH_ROLE=driver` (`support/webhook_driver.rs`), so this process holds only the
//! engine: events accepted and runs completed per second, SQL statements per run, CPU
//! per run of the engine and of the driver and sink apart, ack and end-to-end latency
//! (post to the sink receiving the run's POST) at p50 and p99, and the engine process's
//! peak resident memory (sampled every 10 ms, beside its resident memory before the
//! round: freed memory stays resident, so an earlier table's leftovers show in both;
//! run the webhook workload alone to see the engine's own). SQLite by default.
//!
//! Run: `cargo bench --bench engine`. Each figure is the median of `ROUNDS` rounds; each
//! round has a project (and for Postgres a database) of its own. Settings:
//! `KOMO_BENCH_EVENTS` (events per round) and `KOMO_BENCH_CLIENTS` (concurrent clients)
//! for `internal`; `KOMO_BENCH_WEBHOOK_EVENTS` and `KOMO_BENCH_CONNECTIONS`
//! (comma-separated) for `webhook`; `KOMO_BENCH_STORES` (which columns, comma-separated:
//! `sqlite`, `pg1`, `pg3`) for both.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stderr,
    clippy::print_stdout,
    clippy::cast_precision_loss
)]

#[path = "../tests/common/postgres.rs"]
#[allow(dead_code, clippy::panic)]
mod postgres;
#[path = "support/webhook.rs"]
mod webhook;
#[path = "support/webhook_driver.rs"]
mod webhook_driver;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use komo::cli::project::{open_engine, open_engine_as};
use komo::engine::Engine;
use komo::engine::store::{Node, StoreLocation};

const ROUNDS: usize = 3;
/// How long a round may take to finish its runs before the benchmark gives up.
const FINISH_WITHIN: Duration = Duration::from_secs(300);

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

/// What a round spends between [`Meter::start`] and [`Meter::read`]: this process's CPU,
/// the Postgres cluster's (when there is one), the whole machine's busy time and the SQL
/// statements executed.
struct Meter<'a> {
    cluster: Option<&'a postgres::Cluster>,
    cpu: f64,
    postgres_cpu: Option<f64>,
    machine: f64,
    statements: u64,
}

/// The differences a [`Meter`] read.
struct Spent {
    cpu: f64,
    postgres_cpu: Option<f64>,
    machine: f64,
    statements: u64,
}

impl<'a> Meter<'a> {
    fn start(cluster: Option<&'a postgres::Cluster>) -> Meter<'a> {
        Meter {
            cluster,
            statements: komo::engine::store::statements_executed(),
            cpu: cpu_seconds(),
            postgres_cpu: Self::postgres_cpu(cluster),
            machine: machine_busy_seconds(),
        }
    }

    fn postgres_cpu(cluster: Option<&postgres::Cluster>) -> Option<f64> {
        cluster.and_then(|c| postgres_cpu_seconds(c.data_dir()))
    }

    fn read(&self) -> Spent {
        Spent {
            machine: machine_busy_seconds() - self.machine,
            cpu: cpu_seconds() - self.cpu,
            postgres_cpu: Self::postgres_cpu(self.cluster)
                .zip(self.postgres_cpu)
                .map(|(after, before)| after - before),
            statements: komo::engine::store::statements_executed() - self.statements,
        }
    }
}

/// A configuration: where the engines keep their store, and how many there are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Setup {
    Sqlite,
    Postgres { nodes: usize },
}

impl Setup {
    const ALL: [Setup; 3] = [Setup::Sqlite, Setup::Postgres { nodes: 1 }, Setup::Postgres { nodes: 3 }];

    fn label(self) -> String {
        match self {
            Setup::Sqlite => "sqlite".into(),
            Setup::Postgres { nodes: 1 } => "postgres, 1 node".into(),
            Setup::Postgres { nodes } => format!("postgres, {nodes} nodes"),
        }
    }

    /// Its name in `KOMO_BENCH_STORES`.
    fn key(self) -> String {
        match self {
            Setup::Sqlite => "sqlite".into(),
            Setup::Postgres { nodes } => format!("pg{nodes}"),
        }
    }
}

fn project(setup: Setup, round: usize) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "komo-bench-engine-{}-{}-{round}",
        std::process::id(),
        setup.key()
    ));
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
fn raw_commits_per_second(dir: &Path) -> f64 {
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

/// CPU time the whole machine has spent busy (all cores, every process: `/proc/stat`'s
/// first line but idle and iowait), to see what else ran during a round.
fn machine_busy_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let ticks: Vec<f64> = stat
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("cpu "))
        .map(|l| l.split_whitespace().filter_map(|t| t.parse().ok()).collect())
        .unwrap_or_default();
    // user nice system idle iowait irq softirq steal (guest time is within user).
    let idle: f64 = ticks.iter().skip(3).take(2).sum();
    (ticks.iter().take(8).sum::<f64>() - idle) / 100.0
}

/// The fields of a `/proc/<pid>/stat` line after the command name (which is in
/// parentheses and may hold spaces): `state` is the first, `ppid` the second, `utime`,
/// `stime`, `cutime` and `cstime` the 12th to 15th (fields 14 to 17 of the line).
fn stat_fields(pid: &str) -> Option<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(')').map(|(_, r)| r)?;
    Some(rest.split_whitespace().map(str::to_string).collect())
}

/// Clock ticks (1/100 s) of the fields `at` of a stat line.
fn ticks(fields: &[String], at: &[usize]) -> f64 {
    at.iter().filter_map(|&i| fields.get(i)?.parse::<f64>().ok()).sum()
}

/// Bytes this process has caused to be written to storage (`write_bytes` of
/// `/proc/self/io`: the WAL, the database file at checkpoints), 0 where unknown.
fn storage_bytes_written() -> f64 {
    std::fs::read_to_string("/proc/self/io")
        .ok()
        .and_then(|io| io.lines().find_map(|l| l.strip_prefix("write_bytes:")?.trim().parse().ok()))
        .unwrap_or(0.0)
}

/// CPU time this process has used (user + system), from /proc (Linux).
fn cpu_seconds() -> f64 {
    stat_fields("self").map_or(0.0, |f| ticks(&f, &[11, 12])) / 100.0
}

/// CPU time the Postgres cluster in `data_dir` has used (user + system): its postmaster
/// (the first line of `postmaster.pid`), with the children it has reaped (`cutime`,
/// `cstime`: backends that ended), and its living children (backends, the WAL writer,
/// the checkpointer, ...). `None` when the postmaster cannot be found.
fn postgres_cpu_seconds(data_dir: &Path) -> Option<f64> {
    let pid_file = std::fs::read_to_string(data_dir.join("postmaster.pid")).ok()?;
    let postmaster = pid_file.lines().next()?.trim().to_string();
    let mut total = ticks(&stat_fields(&postmaster)?, &[11, 12, 13, 14]);
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().filter(|n| n.bytes().all(|b| b.is_ascii_digit())) else {
            continue;
        };
        if let Some(fields) = stat_fields(pid) {
            if fields.get(1).is_some_and(|ppid| *ppid == postmaster) {
                total += ticks(&fields, &[11, 12]);
            }
        }
    }
    Some(total / 100.0)
}

struct Round {
    accepted_per_s: f64,
    completed_per_s: f64,
    statements_per_run: f64,
    raw_commits_per_s: Option<f64>,
    p50_ack_ms: f64,
    p99_ack_ms: f64,
    /// This process: the engines and the HTTP clients.
    engine_cpu_us_per_run: f64,
    /// The Postgres server's processes.
    postgres_cpu_us_per_run: Option<f64>,
    /// CPU used (this process and Postgres) over the peak's wall time: how many of the
    /// cores the peak kept busy.
    cores_busy: f64,
    /// CPU used by other processes of the machine meanwhile, in cores (a busy machine
    /// slows the round down).
    others_cores_busy: f64,
    /// Runs each node finished.
    finished_by_node: Vec<usize>,
    /// Advances started from memory, in percent (the rest read the run from the store).
    from_memory_pct: f64,
    /// KiB this process wrote to storage per run (SQLite's WAL and checkpoints).
    written_kib_per_run: f64,
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

/// Runs an engine has finished with `status`, from its counters (which cost no SQL, so
/// the statement count is the engine's own).
fn runs_finished(engine: &Engine, status: &str) -> usize {
    let prefix = format!("komo_runs_finished_total{{status=\"{status}\"}} ");
    engine
        .metrics_text()
        .lines()
        .find_map(|l| l.strip_prefix(prefix.as_str()))
        .and_then(|n| n.trim().parse::<usize>().ok())
        .unwrap_or(0)
}

/// The share of an engine's advances that started from memory (handed over by ingest,
/// or going on after a due-now park) rather than from a read of the store, in percent.
fn from_memory_pct(engines: &[Arc<Engine>]) -> f64 {
    let picked = |from: &str| -> f64 {
        let prefix = format!("komo_runs_picked_up_total{{from=\"{from}\"}} ");
        engines
            .iter()
            .filter_map(|e| {
                e.metrics_text()
                    .lines()
                    .find_map(|l| l.strip_prefix(prefix.as_str()).and_then(|n| n.trim().parse::<f64>().ok()))
            })
            .sum()
    };
    let (memory, store) = (picked("memory"), picked("store"));
    if memory + store > 0.0 { 100.0 * memory / (memory + store) } else { 0.0 }
}

/// Runs an engine has finished successfully.
fn finished(engine: &Engine) -> usize {
    runs_finished(engine, "succeeded")
}

/// The engines of a round, serving: each with its scheduler and an HTTP server on a free
/// loopback port, the workflow `reference` activated, and a key.
#[derive(Debug)]
struct Running {
    engines: Vec<Arc<Engine>>,
    key: String,
    /// Each engine's `/v1/events`.
    urls: Vec<String>,
    /// Stops the schedulers and servers.
    stop_tx: tokio::sync::watch::Sender<bool>,
}

/// Opens the engines of a round on their store (see [`open_engines`]), activates
/// `reference` and starts serving.
async fn start_engines(setup: Setup, dir: &Path, cluster: Option<&postgres::Cluster>) -> Running {
    let engines = open_engines(setup, dir, cluster).await;
    let first = engines.first().unwrap();
    let key = first.create_key().await.unwrap();
    first.activate("bench", "reference").await.unwrap();
    if engines.len() > 1 {
        // The other nodes hear of the activation through the store (LISTEN/NOTIFY).
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut urls = Vec::new();
    for engine in &engines {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        urls.push(format!("http://{}/v1/events", listener.local_addr().unwrap()));
        tokio::spawn(Arc::clone(engine).run_scheduler(stop_rx.clone()));
        let mut server_stop = stop_rx.clone();
        tokio::spawn(komo::server::serve_on(Arc::clone(engine), listener, async move {
            let _ = server_stop.changed().await;
        }));
    }
    Running { engines, key, urls, stop_tx }
}

/// The engines of a round, on their store: SQLite in the project, or a fresh database.
async fn open_engines(setup: Setup, dir: &Path, cluster: Option<&postgres::Cluster>) -> Vec<Arc<Engine>> {
    match setup {
        Setup::Sqlite => vec![Arc::new(open_engine(dir, None).await.unwrap())],
        Setup::Postgres { nodes } => {
            let cluster = cluster.expect("a Postgres setup without a cluster");
            let location = StoreLocation::Postgres(cluster.fresh_database());
            let mut engines = Vec::new();
            for n in 0..nodes {
                let node = Node { name: format!("bench-{n}"), lease_ms: Node::DEFAULT_LEASE_MS };
                engines.push(Arc::new(open_engine_as(dir, Some(&location), node).await.unwrap()));
            }
            engines
        }
    }
}

async fn round(
    setup: Setup,
    round: usize,
    events: usize,
    clients: usize,
    cluster: Option<&postgres::Cluster>,
) -> Round {
    let dir = project(setup, round);
    let Running { engines, key, urls, stop_tx } = start_engines(setup, &dir, cluster).await;
    let urls = Arc::new(urls);
    let url = |i: usize| urls.get(i % urls.len()).cloned().unwrap();
    let client = reqwest::Client::new();

    // Peak: every event as fast as `clients` connections allow, event `i` to node
    // `i % nodes`.
    let meter = Meter::start(cluster);
    let written_before = storage_bytes_written();
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, urls, key) = (client.clone(), Arc::clone(&urls), key.clone());
        tasks.push(tokio::spawn(async move {
            for i in (c..events).step_by(clients) {
                let url = urls.get(i % urls.len()).unwrap();
                post(&client, url, &key, envelope(round, i)).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let accepted = start.elapsed();
    // Until every run finished, on whichever node.
    while engines.iter().map(|e| finished(e)).sum::<usize>() < events {
        assert!(start.elapsed() < FINISH_WITHIN, "runs did not finish");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let completed = start.elapsed();
    let Spent { cpu, postgres_cpu, machine, statements } = meter.read();
    let finished_by_node = engines.iter().map(|e| finished(e)).collect();
    let from_memory_pct = from_memory_pct(&engines);
    let written_kib_per_run = (storage_bytes_written() - written_before) / 1024.0 / events as f64;

    // Half the peak rate, paced, one request per tick (round-robin over the nodes).
    let rate = events as f64 / accepted.as_secs_f64() / 2.0;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let mut latencies = Vec::new();
    let mut ticker = tokio::time::interval(interval);
    let mut pending = Vec::new();
    for i in 0..(rate as usize).clamp(50, 1000) {
        ticker.tick().await;
        let (client, url, key) = (client.clone(), url(i), key.clone());
        pending
            .push(tokio::spawn(async move { post(&client, &url, &key, envelope(round, events + i)).await }));
    }
    for p in pending {
        latencies.push(p.await.unwrap().as_secs_f64() * 1000.0);
    }
    latencies.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let at = |q: f64| latencies.get(((latencies.len() - 1) as f64 * q) as usize).copied().unwrap_or(0.0);
    let _ = stop_tx.send(true);
    drop(client);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let raw_commits_per_s = (setup == Setup::Sqlite).then(|| raw_commits_per_second(&dir));
    let _ = std::fs::remove_dir_all(&dir);
    Round {
        accepted_per_s: events as f64 / accepted.as_secs_f64(),
        completed_per_s: events as f64 / completed.as_secs_f64(),
        statements_per_run: statements as f64 / events as f64,
        raw_commits_per_s,
        p50_ack_ms: at(0.5),
        p99_ack_ms: at(0.99),
        engine_cpu_us_per_run: cpu * 1e6 / events as f64,
        postgres_cpu_us_per_run: postgres_cpu.map(|s| s * 1e6 / events as f64),
        cores_busy: (cpu + postgres_cpu.unwrap_or(0.0)) / completed.as_secs_f64(),
        others_cores_busy: (machine - cpu - postgres_cpu.unwrap_or(0.0)).max(0.0) / completed.as_secs_f64(),
        finished_by_node,
        from_memory_pct,
        written_kib_per_run,
    }
}

/// A column of the table: a setup and the medians of its rounds.
struct Column {
    setup: Setup,
    rounds: Vec<Round>,
}

impl Column {
    fn median(&self, f: impl Fn(&Round) -> Option<f64>) -> Option<f64> {
        let xs: Vec<f64> = self.rounds.iter().filter_map(f).collect();
        (!xs.is_empty()).then(|| median(xs))
    }
}

fn print_row(name: &str, columns: &[Column], decimals: usize, f: impl Fn(&Round) -> Option<f64>) {
    let mut line = format!("  {name:<28}");
    for column in columns {
        match column.median(&f) {
            Some(v) => line.push_str(&format!("{v:>20.decimals$}")),
            None => line.push_str(&format!("{:>20}", "-")),
        }
    }
    println!("{line}");
}

/// The local Postgres cluster, durable like SQLite (the test cluster runs without
/// fsync), started the first time a Postgres setup needs it; `None` without Postgres.
fn durable_cluster() -> Option<&'static postgres::Cluster> {
    static TURNED_ON: std::sync::Once = std::sync::Once::new();
    let cluster = postgres::cluster()?;
    TURNED_ON.call_once(|| {
        let url = cluster.fresh_database();
        cluster.psql(&url, "ALTER SYSTEM SET fsync = on");
        cluster.psql(&url, "SELECT pg_reload_conf()");
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(cluster.psql(&url, "SHOW fsync").trim(), "on", "the benchmark's Postgres must fsync");
    });
    Some(cluster)
}

/// The setups named in `KOMO_BENCH_STORES` (`default` when it is not set).
fn wanted_setups(default: &[Setup]) -> Vec<Setup> {
    let wanted = std::env::var("KOMO_BENCH_STORES").ok();
    Setup::ALL
        .into_iter()
        .filter(|s| match wanted.as_deref() {
            Some(w) => w.split(',').any(|k| k.trim() == s.key()),
            None => default.contains(s),
        })
        .collect()
}

/// The store a setup needs: `Some(None)` for SQLite, `Some(cluster)` for Postgres (the
/// cluster starts the first time one needs it), `None` when Postgres is not installed.
fn cluster_for(setup: Setup) -> Option<Option<&'static postgres::Cluster>> {
    match setup {
        Setup::Sqlite => Some(None),
        Setup::Postgres { .. } => {
            let cluster = durable_cluster();
            if cluster.is_none() {
                println!("PostgreSQL is not installed: the `{}` column is skipped", setup.label());
            }
            cluster.map(Some)
        }
    }
}

/// The internal-only workload on every wanted store, and its table.
fn internal(runtime: &tokio::runtime::Runtime, cores: usize) {
    let (events, clients) = (setting("KOMO_BENCH_EVENTS", 6000), setting("KOMO_BENCH_CLIENTS", 128));
    let mut columns = Vec::new();
    for setup in wanted_setups(&Setup::ALL) {
        let Some(cluster) = cluster_for(setup) else { continue };
        let started = Instant::now();
        let rounds: Vec<Round> =
            (0..ROUNDS).map(|r| runtime.block_on(round(setup, r, events, clients, cluster))).collect();
        eprintln!("{}: {ROUNDS} rounds in {:.1} s", setup.label(), started.elapsed().as_secs_f64());
        columns.push(Column { setup, rounds });
    }
    println!(
        "engine benchmark: {events} events, {clients} clients, 5-step internal-only workflow, medians of {ROUNDS} rounds"
    );
    let mut header = format!("  {:<28}", "");
    for column in &columns {
        header.push_str(&format!("{:>20}", column.setup.label()));
    }
    println!("{header}");
    print_row("events accepted /s", &columns, 0, |r| Some(r.accepted_per_s));
    print_row("runs completed /s", &columns, 0, |r| Some(r.completed_per_s));
    print_row("SQL statements per run", &columns, 1, |r| Some(r.statements_per_run));
    print_row("advances from memory, %", &columns, 0, |r| Some(r.from_memory_pct));
    print_row("KiB written to disk per run", &columns, 1, |r| Some(r.written_kib_per_run));
    print_row("CPU per run, engine µs", &columns, 0, |r| Some(r.engine_cpu_us_per_run));
    print_row("CPU per run, Postgres µs", &columns, 0, |r| r.postgres_cpu_us_per_run);
    print_row("CPU per run, total µs", &columns, 0, |r| {
        Some(r.engine_cpu_us_per_run + r.postgres_cpu_us_per_run.unwrap_or(0.0))
    });
    print_row(&format!("cores busy at peak (of {cores})"), &columns, 2, |r| Some(r.cores_busy));
    print_row("others' cores busy at peak", &columns, 2, |r| Some(r.others_cores_busy));
    print_row("ack p50 at half peak, ms", &columns, 2, |r| Some(r.p50_ack_ms));
    print_row("ack p99 at half peak, ms", &columns, 2, |r| Some(r.p99_ack_ms));
    print_row("raw SQLite commits /s", &columns, 0, |r| r.raw_commits_per_s);
    for column in columns.iter().filter(|c| c.rounds.first().is_some_and(|r| r.finished_by_node.len() > 1)) {
        let shares: Vec<String> = column
            .rounds
            .iter()
            .map(|r| r.finished_by_node.iter().map(usize::to_string).collect::<Vec<_>>().join("/"))
            .collect();
        println!("  runs finished by each node, {}: {} (by round)", column.setup.label(), shares.join(", "));
    }
    println!(
        "  engine CPU: this process (the engines and the HTTP clients); Postgres CPU: the cluster's \
         processes (postmaster, backends, WAL writer, ...); cores busy: both over the peak's wall time; \
         others': the rest of the machine meanwhile"
    );
    println!(
        "  SQLite: WAL, synchronous=FULL, raw commits on the same disk; Postgres: the local throwaway \
         cluster of tests/common/postgres.rs (loopback TCP, fsync on), a fresh database per round"
    );
}

/// The workloads named in `KOMO_BENCH_WORKLOADS` (both when it is not set).
fn wanted_workloads() -> Vec<String> {
    let wanted = std::env::var("KOMO_BENCH_WORKLOADS").unwrap_or_else(|_| "internal,webhook".into());
    let workloads: Vec<String> =
        wanted.split(',').map(|w| w.trim().to_string()).filter(|w| !w.is_empty()).collect();
    for w in &workloads {
        assert!(w == "internal" || w == "webhook", "unknown workload `{w}` (known: internal, webhook)");
    }
    workloads
}

fn main() {
    // The webhook workload's driver and sink: this binary again, in a process of its own.
    if std::env::var(webhook_driver::ROLE_VAR).is_ok_and(|role| role == webhook_driver::DRIVER) {
        webhook_driver::main(cpu_seconds);
        return;
    }
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let workloads = wanted_workloads();
    if workloads.iter().any(|w| w == "internal") {
        internal(&runtime, cores);
    }
    if workloads.iter().any(|w| w == "webhook") {
        let events = setting("KOMO_BENCH_WEBHOOK_EVENTS", 6000);
        let connections: Vec<usize> = std::env::var("KOMO_BENCH_CONNECTIONS")
            .unwrap_or_else(|_| "16,64".into())
            .split(',')
            .map(|c| c.trim().parse().expect("KOMO_BENCH_CONNECTIONS: numbers, comma-separated"))
            .collect();
        let columns = webhook::measure(&runtime, &wanted_setups(&[Setup::Sqlite]), events, &connections);
        webhook::print(&columns, events, cores);
    }
}
