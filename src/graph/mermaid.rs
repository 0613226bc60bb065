//! A [`Graph`] as a Mermaid flowchart (`flowchart TD`), for Markdown that renders it
//! (GitHub, GitLab, many wikis).

use std::fmt::Write as _;

use super::{EdgeKind, Graph, NodeKind};

/// The Mermaid text of `graph`.
pub fn render(graph: &Graph) -> String {
    let mut out = String::from("flowchart TD\n");
    for node in &graph.nodes {
        let text = node.lines.iter().map(|l| escape(l)).collect::<Vec<_>>().join("<br/>");
        let (open, close) = shape(node.kind);
        let _ = writeln!(out, "  n{}{open}\"{text}\"{close}", node.id.0);
    }
    for edge in &graph.edges {
        let arrow = if edge.kind == EdgeKind::Failure { "-.->" } else { "-->" };
        match &edge.label {
            Some(label) => {
                let _ = writeln!(out, "  n{} {arrow}|\"{}\"| n{}", edge.from.0, escape(label), edge.to.0);
            }
            None => {
                let _ = writeln!(out, "  n{} {arrow} n{}", edge.from.0, edge.to.0);
            }
        }
    }
    let classes = [
        (NodeKind::Failed, "failed", "stroke:#b42318,color:#b42318"),
        (NodeKind::Route, "route", "fill:#eef2ff"),
    ];
    for (kind, class, style) in classes {
        let ids: Vec<String> =
            graph.nodes.iter().filter(|n| n.kind == kind).map(|n| format!("n{}", n.id.0)).collect();
        if !ids.is_empty() {
            let _ = writeln!(out, "  classDef {class} {style}");
            let _ = writeln!(out, "  class {} {class}", ids.join(","));
        }
    }
    out
}

fn shape(kind: NodeKind) -> (&'static str, &'static str) {
    match kind {
        NodeKind::Trigger => ("[/", "/]"),
        NodeKind::Decision => ("{", "}"),
        NodeKind::Action => ("[", "]"),
        NodeKind::Wait => ("([", "])"),
        NodeKind::Route => ("[[", "]]"),
        NodeKind::Succeeded | NodeKind::RouteEnd | NodeKind::Failed => ("((", "))"),
        NodeKind::Stop => ("{{", "}}"),
    }
}

/// Text inside a quoted Mermaid label: what Mermaid would read as markup or as the end
/// of the label becomes an entity.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '|' => out.push_str("#124;"),
            '&' => out.push_str("#amp;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_becomes_entities() {
        assert_eq!(escape("a \"b\" <c> #1 | d & e"), "a #quot;b#quot; #lt;c#gt; #35;1 #124; d #amp; e");
    }
}
