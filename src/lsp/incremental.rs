//! Parsing a document again after an edit, re-using the items the edit did not touch.
//!
//! In: the new text of a document, its previous AST and a [`ParseCache`]. Out: the same
//! [`ParseOutput`] that `syntax::parse` gives for the whole text.
//!
//! The parser already parses each top-level item on its own. Here the text is cut into
//! chunks, one per item: from the line after the previous item's closing brace (its
//! doc comment included) to this item's closing brace. A chunk whose text is unchanged
//! keeps its items, their spans moved by how far the chunk moved; only changed chunks
//! are parsed. This is used only while every chunk parses without a finding: when one
//! has a syntax error, or the text does not cut cleanly into items (unbalanced braces,
//! anything but `workflow`/`test` items at the top level), or is over the size limit,
//! the whole text is parsed as `komo check` parses it (the clean chunks stay cached for
//! the next edit), so diagnostics are always exactly `komo check`'s.
//! `tests/lsp_incremental.rs` checks that both ways give the same trees (spans
//! included) and the same diagnostics, on every example and on random edits.

use std::collections::HashMap;

use super::scan::{Kind, scan};
use super::shift::shift_items;
use crate::source::FileId;
use crate::syntax::{self, Limits, ParseOutput, ast};

/// The chunks of the last parse whose items are kept.
#[derive(Debug, Default)]
pub struct ParseCache {
    chunks: Vec<Chunk>,
    /// Whether the chunks' items live in the document's AST (in chunk order, `count`
    /// each) rather than in the chunks.
    in_file: bool,
}

#[derive(Debug)]
struct Chunk {
    text: String,
    start: usize,
    count: usize,
    items: Vec<ast::Item>,
}

/// Parses `text`, re-using unchanged items of `previous` (the AST of the last parse).
pub fn parse_document(file: FileId, text: &str, previous: ast::File, cache: &mut ParseCache) -> ParseOutput {
    // Take the cached items back from the previous AST.
    if cache.in_file {
        let mut items = previous.items.into_iter();
        for chunk in &mut cache.chunks {
            chunk.items = items.by_ref().take(chunk.count).collect();
        }
        cache.in_file = false;
    }
    let bounds = if text.len() <= Limits::default().max_file_bytes { chunk_bounds(text) } else { None };
    let Some(bounds) = bounds else { return syntax::parse(file, text) };

    let mut old: HashMap<String, Chunk> = cache.chunks.drain(..).map(|c| (c.text.clone(), c)).collect();
    let mut clean = true;
    for (start, end) in bounds {
        let piece = text.get(start..end).unwrap_or("");
        let mut chunk = match old.remove(piece) {
            Some(mut chunk) => {
                shift_items(&mut chunk.items, delta(start, chunk.start));
                chunk.start = start;
                chunk
            }
            None => {
                let parsed = syntax::parse(file, piece);
                if !parsed.diagnostics.is_empty() {
                    // Parse the whole text below; the clean chunks stay cached.
                    clean = false;
                    continue;
                }
                let mut items = parsed.file.items;
                shift_items(&mut items, delta(start, 0));
                Chunk { text: piece.to_owned(), start, count: 0, items }
            }
        };
        chunk.count = chunk.items.len();
        cache.chunks.push(chunk);
    }
    if !clean {
        return syntax::parse(file, text);
    }
    let mut items = Vec::new();
    for chunk in &mut cache.chunks {
        items.append(&mut chunk.items);
    }
    cache.in_file = true;
    ParseOutput { file: ast::File { items }, diagnostics: Vec::new(), comments: Vec::new() }
}

fn delta(new: usize, old: usize) -> i64 {
    i64::try_from(new).unwrap_or(i64::MAX) - i64::try_from(old).unwrap_or(i64::MAX)
}

/// Where the chunks start and end, or `None` when the brackets do not balance (the
/// whole text is parsed then, and reports it).
fn chunk_bounds(text: &str) -> Option<Vec<(usize, usize)>> {
    let tokens = scan(text).tokens;
    let mut bounds = Vec::new();
    let mut depth = 0usize;
    let mut chunk_start = 0usize;
    // Outside items only `workflow name {` and `test "name" {` may appear: anything
    // else is parsed with the whole text, which reports it in context.
    let mut header = 0usize;
    for t in &tokens {
        let word = t.text(text);
        if depth == 0 {
            let expected = match header {
                0 => matches!(word, "workflow" | "test"),
                1 => matches!(t.kind, Kind::Word | Kind::Str),
                _ => word == "{",
            };
            if !expected {
                return None;
            }
            header += 1;
        }
        match word {
            "{" | "${" => depth += 1,
            "}" => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    header = 0;
                    // A chunk ends after an item's closing brace when the rest of that
                    // line is blank; otherwise the next item shares the chunk (so a
                    // chunk always starts at the start of a line).
                    let end = t.span.end as usize;
                    let line_end =
                        text.get(end..).and_then(|r| r.find('\n')).map_or(text.len(), |n| end + n + 1);
                    if text.get(end..line_end).is_some_and(|s| s.trim().is_empty()) {
                        bounds.push((chunk_start, line_end));
                        chunk_start = line_end;
                    }
                }
            }
            _ => {}
        }
    }
    if depth != 0 || header != 0 {
        return None;
    }
    if chunk_start < text.len() || bounds.is_empty() {
        bounds.push((chunk_start, text.len()));
    }
    Some(bounds)
}
