//! Limits: nesting, expression depth, file size. Nothing may overflow the stack.

use super::*;
use crate::source::Span;

#[test]
fn twenty_thousand_parentheses_give_one_nesting_error() {
    let prefix = "workflow w {\n  let x = ";
    let source = format!("{prefix}{}1{}\n}}\n", "(".repeat(20_000), ")".repeat(20_000));
    let out = parse(FileId(0), &source);
    assert_eq!(out.diagnostics.len(), 1);
    let d = &out.diagnostics[0];
    assert_eq!(d.code, Code::NestingTooDeep);
    // The workflow's brace is level 1; the 64th `(` is level 65.
    let at = prefix.len() + 63;
    assert_eq!(d.span(), Span::new(at, at + 1));
    assert!(out.file.items.is_empty());
}

#[test]
fn sixty_three_brackets_inside_a_workflow_still_parse() {
    let deep = format!("{}1{}", "(".repeat(40), ")".repeat(40));
    let deep = format!("{}{deep}{}", "[{a: ".repeat(11), "}]".repeat(11));
    let file = parse_ok(&in_workflow(&format!("  let x = {deep}")));
    assert_eq!(workflows(&file).len(), 1);
    let interpolations = format!("{}x{}", "\"${".repeat(63), "}\"".repeat(63));
    let file = parse_ok(&in_workflow(&format!("  let x = {interpolations}")));
    assert_eq!(workflows(&file).len(), 1);
}

#[test]
fn deep_interpolations_and_lists_of_lists_are_refused() {
    let interpolations = format!("{}x{}", "\"${".repeat(100), "}\"".repeat(100));
    assert_eq!(
        codes_at(&in_workflow(&format!("  let x = {interpolations}"))),
        vec![(Code::NestingTooDeep, "${".to_owned())]
    );
    let types = format!("{}Int{}", "List<".repeat(10_000), ">".repeat(10_000));
    assert_eq!(
        codes_at(&in_workflow(&format!("  let x = y as {types}"))),
        vec![(Code::NestingTooDeep, "<".to_owned())]
    );
}

#[test]
fn two_hundred_thousand_prefix_operators_are_refused() {
    for op in ["not ", "- ", "-"] {
        let source = in_workflow(&format!("  let x = {}a", op.repeat(200_000)));
        let out = parse(FileId(0), &source);
        let found: Vec<Code> = out.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(found, vec![Code::NestingTooDeep], "{op:?}");
        assert_eq!(out.diagnostics[0].message, "expression nested too deeply");
    }
}

#[test]
fn long_operator_chains_are_bounded_too() {
    let ok = vec!["a"; 200].join(" + ");
    assert!(diagnostics(&in_workflow(&format!("  let x = {ok}"))).is_empty());
    let too_long = vec!["a"; 100_000].join(" + ");
    let found: Vec<Code> =
        diagnostics(&in_workflow(&format!("  let x = {too_long}"))).iter().map(|d| d.code).collect();
    assert_eq!(found, vec![Code::NestingTooDeep]);
    let alternating = vec!["a"; 5_000].join(" + not ");
    let found: Vec<Code> =
        diagnostics(&in_workflow(&format!("  let x = {alternating}"))).iter().map(|d| d.code).collect();
    assert_eq!(found, vec![Code::NestingTooDeep]);
}

#[test]
fn files_over_one_mebibyte_are_refused_at_the_start() {
    let source = format!("// {}\n", "x".repeat(1024 * 1024));
    let out = parse(FileId(0), &source);
    assert_eq!(out.diagnostics.len(), 1);
    assert_eq!(out.diagnostics[0].code, Code::FileTooLarge);
    assert_eq!(out.diagnostics[0].span(), Span::point(0));
}

#[test]
fn a_long_single_line_parses() {
    let items: Vec<String> = (0..60_000).map(|i| format!("\"item-{i}\"")).collect();
    let source = format!("workflow w {{ let x = [{}] }}", items.join(", "));
    assert!(source.len() < 1024 * 1024);
    let file = parse_ok(&source);
    let StmtKind::Let { value, .. } = &workflows(&file)[0].body.stmts[0].kind else { panic!() };
    assert!(matches!(&value.kind, ExprKind::List(items) if items.len() == 60_000));
    let statements = "stop ".repeat(150_000);
    let file = parse_ok(&format!("workflow w {{ {statements} }}"));
    assert_eq!(workflows(&file)[0].body.stmts.len(), 150_000);
}
