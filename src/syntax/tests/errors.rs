//! Syntax errors: the right code, at the right place, in words; and recovery.

use super::*;
use crate::source::Span;

#[test]
fn unknown_duration_unit_points_at_the_unit() {
    let source = in_workflow("  wait 3y");
    let out = parse(FileId(0), &source);
    assert_eq!(out.diagnostics.len(), 1);
    let d = &out.diagnostics[0];
    assert_eq!(d.code, Code::InvalidDuration);
    assert_eq!(d.message, "unknown duration unit `y`");
    assert_eq!(&source[d.span().range()], "y");
    assert!(d.help.as_deref().is_some_and(|h| h.contains("`ms`, `s`, `m`, `h`, `d` and `w`")));
}

#[test]
fn durations_where_a_unit_is_missing_or_a_count_is_not_whole() {
    assert_eq!(
        codes_at(&in_workflow("  http.request(\"GET\", \"u\") timeout 30 retry 3s")),
        vec![(Code::InvalidDuration, "30".to_owned()), (Code::Syntax, "3s".to_owned())]
    );
    assert_eq!(codes_at(&in_workflow("  wait 1h30")), vec![(Code::InvalidDuration, "30".to_owned())]);
    assert_eq!(codes_at(&in_workflow("  wait 1.5h")), vec![(Code::InvalidDuration, "1.5h".to_owned())]);
}

#[test]
fn numbers_out_of_range() {
    assert_eq!(
        codes_at(&in_workflow("  loyalty.award_points(99999999999999999999)")),
        vec![(Code::NumberOutOfRange, "99999999999999999999".to_owned())]
    );
}

#[test]
fn unterminated_string_at_end_of_file_points_at_the_quote() {
    let source = "workflow w {\n  scope workspace\n  fail \"oops";
    let out = parse(FileId(0), source);
    assert_eq!(out.diagnostics.len(), 1, "{:#?}", out.diagnostics);
    let d = &out.diagnostics[0];
    assert_eq!(d.code, Code::UnterminatedString);
    let quote = source.find('"').unwrap_or(0);
    assert_eq!(d.span(), Span::new(quote, quote + 1));
    assert_eq!(d.primary.message, "this string is never closed");
    assert_eq!(d.help.as_deref(), Some("close it with `\"` on the same line"));
}

#[test]
fn unterminated_string_in_one_workflow_leaves_the_next_one() {
    let source = format!("{}{}", in_workflow("  contact.add_to_list(\"New Users)"), in_workflow("  stop"));
    let out = parse(FileId(0), &source);
    let found: Vec<(Code, &str)> =
        out.diagnostics.iter().map(|d| (d.code, &source[d.span().range()])).collect();
    assert_eq!(found, vec![(Code::UnterminatedString, "\"")]);
    assert_eq!(workflows(&out.file).len(), 1);
}

#[test]
fn an_interpolation_may_not_break_the_line() {
    assert_eq!(
        codes_at(&in_workflow("  fail \"a ${b\n  }\"")).first().map(|c| c.0),
        Some(Code::UnterminatedString)
    );
}

#[test]
fn invalid_escapes_are_reported_and_the_item_kept() {
    let source = in_workflow("  contact.add_to_list(\"VIP \\o/ \\u{D800} Club\")");
    let out = parse(FileId(0), &source);
    let found: Vec<(Code, &str)> =
        out.diagnostics.iter().map(|d| (d.code, &source[d.span().range()])).collect();
    assert_eq!(found, vec![(Code::InvalidEscape, "\\o"), (Code::InvalidEscape, "\\u{D800}")]);
    assert_eq!(out.diagnostics[0].message, "invalid escape `\\o` in a string");
    assert_eq!(workflows(&out.file).len(), 1);
}

#[test]
fn two_broken_workflows_give_two_diagnostics_and_the_good_one_parses() {
    let source = format!(
        "{}{}{}",
        in_workflow("  let = 50"),
        in_workflow("  contact.send_email(template: \"x\" to: y)"),
        in_workflow("  stop")
    );
    let out = parse(FileId(0), &source);
    let messages: Vec<(Code, &str, &str)> =
        out.diagnostics.iter().map(|d| (d.code, d.message.as_str(), &source[d.span().range()])).collect();
    assert_eq!(
        messages,
        vec![
            (Code::Syntax, "expected a name, found `=`", "="),
            (Code::Syntax, "expected `)` or `,`, found `to`", "to"),
        ]
    );
    assert_eq!(workflows(&out.file).len(), 1);
}

#[test]
fn expected_words_never_rule_names() {
    let cases = [
        ("  scope", "expected a scope (`workspace`, `hub \"…\"`, `card \"…\"`), found `}`"),
        ("  if x { stop } else stop", "expected `if` or `{`, found `stop`"),
        ("  foo.bar(1, ;)", "expected `)` or an argument, found `;`"),
        ("  step = foo.bar()", "expected a name, found `=`"),
        ("  let x = ", "expected an expression, found `}`"),
        ("  wait until", "expected an expression, found `}`"),
    ];
    for (body, message) in cases {
        let source = in_workflow(body);
        let found: Vec<String> = diagnostics(&source).into_iter().map(|d| d.message).collect();
        assert_eq!(found, vec![message.to_owned()], "{body}");
    }
    let source = "workflow w {\n  trigger {}\n}";
    let found: Vec<String> = diagnostics(source).into_iter().map(|d| d.message).collect();
    assert_eq!(found, vec!["expected a trigger name such as `Contact.Identified`, found `{`"]);
    let source = "test \"t\" {\n  expect run succeded\n}";
    let found: Vec<String> = diagnostics(source).into_iter().map(|d| d.message).collect();
    assert_eq!(
        found,
        vec![
            "expected `took`, `}`, a run outcome (`succeeded`, `failed`, `waiting`) or a test clause, found `succeded`"
        ]
    );
}

#[test]
fn unclosed_brace_at_end_of_file_names_the_workflow() {
    let source = "workflow w {\n  scope workspace\n  if x {\n    stop\n  }\n";
    let out = parse(FileId(0), source);
    assert_eq!(out.diagnostics.len(), 1);
    let d = &out.diagnostics[0];
    assert_eq!(d.code, Code::UnclosedDelimiter);
    assert_eq!(d.message, "expected `}` to close the workflow started here");
    assert_eq!(d.span(), Span::point(source.len()));
    assert_eq!(d.secondary[0].span, Span::new(11, 12));
    assert_eq!(d.secondary[0].message, "the workflow starts here");
}

#[test]
fn unclosed_blocks_are_named_by_what_opens_them() {
    let cases = [
        ("  if x {\n    stop", "the `if` block"),
        ("  if x { stop } else {", "the `else` block"),
        ("  foo.bar() on failure {", "the `on failure` block"),
        ("  let r = {", "the record"),
        ("  route r {", "the route"),
    ];
    for (body, noun) in cases {
        // The workflow itself is not closed either: the innermost bracket is reported.
        let source = format!("workflow w {{\n{body}\n");
        let found: Vec<String> = diagnostics(&source).into_iter().map(|d| d.message).collect();
        assert_eq!(found, vec![format!("expected `}}` to close {noun} started here")], "{body}");
    }
    let found: Vec<String> =
        diagnostics("test \"t\" {\n  expect run succeeded\n").into_iter().map(|d| d.message).collect();
    assert_eq!(found, vec!["expected `}` to close the test started here"]);
}

#[test]
fn a_missing_brace_before_the_next_workflow_is_found_there() {
    let source = "workflow a {\n  if x {\n    stop\n}\n\nworkflow b {\n  stop\n}\n";
    let out = parse(FileId(0), source);
    let found: Vec<(Code, &str)> =
        out.diagnostics.iter().map(|d| (d.code, &source[d.span().range()])).collect();
    assert_eq!(found, vec![(Code::UnclosedDelimiter, "workflow")]);
    assert_eq!(out.diagnostics[0].message, "expected `}` to close the workflow started here");
    let flows = workflows(&out.file);
    assert_eq!(flows.len(), 1);
    assert_eq!(flows[0].name.node, "b");
}

#[test]
fn mismatched_and_stray_brackets() {
    let source = in_workflow("  contact.update(add_tags: [\"fans\", \"newsletter\")");
    let out = parse(FileId(0), &source);
    assert_eq!(out.diagnostics.len(), 1);
    assert_eq!(out.diagnostics[0].message, "expected `]` to close the list, found `)`");
    assert_eq!(&source[out.diagnostics[0].span().range()], ")");
    assert_eq!(&source[out.diagnostics[0].secondary[0].span.range()], "[");

    let source = "workflow a { stop }\n}\nworkflow b { stop }";
    let out = parse(FileId(0), source);
    let found: Vec<(Code, &str)> = out.diagnostics.iter().map(|d| (d.code, d.message.as_str())).collect();
    assert_eq!(found, vec![(Code::UnclosedDelimiter, "unexpected `}`")]);
    assert_eq!(workflows(&out.file).len(), 2);
}

#[test]
fn stray_text_between_items() {
    let source = "worklfow a { stop }\nworkflow b { stop }\n";
    let out = parse(FileId(0), source);
    assert_eq!(out.diagnostics.len(), 1);
    let d = &out.diagnostics[0];
    assert_eq!(d.message, "expected `workflow` or `test`, found `worklfow`");
    assert_eq!(d.help.as_deref(), Some("did you mean `workflow`?"));
    assert_eq!(workflows(&out.file).len(), 1);
}

#[test]
fn header_clause_after_a_statement_is_misplaced_but_kept() {
    let source = in_workflow("  contact.add_to_list(\"New Users\")\n  title \"Welcome list\"");
    let out = parse(FileId(0), &source);
    let found: Vec<(Code, &str, &str)> =
        out.diagnostics.iter().map(|d| (d.code, d.message.as_str(), &source[d.span().range()])).collect();
    assert_eq!(
        found,
        vec![(Code::MisplacedItem, "`title` must come before the workflow's statements", "title")]
    );
    assert_eq!(&source[out.diagnostics[0].secondary[0].span.range()], "contact.add_to_list(\"New Users\")");
    assert_eq!(workflows(&out.file)[0].header.len(), 3);
}

#[test]
fn statements_after_a_route_are_misplaced_but_kept() {
    let source = in_workflow("  stop\n  route r {\n    stop\n  }\n  contact.add_to_list(\"x\")\n  stop");
    let out = parse(FileId(0), &source);
    let found: Vec<(Code, &str, &str)> =
        out.diagnostics.iter().map(|d| (d.code, d.message.as_str(), &source[d.span().range()])).collect();
    assert_eq!(
        found,
        vec![(
            Code::MisplacedItem,
            "statements after a route are not part of the main flow",
            "contact.add_to_list(\"x\")"
        )]
    );
    assert_eq!(&source[out.diagnostics[0].secondary[0].span.range()], "route r");
    let flow = workflows(&out.file)[0];
    assert_eq!(flow.body.stmts.len(), 3);
    assert_eq!(flow.routes.len(), 1);
}

#[test]
fn a_header_clause_after_a_route() {
    let source = "workflow w {\n  route r { stop }\n  trigger X.Y\n}";
    let messages: Vec<String> = diagnostics(source).into_iter().map(|d| d.message).collect();
    assert_eq!(messages, ["`trigger` must come before the workflow's routes"]);
}

#[test]
fn lexical_errors() {
    assert_eq!(
        codes_at("workflow w {\n  /* never closed\n  stop\n}\n"),
        vec![(Code::UnterminatedComment, "/*".to_owned())]
    );
    assert_eq!(codes_at("workflow w {\n  stop\u{0}\n}\n"), vec![(Code::InvalidEncoding, "\u{0}".to_owned())]);
    let d = diagnostics("workflow w {\n  stop\u{7}\n}\n");
    assert_eq!(d[0].message, "invalid character U+0007 in the source");
}

#[test]
fn not_plain_strings_where_plain_ones_are_needed() {
    let out = parse(FileId(0), "test \"a ${b}\" { }\nworkflow w { scope hub \"${x}\" }");
    let messages: Vec<&str> = out.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "a test name must be a plain string, without `${…}`",
            "a hub id must be a plain string, without `${…}`"
        ]
    );
    assert_eq!(out.file.items.len(), 2);
}

/// language.md §1.
const RESERVED: &str = "workflow scope trigger where title form step let if else wait until route on success \
    failure continue stop fail retry backoff timeout test expect mock event contact true false null and or not \
    in contains as";

#[test]
fn reserved_words_are_not_names_nor_namespaces() {
    for word in RESERVED.split_whitespace() {
        let found: Vec<String> =
            diagnostics(&in_workflow(&format!("  let {word} = 1"))).into_iter().map(|d| d.message).collect();
        assert_eq!(found, vec![format!("expected a name, found `{word}`")], "{word}");
        // Nor action namespaces, except `contact`.
        let action = parse(FileId(0), &in_workflow(&format!("  {word}.x()")));
        let is_action = workflows(&action.file)
            .first()
            .is_some_and(|w| w.body.stmts.iter().any(|s| matches!(s.kind, StmtKind::Action(_))));
        assert_eq!(is_action, word == "contact", "{word}");
    }
    // Words that only look like keywords are names.
    for word in ["fails", "format", "ifs", "stepper", "hub", "card", "run", "error", "ok", "kind", "List"] {
        assert!(diagnostics(&in_workflow(&format!("  let {word} = 1\n  {word}.x()"))).is_empty(), "{word}");
    }
}

#[test]
fn reserved_words_are_not_values() {
    let found: Vec<String> =
        diagnostics(&in_workflow("  let x = \n  stop")).into_iter().map(|d| d.message).collect();
    assert_eq!(found, ["expected an expression, found `stop`"]);
    assert_eq!(sexp(&expr("[true, false, null, event, contact]")), "[true false null event contact]");
}

#[test]
fn keyword_sets_read_as_what_they_start() {
    let found: Vec<String> =
        diagnostics(&in_workflow("  stop\n  @")).into_iter().map(|d| d.message).collect();
    assert_eq!(found, ["expected `route`, `}`, a statement or a header clause, found `@`"]);
    let found: Vec<String> =
        diagnostics(&in_workflow("  foo.bar() on fail")).into_iter().map(|d| d.message).collect();
    assert_eq!(found, ["expected `failure` or `success`, found `fail`"]);
    let found: Vec<String> =
        diagnostics("workflow w {\n  if x {\n    @\n  }\n}").into_iter().map(|d| d.message).collect();
    assert_eq!(found, ["expected `}` or a statement, found `@`"]);
    let found: Vec<String> =
        diagnostics(&in_workflow("  foo.bar() timeout 3s tim")).into_iter().map(|d| d.message).collect();
    assert_eq!(found, ["expected `route`, `}`, a statement, a header clause or a modifier, found `tim`"]);
}

#[test]
fn expect_event_needs_a_trigger_name() {
    let found = |clause: &str| -> Vec<String> {
        let source = format!("test \"t\" {{\n  {clause}\n}}");
        diagnostics(&source).into_iter().map(|d| d.message).collect()
    };
    // `expect no` could also be `expect <name>` then an `event { … }` clause.
    assert_eq!(
        found("expect no event"),
        ["expected `{` or a trigger name such as `Contact.Identified`, found `}`"]
    );
    // `expect event` alone is `expect <expression>` (the checker wants a Bool).
    assert!(found("expect event").is_empty());
    // A trigger name has a dot: `expect event` then a line break is `expect event`.
    assert_eq!(found("expect event\n  expect event Contact.ListAdded"), Vec::<String>::new());
    assert_eq!(found("expect event Contact.ListAdded where"), ["expected an expression, found `}`"]);
}
