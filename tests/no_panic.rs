//! No input may crash the front end: random text and mutated examples go through
//! parse + check, and every result must be a list of diagnostics, never a panic, and
//! never an internal error (K0901) either: that is a crash reported politely.
//! Bounded: 300 cases per property by default (`PROPTEST_CASES` overrides).
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use komo::diagnostics::{Code, Diagnostic};
use komo::source::SourceMap;
use proptest::prelude::*;

const SEEDS: &[&str] = &[
    include_str!("../examples/welcome_new_contacts.komo"),
    include_str!("../examples/crm_lead_sync.komo"),
    include_str!("../examples/sponsor_lead_routing.komo"),
    include_str!("../examples/winner_notification.komo"),
    include_str!("../examples/loyalty_on_engagement.komo"),
    include_str!("../examples/post_event_follow_up.komo"),
];

/// Pieces of Komo that mutations insert: tokens, keywords, brackets, odd characters.
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
    "*/",
    "//",
    "///",
    "->",
    "?",
    "??",
    ".",
    ",",
    ":",
    "=",
    "==",
    " not ",
    " and ",
    " or ",
    " in ",
    " contains ",
    " as Email",
    "step x = ",
    "let y = ",
    "if ",
    "else ",
    "wait ",
    "until ",
    "route r ",
    "stop",
    "fail \"x\"",
    "retry 99 ",
    "backoff 1s ",
    "timeout 9m ",
    "on failure ",
    "on success ",
    "continue",
    "event.",
    "contact.",
    "error.",
    "card.",
    "1_000",
    "3y",
    "1h30m",
    "4.5",
    "\u{0}",
    "\r\n",
    "\u{FEFF}",
    "😀",
    "\n",
    "workflow w {",
    "test \"t\" {",
    "expect ",
    "mock http.request -> ",
    "null",
    "true",
    "-",
    "--",
    "[[[[",
];

fn run(text: &str) {
    let mut sources = SourceMap::new();
    sources.add("fuzz.komo", text);
    let checked = komo::check_sources(&sources);
    for d in &checked.diagnostics {
        assert!(d.span().end as usize <= text.len(), "span past the end: {d:?}");
    }
    assert_no_internal_error(text, &checked.diagnostics);
}

/// K0901 means komo hit a bug of its own on `text`.
#[track_caller]
fn assert_no_internal_error(text: &str, diags: &[Diagnostic]) {
    let internal: Vec<&Diagnostic> = diags.iter().filter(|d| d.code == Code::Internal).collect();
    assert!(internal.is_empty(), "internal error (K0901) on {text:?}: {internal:?}");
}

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, usize),
    Duplicate(usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0usize..40).prop_map(|(a, n)| Edit::Delete(a, n)),
        (any::<usize>(), 0..PIECES.len()).prop_map(|(a, p)| Edit::Insert(a, p)),
        (any::<usize>(), 0usize..200).prop_map(|(a, n)| Edit::Duplicate(a, n)),
    ]
}

fn boundary(text: &str, at: usize) -> usize {
    let mut at = at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(mut text: String, edits: &[Edit]) -> String {
    for e in edits {
        match *e {
            Edit::Delete(a, n) => {
                let start = boundary(&text, a);
                let end = boundary(&text, start + n);
                text.replace_range(start..end.max(start), "");
            }
            Edit::Insert(a, p) => {
                let at = boundary(&text, a);
                text.insert_str(at, PIECES[p]);
            }
            Edit::Duplicate(a, n) => {
                let start = boundary(&text, a);
                let end = boundary(&text, start + n).max(start);
                let piece = text[start..end].to_string();
                text.insert_str(end, &piece);
            }
        }
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_examples_never_panic(seed in 0..SEEDS.len(), edits in prop::collection::vec(edit(), 1..12)) {
        run(&apply(SEEDS[seed].to_string(), &edits));
    }

    #[test]
    fn token_soup_never_panics(pieces in prop::collection::vec(0..PIECES.len(), 0..200)) {
        let text: String = pieces.iter().map(|&p| PIECES[p]).collect();
        run(&text);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        run(&text);
    }
}

#[test]
fn pathological_inputs_get_positioned_errors() {
    let cases: Vec<String> = vec![
        "(".repeat(20_000),
        format!(
            "workflow w {{ scope workspace trigger Contact.Identified let x = {}1 }}",
            "not ".repeat(200_000)
        ),
        format!(
            "workflow w {{ scope workspace trigger Contact.Identified let x = 1{} }}",
            " + 1".repeat(100_000)
        ),
        format!(
            "workflow w {{ scope workspace trigger Contact.Identified let x = \"{}",
            "a".repeat(1_000_000)
        ),
        "workflow w { title \"unterminated".to_string(),
        "\u{FEFF}workflow w {\r\n scope workspace\r\n trigger Contact.Identified\r\n stop\r\n}\r\n"
            .to_string(),
        "workflow w { \0 }".to_string(),
        "{".repeat(70) + &"}".repeat(70),
        "\"${".repeat(5_000),
        "/* never closed".to_string(),
        format!(
            "workflow w {{ scope workspace trigger Contact.Identified let x = \"{}\" }}",
            "a".repeat(1_000_000)
        ),
    ];
    for (i, text) in cases.iter().enumerate() {
        let mut sources = SourceMap::new();
        sources.add("p.komo", text.as_str());
        let diags = komo::check_sources(&sources).diagnostics;
        let shown: String = text.chars().take(200).collect();
        assert_no_internal_error(&format!("case {i}: {shown}…"), &diags);
        if i == 5 || i == 10 {
            assert!(diags.is_empty(), "BOM and CRLF are fine: {diags:?}");
        } else {
            assert!(!diags.is_empty(), "case {i} must be rejected");
            assert!(diags.iter().all(|d| d.span().end as usize <= text.len()), "case {i}: span out of range");
        }
    }
}

/// The check above does fail the fuzz tests when komo reports a bug of its own.
#[test]
#[should_panic(expected = "internal error (K0901) on \"x\"")]
fn an_internal_error_fails_the_properties() {
    let lost = Diagnostic::new(Code::Internal, komo::source::FileId(0), komo::source::Span::point(0), "lost");
    assert_no_internal_error("x", &[lost]);
}
