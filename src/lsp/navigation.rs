//! Go to definition, find references and the document outline.
//!
//! In: the open documents and a position. Out: LSP locations (from the [`index`](super::index)
//! of every open document) and a document's symbol tree: workflows with their steps,
//! `let`s and routes, and tests.

use tower_lsp_server::ls_types::{DocumentSymbol, Location, Position, SymbolKind, Uri};

use super::documents::Documents;
use super::index::{self, Occurrence, Target};
use crate::source::FileId;
use crate::syntax::ast::{Block, Item, Modifier, StmtKind};

/// The occurrences of every open document.
fn all_occurrences(docs: &Documents) -> Vec<(FileId, Vec<Occurrence>)> {
    docs.files().iter().map(|(id, ast)| (*id, index::occurrences(*id, ast, &docs.program))).collect()
}

/// What is named at `position` in `uri`.
pub fn target_at(docs: &Documents, uri: &Uri, position: Position) -> Option<(FileId, Occurrence)> {
    let (file, doc) = docs.doc(uri)?;
    let offset = doc.offset(position);
    let occurrences = index::occurrences(file, docs.ast(file)?, &docs.program);
    index::at(&occurrences, offset).cloned().map(|o| (file, o))
}

fn location(docs: &Documents, file: FileId, o: &Occurrence) -> Option<Location> {
    let doc = docs.doc_by_id(file)?;
    Some(Location::new(doc.uri.clone(), doc.range(o.span)))
}

/// Where the name at `position` is defined (steps, routes, `let`s, workflows).
pub fn definition(docs: &Documents, uri: &Uri, position: Position) -> Vec<Location> {
    let Some((_, at)) = target_at(docs, uri, position) else { return Vec::new() };
    if !navigable(&at.target) {
        return Vec::new();
    }
    all_occurrences(docs)
        .iter()
        .flat_map(|(file, os)| os.iter().map(move |o| (*file, o)))
        .filter(|(_, o)| o.definition && o.target == at.target)
        .filter_map(|(file, o)| location(docs, file, o))
        .collect()
}

/// Every use of the name at `position`, with its definition if asked.
pub fn references(docs: &Documents, uri: &Uri, position: Position, declaration: bool) -> Vec<Location> {
    let Some((_, at)) = target_at(docs, uri, position) else { return Vec::new() };
    if !navigable(&at.target) {
        return Vec::new();
    }
    all_occurrences(docs)
        .iter()
        .flat_map(|(file, os)| os.iter().map(move |o| (*file, o)))
        .filter(|(_, o)| o.target == at.target && (declaration || !o.definition))
        .filter_map(|(file, o)| location(docs, file, o))
        .collect()
}

fn navigable(target: &Target) -> bool {
    matches!(target, Target::Workflow(_) | Target::Step(..) | Target::Route(..) | Target::Let(..))
}

/// The outline of a document: workflows (steps, `let`s and routes inside) and tests.
#[allow(deprecated)] // `DocumentSymbol::deprecated` must be written out
pub fn symbols(docs: &Documents, uri: &Uri) -> Vec<DocumentSymbol> {
    let Some((file, doc)) = docs.doc(uri) else { return Vec::new() };
    let Some(ast) = docs.ast(file) else { return Vec::new() };
    let symbol =
        |name: String, detail: Option<String>, kind, span, selection, children: Vec<DocumentSymbol>| {
            DocumentSymbol {
                name,
                detail,
                kind,
                tags: None,
                deprecated: None,
                range: doc.range(span),
                selection_range: doc.range(selection),
                children: (!children.is_empty()).then_some(children),
            }
        };
    let mut out = Vec::new();
    for item in &ast.items {
        match item {
            Item::Workflow(wf) => {
                let mut children = Vec::new();
                block_symbols(&wf.body, &mut |name, detail, kind, span, selection| {
                    children.push(symbol(name, detail, kind, span, selection, Vec::new()));
                });
                for r in &wf.routes {
                    let mut inner = Vec::new();
                    block_symbols(&r.body, &mut |name, detail, kind, span, selection| {
                        inner.push(symbol(name, detail, kind, span, selection, Vec::new()));
                    });
                    children.push(symbol(
                        r.name.node.clone(),
                        Some("route".into()),
                        SymbolKind::NAMESPACE,
                        r.span,
                        r.name.span,
                        inner,
                    ));
                }
                let trigger =
                    docs.workflow_info(&wf.name.node).and_then(|i| i.trigger).map(|t| t.name.to_owned());
                out.push(symbol(
                    wf.name.node.clone(),
                    trigger,
                    SymbolKind::MODULE,
                    wf.span,
                    wf.name.span,
                    children,
                ));
            }
            Item::Test(test) => out.push(symbol(
                test.name.node.clone(),
                Some("test".into()),
                SymbolKind::METHOD,
                test.span,
                test.name.span,
                Vec::new(),
            )),
        }
    }
    out
}

type SymbolSink<'a> =
    dyn FnMut(String, Option<String>, SymbolKind, crate::source::Span, crate::source::Span) + 'a;

/// Named steps and `let`s of a block and the blocks inside it, in source order.
fn block_symbols(block: &Block, sink: &mut SymbolSink<'_>) {
    for stmt in &block.stmts {
        match &stmt.kind {
            StmtKind::Action(a) => {
                if let Some(step) = &a.step {
                    sink(
                        step.node.clone(),
                        Some(a.call.full_name()),
                        SymbolKind::FUNCTION,
                        stmt.span,
                        step.span,
                    );
                }
                for m in &a.modifiers {
                    if let Modifier::OnFailureBlock(b) = &m.node {
                        block_symbols(b, sink);
                    }
                }
            }
            StmtKind::Let { name, .. } => {
                sink(name.node.clone(), Some("let".into()), SymbolKind::VARIABLE, stmt.span, name.span)
            }
            StmtKind::If { branches, otherwise } => {
                branches.iter().for_each(|b| block_symbols(&b.block, sink));
                if let Some(b) = otherwise {
                    block_symbols(b, sink);
                }
            }
            _ => {}
        }
    }
}
