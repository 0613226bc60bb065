//! Language server latency: the time from sending `didChange` (one incremental edit in
//! the middle of a 5,000-line file) to receiving its `publishDiagnostics`, through the
//! real server over an in-process pipe (JSON-RPC framing, the workspace, parse, check,
//! UTF-16 conversion). The same-run baseline is a plain parse + check of the same text,
//! so the ratio is the server's own overhead.
//!
//! Run: `cargo bench --bench lsp`. Goal: a median of at most 20 ms.

#![allow(clippy::print_stderr, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use komo::source::FileId;
use serde_json::json;

#[path = "support/corpus.rs"]
#[allow(dead_code)] // shared with the front-end benchmark, which uses all of it
mod corpus;
#[path = "../tests/support/lsp_client.rs"]
mod lsp_client;

fn lsp(c: &mut Criterion) {
    let text = corpus::one_file(5_000);
    let lines = text.lines().count();
    let middle = u32::try_from(lines / 2).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let uri = "file:///bench/big.komo";
    let mut client = runtime.block_on(async {
        let mut client = lsp_client::LspClient::start().await;
        let published = client.open(uri, &text).await;
        let count = published["diagnostics"].as_array().map_or(0, Vec::len);
        eprintln!("{lines} lines, {} bytes, {count} diagnostics", text.len());
        client
    });

    let mut group = c.benchmark_group("lsp_5000_lines");
    group.sample_size(40).measurement_time(Duration::from_secs(8)).warm_up_time(Duration::from_secs(2));
    let mut version = 1;
    group.bench_function("didChange to publishDiagnostics", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                version += 1;
                // Indent the middle line by one space, then take it back: the program
                // stays the same, every edit is a real incremental change.
                let (range, new_text) = if version % 2 == 0 {
                    (lsp_client::range(middle, 0, middle, 0), " ")
                } else {
                    (lsp_client::range(middle, 0, middle, 1), "")
                };
                let started = Instant::now();
                let published = runtime.block_on(client.edit(uri, version, range, new_text));
                total += started.elapsed();
                assert_eq!(published["version"], json!(version));
            }
            total
        })
    });
    group.bench_function("baseline: parse + check", |b| {
        b.iter(|| {
            let parsed = komo::syntax::parse(FileId(0), black_box(&text));
            komo::check::check(&[(FileId(0), parsed.file)]).diagnostics.len()
        })
    });
    group.finish();
    runtime.block_on(client.shutdown());
}

criterion_group!(benches, lsp);
criterion_main!(benches);
