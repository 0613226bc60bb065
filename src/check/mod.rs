//! The checker: AST in, diagnostics and a resolved [`Program`] out.

pub mod catalog;
pub mod types;

use crate::diagnostics::Diagnostic;
use crate::source::FileId;
use crate::syntax::ast;

/// What the checker learned about the project, for lowering to IR.
#[derive(Debug, Default)]
pub struct Program {}

#[derive(Debug, Default)]
pub struct CheckOutput {
    pub program: Program,
    pub diagnostics: Vec<Diagnostic>,
}

/// Checks every file together.
pub fn check(_files: &[(FileId, ast::File)]) -> CheckOutput {
    CheckOutput::default()
}
