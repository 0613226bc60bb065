//! The webhook workload (issue 13's reference workload): an event over HTTP, a condition,
//! three internal contact and loyalty actions, `wait 0s`, then `http.request` POSTing JSON
//! to a loopback sink. The sink and the closed-loop load generator run in a process of
//! their own (`webhook_driver.rs`, the bench binary re-executed), so this process holds
//! the engine alone: its CPU time is the engine's own, and its resident memory the
//! engine's (plus whatever earlier rounds left behind, hence the baseline).
//!
//! In: the setups (stores) and the connection counts to measure. Out: per column, the
//! rounds' events accepted and runs completed per second, SQL statements and CPU per run
//! (engine, driver and sink, Postgres), ack and end-to-end latency, peak resident memory.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::webhook_driver::{self, Orders, Report, SinkReady};
use crate::{
    FINISH_WITHIN, Meter, ROUNDS, Running, Setup, Spent, cluster_for, from_memory_pct, median, postgres,
    runs_finished, start_engines,
};

/// `SINK` is replaced by the sink's address.
const WORKFLOW: &str = r#"
workflow reference {
  scope workspace
  trigger Contact.Identified
  if contact.points >= 0 {
    contact.add_to_list("Bench")
    contact.update(add_tags: ["bench"])
    loyalty.award_points(10, reason: "bench")
  }
  wait 0s
  http.request("POST", "http://SINK/sink", json: { event: event.id, contact: contact.id })
}
"#;

/// A project whose workflow posts to `sink`, which its `[http] allow_hosts` lets through.
fn project(setup: Setup, connections: usize, round: usize, sink: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "komo-bench-webhook-{}-{}-{connections}-{round}",
        std::process::id(),
        setup.key()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("workflows")).unwrap();
    std::fs::write(
        dir.join("komo.toml"),
        format!("[workspace]\nid = \"bench\"\n\n[http]\nallow_hosts = [\"{sink}\"]\n"),
    )
    .unwrap();
    std::fs::write(dir.join("workflows/reference.komo"), WORKFLOW.replace("SINK", sink)).unwrap();
    dir
}

/// A field of `/proc/self/status` in MiB (`VmRSS`, `VmHWM`: given there in kB).
pub fn status_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

/// The highest `VmRSS` seen by a thread sampling it every 10 ms.
struct PeakRss {
    stop: Arc<AtomicBool>,
    sampler: std::thread::JoinHandle<f64>,
}

impl PeakRss {
    fn start() -> PeakRss {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let sampler = std::thread::spawn(move || {
            let mut peak: f64 = 0.0;
            loop {
                peak = peak.max(status_mib("VmRSS"));
                if stopped.load(Ordering::Relaxed) {
                    return peak;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        });
        PeakRss { stop, sampler }
    }

    fn finish(self) -> f64 {
        self.stop.store(true, Ordering::Relaxed);
        self.sampler.join().unwrap()
    }
}

/// The driver's process: its stdin (the orders, then closed to let it go) and stdout.
struct Driver {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Driver {
    fn spawn() -> (Driver, SinkReady) {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .env(webhook_driver::ROLE_VAR, webhook_driver::DRIVER)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let ready = serde_json::from_str(&read_line(&mut stdout)).expect("the driver's sink address");
        (Driver { child, stdin, stdout }, ready)
    }

    fn order(&mut self, orders: &Orders) {
        serde_json::to_writer(&mut self.stdin, orders).unwrap();
        self.stdin.write_all(b"\n").unwrap();
        self.stdin.flush().unwrap();
    }

    /// Closes the driver's stdin, which ends it, and checks it ended well.
    fn finish(self) {
        let Driver { mut child, stdin, stdout } = self;
        drop((stdin, stdout));
        assert!(child.wait().unwrap().success(), "the webhook driver failed");
    }
}

fn read_line(from: &mut impl BufRead) -> String {
    let mut line = String::new();
    from.read_line(&mut line).unwrap();
    assert!(!line.is_empty(), "the webhook driver ended without answering");
    line
}

/// One round's figures.
#[derive(Debug)]
pub struct Round {
    accepted_per_s: f64,
    completed_per_s: f64,
    statements_per_run: f64,
    engine_cpu_us_per_run: f64,
    driver_cpu_us_per_run: f64,
    postgres_cpu_us_per_run: Option<f64>,
    ack_p50_ms: f64,
    ack_p99_ms: f64,
    end_to_end_p50_ms: f64,
    end_to_end_p99_ms: f64,
    baseline_rss_mib: f64,
    peak_rss_mib: f64,
    /// Advances started from memory, in percent.
    from_memory_pct: f64,
    /// The engine's process, over the wall time from the orders to the last run finished.
    engine_cores: f64,
    /// The engine, the driver and the sink (and Postgres), over the same time.
    all_cores: f64,
    /// The machine's other processes, over the same time.
    others_cores: f64,
}

async fn round(
    setup: Setup,
    round: usize,
    events: usize,
    connections: usize,
    cluster: Option<&postgres::Cluster>,
) -> Round {
    let (mut driver, ready) = tokio::task::spawn_blocking(Driver::spawn).await.unwrap();
    let dir = project(setup, connections, round, &ready.sink.to_string());
    let baseline_rss_mib = status_mib("VmRSS");
    let Running { engines, key, urls, stop_tx } = start_engines(setup, &dir, cluster).await;

    let peak_rss = PeakRss::start();
    let meter = Meter::start(cluster);
    let start = Instant::now();
    driver.order(&Orders { urls, key, events, connections, round });
    let report = tokio::task::spawn_blocking(move || {
        let report = read_line(&mut driver.stdout);
        (driver, report)
    });
    let finished = |status: &str| engines.iter().map(|e| runs_finished(e, status)).sum::<usize>();
    while finished("succeeded") < events {
        assert_eq!(finished("failed"), 0, "runs failed (is the sink reachable?)");
        assert!(start.elapsed() < FINISH_WITHIN, "runs did not finish");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let completed = start.elapsed();
    let Spent { cpu, postgres_cpu, machine, statements } = meter.read();
    let peak_rss_mib = peak_rss.finish();
    let from_memory_pct = from_memory_pct(&engines);
    let (driver, report) = report.await.unwrap();
    let report: Report = serde_json::from_str(&report).expect("the driver's report");
    assert_eq!(report.accepted, events, "events accepted");
    assert_eq!(report.sink_events, events, "events whose run POSTed to the sink");
    assert_eq!(report.sink_posts, events, "POSTs the sink received: one per run");
    assert_eq!(finished("succeeded"), events, "runs succeeded");

    let _ = stop_tx.send(true);
    tokio::task::spawn_blocking(move || driver.finish()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    drop(engines);
    let _ = std::fs::remove_dir_all(&dir);
    let per_run = |seconds: f64| seconds * 1e6 / events as f64;
    let ours = cpu + report.cpu_s + postgres_cpu.unwrap_or(0.0);
    Round {
        accepted_per_s: report.accepted as f64 / report.posting_s,
        completed_per_s: events as f64 / completed.as_secs_f64(),
        statements_per_run: statements as f64 / events as f64,
        engine_cpu_us_per_run: per_run(cpu),
        from_memory_pct,
        driver_cpu_us_per_run: per_run(report.cpu_s),
        postgres_cpu_us_per_run: postgres_cpu.map(per_run),
        ack_p50_ms: report.ack_p50_ms,
        ack_p99_ms: report.ack_p99_ms,
        end_to_end_p50_ms: report.end_to_end_p50_ms,
        end_to_end_p99_ms: report.end_to_end_p99_ms,
        baseline_rss_mib,
        peak_rss_mib,
        engine_cores: cpu / completed.as_secs_f64(),
        all_cores: ours / completed.as_secs_f64(),
        others_cores: (machine - ours).max(0.0) / completed.as_secs_f64(),
    }
}

/// A column of the table: a setup at a number of connections, and its rounds.
#[derive(Debug)]
pub struct Column {
    setup: Setup,
    connections: usize,
    rounds: Vec<Round>,
}

/// Every setup at every connection count, `ROUNDS` rounds each.
pub fn measure(
    runtime: &tokio::runtime::Runtime,
    setups: &[Setup],
    events: usize,
    connections: &[usize],
) -> Vec<Column> {
    let mut columns = Vec::new();
    for &setup in setups {
        let Some(cluster) = cluster_for(setup) else { continue };
        for &c in connections {
            let started = Instant::now();
            let rounds = (0..ROUNDS).map(|r| runtime.block_on(round(setup, r, events, c, cluster))).collect();
            eprintln!(
                "webhook, {}, {c} connections: {ROUNDS} rounds in {:.1} s",
                setup.label(),
                started.elapsed().as_secs_f64()
            );
            columns.push(Column { setup, connections: c, rounds });
        }
    }
    columns
}

const WIDTH: usize = 20;

/// A row of medians; left out when no column has a value.
fn print_row(name: &str, columns: &[Column], decimals: usize, f: impl Fn(&Round) -> Option<f64>) {
    let medians: Vec<Option<f64>> = columns
        .iter()
        .map(|c| {
            let xs: Vec<f64> = c.rounds.iter().filter_map(&f).collect();
            (!xs.is_empty()).then(|| median(xs))
        })
        .collect();
    if medians.iter().all(Option::is_none) {
        return;
    }
    let mut line = format!("  {name:<34}");
    for m in medians {
        match m {
            Some(v) => line.push_str(&format!("{v:>WIDTH$.decimals$}")),
            None => line.push_str(&format!("{:>WIDTH$}", "-")),
        }
    }
    println!("{line}");
}

/// Two medians in one cell, `a / b`.
fn print_pair(name: &str, columns: &[Column], f: impl Fn(&Round) -> (f64, f64)) {
    let mut line = format!("  {name:<34}");
    for column in columns {
        let a = median(column.rounds.iter().map(|r| f(r).0).collect());
        let b = median(column.rounds.iter().map(|r| f(r).1).collect());
        line.push_str(&format!("{:>WIDTH$}", format!("{a:.2} / {b:.2}")));
    }
    println!("{line}");
}

pub fn print(columns: &[Column], events: usize, cores: usize) {
    println!(
        "\nwebhook workload: {events} events, if + 3 internal actions + wait 0s + http.request POST to a \
         loopback sink, closed loop, medians of {ROUNDS} rounds"
    );
    let (mut stores, mut conns) = (format!("  {:<34}", ""), format!("  {:<34}", ""));
    for column in columns {
        stores.push_str(&format!("{:>WIDTH$}", column.setup.label()));
        conns.push_str(&format!("{:>WIDTH$}", format!("{} conns", column.connections)));
    }
    println!("{stores}\n{conns}");
    print_row("events accepted /s", columns, 0, |r| Some(r.accepted_per_s));
    print_row("runs completed /s", columns, 0, |r| Some(r.completed_per_s));
    print_row("SQL statements per run", columns, 1, |r| Some(r.statements_per_run));
    print_row("advances from memory, %", columns, 0, |r| Some(r.from_memory_pct));
    print_row("CPU per run, engine µs", columns, 0, |r| Some(r.engine_cpu_us_per_run));
    print_row("CPU per run, driver+sink µs", columns, 0, |r| Some(r.driver_cpu_us_per_run));
    print_row("CPU per run, Postgres µs", columns, 0, |r| r.postgres_cpu_us_per_run);
    print_pair("ack p50 / p99, ms", columns, |r| (r.ack_p50_ms, r.ack_p99_ms));
    print_pair("end-to-end p50 / p99, ms", columns, |r| (r.end_to_end_p50_ms, r.end_to_end_p99_ms));
    print_row("RSS before the round, MiB", columns, 1, |r| Some(r.baseline_rss_mib));
    print_row("peak RSS (engine process), MiB", columns, 1, |r| Some(r.peak_rss_mib));
    print_row(&format!("cores busy, engine (of {cores})"), columns, 2, |r| Some(r.engine_cores));
    print_row("cores busy, all (+driver, sink, pg)", columns, 2, |r| Some(r.all_cores));
    print_row("others' cores busy", columns, 2, |r| Some(r.others_cores));
    println!(
        "  engine: this process, which holds only the engine (its HTTP server, scheduler, store and \
         http.request client); driver+sink: the load generator and the sink, a process of their own; \
         end-to-end: from posting an event to the sink receiving its run's POST; VmHWM of this \
         process at the end: {:.1} MiB",
        status_mib("VmHWM")
    );
}
