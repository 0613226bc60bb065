//! The formatter: `.komo` text in, the same program in its one canonical layout out.
//!
//! [`format_with`] parses the text; a file with syntax errors is never formatted (the
//! errors come back in a [`FormatError`]). Otherwise the AST is written again
//! ([`items`], [`exprs`]) through a [`printer::Printer`] that puts every comment back
//! where it was (see `docs/formatting.md` for the rules). Before the text is returned
//! it must have the same tokens and comments as the source ([`tokens`]) and the same doc
//! comments; [`verify`] (which [`format_source`] and `komo fmt` add) parses it again and
//! compares the trees. A formatter bug becomes an internal-error diagnostic, never a
//! changed program.
//!
//! ```
//! let tidy = komo::fmt::format_source("workflow w{scope workspace trigger Contact.Identified\nstop}").unwrap();
//! assert_eq!(tidy, "workflow w {\n  scope workspace\n  trigger Contact.Identified\n\n  stop\n}\n");
//! ```

mod exprs;
mod items;
mod printer;
mod tokens;

use std::fmt;

use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, Span};
use crate::syntax::{Limits, doc_before, parse_with};

pub use printer::MAX_WIDTH;

/// Why a file was not formatted.
#[derive(Debug)]
pub struct FormatError {
    /// The file's syntax errors; or one internal error (K0901) when the formatted
    /// text failed the formatter's own check.
    pub diagnostics: Vec<Diagnostic>,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.diagnostics.as_slice() {
            [only] => write!(f, "not formatted: {}", only.message),
            all => write!(f, "not formatted: {} errors", all.len()),
        }
    }
}

impl std::error::Error for FormatError {}

/// Formats one file with the spec's limits, and checks the result the slow, sure way
/// ([`verify`]). For editors and `komo fmt`.
pub fn format_source(source: &str) -> Result<String, FormatError> {
    let file = FileId(0);
    let formatted = format_with(file, source, Limits::default())?;
    verify(file, source, &formatted, Limits::default())?;
    Ok(formatted)
}

/// Formats one file (its diagnostics name `file`; other `limits` are for benchmarks).
///
/// The result passes the quick self-check: the same tokens and comments in the same
/// order as the source (layout and trailing commas aside), and the same doc comment on
/// every workflow, route, statement and test.
pub fn format_with(file: FileId, source: &str, limits: Limits) -> Result<String, FormatError> {
    let parsed = parse_with(file, source, limits);
    let errors: Vec<Diagnostic> = parsed.diagnostics.into_iter().filter(Diagnostic::is_error).collect();
    if !errors.is_empty() {
        return Err(FormatError { diagnostics: errors });
    }
    let mut printer = printer::Printer::new(source, &parsed.comments);
    items::file(&mut printer, &parsed.file);
    let printed = printer.finish();
    let text = printed.text;
    if !tokens::same_tokens(source, &text) {
        return Err(internal(file, "the formatted text has other tokens or comments"));
    }
    if printed.docs.iter().any(|(at, doc)| doc_before(&text, *at) != *doc) {
        return Err(internal(file, "the formatted text moved a doc comment"));
    }
    Ok(text)
}

/// Checks that `formatted` is `source` in another layout, by parsing it again: the
/// same tree (spans aside, doc comments included) and the same comments in the same
/// order. A difference is a formatter bug, reported as an internal error.
pub fn verify(file: FileId, source: &str, formatted: &str, limits: Limits) -> Result<(), FormatError> {
    let before = parse_with(file, source, limits);
    let after = parse_with(file, formatted, limits);
    let problem = if after.diagnostics.iter().any(Diagnostic::is_error) {
        Some("the formatted text does not parse")
    } else if after.file != before.file {
        Some("the formatted text parses to a different program")
    } else if !comment_texts(source, &before.comments).eq(comment_texts(formatted, &after.comments)) {
        Some("the formatted text lost or moved a comment")
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(internal(file, problem)),
    }
}

fn internal(file: FileId, problem: &str) -> FormatError {
    FormatError {
        diagnostics: vec![
            Diagnostic::new(Code::Internal, file, Span::point(0), format!("internal error: {problem}"))
                .with_help("this is a bug in `komo fmt`; please report it with this file"),
        ],
    }
}

/// The comments of a text as the formatter writes them: line comments without
/// trailing blanks, block comments with `\n` line breaks.
pub fn comment_texts<'a>(source: &'a str, comments: &'a [Span]) -> impl Iterator<Item = String> + 'a {
    comments.iter().map(move |c| {
        let raw = source.get(c.start as usize..c.end as usize).unwrap_or("");
        if raw.starts_with("//") { raw.trim_end().to_owned() } else { raw.replace("\r\n", "\n") }
    })
}
