//! Syntax errors as data, and their wording.
//!
//! In: the facts the prescan, the literal decoders and the parser found (what, where,
//! what was expected). Out: [`Diagnostic`]s with the syntax codes K0001–K0012 (and
//! K0901 for a parser bug). Every message, label and help of those codes is written
//! here and nowhere else, so the wording stays consistent and reviewable in one place.

use crate::diagnostics::{Code, Diagnostic, did_you_mean};
use crate::source::{FileId, Span};

use super::literals::{DurationProblem, EscapeProblem};

/// The deepest bracket nesting the prescan accepts.
pub(crate) const MAX_NESTING: usize = 64;
/// The deepest expression tree the parser builds.
pub(crate) const MAX_EXPR_DEPTH: u32 = 256;
/// The largest file the parser reads.
pub(crate) const MAX_FILE_BYTES: usize = 1024 * 1024;

/// One syntax problem, with the facts needed to explain it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum SyntaxError {
    /// The grammar could not go on at `at`: what it would have accepted there.
    Unexpected {
        at: Span,
        expected: Vec<Expected>,
        found: Found,
    },
    /// A reserved word where a name or a value was expected.
    ReservedWord {
        at: Span,
        word: String,
        expected: Expected,
    },
    /// Text between items that is neither a `workflow`, a `test` nor a comment.
    StrayText {
        at: Span,
        found: Found,
    },
    /// A string with no closing quote on its line.
    UnterminatedString {
        quote: Span,
    },
    InvalidEscape {
        at: Span,
        escape: String,
        problem: EscapeProblem,
    },
    InvalidDuration {
        at: Span,
        problem: DurationProblem,
    },
    /// A number without a unit where a duration is needed (`timeout 30`).
    MissingDurationUnit {
        at: Span,
        found: String,
    },
    /// Something other than a whole number after `retry`.
    ExpectedCount {
        at: Span,
        found: String,
    },
    /// Brackets (or `List<`) nested deeper than [`MAX_NESTING`].
    NestingTooDeep {
        at: Span,
    },
    /// An expression tree deeper than [`MAX_EXPR_DEPTH`].
    ExpressionTooDeep {
        at: Span,
    },
    FileTooLarge {
        size: usize,
    },
    /// A control character (or NUL) outside strings and comments.
    InvalidCharacter {
        at: Span,
        ch: char,
    },
    InvalidUtf8 {
        at: Span,
    },
    UnterminatedComment {
        open: Span,
    },
    NumberOutOfRange {
        at: Span,
        text: String,
    },
    /// An opening bracket that is not closed: at end of file, before the next item, or
    /// because a different closing bracket came first.
    Unclosed {
        open: Span,
        opened: Opened,
        at: Span,
        found: Found,
    },
    /// A closing bracket with no opening one.
    UnmatchedCloser {
        at: Span,
        closer: char,
    },
    ChainedComparison {
        first: Span,
        second: Span,
    },
    /// A header clause after the workflow's statements or routes.
    HeaderOutOfPlace {
        clause: &'static str,
        at: Span,
        after: Span,
        after_route: bool,
    },
    /// A statement after a route: it is not part of the main flow.
    StatementAfterRoute {
        at: Span,
        route: Span,
    },
    /// An interpolated string where only a plain one is allowed (ids, names, keys).
    NotPlainString {
        at: Span,
        what: &'static str,
    },
    /// A parse tree of a shape the builder did not expect: a bug in the parser.
    Internal {
        at: Span,
    },
}

/// What the grammar would have accepted, in words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Expected {
    /// Punctuation or a keyword, shown in backticks.
    Token(&'static str),
    RunOutcome,
    StepOutcome,
    ScopeTarget,
    TriggerName,
    Duration,
    Count,
    Name,
    String,
    Type,
    FormField,
    RecordField,
    Argument,
    Expression,
    ActionCall,
    Statement,
    HeaderClause,
    Modifier,
    TestClause,
    Expectation,
    Item,
    Operator,
}

/// What was found where something else was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Found {
    EndOfFile,
    /// A token, shown in backticks.
    Token(String),
    /// A string literal (not quoted back: it may be long).
    String,
}

/// What an opening bracket starts, to name it in messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Opened {
    Workflow,
    Test,
    Route,
    If,
    Else,
    OnFailure,
    Form,
    Record,
    Block,
    Arguments,
    Parens,
    List,
    Index,
    Interpolation,
}

impl Opened {
    fn noun(self) -> &'static str {
        match self {
            Opened::Workflow => "the workflow",
            Opened::Test => "the test",
            Opened::Route => "the route",
            Opened::If => "the `if` block",
            Opened::Else => "the `else` block",
            Opened::OnFailure => "the `on failure` block",
            Opened::Form => "the form",
            Opened::Record => "the record",
            Opened::Block => "the block",
            Opened::Arguments => "the argument list",
            Opened::Parens => "the parentheses",
            Opened::List => "the list",
            Opened::Index => "the index",
            Opened::Interpolation => "the interpolation",
        }
    }

    /// The bracket that closes it.
    pub(crate) fn closer(self) -> char {
        match self {
            Opened::Arguments | Opened::Parens => ')',
            Opened::List | Opened::Index => ']',
            _ => '}',
        }
    }
}

impl Expected {
    fn phrase(self) -> String {
        let text = match self {
            Expected::Token(t) => return format!("`{t}`"),
            Expected::Name => "a name",
            Expected::TriggerName => "a trigger name such as `Contact.Identified`",
            Expected::ScopeTarget => "a scope (`workspace`, `hub \"…\"`, `card \"…\"`)",
            Expected::String => "a string",
            Expected::Expression => "an expression",
            Expected::Operator => "an operator",
            Expected::Argument => "an argument",
            Expected::ActionCall => "an action call such as `contact.send_email(…)`",
            Expected::Statement => "a statement",
            Expected::HeaderClause => "a header clause (`scope`, `trigger`, `title`, `form`)",
            Expected::Modifier => "a modifier (`retry`, `timeout`, `on success`, `on failure`)",
            Expected::Type => "a type such as `String`",
            Expected::FormField => "a field such as `email: Email`",
            Expected::RecordField => "a field such as `name: \"Ana\"`",
            Expected::Duration => "a duration such as `30s`",
            Expected::Count => "a whole number",
            Expected::TestClause => "a test clause (`workflow`, `event`, `contact`, `mock`, `expect`)",
            Expected::Expectation => "an expectation such as `run succeeded`",
            Expected::RunOutcome => "a run outcome (`succeeded`, `failed`, `waiting`)",
            Expected::StepOutcome => "a step outcome (`succeeded`, `failed`, `skipped`)",
            Expected::Item => "`workflow` or `test`",
        };
        text.to_owned()
    }
}

impl Found {
    fn phrase(&self) -> String {
        match self {
            Found::EndOfFile => "end of file".to_owned(),
            Found::Token(t) => format!("`{t}`"),
            Found::String => "a string".to_owned(),
        }
    }
}

/// `a`, `a or b`, `a, b or c`.
fn one_of(phrases: &[String]) -> String {
    match phrases {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn expected_list(expected: &[Expected]) -> String {
    let mut sorted = expected.to_vec();
    sorted.sort();
    sorted.dedup();
    // Shorten the long header-clause phrase when it is one of several.
    let phrases: Vec<String> = sorted
        .iter()
        .map(|e| match e {
            Expected::HeaderClause if sorted.len() > 1 => "a header clause".to_owned(),
            Expected::TestClause if sorted.len() > 1 => "a test clause".to_owned(),
            Expected::Modifier if sorted.len() > 1 => "a modifier".to_owned(),
            other => other.phrase(),
        })
        .collect();
    one_of(&phrases)
}

const ITEM_KEYWORDS: [&str; 2] = ["workflow", "test"];

impl SyntaxError {
    /// Where the problem is (the primary label's span).
    pub(crate) fn span(&self) -> Span {
        match self {
            SyntaxError::Unexpected { at, .. }
            | SyntaxError::ReservedWord { at, .. }
            | SyntaxError::StrayText { at, .. }
            | SyntaxError::InvalidEscape { at, .. }
            | SyntaxError::InvalidDuration { at, .. }
            | SyntaxError::MissingDurationUnit { at, .. }
            | SyntaxError::ExpectedCount { at, .. }
            | SyntaxError::NestingTooDeep { at }
            | SyntaxError::ExpressionTooDeep { at }
            | SyntaxError::InvalidCharacter { at, .. }
            | SyntaxError::InvalidUtf8 { at }
            | SyntaxError::NumberOutOfRange { at, .. }
            | SyntaxError::Unclosed { at, .. }
            | SyntaxError::UnmatchedCloser { at, .. }
            | SyntaxError::HeaderOutOfPlace { at, .. }
            | SyntaxError::StatementAfterRoute { at, .. }
            | SyntaxError::NotPlainString { at, .. }
            | SyntaxError::Internal { at } => *at,
            SyntaxError::UnterminatedString { quote } => *quote,
            SyntaxError::UnterminatedComment { open } => *open,
            SyntaxError::FileTooLarge { .. } => Span::point(0),
            SyntaxError::ChainedComparison { second, .. } => *second,
        }
    }

    /// The diagnostic users see.
    pub(crate) fn into_diagnostic(self, file: FileId) -> Diagnostic {
        let span = self.span();
        let new = |code: Code, message: String| Diagnostic::new(code, file, span, message);
        match self {
            SyntaxError::Unexpected { expected, found, .. } => {
                let message = if expected.is_empty() {
                    format!("unexpected {}", found.phrase())
                } else {
                    format!("expected {}, found {}", expected_list(&expected), found.phrase())
                };
                new(Code::Syntax, message).with_label(format!("unexpected {}", found.phrase()))
            }
            SyntaxError::ReservedWord { word, expected, .. } => {
                new(Code::Syntax, format!("expected {}, found `{word}`", expected.phrase()))
                    .with_label(format!("`{word}` is a reserved word"))
                    .with_help(match expected {
                        Expected::Name => "choose another name; reserved words cannot be names",
                        _ => "reserved words cannot be used as values",
                    })
            }
            SyntaxError::StrayText { found, .. } => {
                let help = match &found {
                    Found::Token(word) => {
                        did_you_mean(word, &ITEM_KEYWORDS).map(|k| format!("did you mean `{k}`?"))
                    }
                    _ => None,
                };
                new(Code::Syntax, format!("expected `workflow` or `test`, found {}", found.phrase()))
                    .with_label("only workflows, tests and comments may appear here")
                    .with_optional_help(help)
            }
            SyntaxError::UnterminatedString { .. } => {
                new(Code::UnterminatedString, "unterminated string".to_owned())
                    .with_label("this string is never closed")
                    .with_help("close it with `\"` on the same line")
            }
            SyntaxError::InvalidEscape { escape, problem, .. } => {
                let (message, help) = match problem {
                    EscapeProblem::Unknown => (
                        format!("invalid escape `{escape}` in a string"),
                        "the escapes are `\\\"`, `\\\\`, `\\n`, `\\t`, `\\r`, `\\$` and \
                         `\\u{…}`; write `\\\\` for a backslash",
                    ),
                    EscapeProblem::BadUnicode => (
                        format!("invalid unicode escape `{escape}`"),
                        "write 1 to 6 hex digits of a Unicode scalar value, such as `\\u{1F600}`",
                    ),
                };
                new(Code::InvalidEscape, message).with_label("invalid escape").with_help(help)
            }
            SyntaxError::InvalidDuration { problem, .. } => {
                let (message, label, help) = match problem {
                    DurationProblem::UnknownUnit(unit) => (
                        format!("unknown duration unit `{unit}`"),
                        "unknown unit",
                        "the units are `ms`, `s`, `m`, `h`, `d` and `w`, as in `90s` or `1h30m`".to_owned(),
                    ),
                    DurationProblem::MissingUnit(number) => (
                        format!("missing unit after `{number}` in a duration"),
                        "this number has no unit",
                        "the units are `ms`, `s`, `m`, `h`, `d` and `w`, as in `1h30m`".to_owned(),
                    ),
                    DurationProblem::UnitOrder(unit) => (
                        format!("duration unit `{unit}` is out of order"),
                        "units must go from largest to smallest, each at most once",
                        "write the largest unit first, as in `1h30m`".to_owned(),
                    ),
                    DurationProblem::Fractional => (
                        "a duration is a whole number of units".to_owned(),
                        "fractional duration",
                        "combine units instead, as in `1h30m` for one and a half hours".to_owned(),
                    ),
                };
                new(Code::InvalidDuration, message).with_label(label).with_help(help)
            }
            SyntaxError::MissingDurationUnit { found, .. } => {
                new(Code::InvalidDuration, format!("expected a duration such as `30s`, found `{found}`"))
                    .with_label("this number has no unit")
                    .with_help(format!("add a unit: `ms`, `s`, `m`, `h`, `d` or `w`, as in `{found}s`"))
            }
            SyntaxError::ExpectedCount { found, .. } => {
                new(Code::Syntax, format!("expected a whole number of retries, found `{found}`"))
                    .with_label("not a whole number")
                    .with_help("write the number of extra attempts, such as `retry 3 backoff 30s`")
            }
            SyntaxError::NestingTooDeep { .. } => {
                new(Code::NestingTooDeep, format!("brackets nested more than {MAX_NESTING} levels deep"))
                    .with_label("this bracket goes over the limit")
                    .with_help("split the value into smaller parts with `let`")
            }
            SyntaxError::ExpressionTooDeep { .. } => {
                new(Code::NestingTooDeep, "expression nested too deeply".to_owned())
                    .with_label(format!("the expression is more than {MAX_EXPR_DEPTH} levels deep here"))
                    .with_help("split it into smaller parts with `let`")
            }
            SyntaxError::FileTooLarge { size } => new(
                Code::FileTooLarge,
                format!("file too large: {size} bytes, the limit is {MAX_FILE_BYTES} bytes (1 MiB)"),
            )
            .with_help("split the workflows and tests into several files"),
            SyntaxError::InvalidCharacter { ch, .. } => {
                new(Code::InvalidEncoding, format!("invalid character U+{:04X} in the source", u32::from(ch)))
                    .with_label("control characters may only appear inside strings, as escapes")
                    .with_help("remove it")
            }
            SyntaxError::InvalidUtf8 { .. } => {
                new(Code::InvalidEncoding, "invalid UTF-8 in the source".to_owned())
                    .with_label("not valid UTF-8")
                    .with_help("save the file as UTF-8")
            }
            SyntaxError::UnterminatedComment { .. } => {
                new(Code::UnterminatedComment, "unterminated block comment".to_owned())
                    .with_label("this comment is never closed")
                    .with_help("close it with `*/`")
            }
            SyntaxError::NumberOutOfRange { text, .. } => {
                new(Code::NumberOutOfRange, format!("number `{text}` is too large"))
                    .with_label("out of range")
                    .with_help("integers and durations in milliseconds go up to 9223372036854775807")
            }
            SyntaxError::Unclosed { open, opened, found, .. } => {
                let closer = opened.closer();
                let noun = opened.noun();
                let (message, label) = match &found {
                    Found::EndOfFile => (
                        format!("expected `{closer}` to close {noun} started here"),
                        "the file ends here".to_owned(),
                    ),
                    Found::Token(t) if ITEM_KEYWORDS.contains(&t.as_str()) => (
                        format!("expected `{closer}` to close {noun} started here"),
                        format!("`{closer}` is missing before this `{t}`"),
                    ),
                    other => (
                        format!("expected `{closer}` to close {noun}, found {}", other.phrase()),
                        format!("expected `{closer}` here"),
                    ),
                };
                new(Code::UnclosedDelimiter, message).with_label(label).with_secondary(
                    file,
                    open,
                    format!("{noun} starts here"),
                )
            }
            SyntaxError::UnmatchedCloser { closer, .. } => {
                let opener = match closer {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                new(Code::UnclosedDelimiter, format!("unexpected `{closer}`"))
                    .with_label(format!("this `{closer}` has no matching `{opener}`"))
            }
            SyntaxError::ChainedComparison { first, .. } => {
                new(Code::ChainedComparison, "comparisons cannot be chained".to_owned())
                    .with_label("a second comparison")
                    .with_secondary(file, first, "the first comparison")
                    .with_help("join two comparisons with `and`, as in `a < b and b < c`")
            }
            SyntaxError::HeaderOutOfPlace { clause, after, after_route, .. } => {
                let (what, label) = if after_route {
                    ("routes", "the first route is here")
                } else {
                    ("statements", "the first statement is here")
                };
                new(
                    Code::MisplacedItem,
                    format!("`{clause}` must come before the workflow's {what}"),
                )
                .with_label(format!("`{clause}` after the {what}"))
                .with_secondary(file, after, label)
                .with_help("move the header clauses (`title`, `scope`, `trigger`, `form`) to the top of the workflow")
            }
            SyntaxError::StatementAfterRoute { route, .. } => {
                new(Code::MisplacedItem, "statements after a route are not part of the main flow".to_owned())
                    .with_label("this statement comes after a route")
                    .with_secondary(file, route, "the first route is here")
                    .with_help("move it above the routes, or into a route")
            }
            SyntaxError::NotPlainString { what, .. } => {
                new(Code::Syntax, format!("{what} must be a plain string, without `${{…}}`"))
                    .with_label("interpolated string")
            }
            SyntaxError::Internal { .. } => {
                new(Code::Internal, "internal error while parsing, please report".to_owned())
                    .with_label("the parser did not expect this shape here")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(error: SyntaxError) -> String {
        error.into_diagnostic(FileId(0)).message
    }

    #[test]
    fn expected_tokens_are_listed_in_words() {
        let error = SyntaxError::Unexpected {
            at: Span::new(3, 4),
            expected: vec![Expected::Token(","), Expected::Token(")")],
            found: Found::Token("}".to_owned()),
        };
        assert_eq!(message(error), "expected `)` or `,`, found `}`");
        let error = SyntaxError::Unexpected {
            at: Span::point(9),
            expected: vec![Expected::Statement, Expected::Token("}"), Expected::HeaderClause],
            found: Found::EndOfFile,
        };
        assert_eq!(message(error), "expected `}`, a statement or a header clause, found end of file");
    }

    #[test]
    fn unclosed_brace_at_end_of_file_names_what_it_opens() {
        let diagnostic = SyntaxError::Unclosed {
            open: Span::new(14, 15),
            opened: Opened::Workflow,
            at: Span::point(40),
            found: Found::EndOfFile,
        }
        .into_diagnostic(FileId(0));
        assert_eq!(diagnostic.message, "expected `}` to close the workflow started here");
        assert_eq!(diagnostic.span(), Span::point(40));
        assert_eq!(diagnostic.secondary.len(), 1);
        assert_eq!(
            diagnostic.secondary.first().map(|l| l.message.as_str()),
            Some("the workflow starts here")
        );
    }

    #[test]
    fn stray_words_suggest_an_item_keyword() {
        let diagnostic =
            SyntaxError::StrayText { at: Span::new(0, 8), found: Found::Token("worklfow".to_owned()) }
                .into_diagnostic(FileId(0));
        assert_eq!(diagnostic.help.as_deref(), Some("did you mean `workflow`?"));
    }
}
