//! The IR: what the engine stores and the interpreter runs.
//!
//! In: checked ASTs, through [`lower`]. Out: a flat, versioned, serde form of each
//! workflow (and test): arenas of expressions, statements and blocks addressed by typed
//! ids; names resolved (variables to [`Var`], steps to [`StepId`], routes to
//! [`RouteId`], actions and triggers to the catalog's [`ActionId`] and [`TriggerId`],
//! arguments to their parameters with defaults filled in); each expression with its
//! static type. The interpreter never looks at the AST.

mod lower;
pub mod migrate;
pub mod stored;
mod types;

pub use lower::{LowerError, lower_program};
pub use types::Ty;

use serde::{Deserialize, Serialize};

use crate::catalog::{ActionId, FailureKind, TriggerId};
use crate::source::Span;

/// Bumped whenever the shape of the IR changes; stored IR of another version is
/// refused rather than misread.
pub const IR_VERSION: u32 = 1;

macro_rules! id {
    ($($name:ident),*) => {$(
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub u32);

        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    )*};
}

id!(ExprId, StmtId, BlockId, StepId, RouteId);

/// The IR of a set of files: workflows and tests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Program {
    pub ir_version: u32,
    pub workflows: Vec<Workflow>,
    pub tests: Vec<TestCase>,
}

/// Where a workflow listens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "id")]
pub enum Scope {
    Workspace,
    Hub(String),
    Card(String),
}

/// One workflow, self-contained.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Workflow {
    pub name: String,
    pub title: Option<String>,
    pub doc: Option<String>,
    pub scope: Scope,
    /// The trigger (its canonical name in JSON: aliases resolved).
    pub trigger: TriggerId,
    /// The trigger's `where` filter.
    pub filter: Option<ExprId>,
    /// The `form` fields: name and type.
    pub form: Vec<(String, Ty)>,
    /// Every step in source order (also those that may never run): the run record lists
    /// them all.
    pub steps: Vec<Step>,
    pub routes: Vec<Route>,
    /// The main flow.
    pub body: BlockId,
    pub blocks: Vec<Block>,
    pub stmts: Vec<Stmt>,
    pub exprs: Vec<Expr>,
    /// Where the workflow's name is, for errors.
    pub span: Span,
}

impl Workflow {
    pub fn expr(&self, id: ExprId) -> Option<&Expr> {
        self.exprs.get(id.index())
    }
    pub fn stmt(&self, id: StmtId) -> Option<&Stmt> {
        self.stmts.get(id.index())
    }
    pub fn block(&self, id: BlockId) -> Option<&Block> {
        self.blocks.get(id.index())
    }
    pub fn step(&self, id: StepId) -> Option<&Step> {
        self.steps.get(id.index())
    }
    pub fn route(&self, id: RouteId) -> Option<&Route> {
        self.routes.get(id.index())
    }
    pub fn step_named(&self, name: &str) -> Option<StepId> {
        self.steps.iter().position(|s| s.name == name).and_then(|i| u32::try_from(i).ok()).map(StepId)
    }
}

/// A step: the name it has in the run record and the action it runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub name: String,
    /// The action (`ns.action` in JSON).
    pub action: ActionId,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Route {
    pub name: String,
    pub body: BlockId,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Block {
    pub stmts: Vec<StmtId>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StmtKind {
    Action(Action),
    Let { name: String, value: ExprId },
    If { branches: Vec<(ExprId, BlockId)>, otherwise: Option<BlockId> },
    Wait { duration: ExprId },
    WaitUntil { at: ExprId },
    Goto { route: RouteId },
    Stop,
    Fail { message: ExprId },
}

/// An action statement with everything resolved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Action {
    pub step: StepId,
    /// Every parameter that has a value (given, or a default), in the action's order.
    pub args: Vec<(String, ExprId)>,
    pub retry: Option<Retry>,
    pub timeout_ms: Option<u64>,
    pub on_success: Option<RouteId>,
    pub on_failure: OnFailure,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retry {
    /// Attempts after the first.
    pub count: u32,
    /// The first delay; each next one doubles (with jitter).
    pub backoff_ms: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "target")]
pub enum OnFailure {
    /// The run ends, failed.
    End,
    Route(RouteId),
    Block(BlockId),
    Continue,
}

/// An expression and its static type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Expr {
    pub kind: ExprKind,
    pub ty: Ty,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExprKind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    /// Milliseconds.
    Duration(i64),
    String(String),
    /// `"a ${b} c"`.
    Interp(Vec<Part>),
    List(Vec<ExprId>),
    Record(Vec<(String, ExprId)>),
    Var(Var),
    Field(ExprId, String),
    Index(ExprId, ExprId),
    Call(Builtin, Vec<ExprId>),
    Cast(ExprId, Ty),
    Not(ExprId),
    Neg(ExprId),
    /// `and`/`or`/`??` evaluate their right side only when needed.
    Binary(BinOp, ExprId, ExprId),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Text(String),
    Expr(ExprId),
}

/// What a name refers to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Var {
    Event,
    /// Read live from the contact store at each use.
    Contact,
    Run,
    Error,
    Hub,
    Card,
    Entry,
    Prize,
    Coupon,
    Receipt,
    /// A step's output.
    Step(StepId),
    /// A `let` binding (or, in a mock's `where`, a parameter).
    Local(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BinOp {
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Builtin {
    Lower,
    Upper,
    Trim,
    Len,
    StartsWith,
    EndsWith,
    Now,
    Round,
    Floor,
    Ceil,
    String,
    Int,
    Float,
    Secret,
}

impl Builtin {
    pub fn from_name(name: &str) -> Option<Builtin> {
        Some(match name {
            "lower" => Builtin::Lower,
            "upper" => Builtin::Upper,
            "trim" => Builtin::Trim,
            "len" => Builtin::Len,
            "starts_with" => Builtin::StartsWith,
            "ends_with" => Builtin::EndsWith,
            "now" => Builtin::Now,
            "round" => Builtin::Round,
            "floor" => Builtin::Floor,
            "ceil" => Builtin::Ceil,
            "string" => Builtin::String,
            "int" => Builtin::Int,
            "float" => Builtin::Float,
            "secret" => Builtin::Secret,
            _ => return None,
        })
    }
}

/// A `test` item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestCase {
    pub name: String,
    pub doc: Option<String>,
    pub workflow: String,
    /// The `event { … }` record (trigger fields and context records side by side).
    pub event: Option<ExprId>,
    /// The `contact { … }` record.
    pub contact: Option<ExprId>,
    pub mocks: Vec<Mock>,
    pub expects: Vec<Expect>,
    /// Expressions of the test (its own arena; steps refer to the workflow's ids).
    pub exprs: Vec<Expr>,
    pub span: Span,
}

impl TestCase {
    pub fn expr(&self, id: ExprId) -> Option<&Expr> {
        self.exprs.get(id.index())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mock {
    /// The action mocked (`ns.action` in JSON).
    pub action: ActionId,
    /// Over the action's parameters (as `Var::Local`).
    pub filter: Option<ExprId>,
    pub outcome: MockOutcome,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MockOutcome {
    Ok(ExprId),
    Fail { message: ExprId, kind: Option<FailureKind> },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Expect {
    pub kind: ExpectKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectKind {
    Run(RunStatus),
    NoRun,
    Step(StepId, StepStatus),
    CalledWith(StepId, ExprId),
    Took(i64),
    That(ExprId),
    /// `expect event T [where c]`: the run caused a `trigger` event for which `filter`
    /// holds; the event's fields are `Var::Local`s of the filter.
    Event {
        trigger: TriggerId,
        filter: Option<ExprId>,
    },
    /// `expect no event T`: the run caused no `trigger` event.
    NoEvent(TriggerId),
}

/// The statuses of a run (`catalog.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Pending,
    Running,
    Waiting,
    Succeeded,
    Failed,
    Cancelled,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Pending => "pending",
            RunStatus::Running => "running",
            RunStatus::Waiting => "waiting",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
        }
    }
}

/// The statuses of a step in a run's timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Succeeded,
    Failed,
    Skipped,
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Succeeded => "succeeded",
            StepStatus::Failed => "failed",
            StepStatus::Skipped => "skipped",
        }
    }
}
