//! The `komo` binary end to end: exit codes, where output goes, and bad input.
//!
//! Each test works in its own directory under Cargo's temporary directory for
//! integration tests and runs the built binary there.

// Test helpers may fail loudly: a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::{komo, stderr, stdout, write};

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// A fresh, empty directory for one test.
fn scratch(test: &str) -> PathBuf {
    common::scratch("cli", test)
}

/// A valid workflow (the crate's doc example with its typo fixed).
const WELCOME: &str = r#"workflow welcome {
  scope workspace
  trigger Contact.Identified
  contact.add_to_list("New Users")
}
"#;

/// The JSON report of `komo check --format json`, checked to be one document.
fn json_report(output: &Output) -> serde_json::Value {
    let text = stdout(output);
    let mut documents = serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>();
    let report = documents.next().expect("a JSON document").expect("valid JSON");
    assert!(documents.next().is_none(), "more than one document: {text}");
    report
}

#[test]
fn an_empty_directory_is_fine() {
    let dir = scratch("empty");
    let output = komo(&dir, &["check"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    assert_eq!(stderr(&output), "no .komo files to check\n");
}

#[test]
fn a_clean_project_passes_and_only_source_files_count() {
    let dir = scratch("clean");
    write(&dir, "workflows/welcome.komo", WELCOME);
    write(&dir, "notes.md", "not komo");
    write(&dir, "target/debug/generated.komo", "this is { not valid");
    write(&dir, ".git/stale.komo", "this is { not valid");
    write(&dir, "node_modules/x/y.komo", "this is { not valid");
    for args in [&["check"][..], &["check", "."], &["check", "--deny", "warnings"]] {
        let output = komo(&dir, args);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {}", stderr(&output));
        assert_eq!(stderr(&output), "checked 1 file: no problems\n");
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn a_missing_path_is_an_io_error() {
    let dir = scratch("missing");
    write(&dir, "ok.komo", WELCOME);
    for format in ["human", "short", "json"] {
        let output = komo(&dir, &["check", "ok.komo", "nowhere.komo", "--format", format]);
        assert_eq!(output.status.code(), Some(2));
        assert!(output.stdout.is_empty(), "nothing on stdout when nothing was checked");
        let err = stderr(&output);
        assert!(err.contains("cannot read `nowhere.komo`"), "{err}");
        assert!(!err.contains("internal error"), "{err}");
    }
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let dir = scratch("usage");
    let bad_format = komo(&dir, &["check", "--format", "xml"]);
    assert_eq!(bad_format.status.code(), Some(2));
    assert!(stderr(&bad_format).contains("xml"));
    assert_eq!(komo(&dir, &["frobnicate"]).status.code(), Some(2));
    assert_eq!(komo(&dir, &["check", "--deny", "errors"]).status.code(), Some(2));

    let help = komo(&dir, &["--help"]);
    assert_eq!(help.status.code(), Some(0));
    let text = stdout(&help);
    for expected in ["check", "explain", "Examples:", "Exit status"] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    let check_help = komo(&dir, &["check", "--help"]);
    assert_eq!(check_help.status.code(), Some(0));
    assert!(stdout(&check_help).contains("--deny"));
}

#[test]
fn json_is_one_versioned_document_on_stdout() {
    let dir = scratch("json");
    write(&dir, "a.komo", WELCOME);
    write(&dir, "b/c.komo", WELCOME.replace("welcome", "second"));
    let output = komo(&dir, &["check", "--format", "json"]);
    assert!(matches!(output.status.code(), Some(0 | 1)), "{}", stderr(&output));
    assert!(output.stderr.is_empty(), "{}", stderr(&output));
    let report = json_report(&output);
    assert_eq!(report["format_version"], 1);
    assert!(report["diagnostics"].is_array());
    let errors = report["errors"].as_u64().unwrap();
    assert_eq!(output.status.code(), Some(i32::from(errors > 0)));
}

#[test]
fn short_output_goes_to_stdout() {
    let dir = scratch("short");
    write(&dir, "a.komo", WELCOME);
    let output = komo(&dir, &["check", "--format", "short"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(output.stderr.is_empty());
    assert!(output.stdout.is_empty(), "a clean file has no lines: {}", stdout(&output));
}

#[test]
fn a_file_over_the_size_limit_does_not_crash() {
    let dir = scratch("large");
    let mut big = String::from("workflow big {\n  scope workspace\n  trigger Contact.Identified\n");
    while big.len() < 1_500_000 {
        big.push_str("  // 😀 a comment that fills the file up to more than the one mebibyte limit\n");
    }
    big.push_str("}\n");
    write(&dir, "big.komo", &big);
    let output = komo(&dir, &["check", "--format", "json"]);
    assert!(matches!(output.status.code(), Some(0 | 1)), "{}", stderr(&output));
    let report = json_report(&output);
    assert_eq!(report["format_version"], 1);
    let human = komo(&dir, &["check", "big.komo"]);
    assert!(matches!(human.status.code(), Some(0 | 1)), "{}", stderr(&human));
    assert!(!stderr(&human).contains("internal error"));
}

#[test]
fn bad_bytes_do_not_crash() {
    let dir = scratch("bytes");
    write(&dir, "bom.komo", [b"\xEF\xBB\xBF".as_slice(), WELCOME.as_bytes()].concat());
    write(&dir, "latin1.komo", b"workflow caf\xE9 {\n}\n");
    write(&dir, "nul.komo", b"\0\0\0");
    write(&dir, "empty.komo", b"");
    for format in ["human", "short", "json"] {
        let output = komo(&dir, &["check", "--format", format]);
        assert!(matches!(output.status.code(), Some(0 | 1)), "{format}: {}", stderr(&output));
    }
}

#[test]
fn explain_prints_the_section_of_a_code() {
    let dir = scratch("explain");
    for code in ["K0301", "k301"] {
        let output = komo(&dir, &["explain", code]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        assert!(stdout(&output).starts_with("## K0301"), "{}", stdout(&output));
        assert!(!stdout(&output).contains("## K0302"), "one section only");
    }
}

#[test]
fn explain_refuses_an_unknown_code_with_a_suggestion() {
    let dir = scratch("explain-unknown");
    let output = komo(&dir, &["explain", "K9999"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert!(stderr(&output).contains("unknown diagnostic code `K9999`"));

    let typo = komo(&dir, &["explain", "E0301"]);
    assert_eq!(typo.status.code(), Some(2));
    assert!(stderr(&typo).contains("did you mean `K0301`?"), "{}", stderr(&typo));
}

#[test]
fn a_closed_stdout_is_not_a_crash() {
    let dir = scratch("pipe");
    write(&dir, "a.komo", WELCOME);
    for args in [&["explain", "K0301"][..], &["check", "--format", "json"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_komo"))
            .args(args)
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The reader goes away before (or while) the command writes.
        drop(child.stdout.take());
        let mut err = String::new();
        child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
        let status = child.wait().unwrap();
        assert!(matches!(status.code(), Some(0 | 1)), "{args:?}: {err}");
        assert!(!err.contains("internal error"), "{err}");
    }
}

#[test]
fn check_finds_the_catalog_of_the_project_above_the_files() {
    let dir = scratch("catalog");
    write(&dir, "komo.toml", "[workspace]\nid = \"acme\"\n\n[catalog]\nlists = [\"New Users\"]\n");
    write(&dir, "workflows/welcome.komo", WELCOME.replace("New Users", "New Usrs"));
    // From the project root, from inside workflows/, and from elsewhere naming the file.
    for (cwd, path) in [
        (dir.clone(), "workflows"),
        (dir.join("workflows"), "."),
        (dir.parent().unwrap().to_path_buf(), "catalog/workflows/welcome.komo"),
    ] {
        let output = komo(&cwd, &["check", "--format", "short", path]);
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        let lines = stdout(&output);
        assert!(lines.contains("error[K0601]: list `New Usrs` does not exist"), "{lines}");
    }
    // Without the catalog the same file is clean.
    write(&dir, "komo.toml", "[workspace]\nid = \"acme\"\n");
    let output = komo(&dir, &["check", "workflows"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // A catalog that is wrong is a usage error naming the file and the key.
    write(&dir, "komo.toml", "[workspace]\nid = \"acme\"\n\n[catalog]\nlist = [\"typo\"]\n");
    let output = komo(&dir, &["check", "workflows"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(message.contains("komo.toml") && message.contains("unknown field `list`"), "{message}");
}
