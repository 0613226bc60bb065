//! The layering rule of `STYLE.md`: `src/cli/` is the only place that reads files, the
//! environment, argv or the terminal. Everything else gets plain values from it.
//!
//! This test reads every `.rs` file under `src/`, drops comments and the contents of
//! string and character literals, expands `use` trees (so `use std::{env, fs}` and
//! `use std::io; io::stdin()` are seen for what they are) and fails on any path into
//! the process's files, environment, process control or standard streams outside the
//! places allowed below, naming the file, the line and the path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Paths that reach the outside world through the process: files, environment
/// (variables, argv, the current directory), process control (exit, spawning) and the
/// standard streams.
const FORBIDDEN: &[&str] = &[
    "std::env",
    "std::fs",
    "std::process",
    "std::io::stdin",
    "std::io::stdout",
    "std::io::stderr",
    "tokio::fs",
    "tokio::process",
    "tokio::io::stdin",
    "tokio::io::stdout",
    "tokio::io::stderr",
];

/// Where those paths belong, and why.
const ALLOWED: &[(&str, &str)] = &[
    ("src/cli/", "the command line: the one place that reads files, the environment, argv and the terminal"),
    ("src/main.rs", "the binary's entry point: it runs `cli::main` and returns its exit code to the OS"),
    ("src/engine/store/", "the store creates and opens its own database files"),
];

/// Single files outside [`ALLOWED`] that may still use one of [`FORBIDDEN`]:
/// `(file, the forbidden path it uses, why)`. Each entry must still be needed.
const EXCEPTIONS: &[(&str, &str, &str)] = &[];

#[test]
fn only_the_cli_reads_files_env_argv_or_the_terminal() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    assert!(files.len() > 50, "src/ should hold the crate's files, found {}", files.len());
    let mut found = Vec::new();
    let mut used_exceptions = vec![false; EXCEPTIONS.len()];
    for file in &files {
        let name = file.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
        if ALLOWED.iter().any(|(prefix, _)| name.starts_with(prefix)) {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        for (line, path) in forbidden_paths(&text) {
            let excepted = EXCEPTIONS.iter().position(|(f, p, _)| *f == name && path.starts_with(p));
            match excepted {
                Some(i) => used_exceptions[i] = true,
                None => found.push(format!("{name}:{line}: `{path}`")),
            }
        }
    }
    assert!(
        found.is_empty(),
        "files, the environment, process control and standard streams belong in src/cli/ \
         (pass what is read as plain values):\n{}",
        found.join("\n")
    );
    for ((file, path, _), used) in EXCEPTIONS.iter().zip(used_exceptions) {
        assert!(used, "the exception for `{path}` in {file} is no longer needed: remove it");
    }
}

#[test]
fn the_scan_sees_through_use_trees_aliases_comments_and_strings() {
    let text = r##"
        // std::fs in a comment
        /* std::env in a /* nested */ block */
        const S: &str = "std::process::exit";
        const R: &str = r#"std::fs::read "quoted""#;
        const C: char = '"';
        fn f<'a>(x: &'a str) {}
        use std::{env as environment, io::{self, Write}, collections::HashMap};
        use tokio::io as tio;
        fn g() {
            let _ = environment::var("X");
            let _ = io::stdin();
            let _ = tio::stdout();
            let _ = ::std::fs::read("a");
            let _ = std::io::stderr();
        }
    "##;
    let paths: Vec<(usize, String)> = forbidden_paths(text);
    let shown: Vec<String> = paths.iter().map(|(line, path)| format!("{line}:{path}")).collect();
    assert_eq!(
        shown,
        [
            "8:std::env",
            "11:std::env::var",
            "12:std::io::stdin",
            "13:tokio::io::stdout",
            "14:std::fs::read",
            "15:std::io::stderr",
        ]
    );
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `(line, full path)` of every use of a [`FORBIDDEN`] path in `text`.
fn forbidden_paths(text: &str) -> Vec<(usize, String)> {
    let tokens = tokens(text);
    let mut aliases: HashMap<String, String> = HashMap::new();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(token) = tokens.get(i) {
        if token.text == "use" {
            let end = (i..tokens.len()).find(|&j| tokens[j].text == ";").unwrap_or(tokens.len());
            let mut imports = Vec::new();
            use_tree(&tokens[i + 1..end], String::new(), &mut imports);
            for (path, alias) in imports {
                if is_forbidden(&path) {
                    out.push((token.line, path.clone()));
                }
                aliases.insert(alias, path);
            }
            i = end + 1;
            continue;
        }
        if is_ident(&token.text) {
            let mut segments = vec![token.text.clone()];
            let mut j = i + 1;
            while tokens.get(j).is_some_and(|t| t.text == "::")
                && tokens.get(j + 1).is_some_and(|t| is_ident(&t.text))
            {
                segments.push(tokens[j + 1].text.clone());
                j += 2;
            }
            if segments.len() > 1 {
                let first = aliases.get(&segments[0]).cloned().unwrap_or_else(|| segments[0].clone());
                let path = std::iter::once(first)
                    .chain(segments[1..].iter().cloned())
                    .collect::<Vec<_>>()
                    .join("::");
                if is_forbidden(&path) {
                    out.push((token.line, path));
                }
            }
            i = j;
            continue;
        }
        i += 1;
    }
    out
}

fn is_forbidden(path: &str) -> bool {
    FORBIDDEN.iter().any(|f| path == *f || path.starts_with(&format!("{f}::")))
}

/// Expands a `use` tree (without `use` and `;`) into `(full path, name it is bound to)`.
fn use_tree(tokens: &[Token], prefix: String, out: &mut Vec<(String, String)>) {
    let mut path = prefix;
    let mut i = 0;
    while let Some(token) = tokens.get(i) {
        match token.text.as_str() {
            "::" => {}
            "{" => {
                let close = matching(tokens, i);
                for item in split_top_level(&tokens[i + 1..close]) {
                    use_tree(item, path.clone(), out);
                }
                return;
            }
            "as" => {
                if let Some(alias) = tokens.get(i + 1) {
                    out.push((path, alias.text.clone()));
                }
                return;
            }
            "self" if !path.is_empty() => {}
            name => {
                if !path.is_empty() {
                    path.push_str("::");
                }
                path.push_str(name);
            }
        }
        i += 1;
    }
    let bound = path.rsplit("::").next().unwrap_or("").to_string();
    if !path.is_empty() {
        out.push((path, bound));
    }
}

fn matching(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0;
    for (j, token) in tokens.iter().enumerate().skip(open) {
        match token.text.as_str() {
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                if depth == 0 {
                    return j;
                }
            }
            _ => {}
        }
    }
    tokens.len()
}

fn split_top_level(tokens: &[Token]) -> Vec<&[Token]> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (j, token) in tokens.iter().enumerate() {
        match token.text.as_str() {
            "{" => depth += 1,
            "}" => depth -= 1,
            "," if depth == 0 => {
                items.push(&tokens[start..j]);
                start = j + 1;
            }
            _ => {}
        }
    }
    items.push(&tokens[start..]);
    items.into_iter().filter(|item| !item.is_empty()).collect()
}

struct Token {
    text: String,
    line: usize,
}

fn is_ident(text: &str) -> bool {
    text.chars().next().is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// Identifiers, `::` and single punctuation characters, with their lines; comments and
/// literals are dropped.
fn tokens(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0, 1);
    let next = |at: usize| chars.get(at).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        let count_lines =
            |from: usize, to: usize| chars[from..to.min(chars.len())].iter().filter(|&&c| c == '\n').count();
        if c == '/' && next(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next(i + 1) == '*' {
            let (start, mut depth) = (i, 0);
            while i < chars.len() {
                if chars[i] == '/' && next(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && next(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            line += count_lines(start, i);
        } else if (c == 'r' || c == 'b') && is_raw_string_start(&chars, i) {
            let start = i;
            while chars[i] != '#' && chars[i] != '"' {
                i += 1;
            }
            let hashes = chars[i..].iter().take_while(|&&c| c == '#').count();
            i += hashes + 1;
            let closing: Vec<char> = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
            while i < chars.len() && !chars[i..].starts_with(&closing) {
                i += 1;
            }
            i += closing.len();
            line += count_lines(start, i);
        } else if c == '"' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            line += count_lines(start, i);
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{1F600}'), or else a lifetime.
            if next(i + 1) == '\\' {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if next(i + 2) == '\'' {
                i += 3;
            } else {
                i += 1;
            }
        } else if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Token { text: chars[start..i].iter().collect(), line });
        } else if c == ':' && next(i + 1) == ':' {
            out.push(Token { text: "::".into(), line });
            i += 2;
        } else {
            if !c.is_whitespace() {
                out.push(Token { text: c.to_string(), line });
            }
            i += 1;
        }
    }
    out
}

/// `r"`, `r#"`, `br"`, `br#"` (not an identifier that happens to start with `r`).
fn is_raw_string_start(chars: &[char], at: usize) -> bool {
    let before_is_ident = at > 0 && chars.get(at - 1).is_some_and(|c| c.is_alphanumeric() || *c == '_');
    if before_is_ident {
        return false;
    }
    let mut i = at;
    if chars.get(i) == Some(&'b') {
        i += 1;
    }
    if chars.get(i) != Some(&'r') {
        return false;
    }
    i += 1;
    while chars.get(i) == Some(&'#') {
        i += 1;
    }
    chars.get(i) == Some(&'"')
}
