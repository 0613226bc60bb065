//! One line per diagnostic, for editors' problem matchers and grep.
//!
//! In: diagnostics and their sources. Out: `file:line:col: error[K0301]: message`
//! lines, rendered by codespan-reporting's short display style over the
//! [`SourceMap`] (lines and columns from [`SourceFile::line_col`](crate::source::SourceFile::line_col),
//! so columns count Unicode scalar values). Labels and help are not shown; a message
//! that spans lines is joined onto one.

use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as CodespanDiagnostic, Label as CodespanLabel};
use codespan_reporting::files::{Error as FilesError, Files, Location};
use codespan_reporting::term::{self, Config, DisplayStyle};

use super::{clamped_range, one_line};
use crate::diagnostics::{Diagnostic, Severity};
use crate::source::{FileId, SourceFile, SourceMap};

/// Renders `diags` one a line, each line ending in a newline. No colour, ever.
pub fn short(sources: &SourceMap, diags: &[Diagnostic]) -> String {
    let files = SourceFiles(sources);
    let config = Config { display_style: DisplayStyle::Short, ..Config::default() };
    let mut out = String::new();
    for diagnostic in diags {
        let message = one_line(&diagnostic.message);
        let mut converted = match diagnostic.severity {
            Severity::Error => CodespanDiagnostic::error(),
            Severity::Warning => CodespanDiagnostic::warning(),
        }
        .with_code(diagnostic.code.as_str())
        .with_message(message.as_ref());
        if let Some(file) = sources.get(diagnostic.file()) {
            let range = clamped_range(file, diagnostic.span());
            converted = converted.with_label(CodespanLabel::primary(diagnostic.file(), range));
        }
        match term::emit_to_string(&mut out, &config, &files, &converted) {
            Ok(()) => {}
            Err(_) => {
                out.push_str(&format!("{}[{}]: {message}\n", diagnostic.severity.as_str(), diagnostic.code))
            }
        }
    }
    out
}

/// The [`SourceMap`] as codespan's file database.
struct SourceFiles<'a>(&'a SourceMap);

impl<'a> SourceFiles<'a> {
    fn file(&self, id: FileId) -> Result<&'a SourceFile, FilesError> {
        self.0.get(id).ok_or(FilesError::FileMissing)
    }
}

impl<'a> Files<'a> for SourceFiles<'a> {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        Ok(self.file(id)?.name.as_str())
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, FilesError> {
        Ok(self.file(id)?.text.as_str())
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, FilesError> {
        Ok(self.file(id)?.line_index(byte_index))
    }

    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<Range<usize>, FilesError> {
        let file = self.file(id)?;
        if line_index >= file.line_count() {
            return Err(FilesError::LineTooLarge {
                given: line_index,
                max: file.line_count().saturating_sub(1),
            });
        }
        Ok(file.line_start(line_index)..file.line_start(line_index + 1))
    }

    fn location(&'a self, id: FileId, byte_index: usize) -> Result<Location, FilesError> {
        let at = self.file(id)?.line_col(byte_index);
        Ok(Location { line_number: at.line, column_number: at.column })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Code;
    use crate::diagnostics::render::fixture;
    use crate::source::Span;

    #[test]
    fn renders_the_sample() {
        let (sources, diags) = fixture::sample();
        insta::assert_snapshot!(short(&sources, &diags));
    }

    #[test]
    fn one_line_each_in_the_documented_format() {
        let (sources, diags) = fixture::sample();
        let text = short(&sources, &diags);
        assert_eq!(text.lines().count(), diags.len());
        assert!(
            text.lines().any(|l| l == "workflows/welcome.komo:5:46: error[K0105]: unknown name `contat`"),
            "{text}"
        );
    }

    #[test]
    fn unknown_files_and_multi_line_messages_stay_on_one_line() {
        let sources = SourceMap::new();
        let diags = [Diagnostic::new(Code::Internal, FileId(3), Span::new(0, 1), "first\nsecond")];
        assert_eq!(short(&sources, &diags), "error[K0901]: first second\n");
    }
}
