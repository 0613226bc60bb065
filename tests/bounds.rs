//! Static bounds over the examples: a snapshot of the `komo check --bounds` table of every
//! example that checks clean (`examples/` and `../shared/examples/`), and every run of
//! their `test` blocks held against those bounds: a run never sends more emails or SMS,
//! makes more external calls, awards more points or takes longer (in virtual time)
//! than its workflow's bound.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use komo::catalog::ActionKind;
use komo::check::ProjectCatalog;
use komo::check::bounds::{self, WorkflowBounds};
use komo::ir::StepStatus;
use komo::runtime::record::RunRecord;
use komo::source::SourceMap;

/// Every `.komo` file under `dir`, sorted.
fn komo_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            komo_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "komo") {
            out.push(path);
        }
    }
}

/// The valid examples: each file checked on its own, against its project's catalog.
fn examples() -> Vec<(String, SourceMap, Arc<ProjectCatalog>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["examples", "../shared/examples"] {
        komo_files(&root.join(dir), &mut files);
    }
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let name = path.strip_prefix(root).unwrap().display().to_string().replace('\\', "/");
        // examples/errors holds files that are not UTF-8 on purpose: not examples of bounds.
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let mut sources = SourceMap::new();
        sources.add(name.clone(), text);
        let catalog = komo::cli::project::find_root(&path)
            .map(|r| Arc::new(komo::cli::project::load_catalog(&r).unwrap()))
            .unwrap_or_default();
        if komo::check_sources_in(&sources, &catalog).diagnostics.iter().any(|d| d.is_error()) {
            continue;
        }
        out.push((name, sources, catalog));
    }
    out
}

#[test]
fn bounds_of_every_example() {
    let mut shown = String::new();
    let all = examples();
    assert!(all.len() > 20, "found {} examples", all.len());
    for (name, sources, catalog) in &all {
        let checked = komo::check_sources_in(sources, catalog);
        shown.push_str(&format!("## {name}\n{}\n", bounds::table(&checked.program.bounds)));
    }
    insta::assert_snapshot!(shown);
}

/// What a run really did, measure by measure: duration (ms), emails, SMS, external
/// calls, points.
fn actual(record: &RunRecord) -> [Option<u64>; 5] {
    let mut counts = [0u64; 4];
    for step in record.steps.iter().filter(|s| s.status != StepStatus::Skipped) {
        let attempts = u64::from(step.attempts);
        match step.action.spec().full_name().as_str() {
            "contact.send_email" => counts[0] += attempts,
            "contact.send_sms" => counts[1] += attempts,
            "loyalty.award_points" if step.status == StepStatus::Succeeded => {
                counts[3] += step.input["points"].as_i64().unwrap().max(0) as u64;
            }
            _ => {}
        }
        if step.action.kind() == ActionKind::External {
            counts[2] += attempts;
        }
    }
    let duration = record.finished_at.as_ref().map(|end| {
        let start: jiff::Timestamp = record.started_at.parse().unwrap();
        let end: jiff::Timestamp = end.parse().unwrap();
        u64::try_from(end.duration_since(start).as_millis()).unwrap()
    });
    [duration, Some(counts[0]), Some(counts[1]), Some(counts[2]), Some(counts[3])]
}

#[test]
fn no_test_run_of_an_example_goes_over_its_bounds() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (mut runs, mut compared) = (0, 0);
    for (name, sources, catalog) in examples() {
        let checked = komo::check_sources_in(&sources, &catalog);
        let program = komo::ir::lower_program(&checked).unwrap();
        for case in &program.tests {
            let outcome = runtime.block_on(komo::runtime::testing::run_test(&program, case));
            let Some(record) = &outcome.record else { continue };
            runs += 1;
            let bound: &WorkflowBounds =
                checked.program.bounds.iter().find(|b| b.workflow == record.workflow).unwrap();
            for ((measure, b), did) in bound.each().into_iter().zip(actual(record)) {
                let (Some(did), Some(most)) = (did, b.amount.finite()) else { continue };
                compared += 1;
                assert!(
                    did <= most,
                    "{name}: test \"{}\" went over its {measure:?} bound: {did} > {most}",
                    outcome.name
                );
            }
        }
    }
    assert!(runs > 30 && compared > 100, "{runs} runs, {compared} comparisons");
}

/// The bounds' retry delays are the runtime's with the most jitter.
#[test]
fn retry_delays_are_the_runtimes_at_most() {
    use komo::runtime::interp::retry_delay;
    for backoff in [1, 7, 999, 1000, 30_000, 3_600_000] {
        for attempt in 1..=10 {
            let most = bounds::retry_delay_max(backoff, attempt);
            let runtime_most = retry_delay(backoff, attempt, 1.0, None);
            assert!(u64::try_from(runtime_most).unwrap() <= most, "{backoff} ms, attempt {attempt}");
            assert!(most - u64::try_from(runtime_most).unwrap() <= 1, "{backoff} ms, attempt {attempt}");
        }
    }
    assert_eq!(bounds::DEFAULT_ATTEMPT_MS, komo::connectors::DEFAULT_TIMEOUT_MS);
}
