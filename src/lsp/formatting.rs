//! `textDocument/formatting`: the whole document in `komo fmt`'s layout.
//!
//! In: an open document. Out: one edit replacing its whole text with
//! [`crate::fmt::format_source`]'s result; none when it is formatted already, and none
//! when it has syntax errors (the formatter never touches such a file; the diagnostics
//! already say what is wrong).

use tower_lsp_server::ls_types::{Position, Range, TextEdit, Uri};

use super::documents::Documents;

pub fn format(docs: &Documents, uri: &Uri) -> Option<Vec<TextEdit>> {
    let (_, doc) = docs.doc(uri)?;
    let formatted = crate::fmt::format_source(&doc.text).ok()?;
    if formatted == doc.text {
        return Some(Vec::new());
    }
    let end = doc.position(doc.text.len());
    Some(vec![TextEdit { range: Range { start: Position::new(0, 0), end }, new_text: formatted }])
}
