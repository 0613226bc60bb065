//! The parser: text in, AST and syntax diagnostics out.
//!
//! The only module that touches pest (with its submodules). A file goes through three
//! steps:
//!
//! 1. the [prescan](super::prescan) finds lexical errors and splits the file into
//!    top-level items, and refuses files pest must not see (too large, too deep);
//! 2. each item is parsed on its own with the `workflow_item` or `test_item` rule, so
//!    an error in one item still lets the others parse;
//! 3. the pest pairs of each item are turned into the [AST](super::ast), decoding
//!    literals, checking clause order and expression depth on the way. Errors that
//!    leave the tree usable (a bad duration unit, a chained comparison, a misplaced
//!    clause) are collected and the item is kept; the others drop the item.

mod expected;
mod expr;
mod literal;
mod stmt;
mod test_items;

use std::cell::{Cell, RefCell};

use pest::Parser as _;
use pest::iterators::{Pair, Pairs};

use super::ast;
use super::doc::doc_before;
use super::errors::{Expected, SyntaxError};
use super::prescan::{ItemKind, ItemSlice, prescan};
use crate::diagnostics::Diagnostic;
use crate::source::{FileId, Span};

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/komo.pest"]
struct KomoParser;

/// The AST of one file (as much as could be recovered) and its syntax diagnostics.
#[derive(Debug, Default)]
pub struct ParseOutput {
    pub file: ast::File,
    pub diagnostics: Vec<Diagnostic>,
    /// Every comment outside string text (including those inside `${…}`), in source
    /// order; a line comment ends before its line break. The formatter keeps them.
    pub comments: Vec<Span>,
}

/// Limits the parser enforces before pest runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Files larger than this are refused (K0006); the spec's limit is 1 MiB.
    pub max_file_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_file_bytes: crate::syntax::errors::MAX_FILE_BYTES }
    }
}

/// Parses one file's text with the spec's limits.
pub fn parse(file: FileId, text: &str) -> ParseOutput {
    parse_with(file, text, Limits::default())
}

/// Parses one file's text with other limits (the benchmark parses a 50,000-line file,
/// which is over 1 MiB; nesting limits stay, since they keep pest's stack safe).
pub fn parse_with(file: FileId, text: &str, limits: Limits) -> ParseOutput {
    let scan = prescan(text, limits.max_file_bytes);
    let mut errors = scan.errors;
    let mut items = Vec::new();
    if !scan.fatal {
        for slice in scan.items.iter().filter(|s| !s.blocked) {
            match parse_item(text, &scan.comments, slice) {
                Ok((item, soft)) => {
                    items.push(item);
                    errors.extend(soft);
                }
                Err(hard) => errors.extend(hard),
            }
        }
    }
    errors.sort_by_key(|e| e.span().start);
    ParseOutput {
        file: ast::File { items },
        diagnostics: errors.into_iter().map(|e| e.into_diagnostic(file)).collect(),
        comments: scan.comments.iter().map(|&(start, end)| Span::new(start, end)).collect(),
    }
}

/// Parses one item; `Ok` carries the item and the errors that did not stop it.
fn parse_item(
    text: &str,
    comments: &[(usize, usize)],
    slice: &ItemSlice,
) -> Result<(ast::Item, Vec<SyntaxError>), Vec<SyntaxError>> {
    let source = text.get(slice.start..slice.end).unwrap_or("");
    let rule = match slice.kind {
        ItemKind::Workflow => Rule::workflow_item,
        ItemKind::Test => Rule::test_item,
    };
    let pairs = KomoParser::parse(rule, source)
        .map_err(|error| vec![expected::from_pest(&error, text, slice.start)])?;
    let cx = Ctx::new(text, comments, slice.start);
    let built = build_item(&cx, pairs, slice);
    let mut errors = cx.errors.into_inner();
    match built {
        Ok(item) => Ok((item, errors)),
        Err(hard) => {
            errors.push(hard);
            Err(errors)
        }
    }
}

fn build_item(cx: &Ctx, mut pairs: Pairs<'_, Rule>, slice: &ItemSlice) -> Build<ast::Item> {
    let at = Span::new(slice.start, slice.end);
    let top = pairs.next().ok_or(SyntaxError::Internal { at })?;
    let item = Parts::of(cx, top).expect()?;
    match item.as_rule() {
        Rule::workflow => stmt::workflow(cx, item).map(ast::Item::Workflow),
        Rule::test => test_items::test(cx, item).map(ast::Item::Test),
        _ => Err(cx.internal(&item)),
    }
}

/// Building a node either works or hits an error that drops the item.
type Build<T> = Result<T, SyntaxError>;

/// What building an item needs: where the item is in the file, the errors that do not
/// stop it, and the id of the item's next expression.
struct Ctx<'t> {
    text: &'t str,
    /// The file's comments (from the prescan), to trim spans.
    comments: &'t [(usize, usize)],
    offset: usize,
    errors: RefCell<Vec<SyntaxError>>,
    /// Ids are numbered per item (one `Ctx` each), so an item parsed alone gets the
    /// ids it gets in its file.
    next_expr: Cell<u32>,
}

impl<'t> Ctx<'t> {
    fn new(text: &'t str, comments: &'t [(usize, usize)], offset: usize) -> Ctx<'t> {
        Ctx { text, comments, offset, errors: RefCell::new(Vec::new()), next_expr: Cell::new(0) }
    }

    /// An expression node with the item's next id.
    fn expr(&self, kind: ast::ExprKind, span: Span) -> ast::Expr {
        let id = self.next_expr.get();
        self.next_expr.set(id.saturating_add(1));
        ast::Expr { kind, span, id: ast::ExprNodeId(id) }
    }

    /// The span of a pair, in the whole file.
    ///
    /// pest lets a rule that ends in `x?` or `x*` take the whitespace and comments it
    /// skipped before trying `x`; they are trimmed off here, so every span ends at the
    /// node's last character.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let span = pair.as_span();
        let start = span.start() + self.offset;
        let mut end = span.end() + self.offset;
        let bytes = self.text.as_bytes();
        let mut after_comment = false;
        loop {
            while end > start && bytes.get(end - 1).is_some_and(u8::is_ascii_whitespace) {
                end -= 1;
            }
            // Inside an item a token always follows trailing trivia, so the last line
            // comment in it is followed by its line break (trimmed above): unless a
            // comment was just skipped, only a block comment can end right here.
            let block_end = end >= start + 2 && bytes.get(end - 2..end) == Some(b"*/".as_slice());
            if !after_comment && !block_end {
                break;
            }
            match self.comments.binary_search_by_key(&end, |&(_, comment_end)| comment_end) {
                Ok(i) => match self.comments.get(i) {
                    Some(&(comment_start, _)) if comment_start >= start => {
                        end = comment_start;
                        after_comment = true;
                    }
                    _ => break,
                },
                Err(_) => break,
            }
        }
        Span::new(start, end)
    }

    fn ident(&self, pair: &Pair<'_, Rule>) -> ast::Ident {
        ast::Spanned::new(pair.as_str().to_owned(), self.span(pair))
    }

    /// The word (letters, digits, `_`) that starts `from` bytes into a pair's text, as
    /// a name: for tokens that hold a name and more (`.field`, `ns.action`, `name:`).
    fn word_at(&self, pair: &Pair<'_, Rule>, from: usize) -> ast::Ident {
        let text = pair.as_str().get(from..).unwrap_or("");
        let len = text.bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
        let start = pair.as_span().start() + self.offset + from;
        ast::Spanned::new(text.get(..len).unwrap_or("").to_owned(), Span::new(start, start + len))
    }

    /// A binding name (workflow, step, `let`, route): any word but a reserved one.
    fn name(&self, pair: &Pair<'_, Rule>) -> Build<ast::Ident> {
        let word = pair.as_str();
        if is_reserved(word) {
            return Err(SyntaxError::ReservedWord {
                at: self.span(pair),
                word: word.to_owned(),
                expected: Expected::Name,
            });
        }
        Ok(self.ident(pair))
    }

    fn report(&self, error: SyntaxError) {
        self.errors.borrow_mut().push(error);
    }

    fn internal(&self, pair: &Pair<'_, Rule>) -> SyntaxError {
        SyntaxError::Internal { at: self.span(pair) }
    }

    /// The part of `span` on its first line (for labels on long nodes).
    fn first_line(&self, span: Span) -> Span {
        let start = span.start as usize;
        let line_end = self
            .text
            .get(start..span.end as usize)
            .and_then(|t| t.find(['\n', '\r']))
            .map_or(span.end as usize, |i| start + i);
        Span::new(start, line_end)
    }

    /// The doc comment above a node that starts at `span`.
    fn doc(&self, span: Span) -> Option<String> {
        doc_before(self.text, span.start as usize)
    }
}

/// The reserved words of language.md §1. The grammar accepts any word as a name (a
/// keyword list checked at every word is pest's most expensive rule), so names are
/// checked here.
fn is_reserved(word: &str) -> bool {
    matches!(
        word,
        "workflow"
            | "scope"
            | "trigger"
            | "where"
            | "title"
            | "form"
            | "step"
            | "let"
            | "if"
            | "else"
            | "wait"
            | "until"
            | "route"
            | "on"
            | "success"
            | "failure"
            | "continue"
            | "stop"
            | "fail"
            | "retry"
            | "backoff"
            | "timeout"
            | "test"
            | "expect"
            | "mock"
            | "event"
            | "contact"
            | "true"
            | "false"
            | "null"
            | "and"
            | "or"
            | "not"
            | "in"
            | "contains"
            | "as"
    )
}

/// Keywords and punctuation: they shape the tree but carry nothing once it is built.
fn is_token(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::lbrace
            | Rule::rbrace
            | Rule::lparen
            | Rule::rparen
            | Rule::lbracket
            | Rule::rbracket
            | Rule::langle
            | Rule::rangle
            | Rule::comma
            | Rule::colon
            | Rule::dot
            | Rule::arrow
            | Rule::assign
            | Rule::EOI
            | Rule::kw_workflow
            | Rule::kw_scope
            | Rule::kw_trigger
            | Rule::kw_where
            | Rule::kw_title
            | Rule::kw_form
            | Rule::kw_step
            | Rule::kw_let
            | Rule::kw_if
            | Rule::kw_else
            | Rule::kw_wait
            | Rule::kw_until
            | Rule::kw_route
            | Rule::kw_on
            | Rule::kw_success
            | Rule::kw_failure
            | Rule::kw_continue
            | Rule::kw_stop
            | Rule::kw_fail
            | Rule::kw_retry
            | Rule::kw_backoff
            | Rule::kw_timeout
            | Rule::kw_test
            | Rule::kw_expect
            | Rule::kw_mock
            | Rule::kw_event
            | Rule::kw_contact
            | Rule::kw_as
            | Rule::kw_hub
            | Rule::kw_card
            | Rule::kw_list
            | Rule::kw_ok
            | Rule::kw_kind
            | Rule::kw_no
            | Rule::kw_run
            | Rule::kw_took
            | Rule::kw_called
            | Rule::kw_with
    )
}

/// The meaningful children of a pair, in order (keywords and punctuation skipped).
struct Parts<'i> {
    inner: Pairs<'i, Rule>,
    at: Span,
}

impl<'i> Parts<'i> {
    fn of(cx: &Ctx, pair: Pair<'i, Rule>) -> Parts<'i> {
        // Only for internal errors: the untrimmed span is good enough and cheap.
        let span = pair.as_span();
        let at = Span::new(span.start() + cx.offset, span.end() + cx.offset);
        Parts { inner: pair.into_inner(), at }
    }

    /// The next child, which the grammar guarantees.
    fn expect(&mut self) -> Build<Pair<'i, Rule>> {
        self.next().ok_or(SyntaxError::Internal { at: self.at })
    }

    /// The next child, which the grammar guarantees to be a `rule`.
    fn expect_rule(&mut self, rule: Rule) -> Build<Pair<'i, Rule>> {
        let pair = self.expect()?;
        if pair.as_rule() == rule { Ok(pair) } else { Err(SyntaxError::Internal { at: self.at }) }
    }
}

impl<'i> Iterator for Parts<'i> {
    type Item = Pair<'i, Rule>;

    fn next(&mut self) -> Option<Pair<'i, Rule>> {
        self.inner.find(|p| !is_token(p.as_rule()))
    }
}
