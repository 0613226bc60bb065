//! The three presentations of a list of diagnostics.
//!
//! In: the [`SourceMap`](crate::source::SourceMap) the diagnostics point into and the
//! [`Diagnostic`](super::Diagnostic)s themselves (already sorted). Out:
//!
//! - [`human`]: rich reports with source snippets for people (miette's graphical
//!   handler, fixed width, with or without ANSI colour);
//! - [`short`]: one `file:line:col: error[K0301]: message` line per diagnostic, for
//!   editors' problem matchers and grep (codespan-reporting's short style);
//! - [`json`] / [`json_string`]: the versioned machine-readable report of
//!   `komo check --format json` (engine.md §3).
//!
//! Every renderer is a pure function: no I/O, no environment, no terminal queries, so
//! the same input always gives the same text. Spans that fall outside their file, or
//! inside a character, are clamped rather than trusted; a diagnostic whose file is not
//! in the map is still shown, without a location.

mod human;
mod json;
mod short;

pub use human::human;
pub use json::{FORMAT_VERSION, JsonDiagnostic, JsonLabel, JsonReport, json, json_string};
pub use short::short;

use crate::source::{SourceFile, Span};

/// The byte range of `span` inside `file`, clamped to the text and to char boundaries.
fn clamped_range(file: &SourceFile, span: Span) -> std::ops::Range<usize> {
    let start = file.floor_char_boundary(span.start as usize);
    let end = file.floor_char_boundary(span.end as usize).max(start);
    start..end
}

/// A message on one line: renderers that promise one line per diagnostic use this.
fn one_line(message: &str) -> std::borrow::Cow<'_, str> {
    if message.contains(['\n', '\r']) {
        std::borrow::Cow::Owned(message.replace("\r\n", " ").replace(['\n', '\r'], " "))
    } else {
        std::borrow::Cow::Borrowed(message)
    }
}

#[cfg(test)]
pub(super) mod fixture {
    //! Hand-made diagnostics over two files, with CJK and emoji before the errors so
    //! that byte offsets and scalar-value columns differ.

    use crate::diagnostics::{Code, Diagnostic, sort_diagnostics};
    use crate::source::{SourceMap, Span};

    pub const WELCOME: &str = "\
workflow welcome {
  scope workspace
  trigger Contact.Identified
  let fullName = \"Ana\"
  contact.send_email(subject: \"欢迎 😀 hi\", to: contat.email)
}
";

    pub const AGAIN: &str = "\
// 再见 👋
workflow welcome {
  scope workspace
  trigger Contact.Identified
  wait 1d
";

    /// The span of the `nth` (0-based) occurrence of `needle` in `text`.
    pub fn find(text: &str, needle: &str, nth: usize) -> Span {
        let start = text.match_indices(needle).nth(nth).map_or(0, |(at, _)| at);
        Span::new(start, start + needle.len())
    }

    pub fn sample() -> (SourceMap, Vec<Diagnostic>) {
        let mut sources = SourceMap::new();
        let welcome = sources.add("workflows/welcome.komo", WELCOME);
        let again = sources.add("workflows/again.komo", AGAIN);
        let mut diags = vec![
            Diagnostic::new(Code::UnknownName, welcome, find(WELCOME, "contat", 0), "unknown name `contat`")
                .with_label("not defined in this workflow")
                .with_secondary(welcome, find(WELCOME, "welcome", 0), "in this workflow")
                .with_help("did you mean `contact`?"),
            Diagnostic::new(
                Code::NamingConvention,
                welcome,
                find(WELCOME, "fullName", 0),
                "`fullName` is not snake_case",
            )
            .with_help("rename it `full_name`"),
            Diagnostic::new(
                Code::DuplicateWorkflow,
                again,
                find(AGAIN, "welcome", 0),
                "a workflow named `welcome` already exists",
            )
            .with_label("declared again here")
            .with_secondary(welcome, find(WELCOME, "welcome", 0), "first declared here")
            .with_help("workflow names are unique across the project; rename one of them"),
            Diagnostic::new(Code::UnclosedDelimiter, again, Span::point(AGAIN.len()), "unclosed `{`")
                .with_label("the file ends here")
                .with_secondary(again, find(AGAIN, "{", 0), "opened here"),
        ];
        sort_diagnostics(&mut diags);
        (sources, diags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_joins_lines() {
        assert_eq!(one_line("a\r\nb\nc"), "a b c");
        assert!(matches!(one_line("abc"), std::borrow::Cow::Borrowed("abc")));
    }

    #[test]
    fn clamps_spans() {
        let file = SourceFile::new("a.komo", "😀x");
        assert_eq!(clamped_range(&file, Span::new(1, 2)), 0..0);
        assert_eq!(clamped_range(&file, Span::new(4, 99)), 4..5);
    }
}
