//! The migration map on pairs of small workflows: what moves, where, and why not.

use super::*;
use crate::ir::Program;
use crate::source::SourceMap;

fn compile(body: &str) -> Program {
    let src = format!("workflow w {{\n  scope workspace\n  trigger Contact.Identified\n{body}\n}}\n");
    let mut sources = SourceMap::new();
    sources.add("w.komo", &src);
    let checked = crate::check_sources(&sources);
    let errors: Vec<String> =
        checked.diagnostics.iter().filter(|d| d.is_error()).map(|d| d.message.clone()).collect();
    assert!(errors.is_empty(), "{errors:?}\n{src}");
    crate::ir::lower_program(&checked).unwrap()
}

fn map(v1: &str, v2: &str) -> (Program, Program, MigrationMap) {
    let (a, b) = (compile(v1), compile(v2));
    let m = plan(&a.workflows[0], &b.workflows[0]);
    (a, b, m)
}

/// Each park point of v1: its label and where it goes (the target's label, or the
/// reason as shown for v1 → v2).
fn summary(m: &MigrationMap) -> Vec<(String, String)> {
    m.points
        .iter()
        .map(|p| {
            let to = match &p.to {
                Ok(t) => format!("-> {}", t.label),
                Err(reason) => reason.message(1, 2),
            };
            (p.from.label.clone(), to)
        })
        .collect()
}

fn step_names(a: &Program, b: &Program, m: &MigrationMap) -> Vec<(String, String)> {
    let (wa, wb) = (&a.workflows[0], &b.workflows[0]);
    m.steps
        .iter()
        .map(|(o, n)| (wa.step(*o).unwrap().name.clone(), wb.step(*n).unwrap().name.clone()))
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

#[test]
fn a_step_added_before_the_wait_keeps_the_wait() {
    let v1 = r#"
  step welcome = contact.add_to_list("Welcome")
  wait 3d
  contact.add_to_list("Reminded")"#;
    let v2 = r#"
  step welcome = contact.add_to_list("Welcome")
  contact.add_to_list("Early birds")
  wait 3d
  contact.add_to_list("Reminded")"#;
    let (a, b, m) = map(v1, v2);
    assert_eq!(summary(&m), pairs(&[("wait 3d", "-> wait 3d")]));
    // The unnamed steps are numbered by action; the new one shifts the numbers, but
    // alignment (not the name) says which is which.
    assert_eq!(step_names(&a, &b, &m), pairs(&[("welcome", "welcome"), ("add_to_list_1", "add_to_list_2")]));
    let Ok(target) = &m.points[0].to else { panic!() };
    // The wait is the third statement of the main flow in v2: next is 3.
    assert_eq!(target.frames, vec![FramePos { block: b.workflows[0].body, next: 3, role: FrameRole::Main }]);
}

#[test]
fn a_renamed_step_carries_its_output_under_the_new_name() {
    let v1 = r#"
  step award = loyalty.award_points(10)
  wait 3d
  contact.update(set: { last_balance: award.balance })"#;
    let v2 = r#"
  step bonus = loyalty.award_points(10)
  wait 3d
  contact.update(set: { last_balance: bonus.balance })"#;
    let (a, b, m) = map(v1, v2);
    assert_eq!(summary(&m), pairs(&[("wait 3d", "-> wait 3d")]));
    assert_eq!(step_names(&a, &b, &m), pairs(&[("award", "bonus"), ("update_1", "update_1")]));
}

#[test]
fn a_let_read_after_the_wait_but_set_only_after_it_in_v1_keeps_the_run() {
    let v1 = r#"
  wait 3d
  let code = "SAVE10"
  contact.add_to_list(code)"#;
    let v2 = r#"
  let code = "SAVE10"
  wait 3d
  contact.add_to_list(code)"#;
    let (_, _, m) = map(v1, v2);
    assert_eq!(
        summary(&m),
        pairs(&[("wait 3d", "`code` is read after `wait 3d` in v2 but is not produced before it in v1")])
    );
}

#[test]
fn a_let_removed_from_v1_that_v2_reads_keeps_the_run() {
    let v1 = r#"
  wait 3d
  contact.add_to_list("Reminded")"#;
    let v2 = r#"
  let code = "SAVE10"
  wait 3d
  contact.add_to_list(code)"#;
    let (_, _, m) = map(v1, v2);
    assert_eq!(
        summary(&m),
        pairs(&[("wait 3d", "`code` is read after `wait 3d` in v2 but is not produced before it in v1")])
    );
}

#[test]
fn a_let_whose_type_changed_keeps_the_run() {
    let v1 = r#"
  let points = "10"
  wait 3d
  contact.update(set: { seen: points })"#;
    let v2 = r#"
  let points = 10
  wait 3d
  loyalty.award_points(points)"#;
    let (_, _, m) = map(v1, v2);
    assert_eq!(
        summary(&m),
        pairs(&[("wait 3d", "`points` is read after `wait 3d` in v2 as Int but is String before it in v1")])
    );
}

#[test]
fn a_wider_type_is_fine() {
    let v1 = r#"
  let points = 10
  wait 3d
  contact.update(set: { seen: points })"#;
    let v2 = r#"
  let points = 10
  wait 3d
  contact.update(set: { seen: points, again: points })"#;
    let (_, _, m) = map(v1, v2);
    assert_eq!(summary(&m), pairs(&[("wait 3d", "-> wait 3d")]));
    assert!(reads::fits(&Ty::Int, &Ty::Optional(Box::new(Ty::Float))));
    assert!(!reads::fits(&Ty::Optional(Box::new(Ty::Int)), &Ty::Int));
}

#[test]
fn a_deleted_wait_has_no_counterpart() {
    let v1 = r#"
  wait 1d
  contact.add_to_list("Day one")
  wait 3d
  contact.add_to_list("Day four")"#;
    let v2 = r#"
  wait 1d
  contact.add_to_list("Day one")
  contact.add_to_list("Day four")"#;
    let (_, _, m) = map(v1, v2);
    assert_eq!(
        summary(&m),
        pairs(&[("wait 1d", "-> wait 1d"), ("wait 3d", "`wait 3d` has no counterpart in v2")])
    );
}

#[test]
fn a_step_added_before_the_wait_and_read_after_it_keeps_the_run() {
    let v1 = r#"
  wait 3d
  contact.add_to_list("Reminded")"#;
    let v2 = r#"
  step codes = contact.issue_coupon("save-10")
  wait 3d
  contact.add_to_list(codes.codes[0] ?? "none")"#;
    let (_, _, m) = map(v1, v2);
    assert_eq!(
        summary(&m),
        pairs(&[("wait 3d", "`codes` is read after `wait 3d` in v2 but is not produced before it in v1")])
    );
}

#[test]
fn waits_in_branches_map_to_the_same_branch_and_error_needs_a_failure() {
    let v1 = r#"
  if contact.points > 10 {
    wait 1d
    contact.add_to_list("Rich")
  } else {
    wait 2d
  }
  http.request(method: "POST", url: "https://example.com/a") retry 2 backoff 1m on failure {
    wait 1h
    contact.update(set: { why: error.message })
  }"#;
    let v2 = r#"
  contact.add_to_list("Everyone")
  if contact.points > 10 {
    contact.add_to_list("Checked")
    wait 1d
    contact.add_to_list("Rich")
  } else {
    wait 2d
    contact.add_to_list("Poor")
  }
  http.request(method: "POST", url: "https://example.com/a") retry 3 backoff 1m on failure {
    wait 1h
    contact.update(set: { why: error.message })
  }"#;
    let (_, b, m) = map(v1, v2);
    assert_eq!(
        summary(&m),
        pairs(&[
            ("wait 1d", "-> wait 1d"),
            ("wait 2d", "-> wait 2d"),
            ("retry of request_1", "-> retry of request_1"),
            ("wait 1h", "-> wait 1h"),
        ])
    );
    let Ok(target) = &m.points[0].to else { panic!() };
    let wb = &b.workflows[0];
    assert_eq!(target.frames.len(), 2);
    assert_eq!(target.frames[0], FramePos { block: wb.body, next: 2, role: FrameRole::Main });
    assert_eq!(target.frames[1].next, 2);
    assert_eq!(target.frames[1].role, FrameRole::Branch);
}

#[test]
fn another_trigger_keeps_every_run() {
    let a = compile("  wait 3d");
    let src = "workflow w {\n  scope workspace\n  trigger Contact.PropertyUpdated\n  wait 3d\n}\n";
    let mut sources = SourceMap::new();
    sources.add("w.komo", src);
    let b = crate::ir::lower_program(&crate::check_sources(&sources)).unwrap();
    let m = plan(&a.workflows[0], &b.workflows[0]);
    assert_eq!(
        summary(&m),
        pairs(&[("wait 3d", "v2 is triggered by `Contact.PropertyUpdated`, v1 by `Contact.Identified`")])
    );
}

#[test]
fn a_route_entered_on_failure_only_in_v2_keeps_runs_that_did_not_fail() {
    let v1 = r#"
  http.request(method: "POST", url: "https://example.com/a") on success -> later
  route later {
    wait 1h
    contact.add_to_list("Later")
  }"#;
    let v2 = r#"
  http.request(method: "POST", url: "https://example.com/a") on failure -> later
  route later {
    wait 1h
    contact.update(set: { why: error.message })
  }"#;
    let (_, _, m) = map(v1, v2);
    assert_eq!(
        summary(&m),
        pairs(&[(
            "wait 1h",
            "`error` is read after `wait 1h` in v2 but no failure is being handled there in v1"
        )])
    );
}
