//! The language server parses a document again after an edit re-using the items the
//! edit did not touch (`komo::lsp::incremental`). Whatever the edits, the result must
//! be exactly what parsing the whole text gives: the same trees with the same spans
//! (compared through `Debug`, which shows spans) and the same diagnostics.
//! Bounded: 300 cases by default (`PROPTEST_CASES` overrides).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use komo::lsp::incremental::{ParseCache, parse_document};
use komo::source::FileId;
use komo::syntax::{self, ast};
use proptest::prelude::*;

const SEEDS: &[&str] = &[
    include_str!("../examples/welcome_new_contacts.komo"),
    include_str!("../examples/sponsor_lead_routing.komo"),
    include_str!("../examples/crm_lead_sync.komo"),
    include_str!("../examples/winner_notification.komo"),
];

/// Edits: text typed anywhere, including inside strings, comments and between items.
const PIECES: &[&str] = &[
    " ",
    "\n",
    "\n\n",
    "x",
    "{",
    "}",
    "\"",
    "/// doc\n",
    "// c\n",
    "😀",
    "日本",
    "\r\n",
    "}\nworkflow z {\n  stop\n",
    "step s = contact.add_to_list(\"l\")\n",
    "  ",
    "${",
    "/*",
    "*/",
];

fn assert_same(text: &str, file: &ast::File, diagnostics: &[komo::diagnostics::Diagnostic]) {
    let full = syntax::parse(FileId(0), text);
    assert_eq!(format!("{file:?}"), format!("{:?}", full.file), "trees differ for:\n{text}");
    assert_eq!(diagnostics, full.diagnostics.as_slice(), "diagnostics differ for:\n{text}");
}

#[test]
fn every_example_parses_the_same_in_chunks() {
    let mut paths: Vec<_> = std::fs::read_dir("examples")
        .unwrap()
        .chain(std::fs::read_dir("examples/errors").unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "komo"))
        .collect();
    paths.sort();
    for path in paths {
        let Ok(text) = String::from_utf8(std::fs::read(&path).unwrap()) else { continue };
        let mut cache = ParseCache::default();
        let first = parse_document(FileId(0), &text, ast::File::default(), &mut cache);
        assert_same(&text, &first.file, &first.diagnostics);
        // Again, from the cache, after a blank line is added at the top.
        let moved = format!("\n{text}");
        let second = parse_document(FileId(0), &moved, first.file, &mut cache);
        assert_same(&moved, &second.file, &second.diagnostics);
    }
}

proptest! {
    #[test]
    fn edits_parse_the_same_as_the_whole_text(
        seed in 0..SEEDS.len(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), 0..PIECES.len(), 0usize..4), 1..8),
    ) {
        // Two examples in one document, so there are items before and after the edits.
        let mut text = format!("{}\n{}", SEEDS[seed], SEEDS[(seed + 1) % SEEDS.len()]);
        let mut cache = ParseCache::default();
        let mut file = parse_document(FileId(0), &text, ast::File::default(), &mut cache).file;
        for (at, piece, remove) in edits {
            let mut start = at.index(text.len() + 1);
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = (start + remove).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            text.replace_range(start..end, PIECES[piece]);
            let parsed = parse_document(FileId(0), &text, file, &mut cache);
            assert_same(&text, &parsed.file, &parsed.diagnostics);
            file = parsed.file;
        }
    }
}
