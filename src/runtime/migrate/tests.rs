//! A run parked in v1, moved, then resumed: it finishes on v2's path.

use super::*;
use crate::ir::migrate::plan;
use crate::ir::{Program, StepStatus};
use crate::runtime::event::from_test_record;
use crate::runtime::host::Host;
use crate::runtime::interp::{Progress, RunStart, resume, start};
use crate::runtime::sandbox::SandboxHost;
use crate::source::SourceMap;

fn compile(body: &str) -> Program {
    let src = format!("workflow w {{\n  scope workspace\n  trigger Contact.Identified\n{body}\n}}\n");
    let mut sources = SourceMap::new();
    sources.add("w.komo", &src);
    let checked = crate::check_sources(&sources);
    assert!(checked.diagnostics.iter().all(|d| !d.is_error()), "{:?}", checked.diagnostics);
    crate::ir::lower_program(&checked).unwrap()
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

const V1: &str = r#"
  step welcome = loyalty.award_points(10)
  wait 3d
  contact.add_to_list("Old reminder")"#;

const V2: &str = r#"
  step bonus = loyalty.award_points(10)
  contact.add_to_list("Early birds")
  wait 3d
  contact.add_to_list("New reminder")
  contact.update(set: { seen_balance: bonus.balance })"#;

#[test]
fn a_moved_run_finishes_on_the_new_versions_path() {
    let (v1, v2) = (compile(V1), compile(V2));
    let (w1, w2) = (&v1.workflows[0], &v2.workflows[0]);
    let event = from_test_record(w1.trigger.spec(), &Value::Record(Default::default())).unwrap();
    let mut host = SandboxHost::new(event.occurred_at, "run_1", 7);
    host.set_contact(&Value::record([("email".to_string(), Value::str("ana@example.com"))]));
    block_on(async {
        let mut st = start(w1, RunStart { id: "run_1".into(), version: 1, started_at: host.now() }, &event);
        let Progress::Waiting(until) = resume(w1, &mut st, &mut host).await else {
            panic!("parks at the wait")
        };

        let map = plan(w1, w2);
        let moved_at = host.now();
        move_run(&map, w1, w2, 2, &mut st, moved_at).unwrap();
        assert_eq!(st.version, 2);
        assert_eq!(st.waiting_until, Some(until), "the due time is kept");
        // Moving twice is refused: the state is no longer at a point of v1.
        assert!(move_run(&map, w1, w2, 2, &mut st.clone(), moved_at).is_err());

        host.advance_to(until);
        assert_eq!(resume(w2, &mut st, &mut host).await, Progress::Finished);
        let contact = host.contact().await.unwrap();
        let record = st.record(w2, &contact);
        assert_eq!(record.status, RunStatus::Succeeded);
        assert_eq!(record.version, 2);
        let statuses: Vec<(&str, StepStatus)> =
            record.steps.iter().map(|s| (s.name.as_str(), s.status)).collect();
        assert_eq!(
            statuses,
            vec![
                ("bonus", StepStatus::Succeeded),
                ("add_to_list_1", StepStatus::Skipped),
                ("add_to_list_2", StepStatus::Succeeded),
                ("update_1", StepStatus::Succeeded),
            ]
        );
        let contact = contact.to_json();
        assert_eq!(contact["lists"], serde_json::json!(["New reminder"]));
        // The points were awarded once, before the move; v2 read the carried output.
        assert_eq!(contact["points"], serde_json::json!(10));
        assert_eq!(contact["properties"]["seen_balance"], serde_json::json!(10));
        assert_eq!(
            record.lifecycle.iter().map(LifecycleEntry::describe).collect::<Vec<_>>(),
            vec!["moved from v1 to v2 at `wait 3d`"]
        );
    });
}

#[test]
fn a_run_at_an_unmovable_point_is_left_as_it_was() {
    let v1 = compile("  wait 1d\n  wait 3d\n  contact.add_to_list(\"x\")");
    let v2 = compile("  wait 1d\n  contact.add_to_list(\"x\")");
    let (w1, w2) = (&v1.workflows[0], &v2.workflows[0]);
    let event = from_test_record(w1.trigger.spec(), &Value::Record(Default::default())).unwrap();
    let mut host = SandboxHost::new(event.occurred_at, "run_1", 7);
    block_on(async {
        let mut st = start(w1, RunStart { id: "run_1".into(), version: 1, started_at: host.now() }, &event);
        let Progress::Waiting(until) = resume(w1, &mut st, &mut host).await else { panic!() };
        host.advance_to(until);
        let Progress::Waiting(_) = resume(w1, &mut st, &mut host).await else { panic!() };
        let before = st.clone();
        let map = plan(w1, w2);
        let err = move_run(&map, w1, w2, 2, &mut st, host.now()).unwrap_err();
        assert_eq!(err.to_string(), "`wait 3d` has no counterpart in v2");
        assert_eq!(st, before);
    });
}
