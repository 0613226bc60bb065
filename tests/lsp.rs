//! The language server driven in-process with JSON-RPC messages over a duplex pipe:
//! diagnostics (the same as `komo check`, in UTF-16 positions, with emoji and CJK
//! before the error), incremental edits, hover, completion on broken code, go to
//! definition, references, symbols, quick fixes, and answers on any input.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "support/lsp_client.rs"]
mod lsp_client;

use lsp_client::{LspClient, position, range};
use serde_json::{Value, json};

/// Splits a text at the `‸` marker: the text without it and the LSP position there.
fn at_marker(marked: &str) -> (String, Value) {
    let at = marked.find('‸').expect("a ‸ marker");
    let before = &marked[..at];
    let line = before.matches('\n').count() as u32;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let character = before[line_start..].encode_utf16().count() as u32;
    (marked.replacen('‸', "", 1), position(line, character))
}

/// One line per diagnostic: range, severity, code, message, related information.
fn compact(published: &Value) -> String {
    let mut out = String::new();
    for d in published["diagnostics"].as_array().unwrap() {
        let r = &d["range"];
        let severity = if d["severity"] == 1 { "error" } else { "warning" };
        out.push_str(&format!(
            "{}:{}-{}:{} {severity}[{}] {}\n",
            r["start"]["line"],
            r["start"]["character"],
            r["end"]["line"],
            r["end"]["character"],
            d["code"].as_str().unwrap(),
            d["message"].as_str().unwrap().replace('\n', " | "),
        ));
        out.push_str(&format!("  docs: {}\n", d["codeDescription"]["href"].as_str().unwrap()));
        for rel in d["relatedInformation"].as_array().into_iter().flatten() {
            let r = &rel["location"]["range"];
            out.push_str(&format!(
                "  related {}:{}-{}:{} {}\n",
                r["start"]["line"],
                r["start"]["character"],
                r["end"]["line"],
                r["end"]["character"],
                rel["message"].as_str().unwrap()
            ));
        }
    }
    out
}

fn text_position(uri: &str, at: &Value) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": at })
}

/// The UTF-16 LSP position of a byte offset, computed independently of the server.
fn utf16_position(text: &str, offset: usize) -> (u64, u64) {
    let before = &text[..offset];
    let line = before.matches('\n').count() as u64;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].encode_utf16().count() as u64)
}

#[tokio::test]
async fn diagnostics_are_those_of_komo_check_for_every_example() {
    let mut client = LspClient::start().await;
    let mut paths: Vec<_> = std::fs::read_dir("examples/errors")
        .unwrap()
        .chain(std::fs::read_dir("examples").unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "komo"))
        .collect();
    paths.sort();
    assert!(paths.len() > 50);
    for path in paths {
        let bytes = std::fs::read(&path).unwrap();
        let Ok(text) = String::from_utf8(bytes) else { continue }; // editors send UTF-8 only
        let uri = format!("file:///examples/{}", path.file_name().unwrap().to_string_lossy());
        let published = client.open(&uri, &text).await;
        client.notify("textDocument/didClose", json!({ "textDocument": { "uri": uri } })).await;
        let cleared = client.diagnostics(&uri).await;
        assert_eq!(cleared["diagnostics"], json!([]), "closing clears {uri}");

        let mut sources = komo::source::SourceMap::new();
        sources.add(path.to_string_lossy(), text.clone());
        let expected = komo::check_sources(&sources).diagnostics;
        let got = published["diagnostics"].as_array().unwrap();
        assert_eq!(got.len(), expected.len(), "{uri}: {published}");
        for (g, e) in got.iter().zip(&expected) {
            assert_eq!(g["code"], e.code.as_str(), "{uri}");
            assert!(g["message"].as_str().unwrap().starts_with(&e.message), "{uri}");
            let (line, character) = utf16_position(&text, e.span().start as usize);
            assert_eq!(g["range"]["start"], json!({ "line": line, "character": character }), "{uri}");
            let (line, character) = utf16_position(&text, e.span().end as usize);
            assert_eq!(g["range"]["end"], json!({ "line": line, "character": character }), "{uri}");
            assert_eq!(g["relatedInformation"].as_array().map_or(0, Vec::len), e.secondary.len(), "{uri}");
        }
    }
    client.shutdown().await;
}

const EMOJI_AND_CJK: &str = r#"/// 歓迎: welcome 🎉 every new contact
workflow welcome {
  scope workspace
  trigger Contact.Identified

  let greeting = "こんにちは 😀👋"
  contact.send_emial(template: "歓迎 🎉") // 😀 then the typo
  loyalty.award_points("五十", reason: greeting)
}
"#;

#[tokio::test]
async fn positions_are_utf16_after_emoji_and_cjk() {
    let mut client = LspClient::start().await;
    let published = client.open("file:///w/emoji.komo", EMOJI_AND_CJK).await;
    insta::assert_snapshot!(compact(&published));
    // `五十` starts after `loyalty.award_points(` (21 units) plus two spaces.
    let second = &published["diagnostics"][1]["range"];
    assert_eq!(second, &range(7, 23, 7, 27));
    client.shutdown().await;
}

const WELCOME: &str = r#"workflow welcome {
  scope workspace
  trigger Contact.Identified

  let bonus = 50 // 😀
  loyalty.award_points(bonus, reason: "🎉 ${bonus} points")
}
"#;

#[tokio::test]
async fn incremental_edits_update_the_diagnostics() {
    let mut client = LspClient::start().await;
    let uri = "file:///w/welcome.komo";
    let clean = client.open(uri, WELCOME).await;
    assert_eq!(clean["diagnostics"], json!([]));
    assert_eq!(clean["version"], 1);

    // Misspell the trigger: `Identified` → `Identifed` (delete one `i`).
    let typo = client.edit(uri, 2, range(2, 25, 2, 26), "").await;
    assert_eq!(typo["version"], 2);
    // Misspell the use of `bonus` after the emoji on line 5.
    let after_emoji = client.edit(uri, 3, range(5, 44, 5, 49), "bonsu").await;
    assert_eq!(after_emoji["diagnostics"][1]["range"], range(5, 44, 5, 49));
    // Fix both, in one notification with two changes.
    client
        .notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": 4 },
                "contentChanges": [
                    { "range": range(2, 25, 2, 25), "text": "i" },
                    { "range": range(5, 44, 5, 49), "text": "bonus" },
                ],
            }),
        )
        .await;
    let fixed = client.diagnostics(uri).await;
    assert_eq!(fixed["diagnostics"], json!([]), "{fixed}");

    // A full-text change replaces everything.
    client
        .notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": 5 }, "contentChanges": [{ "text": "workflow {" }] }),
        )
        .await;
    let broken = client.diagnostics(uri).await;
    insta::assert_snapshot!(format!(
        "after the typo:\n{}\nafter an edit after the emoji:\n{}\nbroken:\n{}",
        compact(&typo),
        compact(&after_emoji),
        compact(&broken)
    ));
    client.shutdown().await;
}

const SPONSOR: &str = r#"/// Send qualified leads to the sponsor.
workflow sponsor_leads {
  scope card "summer-quiz"
  trigger Gameplay.DataCapturedQualified
  form { email: Email, company: String? }

  let company = event.fields.company ?? "Unknown"
  step lead = salesforce.create_object("Lead", { Email: event.fields.email, Company: company })
    retry 3 backoff 30s
    on failure -> escalate
  if contact.phone != null {
    contact.send_sms("Thanks ${contact.first_name ?? "there"}!", to: contact.phone)
  }
  mailchimp.upsert_subscriber(list_id: "a1b2c3", email: event.fields.email)
    on failure -> escalate
  contact.update(set: { salesforce_id: lead.id })

  /// Tell the ops team.
  route escalate {
    http.request("POST", "https://ops.example.com/alerts", json: { step: error.step, run: run.id })
  }
}
"#;

const SPONSOR_TEST: &str = r#"test "leads are created" {
  workflow sponsor_leads
  event { fields: { email: "ana@example.com" } }
  expect step lead succeeded
}
"#;

/// The position of the `n`th occurrence (from 0) of `needle` in `text`, plus `shift`
/// UTF-16 units.
fn find(text: &str, needle: &str, n: usize, shift: u32) -> Value {
    let offset = text.match_indices(needle).nth(n).unwrap().0;
    let (line, character) = utf16_position(text, offset);
    position(line as u32, character as u32 + shift)
}

#[tokio::test]
async fn hover_shows_types_signatures_and_triggers() {
    let mut client = LspClient::start().await;
    let uri = "file:///w/sponsor.komo";
    let published = client.open(uri, SPONSOR).await;
    assert_eq!(published["diagnostics"], json!([]), "{published}");
    let cases = [
        ("the trigger", find(SPONSOR, "Gameplay.Data", 0, 3)),
        ("an action", find(SPONSOR, "create_object", 0, 2)),
        ("a parameter", find(SPONSOR, "to: contact.phone", 0, 0)),
        ("a field of a form", find(SPONSOR, "event.fields.company", 0, 15)),
        ("a narrowed field", find(SPONSOR, "to: contact.phone", 0, 13)),
        ("an optional field", find(SPONSOR, "contact.phone != null", 0, 9)),
        ("a record", find(SPONSOR, "contact.first_name", 0, 2)),
        ("a step's definition", find(SPONSOR, "step lead", 0, 6)),
        ("a step's output", find(SPONSOR, "lead.id", 0, 6)),
        ("a let", find(SPONSOR, "let company", 0, 5)),
        ("error in a route", find(SPONSOR, "error.step", 0, 7)),
        ("a route", find(SPONSOR, "route escalate", 0, 7)),
        ("the workflow", find(SPONSOR, "sponsor_leads", 0, 2)),
    ];
    let mut out = String::new();
    for (what, at) in cases {
        let hover = client.request("textDocument/hover", text_position(uri, &at)).await;
        let r = &hover["range"];
        out.push_str(&format!(
            "## {what} ({}:{}-{}:{})\n{}\n\n",
            r["start"]["line"],
            r["start"]["character"],
            r["end"]["line"],
            r["end"]["character"],
            hover["contents"]["value"].as_str().unwrap_or("(nothing)")
        ));
    }
    insta::assert_snapshot!(out);
    client.shutdown().await;
}

/// Completion labels at the `‸` in `marked` (the document opened as `uri`).
async fn labels(client: &mut LspClient, uri: &str, marked: &str) -> Vec<String> {
    let (text, at) = at_marker(marked);
    client.open(uri, &text).await;
    let items = client.request("textDocument/completion", text_position(uri, &at)).await;
    items.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn completion_works_on_half_typed_code() {
    let mut client = LspClient::start().await;
    let header = "workflow w {\n  scope card \"c1\"\n  trigger Gameplay.DataCaptured\n  form { email: Email, team: String? }\n";
    let cases: Vec<(&str, String)> = vec![
        ("after trigger", "workflow w {\n  scope workspace\n  trigger Contact.Ide‸".into()),
        ("after trigger, nothing typed", "workflow w {\n  scope workspace\n  trigger ‸\n}".into()),
        ("actions after a namespace", format!("{header}\n  contact.‸")),
        ("actions after a step name", format!("{header}\n  step sent = loyalty.aw‸\n}}")),
        ("fields after contact in a condition", format!("{header}\n  if contact.‸")),
        ("fields after event", format!("{header}\n  let x = event.‸ + 1\n}}")),
        ("fields of the form", format!("{header}\n  let x = event.fields.‸")),
        ("fields of a context record", format!("{header}\n  let x = \"${{card.‸")),
        (
            "fields after a step name",
            format!("{header}\n  step lead = salesforce.create_object(\"Lead\", {{}})\n  let id = lead.‸"),
        ),
        ("parameters in a call", format!("{header}\n  contact.send_email(template: \"x\", ‸")),
        ("parameter names while typing", format!("{header}\n  loyalty.award_points(50, re‸)\n}}")),
        (
            "route names after ->",
            format!(
                "{header}\n  contact.add_to_list(\"x\") on failure -> ‸\n  route oops {{ stop }}\n  route later {{ stop }}\n}}"
            ),
        ),
        ("statement start", format!("{header}\n  ‸")),
        ("values in an argument", format!("{header}\n  let total = 3\n  loyalty.award_points(‸")),
        ("inside a comment", format!("{header}\n  // contact.‸")),
        ("inside a string", format!("{header}\n  contact.add_to_list(\"contact.‸")),
        (
            "steps in a test's expectation",
            "workflow known {\n  scope workspace\n  trigger Contact.Identified\n  step hi = contact.add_to_list(\"x\")\n  loyalty.award_points(1)\n}\ntest \"t\" {\n  expect step ‸".into(),
        ),
        (
            "triggers after a test's expect event",
            "workflow known {\n  scope workspace\n  trigger Contact.Identified\n  stop\n}\ntest \"t\" {\n  expect no event Contact.Li‸".into(),
        ),
        ("top level", "workflow a { scope workspace trigger Contact.Identified stop }\n‸".into()),
        (
            "a test's workflow",
            "workflow known { scope workspace trigger Contact.Identified stop }\ntest \"t\" {\n  workflow ‸"
                .into(),
        ),
    ];
    let mut out = String::new();
    for (i, (what, marked)) in cases.iter().enumerate() {
        let uri = format!("file:///w/c{i}.komo");
        let got = labels(&mut client, &uri, marked).await;
        out.push_str(&format!("## {what}\n{}\n\n", got.join(" ")));
        client.notify("textDocument/didClose", json!({ "textDocument": { "uri": uri } })).await;
    }
    insta::assert_snapshot!(out);
    client.shutdown().await;
}

#[tokio::test]
async fn completion_replaces_the_typed_word_and_the_dotted_trigger() {
    let mut client = LspClient::start().await;
    let uri = "file:///w/t.komo";
    let (text, at) = at_marker("workflow w {\n  scope workspace\n  trigger /* 😀 */ Contact.Ide‸");
    client.open(uri, &text).await;
    let items = client.request("textDocument/completion", text_position(uri, &at)).await;
    let item = items.as_array().unwrap().iter().find(|i| i["label"] == "Contact.Identified").unwrap();
    assert_eq!(item["textEdit"]["range"], range(2, 19, 2, 30));
    assert_eq!(item["textEdit"]["newText"], "Contact.Identified");
    client.shutdown().await;
}

#[tokio::test]
async fn definition_and_references() {
    let mut client = LspClient::start().await;
    let uri = "file:///w/sponsor.komo";
    let test_uri = "file:///w/sponsor_test.komo";
    client.open(uri, SPONSOR).await;
    let published = client.open(test_uri, SPONSOR_TEST).await;
    assert_eq!(published["diagnostics"], json!([]), "{published}");
    let cases = [
        ("a route", uri, find(SPONSOR, "-> escalate", 0, 4)),
        ("a step's output", uri, find(SPONSOR, "lead.id", 0, 1)),
        ("a let", uri, find(SPONSOR, "Company: company", 0, 10)),
        ("a workflow in another file", test_uri, find(SPONSOR_TEST, "sponsor_leads", 0, 3)),
        ("a step named in a test", test_uri, find(SPONSOR_TEST, "step lead", 0, 6)),
    ];
    let show = |locations: &Value| -> String {
        locations
            .as_array()
            .into_iter()
            .flatten()
            .map(|l| {
                let r = &l["range"];
                format!(
                    "{} {}:{}-{}:{}",
                    l["uri"].as_str().unwrap().trim_start_matches("file:///w/"),
                    r["start"]["line"],
                    r["start"]["character"],
                    r["end"]["line"],
                    r["end"]["character"]
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = String::new();
    for (what, in_uri, at) in cases {
        let definition = client.request("textDocument/definition", text_position(in_uri, &at)).await;
        let mut params = text_position(in_uri, &at);
        params["context"] = json!({ "includeDeclaration": true });
        let references = client.request("textDocument/references", params).await;
        out.push_str(&format!(
            "## {what}\ndefinition: {}\nreferences: {}\n\n",
            show(&definition),
            show(&references)
        ));
    }
    insta::assert_snapshot!(out);
    client.shutdown().await;
}

#[tokio::test]
async fn document_symbols_outline_workflows_and_tests() {
    let mut client = LspClient::start().await;
    let uri = "file:///w/sponsor.komo";
    client.open(uri, &format!("{SPONSOR}\n{SPONSOR_TEST}")).await;
    let symbols =
        client.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } })).await;
    fn outline(symbols: &Value, depth: usize, out: &mut String) {
        for s in symbols.as_array().into_iter().flatten() {
            let r = &s["selectionRange"];
            out.push_str(&format!(
                "{}{} ({}, kind {}) at {}:{}\n",
                "  ".repeat(depth),
                s["name"].as_str().unwrap(),
                s["detail"].as_str().unwrap_or("-"),
                s["kind"],
                r["start"]["line"],
                r["start"]["character"]
            ));
            outline(&s["children"], depth + 1, out);
        }
    }
    let mut out = String::new();
    outline(&symbols, 0, &mut out);
    insta::assert_snapshot!(out);
    client.shutdown().await;
}

#[tokio::test]
async fn quick_fixes_apply_did_you_mean_suggestions() {
    let mut client = LspClient::start().await;
    let uri = "file:///w/typos.komo";
    let text = "workflow typos {\n  scope workspace\n  trigger Contact.Identifed\n\n  contact.add_to_lst(\"x\")\n}\n";
    let published = client.open(uri, text).await;
    let mut out = String::new();
    for d in published["diagnostics"].as_array().unwrap() {
        let actions = client
            .request(
                "textDocument/codeAction",
                json!({
                    "textDocument": { "uri": uri },
                    "range": d["range"],
                    "context": { "diagnostics": [d] },
                }),
            )
            .await;
        for a in actions.as_array().unwrap() {
            let edit = &a["edit"]["changes"][uri][0];
            out.push_str(&format!(
                "{} [{}] for {}: {} at {}:{}-{}:{}\n",
                a["title"].as_str().unwrap(),
                a["kind"].as_str().unwrap(),
                a["diagnostics"][0]["code"].as_str().unwrap(),
                edit["newText"].as_str().unwrap(),
                edit["range"]["start"]["line"],
                edit["range"]["start"]["character"],
                edit["range"]["end"]["line"],
                edit["range"]["end"]["character"],
            ));
        }
    }
    insta::assert_snapshot!(out);
    client.shutdown().await;
}

#[tokio::test]
async fn the_diagnostics_url_can_be_configured() {
    let mut client =
        LspClient::start_with(json!({ "diagnosticsUrl": "https://docs.example/diagnostics" })).await;
    let published = client.open("file:///w/a.komo", "workflow a { scope workspace trigger Nope stop }").await;
    assert_eq!(
        published["diagnostics"][0]["codeDescription"]["href"],
        "https://docs.example/diagnostics#k0301-unknown-trigger"
    );
    client.shutdown().await;
}

/// Every prefix of every example (cut at line ends), with hover, completion,
/// definition and symbols asked at many positions: the server answers every one.
#[tokio::test]
async fn the_server_keeps_answering_on_broken_code() {
    let mut client = LspClient::start().await;
    let uri = "file:///w/broken.komo";
    let mut texts = vec![
        SPONSOR.to_owned(),
        "workflow".to_owned(),
        "workflow w { trigger".to_owned(),
        "\"unterminated ${ contact.".to_owned(),
        "/* open comment".to_owned(),
        "}}}{{{((([[[ -> -> . . ‸ 😀 日本".to_owned(),
        "workflow w {\n  scope workspace\n  trigger Contact.Identified\n  step = contact.(\n".to_owned(),
        "test \"t\" { workflow ".to_owned(),
    ];
    let cuts: Vec<usize> = SPONSOR.match_indices('\n').map(|(i, _)| i).step_by(3).collect();
    texts.extend(cuts.iter().map(|&c| SPONSOR[..c].to_owned()));
    client.open(uri, "").await;
    for (version, text) in texts.iter().enumerate() {
        client
            .notify(
                "textDocument/didChange",
                json!({
                    "textDocument": { "uri": uri, "version": version + 2 },
                    "contentChanges": [{ "text": text }],
                }),
            )
            .await;
        client.diagnostics(uri).await;
        let lines = text.lines().count().max(1) as u32;
        for line in 0..=lines {
            for character in [0, 3, 9, 17, 40, 200] {
                let at = position(line, character);
                client.request("textDocument/hover", text_position(uri, &at)).await;
                client.request("textDocument/completion", text_position(uri, &at)).await;
                client.request("textDocument/definition", text_position(uri, &at)).await;
            }
        }
        client.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } })).await;
    }
    client.shutdown().await;
}

#[tokio::test]
async fn a_file_in_a_project_is_checked_against_its_catalog() {
    let mut client = LspClient::start().await;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/errors/catalog/k0601_unknown_catalog_name.komo");
    let text = std::fs::read_to_string(&path).unwrap();
    let uri = format!("file://{}", path.display());
    let published = client.open(&uri, &text).await;
    let codes: Vec<&str> =
        published["diagnostics"].as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["K0601", "K0601", "K0601"], "{published}");
    let first = published["diagnostics"][0]["message"].as_str().unwrap();
    assert!(first.starts_with("list `Event Atended` does not exist"), "{first}");
    client.shutdown().await;
}

#[tokio::test]
async fn formatting_gives_komo_fmt_layout_and_nothing_for_broken_text() {
    let mut client = LspClient::start().await;
    let uri = "file:///w/messy.komo";
    let messy = "workflow   welcome{\nscope workspace\n  trigger Contact.Identified // who\n      loyalty.award_points( 50 ,reason:\"hi\")\n}\n";
    client.open(uri, messy).await;
    let edits = client
        .request(
            "textDocument/formatting",
            json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
        )
        .await;
    let expected = komo::fmt::format_source(messy).unwrap();
    assert_ne!(expected, messy);
    assert_eq!(
        edits,
        json!([{ "range": range(0, 0, 5, 0), "newText": expected }]),
        "one edit replacing the whole document"
    );

    // Already formatted: no edits. Broken: no answer (the diagnostics say why).
    let formatted_uri = "file:///w/formatted.komo";
    client.open(formatted_uri, &expected).await;
    let none = client
        .request("textDocument/formatting", json!({ "textDocument": { "uri": formatted_uri }, "options": { "tabSize": 2, "insertSpaces": true } }))
        .await;
    assert_eq!(none, json!([]));
    let broken_uri = "file:///w/broken.komo";
    client
        .open(
            broken_uri,
            "workflow broken {\n  scope workspace\n  trigger Contact.Identified\n  loyalty.award_points(\n",
        )
        .await;
    let refused = client
        .request("textDocument/formatting", json!({ "textDocument": { "uri": broken_uri }, "options": { "tabSize": 2, "insertSpaces": true } }))
        .await;
    assert_eq!(refused, Value::Null);
    client.shutdown().await;
}

#[tokio::test]
async fn declared_properties_complete_after_contact_properties() {
    let mut client = LspClient::start().await;
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/demo/workflows/props.komo");
    let uri = format!("file://{}", path.display());
    let marked = "workflow props {\n  scope workspace\n  trigger Contact.Identified\n  if contact.properties.‸ {\n  }\n}\n";
    let got = labels(&mut client, &uri, marked).await;
    assert_eq!(got, vec!["favourite_team", "quizzes_finished"], "the demo's [catalog.properties]");
    client.shutdown().await;
}

#[tokio::test]
async fn trigger_loops_through_closed_project_files_are_reported() {
    let dir = std::env::temp_dir().join(format!("komo-lsp-loops-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("workflows")).unwrap();
    std::fs::write(dir.join("komo.toml"), "[workspace]\nid = \"acme\"\n").unwrap();
    let welcome = "workflow vip_welcome {\n  scope workspace\n  trigger Contact.ListAdded\n  contact.update(set: { vip: true })\n}\n";
    let sync = "workflow vip_sync {\n  scope workspace\n  trigger Contact.PropertyUpdated where \"vip\" in event.changed\n  contact.add_to_list(\"VIP\")\n}\n";
    std::fs::write(dir.join("workflows/vip_welcome.komo"), welcome).unwrap();
    std::fs::write(dir.join("workflows/vip_sync.komo"), sync).unwrap();
    let root = std::fs::canonicalize(&dir).unwrap();
    let uri_of = |name: &str| format!("file://{}", root.join("workflows").join(name).display());
    let (sync_uri, welcome_uri) = (uri_of("vip_sync.komo"), uri_of("vip_welcome.komo"));
    let mut client = LspClient::start().await;

    // Only `vip_sync` is open: the loop goes through the closed `vip_welcome.komo`.
    let published = client.open(&sync_uri, sync).await;
    let found = &published["diagnostics"];
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{published}");
    assert_eq!(found[0]["code"], "K0701", "{published}");
    assert_eq!(found[0]["range"]["start"], position(3, 2), "{published}");
    let related = &found[0]["relatedInformation"][0];
    assert_eq!(related["location"]["uri"], welcome_uri.as_str(), "{published}");
    assert_eq!(related["location"]["range"]["start"], position(3, 2), "{published}");
    assert_eq!(related["message"], "causes `Contact.PropertyUpdated`, which starts `vip_sync`");

    // The open text wins over the file: a filter typed in the editor breaks the loop.
    let filtered =
        welcome.replace("Contact.ListAdded", "Contact.ListAdded where event.list == \"Newsletter\"");
    let opened = json!({ "textDocument": { "uri": welcome_uri, "languageId": "komo", "version": 1, "text": filtered } });
    client.notify("textDocument/didOpen", opened).await;
    assert_eq!(client.diagnostics(&sync_uri).await["diagnostics"], json!([]));
    assert_eq!(client.diagnostics(&welcome_uri).await["diagnostics"], json!([]));

    // Closed without saving: the file on disk counts again.
    client.notify("textDocument/didClose", json!({ "textDocument": { "uri": welcome_uri } })).await;
    assert_eq!(client.diagnostics(&welcome_uri).await["diagnostics"], json!([]));
    let again = client.diagnostics(&sync_uri).await;
    assert_eq!(again["diagnostics"].as_array().map(Vec::len), Some(1), "{again}");
    client.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn expect_event_names_a_trigger_for_hover_and_binds_its_fields() {
    let mut client = LspClient::start().await;
    let uri = "file:///w/events.komo";
    let text = "workflow w {\n  scope workspace\n  trigger Contact.Identified\n  contact.add_to_list(\"VIP\")\n}\ntest \"t\" {\n  expect event Contact.ListAdded where list == \"VIP\"\n}\n";
    let published = client.open(uri, text).await;
    assert_eq!(published["diagnostics"], json!([]), "{published}");
    let at = find(text, "Contact.ListAdded", 0, 3);
    let trigger = client.request("textDocument/hover", text_position(uri, &at)).await;
    let shown = trigger["contents"]["value"].as_str().unwrap_or_default();
    assert!(shown.contains("trigger Contact.ListAdded"), "{trigger}");
    let field = client.request("textDocument/hover", text_position(uri, &find(text, "list ==", 0, 1))).await;
    let shown = field["contents"]["value"].as_str().unwrap_or_default();
    assert!(shown.contains("String"), "{field}");
    client.shutdown().await;
}

/// Hover over a workflow's name shows the bounds the last check computed.
#[tokio::test]
async fn hover_over_a_workflow_name_shows_its_bounds() {
    let mut client = LspClient::start().await;
    let uri = "file:///w/bounds.komo";
    let text = "workflow reminders {\n  scope workspace\n  trigger Contact.Identified\n  if contact.email != null {\n    contact.send_email(template: \"a\") retry 1 backoff 1m\n  }\n  wait 2d\n  loyalty.award_points(25)\n}\n";
    let published = client.open(uri, text).await;
    assert_eq!(published["diagnostics"], json!([]), "{published}");
    let hover =
        client.request("textDocument/hover", text_position(uri, &find(text, "reminders", 0, 2))).await;
    let shown = hover["contents"]["value"].as_str().unwrap_or_default();
    // 2d, plus a retry delay of up to 1m6s and two attempts of up to 30s; 2 emails.
    let row = "| 2d2m6s | 2 | 0 | 2 | 25 |";
    assert!(
        shown.contains("| longest run | emails | SMS | external calls | points |") && shown.contains(row),
        "{shown}"
    );
    client.shutdown().await;
}
