//! The example programs of the language (`examples/`, copied from the spec) parse.

use super::*;
use crate::syntax::ast::Duration;

const VALID: [(&str, &str); 6] = [
    ("crm_lead_sync", include_str!("../../../examples/crm_lead_sync.komo")),
    ("loyalty_on_engagement", include_str!("../../../examples/loyalty_on_engagement.komo")),
    ("post_event_follow_up", include_str!("../../../examples/post_event_follow_up.komo")),
    ("sponsor_lead_routing", include_str!("../../../examples/sponsor_lead_routing.komo")),
    ("welcome_new_contacts", include_str!("../../../examples/welcome_new_contacts.komo")),
    ("winner_notification", include_str!("../../../examples/winner_notification.komo")),
];

/// Error examples whose errors are all found by the checker, not the parser.
const CHECKER_ERRORS: [&str; 4] = [
    include_str!("../../../examples/errors/optional_phone.komo"),
    include_str!("../../../examples/errors/scope_mismatch.komo"),
    include_str!("../../../examples/errors/step_may_not_have_run.komo"),
    include_str!("../../../examples/errors/unknown_trigger.komo"),
];

const BAD_LITERALS: &str = include_str!("../../../examples/errors/bad_literals.komo");

#[test]
fn valid_examples_parse_into_one_workflow_and_its_tests() {
    let expected_tests = [2, 2, 1, 2, 3, 1];
    for ((name, text), tests) in VALID.iter().zip(expected_tests) {
        let file = parse_ok(text);
        let flows = workflows(&file);
        assert_eq!(flows.len(), 1, "{name}");
        assert_eq!(flows[0].name.node, *name);
        assert_eq!(tests_of(&file).len(), tests, "{name}");
        assert!(flows[0].doc.is_some(), "{name} has a doc comment");
    }
}

#[test]
fn checker_error_examples_have_no_syntax_errors() {
    for text in CHECKER_ERRORS {
        let file = parse_ok(text);
        assert_eq!(workflows(&file).len(), 1);
    }
}

#[test]
fn bad_literals_reports_the_unit_and_keeps_the_workflow() {
    let found = codes_at(BAD_LITERALS);
    assert_eq!(found, vec![(Code::InvalidDuration, "y".to_owned())]);
    let file = parse(FileId(0), BAD_LITERALS).file;
    let flow = workflows(&file)[0];
    // The checker still sees all three statements (it reports lines 7 and 9).
    assert_eq!(flow.body.stmts.len(), 3);
    assert!(matches!(
        &flow.body.stmts[1].kind,
        StmtKind::Wait(Expr { kind: ExprKind::Duration(Duration { millis: 0 }), .. })
    ));
}

#[test]
fn a_two_line_doc_comment_is_joined() {
    let file = parse_ok(VALID[4].1);
    assert_eq!(
        workflows(&file)[0].doc.as_deref(),
        Some(
            "Welcome every new contact: a welcome email when we can reach them,\n\
             otherwise park them on a list for data clean-up. Everyone gets 50 points."
        )
    );
}

/// The tree without its byte offsets (`Expr`, `Stmt`… compare their spans too).
fn shape(file: &crate::syntax::ast::File) -> Vec<String> {
    format!("{file:#?}")
        .lines()
        .filter(|l| !l.trim_start().starts_with("start:") && !l.trim_start().starts_with("end:"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn crlf_and_a_byte_order_mark_change_nothing() {
    for (name, text) in VALID {
        let crlf = text.replace('\n', "\r\n");
        assert_eq!(shape(&parse_ok(&crlf)), shape(&parse_ok(text)), "{name}");
        let (decoded, problems) =
            crate::syntax::decode_source(FileId(0), format!("\u{FEFF}{crlf}").as_bytes());
        assert!(problems.is_empty());
        assert_eq!(shape(&parse_ok(&decoded)), shape(&parse_ok(text)), "{name}");
    }
}
