//! Dashboard render time with 100,000 runs in the store: the first page of `GET /runs`
//! (HTML: 50 rows, the filter form's workflow and trigger lists, the template), side by
//! side in the same run with the JSON API's first page (`GET /v1/runs`, 50 runs) as the
//! baseline, and the workflows page (`GET /`) for reference. Both go through the whole
//! router in process (`oneshot`), session cookie or key included.
//!
//! The store is a real SQLite file: one real run of a real workflow, then 100,000 rows
//! made from it by one `INSERT … SELECT` over a recursive counter (a few seconds).
//! Before measuring, the query plans of the runs list are checked to use the runs
//! indexes (no full scan, no sort).
//!
//! Run: `cargo bench --bench dashboard`; prints the medians, then criterion's figures.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::cast_precision_loss
)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use criterion::{Criterion, criterion_group, criterion_main};
use komo::cli::project::open_engine;
use komo::engine::store::StoreLocation;
use tower::ServiceExt;

const RUNS: i64 = 100_000;

const WELCOME: &str = r#"workflow welcome {
  title "Welcome new contacts"
  scope workspace
  trigger Contact.Identified
  contact.add_to_list("New Users")
  step bonus = loyalty.award_points(50, reason: "Welcome bonus")
  contact.update(add_tags: ["welcomed"])
}
"#;

const QUIZ: &str = r#"workflow quiz {
  scope hub "sports"
  trigger Gameplay.Ended
  loyalty.award_points(10)
}
"#;

struct Setup {
    app: Router,
    cookie: String,
    key: String,
}

fn project() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-dashboard");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("workflows")).unwrap();
    std::fs::write(dir.join("komo.toml"), "[workspace]\nid = \"bench\"\n").unwrap();
    std::fs::write(dir.join("workflows/welcome.komo"), WELCOME).unwrap();
    std::fs::write(dir.join("workflows/quiz.komo"), QUIZ).unwrap();
    dir
}

async fn send(
    app: &Router,
    uri: &str,
    auth: (&str, &str),
    form: Option<String>,
) -> (StatusCode, axum::http::HeaderMap, usize) {
    let mut request = Request::builder().uri(uri).header(auth.0, auth.1);
    let request = match form {
        Some(form) => request
            .method("POST")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form)),
        None => {
            request = request.method("GET");
            request.body(Body::empty())
        }
    };
    let response = app.clone().oneshot(request.unwrap()).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
    (status, headers, bytes.len())
}

/// The runs list's query plans use an index for both the filter and the order.
fn check_plans(db: &std::path::Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    for (filter, index) in [("", "runs_newest"), (" AND workflow = 'welcome'", "runs_workflow_newest")] {
        let sql = format!(
            "EXPLAIN QUERY PLAN SELECT * FROM runs WHERE workspace = 'bench'{filter} ORDER BY started_at DESC, seq DESC LIMIT 51"
        );
        let mut stmt = conn.prepare(&sql).unwrap();
        let plan: Vec<String> =
            stmt.query_map([], |r| r.get::<_, String>(3)).unwrap().map(Result::unwrap).collect();
        let plan = plan.join("; ");
        assert!(
            plan.starts_with("SEARCH runs USING") && plan.contains(&format!("INDEX {index} ")),
            "{sql}: {plan}"
        );
        assert!(!plan.contains("TEMP B-TREE"), "{sql}: {plan}");
        println!("plan{filter}: {plan}");
    }
    // The workflows page's counts and metrics read the covering index only.
    for sql in [
        "SELECT status, started_at, finished_at FROM runs WHERE workspace = 'bench' AND workflow = 'welcome'",
        "SELECT COUNT(*) FROM runs WHERE workspace = 'bench' AND workflow = 'welcome' AND started_at >= 0",
    ] {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let plan: Vec<String> =
            stmt.query_map([], |r| r.get::<_, String>(3)).unwrap().map(Result::unwrap).collect();
        let plan = plan.join("; ");
        assert!(plan.contains("COVERING INDEX runs_workflow_newest"), "{sql}: {plan}");
        println!("plan: {sql}: {plan}");
    }
}

fn setup(runtime: &tokio::runtime::Runtime) -> Setup {
    let dir = project();
    let db = dir.join("komo.db");
    let engine = runtime.block_on(async {
        let engine = Arc::new(open_engine(&dir, Some(&StoreLocation::Sqlite(db.clone()))).await.unwrap());
        engine.activate("bench", "welcome").await.unwrap();
        engine.activate("bench", "quiz").await.unwrap();
        engine
    });
    let key = runtime.block_on(engine.create_key()).unwrap();
    let app = komo::server::router(Arc::clone(&engine));
    // One real run, whose stored state the seeded rows copy.
    runtime.block_on(async {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let scheduler = tokio::spawn(Arc::clone(&engine).run_scheduler(stopped));
        let event = r#"{ "id": "seed", "type": "Contact.Identified", "occurred_at": "2026-11-29T09:00:00Z", "contact": { "email": "ana@example.com" }, "data": {} }"#;
        let started = engine.ingest("bench", event.as_bytes()).await.unwrap();
        let id = started.runs[0].id.clone();
        while engine.run("bench", &id).await.unwrap().finished_at.is_none() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        stop.send(true).unwrap();
        scheduler.await.unwrap();
    });
    let seeding = Instant::now();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.busy_timeout(Duration::from_secs(10)).unwrap();
    let now = jiff::Timestamp::now().as_millisecond();
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO runs (id, workspace, workflow, version, status, trigger, hub, card, event_id, contact_id,
                           started_at, finished_at, due_at, state, seq)
         SELECT printf('run_seed_%06d', i), r.workspace,
                CASE WHEN i % 4 = 0 THEN 'quiz' ELSE 'welcome' END, 1,
                CASE WHEN i % 50 = 0 THEN 'failed' WHEN i % 97 = 0 THEN 'waiting' ELSE 'succeeded' END,
                CASE WHEN i % 4 = 0 THEN 'Gameplay.Ended' ELSE r.trigger END,
                CASE WHEN i % 4 = 0 THEN 'sports' END, CASE WHEN i % 4 = 0 THEN printf('card_%d', i % 7) END,
                r.event_id, r.contact_id, ?2 - i * 5000,
                CASE WHEN i % 97 = 0 THEN NULL ELSE ?2 - i * 5000 + 20 + i % 300 END, NULL, r.state,
                r.seq + i
         FROM n, (SELECT * FROM runs LIMIT 1) r",
        rusqlite::params![RUNS, now],
    )
    .unwrap();
    conn.execute_batch("ANALYZE").unwrap();
    let count: i64 = conn.query_row("SELECT COUNT(*) FROM runs", [], |r| r.get(0)).unwrap();
    assert_eq!(count, RUNS + 1);
    println!("seeded {RUNS} runs in {:.1} s", seeding.elapsed().as_secs_f64());
    check_plans(&db);
    let cookie = runtime.block_on(async {
        let request = Request::builder()
            .method("POST")
            .uri("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("key={key}")))
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let set = response.headers().get(header::SET_COOKIE).unwrap().to_str().unwrap();
        set.split(';').next().unwrap().to_string()
    });
    Setup { app, cookie, key }
}

fn median_ms(runtime: &tokio::runtime::Runtime, app: &Router, uri: &str, auth: (&str, &str)) -> f64 {
    let mut times = Vec::new();
    for _ in 0..200 {
        let started = Instant::now();
        let (status, _, bytes) = runtime.block_on(send(app, uri, auth, None));
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(status, StatusCode::OK, "{uri}");
        assert!(bytes > 1000, "{uri}");
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    times[times.len() / 2]
}

fn dashboard(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let s = setup(&runtime);
    let bearer = format!("Bearer {}", s.key);
    let cookie = ("cookie", s.cookie.as_str());
    let key = ("authorization", bearer.as_str());

    // What is measured is the real thing: a full first page each.
    let (page, api) = runtime.block_on(async {
        let get = |uri: &'static str, auth: (&'static str, String)| {
            let request = Request::builder().uri(uri).header(auth.0, auth.1).body(Body::empty()).unwrap();
            let app = s.app.clone();
            async move {
                let response = app.oneshot(request).await.unwrap();
                let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
                String::from_utf8(bytes.to_vec()).unwrap()
            }
        };
        (
            get("/runs", ("cookie", s.cookie.clone())).await,
            get("/v1/runs", ("authorization", bearer.clone())).await,
        )
    });
    assert_eq!(page.matches("<a href=\"/runs/run_").count(), 50, "{page}");
    let api: serde_json::Value = serde_json::from_str(&api).unwrap();
    assert_eq!(api["runs"].as_array().unwrap().len(), 50);
    println!("first page: {} bytes of HTML, 50 runs; the API's: 50 runs", page.len());

    let html = median_ms(&runtime, &s.app, "/runs", cookie);
    let json = median_ms(&runtime, &s.app, "/v1/runs", key);
    let filtered = median_ms(&runtime, &s.app, "/runs?workflow=quiz&status=succeeded&range=7d", cookie);
    let workflows = median_ms(&runtime, &s.app, "/", cookie);
    println!("median over 200 requests, {RUNS} runs in the store:");
    println!("  GET /runs (HTML, first page)            {html:.2} ms");
    println!("  GET /v1/runs (JSON, first page, baseline) {json:.2} ms  (HTML / JSON = {:.2})", html / json);
    println!("  GET /runs?workflow&status&range=7d       {filtered:.2} ms");
    println!("  GET / (workflows page, all-time metrics) {workflows:.2} ms");

    let mut group = c.benchmark_group(format!("dashboard_{RUNS}_runs"));
    group.sample_size(30);
    group.bench_function("runs_page_html", |b| {
        b.iter(|| runtime.block_on(send(&s.app, "/runs", cookie, None)))
    });
    group.bench_function("v1_runs_json_baseline", |b| {
        b.iter(|| runtime.block_on(send(&s.app, "/v1/runs", key, None)))
    });
    group.finish();
}

criterion_group!(benches, dashboard);
criterion_main!(benches);
