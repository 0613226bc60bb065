//! Source text and positions.
//!
//! In: the bytes of `.komo` files. Out: [`Span`]s (byte ranges) that every AST node and
//! diagnostic carries, and a [`SourceMap`] that turns them into 1-based lines and
//! columns (columns count Unicode scalar values, as `komo check --format json` promises).

use serde::{Deserialize, Serialize};

/// A byte range `start..end` in one source file.
///
/// Spans never take part in AST equality: nodes compare their contents only, so
/// structural tests stay readable.
#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start: clamp_u32(start), end: clamp_u32(end.max(start)) }
    }

    /// An empty span at `at`.
    pub fn point(at: usize) -> Span {
        Span::new(at, at)
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    /// Moves the span by `offset` bytes (used when a part of a file is parsed alone).
    pub fn shifted(self, offset: usize) -> Span {
        Span::new(self.start as usize + offset, self.end as usize + offset)
    }
}

fn clamp_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, Default, Hash, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FileId(pub u32);

/// One source file: its display name, its text and where its lines start.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

/// A 1-based line and column; the column counts Unicode scalar values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> SourceFile {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile { name: name.into(), text, line_starts }
    }

    /// The 0-based line that holds byte `offset` (clamped to the text).
    pub fn line_index(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        }
    }

    /// Byte offset where 0-based `line` starts.
    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts.get(line).copied().unwrap_or(self.text.len())
    }

    /// The 1-based line and column of byte `offset`.
    pub fn line_col(&self, offset: usize) -> LineCol {
        let offset = self.floor_char_boundary(offset);
        let line = self.line_index(offset);
        let start = self.line_start(line).min(offset);
        let column = self.text.get(start..offset).map_or(0, |s| s.chars().count()) + 1;
        LineCol { line: line + 1, column }
    }

    /// The largest char boundary at or before `offset`.
    pub fn floor_char_boundary(&self, offset: usize) -> usize {
        let mut at = offset.min(self.text.len());
        while at > 0 && !self.text.is_char_boundary(at) {
            at -= 1;
        }
        at
    }

    /// The text a span covers (empty if the span is out of range).
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

/// Every file of a check, addressed by [`FileId`].
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn new() -> SourceMap {
        SourceMap::default()
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files.push(SourceFile::new(name, text));
        FileId(clamp_u32(self.files.len() - 1))
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(clamp_u32(i)), f))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_count_scalar_values() {
        let f = SourceFile::new("a.komo", "ab\n😀é x\r\nlast");
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        // "😀" is 4 bytes and "é" 2, but each is one column.
        let x = f.text.find('x').unwrap_or(0);
        assert_eq!(f.line_col(x), LineCol { line: 2, column: 4 });
        let last = f.text.find("last").unwrap_or(0);
        assert_eq!(f.line_col(last), LineCol { line: 3, column: 1 });
        assert_eq!(f.line_col(10_000), LineCol { line: 3, column: 5 });
    }

    #[test]
    fn offsets_inside_a_char_round_down() {
        let f = SourceFile::new("a.komo", "😀x");
        assert_eq!(f.line_col(2), LineCol { line: 1, column: 1 });
    }
}
