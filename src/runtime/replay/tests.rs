//! The replay diff on workflows recorded in the sandbox and replayed on other versions.

use super::*;
use crate::catalog::{ActionId, FailureKind};
use crate::ir::Program;
use crate::runtime::event::parse_envelope;
use crate::runtime::sandbox::{MockResult, MockRule};

fn program(source: &str) -> Program {
    let mut sources = crate::source::SourceMap::new();
    sources.add("t.komo", source);
    let checked = crate::check_sources(&sources);
    crate::ir::lower_program(&checked).unwrap()
}

fn workflow(source: &str) -> Workflow {
    program(source).workflows.into_iter().next().unwrap()
}

fn event(contact: serde_json::Value) -> TriggerEvent {
    let json = serde_json::json!({
        "id": "evt_1", "type": "Contact.Identified", "occurred_at": "2026-03-01T09:00:00Z",
        "contact": contact, "data": { "source": "signup-form" },
    });
    parse_envelope(&json).unwrap()
}

/// Runs `wf` in the sandbox as the engine would have (with `mocks`), to its end or, with
/// `stop_at_park`, to its first park: the recorded run, its event and its start contact.
async fn record(wf: &Workflow, event: TriggerEvent, mocks: Vec<MockRule>, stop_at_park: bool) -> Recorded {
    let mut host = SandboxHost::new(event.occurred_at, "run_1", SEED);
    host.set_contact(&event.contact);
    let start_contact = host.contact_state().clone();
    for mock in mocks {
        host.add_mock(mock);
    }
    let Admission::Run(admitted) = admit(wf, event.clone(), &mut host).await.unwrap() else {
        panic!("the recorded run must start")
    };
    let mut state = start(wf, RunStart { id: "run_1".into(), version: 1, started_at: host.now() }, &admitted);
    loop {
        match resume(wf, &mut state, &mut host).await {
            Progress::Finished => break,
            Progress::Waiting(_) if stop_at_park => break,
            Progress::Waiting(until) => host.advance_to(until),
            Progress::Interrupted(e) => panic!("{}", e.message),
        }
    }
    let contact = host.contact().await.unwrap();
    let record = state.record(wf, &contact);
    Recorded { record, event, contact: StartContact::Snapshot(Box::new(start_contact)) }
}

const V1: &str = r#"
workflow welcome {
  scope workspace
  trigger Contact.Identified
  if contact.email != null {
    step welcome = contact.send_email(template: "welcome", subject: "Hi ${contact.first_name ?? "there"}")
      on failure -> apologise
  }
  step bonus = loyalty.award_points(10, reason: "Welcome bonus")
  route apologise {
    contact.add_to_list("Email Problems")
    fail "the welcome email bounced"
  }
}
"#;

fn ana() -> TriggerEvent {
    event(serde_json::json!({ "email": "ana@example.com", "first_name": "Ana" }))
}

#[tokio::test]
async fn the_same_version_replays_without_a_change() {
    let wf = workflow(V1);
    let recorded = record(&wf, ana(), Vec::new(), false).await;
    let diff = replay_run(&wf, 1, recorded, None).await;
    assert_eq!((diff.changes.as_slice(), diff.error.as_deref()), (&[][..], None));
    assert_eq!(diff.contact, ContactSource::Snapshot);
}

#[tokio::test]
async fn other_arguments_are_listed_per_field_old_to_new() {
    let v2 = V1.replace("template: \"welcome\"", "template: \"welcome_v2\"").replace("(10,", "(20,");
    let recorded = record(&workflow(V1), ana(), Vec::new(), false).await;
    let diff = replay_run(&workflow(&v2), 2, recorded, None).await;
    type Seen<'a> = (ChangeKind, Option<&'a str>, Vec<(&'a str, String, String)>);
    let changes: Vec<Seen<'_>> = diff
        .changes
        .iter()
        .map(|c| {
            let fields = c.fields.iter().map(|f| (f.field.as_str(), f.old.to_string(), f.new.to_string()));
            (c.kind, c.step.as_deref(), fields.collect())
        })
        .collect();
    assert_eq!(
        changes,
        [
            (
                ChangeKind::Arguments,
                Some("welcome"),
                vec![("template", "\"welcome\"".into(), "\"welcome_v2\"".into())]
            ),
            (ChangeKind::Arguments, Some("bonus"), vec![("points", "10".into(), "20".into())]),
        ]
    );
}

#[tokio::test]
async fn a_recorded_failure_is_what_the_replay_gets_and_so_is_a_recorded_output() {
    let wf = workflow(V1);
    let bounce = MockResult::Fail(ActionFailure::new(FailureKind::InvalidRequest, "mailbox does not exist"));
    let recorded = record(&wf, ana(), vec![MockRule::new(ActionId::ContactSendEmail, bounce)], false).await;
    assert_eq!(recorded.record.status, RunStatus::Failed);
    // The sandbox alone would send the email; the recorded failure takes the route again.
    let diff = replay_run(&wf, 1, recorded.clone(), None).await;
    assert_eq!(diff.changes, []);
    // Without the recording it would have succeeded: the diff shows that.
    let mut forgotten = recorded;
    for step in &mut forgotten.record.steps {
        step.status = crate::ir::StepStatus::Skipped;
        step.attempts = 0;
    }
    let kinds: Vec<ChangeKind> =
        replay_run(&wf, 1, forgotten, None).await.changes.iter().map(|c| c.kind).collect();
    assert!(kinds.contains(&ChangeKind::StepAdded) && kinds.contains(&ChangeKind::Status), "{kinds:?}");
}

#[tokio::test]
async fn steps_added_and_removed_another_route_and_status() {
    // v2 sends no email and always fails through the route.
    let v2 = r#"
workflow welcome {
  scope workspace
  trigger Contact.Identified
  step bonus = loyalty.award_points(10, reason: "Welcome bonus")
  contact.add_to_list("Welcomed")
  fail "not yet"
}
"#;
    let recorded = record(&workflow(V1), ana(), Vec::new(), false).await;
    let diff = replay_run(&workflow(v2), 2, recorded, None).await;
    type Seen = (ChangeKind, Option<String>, Option<String>, Option<String>);
    let changes: Vec<Seen> = diff.changes.into_iter().map(|c| (c.kind, c.step, c.old, c.new)).collect();
    assert_eq!(
        changes,
        [
            (ChangeKind::StepRemoved, Some("welcome".into()), None, None),
            (ChangeKind::StepAdded, Some("add_to_list_1".into()), None, None),
            (ChangeKind::Status, None, Some("succeeded".into()), Some("failed".into())),
        ]
    );
}

#[tokio::test]
async fn an_event_the_new_filter_refuses_starts_no_run() {
    let v2 =
        V1.replace("trigger Contact.Identified", "trigger Contact.Identified where contact.email == null");
    let recorded = record(&workflow(V1), ana(), Vec::new(), false).await;
    let diff = replay_run(&workflow(&v2), 2, recorded, None).await;
    assert_eq!(diff.changes.len(), 1);
    let change = diff.changes.first().unwrap();
    assert_eq!(change.kind, ChangeKind::NoRun);
    assert!(change.reason.as_deref().is_some_and(|r| !r.is_empty()));
}

const WAITING: &str = r#"
workflow nudge {
  scope workspace
  trigger Contact.Identified
  contact.add_to_list("Leads")
  wait 3d
  step nudge = contact.send_email(template: "nudge", subject: "Still there?", to: "ana@example.com")
}
"#;

#[tokio::test]
async fn a_waiting_run_is_compared_on_what_it_did_so_far() {
    let recorded = record(&workflow(WAITING), ana(), Vec::new(), true).await;
    assert_eq!(recorded.record.status, RunStatus::Waiting);
    let started: jiff::Timestamp = recorded.record.started_at.parse().unwrap();
    let horizon = Some(started + jiff::SignedDuration::from_hours(24));
    // Another template after the same wait: not reached by the horizon, no change yet.
    let later = WAITING.replace("\"nudge\",", "\"nudge_v2\",");
    let diff = replay_run(&workflow(&later), 2, recorded.clone(), horizon).await;
    assert_eq!(diff.changes, []);
    // A shorter wait: the new version would have sent the email already.
    let sooner = WAITING.replace("wait 3d", "wait 1h");
    let kinds: Vec<ChangeKind> =
        replay_run(&workflow(&sooner), 2, recorded, horizon).await.changes.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, [ChangeKind::StepAdded, ChangeKind::Status]);
}

#[tokio::test]
async fn a_run_without_a_snapshot_replays_from_its_identity_only() {
    let source = r#"
workflow greet {
  scope workspace
  trigger Contact.Identified
  if contact.first_name == null {
    contact.add_to_list("No Name")
  }
}
"#;
    let wf = workflow(source);
    let mut recorded = record(&wf, ana(), Vec::new(), false).await;
    recorded.contact = StartContact::Identity;
    let event = recorded.event.clone();
    assert_eq!(
        identity(&recorded.record, &event).to_json(),
        serde_json::json!({ "id": "contact_1", "email": "ana@example.com" })
    );
    // Ana's first name was known; from her identity alone it is not.
    let diff = replay_run(&wf, 1, recorded, None).await;
    assert_eq!(diff.contact, ContactSource::Identity);
    assert_eq!(diff.changes.iter().map(|c| c.kind).collect::<Vec<_>>(), [ChangeKind::StepAdded]);
}

#[test]
fn totals_count_runs_per_kind_and_per_step_once() {
    let change = |kind, step: Option<&str>| Change {
        kind,
        step: step.map(str::to_string),
        action: step.map(|_| ActionId::ContactSendEmail),
        fields: Vec::new(),
        old: None,
        new: None,
        reason: None,
    };
    let run = |id: &str, changes: Vec<Change>, contact| RunDiff {
        run: id.into(),
        version: 1,
        status: RunStatus::Succeeded,
        started_at: "2026-03-01T09:00:00.000Z".into(),
        contact,
        changes,
        error: None,
    };
    let runs = vec![
        run(
            "a",
            vec![
                change(ChangeKind::Arguments, Some("welcome")),
                change(ChangeKind::Arguments, Some("welcome")),
            ],
            ContactSource::Snapshot,
        ),
        run(
            "b",
            vec![change(ChangeKind::Arguments, Some("welcome")), change(ChangeKind::Status, None)],
            ContactSource::Identity,
        ),
        run("c", Vec::new(), ContactSource::Snapshot),
        RunDiff { error: Some("unreadable".into()), ..run("d", Vec::new(), ContactSource::None) },
    ];
    let totals = totals(&runs);
    assert_eq!(
        (totals.runs, totals.changed, totals.unchanged, totals.errors, totals.without_contact_snapshot),
        (4, 2, 1, 1, 1)
    );
    let by_kind: Vec<(ChangeKind, usize)> = totals.by_kind.iter().map(|t| (t.kind, t.runs)).collect();
    assert_eq!(by_kind, [(ChangeKind::Arguments, 2), (ChangeKind::Status, 1)]);
    let lines: Vec<String> = totals.by_step.iter().map(|t| t.sentence(totals.runs)).collect();
    assert_eq!(
        lines,
        [
            "2 of 4 runs would call `welcome` (contact.send_email) with other arguments",
            "1 of 4 runs would end with another status",
        ]
    );
}
