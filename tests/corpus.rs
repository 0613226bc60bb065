//! The benchmark's generated corpus is valid Komo: the benchmark measures the normal
//! path, and the generator doubles as a larger test of the checker.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

#[path = "../benches/support/corpus.rs"]
#[allow(dead_code)]
mod corpus;

use komo::source::SourceMap;

#[test]
fn generated_workflows_check_clean() {
    let mut sources = SourceMap::new();
    for (i, text) in corpus::files(4, 5).into_iter().enumerate() {
        sources.add(format!("gen{i}.komo"), text);
    }
    let checked = komo::check_sources(&sources);
    let shown: Vec<String> =
        checked.diagnostics.iter().take(5).map(|d| format!("{}: {}", d.code, d.message)).collect();
    assert!(checked.diagnostics.is_empty(), "{shown:#?}");
    assert_eq!(checked.program.workflows.len(), 20);
}

#[test]
fn the_json_baseline_is_the_same_content() {
    let one = corpus::workflow(7);
    let value: serde_json::Value = serde_json::from_str(&one.json).unwrap();
    assert_eq!(value["name"], "generated_7");
    assert!(one.komo.lines().count() >= 28, "about 30 lines a workflow");
}
