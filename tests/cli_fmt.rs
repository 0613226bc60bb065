//! `komo fmt` through the real binary: in-place formatting of files and directories,
//! `--check`, `--stdin`, and files with syntax errors left untouched.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use std::fs;
use std::io::Write;
use std::process::Stdio;

use common::{komo, komo_command, scratch, stderr, stdout, write};

const MESSY: &str = "workflow w{scope workspace trigger Contact.Identified // start\nlet a=1\ncontact.add_to_list( \"L\" )}\n";
const TIDY: &str = "workflow w {\n  scope workspace\n  trigger Contact.Identified // start\n\n  let a = 1\n  contact.add_to_list(\"L\")\n}\n";
const BROKEN: &str = "workflow bad {\n  let = 1\n}\n";

#[test]
fn check_lists_unformatted_files_and_writes_nothing() {
    let dir = scratch("cli_fmt", "check");
    write(&dir, "a_messy.komo", MESSY);
    write(&dir, "b_tidy.komo", TIDY);
    write(&dir, "sub/c_messy.komo", MESSY);
    let out = komo(&dir, &["fmt", "--check"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(stdout(&out), "a_messy.komo\nsub/c_messy.komo\n");
    assert!(stderr(&out).contains("2 files of 3 not formatted"), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(dir.join("a_messy.komo")).unwrap(), MESSY);
    assert_eq!(fs::read_to_string(dir.join("sub/c_messy.komo")).unwrap(), MESSY);

    let clean = komo(&dir, &["fmt", "--check", "b_tidy.komo"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
    assert_eq!(stdout(&clean), "");
}

#[test]
fn formats_files_and_directories_in_place() {
    let dir = scratch("cli_fmt", "in_place");
    write(&dir, "flows/a.komo", MESSY);
    write(&dir, "flows/deep/b.komo", MESSY);
    write(&dir, "flows/notes.txt", MESSY);
    write(&dir, "tidy.komo", TIDY);
    let tidy_before = fs::metadata(dir.join("tidy.komo")).unwrap().modified().unwrap();
    let out = komo(&dir, &["fmt", "flows", "tidy.komo"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "");
    assert!(stderr(&out).contains("formatted 3 files (2 changed)"), "{}", stderr(&out));
    assert_eq!(fs::read_to_string(dir.join("flows/a.komo")).unwrap(), TIDY);
    assert_eq!(fs::read_to_string(dir.join("flows/deep/b.komo")).unwrap(), TIDY);
    assert_eq!(fs::read_to_string(dir.join("flows/notes.txt")).unwrap(), MESSY, "only .komo files");
    let tidy_after = fs::metadata(dir.join("tidy.komo")).unwrap().modified().unwrap();
    assert_eq!(tidy_before, tidy_after, "a formatted file is not rewritten");
    let names: Vec<String> = fs::read_dir(dir.join("flows"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains(".tmp")), "no temporary left: {names:?}");

    let again = komo(&dir, &["fmt", "--check"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
}

#[test]
fn files_with_syntax_errors_are_reported_and_left_untouched() {
    let dir = scratch("cli_fmt", "syntax_error");
    write(&dir, "bad.komo", BROKEN);
    write(&dir, "good.komo", MESSY);
    let out = komo(&dir, &["fmt"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("K0001"), "{err}");
    assert!(err.contains("bad.komo:2:7"), "the error is shown like `komo check` shows it: {err}");
    assert!(err.contains("1 file left as is: syntax errors"), "{err}");
    assert_eq!(fs::read_to_string(dir.join("bad.komo")).unwrap(), BROKEN);
    assert_eq!(fs::read_to_string(dir.join("good.komo")).unwrap(), TIDY, "the other files are formatted");

    let check = komo(&dir, &["check", "bad.komo"]);
    assert!(stderr(&check).contains("bad.komo:2:7"), "same position as `komo check`");
}

fn with_stdin(args: &[&str], input: &str) -> std::process::Output {
    let dir = scratch("cli_fmt", "stdin");
    let mut child = komo_command(&dir, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn stdin_is_formatted_to_stdout() {
    let out = with_stdin(&["fmt", "--stdin"], MESSY);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), TIDY);

    let check = with_stdin(&["fmt", "--stdin", "--check"], MESSY);
    assert_eq!(check.status.code(), Some(1));
    assert_eq!(stdout(&check), "<stdin>\n");
    let clean = with_stdin(&["fmt", "--stdin", "--check"], TIDY);
    assert_eq!(clean.status.code(), Some(0));

    let broken = with_stdin(&["fmt", "--stdin"], BROKEN);
    assert_eq!(broken.status.code(), Some(1));
    assert_eq!(stdout(&broken), "", "nothing half-formatted on stdout");
    assert!(stderr(&broken).contains("K0001"), "{}", stderr(&broken));
}

#[test]
fn missing_paths_are_usage_errors() {
    let dir = scratch("cli_fmt", "missing");
    let out = komo(&dir, &["fmt", "nowhere.komo"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read `nowhere.komo`"), "{}", stderr(&out));
}
