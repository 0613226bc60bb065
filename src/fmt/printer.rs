//! The formatter's output buffer: text, line breaks placed lazily, and the source's
//! comments put back where they were.
//!
//! In: the source text and its comments (from the parser). Out: the formatted text.
//!
//! The layout code ([`super::items`], [`super::exprs`]) walks the AST in source order
//! and emits each token with [`Printer::token`] and its position in the source. Before a
//! token is written, every comment that starts before it in the source is placed:
//!
//! - an *own-line* comment (only blanks before it on its source line) goes on its own
//!   line, at the indentation of the next line break, keeping one blank line above it
//!   when the source had one and the place allows blank lines;
//! - a *trailing* comment (code before it on its source line) goes at the end of the
//!   output line written so far; a line comment (or a block comment that ended its
//!   source line) then forces a line break before the next token.
//!
//! Line breaks asked for with [`Printer::brk`] are pending until the next text is
//! written, so that a trailing comment found in between still lands on the line it
//! trailed. Comments are never dropped: each is written exactly once, in source order,
//! before the first token that followed it in the source (or at the end of the file).

use crate::source::Span;

/// The widest line the formatter aims for (a longer one is left only where nothing
/// can break: a long string, name or operator chain).
pub const MAX_WIDTH: usize = 100;

/// One level of indentation.
const INDENT: &str = "  ";

/// Whether a blank line may go above the first thing placed at a line break.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Blank {
    /// Never (after an opening brace, inside lists).
    Never,
    /// When the source had one (between statements, clauses and comments).
    Keep,
    /// Always (between items, before a route, between the header and the body).
    Always,
}

/// A line break not written yet.
#[derive(Clone, Copy, Debug)]
struct Break {
    indent: usize,
    /// For the first thing placed at this break.
    first: Blank,
    /// Whether blank lines from the source are kept between the comments (and the token)
    /// placed at this break.
    blanks: bool,
}

/// A point to come back to when a layout is tried and does not fit.
#[derive(Clone, Copy, Debug)]
pub(super) struct Mark {
    len: usize,
    line_start: usize,
    next: usize,
    pending: Option<Break>,
    indent: usize,
    flat: bool,
    docs: usize,
}

pub(super) struct Printer<'s> {
    src: &'s str,
    /// Every comment, in source order.
    comments: &'s [Span],
    /// The first comment not written yet.
    next: usize,
    out: String,
    /// Where the current output line starts in `out`.
    line_start: usize,
    /// The indentation level of the construct being written; a line broken inside it
    /// (by a comment) continues one level deeper.
    pub(super) indent: usize,
    /// Inside a one-line attempt: lists are written on one line without trying other
    /// layouts (so nested lists are laid out in linear time).
    pub(super) flat: bool,
    pending: Option<Break>,
    /// Where each node that may have a doc comment starts in `out`, and its doc.
    docs: Vec<(usize, Option<String>)>,
}

/// The formatted text, and where its doc-commented nodes start (for the self-check).
pub(super) struct Printed {
    pub text: String,
    pub docs: Vec<(usize, Option<String>)>,
}

impl<'s> Printer<'s> {
    pub(super) fn new(src: &'s str, comments: &'s [Span]) -> Printer<'s> {
        Printer {
            src,
            comments,
            next: 0,
            out: String::with_capacity(src.len() + src.len() / 8 + 16),
            line_start: 0,
            indent: 0,
            flat: false,
            pending: None,
            docs: Vec::new(),
        }
    }

    /// Places the comments after the last item and ends the text with one line break
    /// (an empty file stays empty).
    pub(super) fn finish(mut self) -> Printed {
        self.pending = Some(Break { indent: 0, first: Blank::Keep, blanks: true });
        self.flush_comments(usize::MAX);
        self.trim_trailing_spaces();
        if !self.out.is_empty() {
            self.out.push('\n');
        }
        Printed { text: self.out, docs: self.docs }
    }

    pub(super) fn source(&self, span: Span) -> &'s str {
        self.src.get(span.start as usize..span.end as usize).unwrap_or("")
    }

    // ----- writing

    /// Writes text that has no position of its own (keywords the AST does not locate,
    /// punctuation, spaces).
    pub(super) fn text(&mut self, text: &str) {
        self.materialize(None, false);
        self.out.push_str(text);
    }

    /// One space, unless a line break is pending (it replaces the space).
    pub(super) fn space(&mut self) {
        if self.pending.is_none() {
            self.out.push(' ');
        }
    }

    /// Writes the token found at `pos` in the source, after the comments before it.
    pub(super) fn token(&mut self, pos: usize, text: &str) {
        self.flush_comments(pos);
        self.materialize(Some(pos), false);
        self.out.push_str(text);
    }

    /// Starts a node (workflow, route, statement, test) found at `pos` whose doc
    /// comment is `doc`: places the comments before it and the pending line break, and
    /// notes where it starts.
    pub(super) fn start_node(&mut self, pos: usize, doc: &Option<String>) {
        self.flush_comments(pos);
        self.materialize(Some(pos), false);
        self.docs.push((self.out.len(), doc.clone()));
    }

    /// Like [`Printer::token`], for a closing bracket: no blank line right above it.
    pub(super) fn close(&mut self, pos: usize, text: &str) {
        self.flush_comments(pos);
        self.materialize(Some(pos), true);
        self.out.push_str(text);
    }

    /// Writes a string literal (or any token) exactly as in the source, comments inside
    /// its `${…}` included.
    pub(super) fn verbatim(&mut self, span: Span) {
        let start = span.start as usize;
        let end = span.end as usize;
        self.token(start, self.source(span));
        while self.comments.get(self.next).is_some_and(|c| (c.start as usize) < end) {
            self.next += 1;
        }
    }

    /// Places the comments that start before `pos` now (before a layout is tried, so
    /// that the try measures its own text only).
    pub(super) fn flush_before(&mut self, pos: usize) {
        self.flush_comments(pos);
    }

    /// Asks for a line break before the next thing written.
    pub(super) fn brk(&mut self, indent: usize, first: Blank, blanks: bool) {
        self.pending = Some(Break { indent, first, blanks });
    }

    // ----- trying layouts

    pub(super) fn mark(&self) -> Mark {
        Mark {
            len: self.out.len(),
            line_start: self.line_start,
            next: self.next,
            pending: self.pending,
            indent: self.indent,
            flat: self.flat,
            docs: self.docs.len(),
        }
    }

    pub(super) fn rewind(&mut self, mark: Mark) {
        self.out.truncate(mark.len);
        self.line_start = mark.line_start;
        self.next = mark.next;
        self.pending = mark.pending;
        self.indent = mark.indent;
        self.flat = mark.flat;
        self.docs.truncate(mark.docs);
    }

    /// Whether the first line written since `mark`, plus `trail` more columns if it is
    /// still the current line, fits in [`MAX_WIDTH`].
    pub(super) fn fits_since(&self, mark: Mark, trail: usize) -> bool {
        let written = self.out.get(mark.len..).unwrap_or("");
        let (start, rest) = if mark.pending.is_some() {
            let skipped = written.len() - written.trim_start_matches('\n').len();
            (mark.len + skipped, written.get(skipped..).unwrap_or(""))
        } else {
            (mark.line_start, written)
        };
        let (end, trail) = match rest.find('\n') {
            Some(at) => (self.out.len() - rest.len() + at, 0),
            None => (self.out.len(), trail),
        };
        let line = self.out.get(start..end).unwrap_or("");
        width(line) + trail <= MAX_WIDTH
    }

    /// Whether a line break was written since `mark` (beyond the pending one).
    pub(super) fn broke_since(&self, mark: Mark) -> bool {
        let written = self.out.get(mark.len..).unwrap_or("");
        let written = if mark.pending.is_some() { written.trim_start_matches('\n') } else { written };
        written.contains('\n')
    }

    // ----- source facts

    /// Whether a comment starts in `from..to`.
    pub(super) fn has_comments(&self, from: usize, to: usize) -> bool {
        let first = self.comments.partition_point(|c| (c.start as usize) < from);
        self.comments.get(first).is_some_and(|c| (c.start as usize) < to)
    }

    /// Where the next token starts at or after `from` (past blanks and comments).
    pub(super) fn next_token(&self, from: usize) -> usize {
        let bytes = self.src.as_bytes();
        let mut pos = from;
        while let Some(&b) = bytes.get(pos) {
            match b {
                b' ' | b'\t' | b'\r' | b'\n' => pos += 1,
                b'/' if bytes.get(pos + 1) == Some(&b'/') => {
                    let rest = bytes.get(pos..).unwrap_or(&[]);
                    pos += rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
                }
                b'/' if bytes.get(pos + 1) == Some(&b'*') => {
                    let body = self.src.get(pos + 2..).unwrap_or("");
                    pos = body.find("*/").map_or(self.src.len(), |at| pos + 2 + at + 2);
                }
                _ => break,
            }
        }
        pos
    }

    /// Whether the source has a blank line right above `pos` (ignoring blanks).
    fn blank_before(&self, pos: usize) -> bool {
        let before = self.src.as_bytes().get(..pos).unwrap_or(&[]);
        let mut newlines = 0;
        for &b in before.iter().rev() {
            match b {
                b'\n' => newlines += 1,
                b' ' | b'\t' | b'\r' => {}
                _ => break,
            }
        }
        newlines >= 2
    }

    /// Whether only blanks (or a byte-order mark) come before `pos` on its source line.
    fn starts_line(&self, pos: usize) -> bool {
        let before = self.src.get(..pos).unwrap_or("");
        let line = before.rfind('\n').map_or(before, |at| before.get(at + 1..).unwrap_or(""));
        line.chars().all(|c| matches!(c, ' ' | '\t' | '\r' | '\u{feff}'))
    }

    /// Whether only blanks follow `pos` on its source line.
    fn ends_line(&self, pos: usize) -> bool {
        let after = self.src.get(pos..).unwrap_or("");
        let line = after.find('\n').map_or(after, |at| after.get(..at).unwrap_or(""));
        line.bytes().all(|b| matches!(b, b' ' | b'\t' | b'\r'))
    }

    // ----- internals

    /// Writes the pending line break, if any.
    fn materialize(&mut self, pos: Option<usize>, closing: bool) {
        let Some(brk) = self.pending.take() else {
            return;
        };
        self.trim_trailing_spaces();
        if !self.out.is_empty() {
            let blank = !closing
                && match brk.first {
                    Blank::Never => false,
                    Blank::Always => true,
                    Blank::Keep => brk.blanks && pos.is_some_and(|p| self.blank_before(p)),
                };
            self.out.push('\n');
            if blank {
                self.out.push('\n');
            }
        }
        self.line_start = self.out.len();
        for _ in 0..brk.indent {
            self.out.push_str(INDENT);
        }
    }

    fn trim_trailing_spaces(&mut self) {
        let kept = self.out.trim_end_matches(' ').len().max(self.line_start);
        self.out.truncate(kept);
    }

    /// Places every comment that starts before `pos`.
    fn flush_comments(&mut self, pos: usize) {
        while let Some(&comment) = self.comments.get(self.next) {
            if comment.start as usize >= pos {
                break;
            }
            self.next += 1;
            self.place_comment(comment);
        }
    }

    fn place_comment(&mut self, comment: Span) {
        let start = comment.start as usize;
        let raw = self.source(comment);
        let line_comment = raw.starts_with("//");
        let owned;
        let text = if line_comment {
            raw.trim_end()
        } else if raw.contains('\r') {
            owned = raw.replace("\r\n", "\n");
            owned.as_str()
        } else {
            raw
        };
        if self.out.is_empty() || self.starts_line(start) || self.after_line_comment() {
            let brk = self.pending.take().unwrap_or(Break {
                indent: self.indent + 1,
                first: Blank::Never,
                blanks: false,
            });
            self.trim_trailing_spaces();
            if !self.out.is_empty() {
                let blank = match brk.first {
                    Blank::Never => false,
                    Blank::Always => true,
                    Blank::Keep => brk.blanks && self.blank_before(start),
                };
                self.out.push('\n');
                if blank {
                    self.out.push('\n');
                }
            }
            self.line_start = self.out.len();
            for _ in 0..brk.indent {
                self.out.push_str(INDENT);
            }
            self.push_comment(text);
            if line_comment || self.ends_line(comment.end as usize) {
                let first = if brk.blanks { Blank::Keep } else { Blank::Never };
                self.pending = Some(Break { first, ..brk });
            } else {
                // `/* … */ stop`: the code after it stays on its line.
                self.out.push(' ');
            }
        } else {
            self.trim_trailing_spaces();
            self.out.push(' ');
            self.push_comment(text);
            if line_comment || self.ends_line(comment.end as usize) {
                if self.pending.is_none() {
                    self.pending =
                        Some(Break { indent: self.indent + 1, first: Blank::Never, blanks: false });
                }
            } else if self.pending.is_none() {
                self.out.push(' ');
            }
        }
    }

    /// Whether the output ends with the line comment placed last: what follows must
    /// go on the next line (`step a // x` then `= // y` must not make one comment).
    fn after_line_comment(&self) -> bool {
        let Some(previous) = self.next.checked_sub(2).and_then(|i| self.comments.get(i)) else {
            return false;
        };
        let raw = self.source(*previous);
        raw.starts_with("//") && self.out.ends_with(raw.trim_end())
    }

    fn push_comment(&mut self, text: &str) {
        let at = self.out.len();
        self.out.push_str(text);
        if let Some(newline) = text.rfind('\n') {
            self.line_start = at + newline + 1;
        }
    }
}

/// The width of a line in columns (one per character).
fn width(line: &str) -> usize {
    if line.is_ascii() { line.len() } else { line.chars().count() }
}
