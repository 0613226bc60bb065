//! The abstract syntax tree of a `.komo` file.
//!
//! In: built only by `syntax::parser`. Out: read by the checker, the formatter and IR
//! lowering. Every node carries a [`Span`]; spans are ignored by `PartialEq` (see
//! [`Spanned`] and `eq_without_span!`), so two trees that differ only in layout compare
//! equal. Expressions also carry an [`ExprNodeId`], ignored by equality too.

use crate::source::Span;

/// A value with a source span; equality looks at the value only.
#[derive(Clone, Debug)]
pub struct Spanned<T> {
    pub node: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(node: T, span: Span) -> Spanned<T> {
        Spanned { node, span }
    }
}

impl<T: PartialEq> PartialEq for Spanned<T> {
    fn eq(&self, other: &Self) -> bool {
        self.node == other.node
    }
}

/// Equality of nodes that ignores their `span` field.
macro_rules! eq_without_span {
    ($($ty:ident { $($field:ident),* })*) => {$(
        impl PartialEq for $ty {
            fn eq(&self, other: &Self) -> bool {
                true $(&& self.$field == other.$field)*
            }
        }
    )*};
}

eq_without_span! {
    Workflow { doc, name, header, body, routes }
    Route { doc, name, body }
    Block { stmts }
    Stmt { doc, kind }
    ActionCall { namespace, action, args }
    Arg { name, value }
    TypeExpr { kind }
    Expr { kind }
    Test { doc, name, clauses }
}

/// A name as written: identifiers, step, route and workflow names.
pub type Ident = Spanned<String>;

/// A whole file: workflows and tests in source order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    Workflow(Workflow),
    Test(Test),
}

/// `workflow name { header… statements… routes… }`
#[derive(Clone, Debug)]
pub struct Workflow {
    /// The text of the `///` lines before the item, without the slashes.
    pub doc: Option<String>,
    pub name: Ident,
    /// Header clauses in source order; the checker reports duplicates and missing ones.
    pub header: Vec<Spanned<HeaderClause>>,
    /// The main flow.
    pub body: Block,
    pub routes: Vec<Route>,
    /// The whole item, from `workflow` to its closing brace.
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum HeaderClause {
    /// `title "…"`
    Title(Expr),
    /// `scope workspace | hub "id" | card "id"`
    Scope(Scope),
    /// `trigger Name.Dotted [where expr]`
    Trigger { name: Ident, filter: Option<Expr> },
    /// `form { field: Type, … }`
    Form(Vec<FormField>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Scope {
    Workspace,
    Hub(Spanned<String>),
    Card(Spanned<String>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct FormField {
    pub name: Ident,
    pub ty: TypeExpr,
}

/// `route name { … }`
#[derive(Clone, Debug)]
pub struct Route {
    pub doc: Option<String>,
    pub name: Ident,
    pub body: Block,
    pub span: Span,
}

/// Statements between braces (or the main flow of a workflow).
#[derive(Clone, Debug)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Stmt {
    pub doc: Option<String>,
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// `[step name =] ns.action(args) modifiers…`
    Action(ActionStmt),
    /// `let name = expr`
    Let { name: Ident, value: Expr },
    /// `if c { … } else if c { … } else { … }`
    If { branches: Vec<IfBranch>, otherwise: Option<Block> },
    /// `wait <duration expr>`
    Wait(Expr),
    /// `wait until <timestamp expr>`
    WaitUntil(Expr),
    /// `-> route`
    Goto(Ident),
    /// `stop`
    Stop,
    /// `fail "message"`
    Fail(Expr),
}

#[derive(Clone, Debug, PartialEq)]
pub struct IfBranch {
    pub cond: Expr,
    pub block: Block,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ActionStmt {
    /// The name after `step`, if any.
    pub step: Option<Ident>,
    pub call: ActionCall,
    pub modifiers: Vec<Spanned<Modifier>>,
}

/// `ns.action(args)`
#[derive(Clone, Debug)]
pub struct ActionCall {
    pub namespace: Ident,
    pub action: Ident,
    pub args: Vec<Arg>,
    pub span: Span,
}

impl ActionCall {
    /// `ns.action`, as the catalog names it.
    pub fn full_name(&self) -> String {
        format!("{}.{}", self.namespace.node, self.action.node)
    }
}

/// A positional (`name: None`) or named argument.
#[derive(Clone, Debug)]
pub struct Arg {
    pub name: Option<Ident>,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Modifier {
    /// `retry n [backoff d]`
    Retry { count: Spanned<i64>, backoff: Option<Spanned<Duration>> },
    /// `timeout d`
    Timeout(Spanned<Duration>),
    /// `on success -> route`
    OnSuccess(Ident),
    /// `on failure -> route`
    OnFailureRoute(Ident),
    /// `on failure { … }`
    OnFailureBlock(Block),
    /// `on failure continue`
    OnFailureContinue,
}

/// A duration in milliseconds, as written (`1h30m` keeps its text for the formatter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration {
    pub millis: i64,
}

/// A type as written: `String`, `Email?`, `List<Int>`, `{ name: String }`.
#[derive(Clone, Debug)]
pub struct TypeExpr {
    pub kind: TypeExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TypeExprKind {
    /// A type name such as `String` or `Email` (checked by the checker).
    Named(String),
    List(Box<TypeExpr>),
    Record(Vec<FormField>),
    Optional(Box<TypeExpr>),
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
    /// Which expression of its item this is (see [`ExprNodeId`]); not part of equality.
    pub id: ExprNodeId,
}

/// An expression's identity within its item (a workflow or a test): the parser numbers
/// an item's expressions from 0 in the order it builds them, so the same item text
/// always gets the same ids, whether the item is parsed alone or with its file. The
/// checker records each expression's type under its item and id, and lowering reads it
/// back from there (spans cannot identify nodes: two may share one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExprNodeId(pub u32);

impl ExprNodeId {
    /// The id as an index into a per-item table.
    pub fn index(self) -> usize {
        usize::try_from(self.0).unwrap_or(usize::MAX)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Duration(Duration),
    String(StringLit),
    List(Vec<Expr>),
    Record(Vec<RecordField>),
    /// A bare name: `event`, `contact`, `run`, `error`, a step, a `let`, `card`, …
    Name(Ident),
    /// `target.field`
    Field {
        target: Box<Expr>,
        field: Ident,
    },
    /// `target[index]`
    Index {
        target: Box<Expr>,
        index: Box<Expr>,
    },
    /// A built-in function call: `lower(x)`, `secret("NAME")`.
    Call {
        function: Ident,
        args: Vec<Expr>,
    },
    /// `expr as Type`
    Cast {
        expr: Box<Expr>,
        ty: TypeExpr,
    },
    Unary {
        op: Spanned<UnaryOp>,
        expr: Box<Expr>,
    },
    Binary {
        op: Spanned<BinaryOp>,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `( expr )`, kept so the formatter can keep the user's parentheses.
    Paren(Box<Expr>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `not`
    Not,
    /// `-`
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Coalesce,
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Contains,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinaryOp {
    /// The operator as written in source.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Coalesce => "??",
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::In => "in",
            BinaryOp::Contains => "contains",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
        }
    }

    /// Comparisons are not chainable (`a < b < c` is a syntax error).
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Eq
                | BinaryOp::Ne
                | BinaryOp::Lt
                | BinaryOp::Le
                | BinaryOp::Gt
                | BinaryOp::Ge
                | BinaryOp::In
                | BinaryOp::Contains
        )
    }
}

impl UnaryOp {
    pub fn symbol(self) -> &'static str {
        match self {
            UnaryOp::Not => "not",
            UnaryOp::Neg => "-",
        }
    }
}

/// A string literal: text and `${…}` parts. Escapes are already decoded.
#[derive(Clone, Debug, PartialEq)]
pub struct StringLit {
    pub parts: Vec<StringPart>,
}

impl StringLit {
    /// The text when the literal has no interpolation.
    pub fn as_plain(&self) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                StringPart::Text(t) => out.push_str(&t.node),
                StringPart::Interp(_) => return None,
            }
        }
        Some(out)
    }

    /// The text before the first `${`.
    pub fn literal_prefix(&self) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                StringPart::Text(t) => out.push_str(&t.node),
                StringPart::Interp(_) => break,
            }
        }
        out
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum StringPart {
    /// Decoded text; the span covers its source text (with escapes).
    Text(Spanned<String>),
    Interp(Expr),
}

/// A record field: `name: value` or `"quoted name": value`.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordField {
    pub key: Spanned<String>,
    /// Whether the key was written as a string.
    pub quoted: bool,
    pub value: Expr,
}

/// `test "name" { clauses… }`
#[derive(Clone, Debug)]
pub struct Test {
    pub doc: Option<String>,
    pub name: Spanned<String>,
    pub clauses: Vec<Spanned<TestClause>>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum TestClause {
    /// `workflow name`
    Workflow(Ident),
    /// `event { … }` (a record literal)
    Event(Expr),
    /// `contact { … }` (a record literal)
    Contact(Expr),
    /// `mock ns.action [where cond] -> ok { … } | fail "msg" [kind "k"]`
    Mock(Mock),
    /// `expect …`
    Expect(Expectation),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Mock {
    pub namespace: Ident,
    pub action: Ident,
    pub filter: Option<Expr>,
    pub outcome: MockOutcome,
}

impl Mock {
    pub fn full_name(&self) -> String {
        format!("{}.{}", self.namespace.node, self.action.node)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum MockOutcome {
    /// `-> ok { … }`
    Ok(Expr),
    /// `-> fail "message" [kind "kind"]`
    Fail { message: Expr, kind: Option<Spanned<String>> },
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expectation {
    /// `expect run succeeded|failed|waiting`
    Run(Spanned<RunOutcome>),
    /// `expect no run`
    NoRun,
    /// `expect step name succeeded|failed|skipped`
    Step { step: Ident, status: Spanned<StepOutcome> },
    /// `expect step name called with { … }`
    CalledWith { step: Ident, args: Expr },
    /// `expect run took <duration>`
    Took(Spanned<Duration>),
    /// `expect <Bool expression>`
    That(Expr),
    /// `expect event Trigger.Name [where cond]`: the run caused such an event (one
    /// that satisfies `cond`, where the event's fields are in scope by name)
    Event { trigger: Ident, filter: Option<Expr> },
    /// `expect no event Trigger.Name`: the run caused no such event
    NoEvent { trigger: Ident },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RunOutcome {
    Succeeded,
    Failed,
    Waiting,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StepOutcome {
    Succeeded,
    Failed,
    Skipped,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_and_ids_do_not_take_part_in_equality() {
        let at = |start, end| Span::new(start, end);
        let name = |text: &str, span: Span, id: u32| Expr {
            kind: ExprKind::Name(Spanned::new(text.into(), span)),
            span,
            id: ExprNodeId(id),
        };
        let a = name("x", at(0, 1), 0);
        let b = name("x", at(7, 8), 1);
        let c = name("y", at(0, 1), 0);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
