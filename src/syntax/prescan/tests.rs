use super::*;
use crate::syntax::errors::MAX_FILE_BYTES;

fn items(text: &str) -> Vec<(ItemKind, &str, bool)> {
    prescan(text, MAX_FILE_BYTES)
        .items
        .iter()
        .map(|i| (i.kind, text.get(i.start..i.end).unwrap_or("?"), i.blocked))
        .collect()
}

fn errors(text: &str) -> Vec<(String, &str)> {
    prescan(text, MAX_FILE_BYTES)
        .errors
        .iter()
        .map(|e| {
            let message = e.clone().into_diagnostic(crate::source::FileId(0)).message;
            (message, text.get(e.span().range()).unwrap_or("?"))
        })
        .collect()
}

#[test]
fn items_run_from_their_keyword_to_their_closing_brace() {
    let text = "/// doc\nworkflow a { if x { stop } }\n// between\n/* and */ test \"t\" { workflow a }\n";
    assert_eq!(
        items(text),
        vec![
            (ItemKind::Workflow, "workflow a { if x { stop } }", false),
            (ItemKind::Test, "test \"t\" { workflow a }", false),
        ]
    );
    assert!(errors(text).is_empty());
}

#[test]
fn braces_in_strings_and_comments_do_not_count() {
    let text = "workflow a { fail \"} { ${ \"}\" }\" // }\n /* } */ }\nworkflow b { }";
    let found = items(text);
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].1, "workflow a { fail \"} { ${ \"}\" }\" // }\n /* } */ }");
    assert!(errors(text).is_empty());
}

#[test]
fn an_item_without_a_body_ends_where_the_next_starts() {
    let text = "workflow a\nworkflow b { }";
    assert_eq!(
        items(text),
        vec![(ItemKind::Workflow, "workflow a\n", false), (ItemKind::Workflow, "workflow b { }", false)]
    );
}

#[test]
fn stray_text_is_reported_once_per_run() {
    let text = "foo bar { baz }\nworkflow a { }\n42";
    assert_eq!(
        errors(text),
        vec![
            ("expected `workflow` or `test`, found `foo`".to_owned(), "foo"),
            ("expected `workflow` or `test`, found `42`".to_owned(), "42"),
        ]
    );
    assert_eq!(items(text).len(), 1);
}

#[test]
fn lexical_errors_block_only_their_item() {
    let text = "workflow a { fail \"x }\nworkflow b { stop }";
    assert_eq!(
        items(text),
        vec![
            (ItemKind::Workflow, "workflow a { fail \"x }\n", true),
            (ItemKind::Workflow, "workflow b { stop }", false),
        ]
    );
    // The brace left open by the broken string is not reported as well.
    assert_eq!(errors(text), vec![("unterminated string".to_owned(), "\"")]);
}

#[test]
fn a_workflow_clause_inside_a_test_is_not_a_new_item() {
    let text = "test \"t\" {\n  workflow a\n  expect run succeeded\n}";
    assert_eq!(items(text).len(), 1);
    // But `workflow name {` inside an open brace is: the brace before was not closed.
    let text = "test \"t\" {\n  expect run succeeded\nworkflow a {\n}";
    let found = items(text);
    assert_eq!(found.len(), 2);
    assert!(found[0].2);
    assert_eq!(errors(text), vec![("expected `}` to close the test started here".to_owned(), "workflow")]);
}

#[test]
fn brackets_are_named_by_what_comes_before() {
    let cases = [
        ("workflow w { f(", "expected `)` to close the argument list started here"),
        ("workflow w { let x = (", "expected `)` to close the parentheses started here"),
        ("workflow w { let x = [", "expected `]` to close the list started here"),
        ("workflow w { let x = y[", "expected `]` to close the index started here"),
        ("workflow w { form {", "expected `}` to close the form started here"),
        ("workflow w { if a and b {", "expected `}` to close the `if` block started here"),
        ("workflow w { let x = \"${", "unterminated string"),
    ];
    for (text, message) in cases {
        let found: Vec<String> = errors(text).into_iter().map(|(m, _)| m).collect();
        assert_eq!(found, vec![message.to_owned()], "{text}");
    }
}

#[test]
fn comments_are_recorded_without_their_line_break() {
    let text = "// one\r\nworkflow a { /* two */ }";
    let comments: Vec<&str> =
        prescan(text, MAX_FILE_BYTES).comments.iter().map(|&(s, e)| &text[s..e]).collect();
    assert_eq!(comments, ["// one", "/* two */"]);
}

#[test]
fn replacement_characters_outside_strings_are_invalid_utf8() {
    assert_eq!(
        errors("workflow a { \u{FFFD} }"),
        vec![("invalid UTF-8 in the source".to_owned(), "\u{FFFD}")]
    );
    assert!(errors("workflow a { fail \"\u{FFFD}\" }").is_empty());
}

#[test]
fn list_type_runs_count_as_nesting() {
    let deep = format!("workflow a {{ let x = y as {}Int{} }}", "List<".repeat(64), ">".repeat(64));
    assert_eq!(errors(&deep), vec![("brackets nested more than 64 levels deep".to_owned(), "<")]);
    let fine = format!("workflow a {{ let x = y as {}Int{} }}", "List<".repeat(63), ">".repeat(63));
    assert!(errors(&fine).is_empty());
    // `<` after anything else is a comparison.
    assert!(errors(&format!("workflow a {{ let x = {} }}", "a < b and ".repeat(100) + "c")).is_empty());
}

#[test]
fn a_leading_byte_order_mark_is_ignored() {
    let text = "\u{FEFF}workflow a { }";
    assert_eq!(items(text), vec![(ItemKind::Workflow, "workflow a { }", false)]);
    assert!(errors(text).is_empty());
}
