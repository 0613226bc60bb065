//! Everything the checker can find, as data: each [`CheckError`] variant holds the facts
//! (names, spans, types, candidates), never wording.
//!
//! In: what the checker's passes find. Out: [`CheckError`] values; `render` is the one
//! place that words them ([`CheckError::into_diagnostic`]), following the message
//! style of STYLE.md.

mod render;

use super::flow::Forgotten;
use super::project_catalog::Kind;
use super::types::Type;
use crate::catalog::{ContextName, ScopeKind};
use crate::source::{FileId, Span};

/// A secondary location that explains a finding.
#[derive(Clone, Debug, PartialEq)]
pub struct Because {
    pub file: FileId,
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum CheckError {
    UnknownTrigger {
        name: String,
        span: Span,
        suggestion: Option<String>,
    },
    TriggerAlias {
        alias: String,
        canonical: &'static str,
        span: Span,
    },
    MissingClause {
        clause: &'static str,
        workflow: String,
        span: Span,
    },
    DuplicateClause {
        what: String,
        span: Span,
        first: Span,
    },
    TriggerNotAllowedAtScope {
        trigger: &'static str,
        scope: ScopeKind,
        span: Span,
        scope_span: Span,
        allowed: &'static [ScopeKind],
        from_card: bool,
    },
    ContextNotCarried {
        name: ContextName,
        trigger: &'static str,
        span: Span,
        carriers: Vec<&'static str>,
    },
    FormNotAllowed {
        trigger: &'static str,
        span: Span,
    },
    UnknownType {
        name: String,
        span: Span,
        suggestion: Option<String>,
    },
    UnknownAction {
        name: String,
        span: Span,
        suggestion: Option<String>,
    },
    UnknownParameter {
        action: String,
        name: String,
        span: Span,
        suggestion: Option<String>,
        params: Vec<&'static str>,
    },
    DuplicateArgument {
        name: String,
        span: Span,
        first: Span,
    },
    TooManyArguments {
        callee: String,
        max: usize,
        span: Span,
    },
    PositionalAfterNamed {
        span: Span,
    },
    MissingArgument {
        callee: String,
        param: String,
        ty: String,
        span: Span,
    },
    BadFunctionArgument {
        function: String,
        param: &'static str,
        expected: &'static str,
        found: Type,
        span: Span,
    },
    DefaultMayBeNull {
        action: String,
        param: &'static str,
        path: String,
        ty: Type,
        span: Span,
        /// When `path` was proven non-null earlier on this path, then forgotten.
        forgotten: Option<Box<Forgotten>>,
    },
    NotSettable {
        field: String,
        span: Span,
        hint: &'static str,
    },
    UnknownRoute {
        name: String,
        span: Span,
        suggestion: Option<String>,
    },
    UnknownName {
        name: String,
        span: Span,
        suggestion: Option<String>,
        step: bool,
        note: Option<&'static str>,
    },
    UnknownField {
        owner: String,
        field: String,
        span: Span,
        suggestion: Option<String>,
    },
    UnknownFunction {
        name: String,
        span: Span,
        suggestion: Option<String>,
    },
    UnknownCatalogName {
        kind: Kind,
        name: String,
        span: Span,
        suggestion: Option<String>,
        declared: Vec<String>,
        /// For a tier: the program it was looked up in.
        program: Option<String>,
    },
    TemplateVariable {
        template: String,
        variable: String,
        /// `file:line` of the variable in the template.
        location: String,
        span: Span,
        reason: String,
    },
    DuplicateWorkflow {
        name: String,
        span: Span,
        first: Because,
    },
    DuplicateStep {
        name: String,
        span: Span,
        first: Because,
    },
    DuplicateRoute {
        name: String,
        span: Span,
        first: Span,
    },
    DuplicateLet {
        name: String,
        span: Span,
        first: Option<Span>,
        taken_by: String,
    },
    NamingConvention {
        kind: &'static str,
        name: String,
        span: Span,
        suggestion: String,
    },
    TypeMismatch {
        expected: Type,
        found: Type,
        span: Span,
        context: String,
        help: Option<String>,
    },
    InvalidLiteral {
        kind: String,
        text: String,
        reason: &'static str,
        span: Span,
    },
    MaybeNull {
        what: String,
        span: Span,
        path: Option<String>,
        context: String,
        /// When `path` was proven non-null earlier on this path, then forgotten.
        forgotten: Option<Box<Forgotten>>,
    },
    Incomparable {
        op: &'static str,
        left: Type,
        right: Type,
        span: Span,
    },
    NonBool {
        found: Type,
        span: Span,
        context: &'static str,
    },
    SecretMisuse {
        span: Span,
        usage: String,
    },
    InvalidOperands {
        op: &'static str,
        left: Type,
        right: Option<Type>,
        span: Span,
        help: Option<String>,
    },
    InvalidCast {
        from: Type,
        to: Type,
        span: Span,
        help: Option<String>,
    },
    StepMayNotHaveSucceeded {
        step: String,
        span: Span,
        defined: Span,
        why: Option<Because>,
    },
    ErrorOutsideFailure {
        span: Span,
        why: Option<Because>,
    },
    Unreachable {
        span: Span,
        cause: Span,
    },
    RouteCycle {
        span: Span,
        cycle: Vec<String>,
    },
    UnusedRoute {
        name: String,
        span: Span,
    },
    WaitTooLong {
        span: Span,
    },
    RetryOverLimit {
        count: i64,
        span: Span,
    },
    TimeoutOverLimit {
        span: Span,
        zero: bool,
    },
    UnknownWorkflow {
        name: String,
        span: Span,
        suggestion: Option<String>,
    },
    UnknownEventField {
        trigger: &'static str,
        field: String,
        span: Span,
        suggestion: Option<String>,
    },
    UnknownTestStep {
        name: String,
        workflow: String,
        span: Span,
        suggestion: Option<String>,
    },
    TestWorkflowAmbiguous {
        span: Span,
        workflows: usize,
    },
    DuplicateTest {
        name: String,
        span: Span,
        first: Because,
    },
}
