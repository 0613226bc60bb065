//! Every `.komo` file under `examples/` is a test case: adding a file adds a case.
//!
//! Each case is checked alone and snapshotted with its SOURCE, the human DIAGNOSTICS
//! (no colour) and the JSON report; a valid one also with its IR (and the IR must
//! survive IR → JSON → IR unchanged) and the RUN of each of its tests (in the sandbox:
//! steps, the events they caused, waits). On top of the snapshot, the expectations written in
//! the file are asserted: `// expect-errors: 7 8|9` (an error on line 7, and one on line
//! 8 or 9), `// expect-warnings: 4` (a warning on line 4 and no error); a file without
//! such a line must check clean.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use komo::check::ProjectCatalog;

use komo::diagnostics::{Code, Diagnostic, Severity, render};
use komo::source::SourceMap;

/// The catalog of the project an example is in (the nearest `komo.toml` above it), as
/// `komo check` finds it; none for examples outside a project.
fn catalog_of(path: &Path) -> Arc<ProjectCatalog> {
    komo::cli::project::find_root(path)
        .map(|root| Arc::new(komo::cli::project::load_catalog(&root).unwrap()))
        .unwrap_or_default()
}

fn check_file(path: &Path) -> (SourceMap, Vec<Diagnostic>, Arc<ProjectCatalog>) {
    let bytes = std::fs::read(path).unwrap();
    let name = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(path).display().to_string();
    let mut sources = SourceMap::new();
    let (text, mut diags) = komo::syntax::decode_source(komo::source::FileId(0), &bytes);
    sources.add(name, text);
    let catalog = catalog_of(path);
    diags.extend(komo::check_sources_in(&sources, &catalog).diagnostics);
    komo::diagnostics::sort_diagnostics(&mut diags);
    (sources, diags, catalog)
}

/// The line groups of an `// expect-…:` header, e.g. `7 8|9` → [[7], [8, 9]].
fn expected_lines(first_line: &str, key: &str) -> Option<Vec<Vec<usize>>> {
    let rest =
        first_line.trim().strip_prefix("//")?.trim().strip_prefix(key)?.trim_start().strip_prefix(':')?;
    let spec = rest.split(['—', '-']).next().unwrap_or("");
    Some(
        spec.split_whitespace()
            .map(|group| group.split('|').filter_map(|n| n.trim().parse().ok()).collect())
            .filter(|g: &Vec<usize>| !g.is_empty())
            .collect(),
    )
}

fn lines_with(sources: &SourceMap, diags: &[Diagnostic], severity: Severity) -> BTreeSet<usize> {
    diags
        .iter()
        .filter(|d| d.severity == severity)
        .filter_map(|d| sources.get(d.file()).map(|f| f.line_col(d.span().start as usize).line))
        .collect()
}

#[test]
fn examples() {
    insta::glob!("../examples", "**/*.komo", |path| {
        let (sources, diags, catalog) = check_file(path);
        let text = sources.get(komo::source::FileId(0)).map(|f| f.text.clone()).unwrap_or_default();
        let first = text.lines().next().unwrap_or("");
        let errors = lines_with(&sources, &diags, Severity::Error);
        let warnings = lines_with(&sources, &diags, Severity::Warning);
        let summary = || render::short(&sources, &diags);
        if let Some(groups) = expected_lines(first, "expect-errors") {
            assert!(!groups.is_empty(), "{}: empty expect-errors", path.display());
            for g in &groups {
                assert!(
                    g.iter().any(|l| errors.contains(l)),
                    "{}: no error on line(s) {g:?}\n{}",
                    path.display(),
                    summary()
                );
            }
        } else if let Some(groups) = expected_lines(first, "expect-warnings") {
            assert!(errors.is_empty(), "{}: expected only warnings\n{}", path.display(), summary());
            for g in &groups {
                assert!(
                    g.iter().any(|l| warnings.contains(l)),
                    "{}: no warning on line(s) {g:?}\n{}",
                    path.display(),
                    summary()
                );
            }
        } else {
            assert!(diags.is_empty(), "{}: a valid example must check clean\n{}", path.display(), summary());
        }
        let human = render::human(&sources, &diags, false);
        let json = render::json_string(&sources, &diags);
        let shown = String::from_utf8_lossy(text.as_bytes()).replace('\0', "\\0");
        let mut snapshot = format!(
            "=== SOURCE\n{shown}\n=== DIAGNOSTICS\n{}\n=== JSON\n{json}\n",
            if human.is_empty() { "(none)".to_string() } else { human }
        );
        if !diags.iter().any(Diagnostic::is_error) {
            let (ir, runs) = ir_and_runs(&sources, &catalog);
            snapshot.push_str(&format!("=== IR\n{ir}\n=== RUN\n{runs}"));
        }
        insta::with_settings!({ omit_expression => true }, {
            insta::assert_snapshot!(snapshot);
        });
    });
}

/// The IR as JSON (after checking that it round-trips) and each test's outcome.
fn ir_and_runs(sources: &SourceMap, catalog: &Arc<ProjectCatalog>) -> (String, String) {
    let checked = komo::check_sources_in(sources, catalog);
    let program = komo::ir::lower_program(&checked).unwrap();
    let json = serde_json::to_string_pretty(&program).unwrap();
    let back: komo::ir::Program = serde_json::from_str(&json).unwrap();
    assert_eq!(back, program, "IR → JSON → IR must be the identity");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut runs = String::new();
    for case in &program.tests {
        let outcome = runtime.block_on(komo::runtime::testing::run_test(&program, case));
        runs.push_str(&format!(
            "test \"{}\": {}\n",
            outcome.name,
            if outcome.passed() { "passed" } else { "FAILED" }
        ));
        for f in &outcome.failures {
            runs.push_str(&format!(
                "  failure: {} (expected {:?}, found {:?})\n",
                f.message, f.expected, f.actual
            ));
        }
        if let Some(reason) = &outcome.no_run {
            runs.push_str(&format!("  no run: {reason}\n"));
        }
        if let Some(record) = &outcome.record {
            runs.push_str(&format!(
                "  run {} {} → {}\n",
                record.status.as_str(),
                record.started_at,
                record.finished_at.as_deref().unwrap_or("-")
            ));
            for step in &record.steps {
                runs.push_str(&format!(
                    "  {:<9} {} ({}) attempts={} {}{}\n",
                    step.status.as_str(),
                    step.name,
                    step.action,
                    step.attempts,
                    step.started_at.as_deref().unwrap_or("-"),
                    step.route.as_deref().map(|r| format!(" → {r}")).unwrap_or_default(),
                ));
            }
            for event in &record.caused_events {
                runs.push_str(&format!("  caused    {}\n", event.summary()));
            }
            for wait in &record.waits {
                runs.push_str(&format!("  {} {} → {}\n", wait.kind, wait.started_at, wait.until));
            }
            if let Some(e) = &record.error {
                runs.push_str(&format!("  error: {}\n", e.message));
            }
        }
        assert!(outcome.passed(), "test \"{}\" failed: {:?}", outcome.name, outcome.failures);
    }
    (json, runs)
}

/// Every code (but the two that cannot be shown with a small file) has an example in
/// `examples/errors/` that produces it.
#[test]
fn every_code_has_an_example() {
    // examples/errors and its projects (examples/errors/catalog has a komo.toml).
    let mut dirs = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/errors")];
    let mut produced: BTreeSet<Code> = BTreeSet::new();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "komo") {
                produced.extend(check_file(&path).1.iter().map(|d| d.code));
            }
        }
    }
    let exempt = [Code::FileTooLarge, Code::Internal];
    let missing: Vec<&str> = Code::ALL
        .iter()
        .filter(|c| !exempt.contains(c) && !produced.contains(c))
        .map(|c| c.as_str())
        .collect();
    assert!(missing.is_empty(), "no example in examples/errors produces {missing:?}");
}

/// A generated file over 1 MiB is refused with K0006, without a crash.
#[test]
fn a_file_over_one_mebibyte_is_refused() {
    let mut sources = SourceMap::new();
    sources.add("big.komo", "// padding\n".repeat(100_000));
    let diags = komo::check_sources(&sources).diagnostics;
    assert_eq!(diags.iter().map(|d| d.code).collect::<Vec<_>>(), vec![Code::FileTooLarge]);
}

/// `docs/diagnostics.md` has one section per code, which `komo explain` prints.
#[test]
fn every_code_is_documented() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/diagnostics.md")).unwrap();
    for code in Code::ALL {
        let heading = format!("## {}: {}", code.as_str(), code.title());
        assert!(doc.lines().any(|l| l.trim() == heading), "docs/diagnostics.md lacks `{heading}`");
    }
}
