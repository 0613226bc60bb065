//! The interpreter's semantics and its limits, run in the sandbox.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use komo::ir::{Program, RunStatus};
use komo::runtime::event::from_test_record;
use komo::runtime::host::Host;
use komo::runtime::interp::{Progress, RunStart, RunState, resume, start};
use komo::runtime::record::RunRecord;
use komo::runtime::sandbox::SandboxHost;
use komo::runtime::value::Value;
use komo::source::SourceMap;

fn compile(src: &str) -> Program {
    let mut sources = SourceMap::new();
    sources.add("t.komo", src);
    let checked = komo::check_sources(&sources);
    let errors: Vec<String> =
        checked.diagnostics.iter().filter(|d| d.is_error()).map(|d| d.message.clone()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    komo::ir::lower_program(&checked).unwrap()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

fn host_for(program: &Program) -> (SandboxHost, komo::runtime::event::TriggerEvent) {
    let wf = &program.workflows[0];
    let event = from_test_record(wf.trigger.spec(), &Value::Record(Default::default())).unwrap();
    let mut host = SandboxHost::new(event.occurred_at, "run_1", 7);
    host.set_contact(&Value::record([("email".to_string(), Value::str("ana@example.com"))]));
    (host, event)
}

/// Runs the first workflow to the end, advancing the virtual clock at each park.
fn run(src: &str) -> RunRecord {
    let program = compile(src);
    let wf = &program.workflows[0];
    let (mut host, event) = host_for(&program);
    block_on(async {
        let mut state =
            start(wf, RunStart { id: "run_1".into(), version: 1, started_at: host.now() }, &event);
        loop {
            match resume(wf, &mut state, &mut host).await {
                Progress::Finished => break,
                Progress::Waiting(t) => host.advance_to(t),
                Progress::Interrupted(e) => panic!("{e:?}"),
            }
        }
        let contact = host.contact().await.unwrap();
        state.record(wf, &contact)
    })
}

fn workflow(body: &str) -> String {
    format!("workflow w {{\n  scope workspace\n  trigger Contact.Identified\n{body}\n}}\n")
}

/// The source text an error's span covers.
fn covered<'a>(src: &'a str, record: &RunRecord) -> &'a str {
    let error = record.error.as_ref().expect("the run failed with an error");
    &src[error.span.start as usize..error.span.end as usize]
}

#[test]
fn a_run_over_the_step_budget_fails_where_it_went_over() {
    let body: String = (0..1001).map(|i| format!("  contact.add_to_list(\"l{i}\")\n")).collect();
    let src = workflow(&body);
    let record = run(&src);
    assert_eq!(record.status, RunStatus::Failed);
    assert!(record.error.as_ref().unwrap().message.contains("budget of 1000 steps"));
    assert_eq!(covered(&src, &record), "contact.add_to_list(\"l1000\")");
    assert_eq!(record.steps.iter().filter(|s| s.status == komo::ir::StepStatus::Succeeded).count(), 1000);
}

#[test]
fn a_failing_conversion_fails_the_run_at_the_conversion() {
    let src = workflow("  let e = \"not an email\" as Email\n  contact.add_to_list(\"never\")");
    let record = run(&src);
    assert_eq!(record.status, RunStatus::Failed);
    assert_eq!(covered(&src, &record), "\"not an email\" as Email");
    assert!(record.error.as_ref().unwrap().message.contains("Email"), "{:?}", record.error);
    assert_eq!(record.steps[0].status, komo::ir::StepStatus::Skipped);
}

#[test]
fn a_division_by_zero_fails_the_run_at_the_division() {
    let src = workflow("  let x = 10 / contact.points");
    let record = run(&src);
    assert_eq!(record.status, RunStatus::Failed);
    assert_eq!(covered(&src, &record), "10 / contact.points");
    assert_eq!(record.error.as_ref().unwrap().message, "division by zero");
}

#[test]
fn a_conversion_failing_in_an_argument_fails_the_step_which_on_failure_handles() {
    let src = workflow(
        "  step s = contact.send_email(template: \"t\", to: \"nope\" as Email) on failure continue\n  loyalty.award_points(1)",
    );
    let record = run(&src);
    assert_eq!(record.status, RunStatus::Succeeded);
    let step = &record.steps[0];
    assert_eq!(step.status, komo::ir::StepStatus::Failed);
    assert_eq!(step.error.as_ref().unwrap().kind, komo::catalog::FailureKind::InvalidValue);
}

#[test]
fn zero_and_past_waits_continue_at_once() {
    let src =
        workflow("  wait 0s\n  wait until \"2020-01-01T00:00:00Z\"\n  wait -1d\n  loyalty.award_points(1)");
    let program = compile(&src);
    let wf = &program.workflows[0];
    let (mut host, event) = host_for(&program);
    let (progress, state) = block_on(async {
        let mut state =
            start(wf, RunStart { id: "run_1".into(), version: 1, started_at: host.now() }, &event);
        let progress = resume(wf, &mut state, &mut host).await;
        (progress, state)
    });
    assert_eq!(progress, Progress::Finished, "no park for a due wait");
    assert!(state.waits.is_empty());
    assert_eq!(state.status, RunStatus::Succeeded);
}

#[test]
fn a_parked_run_is_plain_data_and_resumes_the_same() {
    let src = workflow(
        "  loyalty.award_points(5)\n  let before = contact.points\n  wait 2d\n  contact.update(add_tags: [\"after-${before}\"])",
    );
    let straight = run(&src);

    let program = compile(&src);
    let wf = &program.workflows[0];
    let (mut host, event) = host_for(&program);
    let resumed = block_on(async {
        let mut state =
            start(wf, RunStart { id: "run_1".into(), version: 1, started_at: host.now() }, &event);
        let Progress::Waiting(until) = resume(wf, &mut state, &mut host).await else {
            panic!("expected a park")
        };
        // The parked state goes to JSON and back, as the engine stores it.
        let json = serde_json::to_string(&state).unwrap();
        let mut state: RunState = serde_json::from_str(&json).unwrap();
        host.advance_to(until);
        assert_eq!(resume(wf, &mut state, &mut host).await, Progress::Finished);
        let contact = host.contact().await.unwrap();
        state.record(wf, &contact)
    });
    assert_eq!(resumed, straight);
    assert!(resumed.contact["tags"].as_array().unwrap().iter().any(|t| t == "after-5"));
    assert_eq!(resumed.finished_at.as_deref(), Some("2026-01-03T00:00:00.000Z"));
}

/// Failure paths, written as Komo tests: each `test` must pass.
#[test]
fn failure_paths_behave_as_specified() {
    let src = r#"
workflow paths {
  scope workspace
  trigger Contact.Identified

  step a = http.request("GET", "https://a.example.com/") on failure {
    contact.update(add_tags: ["a-failed-${error.kind}"])
    if contact.email == "stop@example.com" {
      stop
    }
  }
  step b = http.request("GET", "https://b.example.com/") on failure -> recover
  step c = http.request("GET", "https://c.example.com/") on success -> done

  route recover {
    contact.update(add_tags: ["recovered-${error.step}"])
  }
  route done {
    contact.update(add_tags: ["done"])
  }
}

test "a failure block ends the run failed" {
  contact { email: "ana@example.com" }
  mock http.request where url == "https://a.example.com/" -> fail "boom" kind "http_status"
  expect run failed
  expect step a failed
  expect step b skipped
  expect "a-failed-http_status" in contact.tags
}

test "a failure block that stops ends the run succeeded" {
  contact { email: "stop@example.com" }
  mock http.request where url == "https://a.example.com/" -> fail "boom"
  expect run succeeded
  expect step b skipped
}

test "a route entered by failure ends the run failed" {
  mock http.request where url == "https://b.example.com/" -> fail "down"
  expect run failed
  expect step c skipped
  expect "recovered-b" in contact.tags
}

test "on success jumps to its route, which ends the run succeeded" {
  expect run succeeded
  expect step c succeeded
  expect "done" in contact.tags
  expect not ("recovered-b" in contact.tags)
}
"#;
    let program = compile(src);
    for case in &program.tests {
        let outcome = block_on(komo::runtime::testing::run_test(&program, case));
        assert!(outcome.passed(), "{}: {:?}", outcome.name, outcome.failures);
    }
    assert_eq!(program.tests.len(), 4);
}

#[test]
fn a_failing_expectation_reports_expected_and_found() {
    let src = r#"
workflow w {
  scope workspace
  trigger Contact.Identified
  loyalty.award_points(10)
}
test "wrong balance" {
  expect contact.points == 11
  expect run failed
}
"#;
    let program = compile(src);
    let outcome = block_on(komo::runtime::testing::run_test(&program, &program.tests[0]));
    assert_eq!(outcome.failures.len(), 2);
    let first = &outcome.failures[0];
    assert_eq!(first.actual.as_deref(), Some("left side: 10"));
    assert_eq!(first.expected.as_deref(), Some("right side: 11"));
    assert_eq!(outcome.failures[1].actual.as_deref(), Some("succeeded"));
}

#[test]
fn a_step_parked_between_attempts_shows_its_last_attempt() {
    let src = r#"
workflow retrier {
  scope workspace
  trigger Contact.Identified
  step hello = contact.send_email(template: "welcome", to: "ana@example.com") retry 2 backoff 10s
}
test "parked between attempts" {
  mock contact.send_email -> fail "busy"
  expect run waiting
  expect step hello failed
}
"#;
    let program = compile(src);
    let outcome = block_on(komo::runtime::testing::run_test(&program, &program.tests[0]));
    assert!(outcome.passed(), "{:?}", outcome.failures);
    let step = &outcome.record.unwrap().steps[0];
    assert_eq!((step.attempts, step.error.as_ref().map(|e| e.message.as_str())), (1, Some("busy")));
}

#[test]
fn a_missing_or_unwanted_caused_event_lists_what_the_run_caused() {
    let src = r#"
workflow w {
  scope workspace
  trigger Contact.Identified
  step join = contact.add_to_list("VIP")
  contact.add_to_list("VIP")
  contact.update(set: { first_name: "Ana" })
}
test "events" {
  contact { first_name: "Ana" }
  expect event Contact.ListAdded where list == "VIP" and occurred_at == event.occurred_at
  expect event Contact.ListAdded where list == "Gold"
  expect event Coupon.Issued
  expect no event Contact.ListAdded
  expect no event Contact.PropertyUpdated
}
"#;
    let program = compile(src);
    let outcome = block_on(komo::runtime::testing::run_test(&program, &program.tests[0]));
    // Joining a list once is one event; the second add and the update change nothing.
    let caused = r#"Contact.ListAdded {"list":"VIP"} (step join)"#;
    let failures: Vec<(&str, Option<&str>, Option<&str>)> = outcome
        .failures
        .iter()
        .map(|f| (f.message.as_str(), f.expected.as_deref(), f.actual.as_deref()))
        .collect();
    assert_eq!(
        failures,
        [
            (
                "no `Contact.ListAdded` event the run caused satisfies the `where` condition",
                Some("a `Contact.ListAdded` event for which the condition holds"),
                Some(caused),
            ),
            ("the run caused no `Coupon.Issued` event", Some("a `Coupon.Issued` event"), Some(caused)),
            (
                "the run caused a `Contact.ListAdded` event",
                Some("no `Contact.ListAdded` event"),
                Some(caused)
            ),
        ]
    );
}
