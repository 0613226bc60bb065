//! Rich reports for people: miette's graphical handler over an adapter.
//!
//! In: diagnostics and their sources. Out: one report per diagnostic (code, message,
//! snippet with labels, help), separated by blank lines. A secondary label in another
//! file than the primary one becomes a miette `related` report with its own snippet.
//! Line and column numbers in snippet headers come from [`SourceFile::line_col`], so
//! they count Unicode scalar values like every other komo output.

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode,
    SourceSpan, SpanContents,
};

use super::clamped_range;
use crate::diagnostics::{Diagnostic, Label, Severity};
use crate::source::{FileId, SourceFile, SourceMap, Span};

/// Width the reports are wrapped at, whatever the terminal: output stays deterministic.
const WIDTH: usize = 100;

/// Renders `diags` for people, each report followed by a newline, reports separated by
/// a blank line. With `color`, ANSI styles and unicode drawing; without, the same
/// unicode drawing and no escape codes at all (what snapshots and pipes get). The CLI
/// decides `color` from the terminal and `NO_COLOR`.
pub fn human(sources: &SourceMap, diags: &[Diagnostic], color: bool) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        .with_links(false)
        .with_urls(false)
        .without_syntax_highlighting();
    let files: Vec<FileSource<'_>> = sources.files().map(|(_, f)| FileSource::new(f)).collect();
    let mut out = String::new();
    for (i, diagnostic) in diags.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let report = Report::new(&files, diagnostic);
        let mut text = String::new();
        if handler.render_report(&mut text, &report).is_err() {
            text = fallback(sources, diagnostic);
        }
        for line in text.lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}

/// A plain rendering for the (unexpected) case where miette refuses a report.
fn fallback(sources: &SourceMap, diagnostic: &Diagnostic) -> String {
    let place = match sources.get(diagnostic.file()) {
        Some(file) => {
            let at = file.line_col(diagnostic.span().start as usize);
            format!("{}:{}:{}: ", file.name, at.line, at.column)
        }
        None => String::new(),
    };
    let mut text =
        format!("{place}{}[{}]: {}\n", diagnostic.severity.as_str(), diagnostic.code, diagnostic.message);
    if let Some(help) = &diagnostic.help {
        text.push_str(&format!("  help: {help}\n"));
    }
    text
}

/// One source file as miette sees it: named, with komo's own line and column counting,
/// and always ending in a newline.
///
/// miette draws no label at the very end of the text (the empty line after a final
/// newline, or just past the last character), which is exactly where "unexpected end
/// of file" points. So the text miette reads ends in a newline (one is added, in a
/// copy, when the file lacks it) and labels at the end are drawn just before that
/// newline, at the end of the last line, as rustc does.
#[derive(Debug)]
struct FileSource<'a> {
    file: &'a SourceFile,
    text: Cow<'a, str>,
}

impl<'a> FileSource<'a> {
    fn new(file: &'a SourceFile) -> FileSource<'a> {
        let text = if file.text.ends_with('\n') {
            Cow::Borrowed(file.text.as_str())
        } else {
            Cow::Owned(format!("{}\n", file.text))
        };
        FileSource { file, text }
    }

    /// Where a label on `span` is drawn.
    fn shown_range(&self, span: Span) -> Range<usize> {
        let range = clamped_range(self.file, span);
        let last_line_end = self.text.len() - 1 - usize::from(self.text.ends_with("\r\n"));
        if range.is_empty() && range.start > last_line_end { last_line_end..last_line_end } else { range }
    }

    fn label(&self, label: &Label, primary: bool) -> LabeledSpan {
        let text = (!label.message.is_empty()).then(|| label.message.clone());
        let range = self.shown_range(label.span);
        if primary {
            LabeledSpan::new_primary_with_span(text, range)
        } else {
            LabeledSpan::new_with_span(text, range)
        }
    }
}

impl SourceCode for FileSource<'_> {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner = self.text.as_ref().read_span(span, context_lines_before, context_lines_after)?;
        let at = self.file.line_col(inner.span().offset());
        Ok(Box::new(MietteSpanContents::new_named(
            self.file.name.clone(),
            inner.data(),
            *inner.span(),
            at.line.saturating_sub(1),
            at.column.saturating_sub(1),
            inner.line_count(),
        )))
    }
}

/// The adapter miette renders: one komo diagnostic, or one related location of it.
#[derive(Debug)]
struct Report<'a> {
    code: Option<&'a str>,
    severity: miette::Severity,
    message: &'a str,
    help: Option<&'a str>,
    source: Option<&'a FileSource<'a>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report<'a>>,
}

impl<'a> Report<'a> {
    fn new(files: &'a [FileSource<'a>], diagnostic: &'a Diagnostic) -> Report<'a> {
        let lookup = |id: FileId| files.get(id.0 as usize);
        let file_id = diagnostic.file();
        let file = lookup(file_id);
        let mut labels = Vec::new();
        let mut related = Vec::new();
        if let Some(file) = file {
            labels.push(file.label(&diagnostic.primary, true));
        }
        for label in &diagnostic.secondary {
            match (file, lookup(label.file)) {
                (Some(file), _) if label.file == file_id => labels.push(file.label(label, false)),
                (_, Some(other)) => related.push(Report::elsewhere(other, label)),
                (_, None) => {}
            }
        }
        Report {
            code: Some(diagnostic.code.as_str()),
            severity: match diagnostic.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            },
            message: &diagnostic.message,
            help: diagnostic.help.as_deref(),
            source: file,
            labels,
            related,
        }
    }

    /// A secondary label in another file: its message becomes the related report's.
    fn elsewhere(file: &'a FileSource<'a>, label: &'a Label) -> Report<'a> {
        let message = if label.message.is_empty() { "related location" } else { label.message.as_str() };
        Report {
            code: None,
            severity: miette::Severity::Advice,
            message,
            help: None,
            source: Some(file),
            labels: vec![LabeledSpan::new_with_span(None, file.shown_range(label.span))],
            related: Vec::new(),
        }
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.code.map(|code| Box::new(code) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help.map(|help| Box::new(help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.map(|source| source as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() { None } else { Some(Box::new(self.labels.iter().cloned())) }
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|r| r as &dyn miette::Diagnostic)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Code;
    use crate::diagnostics::render::fixture;

    #[test]
    fn renders_the_sample() {
        let (sources, diags) = fixture::sample();
        insta::assert_snapshot!(human(&sources, &diags, false));
    }

    #[test]
    fn colour_only_adds_escapes() {
        let (sources, diags) = fixture::sample();
        let plain = human(&sources, &diags, false);
        let colored = human(&sources, &diags, true);
        assert!(!plain.contains('\u{1b}'));
        assert!(colored.contains('\u{1b}'));
    }

    #[test]
    fn snippet_headers_count_scalar_values() {
        let (sources, diags) = fixture::sample();
        let text = human(&sources, &diags, false);
        // `contat` is at byte 141 but column 46: 欢, 迎 and 😀 are one column each.
        assert!(text.contains("[workflows/welcome.komo:5:46]"), "{text}");
    }

    #[test]
    fn survives_spans_outside_the_file_and_unknown_files() {
        let mut sources = SourceMap::new();
        let file = sources.add("a.komo", "é");
        let diags = vec![
            Diagnostic::new(Code::Syntax, file, Span::new(1, 500), "bad span").with_secondary(
                FileId(7),
                Span::new(0, 1),
                "nowhere",
            ),
            Diagnostic::new(Code::Syntax, FileId(9), Span::new(0, 1), "no such file"),
        ];
        let text = human(&sources, &diags, false);
        assert!(text.contains("bad span"), "{text}");
        assert!(text.contains("no such file"), "{text}");
    }

    #[test]
    fn draws_end_of_file_points() {
        let mut sources = SourceMap::new();
        let texts = ["", "abc", "abc\r\n", "\n", "a\tb\r\ncd"];
        let diags: Vec<Diagnostic> = texts
            .iter()
            .map(|text| {
                let file = sources.add("f.komo", *text);
                Diagnostic::new(Code::Syntax, file, Span::point(text.len()), "eof").with_label("here")
            })
            .collect();
        let text = human(&sources, &diags, false);
        assert_eq!(text.matches("── here").count(), texts.len(), "{text}");
        insta::assert_snapshot!(text);
    }

    #[test]
    fn renders_nothing_for_nothing() {
        assert_eq!(human(&SourceMap::new(), &[], false), "");
    }
}
