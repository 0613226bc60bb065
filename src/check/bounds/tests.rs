//! Bounds computed by hand: nested `if`s, retries with backoff, `wait until`, failure
//! paths, routes, `stop` and `fail`.

use super::*;
use crate::source::FileId;

const H: u64 = 3_600_000;
const D: u64 = 24 * H;
const ATTEMPT: u64 = DEFAULT_ATTEMPT_MS;

/// The bounds of the one workflow of `body` (a Contact.Identified workflow).
fn of(body: &str) -> WorkflowBounds {
    let text = format!("workflow w {{\n  scope workspace\n  trigger Contact.Identified\n{body}\n}}\n");
    let parsed = crate::syntax::parse(FileId(0), &text);
    assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
    let files = [(FileId(0), parsed.file)];
    let mut all = bounds(&files);
    assert_eq!(all.len(), 1);
    all.remove(0)
}

fn n(bound: &Bound) -> u64 {
    bound.amount.finite().unwrap_or_else(|| panic!("unbounded: {bound:?}"))
}

/// `(duration, emails, sms, external calls, points)`.
fn numbers(b: &WorkflowBounds) -> (u64, u64, u64, u64, u64) {
    (n(&b.duration), n(&b.emails), n(&b.sms), n(&b.external_calls), n(&b.points))
}

#[test]
fn nested_ifs_take_the_largest_branch_of_each_measure() {
    let b = of(r#"
  if contact.email != null {
    contact.send_email(template: "a")
    if contact.phone != null {
      contact.send_sms("x")
      wait 2d
    } else {
      wait 1d
      contact.send_email(template: "b")
    }
  } else {
    wait 3d
  }
  loyalty.award_points(10)"#);
    // Durations: 2d + 2 attempts, 1d + 2 attempts, 3d: the last one.
    assert_eq!(numbers(&b), (3 * D, 2, 1, 2, 10));
    assert_eq!(b.duration.path.len(), 1);
    assert_eq!(b.emails.path.len(), 2, "{:?}", b.emails.path);
}

#[test]
fn retries_add_doubling_delays_with_jitter_and_multiply_calls() {
    let b = of(r#"
  http.request("GET", "https://x.example.com") retry 3 backoff 1h timeout 10s
  contact.send_email(template: "a") retry 2"#);
    // 1h, 2h, 4h, each with up to 10% jitter; 4 attempts of 10s. Then 1s and 2s (+10%)
    // and 3 attempts of the default 30s.
    let http = (H + 2 * H + 4 * H) * 11 / 10 + 4 * 10_000;
    let email = 3_300 + 3 * ATTEMPT;
    assert_eq!(numbers(&b), (http + email, 3, 0, 7, 0));
    let causes: Vec<&Cause> = b.duration.path.iter().map(|s| &s.cause).collect();
    assert!(causes.contains(&&Cause::RetryDelays { count: 3, backoff_ms: H, ms: 27_720_000 }), "{causes:?}");
    assert!(causes.contains(&&Cause::Attempts { attempts: 4, timeout_ms: 10_000, given: true }));
    assert_eq!(retry_delay_max(1000, 3), 4400);
}

#[test]
fn wait_until_is_bounded_only_from_the_start_or_now() {
    let b = of("  wait until run.started_at + 2d\n  wait until now() + 1h\n  wait 1h + 30m");
    assert_eq!(n(&b.duration), 2 * D + H + H + H / 2);
    assert_eq!(b.duration.path.first().map(|s| &s.cause), Some(&Cause::WaitUntilStart { ms: 2 * D }));

    let b = of("  wait 1h\n  wait until event.occurred_at + 1d\n  wait until contact.created_at");
    let Amount::Unbounded(u) = b.duration.amount else { panic!("{:?}", b.duration) };
    assert_eq!(u.reason, UnboundedReason::WaitUntil);
    // The first statement that cannot be bounded is the one named.
    let text = "workflow w {\n  scope workspace\n  trigger Contact.Identified\n  wait 1h\n  wait until event";
    assert_eq!(u.span.start as usize, text.len() - "wait until event".len());
}

#[test]
fn a_computed_wait_or_amount_cannot_be_bounded() {
    let b = of("  let d = 1h\n  wait d\n  loyalty.award_points(len(contact.tags))");
    assert!(matches!(
        b.duration.amount,
        Amount::Unbounded(Unbounded { reason: UnboundedReason::WaitExpr, .. })
    ));
    assert!(matches!(
        b.points.amount,
        Amount::Unbounded(Unbounded { reason: UnboundedReason::PointsExpr, .. })
    ));
    let b = of("  loyalty.award_points(points: 10 * 5) retry 3\n  loyalty.award_points(-20)");
    assert_eq!(n(&b.points), 50, "points are awarded once; a deduction counts as 0");
    assert_eq!(n(&b.duration), 1_100 + 2_200 + 4_400, "an internal action: its retry delays only");
}

#[test]
fn failure_blocks_and_continue_are_paths_too() {
    let b = of(r#"
  contact.send_email(template: "a") on failure {
    wait 1d
    contact.send_sms("sorry")
  }
  wait 2h"#);
    // Success: an attempt and 2h; failure: an attempt, 1d and the SMS's attempt.
    assert_eq!(numbers(&b), (D + 2 * ATTEMPT, 1, 1, 2, 0));
    let b = of("  http.request(\"GET\", \"https://x.example.com\") on failure continue\n  wait 1h");
    assert_eq!(numbers(&b), (ATTEMPT + H, 0, 0, 1, 0));
    let b = of("  http.request(\"GET\", \"https://x.example.com\")\n  wait 1h");
    assert_eq!(n(&b.duration), ATTEMPT + H, "a failure ends the run, the success path goes on");
}

#[test]
fn routes_are_followed_from_each_jump() {
    let b = of(r#"
  step a = salesforce.create_object("Lead", { Email: "a@b.c" }) retry 1 on failure -> escalate
  contact.send_email(template: "x") on success -> thanks

  route escalate {
    http.request("POST", "https://ops.example.com")
    contact.send_email(template: "y")
    -> thanks
  }

  route thanks {
    loyalty.award_points(5)
    wait 1d
  }"#);
    let a = 1_100 + 2 * ATTEMPT;
    assert_eq!(numbers(&b), (a + 2 * ATTEMPT + D, 1, 0, 4, 5));
    let routes: Vec<&Cause> =
        b.external_calls.path.iter().map(|s| &s.cause).filter(|c| matches!(c, Cause::Route { .. })).collect();
    assert_eq!(routes, [&Cause::Route { name: "escalate".into(), by_failure: true }]);
    assert_eq!(b.points.path.len(), 2, "the jump to `thanks` and the award: {:?}", b.points.path);
}

#[test]
fn stop_and_fail_end_the_path() {
    let b = of(r#"
  if contact.phone != null {
    contact.send_sms("a")
    stop
  }
  if contact.email == null {
    fail "no email"
  }
  wait 1d"#);
    assert_eq!(numbers(&b), (D, 0, 1, 1, 0));
    let b = of("  stop\n  wait 1d");
    assert_eq!(n(&b.duration), 0);
}

#[test]
fn a_route_cycle_does_not_hang() {
    let b = of("  -> a\n  route a {\n    wait 1h\n    -> b\n  }\n  route b {\n    wait 1h\n    -> a\n  }");
    assert_eq!(n(&b.duration), 2 * H);
}

#[test]
fn the_table_lines_up() {
    let b = of("  contact.send_email(template: \"a\") retry 1\n  wait until event.occurred_at");
    insta::assert_snapshot!(table(&[b]), @r"
    workflow  longest run  emails  SMS  external calls  points
    w         unbounded    2       0    2               0
    ");
}

#[test]
fn limits_name_the_path_that_goes_over() {
    let text = "workflow w {\n  scope workspace\n  trigger Contact.Identified\n  contact.send_email(template: \"a\") retry 2\n  wait 3d\n}\n";
    let parsed = crate::syntax::parse(FileId(0), text);
    let files = [(FileId(0), parsed.file)];
    let all = bounds(&files);
    let limits =
        BoundLimits { max_emails_per_run: Some(2), max_run_duration_ms: Some(D), ..BoundLimits::default() };
    let found = limit_errors(&all, &limits);
    let shown: Vec<(String, Vec<String>)> = found
        .iter()
        .map(|d| (d.message.clone(), d.secondary.iter().map(|l| l.message.clone()).collect()))
        .collect();
    insta::assert_debug_snapshot!(shown);
    assert!(
        limit_errors(&all, &BoundLimits { max_emails_per_run: Some(3), ..BoundLimits::default() }).is_empty()
    );
}
