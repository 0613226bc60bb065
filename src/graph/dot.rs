//! A [`Graph`] as Graphviz DOT: one statement a line, nodes then edges, in the graph's
//! order (so the text is stable and diffs well).

use std::fmt::Write as _;

use super::{EdgeKind, Graph, NodeKind};

/// The DOT text of `graph`.
pub fn render(graph: &Graph) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph {} {{", quote(&graph.workflow));
    out.push_str("  rankdir=TB;\n");
    out.push_str("  node [fontname=\"monospace\", fontsize=11];\n");
    out.push_str("  edge [fontname=\"monospace\", fontsize=10];\n");
    for node in &graph.nodes {
        let label = quote(&node.lines.join("\n"));
        let _ = writeln!(out, "  n{} [{}, label={label}];", node.id.0, shape(node.kind));
    }
    for edge in &graph.edges {
        let mut attrs = Vec::new();
        if let Some(label) = &edge.label {
            attrs.push(format!("label={}", quote(label)));
        }
        if edge.kind == EdgeKind::Failure {
            attrs.push("style=dashed, color=\"#b42318\"".to_string());
        }
        let attrs = if attrs.is_empty() { String::new() } else { format!(" [{}]", attrs.join(", ")) };
        let _ = writeln!(out, "  n{} -> n{}{attrs};", edge.from.0, edge.to.0);
    }
    out.push_str("}\n");
    out
}

fn shape(kind: NodeKind) -> &'static str {
    match kind {
        NodeKind::Trigger => "shape=box, style=\"rounded,bold\"",
        NodeKind::Decision => "shape=diamond",
        NodeKind::Action => "shape=box",
        NodeKind::Wait => "shape=box, style=dashed",
        NodeKind::Route => "shape=box, style=\"rounded,filled\", fillcolor=\"#eef2ff\"",
        NodeKind::Succeeded | NodeKind::RouteEnd => "shape=oval",
        NodeKind::Stop => "shape=octagon",
        NodeKind::Failed => "shape=oval, color=\"#b42318\"",
    }
}

/// A DOT string: quotes and backslashes escaped, line breaks as `\n`.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        assert_eq!(quote("a \"b\" \\ c\nd"), "\"a \\\"b\\\" \\\\ c\\nd\"");
    }
}
