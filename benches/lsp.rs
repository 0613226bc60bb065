//! Language server latency: the time from sending `didChange` (one incremental edit in
//! the middle of a 5,000-line file) to receiving its `publishDiagnostics`, through the
//! real server over an in-process pipe (JSON-RPC framing, the workspace, parse, check,
//! UTF-16 conversion). Three kinds of edit, each made and taken back in turn: a space
//! (the program does not change), a misspelt `let` name (checker errors come and go)
//! and a syntax error (the broken side parses the whole text again). The same-run
//! baseline is a plain parse + check of the same text.
//!
//! Run: `cargo bench --bench lsp`. Goal: a median of at most 20 ms.

#![allow(clippy::print_stderr, clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime};
use komo::source::FileId;
use serde_json::{Value, json};
use tokio::runtime::Runtime;

#[path = "support/corpus.rs"]
#[allow(dead_code)] // shared with the front-end benchmark, which uses all of it
mod corpus;
#[path = "../tests/support/lsp_client.rs"]
mod lsp_client;

const URI: &str = "file:///bench/big.komo";

/// Benchmarks one edit and its undo, in turn: `(range, text)` for each direction.
fn bench_edit(
    group: &mut BenchmarkGroup<'_, WallTime>,
    name: &str,
    runtime: &Runtime,
    client: &mut lsp_client::LspClient,
    version: &mut i32,
    edits: [(Value, &str); 2],
) {
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                *version += 1;
                let (range, text) = &edits[usize::from(*version % 2 == 1)];
                let started = Instant::now();
                let published = runtime.block_on(client.edit(URI, *version, range.clone(), text));
                total += started.elapsed();
                assert_eq!(published["version"], json!(*version));
            }
            total
        })
    });
    // Leave the document as it was.
    if *version % 2 == 0 {
        *version += 1;
        let (range, text) = &edits[1];
        runtime.block_on(client.edit(URI, *version, range.clone(), text));
    }
}

fn lsp(c: &mut Criterion) {
    let text = corpus::one_file(5_000);
    let lines: Vec<&str> = text.lines().collect();
    let middle = lines.len() / 2;
    // The first `let label` line at or after the middle.
    let label_line = (middle..lines.len()).find(|&i| lines[i].trim_start().starts_with("let label")).unwrap();
    let (middle, label_line) = (u32::try_from(middle).unwrap(), u32::try_from(label_line).unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut client = runtime.block_on(async {
        let mut client = lsp_client::LspClient::start().await;
        let published = client.open(URI, &text).await;
        let count = published["diagnostics"].as_array().map_or(0, Vec::len);
        eprintln!("{} lines, {} bytes, {count} diagnostics", lines.len(), text.len());
        client
    });
    let r = lsp_client::range;
    let mut version = 1;
    let mut group = c.benchmark_group("lsp_5000_lines");
    group.sample_size(40).measurement_time(Duration::from_secs(6)).warm_up_time(Duration::from_secs(2));
    bench_edit(
        &mut group,
        "didChange to publishDiagnostics: a space",
        &runtime,
        &mut client,
        &mut version,
        [(r(middle, 0, middle, 0), " "), (r(middle, 0, middle, 1), "")],
    );
    // `  let label = …`: the name is at columns 6..11.
    bench_edit(
        &mut group,
        "didChange to publishDiagnostics: a misspelt name",
        &runtime,
        &mut client,
        &mut version,
        [(r(label_line, 6, label_line, 11), "lable"), (r(label_line, 6, label_line, 11), "label")],
    );
    bench_edit(
        &mut group,
        "didChange to publishDiagnostics: a syntax error",
        &runtime,
        &mut client,
        &mut version,
        [(r(label_line, 6, label_line, 11), "="), (r(label_line, 6, label_line, 7), "label")],
    );
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
