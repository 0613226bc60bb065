//! Trigger loops: workflows that start each other through the events their actions
//! cause (language.md §9, catalog.md "What actions change, and the events they cause").
//!
//! In: every parsed workflow checked together, and which files the report is about (all
//! of them for `komo check`; the open documents in the editor; the workflow being
//! activated in the engine). Out: one K0701 error for each group of workflows that
//! start each other (a strongly connected component of the graph below) holding a
//! workflow of those files, showing the group's shortest loop through one of them, with
//! the action that closes it as the primary label and every other action of the loop
//! as a secondary one.
//!
//! The graph has an edge A → B for each action statement of A that may cause an event
//! (the catalog's effect table) whose trigger is B's (aliases resolved), that B's scope
//! can receive, and that B's `where` filter may let through (`filter.rs` decides what it
//! can; anything else keeps the edge). Every action counts, in every branch and route:
//! conditions inside the flow are not followed. The scope rule: a caused event carries
//! at most the hub of the run's own event, never a card, so it reaches B at `scope
//! workspace` always; B at `scope hub "h"` only from A at `workspace` scope (its event
//! may come from any hub), at `card` scope (the card's hub is not known here) or at
//! `hub "h"` itself; B at `scope card` never. `form` clauses are not looked at: the
//! triggers actions cause carry no form data. A workflow of a file the report is about
//! replaces a workflow of the same name in the other files (an open document's text,
//! the version being activated).

mod filter;

use std::collections::VecDeque;

use super::workflow::action_statements;
use crate::catalog;
use crate::diagnostics::{Code, Diagnostic};
use crate::source::FileId;
use crate::syntax::ast::{self, ActionCall, Expr, HeaderClause, Item, Scope};
use filter::CausedEvent;

/// Every trigger loop among the workflows of `files` that goes through a workflow of a
/// file for which `about` is true, one report per group of workflows that start each
/// other.
pub fn trigger_loops<'a>(
    files: impl IntoIterator<Item = &'a (FileId, ast::File)>,
    about: &dyn Fn(FileId) -> bool,
) -> Vec<Diagnostic> {
    let graph = Graph::new(files, about);
    graph.loops(about).iter().filter_map(|cycle| graph.report(cycle)).collect()
}

/// A workflow that can run: it has a scope and a trigger of the catalog.
#[derive(Debug)]
struct Node<'a> {
    file: FileId,
    name: &'a str,
    /// The canonical trigger name.
    trigger: &'static str,
    scope: &'a Scope,
    filter: Option<&'a Expr>,
    /// Every action call, in the main flow, its branches and failure blocks, and routes.
    actions: Vec<&'a ActionCall>,
}

/// An action of `from` whose event may start `to`.
#[derive(Debug)]
struct Edge<'a> {
    from: usize,
    to: usize,
    call: &'a ActionCall,
    event: CausedEvent,
}

#[derive(Debug)]
struct Graph<'a> {
    /// In source order: files as given, workflows as written.
    nodes: Vec<Node<'a>>,
    /// By source node, then action, then target node.
    edges: Vec<Edge<'a>>,
    /// The edges out of each node, and into each node.
    out: Vec<Vec<usize>>,
    into: Vec<Vec<usize>>,
}

impl<'a> Graph<'a> {
    fn new(
        files: impl IntoIterator<Item = &'a (FileId, ast::File)>,
        about: &dyn Fn(FileId) -> bool,
    ) -> Graph<'a> {
        let mut nodes = nodes(files);
        // A workflow of a file asked about replaces one of the same name elsewhere (the
        // editor's open text of a workflow, the new version being activated).
        let asked: Vec<&str> = nodes.iter().filter(|n| about(n.file)).map(|n| n.name).collect();
        nodes.retain(|n| about(n.file) || !asked.contains(&n.name));
        let edges = edges(&nodes);
        let mut out = vec![Vec::new(); nodes.len()];
        let mut into = vec![Vec::new(); nodes.len()];
        for (i, edge) in edges.iter().enumerate() {
            if let Some(list) = out.get_mut(edge.from) {
                list.push(i);
            }
            if let Some(list) = into.get_mut(edge.to) {
                list.push(i);
            }
        }
        Graph { nodes, edges, out, into }
    }

    fn node(&self, i: usize) -> Option<&Node<'a>> {
        self.nodes.get(i)
    }

    fn is_about(&self, node: usize, about: &dyn Fn(FileId) -> bool) -> bool {
        self.node(node).is_some_and(|n| about(n.file))
    }

    /// One loop (edge indices, the first starting where the last ends) per group of
    /// workflows that start each other and holds a workflow `about` is true for.
    fn loops(&self, about: &dyn Fn(FileId) -> bool) -> Vec<Vec<usize>> {
        let mut done = vec![false; self.nodes.len()];
        let mut found = Vec::new();
        for start in 0..self.nodes.len() {
            if done.get(start).copied().unwrap_or(true) || !self.is_about(start, about) {
                continue;
            }
            let forward = self.reach(start, true);
            let backward = self.reach(start, false);
            let group: Vec<usize> = (0..self.nodes.len())
                .filter(|&m| m == start || (forward.get(m) == Some(&true) && backward.get(m) == Some(&true)))
                .collect();
            for &m in &group {
                if let Some(d) = done.get_mut(m) {
                    *d = true;
                }
            }
            let shortest = group
                .iter()
                .filter(|&&m| self.is_about(m, about))
                .filter_map(|&m| self.shortest_loop(m))
                .min_by_key(Vec::len);
            if let Some(cycle) = shortest {
                found.push(self.rotated(cycle, about));
            }
        }
        found
    }

    /// The nodes reached from `start` by one edge or more, following edges forward or
    /// backward.
    fn reach(&self, start: usize, forward: bool) -> Vec<bool> {
        let mut seen = vec![false; self.nodes.len()];
        let mut stack = vec![start];
        while let Some(at) = stack.pop() {
            let adjacent = if forward { self.out.get(at) } else { self.into.get(at) };
            for edge in adjacent.into_iter().flatten().filter_map(|&e| self.edges.get(e)) {
                let next = if forward { edge.to } else { edge.from };
                if let Some(s) = seen.get_mut(next) {
                    if !*s {
                        *s = true;
                        stack.push(next);
                    }
                }
            }
        }
        seen
    }

    /// The shortest loop from `start` back to it (fewest actions; the first found in
    /// source order among those as short).
    fn shortest_loop(&self, start: usize) -> Option<Vec<usize>> {
        let mut via: Vec<Option<usize>> = vec![None; self.nodes.len()];
        let mut seen = vec![false; self.nodes.len()];
        *seen.get_mut(start)? = true;
        let mut queue = VecDeque::from([start]);
        while let Some(at) = queue.pop_front() {
            for &e in self.out.get(at)? {
                let next = self.edges.get(e)?.to;
                if next == start {
                    let mut path = vec![e];
                    let mut back = at;
                    while back != start {
                        let came = (*via.get(back)?)?;
                        path.push(came);
                        back = self.edges.get(came)?.from;
                    }
                    path.reverse();
                    return Some(path);
                }
                if !*seen.get(next)? {
                    *seen.get_mut(next)? = true;
                    *via.get_mut(next)? = Some(e);
                    queue.push_back(next);
                }
            }
        }
        None
    }

    /// The loop started so that the action closing it is in a file `about` is true for,
    /// at the first workflow in source order that allows it.
    fn rotated(&self, mut cycle: Vec<usize>, about: &dyn Fn(FileId) -> bool) -> Vec<usize> {
        let len = cycle.len();
        let from = |i: usize| cycle.get(i).and_then(|&e| self.edges.get(e)).map(|e| e.from);
        let start = (0..len)
            .filter(|&s| from((s + len - 1) % len).is_some_and(|n| self.is_about(n, about)))
            .min_by_key(|&s| from(s))
            .unwrap_or(0);
        cycle.rotate_left(start);
        cycle
    }

    /// The K0701 error for a loop.
    fn report(&self, cycle: &[usize]) -> Option<Diagnostic> {
        let edges: Vec<&Edge<'a>> = cycle.iter().filter_map(|&e| self.edges.get(e)).collect();
        let (closing, others) = edges.split_last()?;
        let start = self.node(edges.first()?.from)?;
        let mut path = start.name.to_string();
        for edge in &edges {
            let to = self.node(edge.to)?;
            path.push_str(&format!(" → {} → {} → {}", action_text(edge.call), edge.event.trigger, to.name));
        }
        let message = if edges.len() == 1 {
            format!("workflow `{}` triggers itself: {path}", start.name)
        } else {
            format!("workflows trigger each other in a loop: {path}")
        };
        let closer = self.node(closing.from)?;
        let mut diagnostic = Diagnostic::new(Code::TriggerLoop, closer.file, closing.call.span, message)
            .with_label(format!("causes `{}`, which starts `{}` again", closing.event.trigger, start.name));
        for edge in others {
            let (from, to) = (self.node(edge.from)?, self.node(edge.to)?);
            let why = format!("causes `{}`, which starts `{}`", edge.event.trigger, to.name);
            diagnostic = diagnostic.with_secondary(from.file, edge.call.span, why);
        }
        Some(diagnostic.with_help(help(&closing.event, start.name)))
    }
}

/// The workflows of `files` that can run, in source order.
fn nodes<'a>(files: impl IntoIterator<Item = &'a (FileId, ast::File)>) -> Vec<Node<'a>> {
    let mut nodes = Vec::new();
    for (file, parsed) in files {
        for item in &parsed.items {
            let Item::Workflow(wf) = item else { continue };
            let (mut scope, mut trigger) = (None, None);
            for clause in &wf.header {
                match &clause.node {
                    HeaderClause::Scope(s) if scope.is_none() => scope = Some(s),
                    HeaderClause::Trigger { name, filter } if trigger.is_none() => {
                        trigger = Some((name, filter.as_ref()));
                    }
                    _ => {}
                }
            }
            let (Some(scope), Some((name, filter))) = (scope, trigger) else { continue };
            let Some((spec, _)) = catalog::trigger(&name.node) else { continue };
            let mut statements = Vec::new();
            action_statements(&wf.body, &mut statements);
            for route in &wf.routes {
                action_statements(&route.body, &mut statements);
            }
            nodes.push(Node {
                file: *file,
                name: &wf.name.node,
                trigger: spec.name,
                scope,
                filter,
                actions: statements.into_iter().map(|s| &s.call).collect(),
            });
        }
    }
    nodes
}

/// Every edge: each action's caused events, to each workflow they may start.
fn edges<'a>(nodes: &[Node<'a>]) -> Vec<Edge<'a>> {
    let mut edges = Vec::new();
    for (from, a) in nodes.iter().enumerate() {
        for call in &a.actions {
            let Some(spec) = catalog::action(&call.namespace.node, &call.action.node) else { continue };
            for event in filter::caused_events(call, spec) {
                for (to, b) in nodes.iter().enumerate() {
                    let starts = b.trigger == event.trigger
                        && reaches(a.scope, b.scope)
                        && b.filter.is_none_or(|f| filter::outcomes(f, &event).can_pass);
                    if starts {
                        edges.push(Edge { from, to, call, event: event.clone() });
                    }
                }
            }
        }
    }
    edges
}

/// Whether an event caused by a run of a workflow at scope `from` can reach a workflow
/// at scope `to` (see the module's documentation).
fn reaches(from: &Scope, to: &Scope) -> bool {
    match (from, to) {
        (_, Scope::Workspace) => true,
        (Scope::Hub(a), Scope::Hub(b)) => a.node == b.node,
        (Scope::Workspace | Scope::Card(_), Scope::Hub(_)) => true,
        (_, Scope::Card(_)) => false,
    }
}

/// How the loop's message shows an action: the arguments that decide its event.
fn action_text(call: &ActionCall) -> String {
    let name = call.full_name();
    let Some(spec) = catalog::action(&call.namespace.node, &call.action.node) else { return name };
    let mut shown = Vec::new();
    for param in ["set", "add_tags", "remove_tags", "list", "offer"] {
        let Some(value) = filter::argument(call, spec, param) else { continue };
        shown.push(match param {
            "set" => match filter::record_keys(value) {
                Some(keys) => format!("set: {{{}}}", keys.into_iter().collect::<Vec<_>>().join(", ")),
                None => "set: …".to_string(),
            },
            "list" | "offer" => match filter::string_literal(value) {
                Some(text) => quoted(&text),
                None => "…".to_string(),
            },
            other => format!("{other}: …"),
        });
    }
    if shown.is_empty() && !call.args.is_empty() {
        shown.push("…".to_string());
    }
    format!("{name}({})", shown.join(", "))
}

/// The fix: a `where` filter on the workflow the loop starts again that its event
/// cannot pass.
fn help(event: &CausedEvent, target: &str) -> String {
    let example = if let Some(names) = &event.changed {
        let tests: Vec<String> = names.iter().map(|n| format!("{} in event.changed", quoted(n))).collect();
        Some(format!("`where not ({})`", tests.join(" or ")))
    } else if let Some(list) = &event.list {
        Some(format!("`where event.list != {}`", quoted(list)))
    } else {
        event.offer.as_ref().map(|offer| format!("`where coupon.offer != {}`", quoted(offer)))
    };
    match example {
        Some(example) => format!(
            "give `{target}` a `where` filter that this change cannot pass, such as {example}, or remove the action from the loop"
        ),
        None => format!(
            "give `{target}` a `where` filter on `event.changed`, `event.list` or `coupon.offer` that this change cannot pass, and write the action's `set:`, `list` or `offer` as a literal so that `komo check` can tell"
        ),
    }
}

/// `text` as a Komo string literal.
fn quoted(text: &str) -> String {
    let mut out = String::from('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '$' if chars.peek() == Some(&'{') => out.push_str("\\$"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests;
