//! `komo test`, `komo run` and `komo compile` end to end: the built binary on files in
//! a scratch directory, its exit codes, and what goes to stdout and stderr.

// Test helpers may fail loudly: a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::{komo, stderr, stdout, write};

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

/// A fresh, empty directory for one test.
fn scratch(test: &str) -> PathBuf {
    common::scratch("cli_run", test)
}

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");

fn example(name: &str) -> String {
    fs::read_to_string(Path::new(EXAMPLES).join(name)).unwrap()
}

/// stdout as one JSON document.
fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).map_err(|e| format!("{e}: {}", stdout(output))).unwrap()
}

/// `N passed, M failed` from the last line of stdout.
fn summary(output: &Output) -> (usize, usize) {
    let text = stdout(output);
    let last = text.lines().last().unwrap_or_default();
    let numbers: Vec<usize> =
        last.split(|c: char| !c.is_ascii_digit()).filter_map(|n| n.parse().ok()).collect();
    assert_eq!(last, format!("{} passed, {} failed", numbers[0], numbers[1]), "{text}");
    (numbers[0], numbers[1])
}

const WELCOME_EVENT: &str = r#"{
  "id": "evt_01", "type": "Contact.Identified", "occurred_at": "2026-01-01T09:00:00Z",
  "contact": { "email": "ana@example.com", "first_name": "Ana" },
  "data": { "source": "signup-form" }
}"#;

#[test]
fn every_example_test_passes() {
    // The valid examples, without examples/errors/ (programs that must be rejected).
    let dir = scratch("examples");
    let mut files = 0;
    for entry in fs::read_dir(EXAMPLES).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "komo") {
            fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
            files += 1;
        }
    }
    assert!(files > 0);
    let output = komo(&dir, &["test"]);
    assert_eq!(output.status.code(), Some(0), "{}{}", stdout(&output), stderr(&output));
    let (passed, failed) = summary(&output);
    assert!(passed >= 20, "{passed} tests");
    assert_eq!(failed, 0);
    assert_eq!(stdout(&output), format!("{passed} passed, 0 failed\n"));
    let progress = stderr(&output);
    assert_eq!(progress.lines().filter(|l| l.ends_with(" ... ok")).count(), passed, "{progress}");
    assert!(
        progress.contains(
            r#"test "a reachable contact is welcomed and rewarded" (welcome_new_contacts.komo) ... ok"#
        ),
        "{progress}"
    );
}

const FAILING: &str = r#"workflow welcome {
  scope workspace
  trigger Contact.Identified
  step hello = contact.send_email(template: "welcome", to: "ana@example.com")
    retry 1 backoff 10s
  loyalty.award_points(50, reason: "Welcome bonus")
}

test "the points are right" {
  expect contact.points == 50
}

test "the points are wrong" {
  mock contact.send_email -> fail "mailbox unavailable"
  expect run succeeded
  expect contact.points == 60
}
"#;

#[test]
fn a_failing_expectation_is_explained_and_fails_the_command() {
    let dir = scratch("failing");
    write(&dir, "welcome.komo", FAILING);
    let output = komo(&dir, &["test", "welcome.komo"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(summary(&output), (1, 1));
    let progress = stderr(&output);
    assert!(progress.contains(r#"test "the points are right" (welcome.komo) ... ok"#), "{progress}");
    assert!(progress.contains(r#"test "the points are wrong" (welcome.komo) ... FAILED"#), "{progress}");
    let report = stdout(&output);
    for expected in [
        r#"--- test "the points are wrong" (welcome.komo:13:6) FAILED"#,
        "welcome.komo:15:3: the run ended otherwise",
        "expected: succeeded",
        "found:    failed (step `hello` failed: mailbox unavailable)",
        "welcome.komo:16:3: the expectation is false",
        "expected: right side: 60",
        "found:    left side: 0",
        // The run's timeline: the failed step, its retry, the skipped step, the error.
        "✗ hello  contact.send_email  10s",
        ", 2 attempts",
        "⏸ retry in 10s",
        "– award_points_1  loyalty.award_points",
        "error: step `hello` failed: mailbox unavailable (at welcome.komo:4:3)",
    ] {
        assert!(report.contains(expected), "no `{expected}` in:\n{report}");
    }
    assert!(!report.contains("the points are right"), "{report}");
}

#[test]
fn no_tests_is_a_pass() {
    let dir = scratch("no_tests");
    write(
        &dir,
        "w.komo",
        "workflow w {\n  scope workspace\n  trigger Contact.Identified\n  contact.add_to_list(\"A\")\n}\n",
    );
    let output = komo(&dir, &["test"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "0 passed, 0 failed\n");
}

#[test]
fn a_program_with_errors_runs_no_test() {
    let dir = scratch("test_errors");
    write(&dir, "w.komo", "workflow w {\n  scope workspace\n  trigger Contact.Identifed\n}\n");
    let output = komo(&dir, &["test"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "{}", stdout(&output));
    assert!(stderr(&output).contains("K0301"), "{}", stderr(&output));
    assert!(stderr(&output).contains("no test was run"), "{}", stderr(&output));
}

#[test]
fn a_run_prints_the_run_record() {
    let dir = scratch("run_json");
    write(&dir, "welcome.komo", example("welcome_new_contacts.komo"));
    write(&dir, "event.json", WELCOME_EVENT);
    let output = komo(&dir, &["run", "welcome.komo", "--event", "event.json", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let record = json(&output);
    let keys: Vec<&str> = record.as_object().unwrap().keys().map(String::as_str).collect();
    for key in [
        "id",
        "workflow",
        "version",
        "status",
        "trigger",
        "event",
        "started_at",
        "finished_at",
        "steps",
        "contact",
    ] {
        assert!(keys.contains(&key), "no `{key}` in {keys:?}");
    }
    assert_eq!(record["id"], "run_evt_01");
    assert_eq!(record["workflow"], "welcome_new_contacts");
    assert_eq!(record["version"], 1);
    assert_eq!(record["status"], "succeeded");
    assert_eq!(record["trigger"], "Contact.Identified");
    assert_eq!(record["event"]["id"], "evt_01");
    assert_eq!(record["event"]["source"], "signup-form");
    assert_eq!(record["started_at"], "2026-01-01T09:00:00.000Z");
    assert_eq!(record["finished_at"], "2026-01-01T09:00:00.000Z");

    let steps = record["steps"].as_array().unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["welcome", "add_to_list_1", "add_to_list_2", "award_points_1"]);
    for step in steps {
        let keys: Vec<&str> = step.as_object().unwrap().keys().map(String::as_str).collect();
        for key in [
            "name",
            "action",
            "status",
            "attempts",
            "started_at",
            "finished_at",
            "input",
            "output",
            "error",
            "route",
        ] {
            assert!(keys.contains(&key), "no `{key}` in {keys:?}");
        }
    }
    let welcome = &steps[0];
    assert_eq!(welcome["action"], "contact.send_email");
    assert_eq!(welcome["status"], "succeeded");
    assert_eq!(welcome["attempts"], 1);
    assert_eq!(welcome["input"]["to"], "ana@example.com");
    assert_eq!(welcome["input"]["subject"], "Welcome, Ana!");
    assert!(welcome["output"]["message_id"].is_string());
    assert!(welcome["error"].is_null() && welcome["route"].is_null());
    assert_eq!(steps[2]["status"], "skipped");
    assert!(steps[2]["input"].is_null());
    assert_eq!(record["contact"]["email"], "ana@example.com");
    assert_eq!(record["contact"]["points"], 50);
    assert_eq!(record["contact"]["lists"], serde_json::json!(["New Users"]));
    // What the steps changed, as the platform's own events.
    let caused: Vec<(&str, &str, &serde_json::Value)> = record["caused_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["type"].as_str().unwrap(), e["step"].as_str().unwrap(), &e["data"]))
        .collect();
    assert_eq!(
        caused,
        [
            ("Contact.ListAdded", "add_to_list_1", &serde_json::json!({ "list": "New Users" })),
            (
                "Contact.PropertyUpdated",
                "award_points_1",
                &serde_json::json!({ "changed": ["points"], "old": { "points": 0 }, "new": { "points": 50 } })
            ),
        ]
    );
}

#[test]
fn a_run_shows_a_timeline_by_default() {
    let dir = scratch("run_human");
    write(&dir, "welcome.komo", example("welcome_new_contacts.komo"));
    write(&dir, "event.json", WELCOME_EVENT);
    write(&dir, "contact.json", r#"{ "phone": "+61400000000" }"#);
    let output = komo(&dir, &["run", "welcome.komo", "--event", "event.json", "--contact", "contact.json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("workflow  welcome_new_contacts (version 1)\nrun       run_evt_01\n"), "{text}");
    assert!(text.contains("status    succeeded"), "{text}");
    // The contact file replaces the envelope's contact: no email, so no welcome.
    assert!(text.contains("2026-01-01 09:00:00.000  ✓ add_to_list_2"), "{text}");
    assert!(text.contains(r#"input:  {"list":"Incomplete Data"}"#), "{text}");
    assert!(text.contains("skipped\n  – welcome "), "{text}");
    // The events the steps caused, after the steps.
    assert!(
        text.contains(
            "\ncaused\n  Contact.ListAdded        {\"list\":\"Incomplete Data\"}  (step add_to_list_2)\n"
        ),
        "{text}"
    );
}

#[test]
fn a_long_run_shows_its_waits_on_the_virtual_clock() {
    let dir = scratch("run_waits");
    write(&dir, "newsletter.komo", example("newsletter_onboarding.komo"));
    let event = r#"{ "id": "evt_n", "type": "Contact.ListAdded", "occurred_at": "2026-03-02T09:00:00Z",
      "contact": { "email": "noor@example.com", "lists": ["Newsletter"] }, "data": { "list": "Newsletter" } }"#;
    write(&dir, "event.json", event);
    let output = komo(&dir, &["run", "newsletter.komo", "--event", "event.json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("took      1w3d (virtual time)"), "{text}");
    assert!(text.contains("09:00:00.000  ⏸ wait 3d (until 2026-03-05T09:00:00.000Z)"), "{text}");
    assert!(text.contains("2026-03-12 09:00:00.000  ✓ tag_subscriber_2"), "{text}");
}

#[test]
fn an_event_the_filter_refuses_starts_no_run() {
    let dir = scratch("run_no_run");
    write(&dir, "newsletter.komo", example("newsletter_onboarding.komo"));
    let event = r#"{ "id": "evt_o", "type": "Contact.ListAdded", "occurred_at": "2026-03-02T09:00:00Z",
      "data": { "list": "Other" } }"#;
    write(&dir, "event.json", event);
    let output = komo(&dir, &["run", "newsletter.komo", "--event", "event.json", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(json(&output), serde_json::json!({ "no_run": "the trigger's `where` filter is false" }));
    assert_eq!(stderr(&output), "no run: the trigger's `where` filter is false\n");
}

#[test]
fn a_failed_run_exits_1() {
    let dir = scratch("run_failed");
    write(&dir, "newsletter.komo", example("newsletter_onboarding.komo"));
    let event = r#"{ "id": "evt_f", "type": "Contact.ListAdded", "occurred_at": "2026-03-02T09:00:00Z",
      "data": { "list": "Newsletter" } }"#;
    write(&dir, "event.json", event);
    let output = komo(&dir, &["run", "newsletter.komo", "--event", "event.json", "--format", "json"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let record = json(&output);
    assert_eq!(record["status"], "failed");
    assert_eq!(record["error"]["message"], "joined the newsletter without an email address");
}

#[test]
fn an_envelope_that_does_not_fit_names_the_field() {
    let dir = scratch("run_bad_event");
    write(&dir, "welcome.komo", example("welcome_new_contacts.komo"));
    let event = r#"{ "id": "evt_01", "type": "Contact.Identified", "occurred_at": "2026-01-01T09:00:00Z",
      "data": { "source": 42 } }"#;
    write(&dir, "wrong_type.json", event);
    write(&dir, "broken.json", r#"{ "id": "evt_01", "type": "#);
    write(&dir, "event.json", WELCOME_EVENT);
    write(&dir, "contact.json", r#"{ "email": "not an email" }"#);
    let cases: [(&[&str], &str); 3] = [
        (
            &["--event", "wrong_type.json"],
            "error: `wrong_type.json` is not a valid event: field `data.source`: ",
        ),
        (&["--event", "broken.json"], "error: `broken.json` is not valid JSON: "),
        (
            &["--event", "event.json", "--contact", "contact.json"],
            "error: `contact.json` is not a valid contact: field `email`: ",
        ),
    ];
    for (args, message) in cases {
        let mut full = vec!["run", "welcome.komo", "--format", "json"];
        full.extend_from_slice(args);
        let output = komo(&dir, &full);
        assert_eq!(output.status.code(), Some(1), "{args:?}: {}", stderr(&output));
        assert!(output.stdout.is_empty(), "{args:?}: {}", stdout(&output));
        assert!(stderr(&output).starts_with(message), "{args:?}: {}", stderr(&output));
    }
}

#[test]
fn the_workflow_to_run_must_be_clear() {
    let dir = scratch("run_choose");
    let two = "\
workflow a {\n  scope workspace\n  trigger Contact.Identified\n  contact.add_to_list(\"A\")\n}\n
workflow b {\n  scope workspace\n  trigger Contact.Identified\n  contact.add_to_list(\"B\")\n}\n";
    write(&dir, "two.komo", two);
    write(&dir, "event.json", WELCOME_EVENT);
    let output = komo(&dir, &["run", "two.komo", "--event", "event.json"]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("several workflows listen to `Contact.Identified`: `a`"), "{message}");
    assert!(message.contains("--workflow"), "{message}");

    let output =
        komo(&dir, &["run", "two.komo", "--event", "event.json", "--workflow", "b", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(json(&output)["workflow"], "b");

    write(
        &dir,
        "other.json",
        r#"{ "id": "e", "type": "Contact.ListAdded", "occurred_at": "2026-01-01T00:00:00Z", "data": { "list": "x" } }"#,
    );
    let output = komo(&dir, &["run", "two.komo", "--event", "other.json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no workflow listens to `Contact.ListAdded`"), "{}", stderr(&output));
}

#[test]
fn compile_prints_the_ir() {
    let dir = scratch("compile");
    write(&dir, "welcome.komo", example("welcome_new_contacts.komo"));
    let output = komo(&dir, &["compile", "welcome.komo"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let ir = json(&output);
    assert_eq!(ir["ir_version"], 1);
    assert_eq!(ir["workflows"][0]["name"], "welcome_new_contacts");
    assert_eq!(ir["tests"].as_array().unwrap().len(), 3);
    assert!(stdout(&output).contains("\n  \"ir_version\": 1,"), "pretty JSON");
}

#[test]
fn compile_writes_the_ir_to_a_file() {
    let dir = scratch("compile_out");
    write(&dir, "welcome.komo", example("welcome_new_contacts.komo"));
    let output = komo(&dir, &["compile", "welcome.komo", "-o", "welcome.ir.json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(output.stdout.is_empty());
    let written: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("welcome.ir.json")).unwrap()).unwrap();
    assert_eq!(written["ir_version"], 1);
    let piped = komo(&dir, &["compile", "welcome.komo"]);
    assert_eq!(json(&piped), written);
    let mut names: Vec<String> =
        fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names, ["welcome.ir.json", "welcome.komo"], "no temporary file is left");
}

#[test]
fn a_broken_program_compiles_to_nothing() {
    let dir = scratch("compile_broken");
    write(&dir, "broken.komo", "workflow broken {\n  scope workspace\n  trigger Contact.Identified\n");
    write(&dir, "old.json", "old");
    for args in [
        &["compile", "broken.komo"][..],
        &["compile", "broken.komo", "-o", "out.json"],
        &["compile", "broken.komo", "-o", "old.json"],
    ] {
        let output = komo(&dir, args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(output.stdout.is_empty(), "{args:?}");
        assert!(stderr(&output).contains("nothing was written"), "{}", stderr(&output));
    }
    assert!(!dir.join("out.json").exists());
    assert_eq!(fs::read_to_string(dir.join("old.json")).unwrap(), "old");
}
