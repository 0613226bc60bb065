//! Flowcharts of workflows (engine.md §9), drawn from the IR so they never drift from
//! the code.
//!
//! In: a workflow's IR and the source text its spans point into. Out: a [`Graph`] of
//! nodes (the trigger, decisions, actions, waits, routes, ends) and edges (the next
//! statement, an `if`'s yes and no, an action's success and failure paths), then text in
//! one of three formats: DOT ([`dot`]), Mermaid ([`mermaid`]) or SVG laid out here
//! ([`layout`], [`svg`]). Everything is deterministic: the same IR and source give the
//! same bytes.
//!
//! `let` statements compute and branch nowhere, so they are not drawn. An action
//! without an `on failure` ends the run failed when it fails (after its retries): that
//! default is not drawn as an edge (it would go from every action to one end); a
//! handled failure (a route, a block, `continue`) is.

pub mod dot;
pub mod layout;
pub mod mermaid;
pub mod svg;

use crate::ir::{Action, BlockId, OnFailure, Scope, StmtKind, Workflow};
use crate::source::Span;

/// A node's id in its graph (`n0`, `n1`, … in the formats).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub usize);

/// What a node stands for, which decides its shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeKind {
    /// The trigger, with its scope and filters: where every run starts.
    Trigger,
    /// One condition of an `if` (or `else if`).
    Decision,
    Action,
    /// `wait`, `wait until`.
    Wait,
    /// The entry of a route.
    Route,
    /// The run succeeds here (the end of the main flow or of a route entered by success).
    Succeeded,
    /// `stop`.
    Stop,
    /// `fail "…"`, or the end of an `on failure { … }` block.
    Failed,
    /// The end of a route: the run succeeds, or fails when the route was entered by a
    /// failure.
    RouteEnd,
}

impl NodeKind {
    /// Its name in the formats' classes (`node action`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Trigger => "trigger",
            NodeKind::Decision => "decision",
            NodeKind::Action => "action",
            NodeKind::Wait => "wait",
            NodeKind::Route => "route",
            NodeKind::Succeeded => "succeeded",
            NodeKind::Stop => "stop",
            NodeKind::Failed => "failed",
            NodeKind::RouteEnd => "route-end",
        }
    }

    /// Whether the run ends here.
    pub fn is_end(self) -> bool {
        matches!(self, NodeKind::Succeeded | NodeKind::Stop | NodeKind::Failed | NodeKind::RouteEnd)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub id: NodeId,
    pub kind: NodeKind,
    /// Its text, a line each (the first is the title).
    pub lines: Vec<String>,
    /// The step an action node runs (its name in the run record).
    pub step: Option<String>,
    /// Where it is in the source.
    pub span: Span,
}

/// How control gets from one node to the next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// On to the next statement.
    Next,
    /// An `if` condition held.
    Yes,
    /// It did not.
    No,
    /// An action succeeded and `on success ->` goes to a route.
    Success,
    /// An action failed (after its retries) and its `on failure` handles it.
    Failure,
    /// `-> route`.
    Goto,
}

impl EdgeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::Next => "next",
            EdgeKind::Yes => "yes",
            EdgeKind::No => "no",
            EdgeKind::Success => "success",
            EdgeKind::Failure => "failure",
            EdgeKind::Goto => "goto",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    pub from: NodeId,
    pub to: NodeId,
    pub kind: EdgeKind,
    /// What the edge says (`yes`, `no`, `on failure`, `continue`, …), if anything.
    pub label: Option<String>,
}

/// A workflow's flowchart: nodes in the order they were made (the trigger first), and
/// edges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Graph {
    pub workflow: String,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

impl Graph {
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id.0)
    }
}

/// The longest text kept of an expression or argument in a node.
const MAX_TEXT: usize = 48;

/// The flowchart of `wf`, whose spans point into `source`.
pub fn build(wf: &Workflow, source: &str) -> Graph {
    let mut b = Builder {
        wf,
        source,
        graph: Graph { workflow: wf.name.clone(), nodes: Vec::new(), edges: Vec::new() },
        routes: vec![None; wf.routes.len()],
        depth: 0,
    };
    let trigger = b.trigger();
    let end = b.node(NodeKind::Succeeded, vec!["succeeded".into()], None, Span::default());
    let entry = b.block(wf.body, end);
    b.edge(trigger, entry, EdgeKind::Next, None);
    in_reading_order(b.graph, trigger)
}

/// The nodes reachable from `start`, numbered in reading order (depth first, the next
/// statement before a `no`, a success before a failure), with the edges between them.
/// Building goes backwards through each block, so its numbering is not that order.
fn in_reading_order(graph: Graph, start: NodeId) -> Graph {
    let mut order: Vec<NodeId> = Vec::new();
    let mut new_id: Vec<Option<usize>> = vec![None; graph.nodes.len()];
    let mut stack = vec![start];
    while let Some(at) = stack.pop() {
        match new_id.get_mut(at.0) {
            Some(slot @ None) => *slot = Some(order.len()),
            _ => continue,
        }
        order.push(at);
        let mut out: Vec<&Edge> = graph.edges.iter().filter(|e| e.from == at).collect();
        out.sort_by_key(|e| edge_rank(e.kind));
        // The stack pops the last pushed first: push the preferred edge last.
        stack.extend(out.iter().rev().map(|e| e.to));
    }
    let map = |id: NodeId| new_id.get(id.0).copied().flatten().map(NodeId);
    let nodes = order
        .iter()
        .filter_map(|old| graph.nodes.get(old.0))
        .filter_map(|node| Some(Node { id: map(node.id)?, ..node.clone() }))
        .collect();
    let mut edges: Vec<Edge> = graph
        .edges
        .iter()
        .filter_map(|e| Some(Edge { from: map(e.from)?, to: map(e.to)?, ..e.clone() }))
        .collect();
    edges.sort_by_key(|e| (e.from, edge_rank(e.kind), e.to));
    Graph { workflow: graph.workflow, nodes, edges }
}

fn edge_rank(kind: EdgeKind) -> u8 {
    match kind {
        EdgeKind::Next | EdgeKind::Goto => 0,
        EdgeKind::Yes => 1,
        EdgeKind::No => 2,
        EdgeKind::Success => 3,
        EdgeKind::Failure => 4,
    }
}

struct Builder<'a> {
    wf: &'a Workflow,
    source: &'a str,
    graph: Graph,
    /// Each route's entry node, once drawn.
    routes: Vec<Option<NodeId>>,
    /// Nesting, against hostile IR (the checker's limits keep real programs shallow).
    depth: usize,
}

/// Deeper blocks than this are drawn as their first node only.
const MAX_DEPTH: usize = 64;

impl Builder<'_> {
    fn node(&mut self, kind: NodeKind, lines: Vec<String>, step: Option<String>, span: Span) -> NodeId {
        let id = NodeId(self.graph.nodes.len());
        self.graph.nodes.push(Node { id, kind, lines, step, span });
        id
    }

    fn edge(&mut self, from: NodeId, to: NodeId, kind: EdgeKind, label: Option<&str>) {
        self.graph.edges.push(Edge { from, to, kind, label: label.map(str::to_string) });
    }

    /// The source text of `span` on one line, cut to [`MAX_TEXT`] characters.
    fn text(&self, span: Span) -> String {
        let raw = self.source.get(span.range()).unwrap_or("");
        let one_line = raw.split_whitespace().collect::<Vec<_>>().join(" ");
        cut(&one_line, MAX_TEXT)
    }

    fn expr_text(&self, id: crate::ir::ExprId) -> String {
        self.wf.expr(id).map(|e| self.text(e.span)).unwrap_or_default()
    }

    fn trigger(&mut self) -> NodeId {
        let wf = self.wf;
        let mut lines = vec![wf.trigger.to_string()];
        lines.push(match &wf.scope {
            Scope::Workspace => "scope workspace".to_string(),
            Scope::Hub(id) => format!("scope hub \"{id}\""),
            Scope::Card(id) => format!("scope card \"{id}\""),
        });
        if let Some(filter) = wf.filter {
            lines.push(format!("where {}", self.expr_text(filter)));
        }
        if !wf.form.is_empty() {
            let fields: Vec<&str> = wf.form.iter().map(|(name, _)| name.as_str()).collect();
            lines.push(cut(&format!("form {}", fields.join(", ")), MAX_TEXT));
        }
        self.node(NodeKind::Trigger, lines, None, wf.span)
    }

    /// Draws `block` so that ending it goes on to `next`; returns its first node (or
    /// `next` when nothing in it is drawn).
    fn block(&mut self, block: BlockId, next: NodeId) -> NodeId {
        let Some(stmts) = self.wf.block(block).map(|b| b.stmts.clone()) else { return next };
        if self.depth >= MAX_DEPTH {
            return next;
        }
        self.depth += 1;
        // Backwards, so each statement knows what follows it. Nodes are then numbered
        // from the end; `renumber` puts them back in reading order.
        let mut cur = next;
        for stmt in stmts.iter().rev() {
            cur = self.stmt(*stmt, cur);
        }
        self.depth -= 1;
        cur
    }

    fn stmt(&mut self, id: crate::ir::StmtId, next: NodeId) -> NodeId {
        let wf = self.wf;
        let Some(stmt) = wf.stmt(id) else { return next };
        match &stmt.kind {
            StmtKind::Let { .. } => next,
            StmtKind::Action(action) => self.action(action, stmt.span, next),
            StmtKind::If { branches, otherwise } => {
                let mut no = match otherwise {
                    Some(block) => self.block(*block, next),
                    None => next,
                };
                for (cond, block) in branches.iter().rev() {
                    let yes = self.block(*block, next);
                    let span = wf.expr(*cond).map_or(stmt.span, |e| e.span);
                    let decision = self.node(NodeKind::Decision, vec![self.expr_text(*cond)], None, span);
                    self.edge(decision, yes, EdgeKind::Yes, Some("yes"));
                    self.edge(decision, no, EdgeKind::No, Some("no"));
                    no = decision;
                }
                no
            }
            StmtKind::Wait { duration } => {
                let text = match wf.expr(*duration).map(|e| &e.kind) {
                    Some(crate::ir::ExprKind::Duration(ms)) => crate::runtime::value::format_duration(*ms),
                    _ => self.expr_text(*duration),
                };
                let wait = self.node(NodeKind::Wait, vec![format!("wait {text}")], None, stmt.span);
                self.edge(wait, next, EdgeKind::Next, None);
                wait
            }
            StmtKind::WaitUntil { at } => {
                let wait = self.node(
                    NodeKind::Wait,
                    vec![format!("wait until {}", self.expr_text(*at))],
                    None,
                    stmt.span,
                );
                self.edge(wait, next, EdgeKind::Next, None);
                wait
            }
            StmtKind::Goto { route } => self.route(route.index()).unwrap_or(next),
            StmtKind::Stop => self.node(NodeKind::Stop, vec!["stop".into()], None, stmt.span),
            StmtKind::Fail { message } => {
                let text = format!("fail {}", self.expr_text(*message));
                self.node(NodeKind::Failed, vec![cut(&text, MAX_TEXT)], None, stmt.span)
            }
        }
    }

    fn action(&mut self, action: &Action, span: Span, next: NodeId) -> NodeId {
        let wf = self.wf;
        let step = wf.step(action.step);
        let action_name = step.map(|s| s.action.to_string()).unwrap_or_default();
        let step_name = step.map(|s| s.name.clone());
        let mut lines = Vec::new();
        if let Some(name) = &step_name {
            lines.push(name.clone());
        }
        lines.push(action_name);
        // Key arguments: those written in the source, the first three. Lowering gives
        // a default the span of the whole call, which starts with the action's name.
        let call = format!("{}(", lines.last().map_or("", String::as_str));
        let written: Vec<String> = action
            .args
            .iter()
            .filter_map(|(param, expr)| {
                let e = wf.expr(*expr)?;
                let raw: String = self.source.get(e.span.range())?.split_whitespace().collect();
                let given = !e.span.is_empty() && !raw.starts_with(&call);
                given.then(|| cut(&format!("{param}: {}", self.text(e.span)), MAX_TEXT))
            })
            .take(3)
            .collect();
        lines.extend(written);
        let mut modifiers = Vec::new();
        if let Some(retry) = action.retry {
            modifiers.push(format!(
                "retry {} backoff {}",
                retry.count,
                crate::runtime::value::format_duration(i64::try_from(retry.backoff_ms).unwrap_or(i64::MAX))
            ));
        }
        if let Some(timeout) = action.timeout_ms {
            modifiers.push(format!(
                "timeout {}",
                crate::runtime::value::format_duration(i64::try_from(timeout).unwrap_or(i64::MAX))
            ));
        }
        if !modifiers.is_empty() {
            lines.push(modifiers.join(", "));
        }
        let node = self.node(NodeKind::Action, lines, step_name, span);
        match action.on_success.and_then(|r| self.route(r.index())) {
            Some(route) => self.edge(node, route, EdgeKind::Success, Some("on success")),
            None => self.edge(node, next, EdgeKind::Next, None),
        }
        match &action.on_failure {
            OnFailure::End => {}
            OnFailure::Continue => self.edge(node, next, EdgeKind::Failure, Some("on failure: continue")),
            OnFailure::Route(route) => {
                if let Some(route) = self.route(route.index()) {
                    self.edge(node, route, EdgeKind::Failure, Some("on failure"));
                }
            }
            OnFailure::Block(block) => {
                let failed = self.node(NodeKind::Failed, vec!["run failed".into()], None, span);
                let entry = self.block(*block, failed);
                self.edge(node, entry, EdgeKind::Failure, Some("on failure"));
            }
        }
        node
    }

    /// The entry node of route `index`, drawn the first time it is reached.
    fn route(&mut self, index: usize) -> Option<NodeId> {
        if let Some(Some(node)) = self.routes.get(index) {
            return Some(*node);
        }
        let route = self.wf.routes.get(index)?;
        let (name, body, span) = (route.name.clone(), route.body, route.span);
        let entry = self.node(NodeKind::Route, vec![format!("route {name}")], None, span);
        if let Some(slot) = self.routes.get_mut(index) {
            *slot = Some(entry);
        }
        let end = self.node(NodeKind::RouteEnd, vec![format!("end of {name}")], None, span);
        let first = self.block(body, end);
        self.edge(entry, first, EdgeKind::Next, None);
        Some(entry)
    }
}

/// `text` cut to `max` characters, with `…` when cut.
pub fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests;
