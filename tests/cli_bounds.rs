//! `komo check --bounds`, the bounds in `--format json`, and `[limits]` in `komo.toml`
//! turning a bound over a limit into K0702, end to end through the binary.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod common;

use common::{komo, stderr, stdout, write};

/// Two workflows: one bounded (a retried email, a wait, points), one that cannot be.
const REMINDERS: &str = r#"workflow reminders {
  scope workspace
  trigger Contact.Identified

  if contact.email != null {
    contact.send_email(template: "welcome") retry 2 backoff 1m
  }
  wait 3d
  loyalty.award_points(50)
}

workflow anniversary {
  scope workspace
  trigger Contact.Identified

  wait until event.occurred_at + 365d
}
"#;

#[test]
fn bounds_print_a_table_on_stdout_after_the_diagnostics() {
    let dir = common::scratch("cli_bounds", "table");
    write(&dir, "reminders.komo", REMINDERS);
    let output = komo(&dir, &["check", "--bounds"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stderr(&output), "checked 1 file: no problems\n");
    // 3d, delays of up to 1m6s and 2m12s, three attempts of up to 30s.
    assert_eq!(
        stdout(&output),
        "workflow     longest run  emails  SMS  external calls  points\n\
         reminders    3d4m48s      3       0    3               50\n\
         anniversary  unbounded    0       0    0               0\n"
    );
    let plain = komo(&dir, &["check"]);
    assert!(plain.stdout.is_empty(), "no table without --bounds");
}

#[test]
fn json_holds_the_bounds_and_says_why_one_is_unbounded() {
    let dir = common::scratch("cli_bounds", "json");
    write(&dir, "reminders.komo", REMINDERS);
    let output = komo(&dir, &["check", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(report["format_version"], 1);
    let bounds = report["bounds"].as_array().unwrap();
    assert_eq!(bounds.len(), 2);
    assert_eq!(
        bounds[0],
        serde_json::json!({
            "workflow": "reminders", "file": "reminders.komo", "line": 1, "column": 10,
            "duration_ms": 259_488_000u64, "emails": 3, "sms": 0, "external_calls": 3, "points": 50,
            "unbounded": []
        })
    );
    assert_eq!(bounds[1]["duration_ms"], serde_json::Value::Null);
    assert_eq!(
        bounds[1]["unbounded"],
        serde_json::json!([{ "measure": "duration_ms", "reason": "wait_until", "line": 16, "column": 3 }])
    );
}

#[test]
fn a_workflow_over_a_limit_is_an_error_whose_labels_walk_the_path() {
    let dir = common::scratch("cli_bounds", "limits");
    write(
        &dir,
        "komo.toml",
        "[limits]\nmax_run_duration = \"2d\"\nmax_emails_per_run = 2\nmax_points_per_run = 50\n",
    );
    write(&dir, "workflows/reminders.komo", REMINDERS);
    let output = komo(&dir, &["check", "--format", "short"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "workflows/reminders.komo:1:10: error[K0702]: a run of `reminders` may take up to 3d4m48s, over `max_run_duration = 2d`\n\
         workflows/reminders.komo:1:10: error[K0702]: a run of `reminders` may send up to 3 emails, over `max_emails_per_run = 2`\n\
         workflows/reminders.komo:12:10: error[K0702]: `anniversary` has no bound on its run time, and `max_run_duration` is 2d\n"
    );
    let human = komo(&dir, &["check"]);
    let text = stderr(&human);
    for label in [
        "3 attempts of up to 30s (the connectors' default timeout)",
        "retry 2 backoff 1m: up to 3m18s of delays",
        "waits 3d",
        "up to 3 emails (one per attempt)",
        "cannot be bounded: `wait until` a time the checker cannot place",
        "help: wait until a time the checker can place: `run.started_at + 7d` or `now() + 1d`",
    ] {
        assert!(text.contains(label), "no `{label}` in\n{text}");
    }
    write(&dir, "komo.toml", "[limits]\nmax_run_duration = \"seven days\"\n");
    let wrong = komo(&dir, &["check"]);
    assert_eq!(wrong.status.code(), Some(2), "{}", stderr(&wrong));
    assert!(stderr(&wrong).contains("max_run_duration"), "{}", stderr(&wrong));
}
