//! A laid-out [`Graph`] as SVG: self-contained (its own styles), readable at 100%, and
//! optionally a run's view of it: each step's status as a class and colour, the nodes
//! the run reached and the edges between them marked, each step linked to its row in
//! the run's timeline.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::layout::{LINE_H, Layout, Rect, layout};
use super::{EdgeKind, Graph, NodeKind};

/// A run drawn over the graph.
#[derive(Clone, Debug, Default)]
pub struct Overlay {
    /// Each step that ran (or was skipped) and its status (`succeeded`, `failed`, …).
    pub steps: HashMap<String, String>,
    /// Links each step's node to `{prefix}{step}` (a row of the run's timeline).
    pub link_prefix: Option<String>,
}

/// The graph's styles, inside every SVG (for the CLI's standalone files) and in the
/// dashboard's stylesheet (whose content policy blocks styles inside a page).
pub const STYLE: &str = "\
.komo-graph text{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;fill:#111827}\
.komo-graph .label{font-size:10px;fill:#4b5563}\
.komo-graph .title{font-weight:600}\
.komo-graph .node rect,.komo-graph .node polygon{fill:#fff;stroke:#6b7280;stroke-width:1.2}\
.komo-graph .node rect.box{fill:none;stroke:none}\
.komo-graph .trigger rect{stroke:#111827;stroke-width:2}\
.komo-graph .route rect{fill:#eef2ff}\
.komo-graph .wait rect{stroke-dasharray:4 3}\
.komo-graph .failed rect{stroke:#b42318}\
.komo-graph .edge path{fill:none;stroke:#6b7280;stroke-width:1.2}\
.komo-graph .edge.failure path{stroke:#b42318;stroke-dasharray:5 3}\
.komo-graph .status-succeeded rect{fill:#ecfdf3;stroke:#027a48;stroke-width:2}\
.komo-graph .status-failed rect{fill:#fef3f2;stroke:#b42318;stroke-width:2}\
.komo-graph .status-running rect{fill:#eff8ff;stroke:#175cd3;stroke-width:2}\
.komo-graph .status-skipped{opacity:.55}\
.komo-graph .edge.taken path{stroke:#175cd3;stroke-width:2.4}";

/// The SVG of `graph`, and of `overlay` on it when given.
pub fn render(graph: &Graph, overlay: Option<&Overlay>) -> String {
    let laid = layout(graph);
    render_laid(graph, &laid, overlay)
}

/// The SVG of `graph` laid out as `laid`.
pub fn render_laid(graph: &Graph, laid: &Layout, overlay: Option<&Overlay>) -> String {
    let reached = overlay.map(|o| reached(graph, o));
    let mut out = String::new();
    let (w, h) = (laid.width.ceil(), laid.height.ceil());
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"komo-graph\" width=\"{w}\" height=\"{h}\" \
         viewBox=\"0 0 {w} {h}\" role=\"img\" aria-label=\"{}\">",
        escape(&format!("flowchart of workflow {}", graph.workflow))
    );
    let _ = writeln!(out, "<style>{STYLE}</style>");
    out.push_str(
        "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerUnits=\"userSpaceOnUse\" markerWidth=\"9\" \
         markerHeight=\"9\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#6b7280\"/></marker></defs>\n",
    );
    for (edge, placed) in graph.edges.iter().zip(&laid.edges) {
        let taken = reached.as_ref().is_some_and(|r| {
            r.get(edge.from.0).copied().unwrap_or(false) && r.get(edge.to.0).copied().unwrap_or(false)
        });
        let mut class = format!("edge {}", edge.kind.as_str());
        if taken {
            class.push_str(" taken");
        }
        let _ = writeln!(
            out,
            "<g class=\"{class}\" data-from=\"n{}\" data-to=\"n{}\"><path d=\"{}\" marker-end=\"url(#arrow)\"/></g>",
            edge.from.0,
            edge.to.0,
            path(&placed.points)
        );
    }
    for (node, placed) in graph.nodes.iter().zip(&laid.nodes) {
        let mut class = format!("node {}", node.kind.as_str());
        let status = node.step.as_ref().and_then(|s| overlay.and_then(|o| o.steps.get(s)));
        if let Some(status) = status {
            let _ = write!(class, " status-{}", escape(status));
        }
        let step_attr =
            node.step.as_ref().map(|s| format!(" data-step=\"{}\"", escape(s))).unwrap_or_default();
        let link = node
            .step
            .as_ref()
            .and_then(|s| overlay.and_then(|o| o.link_prefix.as_ref()).map(|p| format!("{p}{s}")));
        if let Some(href) = &link {
            let _ = write!(out, "<a href=\"{}\">", escape(href));
        }
        let _ = write!(out, "<g class=\"{class}\" data-id=\"n{}\"{step_attr}>", node.id.0);
        let r = placed.rect;
        let title = match status {
            Some(status) => format!("{} ({status})", node.lines.join(" · ")),
            None => node.lines.join(" · "),
        };
        let _ = write!(out, "<title>{}</title>", escape(&title));
        out.push_str(&shape(node.kind, r));
        for (i, line) in node.lines.iter().enumerate() {
            let y = r.y + 8.0 + LINE_H * (i as f64 + 1.0) - 4.0;
            let class = if i == 0 { " class=\"title\"" } else { "" };
            let _ = write!(
                out,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\"{class}>{}</text>",
                num(r.x + r.w / 2.0),
                num(y),
                escape(line)
            );
        }
        out.push_str("</g>");
        if link.is_some() {
            out.push_str("</a>");
        }
        out.push('\n');
    }
    for placed in &laid.edges {
        if let Some((text, at)) = &placed.label {
            let _ = writeln!(
                out,
                "<text class=\"label\" x=\"{}\" y=\"{}\">{}</text>",
                num(at.x + 2.0),
                num(at.y + at.h - 2.0),
                escape(text)
            );
        }
    }
    out.push_str("</svg>\n");
    out
}

/// Which nodes a run reached: the trigger; the steps that ran; the nodes between
/// (decisions, waits, routes) that lead to a step that ran; and after the last steps
/// that ran, the nodes that follow them up to the next step (waits, ends). A failure
/// edge is followed only from a step that failed. Where the record cannot tell (a
/// decision after the last step), both ways are marked.
fn reached(graph: &Graph, overlay: &Overlay) -> Vec<bool> {
    let n = graph.nodes.len();
    let status =
        |i: usize| graph.nodes.get(i).and_then(|node| node.step.as_ref()).and_then(|s| overlay.steps.get(s));
    let is_step = |i: usize| graph.nodes.get(i).is_some_and(|node| node.step.is_some());
    let ran = |i: usize| status(i).is_some_and(|s| s != "skipped");
    // The edges a run can have followed: into a step only if it ran, out of a failure
    // only from a step that failed.
    let usable = |e: &super::Edge| {
        let into = !is_step(e.to.0) || ran(e.to.0);
        let out = e.kind != EdgeKind::Failure || status(e.from.0).is_some_and(|s| s == "failed");
        into && out && (!is_step(e.from.0) || ran(e.from.0))
    };
    let walk = |starts: Vec<usize>, forward: bool, stop_at_steps: bool| {
        let mut seen = vec![false; n];
        let mut stack = starts;
        while let Some(v) = stack.pop() {
            match seen.get_mut(v) {
                Some(s @ false) => *s = true,
                _ => continue,
            }
            for e in graph.edges.iter().filter(|e| usable(e)) {
                let (here, there) = if forward { (e.from.0, e.to.0) } else { (e.to.0, e.from.0) };
                if here == v && !(stop_at_steps && is_step(there)) {
                    stack.push(there);
                }
            }
        }
        seen
    };
    let steps: Vec<usize> = (0..n).filter(|&i| ran(i)).collect();
    let from_trigger = walk(vec![0], true, false);
    let before_a_step = walk(steps.clone(), false, false);
    // The last steps: no other step that ran comes after them.
    let last: Vec<usize> = steps
        .iter()
        .copied()
        .filter(|&s| {
            let after = walk(vec![s], true, false);
            !steps.iter().any(|&o| o != s && after.get(o).copied().unwrap_or(false))
        })
        .collect();
    let tail = walk(if last.is_empty() { vec![0] } else { last }, true, true);
    (0..n)
        .map(|i| {
            let f = from_trigger.get(i).copied().unwrap_or(false);
            let b = before_a_step.get(i).copied().unwrap_or(false);
            let t = tail.get(i).copied().unwrap_or(false);
            i == 0 || ran(i) || (f && (b || t))
        })
        .collect()
}

fn shape(kind: NodeKind, r: Rect) -> String {
    match kind {
        NodeKind::Decision => {
            let (x, y, w, h) = (r.x, r.y, r.w, r.h);
            let points = [
                (x + h / 2.0, y),
                (x + w - h / 2.0, y),
                (x + w, y + h / 2.0),
                (x + w - h / 2.0, y + h),
                (x + h / 2.0, y + h),
                (x, y + h / 2.0),
            ];
            let text: Vec<String> =
                points.iter().map(|(px, py)| format!("{},{}", num(*px), num(*py))).collect();
            // A rect too, invisible, so every node has one box to measure.
            format!(
                "<rect class=\"box\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"none\"/><polygon points=\"{}\"/>",
                num(r.x),
                num(r.y),
                num(r.w),
                num(r.h),
                text.join(" ")
            )
        }
        kind => {
            let rx = if kind.is_end() {
                r.h / 2.0
            } else if matches!(kind, NodeKind::Trigger | NodeKind::Route) {
                8.0
            } else {
                3.0
            };
            format!(
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"{}\"/>",
                num(r.x),
                num(r.y),
                num(r.w),
                num(r.h),
                num(rx)
            )
        }
    }
}

/// A curve through `points`: vertical at each point, bending between.
fn path(points: &[(f64, f64)]) -> String {
    let mut out = String::new();
    for (i, &(x, y)) in points.iter().enumerate() {
        match i.checked_sub(1).and_then(|p| points.get(p)) {
            None => {
                let _ = write!(out, "M{},{}", num(x), num(y));
            }
            Some(&(px, py)) => {
                let mid = (py + y) / 2.0;
                let _ =
                    write!(out, " C{},{} {},{} {},{}", num(px), num(mid), num(x), num(mid), num(x), num(y));
            }
        }
    }
    out
}

/// A coordinate with one decimal at most.
fn num(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 { format!("{}", r as i64) } else { format!("{r:.1}") }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}
