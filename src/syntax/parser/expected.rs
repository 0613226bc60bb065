//! From pest's errors to [`SyntaxError`]s in words.
//!
//! In: a pest error (the rules it tried at the furthest position it reached) for an
//! item parsed at `offset` in `text`. Out: what was expected, in phrases (never rule
//! names), and what was found there (the next token, or the end of the file).

use pest::error::{Error, ErrorVariant, InputLocation};

use super::Rule;
use crate::source::Span;
use crate::syntax::errors::{Expected, Found, SyntaxError};

pub(super) fn from_pest(error: &Error<Rule>, text: &str, offset: usize) -> SyntaxError {
    let pos = match error.location {
        InputLocation::Pos(pos) => pos,
        InputLocation::Span((start, _)) => start,
    };
    let at = skip_trivia(text, offset + pos);
    match &error.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            let (span, found) = found_at(text, at);
            SyntaxError::Unexpected { at: span, expected: expected_of(positives), found }
        }
        // pest's own limits: its stack guard fired despite the prescan.
        ErrorVariant::CustomError { message } if message.contains("limit") => {
            SyntaxError::NestingTooDeep { at: Span::point(at) }
        }
        ErrorVariant::CustomError { .. } => SyntaxError::Internal { at: Span::point(at) },
    }
}

/// The phrases for the rules pest tried, without duplicates; the continuations of an
/// expression (`.`, `[`, `(`, `as`) fold into "an operator".
fn expected_of(rules: &[Rule]) -> Vec<Expected> {
    let mut expected: Vec<Expected> = Vec::new();
    // Statements, header clauses and modifiers are silent choices in the grammar (one
    // rule less per statement), so pest reports the keywords that start them; a
    // keyword that starts nothing else stands for its whole group.
    let in_group =
        |(markers, _, _): &&(&[Rule], &[Rule], Expected)| markers.iter().all(|m| rules.contains(m));
    for (_, _, phrase) in GROUPS.iter().filter(in_group) {
        expected.push(*phrase);
    }
    for &rule in rules {
        let grouped = GROUPS.iter().filter(in_group).any(|(_, starters, _)| starters.contains(&rule));
        if !grouped && let Some(e) = expected_for(rule) {
            expected.push(e);
        }
    }
    if expected.contains(&Expected::Operator) {
        expected.retain(|e| !matches!(e, Expected::Token("." | "[" | "(" | "as")));
    }
    expected.sort();
    expected.dedup();
    expected
}

/// For each group: the rules that, all tried at one place, show it was expected there;
/// the rules pest may report at its start; its phrase.
type Group = (&'static [Rule], &'static [Rule], Expected);

const GROUPS: [Group; 3] = [
    (
        // An action can start there and so can `}`: a block, or a workflow's body.
        &[Rule::action_name, Rule::rbrace],
        &[
            Rule::kw_let,
            Rule::kw_if,
            Rule::kw_wait,
            Rule::kw_stop,
            Rule::kw_fail,
            Rule::kw_step,
            Rule::arrow,
            Rule::step_binding,
            Rule::action_call,
            Rule::action_name,
            Rule::action_stmt,
            Rule::let_stmt,
            Rule::if_stmt,
            Rule::wait_until_stmt,
            Rule::wait_stmt,
            Rule::goto_stmt,
            Rule::stop_stmt,
            Rule::fail_stmt,
        ],
        Expected::Statement,
    ),
    (
        &[Rule::kw_title],
        &[
            Rule::kw_title,
            Rule::kw_scope,
            Rule::kw_trigger,
            Rule::kw_form,
            Rule::title_clause,
            Rule::scope_clause,
            Rule::trigger_clause,
            Rule::form_clause,
        ],
        Expected::HeaderClause,
    ),
    (
        &[Rule::kw_retry],
        &[
            Rule::kw_retry,
            Rule::kw_timeout,
            Rule::kw_on,
            Rule::retry_modifier,
            Rule::timeout_modifier,
            Rule::on_success_modifier,
            Rule::on_failure_modifier,
        ],
        Expected::Modifier,
    ),
];

fn expected_for(rule: Rule) -> Option<Expected> {
    use Expected as E;
    let token = |t: &'static str| Some(E::Token(t));
    match rule {
        Rule::lbrace | Rule::block | Rule::record | Rule::record_type => token("{"),
        Rule::rbrace => token("}"),
        Rule::lparen => token("("),
        Rule::rparen => token(")"),
        Rule::lbracket => token("["),
        Rule::rbracket => token("]"),
        Rule::langle => token("<"),
        Rule::rangle => token(">"),
        Rule::comma => token(","),
        Rule::colon => token(":"),
        Rule::dot => token("."),
        Rule::arrow | Rule::on_failure_route | Rule::goto_stmt => token("->"),
        Rule::assign => token("="),
        Rule::type_optional => token("?"),
        Rule::kw_workflow | Rule::test_workflow => token("workflow"),
        Rule::kw_scope => token("scope"),
        Rule::kw_trigger => token("trigger"),
        Rule::kw_where => token("where"),
        Rule::kw_title => token("title"),
        Rule::kw_form => token("form"),
        Rule::kw_step | Rule::step_binding => token("step"),
        Rule::kw_let => token("let"),
        Rule::kw_if => token("if"),
        Rule::kw_else | Rule::else_if | Rule::else_block => token("else"),
        Rule::kw_wait => token("wait"),
        Rule::kw_until => token("until"),
        Rule::kw_route | Rule::route => token("route"),
        Rule::kw_on => token("on"),
        Rule::kw_success => token("success"),
        Rule::kw_failure => token("failure"),
        Rule::kw_continue | Rule::on_failure_continue => token("continue"),
        Rule::kw_stop => token("stop"),
        Rule::kw_fail | Rule::mock_fail => token("fail"),
        Rule::kw_retry => token("retry"),
        Rule::kw_backoff => token("backoff"),
        Rule::kw_timeout => token("timeout"),
        Rule::kw_test => token("test"),
        Rule::kw_expect => token("expect"),
        Rule::kw_mock => token("mock"),
        Rule::kw_event | Rule::test_event => token("event"),
        Rule::kw_contact | Rule::test_contact => token("contact"),
        Rule::kw_as => token("as"),
        Rule::kw_list => token("List"),
        Rule::kw_ok | Rule::mock_ok => token("ok"),
        Rule::kw_kind => token("kind"),
        Rule::kw_no => token("no"),
        Rule::kw_run => token("run"),
        Rule::kw_took => token("took"),
        Rule::kw_called => token("called"),
        Rule::kw_with => token("with"),
        Rule::ident | Rule::word | Rule::arg_name => Some(E::Name),
        Rule::trigger_name | Rule::event_type => Some(E::TriggerName),
        Rule::scope_workspace
        | Rule::scope_hub
        | Rule::scope_card
        | Rule::kw_hub
        | Rule::kw_card => Some(E::ScopeTarget),
        Rule::string => Some(E::String),
        Rule::expr
        | Rule::paren
        | Rule::list
        | Rule::number
        | Rule::name_or_call
        | Rule::op_not
        | Rule::op_neg
        | Rule::expect_that => Some(E::Expression),
        Rule::op_coalesce
        | Rule::op_or
        | Rule::op_and
        | Rule::op_compare
        | Rule::op_add
        | Rule::op_mul
        | Rule::call_args
        | Rule::field_access
        | Rule::index_access
        | Rule::cast => Some(E::Operator),
        Rule::arg => Some(E::Argument),
        Rule::action_call | Rule::action_name => Some(E::ActionCall),
        Rule::let_stmt
        | Rule::if_stmt
        | Rule::wait_until_stmt
        | Rule::wait_stmt
        | Rule::stop_stmt
        | Rule::fail_stmt
        | Rule::action_stmt => Some(E::Statement),
        Rule::title_clause
        | Rule::scope_clause
        | Rule::trigger_clause
        | Rule::form_clause => Some(E::HeaderClause),
        Rule::retry_modifier
        | Rule::timeout_modifier
        | Rule::on_success_modifier
        | Rule::on_failure_modifier => Some(E::Modifier),
        Rule::type_expr | Rule::type_name | Rule::list_type => Some(E::Type),
        Rule::field_type => Some(E::FormField),
        Rule::record_field => Some(E::RecordField),
        Rule::duration => Some(E::Duration),
        Rule::count => Some(E::Count),
        Rule::test_clause | Rule::test_mock | Rule::test_expect => Some(E::TestClause),
        Rule::expect_no_run
        | Rule::expect_no_event
        | Rule::expect_event
        | Rule::expect_took
        | Rule::expect_run
        | Rule::expect_called_with
        | Rule::expect_step => Some(E::Expectation),
        Rule::run_outcome => Some(E::RunOutcome),
        Rule::step_outcome => Some(E::StepOutcome),
        Rule::workflow | Rule::test => Some(E::Item),
        Rule::EOI
        | Rule::workflow_item
        | Rule::test_item
        | Rule::string_text
        | Rule::string_escape
        | Rule::string_interp
        // Silent rules: pest never reports them.
        | Rule::WHITESPACE
        | Rule::workflow_member
        | Rule::prefix
        | Rule::operand
        | Rule::postfix
        | Rule::infix
        | Rule::primary
        | Rule::number_chars
        | Rule::word_chars
        | Rule::stmt
        | Rule::header_clause
        | Rule::modifier => None,
    }
}

/// The first position at or after `at` that is not whitespace or a comment.
fn skip_trivia(text: &str, mut at: usize) -> usize {
    let bytes = text.as_bytes();
    loop {
        match (bytes.get(at), bytes.get(at + 1)) {
            (Some(b' ' | b'\t' | b'\r' | b'\n'), _) => at += 1,
            (Some(b'/'), Some(b'/')) => {
                let rest = bytes.get(at..).unwrap_or(&[]);
                at += rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
            }
            (Some(b'/'), Some(b'*')) => match text.get(at + 2..).and_then(|r| r.find("*/")) {
                Some(i) => at += 2 + i + 2,
                None => return text.len(),
            },
            _ => return at.min(text.len()),
        }
    }
}

const TWO_CHAR_TOKENS: [&str; 8] = ["->", "==", "!=", "<=", ">=", "??", "${", "&&"];

/// The token at `at` and its span.
fn found_at(text: &str, at: usize) -> (Span, Found) {
    let Some(rest) = text.get(at..).filter(|r| !r.is_empty()) else {
        return (Span::point(text.len()), Found::EndOfFile);
    };
    let bytes = rest.as_bytes();
    let word_len = bytes.iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count();
    if word_len > 0 {
        let word = rest.get(..word_len).unwrap_or("");
        return (Span::new(at, at + word_len), Found::Token(word.to_owned()));
    }
    if rest.starts_with('"') {
        let line_len = rest.find(['\n', '\r']).unwrap_or(rest.len());
        let end = rest.get(1..line_len).and_then(|body| body.find('"')).map_or(line_len, |i| i + 2);
        return (Span::new(at, at + end), Found::String);
    }
    if let Some(two) = TWO_CHAR_TOKENS.iter().find(|t| rest.starts_with(**t)) {
        return (Span::new(at, at + 2), Found::Token((*two).to_owned()));
    }
    let ch = rest.chars().next().unwrap_or(' ');
    let len = ch.len_utf8();
    (Span::new(at, at + len), Found::Token(ch.to_string()))
}
