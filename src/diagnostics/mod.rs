//! The one diagnostic type, its stable codes, did-you-mean, and the three renderers.
//!
//! In: [`Diagnostic`] values built by the parser and the checker from their own error
//! enums (errors are data; wording lives next to those enums). Out: text for people
//! (`human`, miette), for editors and grep (`short`, codespan-reporting) and for tools
//! (`json`, the versioned shape of engine.md §3).

mod code;
mod did_you_mean;
pub mod render;

pub use code::{Code, Severity};
pub use did_you_mean::{did_you_mean, did_you_mean_help};

use crate::source::{FileId, Span};

/// A labelled span: the primary label says what is wrong there, secondary ones why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub message: String,
}

/// A machine-applicable replacement (quick fixes in the editor).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub span: Span,
    pub replacement: String,
}

/// One finding of the parser or the checker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    /// One lowercase line, no final period, user text in backticks.
    pub message: String,
    /// The offending text; its message may be empty.
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
    pub fix: Option<Fix>,
}

impl Diagnostic {
    /// A diagnostic with the code's own severity.
    pub fn new(code: Code, file: FileId, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            primary: Label { file, span, message: String::new() },
            secondary: Vec::new(),
            help: None,
            fix: None,
        }
    }

    /// Sets the primary label's text.
    pub fn with_label(mut self, message: impl Into<String>) -> Diagnostic {
        self.primary.message = message.into();
        self
    }

    /// Adds a secondary label (a cause: "declared here", "opened here").
    pub fn with_secondary(mut self, file: FileId, span: Span, message: impl Into<String>) -> Diagnostic {
        self.secondary.push(Label { file, span, message: message.into() });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_optional_help(mut self, help: Option<String>) -> Diagnostic {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    pub fn with_fix(mut self, span: Span, replacement: impl Into<String>) -> Diagnostic {
        self.fix = Some(Fix { span, replacement: replacement.into() });
        self
    }

    pub fn file(&self) -> FileId {
        self.primary.file
    }

    pub fn span(&self) -> Span {
        self.primary.span
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Sorts by file, then position, then code, and drops exact duplicates.
pub fn sort_diagnostics(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| {
        (a.file(), a.span().start, a.span().end, a.code).cmp(&(
            b.file(),
            b.span().start,
            b.span().end,
            b.code,
        ))
    });
    diags.dedup();
}

/// Counts errors and warnings.
pub fn tally(diags: &[Diagnostic]) -> (usize, usize) {
    let errors = diags.iter().filter(|d| d.severity == Severity::Error).count();
    (errors, diags.len() - errors)
}
