//! Hover: what the thing under the cursor is.
//!
//! In: the open documents and a position. Out: Markdown: a trigger's description, carried
//! records and event fields; an action's signature with its parameters' docs; a
//! parameter's type and doc; a step's output; a workflow's or route's doc comment (and
//! a workflow's bounds, computed by the last check); or
//! the type of the innermost expression under the cursor (narrowed where the checker
//! proved a value non-null), from the checker's record of every expression's type
//! (the typed program of the last check; hover never checks again).

use tower_lsp_server::ls_types::{Hover, HoverContents, MarkupContent, MarkupKind, Position, Uri};

use super::documents::{Document, Documents};
use super::index::{self, Target};
use crate::catalog::{self, ActionSpec, ParamDefault, TriggerSpec};
use crate::check::bounds;
use crate::check::types::Type;
use crate::check::{ItemId, WorkflowInfo};
use crate::source::{FileId, Span};
use crate::syntax::ast::{Block, Expr, Item, Modifier, StmtKind, Workflow};
use crate::syntax::visit;

pub fn hover(docs: &Documents, uri: &Uri, position: Position) -> Option<Hover> {
    let (file, doc) = docs.doc(uri)?;
    let offset = doc.offset(position);
    let ast = docs.ast(file)?;
    let mut occurrences = index::occurrences(file, ast, &docs.program);
    occurrences.retain(|o| !o.implicit);
    if let Some(o) = index::at(&occurrences, offset) {
        let text = match &o.target {
            Target::Trigger(name) => catalog::trigger(name).map(|(t, _)| trigger_markdown(t)),
            Target::Action(ns, action) => catalog::action(ns, action).map(action_markdown),
            Target::Param(ns, action, param) => catalog::action(ns, action)
                .and_then(|a| a.param(param).map(|p| (a, p)))
                .map(|(a, p)| param_markdown(a, p)),
            Target::Workflow(name) => docs.workflow_info(name).map(|info| workflow_markdown(docs, info)),
            Target::Route(wf, name) if o.definition || route_doc(docs, wf, name).is_some() => {
                Some(route_markdown(docs, wf, name))
            }
            Target::Step(wf, name) if o.definition => {
                docs.workflow_info(wf).and_then(|info| info.step(name)).map(|s| step_markdown(name, s.action))
            }
            Target::Let(..) if o.definition => let_markdown(docs, file, doc, o.span),
            _ => None,
        };
        if let Some(text) = text {
            return Some(markdown(text, doc, o.span));
        }
    }
    let (span, ty) = type_at(docs, file, offset)?;
    let source = doc.slice(span);
    let head =
        if source.len() <= 80 && !source.contains('\n') { format!("{source}: {ty}") } else { ty.to_string() };
    Some(markdown(with_fields(code(&head), &ty), doc, span))
}

fn markdown(value: String, doc: &Document, span: Span) -> Hover {
    Hover {
        contents: HoverContents::Markup(MarkupContent { kind: MarkupKind::Markdown, value }),
        range: Some(doc.range(span)),
    }
}

fn code(text: &str) -> String {
    format!("```komo\n{text}\n```")
}

/// A record type's fields, one a line, under the hover's first block.
fn with_fields(mut out: String, ty: &Type) -> String {
    if let Type::Record(r) = ty.non_null() {
        if r.name.is_some() && !r.fields.is_empty() {
            let fields: Vec<String> = r.fields.iter().map(|(n, t)| format!("  {n}: {t}")).collect();
            out.push_str(&format!("\n\n```komo\n{{\n{}\n}}\n```", fields.join("\n")));
        }
    }
    out
}

/// The innermost expression around `offset` whose type the checker recorded.
fn type_at(docs: &Documents, file: FileId, offset: usize) -> Option<(Span, Type)> {
    let ast = docs.ast(file)?;
    let contains = |span: Span| span.start as usize <= offset && offset <= span.end as usize;
    let (index, item) = ast.items.iter().enumerate().find(|(_, item)| match item {
        Item::Workflow(wf) => contains(wf.span),
        Item::Test(test) => contains(test.span),
    })?;
    let types = docs.program.types.item(ItemId { file, index })?;
    visit::item_exprs(item)
        .into_iter()
        .filter(|e| contains(e.span))
        .filter_map(|e| types.get(e.id).filter(|ty| !ty.is_error()).map(|ty| (e.span, ty.clone())))
        .min_by_key(|(span, _)| (span.len(), span.start))
}

pub fn trigger_markdown(t: &TriggerSpec) -> String {
    let mut out = code(&format!("trigger {}", t.name));
    out.push_str(&format!("\n\nFires when {}.", t.fires_when));
    if !t.aliases.is_empty() {
        let aliases: Vec<String> = t.aliases.iter().map(|a| format!("`{a}`")).collect();
        out.push_str(&format!(" Also known as {}.", aliases.join(", ")));
    }
    let contact = if t.contact_optional { "contact: Contact?" } else { "contact: Contact" };
    let mut carried = vec![contact.to_owned()];
    carried.extend(t.carries.iter().map(|c| {
        format!("{}: {}{}", c.name.as_str(), c.name.type_name(), if c.optional { "?" } else { "" })
    }));
    out.push_str(&format!("\n\nCarries:\n\n{}", code(&carried.join("\n"))));
    let mut fields: Vec<String> =
        catalog::EVENT_BASE_FIELDS.iter().chain(t.fields).map(|(n, ty)| format!("event.{n}: {ty}")).collect();
    if t.form_data {
        fields.push("event.fields: Json (typed by a `form { … }` clause)".into());
    }
    out.push_str(&format!("\n\nEvent:\n\n{}", code(&fields.join("\n"))));
    let scopes: Vec<String> = t.scopes.iter().map(|s| format!("`{}`", s.as_str())).collect();
    out.push_str(&format!("\n\nScopes: {}.", scopes.join(", ")));
    out
}

/// `ns.action(param: Type = default, …) -> { output }`
pub fn signature(a: &ActionSpec) -> String {
    let params: Vec<String> = a
        .params
        .iter()
        .map(|p| match p.default {
            ParamDefault::Required | ParamDefault::Absent => format!("{}: {}", p.name, p.ty),
            ParamDefault::Literal(v) => format!("{}: {} = {v}", p.name, p.ty),
            ParamDefault::ContactField(f) => format!("{}: {} = contact.{f}", p.name, p.ty),
        })
        .collect();
    let output = a.output_type();
    format!("{}({}) -> {output}", a.full_name(), params.join(", "))
}

pub fn action_markdown(a: &ActionSpec) -> String {
    let mut out = code(&signature(a));
    out.push_str(&format!("\n\n{}.", capitalized(a.doc)));
    let kind = match a.kind {
        catalog::ActionKind::Internal => "internal (runs exactly once)",
        catalog::ActionKind::External => "external (at least once, with an idempotency key)",
    };
    out.push_str(&format!(" Module `{}`, {kind}.", a.module));
    if let Some(needs) = a.needs {
        out.push_str(&format!(" Needs a trigger that carries `{}`.", needs.as_str()));
    }
    if !a.params.is_empty() {
        out.push_str("\n\nParameters:\n");
        for p in a.params {
            out.push_str(&format!("\n- `{}: {}`{}: {}", p.name, p.ty, default_text(p.default), p.doc));
        }
    }
    out
}

fn default_text(default: ParamDefault) -> String {
    match default {
        ParamDefault::Required => " (required)".into(),
        ParamDefault::Absent => String::new(),
        ParamDefault::Literal(v) => format!(" (default `{v}`)"),
        ParamDefault::ContactField(f) => format!(" (default `contact.{f}`)"),
    }
}

pub fn param_markdown(a: &ActionSpec, p: &catalog::ParamSpec) -> String {
    let mut out = code(&format!("{}: {}", p.name, p.ty));
    out.push_str(&format!("\n\nParameter of `{}`{}: {}", a.full_name(), default_text(p.default), p.doc));
    out
}

fn step_markdown(name: &str, action: Option<&'static ActionSpec>) -> String {
    match action {
        Some(a) => {
            format!("{}\n\n{}", code(&format!("step {name}: {}", a.output_type())), action_markdown(a))
        }
        None => code(&format!("step {name}")),
    }
}

fn workflow_markdown(docs: &Documents, info: &WorkflowInfo) -> String {
    let mut head = format!("workflow {}", info.name);
    if let Some(scope) = info.scope {
        head.push_str(&format!("\nscope {}", scope.as_str()));
    }
    if let Some(t) = info.trigger {
        head.push_str(&format!("\ntrigger {}", t.name));
    }
    let mut out = code(&head);
    if let Some(doc) = item_doc(docs, info.file, info.span) {
        out.push_str(&format!("\n\n{doc}"));
    }
    // The bounds the last check computed (a workflow of a file not open has none).
    if let Some(b) = docs.program.bounds.iter().find(|b| b.workflow == info.name) {
        out.push_str(&format!("\n\n**Bounds of one run**\n\n{}", bounds::markdown(b)));
    }
    out
}

fn item_doc(docs: &Documents, file: FileId, name: Span) -> Option<String> {
    docs.ast(file)?.items.iter().find_map(|item| match item {
        Item::Workflow(wf) if wf.name.span == name => wf.doc.clone(),
        _ => None,
    })
}

fn find_workflow<'w>(docs: &'w Documents, name: &str) -> Option<&'w Workflow> {
    docs.files().iter().flat_map(|(_, f)| &f.items).find_map(|item| match item {
        Item::Workflow(wf) if wf.name.node == name => Some(wf),
        _ => None,
    })
}

fn route_doc(docs: &Documents, wf: &str, route: &str) -> Option<String> {
    find_workflow(docs, wf)?.routes.iter().find(|r| r.name.node == route)?.doc.clone()
}

fn route_markdown(docs: &Documents, wf: &str, route: &str) -> String {
    let mut out = code(&format!("route {route}"));
    if let Some(doc) = route_doc(docs, wf, route) {
        out.push_str(&format!("\n\n{doc}"));
    }
    out
}

/// `let name: Type`, from the type the checker gave its value.
fn let_markdown(docs: &Documents, file: FileId, doc: &Document, name: Span) -> Option<String> {
    let inside = |span: Span| span.start <= name.start && name.end <= span.end;
    let (index, wf) = docs.ast(file)?.items.iter().enumerate().find_map(|(index, item)| match item {
        Item::Workflow(wf) if inside(wf.span) => Some((index, wf)),
        _ => None,
    })?;
    let value =
        let_value(&wf.body, name).or_else(|| wf.routes.iter().find_map(|r| let_value(&r.body, name)))?;
    let ty = docs.program.types.item(ItemId { file, index })?.get(value.id)?;
    Some(with_fields(code(&format!("let {}: {ty}", doc.slice(name))), ty))
}

fn let_value(block: &Block, name: Span) -> Option<&Expr> {
    block.stmts.iter().find_map(|stmt| match &stmt.kind {
        StmtKind::Let { name: n, value } if n.span == name => Some(value),
        StmtKind::If { branches, otherwise } => branches
            .iter()
            .find_map(|b| let_value(&b.block, name))
            .or_else(|| otherwise.as_ref().and_then(|b| let_value(b, name))),
        StmtKind::Action(a) => a.modifiers.iter().find_map(|m| match &m.node {
            Modifier::OnFailureBlock(b) => let_value(b, name),
            _ => None,
        }),
        _ => None,
    })
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
