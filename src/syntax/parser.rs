//! Placeholder until the pest parser lands.

use super::ast;
use crate::diagnostics::Diagnostic;
use crate::source::FileId;

/// The AST of one file (as much as could be recovered) and its syntax diagnostics.
#[derive(Debug, Default)]
pub struct ParseOutput {
    pub file: ast::File,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses one file's text.
pub fn parse(_file: FileId, _text: &str) -> ParseOutput {
    ParseOutput::default()
}

/// Decodes a file's bytes: strips a byte-order mark; invalid UTF-8 is reported at its
/// byte offset (K0007) and replaced.
pub fn decode_source(_file: FileId, bytes: &[u8]) -> (String, Vec<Diagnostic>) {
    (String::from_utf8_lossy(bytes).into_owned(), Vec::new())
}
