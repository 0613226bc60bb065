//! Positions as LSP counts them.
//!
//! In: a document's text and byte offsets (the spans of the AST and of diagnostics), or
//! LSP positions (0-based line, column in UTF-16 code units). Out: the other one, and
//! the text after an incremental edit. A line ends at `\n` (a `\r` before it belongs to
//! the line break); a position past a line's end is clamped to that end, and one past
//! the last line to the end of the text, as the LSP specification asks.

use tower_lsp_server::ls_types::{Position, Range};

use crate::source::Span;

/// Where each line of a text starts, for converting between bytes and LSP positions.
#[derive(Clone, Debug, Default)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        line_starts.extend(text.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));
        LineIndex { line_starts, len: text.len() }
    }

    /// The LSP position of byte `offset` (clamped to the text, rounded down to a char).
    pub fn position(&self, text: &str, offset: usize) -> Position {
        let mut offset = offset.min(self.len).min(text.len());
        while offset > 0 && !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        };
        let start = self.line_starts.get(line).copied().unwrap_or(0).min(offset);
        let column: usize = text.get(start..offset).map_or(0, |s| s.chars().map(char::len_utf16).sum());
        Position::new(to_u32(line), to_u32(column))
    }

    pub fn range(&self, text: &str, span: Span) -> Range {
        Range::new(self.position(text, span.start as usize), self.position(text, span.end as usize))
    }

    /// The byte offset of an LSP position, clamped to its line and to the text.
    pub fn offset(&self, text: &str, position: Position) -> usize {
        let Some(&start) = self.line_starts.get(position.line as usize) else { return text.len() };
        let end = self.line_starts.get(position.line as usize + 1).map_or(text.len(), |next| next - 1);
        let line = text.get(start..end).unwrap_or("");
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut units = 0usize;
        for (at, c) in line.char_indices() {
            if units >= position.character as usize {
                return start + at;
            }
            units += c.len_utf16();
        }
        start + line.len()
    }

    /// The byte range of an LSP range (start and end ordered).
    pub fn span(&self, text: &str, range: Range) -> Span {
        let a = self.offset(text, range.start);
        let b = self.offset(text, range.end);
        Span::new(a.min(b), a.max(b))
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Replaces the text of `range` (LSP positions in `text`) by `new_text`.
pub fn apply_change(text: &mut String, index: &LineIndex, range: Range, new_text: &str) {
    let span = index.span(text, range);
    text.replace_range(span.range(), new_text);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_utf16_units() {
        // 😀 is 4 bytes and 2 UTF-16 units; 日 is 3 bytes and 1 unit.
        let text = "a😀日x\r\nnext\n";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap();
        assert_eq!(index.position(text, x), Position::new(0, 4));
        assert_eq!(index.offset(text, Position::new(0, 4)), x);
        let next = text.find("next").unwrap();
        assert_eq!(index.position(text, next), Position::new(1, 0));
        assert_eq!(index.offset(text, Position::new(1, 2)), next + 2);
        // Past the line's end: before the `\r\n`; past the last line: the end.
        assert_eq!(index.offset(text, Position::new(0, 99)), x + 1);
        assert_eq!(index.offset(text, Position::new(9, 0)), text.len());
        assert_eq!(index.position(text, text.len()), Position::new(2, 0));
    }

    #[test]
    fn offsets_inside_a_char_round_down_and_positions_inside_a_pair_round_up() {
        let text = "😀x";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, 2), Position::new(0, 0));
        // Column 1 is inside the surrogate pair: the next char boundary.
        assert_eq!(index.offset(text, Position::new(0, 1)), 4);
    }

    #[test]
    fn incremental_edits_apply_in_utf16() {
        let mut text = String::from("let 名前 = \"😀\"\nstop\n");
        let index = LineIndex::new(&text);
        // Replace `stop` (line 1) and then the emoji's closing quote on line 0.
        apply_change(&mut text, &index, Range::new(Position::new(1, 0), Position::new(1, 4)), "fail \"x\"");
        let index = LineIndex::new(&text);
        apply_change(&mut text, &index, Range::new(Position::new(0, 10), Position::new(0, 12)), "🎉");
        assert_eq!(text, "let 名前 = \"🎉\"\nfail \"x\"\n");
    }
}
