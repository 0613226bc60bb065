//! Every `.komo` file under `examples/` is a test case: adding a file adds a case.
//!
//! Each case is checked alone and snapshotted with its SOURCE, the human DIAGNOSTICS
//! (no colour) and the JSON report. On top of the snapshot, the expectations written in
//! the file are asserted: `// expect-errors: 7 8|9` (an error on line 7, and one on line
//! 8 or 9), `// expect-warnings: 4` (a warning on line 4 and no error); a file without
//! such a line must check clean.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::BTreeSet;
use std::path::Path;

use komo::diagnostics::{Code, Diagnostic, Severity, render};
use komo::source::SourceMap;

fn check_file(path: &Path) -> (SourceMap, Vec<Diagnostic>) {
    let bytes = std::fs::read(path).unwrap();
    let name = path.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap_or(path).display().to_string();
    let mut sources = SourceMap::new();
    let (text, mut diags) = komo::syntax::decode_source(komo::source::FileId(0), &bytes);
    sources.add(name, text);
    diags.extend(komo::check_sources(&sources).diagnostics);
    komo::diagnostics::sort_diagnostics(&mut diags);
    (sources, diags)
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
        let (sources, diags) = check_file(path);
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
        let snapshot = format!(
            "=== SOURCE\n{shown}\n=== DIAGNOSTICS\n{}\n=== JSON\n{json}\n",
            if human.is_empty() { "(none)".to_string() } else { human }
        );
        insta::with_settings!({ omit_expression => true }, {
            insta::assert_snapshot!(snapshot);
        });
    });
}

/// Every code (but the two that cannot be shown with a small file) has an example in
/// `examples/errors/` that produces it.
#[test]
fn every_code_has_an_example() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/errors");
    let mut produced: BTreeSet<Code> = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "komo") {
            produced.extend(check_file(&path).1.iter().map(|d| d.code));
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
