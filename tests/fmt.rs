//! The formatter over every example: `examples/**/*.komo` and the shared conformance
//! examples (`../shared/examples`). Each gets a snapshot of its formatted text (or of
//! the syntax errors that stop formatting), and for each the facts that make `komo fmt`
//! safe are asserted: formatting is idempotent, every comment survives in order, the
//! formatted program checks to the same IR (valid programs) or the same diagnostics
//! (programs with semantic errors). A property test does the same on generated and
//! mutated programs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::Path;

use komo::diagnostics::Diagnostic;
use komo::source::{FileId, SourceMap};
use proptest::prelude::*;

/// What checking one file alone gives: its diagnostics without positions, and the IR
/// as JSON when it is valid.
#[derive(Debug, PartialEq)]
struct Meaning {
    diagnostics: Vec<String>,
    ir: Option<String>,
}

fn meaning(text: &str) -> Meaning {
    let mut sources = SourceMap::new();
    sources.add("case.komo", text);
    let checked = komo::check_sources(&sources);
    let diagnostics: Vec<String> = checked.diagnostics.iter().map(describe).collect();
    let ir = if checked.diagnostics.iter().any(Diagnostic::is_error) {
        None
    } else {
        let program = komo::ir::lower_program(&checked).unwrap();
        let mut json = serde_json::to_value(&program).unwrap();
        drop_spans(&mut json);
        Some(serde_json::to_string_pretty(&json).unwrap())
    };
    Meaning { diagnostics, ir }
}

/// The IR without its `span` fields (source positions, which formatting moves).
fn drop_spans(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            map.remove("span");
            map.values_mut().for_each(drop_spans);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(drop_spans),
        _ => {}
    }
}

/// A diagnostic without its spans (formatting moves text): code, severity, message,
/// label texts and help.
fn describe(d: &Diagnostic) -> String {
    let labels: Vec<&str> = d.secondary.iter().map(|l| l.message.as_str()).collect();
    format!(
        "{} {:?} {} [{}] {:?} {:?}",
        d.code.as_str(),
        d.severity,
        d.message,
        d.primary.message,
        labels,
        d.help
    )
}

/// The comments of a text, as the formatter writes them, in order.
fn comments(text: &str) -> Vec<String> {
    let parsed = komo::syntax::parse(FileId(0), text);
    komo::fmt::comment_texts(text, &parsed.comments).collect()
}

/// Formats `text` and asserts everything the formatter promises; returns the result.
fn assert_formats_safely(text: &str) -> Result<String, komo::fmt::FormatError> {
    let formatted = komo::fmt::format_source(text)?;
    let again = komo::fmt::format_source(&formatted)
        .unwrap_or_else(|e| panic!("formatted text must format again: {e:?}\n--- formatted:\n{formatted}"));
    assert_eq!(again, formatted, "fmt(fmt(x)) == fmt(x)\n--- input:\n{text}");
    assert_eq!(comments(&formatted), comments(text), "every comment kept, in order");
    assert_eq!(meaning(&formatted), meaning(text), "same diagnostics and IR\n--- formatted:\n{formatted}");
    for line in formatted.lines() {
        assert!(!line.ends_with(' ') && !line.ends_with('\t'), "no trailing blanks: {line:?}");
    }
    Ok(formatted)
}

fn snapshot_of(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap();
    let (text, decode) = komo::syntax::decode_source(FileId(0), &bytes);
    if !decode.is_empty() {
        return "=== NOT FORMATTED (not UTF-8)\n".to_owned();
    }
    match assert_formats_safely(&text) {
        Ok(formatted) => format!("=== FORMATTED\n{formatted}"),
        Err(error) => {
            let mut sources = SourceMap::new();
            sources.add(path.file_name().unwrap().to_string_lossy().into_owned(), text.as_str());
            assert!(
                error.diagnostics.iter().all(|d| d.code != komo::diagnostics::Code::Internal),
                "{}: internal error {:?}",
                path.display(),
                error.diagnostics
            );
            format!(
                "=== NOT FORMATTED (syntax errors)\n{}",
                komo::diagnostics::render::short(&sources, &error.diagnostics)
            )
        }
    }
}

#[test]
fn examples_format_safely() {
    insta::glob!("../examples", "**/*.komo", |path| {
        insta::with_settings!({ omit_expression => true }, {
            insta::assert_snapshot!(snapshot_of(path));
        });
    });
}

#[test]
fn shared_examples_format_safely() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/examples");
    if !shared.is_dir() {
        // The conformance examples live beside the repository, not in it (as for the
        // conformance step of `.ci/run`); a clone without them has nothing to check here.
        return;
    }
    insta::glob!("../../shared/examples", "**/*.komo", |path| {
        insta::with_settings!({ omit_expression => true, prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("shared_{}", snapshot_name(path)), snapshot_of(path));
        });
    });
}

fn snapshot_name(path: &Path) -> String {
    let parent = path.parent().and_then(Path::file_name).map(|p| p.to_string_lossy().into_owned());
    let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
    match parent {
        Some(p) if p == "errors" => format!("errors_{stem}"),
        _ => stem,
    }
}

// ----- the layout rules, one small case each

fn fmt(text: &str) -> String {
    assert_formats_safely(text).unwrap()
}

#[test]
fn messy_layout_becomes_canonical() {
    let input = "workflow  w{title \"T\"   scope workspace\ntrigger Contact.Identified where event.x==1\nlet a=1+2*3\n\n\n\nif a>2{contact.add_to_list( \"L\" )}else if a<0 {stop}else{fail \"no\"}\nwait 1h30m\n-> r\nroute r{stop}}";
    insta::assert_snapshot!(fmt(input));
}

#[test]
fn comments_stay_where_they_belong() {
    let input = r#"// file header

/// The doc of w.
workflow w { // after the brace
  scope workspace /* inline */
  trigger Contact.Identified

  // before a statement

  let a = 1 // trailing
  contact.update(set: { // after the brace
    // own line in a record
    first_name: "Ana", // after a field
    /* block */ last_name: "B",
  })
  if a > 0 { // after if
    stop
  } // after the block
  // before else
  else {
    /* in else */
  }
  /// doc of a route
  route r {
    stop
    // dangling at the end of a block
  }
  // dangling at the end of the workflow
}
// between items
test "t" { workflow w /* a */ expect run succeeded // done
}
/* last words */
"#;
    insta::assert_snapshot!(fmt(input));
}

#[test]
fn long_argument_lists_and_records_break() {
    let input = r#"workflow w {
  scope card "c"
  trigger Gameplay.DataCapturedQualified
  form { email: Email, company: String?, size: Int?, country: String?, notes: String?, tags: List<String>? }
  step lead = salesforce.create_object("Lead", { Email: event.fields.email, Company: event.fields.company ?? "Unknown" }) retry 3 backoff 30s on failure -> escalate
  mailchimp.upsert_subscriber(list_id: "a1b2c3", email: event.fields.email, tags: ["a", "b"]) on failure -> escalate
  http.request("POST", "https://ops.example.com/alerts", json: { step: "s", message: "m", run: run.id }, headers: { a: "b" })
  contact.send_email(template: "welcome") retry 2 backoff 10s timeout 30s on failure { contact.add_tags(["x"]) stop }
  route escalate { stop }
}
"#;
    insta::assert_snapshot!(fmt(input));
}

#[test]
fn every_construct() {
    let input = r#"workflow all_of_it {
  title "All"
  scope hub "h1"
  trigger Gameplay.DataCapturedQualified where event.score>=10 and not (card.name contains "x")
  form { email: Email, tags: List<String>?, address: { street: String, city: String? }? }
  let n = -event.score * (2 + 3) % 4
  let first = event.fields.tags[0] ?? "none"
  let when = event.occurred_at + 1h30m
  let big = 1_000
  let ratio = float(n) / 2.5
  let url = event.fields.email as Email
  wait until when
  wait 2d
  step s = http.request("GET", "https://example.com/${n}") on success -> done on failure -> oops
  contact.update(set: {}, add_tags: [])
  route done { stop }
  route oops { fail "failed: ${error.message}" }
}
test "everything" {
  workflow all_of_it
  event { score: 12, fields: { email: "a@example.com", "odd key": 1 } }
  contact { email: "a@example.com" }
  mock http.request where method == "GET" -> ok { status: 200 }
  mock http.request -> fail "boom" kind "network"
  expect no run
  expect run waiting
  expect run took 2d
  expect step s skipped
  expect step s called with { method: "GET" }
  expect contact.email != null
}
"#;
    insta::assert_snapshot!(fmt(input));
}

#[test]
fn comments_in_odd_places() {
    let input = r#"workflow w {
  scope workspace
  trigger Contact.Identified where // why
    event.source == "x"
  let a = 1 + /* inline */ 2
  let b = 1 +
    // own line inside an expression
    2
  if a > 1 {
    stop
  }
  // between if and else
  else if a < 0 { stop } /* after */ else {
    // only a comment
  }
  contact.update(set: { /* empty-ish */ })
  contact.add_tags([
    "a", // first
    "b"
  ])
  contact.add_to_list("L") // trailing after a call
    retry 2 // after retry
    on failure continue
}
"#;
    insta::assert_snapshot!(fmt(input));
}

/// A comment between `on failure` and `->` stays (found by `relaid_examples_format_safely`:
/// the arrow was printed as text, so the comment before it was lost and the self-check
/// refused the output).
#[test]
fn a_comment_before_a_route_arrow_stays() {
    let input = "workflow w {\n  scope workspace\n  trigger Contact.Identified\n  contact.add_to_list(\"L\")\n    on failure // note\n -> // more\n alert\n  route alert {\n    stop\n  }\n}\n";
    let out = fmt(input);
    assert!(out.contains("on failure // note\n    -> // more\n    alert\n"), "{out}");
}

/// Deep nesting formats in linear time (an exponential layout search would never end
/// here) and safely.
#[test]
fn deep_nesting_formats() {
    let header = "workflow w {\n  scope workspace\n  trigger Contact.Identified\n";
    let call = "contact.add_to_list(\"a list with a long name, long enough to fill a line\") retry 3";
    let mut blocks = String::from(header);
    for _ in 0..40 {
        blocks.push_str(call);
        blocks.push_str(" on failure {\n");
    }
    blocks.push_str(&"}\n".repeat(41));
    let formatted = fmt(&blocks);
    assert_eq!(formatted.matches("on failure {").count(), 40);

    let record = format!(
        "{header}contact.update(set: {}{}{})\n}}\n",
        "{ a_rather_long_field_name: ".repeat(60),
        "1",
        " }".repeat(60)
    );
    fmt(&record);
    let list = format!("{header}contact.add_tags({}\"x\"{})\n}}\n", "[".repeat(62), "]".repeat(62));
    fmt(&list);
}

#[test]
fn strings_are_kept_byte_for_byte() {
    let input = "workflow w { scope workspace trigger Contact.Identified\n  let s = \"a\\tb \\\" \\u{1F600} \\$ ${ contact.first_name  ?? \"x\" /* c */ } 😀 $\"\n}\n";
    let out = fmt(input);
    assert!(
        out.contains("\"a\\tb \\\" \\u{1F600} \\$ ${ contact.first_name  ?? \"x\" /* c */ } 😀 $\""),
        "{out}"
    );
}

#[test]
fn crlf_bom_and_empty_files() {
    assert_eq!(fmt(""), "");
    assert_eq!(fmt("\n\n  \n"), "");
    assert_eq!(fmt("// only a comment"), "// only a comment\n");
    let crlf =
        "\u{FEFF}workflow w {\r\n  scope workspace\r\n  trigger Contact.Identified\r\n  stop // x \r\n}\r\n";
    assert_eq!(
        fmt(crlf),
        "workflow w {\n  scope workspace\n  trigger Contact.Identified\n\n  stop // x\n}\n"
    );
}

#[test]
fn syntax_errors_are_reported_not_formatted() {
    let error = komo::fmt::format_source("workflow w { scope workspace trigger Contact.Identified let x = }")
        .unwrap_err();
    assert!(!error.diagnostics.is_empty());
    assert!(error.diagnostics.iter().all(Diagnostic::is_error));
}

// ----- properties

const SEEDS: &[&str] = &[
    include_str!("../examples/welcome_new_contacts.komo"),
    include_str!("../examples/crm_lead_sync.komo"),
    include_str!("../examples/sponsor_lead_routing.komo"),
    include_str!("../examples/winner_notification.komo"),
    include_str!("../examples/loyalty_on_engagement.komo"),
    include_str!("../examples/post_event_follow_up.komo"),
    include_str!("../examples/partner_order_webhook.komo"),
];

/// Layout-only pieces: blanks, line breaks and comments, inserted between tokens.
const TRIVIA: &[&str] =
    &[" ", "  ", "\n", "\n\n", "\t", "\r\n", " // note\n", "/* c */", "\n/// doc\n", "\n// own line\n"];

/// Pieces that change the program (the result may not parse; then it must be refused).
const PIECES: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "?",
    "??",
    ".",
    "=",
    "->",
    " not ",
    " and ",
    " or ",
    " + ",
    " * ",
    "stop",
    "fail \"x\"",
    "wait 1d",
    "let y = 2",
    "contact.add_to_list(\"L\")",
    "\"s\"",
    "1_000",
    "1h30m",
    "{ a: 1, b: [1, 2] }",
    "retry 2 ",
    "on failure continue",
    "else { stop }",
    "/* c */",
    "// c\n",
];

/// Byte offsets of blanks between tokens at the top level (not in a string, an
/// interpolation or a comment): inserting trivia there keeps every token whole.
fn token_boundaries(text: &str) -> Vec<usize> {
    let parsed = komo::syntax::parse(FileId(0), text);
    let mut in_comment = vec![false; text.len() + 1];
    for c in &parsed.comments {
        for flag in &mut in_comment[c.start as usize..c.end as usize] {
            *flag = true;
        }
    }
    let bytes = text.as_bytes();
    // One entry per open string or interpolation: `true` for a string, `false` for the
    // code of a `${…}` (with its open braces counted).
    let mut stack: Vec<(bool, usize)> = Vec::new();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match stack.last_mut() {
            Some((true, _)) => match b {
                b'\\' => i += 1,
                b'"' => {
                    stack.pop();
                }
                b'$' if bytes.get(i + 1) == Some(&b'{') => {
                    stack.push((false, 0));
                    i += 1;
                }
                _ => {}
            },
            _ if in_comment[i] => {}
            Some((false, depth)) => match b {
                b'"' => stack.push((true, 0)),
                b'{' => *depth += 1,
                b'}' if *depth == 0 => {
                    stack.pop();
                }
                b'}' => *depth -= 1,
                _ => {}
            },
            None => match b {
                b'"' => stack.push((true, 0)),
                b' ' | b'\n' => out.push(i),
                _ => {}
            },
        }
        i += 1;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    /// Re-laid-out examples (blanks, line breaks and comments inserted between tokens)
    /// format safely, and to the same text as the example itself when only blanks within
    /// lines were added.
    #[test]
    fn relaid_examples_format_safely(
        seed in 0..SEEDS.len(),
        inserts in prop::collection::vec((any::<prop::sample::Index>(), 0..TRIVIA.len()), 1..20),
    ) {
        let base = SEEDS[seed];
        let spots = token_boundaries(base);
        let mut chosen: Vec<(usize, &str)> = inserts.iter().map(|(i, t)| (*i.get(&spots), TRIVIA[*t])).collect();
        chosen.sort_by_key(|c| std::cmp::Reverse(c.0));
        let mut text = base.to_owned();
        for (at, piece) in &chosen {
            text.insert_str(*at, piece);
        }
        let formatted = assert_formats_safely(&text);
        prop_assert!(formatted.is_ok(), "trivia must not break parsing: {:?}\n{text}", formatted.err());
        // Blanks within lines change nothing (line breaks may add kept blank lines).
        if chosen.iter().all(|(_, p)| matches!(*p, " " | "  " | "\t")) {
            prop_assert_eq!(formatted.ok(), komo::fmt::format_source(base).ok());
        }
    }

    /// Mutated examples either are refused with syntax errors or format safely.
    #[test]
    fn mutated_examples_format_safely_or_are_refused(
        seed in 0..SEEDS.len(),
        inserts in prop::collection::vec((any::<prop::sample::Index>(), 0..PIECES.len()), 1..6),
    ) {
        let base = SEEDS[seed];
        let spots = token_boundaries(base);
        let mut chosen: Vec<(usize, &str)> = inserts.iter().map(|(i, t)| (*i.get(&spots), PIECES[*t])).collect();
        chosen.sort_by_key(|c| std::cmp::Reverse(c.0));
        let mut text = base.to_owned();
        for (at, piece) in &chosen {
            text.insert_str(*at, &format!(" {piece} "));
        }
        if let Err(error) = assert_formats_safely(&text) {
            prop_assert!(error.diagnostics.iter().all(|d| d.code != komo::diagnostics::Code::Internal),
                "internal error on:\n{text}\n{:?}", error.diagnostics);
        }
    }

    /// Generated workflows (the benchmark's generator) format safely.
    #[test]
    fn generated_workflows_format_safely(i in 0usize..10_000) {
        prop_assert!(assert_formats_safely(&corpus::workflow(i).komo).is_ok());
    }

    /// Arbitrary text never panics the formatter.
    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,300}") {
        let _ = komo::fmt::format_source(&text);
    }
}

#[path = "../benches/support/corpus.rs"]
#[allow(dead_code)]
mod corpus;

/// Found by `relaid_examples_format_safely`: a line comment after a step's name and
/// another after its `=` were written on one line, the second inside the first.
#[test]
fn line_comments_around_a_step_equals_stay_apart() {
    let source = "workflow w {\n  scope workspace\n  trigger Contact.Identified\n\n  step a // x\n = // y\n contact.add_tags([\"t\"])\n}\n";
    let formatted = assert_formats_safely(source).expect("formats");
    assert_eq!(
        formatted,
        "workflow w {\n  scope workspace\n  trigger Contact.Identified\n\n  step a = // x\n    // y\n    contact.add_tags([\"t\"])\n}\n"
    );
}
