//! From file bytes to source text.
//!
//! In: the bytes of a `.komo` file. Out: its text (a byte-order mark removed, invalid
//! UTF-8 replaced by U+FFFD so that everything after it still lines up) and one K0007
//! per line that holds invalid bytes, pointing at the first of them in the returned text.

use crate::diagnostics::Diagnostic;
use crate::source::{FileId, Span};

use super::errors::SyntaxError;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Decodes a file's bytes: strips a byte-order mark; invalid UTF-8 is reported at its
/// position (K0007) and replaced.
pub fn decode_source(file: FileId, bytes: &[u8]) -> (String, Vec<Diagnostic>) {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (text.to_owned(), Vec::new());
    }
    let mut text = String::with_capacity(bytes.len() + 16);
    let mut diagnostics = Vec::new();
    let mut last_reported_line = None;
    let mut newlines = 0usize;
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        newlines += valid.bytes().filter(|&b| b == b'\n').count();
        text.push_str(valid);
        if chunk.invalid().is_empty() {
            continue;
        }
        let at = text.len();
        text.push(char::REPLACEMENT_CHARACTER);
        if last_reported_line != Some(newlines) {
            last_reported_line = Some(newlines);
            let error = SyntaxError::InvalidUtf8 { at: Span::new(at, text.len()) };
            diagnostics.push(error.into_diagnostic(file));
        }
    }
    (text, diagnostics)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Code;

    #[test]
    fn strips_a_byte_order_mark() {
        let (text, diagnostics) = decode_source(FileId(0), b"\xEF\xBB\xBFworkflow");
        assert_eq!(text, "workflow");
        assert!(diagnostics.is_empty());
    }

    #[test]
    fn invalid_bytes_are_reported_where_they_are() {
        let (text, diagnostics) = decode_source(FileId(3), b"ab\xFFcd\n\xC3x\xFF");
        assert_eq!(text, "ab\u{FFFD}cd\n\u{FFFD}x\u{FFFD}");
        // One per line.
        let spans: Vec<_> = diagnostics.iter().map(|d| (d.code, d.span())).collect();
        assert_eq!(
            spans,
            vec![(Code::InvalidEncoding, Span::new(2, 5)), (Code::InvalidEncoding, Span::new(8, 11)),]
        );
        assert_eq!(diagnostics.first().map(|d| d.message.as_str()), Some("invalid UTF-8 in the source"));
    }
}
