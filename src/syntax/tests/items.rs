//! Workflows and tests: clauses, statements, modifiers, routes, doc comments.

use super::*;
use crate::syntax::ast::{
    Duration, Expectation, HeaderClause, MockOutcome, Modifier, RunOutcome, Scope, StepOutcome, TestClause,
};

const FULL: &str = r#"
/// Doc of the workflow.
workflow sync_leads {
  title "Sync ${"leads"}"
  scope card "summer-quiz"
  trigger Gameplay.DataCapturedQualified where event.fields.email != null
  form { email: Email, company: String?, tags: List<String>, address: { city: String }, }

  /// Creates the lead.
  step lead = salesforce.create_object("Lead", { Email: event.fields.email, })
    timeout 15s on failure -> escalate retry 3 backoff 30s
  contact.send_email(template: "x") on success -> escalate on failure { stop }
  contact.update(set: {}) on failure continue
  let n = 1
  if n > 1 { wait 2d } else if n < 0 { wait until run.started_at + 1h } else { fail "no" }
  -> escalate

  /// Where failures go.
  route escalate {
    http.request("POST", "https://ops.example.com", json: { step: error.step })
    stop
  }
}
"#;

#[test]
fn a_workflow_has_its_header_body_and_routes() {
    let file = parse_ok(FULL);
    let flow = workflows(&file)[0];
    assert_eq!(flow.doc.as_deref(), Some("Doc of the workflow."));
    let header: Vec<&HeaderClause> = flow.header.iter().map(|c| &c.node).collect();
    assert!(matches!(header[0], HeaderClause::Title(_)));
    assert!(matches!(header[1], HeaderClause::Scope(Scope::Card(id)) if id.node == "summer-quiz"));
    let HeaderClause::Trigger { name, filter } = header[2] else { panic!("{:?}", header[2]) };
    assert_eq!(name.node, "Gameplay.DataCapturedQualified");
    assert_eq!(filter.as_ref().map(sexp).as_deref(), Some("(!= (. (. event fields) email) null)"));
    let HeaderClause::Form(fields) = header[3] else { panic!() };
    let fields: Vec<String> =
        fields.iter().map(|f| format!("{}: {}", f.name.node, type_text(&f.ty))).collect();
    assert_eq!(fields, ["email: Email", "company: String?", "tags: List<String>", "address: {city: String}"]);
    assert_eq!(flow.body.stmts.len(), 6);
    assert_eq!(flow.routes.len(), 1);
    assert_eq!(flow.routes[0].name.node, "escalate");
    assert_eq!(flow.routes[0].doc.as_deref(), Some("Where failures go."));
    assert_eq!(flow.routes[0].body.stmts.len(), 2);
    assert_eq!(&FULL[flow.span.range()].get(..18), &Some("workflow sync_lead"));
    assert!(FULL[flow.span.range()].ends_with('}'));
}

#[test]
fn actions_with_steps_arguments_and_modifiers_in_any_order() {
    let file = parse_ok(FULL);
    let stmts = &workflows(&file)[0].body.stmts;
    assert_eq!(stmts[0].doc.as_deref(), Some("Creates the lead."));
    let StmtKind::Action(lead) = &stmts[0].kind else { panic!() };
    assert_eq!(lead.step.as_ref().map(|s| s.node.as_str()), Some("lead"));
    assert_eq!(lead.call.full_name(), "salesforce.create_object");
    let names: Vec<Option<&str>> =
        lead.call.args.iter().map(|a| a.name.as_ref().map(|n| n.node.as_str())).collect();
    assert_eq!(names, [None, None]);
    let modifiers: Vec<&Modifier> = lead.modifiers.iter().map(|m| &m.node).collect();
    assert_eq!(
        modifiers,
        [
            &Modifier::Timeout(ast_duration(15_000)),
            &Modifier::OnFailureRoute(ident("escalate")),
            &Modifier::Retry { count: spanned(3), backoff: Some(ast_duration(30_000)) },
        ]
    );
    let StmtKind::Action(send) = &stmts[1].kind else { panic!() };
    assert_eq!(send.call.args[0].name.as_ref().map(|n| n.node.as_str()), Some("template"));
    assert!(matches!(&send.modifiers[0].node, Modifier::OnSuccess(r) if r.node == "escalate"));
    assert!(matches!(&send.modifiers[1].node, Modifier::OnFailureBlock(b) if b.stmts.len() == 1));
    let StmtKind::Action(update) = &stmts[2].kind else { panic!() };
    assert_eq!(update.modifiers[0].node, Modifier::OnFailureContinue);
    let StmtKind::If { branches, otherwise } = &stmts[4].kind else { panic!() };
    assert_eq!(branches.len(), 2);
    assert!(matches!(&branches[1].block.stmts[0].kind, StmtKind::WaitUntil(_)));
    assert!(matches!(&otherwise.as_ref().map(|b| &b.stmts[0].kind), Some(StmtKind::Fail(_))));
    assert!(matches!(&stmts[5].kind, StmtKind::Goto(r) if r.node == "escalate"));
}

fn ast_duration(millis: i64) -> crate::syntax::ast::Spanned<Duration> {
    spanned(Duration { millis })
}

fn spanned<T>(node: T) -> crate::syntax::ast::Spanned<T> {
    crate::syntax::ast::Spanned::new(node, crate::source::Span::default())
}

fn ident(name: &str) -> crate::syntax::ast::Ident {
    spanned(name.to_owned())
}

#[test]
fn modifiers_and_arguments_may_span_lines() {
    let file = parse_ok(&in_workflow(
        "  step s = http.request(\n    \"GET\",\n    \"https://x.example\",\n  )\n    retry 2\n    on failure continue\n  stop",
    ));
    let stmts = &workflows(&file)[0].body.stmts;
    assert_eq!(stmts.len(), 2);
    let StmtKind::Action(call) = &stmts[0].kind else { panic!() };
    assert_eq!(call.modifiers.len(), 2);
    assert_eq!(call.call.args.len(), 2);
}

#[test]
fn scope_words_are_keywords_only_after_scope() {
    let file = parse_ok(
        "workflow a { scope hub \"h-1\" trigger X.Y let hub = card.id let workspace = 1 }\n\
         workflow b { scope workspace trigger X.Y }",
    );
    let flows = workflows(&file);
    assert!(matches!(&flows[0].header[0].node, HeaderClause::Scope(Scope::Hub(h)) if h.node == "h-1"));
    assert!(matches!(&flows[1].header[0].node, HeaderClause::Scope(Scope::Workspace)));
    assert_eq!(flows[0].body.stmts.len(), 2);
}

#[test]
fn contact_is_an_action_namespace() {
    let file = parse_ok(&in_workflow("  contact.add_to_list(\"x\")\n  entry.add_tags([\"a\"])"));
    let names: Vec<String> = workflows(&file)[0]
        .body
        .stmts
        .iter()
        .filter_map(|s| match &s.kind {
            StmtKind::Action(a) => Some(a.call.full_name()),
            _ => None,
        })
        .collect();
    assert_eq!(names, ["contact.add_to_list", "entry.add_tags"]);
}

const TESTS: &str = r#"
/// Doc of the test.
test "sponsor A" {
  workflow sponsor_lead_routing
  event { card: { id: "c1" }, fields: { email: "ana@example.com" }, }
  contact { email: "ana@example.com" }
  mock http.request where url contains "sponsor-a" -> ok { status: 200 }
  mock http.request -> fail "connection refused" kind "network"
  mock contact.send_email -> fail "x"

  expect run failed
  expect no run
  expect run took 1h30m
  expect step post failed
  expect step post_to_default skipped
  expect step lead called with { object: "Lead" }
  expect not (entry.tags contains "sponsor-a")
  expect "a" in contact.tags
  expect run.id == "x"
  expect run
}
"#;

#[test]
fn test_items_have_every_kind_of_clause() {
    let file = parse_ok(TESTS);
    let test = tests_of(&file)[0];
    assert_eq!(test.name.node, "sponsor A");
    assert_eq!(test.doc.as_deref(), Some("Doc of the test."));
    let clauses: Vec<&TestClause> = test.clauses.iter().map(|c| &c.node).collect();
    assert!(matches!(clauses[0], TestClause::Workflow(w) if w.node == "sponsor_lead_routing"));
    assert!(matches!(clauses[1], TestClause::Event(e) if sexp(e).starts_with("{card: {id:")));
    assert!(matches!(clauses[2], TestClause::Contact(_)));
    let TestClause::Mock(ok) = clauses[3] else { panic!() };
    assert_eq!(ok.full_name(), "http.request");
    assert_eq!(ok.filter.as_ref().map(sexp).as_deref(), Some("(contains url (str \"sponsor-a\"))"));
    assert!(matches!(&ok.outcome, MockOutcome::Ok(r) if sexp(r) == "{status: 200}"));
    let TestClause::Mock(failing) = clauses[4] else { panic!() };
    let MockOutcome::Fail { message, kind } = &failing.outcome else { panic!() };
    assert_eq!(sexp(message), "(str \"connection refused\")");
    assert_eq!(kind.as_ref().map(|k| k.node.as_str()), Some("network"));
    assert_eq!(failing.filter, None);
    let TestClause::Mock(contact_mock) = clauses[5] else { panic!() };
    assert_eq!(contact_mock.full_name(), "contact.send_email");

    let expectations: Vec<&Expectation> = clauses[6..]
        .iter()
        .map(|c| match c {
            TestClause::Expect(e) => e,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(expectations[0], &Expectation::Run(spanned(RunOutcome::Failed)));
    assert_eq!(expectations[1], &Expectation::NoRun);
    assert_eq!(expectations[2], &Expectation::Took(ast_duration(5_400_000)));
    assert_eq!(
        expectations[3],
        &Expectation::Step { step: ident("post"), status: spanned(StepOutcome::Failed) }
    );
    assert_eq!(
        expectations[4],
        &Expectation::Step { step: ident("post_to_default"), status: spanned(StepOutcome::Skipped) }
    );
    assert!(
        matches!(expectations[5], Expectation::CalledWith { step, args } if step.node == "lead" && sexp(args) == "{object: (str \"Lead\")}")
    );
    let that: Vec<String> = expectations[6..]
        .iter()
        .map(|e| match e {
            Expectation::That(e) => sexp(e),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        that,
        [
            "(not (paren (contains (. entry tags) (str \"sponsor-a\"))))",
            "(in (str \"a\") (. contact tags))",
            "(== (. run id) (str \"x\"))",
            "run",
        ]
    );
}

#[test]
fn items_come_in_source_order() {
    let file = parse_ok("test \"t\" { expect run succeeded }\nworkflow a { }\n// comment\ntest \"u\" { }");
    let kinds: Vec<&str> = file
        .items
        .iter()
        .map(|i| match i {
            Item::Workflow(_) => "workflow",
            Item::Test(_) => "test",
        })
        .collect();
    assert_eq!(kinds, ["test", "workflow", "test"]);
}

#[test]
fn statement_doc_comments_need_to_be_directly_above() {
    let file = parse_ok(&in_workflow("  /// one\n  /// two\n  stop\n  /// not here\n\n  stop"));
    let docs: Vec<Option<&str>> = workflows(&file)[0].body.stmts.iter().map(|s| s.doc.as_deref()).collect();
    assert_eq!(docs, [Some("one\ntwo"), None]);
}

#[test]
fn spans_end_at_the_last_character_not_at_trailing_comments() {
    let source = in_workflow(
        "  contact.update(set: {}) retry 2 // note\n  /* block */ let x = a ?? b /* c */\n  trigger X.Y where a\n  stop",
    );
    let out = parse(FileId(0), &source);
    let flow = workflows(&out.file)[0];
    let spans: Vec<&str> = flow.body.stmts.iter().map(|s| &source[s.span.range()]).collect();
    assert_eq!(spans, ["contact.update(set: {}) retry 2", "let x = a ?? b", "stop"]);
    assert_eq!(&source[flow.header[2].span.range()], "trigger X.Y where a");
}

#[test]
fn expect_event_names_a_trigger_and_maybe_a_condition() {
    let file = parse_ok(
        "test \"t\" {\n  expect event Contact.ListAdded where list == \"VIP\"\n  expect event Coupon.Issued\n  expect no event Contact.PropertyUpdated\n  expect event.score > 5\n}",
    );
    let got: Vec<String> = tests_of(&file)[0]
        .clauses
        .iter()
        .map(|c| match &c.node {
            TestClause::Expect(Expectation::Event { trigger, filter }) => {
                format!("event {} {}", trigger.node, filter.as_ref().map(sexp).unwrap_or_default())
            }
            TestClause::Expect(Expectation::NoEvent { trigger }) => format!("no event {}", trigger.node),
            TestClause::Expect(Expectation::That(e)) => format!("that {}", sexp(e)),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        got,
        [
            "event Contact.ListAdded (== list (str \"VIP\"))",
            "event Coupon.Issued ",
            "no event Contact.PropertyUpdated",
            "that (> (. event score) 5)",
        ]
    );
}
