//! Expressions: precedence, postfix chains, literals, strings.

use super::*;
use crate::source::Span;

#[test]
fn precedence_from_coalesce_down_to_postfix() {
    assert_eq!(
        sexp(&expr("a ?? b or c and not d == e + f * -g.h")),
        "(?? a (or b (and c (not (== d (+ e (* f (- (. g h)))))))))"
    );
}

#[test]
fn not_is_looser_than_comparisons_and_tighter_than_and() {
    assert_eq!(sexp(&expr("not a == b")), "(not (== a b))");
    assert_eq!(sexp(&expr("not a and b")), "(and (not a) b)");
    assert_eq!(sexp(&expr("not not a")), "(not (not a))");
}

#[test]
fn binary_operators_are_left_associative() {
    assert_eq!(sexp(&expr("a - b - c")), "(- (- a b) c)");
    assert_eq!(sexp(&expr("a / b % c * d")), "(* (% (/ a b) c) d)");
    assert_eq!(sexp(&expr("a ?? b ?? c")), "(?? (?? a b) c)");
    assert_eq!(sexp(&expr("-a * b")), "(* (- a) b)");
}

#[test]
fn membership_and_parentheses() {
    assert_eq!(sexp(&expr("\"x\" in contact.tags")), "(in (str \"x\") (. contact tags))");
    assert_eq!(sexp(&expr("card.name contains \"A\"")), "(contains (. card name) (str \"A\"))");
    assert_eq!(sexp(&expr("(a + b) * c")), "(* (paren (+ a b)) c)");
    assert_eq!(sexp(&expr("(event.score ?? 0) > 50")), "(> (paren (?? (. event score) 0)) 50)");
}

#[test]
fn postfix_chains_and_casts() {
    assert_eq!(sexp(&expr("a.b[0].c as List<Int>? ?? []")), "(?? (as (. ([] (. a b) 0) c) List<Int>?) [])");
    assert_eq!(sexp(&expr("x as Email ?? y")), "(?? (as x Email) y)");
    assert_eq!(
        sexp(&expr("x as { id: String, tags: List<String> }")),
        "(as x {id: String, tags: List<String>})"
    );
    assert_eq!(sexp(&expr("a + b as Int")), "(+ a (as b Int))");
}

#[test]
fn calls_names_and_contextual_words() {
    assert_eq!(sexp(&expr("lower(trim(x),)")), "(lower (trim x))");
    assert_eq!(sexp(&expr("now()")), "(now )");
    // `event` and `contact` are reserved but name values; `run`, `error`, `card`, `hub`
    // are ordinary names.
    assert_eq!(
        sexp(&expr("[event, contact, run.id, error.step, card, hub, ok, kind, no]")),
        "[event contact (. run id) (. error step) card hub ok kind no]"
    );
}

#[test]
fn number_literals() {
    assert_eq!(sexp(&expr("[42, 1_000, 4.5, 0]")), "[42 1000 4.5 0]");
    assert_eq!(sexp(&expr("1h30m")), "5400000ms");
    assert_eq!(sexp(&expr("[90s, 2d, 500ms, 1w]")), "[90000ms 172800000ms 500ms 604800000ms]");
}

#[test]
fn records_and_lists_allow_trailing_commas_and_quoted_keys() {
    let e = expr("{ name: \"Ana\", \"favourite team\": \"Reds\", step: 1, }");
    assert_eq!(sexp(&e), "{name: (str \"Ana\"), favourite team: (str \"Reds\"), step: 1}");
    let ExprKind::Record(fields) = &e.kind else { panic!("{e:?}") };
    let quoted: Vec<bool> = fields.iter().map(|f| f.quoted).collect();
    assert_eq!(quoted, vec![false, true, false]);
    assert_eq!(sexp(&expr("[1, 2,]")), "[1 2]");
    assert_eq!(sexp(&expr("[]")), "[]");
    assert_eq!(sexp(&expr("{}")), "{}");
}

#[test]
fn interpolation_nests_expressions_and_strings() {
    let text = "\"Hi ${contact.first_name ?? \"friend\"}, ${\"${a}\"}!\"";
    assert_eq!(
        sexp(&expr(text)),
        "(str \"Hi \" ${(?? (. contact first_name) (str \"friend\"))} \", \" ${(str ${a})} \"!\")"
    );
}

#[test]
fn escapes_are_decoded_and_a_lone_dollar_is_text() {
    let e = expr(r#""a\"b\\c\n\t\r\u{1F600} \${x} costs $5""#);
    let ExprKind::String(literal) = &e.kind else { panic!("{e:?}") };
    assert_eq!(literal.as_plain().as_deref(), Some("a\"b\\c\n\t\r😀 ${x} costs $5"));
}

#[test]
fn string_text_spans_cover_the_source_text() {
    let source = in_workflow("  let x = \"ab\\ncd${y}e\"");
    let file = parse_ok(&source);
    let StmtKind::Let { value, .. } = &workflows(&file)[0].body.stmts[0].kind else { panic!() };
    let ExprKind::String(literal) = &value.kind else { panic!() };
    let spans: Vec<&str> = literal
        .parts
        .iter()
        .map(|p| match p {
            StringPart::Text(t) => &source[t.span.range()],
            StringPart::Interp(e) => &source[e.span.range()],
        })
        .collect();
    assert_eq!(spans, vec!["ab\\ncd", "y", "e"]);
}

#[test]
fn expression_spans() {
    let source = in_workflow("  let x = a + b * c");
    let file = parse_ok(&source);
    let StmtKind::Let { value, .. } = &workflows(&file)[0].body.stmts[0].kind else { panic!() };
    assert_eq!(&source[value.span.range()], "a + b * c");
    let ExprKind::Binary { op, rhs, .. } = &value.kind else { panic!() };
    assert_eq!(&source[op.span.range()], "+");
    assert_eq!(&source[rhs.span.range()], "b * c");
}

#[test]
fn minus_does_not_swallow_an_arrow_on_the_next_line() {
    let file = parse_ok(&in_workflow("  let x = a\n  -> r\n  route r { stop }"));
    let flow = workflows(&file)[0];
    assert_eq!(flow.body.stmts.len(), 2);
    assert!(matches!(&flow.body.stmts[1].kind, StmtKind::Goto(r) if r.node == "r"));
    assert_eq!(sexp(&expr("a\n  - b")), "(- a b)");
}

#[test]
fn chained_comparisons_are_reported_and_the_first_kept() {
    let source = in_workflow("  if 50 <= score <= 100 { stop }");
    let out = parse(FileId(0), &source);
    let found: Vec<(Code, &str)> =
        out.diagnostics.iter().map(|d| (d.code, &source[d.span().range()])).collect();
    let second = source.rfind("<=").unwrap_or(0);
    assert_eq!(found, vec![(Code::ChainedComparison, "<=")]);
    assert_eq!(out.diagnostics[0].span(), Span::new(second, second + 2));
    let StmtKind::If { branches, .. } = &workflows(&out.file)[0].body.stmts[0].kind else { panic!() };
    assert_eq!(sexp(&branches[0].cond), "(<= 50 score)");
    assert_eq!(
        codes_at(&in_workflow("  let x = a in b contains c")),
        vec![(Code::ChainedComparison, "contains".to_owned())]
    );
}

/// The ids of every expression of each item of `text`, outer ones first.
fn ids(text: &str) -> Vec<Vec<u32>> {
    parse_ok(text)
        .items
        .iter()
        .map(|i| crate::syntax::visit::item_exprs(i).iter().map(|e| e.id.0).collect())
        .collect()
}

#[test]
fn expression_ids_are_numbered_per_item() {
    let workflow = in_workflow("  let x = (a + b) * \"${c}\"\n  if x > 1 { wait 1d }");
    let test = "test \"t\" {\n  event { id: \"e\" }\n  expect run succeeded\n}\n";
    let both = ids(&format!("{workflow}\n{test}"));
    // Unique within an item, and the same whether the item is parsed alone or with
    // others (the language server re-parses items one at a time).
    for item in &both {
        let mut sorted = item.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, (0..u32::try_from(item.len()).unwrap_or(0)).collect::<Vec<_>>());
    }
    assert_eq!(both, [ids(&workflow), ids(test)].concat());
    // Seven in the `let` (the `*` node and its six inner ones), four in the `if`.
    assert_eq!(both.iter().map(Vec::len).collect::<Vec<_>>(), [11, 2]);
}
