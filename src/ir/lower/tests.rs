//! Lowering reads the checker's typed program and nothing else: it never checks again,
//! and a type the checker did not record is an internal error (K0901), never `Json`.
//!
//! Checking once is also true by construction: the checker's only way out of
//! `crate::check` is its `Program` (no entry point returns types for one item), and
//! `lower_program` takes the already checked program.

use super::lower_program;
use crate::check::types::Type;
use crate::check::{ExprTypes, ItemId, ProgramTypes};
use crate::diagnostics::Code;
use crate::ir::Ty;
use crate::source::{FileId, SourceMap, Span};
use crate::syntax::ast::{ExprKind, Item, StmtKind};

const SOURCE: &str = r#"workflow w {
  scope workspace
  trigger Contact.Identified
  let greeting = "hi"
  contact.add_to_list(greeting)
}

test "t" {
  expect run succeeded
}
"#;

fn checked() -> crate::Checked {
    let mut sources = SourceMap::new();
    sources.add("w.komo", SOURCE);
    let checked = crate::check_sources(&sources);
    assert_eq!(checked.diagnostics, vec![], "the sample checks clean");
    checked
}

/// The workflow's item id, and the id and span of its `let` value.
fn let_value(checked: &crate::Checked) -> (ItemId, crate::syntax::ast::ExprNodeId, Span) {
    let (file, parsed) = &checked.files[0];
    let Item::Workflow(wf) = &parsed.items[0] else { panic!("a workflow first") };
    let StmtKind::Let { value, .. } = &wf.body.stmts[0].kind else { panic!("a let first") };
    assert!(matches!(value.kind, ExprKind::String(_)));
    (ItemId { file: *file, index: 0 }, value.id, value.span)
}

#[test]
fn lowering_uses_the_types_the_checker_recorded() {
    let mut checked = checked();
    let (item, id, span) = let_value(&checked);
    let program = lower_program(&checked).unwrap();
    let ty_at = |program: &crate::ir::Program| {
        program.workflows[0].exprs.iter().find(|e| e.span == span).map(|e| e.ty.clone())
    };
    assert_eq!(ty_at(&program), Some(Ty::String));

    // Change what the checker recorded: lowering shows the change, so it read the
    // record rather than checking the workflow again.
    let mut types = checked.program.types.item(item).cloned().unwrap();
    types.set(id, Type::Email);
    checked.program.types.insert(item, types);
    let program = lower_program(&checked).unwrap();
    assert_eq!(ty_at(&program), Some(Ty::Email));
}

#[test]
fn a_program_without_its_types_is_an_internal_error() {
    let mut checked = checked();
    checked.program.types = ProgramTypes::default();
    let errors = lower_program(&checked).unwrap_err();
    let found: Vec<(Code, String)> =
        errors.into_iter().map(|e| e.into_diagnostic()).map(|d| (d.code, d.message)).collect();
    assert_eq!(
        found,
        vec![
            (Code::Internal, "internal error: the checker recorded nothing for workflow `w`".to_string()),
            (Code::Internal, "internal error: the checker recorded nothing for test \"t\"".to_string()),
        ]
    );
}

#[test]
fn an_expression_without_a_type_is_an_internal_error_not_json() {
    let mut checked = checked();
    let (item, missing, span) = let_value(&checked);
    let mut types = ExprTypes::default();
    for (id, ty) in checked.program.types.item(item).unwrap().iter().filter(|(id, _)| *id != missing) {
        types.set(id, ty.clone());
    }
    checked.program.types.insert(item, types);
    let errors = lower_program(&checked).unwrap_err();
    let found: Vec<_> = errors.into_iter().map(|e| e.into_diagnostic()).collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].code, Code::Internal);
    assert_eq!(found[0].code.as_str(), "K0901");
    assert_eq!((found[0].file(), found[0].span()), (FileId(0), span));
    assert_eq!(found[0].message, "internal error: the checker recorded no type for this expression");
}
