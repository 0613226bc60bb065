//! The machine-readable report of `komo check --format json` (engine.md §3).
//!
//! In: diagnostics and their sources. Out: a [`JsonReport`], serialized with its
//! fields in the documented order (a typed struct rather than a `serde_json::Value`,
//! whose maps would sort the keys alphabetically).
//!
//! Positions: lines and columns are 1-based, columns count Unicode scalar values, and
//! the end (`end_line`, `end_column`, `byte_end`) is exclusive: it points just past the
//! last character, so an empty span has `end == start`.
//!
//! Labels: `labels` lists **every** label of the diagnostic, the primary label first
//! (with its message, which may be `""`), then the secondary ones in order. Each label
//! carries its own `file`, because a secondary label may point into another file
//! (a duplicate workflow's "first declared here"). A tool that only wants the causes
//! skips the first label.
//!
//! A diagnostic whose file is not in the source map (which the compiler does not
//! produce) gets `"file": ""` and positions 1:1.

use serde::Serialize;

use crate::diagnostics::{Code, Diagnostic, Label, Severity, tally};
use crate::source::{LineCol, SourceMap, Span};

/// The version of this format; bumped on any incompatible change.
pub const FORMAT_VERSION: u32 = 1;

/// `{ "format_version", "diagnostics", "errors", "warnings" }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JsonReport<'a> {
    pub format_version: u32,
    pub diagnostics: Vec<JsonDiagnostic<'a>>,
    pub errors: usize,
    pub warnings: usize,
}

/// One diagnostic, positioned by its primary label.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JsonDiagnostic<'a> {
    pub code: Code,
    pub severity: Severity,
    pub message: &'a str,
    pub file: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub byte_start: u32,
    pub byte_end: u32,
    pub help: Option<&'a str>,
    pub labels: Vec<JsonLabel<'a>>,
}

/// One label: the primary one first, then the secondary ones.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JsonLabel<'a> {
    pub message: &'a str,
    pub file: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// Builds the report for `diags`.
pub fn json<'a>(sources: &'a SourceMap, diags: &'a [Diagnostic]) -> JsonReport<'a> {
    let (errors, warnings) = tally(diags);
    JsonReport {
        format_version: FORMAT_VERSION,
        diagnostics: diags.iter().map(|d| diagnostic(sources, d)).collect(),
        errors,
        warnings,
    }
}

/// The report as pretty-printed JSON text (one document, no trailing newline).
pub fn json_string(sources: &SourceMap, diags: &[Diagnostic]) -> String {
    // Serializing plain structs of strings and numbers cannot fail.
    serde_json::to_string_pretty(&json(sources, diags)).unwrap_or_default()
}

fn diagnostic<'a>(sources: &'a SourceMap, d: &'a Diagnostic) -> JsonDiagnostic<'a> {
    let (file, start, end) = place(sources, &d.primary);
    JsonDiagnostic {
        code: d.code,
        severity: d.severity,
        message: &d.message,
        file,
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
        byte_start: d.primary.span.start,
        byte_end: d.primary.span.end,
        help: d.help.as_deref(),
        labels: std::iter::once(&d.primary).chain(&d.secondary).map(|l| label(sources, l)).collect(),
    }
}

fn label<'a>(sources: &'a SourceMap, l: &'a Label) -> JsonLabel<'a> {
    let (file, start, end) = place(sources, l);
    JsonLabel {
        message: &l.message,
        file,
        line: start.line,
        column: start.column,
        end_line: end.line,
        end_column: end.column,
    }
}

/// The file name and the start and end positions of a label.
fn place<'a>(sources: &'a SourceMap, l: &Label) -> (&'a str, LineCol, LineCol) {
    let Span { start, end } = l.span;
    match sources.get(l.file) {
        Some(file) => {
            (file.name.as_str(), file.line_col(start as usize), file.line_col(end.max(start) as usize))
        }
        None => {
            let origin = LineCol { line: 1, column: 1 };
            ("", origin, origin)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::render::fixture;
    use crate::source::FileId;

    #[test]
    fn renders_the_sample() {
        let (sources, diags) = fixture::sample();
        insta::assert_snapshot!(json_string(&sources, &diags));
    }

    #[test]
    fn keys_come_in_the_documented_order() {
        let (sources, diags) = fixture::sample();
        let text = json_string(&sources, &diags);
        let keys = [
            "\"format_version\"",
            "\"diagnostics\"",
            "\"code\"",
            "\"severity\"",
            "\"message\"",
            "\"file\"",
            "\"line\"",
            "\"column\"",
            "\"end_line\"",
            "\"end_column\"",
            "\"byte_start\"",
            "\"byte_end\"",
            "\"help\"",
            "\"labels\"",
        ];
        let positions: Vec<usize> = keys.iter().filter_map(|k| text.find(k)).collect();
        assert_eq!(positions.len(), keys.len());
        assert!(positions.windows(2).all(|w| w.first() < w.get(1)), "{text}");
        let tail = ["\"errors\": 3", "\"warnings\": 1"];
        assert!(tail.iter().all(|t| text.contains(t)), "{text}");
    }

    #[test]
    fn columns_count_scalar_values_and_ends_are_exclusive() {
        let (sources, diags) = fixture::sample();
        let report = json(&sources, &diags);
        let unknown = report.diagnostics.iter().find(|d| d.code == Code::UnknownName);
        let Some(unknown) = unknown else {
            unreachable!("the sample has an unknown name");
        };
        // Byte 141, but column 46: 欢, 迎 and 😀 are one column each.
        assert_eq!((unknown.line, unknown.column), (5, 46));
        assert_eq!((unknown.end_line, unknown.end_column), (5, 52));
        assert_eq!((unknown.byte_start, unknown.byte_end), (141, 147));
        assert_eq!(unknown.help, Some("did you mean `contact`?"));
        assert_eq!(unknown.labels.len(), 2);
    }

    #[test]
    fn a_missing_file_does_not_fail() {
        let diags = [Diagnostic::new(Code::Internal, FileId(4), Span::new(3, 9), "lost")];
        let sources = SourceMap::new();
        let report = json(&sources, &diags);
        assert_eq!(report.errors, 1);
        assert_eq!(report.diagnostics.first().map(|d| d.file), Some(""));
    }

    #[test]
    fn no_diagnostics_is_still_a_report() {
        let text = json_string(&SourceMap::new(), &[]);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(
            value,
            serde_json::json!({
                "format_version": 1, "diagnostics": [], "errors": 0, "warnings": 0
            })
        );
    }
}
