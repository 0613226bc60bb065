//! The VS Code extension's `$komo` problem matcher (editors/vscode/package.json) reads
//! `komo check --format short`. Its node test matches the pattern against a checked-in
//! sample, editors/vscode/tests/fixtures/check-short.txt; here the sample is held equal
//! to what the binary prints for the same files, so it cannot go stale, and every
//! diagnostic of every error example is held to the shape the pattern's groups assume.

mod common;

use std::fs;
use std::path::Path;

use common::{komo, stdout};

const SAMPLE: &str = "editors/vscode/tests/fixtures/check-short.txt";

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One short line as the problem matcher's groups read it.
#[derive(Debug)]
struct ShortLine<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    severity: &'a str,
    code: &'a str,
    message: &'a str,
}

/// `file:line:col: severity[CODE]: message`, as the pattern
/// `^(.+?):(\d+):(\d+): (error|warning)\[(K\d{4})\]: (.*)$` reads it: the file is
/// everything before the first `:<digits>:<digits>: `.
fn parse(text: &str) -> Option<ShortLine<'_>> {
    let mut search = 1;
    while let Some(offset) = text.get(search..)?.find(':') {
        let at = search + offset;
        let file = text.get(..at)?;
        let rest = text.get(at + 1..)?;
        if let Some((line, column, rest)) = numbers(rest) {
            let (severity, rest) = rest.split_once('[')?;
            let (code, message) = rest.split_once("]: ")?;
            let well_formed = matches!(severity, "error" | "warning")
                && code.len() == 5
                && code.starts_with('K')
                && code.chars().skip(1).all(|c| c.is_ascii_digit());
            return well_formed.then_some(ShortLine { file, line, column, severity, code, message });
        }
        search = at + 1;
    }
    None
}

/// `<digits>:<digits>: ` at the start of `text`, and what follows.
fn numbers(text: &str) -> Option<(usize, usize, &str)> {
    let (line, rest) = text.split_once(':')?;
    let (column, rest) = rest.split_once(": ")?;
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    (digits(line) && digits(column)).then(|| Some((line.parse().ok()?, column.parse().ok()?, rest)))?
}

#[test]
fn the_sample_is_what_komo_check_prints() {
    let sample = fs::read_to_string(repo().join(SAMPLE)).unwrap();
    let mut files: Vec<&str> = Vec::new();
    for text in sample.lines() {
        let parsed = parse(text).unwrap_or_else(|| panic!("not a short line: {text}"));
        if !files.contains(&parsed.file) {
            files.push(parsed.file);
        }
    }
    assert!(files.len() >= 2, "{files:?}");
    let mut args = vec!["check", "--format", "short"];
    args.extend(&files);
    let output = komo(repo(), &args);
    assert_eq!(output.status.code(), Some(1), "the sample has errors");
    assert_eq!(
        stdout(&output),
        sample,
        "{SAMPLE} is stale: regenerate it with `komo check --format short {}` at the repository root",
        files.join(" ")
    );
}

#[test]
fn every_error_example_reports_in_the_matcher_shape() {
    let output = komo(repo(), &["check", "--format", "short", "examples/errors"]);
    let text = stdout(&output);
    let mut codes = Vec::new();
    for line in text.lines() {
        let parsed = parse(line).unwrap_or_else(|| panic!("the matcher would miss: {line}"));
        // Lossy: one example is not UTF-8 on purpose (K0007).
        let source = String::from_utf8_lossy(&fs::read(repo().join(parsed.file)).unwrap()).into_owned();
        let source_line = source.lines().nth(parsed.line - 1).unwrap_or_else(|| panic!("{line}"));
        assert!(parsed.column >= 1 && parsed.column <= source_line.chars().count() + 1, "{line}");
        assert!(!parsed.message.is_empty() && !parsed.message.contains('\n'), "{line}");
        assert!(matches!(parsed.severity, "error" | "warning"), "{parsed:?}");
        codes.push(parsed.code);
    }
    assert!(codes.len() >= 60, "{text}");
    assert!(codes.contains(&"K0405") && codes.contains(&"K0001"), "{codes:?}");
}

#[test]
fn the_parse_reads_paths_with_colons_and_spaces() {
    let parsed =
        parse(r"C:\my flows\a.komo:12:3: error[K0105]: unknown name `x`: did you mean `y`?").unwrap();
    assert_eq!((parsed.file, parsed.line, parsed.column), (r"C:\my flows\a.komo", 12, 3));
    assert_eq!((parsed.severity, parsed.code), ("error", "K0105"));
    assert_eq!(parsed.message, "unknown name `x`: did you mean `y`?");
    assert!(parse("error[K0901]: internal error without a file").is_none());
    assert!(parse("a.komo:1:2: note[K0001]: x").is_none());
}

#[test]
fn the_manifest_registers_the_matcher_and_the_grammar() {
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(repo().join("editors/vscode/package.json")).unwrap())
            .unwrap();
    let matcher = &manifest["contributes"]["problemMatchers"][0];
    assert_eq!(matcher["name"], "komo");
    let pattern = &matcher["pattern"];
    let groups: Vec<u64> = ["file", "line", "column", "severity", "code", "message"]
        .iter()
        .map(|key| pattern[key].as_u64().unwrap())
        .collect();
    assert_eq!(groups, [1, 2, 3, 4, 5, 6]);
    let grammar_path = manifest["contributes"]["grammars"][0]["path"].as_str().unwrap();
    let grammar: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(repo().join("editors/vscode").join(grammar_path)).unwrap())
            .unwrap();
    assert_eq!(grammar["scopeName"], "source.komo");
}
