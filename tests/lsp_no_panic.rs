//! No input may crash the language server's answers: mutated examples (pieces of Komo,
//! brackets, quotes, emoji and CJK inserted at random places) are opened, edited, and
//! asked for hover, completion, definition, references, symbols and quick fixes at
//! random positions, including positions past the ends of lines and of the text.
//! Bounded: 300 cases by default (`PROPTEST_CASES` overrides).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use komo::lsp::{Documents, code_action, completion, hover, navigation};
use proptest::prelude::*;
use tower_lsp_server::ls_types::{Position, Range, TextDocumentContentChangeEvent, Uri};

const SEEDS: &[&str] = &[
    include_str!("../examples/welcome_new_contacts.komo"),
    include_str!("../examples/sponsor_lead_routing.komo"),
    include_str!("../examples/crm_lead_sync.komo"),
];

const PIECES: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "\"",
    "${",
    "\\",
    "/*",
    "//",
    "->",
    ".",
    ",",
    ":",
    "=",
    "trigger ",
    "step x = ",
    "contact.",
    "event.",
    "let ",
    "route ",
    "workflow ",
    "test \"t\" {",
    "😀",
    "日本",
    "\r\n",
    "\n",
    "é",
];

fn mutated() -> impl Strategy<Value = String> {
    (0..SEEDS.len(), proptest::collection::vec((any::<prop::sample::Index>(), 0..PIECES.len()), 0..6))
        .prop_map(|(seed, edits)| {
            let mut text = SEEDS[seed].to_owned();
            for (at, piece) in edits {
                let mut offset = at.index(text.len() + 1);
                while !text.is_char_boundary(offset) {
                    offset -= 1;
                }
                text.insert_str(offset, PIECES[piece]);
            }
            text
        })
}

proptest! {
    #[test]
    fn every_request_answers_on_any_text(
        text in mutated(),
        positions in proptest::collection::vec((0u32..80, 0u32..120), 1..12),
        edit in (0u32..60, 0u32..60, 0u32..60, 0u32..60, 0..PIECES.len()),
    ) {
        let uri: Uri = "file:///p/mutated.komo".parse().unwrap();
        let mut docs = Documents::new();
        docs.open(uri.clone(), 1, text);
        let (l1, c1, l2, c2, piece) = edit;
        let change = TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(l1, c1), Position::new(l2, c2))),
            range_length: None,
            text: PIECES[piece].to_owned(),
        };
        prop_assert!(docs.change(&uri, 2, vec![change]));
        let _ = docs.publications();
        for (line, character) in positions {
            let at = Position::new(line, character);
            let _ = hover::hover(&docs, &uri, at);
            let _ = completion::completion(&docs, &uri, at);
            let _ = navigation::definition(&docs, &uri, at);
            let _ = navigation::references(&docs, &uri, at, true);
            let _ = code_action::quick_fixes(&docs, &uri, Range::new(at, Position::new(line + 1, 0)));
        }
        let _ = navigation::symbols(&docs, &uri);
    }
}
