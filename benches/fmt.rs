//! Formatter throughput on the front-end benchmark's 50,000-line file (the generated
//! corpus of `benches/support/corpus.rs`: as generated, already formatted, and with its
//! indentation stripped), side by side with baselines measured in the same run: parsing
//! the same text (which `format_with` includes, and `komo fmt`, which adds `verify`,
//! includes twice), and `serde_json` parsing a JSON document of the same size.
//!
//! Run: `cargo bench --bench fmt`. Throughput is in lines of Komo (the JSON baseline
//! uses the Komo line count, so the rates compare).

#![allow(clippy::expect_used, clippy::print_stderr, clippy::cast_possible_truncation)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use komo::source::FileId;

#[path = "support/corpus.rs"]
#[allow(dead_code)]
mod corpus;

/// The corpus is over the 1 MiB source limit; the benchmark lifts that one limit (the
/// nesting limits stay), as `benches/frontend.rs` does.
const BENCH_LIMITS: komo::syntax::Limits = komo::syntax::Limits { max_file_bytes: usize::MAX };

/// The same program with every line's indentation removed and trailing blanks added:
/// the formatter has to rebuild the layout, not just confirm it.
fn messy(text: &str) -> String {
    text.lines().map(|line| format!("{}   \n", line.trim_start())).collect()
}

fn fmt(c: &mut Criterion) {
    let generated = corpus::one_file(50_000);
    let tidy = komo::fmt::format_with(FileId(0), &generated, BENCH_LIMITS).expect("the corpus formats");
    let messy = messy(&tidy);
    let again = komo::fmt::format_with(FileId(0), &messy, BENCH_LIMITS).expect("the messy corpus formats");
    assert_eq!(again, tidy, "the messy layout formats back to the tidy one");
    let lines = generated.lines().count() as u64;
    let json = corpus::json_of_size(generated.len());

    let mut group = c.benchmark_group("fmt_50000_lines");
    group.throughput(Throughput::Elements(lines));
    group.sample_size(20).measurement_time(Duration::from_secs(8)).warm_up_time(Duration::from_secs(1));
    group.bench_function("format (generated layout)", |b| {
        b.iter(|| komo::fmt::format_with(FileId(0), black_box(&generated), BENCH_LIMITS).map(|t| t.len()))
    });
    group.bench_function("format (already formatted)", |b| {
        b.iter(|| komo::fmt::format_with(FileId(0), black_box(&tidy), BENCH_LIMITS).map(|t| t.len()))
    });
    group.bench_function("format (messy layout)", |b| {
        b.iter(|| komo::fmt::format_with(FileId(0), black_box(&messy), BENCH_LIMITS).map(|t| t.len()))
    });
    group.bench_function("format + verify (komo fmt)", |b| {
        b.iter(|| {
            let text = komo::fmt::format_with(FileId(0), black_box(&messy), BENCH_LIMITS).expect("formats");
            komo::fmt::verify(FileId(0), &messy, &text, BENCH_LIMITS).map(|()| text.len())
        })
    });
    group.bench_function("parse only (baseline)", |b| {
        b.iter(|| komo::syntax::parse_with(FileId(0), black_box(&generated), BENCH_LIMITS).file.items.len())
    });
    group.bench_function("serde_json (same bytes)", |b| {
        b.iter(|| serde_json::from_str::<serde_json::Value>(black_box(&json)).map(|v| v.is_array()))
    });
    group.finish();
    eprintln!(
        "fmt_50000_lines: {lines} lines, {:.2} MB komo ({:.2} MB messy), {:.2} MB json",
        generated.len() as f64 / 1e6,
        messy.len() as f64 / 1e6,
        json.len() as f64 / 1e6
    );
}

criterion_group!(benches, fmt);
criterion_main!(benches);
