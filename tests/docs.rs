//! The docs' code is tested: every ```` ```komo ```` block of `docs/*.md` and `README.md`
//! is checked as `komo check` checks a file (parse and check through
//! `komo::check_sources_in`), and must give exactly what its fence says.
//!
//! The fence's info string, after `komo`, holds space-separated attributes:
//!
//! - nothing: the block must check clean, no error and no warning;
//! - `expect=K0204` (or `expect=K0001,K0010`): the block is meant to be wrong (or to
//!   warn). Each named code must be reported at least once, and every diagnostic must
//!   have one of the named codes, so a wrong example shows its own mistake and no other;
//! - `project=examples/errors/catalog`: the block is checked against the catalog of that
//!   project (its `komo.toml` and `templates/`), as `komo check` would be inside it.
//!   Without it a block is checked without a catalog, as outside a project: every list,
//!   template or offer name is accepted;
//! - `ignore`: not checked at all. For text that cannot be a check (none today); at most
//!   [`MAX_IGNORED`] blocks may be ignored.
//!
//! A block whose first line of code (after blank lines and `//` comments) does not start
//! with `workflow` or `test` is a **fragment** of statements, such as the formatting
//! guide's layouts: it is checked as the body of
//! `workflow doc_fragment { scope workspace trigger Contact.Identified … }`. A fragment
//! must be whole statements that make sense there; show anything else (a header clause,
//! another trigger's fields) in a whole workflow.
//!
//! Each block is checked on its own, at its own lines: the text before it is blank (the
//! fragment's wrapper sits on the fence's line), so every diagnostic in a failure message
//! reads `docs/language.md:45:3: error[K0204]: …`, at the line of the Markdown file.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::print_stdout
)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use komo::check::ProjectCatalog;
use komo::diagnostics::{Code, Diagnostic};
use komo::source::SourceMap;

/// How many blocks may be `ignore`d, over all the docs.
const MAX_IGNORED: usize = 0;

/// The wrapper of a fragment: it opens on the fence's line, and `}` closes it after.
const FRAGMENT_HEAD: &str = "workflow doc_fragment { scope workspace trigger Contact.Identified";

/// One ```` ```komo ```` block, as the fence describes it.
#[derive(Debug, PartialEq)]
struct Block {
    /// 1-based line of the opening fence in its Markdown file.
    fence_line: usize,
    code: String,
    expect: Vec<Code>,
    project: Option<String>,
    ignore: bool,
}

/// The komo blocks of a Markdown text. A fence's attributes that are not understood
/// are an error, so a misspelt `expect` does not silently make a block "clean".
fn komo_blocks(markdown: &str) -> Result<Vec<Block>, String> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, Option<Block>)> = None;
    for (index, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut open {
            None => {
                let Some(fence) = fence_of(trimmed) else { continue };
                let info = trimmed[fence.len()..].trim();
                let mut words = info.split_whitespace();
                let block = if words.next() == Some("komo") {
                    Some(block_of(index + 1, words).map_err(|e| format!("line {}: {e}", index + 1))?)
                } else {
                    None
                };
                open = Some((fence, block));
            }
            Some((fence, block)) => {
                if is_closing(trimmed, fence) {
                    if let Some(block) = block.take() {
                        blocks.push(block);
                    }
                    open = None;
                } else if let Some(block) = block {
                    block.code.push_str(line);
                    block.code.push('\n');
                }
            }
        }
    }
    match open {
        Some((_, Some(block))) => Err(format!("line {}: the block is never closed", block.fence_line)),
        _ => Ok(blocks),
    }
}

/// The opening run of backticks or tildes of a fence line (three or more).
fn fence_of(line: &str) -> Option<String> {
    let first = line.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let run: String = line.chars().take_while(|c| *c == first).collect();
    (run.len() >= 3).then_some(run)
}

/// Whether `line` closes a block opened by `fence`: the same character, at least as many.
fn is_closing(line: &str, fence: &str) -> bool {
    let line = line.trim_end();
    fence.chars().next().is_some_and(|c| line.len() >= fence.len() && line.chars().all(|l| l == c))
}

fn block_of<'a>(fence_line: usize, attributes: impl Iterator<Item = &'a str>) -> Result<Block, String> {
    let mut block =
        Block { fence_line, code: String::new(), expect: Vec::new(), project: None, ignore: false };
    for attribute in attributes {
        if let Some(codes) = attribute.strip_prefix("expect=") {
            for name in codes.split(',') {
                let code = Code::ALL
                    .iter()
                    .copied()
                    .find(|c| c.as_str() == name)
                    .ok_or_else(|| format!("`{name}` is not a diagnostic code (write it as `K0204`)"))?;
                block.expect.push(code);
            }
        } else if let Some(dir) = attribute.strip_prefix("project=") {
            block.project = Some(dir.to_string());
        } else if attribute == "ignore" {
            block.ignore = true;
        } else {
            return Err(format!(
                "unknown attribute `{attribute}` on a komo fence (expect=, project=, ignore)"
            ));
        }
    }
    Ok(block)
}

/// Whether the block's code is whole items (`workflow`, `test`) rather than statements.
fn is_whole_file(code: &str) -> bool {
    let first = code.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with("//"));
    first.is_none_or(|l| l.starts_with("workflow ") || l.starts_with("test "))
}

/// The text checked for a block: blank lines up to the fence (the wrapper's head on the
/// fence's line, for a fragment), so positions are the Markdown file's.
fn checked_text(block: &Block) -> String {
    let mut text = "\n".repeat(block.fence_line - 1);
    if is_whole_file(&block.code) {
        text.push('\n');
        text.push_str(&block.code);
    } else {
        text.push_str(FRAGMENT_HEAD);
        text.push('\n');
        text.push_str(&block.code);
        text.push_str("}\n");
    }
    text
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `README.md` and every `docs/*.md`, as paths relative to the repository.
fn markdown_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .map(|path| path.strip_prefix(root()).unwrap().to_path_buf())
        .collect();
    files.sort();
    files.insert(0, PathBuf::from("README.md"));
    files
}

/// What is wrong with a block's diagnostics, if anything.
fn verdict(block: &Block, diags: &[Diagnostic]) -> Option<String> {
    if block.expect.is_empty() {
        return (!diags.is_empty()).then(|| "must check clean (or say `expect=…` on its fence)".to_string());
    }
    let missing: Vec<&str> =
        block.expect.iter().filter(|c| !diags.iter().any(|d| d.code == **c)).map(|c| c.as_str()).collect();
    let unexpected: BTreeSet<&str> =
        diags.iter().filter(|d| !block.expect.contains(&d.code)).map(|d| d.code.as_str()).collect();
    match (missing.is_empty(), unexpected.is_empty()) {
        (true, true) => None,
        (false, _) => Some(format!("expects {} but does not report it", missing.join(", "))),
        (true, false) => Some(format!(
            "reports {} besides what it expects",
            unexpected.into_iter().collect::<Vec<_>>().join(", ")
        )),
    }
}

/// Each diagnostic on its own line: `file:line:col: severity[code]: message`, and help.
fn listing(sources: &SourceMap, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let file = sources.get(d.file()).unwrap();
        let at = file.line_col(d.span().start as usize);
        out.push_str(&format!(
            "  {}:{}:{}: {}[{}]: {}\n",
            file.name,
            at.line,
            at.column,
            d.severity.as_str(),
            d.code.as_str(),
            d.message
        ));
        if let Some(help) = &d.help {
            out.push_str(&format!("      help: {help}\n"));
        }
    }
    out
}

/// The catalog a block is checked against: none, or its `project=`'s.
fn catalog_of(block: &Block) -> Result<Arc<ProjectCatalog>, String> {
    match &block.project {
        None => Ok(Arc::default()),
        Some(dir) => {
            komo::cli::project::load_catalog(&root().join(dir)).map(Arc::new).map_err(|e| e.to_string())
        }
    }
}

#[test]
fn every_komo_block_of_the_docs_checks_as_its_fence_says() {
    let (mut checked, mut wrong, mut ignored, mut fragments) = (0, 0, Vec::new(), 0);
    let mut failures = Vec::new();
    for file in markdown_files() {
        let markdown = std::fs::read_to_string(root().join(&file)).unwrap();
        let name = file.display().to_string();
        let blocks = komo_blocks(&markdown).unwrap_or_else(|e| panic!("{name}: {e}"));
        for block in blocks {
            if block.ignore {
                ignored.push(format!("{name}:{}", block.fence_line));
                continue;
            }
            checked += 1;
            wrong += usize::from(!block.expect.is_empty());
            fragments += usize::from(!is_whole_file(&block.code));
            let mut sources = SourceMap::new();
            sources.add(name.clone(), checked_text(&block));
            let catalog = catalog_of(&block)
                .unwrap_or_else(|e| panic!("{name}:{}: the block's project: {e}", block.fence_line));
            let diags = komo::check_sources_in(&sources, &catalog).diagnostics;
            if let Some(problem) = verdict(&block, &diags) {
                let shown = if diags.is_empty() {
                    "  (no diagnostics)\n".to_string()
                } else {
                    listing(&sources, &diags)
                };
                failures.push(format!("{name}:{}: the block {problem}\n{shown}", block.fence_line));
            }
        }
    }
    println!(
        "docs: {checked} komo blocks checked ({wrong} marked wrong, {fragments} fragments), {} ignored",
        ignored.len()
    );
    assert!(
        failures.is_empty(),
        "{} doc blocks do not check as their fence says:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
    // No block past the allowed number (`len() <= MAX_IGNORED`, which clippy finds
    // absurd while the number is 0).
    assert!(
        ignored.get(MAX_IGNORED).is_none(),
        "{} blocks are ignored, at most {MAX_IGNORED} may be: {ignored:?}",
        ignored.len()
    );
    // The docs have well over a hundred blocks: finding few means the reader is broken.
    assert!(checked >= 100, "only {checked} komo blocks found");
}

#[test]
fn fences_are_read_with_their_attributes_and_lines() {
    let markdown = "# Title\n\n```komo\nworkflow a {}\n```\n\n````komo expect=K0001,K0010 project=examples/x\nlet = 1\n```\n````\n\n```sh\nkomo check\n```\n~~~komo ignore\nx\n~~~\n";
    let blocks = komo_blocks(markdown).unwrap();
    assert_eq!(
        blocks,
        vec![
            Block {
                fence_line: 3,
                code: "workflow a {}\n".to_string(),
                expect: vec![],
                project: None,
                ignore: false
            },
            Block {
                fence_line: 7,
                code: "let = 1\n```\n".to_string(),
                expect: vec![Code::Syntax, Code::UnclosedDelimiter],
                project: Some("examples/x".to_string()),
                ignore: false
            },
            Block { fence_line: 15, code: "x\n".to_string(), expect: vec![], project: None, ignore: true },
        ]
    );
    assert!(
        komo_blocks("```komo expects=K0204\n```\n")
            .unwrap_err()
            .contains("unknown attribute `expects=K0204`")
    );
    assert!(
        komo_blocks("```komo expect=K204\n```\n").unwrap_err().contains("`K204` is not a diagnostic code")
    );
    assert!(
        komo_blocks("text\n```komo\nworkflow a {}\n")
            .unwrap_err()
            .contains("line 2: the block is never closed")
    );
}

#[test]
fn fragments_are_wrapped_and_keep_their_markdown_lines() {
    let whole = Block {
        fence_line: 3,
        code: "/// doc\nworkflow a {\n}\n".to_string(),
        expect: vec![],
        project: None,
        ignore: false,
    };
    assert!(is_whole_file(&whole.code));
    assert_eq!(checked_text(&whole), "\n\n\n/// doc\nworkflow a {\n}\n");

    let fragment = Block { code: "  contact.send_sms(\"hi\")\n".to_string(), ..whole };
    assert!(!is_whole_file(&fragment.code));
    let text = checked_text(&fragment);
    assert_eq!(text, format!("\n\n{FRAGMENT_HEAD}\n  contact.send_sms(\"hi\")\n}}\n"));
    // The send is on line 4 of the Markdown file (the fence is on line 3).
    let mut sources = SourceMap::new();
    sources.add("guide.md", text);
    let diags = komo::check_sources(&sources).diagnostics;
    assert_eq!(diags.iter().map(|d| d.code.as_str()).collect::<Vec<_>>(), ["K0204"], "{diags:?}");
    assert_eq!(
        listing(&sources, &diags).lines().next().map(|l| l.trim_start().split(": ").next()),
        Some(Some("guide.md:4:3"))
    );
    assert_eq!(
        verdict(&fragment, &diags).as_deref(),
        Some("must check clean (or say `expect=…` on its fence)")
    );
    let marked = Block { expect: vec![Code::MaybeNull], ..fragment };
    assert_eq!(verdict(&marked, &diags), None);
}

#[test]
fn verdicts_name_the_missing_and_the_unexpected_codes() {
    // A misspelt jump: K0104 at the jump, and the K0405 warning on the route it meant.
    let code = "  http.request(\"GET\", \"https://example.com\") on failure -> escalte\n  route escalate {\n    stop\n  }\n";
    let block = |expect: Vec<Code>| Block {
        fence_line: 1,
        code: code.to_string(),
        expect,
        project: None,
        ignore: false,
    };
    let mut sources = SourceMap::new();
    sources.add("guide.md", checked_text(&block(vec![])));
    let diags = komo::check_sources(&sources).diagnostics;
    assert_eq!(verdict(&block(vec![Code::UnknownRoute, Code::UnusedRoute]), &diags), None);
    assert_eq!(
        verdict(&block(vec![Code::UnknownRoute]), &diags).as_deref(),
        Some("reports K0405 besides what it expects")
    );
    assert_eq!(
        verdict(&block(vec![Code::UnknownRoute, Code::Syntax]), &diags).as_deref(),
        Some("expects K0001 but does not report it")
    );
    assert_eq!(verdict(&block(vec![]), &[]), None);
}
