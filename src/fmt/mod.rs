//! The formatter: `.komo` text in, the same program in its one canonical layout out.
//!
//! [`format_source`] parses the text; a file with syntax errors is never formatted (the
//! errors come back in a [`FormatError`]). Otherwise the AST is written again
//! ([`items`], [`exprs`]) through a [`printer::Printer`] that puts every comment back
//! where it was (see `docs/formatting.md` for the rules). Before the text is returned
//! it is parsed once more and must give the same tree (docs included; spans aside) and
//! the same comments in the same order: a formatter bug becomes an internal-error
//! diagnostic, never a changed program.
//!
//! ```
//! let tidy = komo::fmt::format_source("workflow w{scope workspace trigger Contact.Identified\nstop}").unwrap();
//! assert_eq!(tidy, "workflow w {\n  scope workspace\n  trigger Contact.Identified\n\n  stop\n}\n");
//! ```

mod exprs;
mod items;
mod printer;

use std::fmt;

use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, Span};
use crate::syntax::{Limits, parse_with};

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

/// Formats one file with the spec's limits.
pub fn format_source(source: &str) -> Result<String, FormatError> {
    format_with(FileId(0), source, Limits::default())
}

/// Formats one file; its diagnostics name `file`. Other `limits` are for benchmarks.
pub fn format_with(file: FileId, source: &str, limits: Limits) -> Result<String, FormatError> {
    let parsed = parse_with(file, source, limits);
    let errors: Vec<Diagnostic> = parsed.diagnostics.into_iter().filter(Diagnostic::is_error).collect();
    if !errors.is_empty() {
        return Err(FormatError { diagnostics: errors });
    }
    let mut printer = printer::Printer::new(source, &parsed.comments);
    items::file(&mut printer, &parsed.file);
    let formatted = printer.finish();

    let again = parse_with(file, &formatted, limits);
    let problem = if again.diagnostics.iter().any(Diagnostic::is_error) {
        Some("the formatted text does not parse")
    } else if again.file != parsed.file {
        Some("the formatted text parses to a different program")
    } else if !comment_texts(source, &parsed.comments).eq(comment_texts(&formatted, &again.comments)) {
        Some("the formatted text lost or moved a comment")
    } else {
        None
    };
    match problem {
        None => Ok(formatted),
        Some(problem) => Err(FormatError {
            diagnostics: vec![
                Diagnostic::new(Code::Internal, file, Span::point(0), format!("internal error: {problem}"))
                    .with_help("this is a bug in `komo fmt`; please report it with this file"),
            ],
        }),
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
