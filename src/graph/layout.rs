//! A layered layout of a [`Graph`] for SVG: nodes in rows top to bottom, edges as
//! curves between rows, labels in the gaps.
//!
//! The classic steps (Sugiyama et al.), kept small because the graphs are: rows by the
//! longest path from the trigger; an edge that spans rows gets a point in each row it
//! crosses (so it passes between boxes, not through them); a few sweeps order each row
//! by the mean place of its neighbours; boxes are placed left to right, never closer
//! than a gap, each as near its neighbours' mean as that allows. Text is measured in a
//! monospace font, so sizes need no font metrics. Boxes never overlap by construction;
//! edge labels go in the gap under their edge's source, a row lower when one is
//! already there.

use std::collections::HashMap;

use super::{Graph, NodeId, NodeKind};

/// Width of a character of node text (12px monospace is 0.6em wide), with a margin.
pub const CHAR_W: f64 = 7.4;
pub const LINE_H: f64 = 16.0;
/// Width of a character of an edge label (10px monospace).
pub const LABEL_CHAR_W: f64 = 6.2;
pub const LABEL_H: f64 = 12.0;
const PAD_X: f64 = 12.0;
const PAD_Y: f64 = 8.0;
const NODE_GAP: f64 = 28.0;
const DUMMY_W: f64 = 8.0;
const ROW_GAP: f64 = 64.0;
const MARGIN: f64 = 16.0;
const SWEEPS: usize = 6;

/// A box: top-left corner and size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn intersects(&self, other: &Rect) -> bool {
        self.x < other.x + other.w
            && other.x < self.x + self.w
            && self.y < other.y + other.h
            && other.y < self.y + self.h
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct PlacedNode {
    pub id: NodeId,
    pub rect: Rect,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PlacedEdge {
    pub from: NodeId,
    pub to: NodeId,
    /// From a point on the source's bottom to one on the target's top (the reverse for
    /// an edge that goes up), through a point in each row between.
    pub points: Vec<(f64, f64)>,
    /// The label's box (text starts at its left, baseline at its bottom less 2).
    pub label: Option<(String, Rect)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    pub nodes: Vec<PlacedNode>,
    pub edges: Vec<PlacedEdge>,
    pub width: f64,
    pub height: f64,
}

/// The size of a node's box.
pub fn size(graph: &Graph, id: NodeId) -> (f64, f64) {
    let Some(node) = graph.node(id) else { return (DUMMY_W, LINE_H) };
    let chars = node.lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64;
    let h = node.lines.len().max(1) as f64 * LINE_H + 2.0 * PAD_Y;
    let mut w = chars * CHAR_W + 2.0 * PAD_X;
    if node.kind == NodeKind::Decision {
        // The slanted sides of the hexagon take half the height each.
        w += h;
    }
    (w.max(48.0), h)
}

/// A place in a row: a node, or an edge passing through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Node(NodeId),
    /// The `k`-th point of edge `e`.
    Pass(usize, usize),
}

/// Lays `graph` out.
pub fn layout(graph: &Graph) -> Layout {
    let n = graph.nodes.len();
    let back = back_edges(graph);
    // Each edge as it is laid: downwards.
    let down: Vec<(usize, usize)> = graph
        .edges
        .iter()
        .enumerate()
        .map(|(i, e)| if back.contains(&i) { (e.to.0, e.from.0) } else { (e.from.0, e.to.0) })
        .collect();
    let rank = ranks(n, &down);
    let rows_count = rank.iter().copied().max().map_or(0, |r| r + 1);
    let mut rows: Vec<Vec<Slot>> = vec![Vec::new(); rows_count];
    for node in 0..n {
        if let Some(row) = rank.get(node).and_then(|r| rows.get_mut(*r)) {
            row.push(Slot::Node(NodeId(node)));
        }
    }
    // Edge chains: the slot of the edge in each row strictly between its ends.
    for (e, &(a, b)) in down.iter().enumerate() {
        let (ra, rb) = (rank.get(a).copied().unwrap_or(0), rank.get(b).copied().unwrap_or(0));
        for (k, row) in (ra + 1..rb).enumerate() {
            if let Some(slots) = rows.get_mut(row) {
                slots.push(Slot::Pass(e, k));
            }
        }
    }
    let width_of = |slot: Slot| match slot {
        Slot::Node(id) => size(graph, id).0,
        Slot::Pass(..) => DUMMY_W,
    };
    order_rows(&mut rows, &down, &rank);
    // Rows' tops.
    let mut tops = Vec::with_capacity(rows.len());
    let mut heights = Vec::with_capacity(rows.len());
    let mut y = MARGIN;
    for row in &rows {
        tops.push(y);
        let h = row
            .iter()
            .map(|s| match s {
                Slot::Node(id) => size(graph, *id).1,
                Slot::Pass(..) => 0.0,
            })
            .fold(0.0, f64::max);
        heights.push(h);
        y += h + ROW_GAP;
    }
    let height = y - ROW_GAP + MARGIN;
    let centers = place(&rows, &down, &rank, &width_of);
    let mut min_left = f64::INFINITY;
    let mut max_right: f64 = 0.0;
    for (slot, cx) in &centers {
        let w = width_of(*slot);
        min_left = min_left.min(cx - w / 2.0);
        max_right = max_right.max(cx + w / 2.0);
    }
    let shift = if min_left.is_finite() { MARGIN - min_left } else { 0.0 };
    let center = |slot: Slot| centers.get(&slot).copied().unwrap_or(0.0) + shift;

    let mut nodes = Vec::with_capacity(n);
    for node in &graph.nodes {
        let (w, h) = size(graph, node.id);
        let top = rank.get(node.id.0).and_then(|r| tops.get(*r)).copied().unwrap_or(MARGIN);
        nodes.push(PlacedNode {
            id: node.id,
            rect: Rect { x: center(Slot::Node(node.id)) - w / 2.0, y: top, w, h },
        });
    }
    let rect = |id: usize| nodes.get(id).map(|p| p.rect).unwrap_or(Rect { x: 0.0, y: 0.0, w: 0.0, h: 0.0 });
    let toward = |e: usize, from_source: bool| {
        let (a, b) = down.get(e).copied().unwrap_or((0, 0));
        let span = rank.get(b).copied().unwrap_or(0).saturating_sub(rank.get(a).copied().unwrap_or(0));
        match (span > 1, from_source) {
            (true, true) => center(Slot::Pass(e, 0)),
            (true, false) => center(Slot::Pass(e, span - 2)),
            (false, true) => center(Slot::Node(NodeId(b))),
            (false, false) => center(Slot::Node(NodeId(a))),
        }
    };
    // Rounded and slanted sides have no room for an edge: ports sit on the flat part.
    let port_rect = |id: usize| {
        let r = rect(id);
        let kind = graph.nodes.get(id).map(|n| n.kind);
        if kind.is_some_and(|k| k == NodeKind::Decision || k.is_end()) {
            Rect { x: r.x + r.h / 2.0, w: (r.w - r.h).max(0.0), ..r }
        } else {
            r
        }
    };
    let ports = Ports::new(&down, &toward, &port_rect);

    let mut edges = Vec::with_capacity(graph.edges.len());
    let mut labels: Vec<Rect> = Vec::new();
    for (e, edge) in graph.edges.iter().enumerate() {
        let (a, b) = down.get(e).copied().unwrap_or((0, 0));
        let (ra, rb) = (rank.get(a).copied().unwrap_or(0), rank.get(b).copied().unwrap_or(0));
        let (ax, bx) = ports.get(e);
        let (top_a, top_b) = (rect(a), rect(b));
        let mut points = vec![(ax, top_a.y + top_a.h)];
        for (k, row) in (ra + 1..rb).enumerate() {
            // Straight down through the row, between its boxes.
            let row_top = tops.get(row).copied().unwrap_or(0.0);
            let x = center(Slot::Pass(e, k));
            points.push((x, row_top));
            points.push((x, row_top + heights.get(row).copied().unwrap_or(0.0)));
        }
        points.push((bx, top_b.y));
        if back.contains(&e) {
            points.reverse();
        }
        let label = edge.label.as_ref().map(|text| {
            let (sx, sy) = points.first().copied().unwrap_or((0.0, 0.0));
            let w = text.chars().count() as f64 * LABEL_CHAR_W + 4.0;
            let mut at = Rect { x: sx + 4.0, y: sy + 4.0, w, h: LABEL_H };
            // Down a row while another label or a box is there (boxes only at the
            // row below, which the gap keeps far enough for three rows).
            for _ in 0..3 {
                if !labels.iter().any(|l| l.intersects(&at)) {
                    break;
                }
                at.y += LABEL_H + 2.0;
            }
            labels.push(at);
            (text.clone(), at)
        });
        edges.push(PlacedEdge { from: edge.from, to: edge.to, points, label });
    }
    let label_right = labels.iter().map(|l| l.x + l.w).fold(0.0, f64::max);
    let width = (max_right + shift).max(label_right) + MARGIN;
    Layout { nodes, edges, width, height }
}

/// Edges that close a cycle (found depth first from the first node): laid out
/// reversed. Workflows have none (routes cannot loop), but input is not trusted.
fn back_edges(graph: &Graph) -> Vec<usize> {
    let n = graph.nodes.len();
    let mut state = vec![0u8; n]; // 0 new, 1 on the stack, 2 done
    let mut back = Vec::new();
    let out: Vec<Vec<(usize, usize)>> = (0..n)
        .map(|v| {
            graph.edges.iter().enumerate().filter(|(_, e)| e.from.0 == v).map(|(i, e)| (i, e.to.0)).collect()
        })
        .collect();
    for root in 0..n {
        if state.get(root) != Some(&0) {
            continue;
        }
        // (node, next out-edge to look at)
        let mut stack = vec![(root, 0usize)];
        if let Some(s) = state.get_mut(root) {
            *s = 1;
        }
        while let Some((v, i)) = stack.pop() {
            match out.get(v).and_then(|o| o.get(i)) {
                Some(&(e, w)) => {
                    stack.push((v, i + 1));
                    match state.get(w) {
                        Some(0) => {
                            if let Some(s) = state.get_mut(w) {
                                *s = 1;
                            }
                            stack.push((w, 0));
                        }
                        Some(1) => back.push(e),
                        _ => {}
                    }
                }
                None => {
                    if let Some(s) = state.get_mut(v) {
                        *s = 2;
                    }
                }
            }
        }
    }
    back
}

/// Each node's row: the longest path to it (edges already pointing down).
fn ranks(n: usize, down: &[(usize, usize)]) -> Vec<usize> {
    let mut indegree = vec![0usize; n];
    for &(_, b) in down {
        if let Some(d) = indegree.get_mut(b) {
            *d += 1;
        }
    }
    let mut rank = vec![0usize; n];
    let mut ready: Vec<usize> = (0..n).filter(|v| indegree.get(*v) == Some(&0)).rev().collect();
    while let Some(v) = ready.pop() {
        let rv = rank.get(v).copied().unwrap_or(0);
        for &(a, b) in down {
            if a != v {
                continue;
            }
            if let Some(r) = rank.get_mut(b) {
                *r = (*r).max(rv + 1);
            }
            if let Some(d) = indegree.get_mut(b) {
                *d -= 1;
                if *d == 0 {
                    ready.push(b);
                }
            }
        }
    }
    rank
}

/// The slots next to `slot` in the row above (`up`) or below.
fn neighbours(slot: Slot, up: bool, down: &[(usize, usize)], rank: &[usize]) -> Vec<Slot> {
    let row_of = |v: usize| rank.get(v).copied().unwrap_or(0);
    let mut out = Vec::new();
    match slot {
        Slot::Node(NodeId(v)) => {
            for (e, &(a, b)) in down.iter().enumerate() {
                if up && b == v {
                    let span = row_of(b).saturating_sub(row_of(a));
                    out.push(if span > 1 { Slot::Pass(e, span - 2) } else { Slot::Node(NodeId(a)) });
                } else if !up && a == v {
                    let span = row_of(b).saturating_sub(row_of(a));
                    out.push(if span > 1 { Slot::Pass(e, 0) } else { Slot::Node(NodeId(b)) });
                }
            }
        }
        Slot::Pass(e, k) => {
            let (a, b) = down.get(e).copied().unwrap_or((0, 0));
            let span = row_of(b).saturating_sub(row_of(a));
            out.push(match (up, k) {
                (true, 0) => Slot::Node(NodeId(a)),
                (true, k) => Slot::Pass(e, k - 1),
                (false, k) if k + 2 >= span => Slot::Node(NodeId(b)),
                (false, k) => Slot::Pass(e, k + 1),
            });
        }
    }
    out
}

/// The rows [`SWEEPS`] sweeps visit, alternately down (each row after the one above it,
/// `true`) and up (each row after the one below it), each with its direction.
fn sweeps(rows: usize) -> Vec<(bool, usize)> {
    (0..SWEEPS)
        .flat_map(|sweep| {
            let down = sweep % 2 == 0;
            let rows: Vec<usize> =
                if down { (1..rows).collect() } else { (0..rows.saturating_sub(1)).rev().collect() };
            rows.into_iter().map(move |r| (down, r))
        })
        .collect()
}

/// Orders each row by the mean position of its neighbours, sweeping down and up.
fn order_rows(rows: &mut [Vec<Slot>], down: &[(usize, usize)], rank: &[usize]) {
    for (going_down, r) in sweeps(rows.len()) {
        let other = if going_down { r - 1 } else { r + 1 };
        let Some(reference) = rows.get(other) else { continue };
        let position: HashMap<Slot, usize> = reference.iter().enumerate().map(|(i, s)| (*s, i)).collect();
        let Some(row) = rows.get_mut(r) else { continue };
        let mut keyed: Vec<(f64, usize, Slot)> = row
            .iter()
            .enumerate()
            .map(|(i, slot)| {
                let near: Vec<usize> = neighbours(*slot, going_down, down, rank)
                    .iter()
                    .filter_map(|s| position.get(s).copied())
                    .collect();
                let key = if near.is_empty() {
                    i as f64
                } else {
                    near.iter().sum::<usize>() as f64 / near.len() as f64
                };
                (key, i, *slot)
            })
            .collect();
        keyed.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
        *row = keyed.into_iter().map(|(_, _, s)| s).collect();
    }
}

impl std::hash::Hash for Slot {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match self {
            Slot::Node(id) => (0u8, id.0, 0usize).hash(state),
            Slot::Pass(e, k) => (1u8, *e, *k).hash(state),
        }
    }
}

/// Each slot's centre x: left to right with gaps, then each pulled toward the mean of
/// its neighbours (above on the way down, below on the way up) as far as its row's
/// order and gaps allow.
fn place(
    rows: &[Vec<Slot>],
    down: &[(usize, usize)],
    rank: &[usize],
    width_of: &dyn Fn(Slot) -> f64,
) -> HashMap<Slot, f64> {
    let gap = |a: Slot, b: Slot| {
        let g =
            if matches!(a, Slot::Node(_)) && matches!(b, Slot::Node(_)) { NODE_GAP } else { NODE_GAP / 2.0 };
        width_of(a) / 2.0 + g + width_of(b) / 2.0
    };
    let mut x: HashMap<Slot, f64> = HashMap::new();
    for row in rows {
        let mut at = 0.0;
        let mut prev: Option<Slot> = None;
        for slot in row {
            at = match prev {
                Some(p) => at + gap(p, *slot),
                None => width_of(*slot) / 2.0,
            };
            x.insert(*slot, at);
            prev = Some(*slot);
        }
    }
    for (going_down, r) in sweeps(rows.len()) {
        let Some(row) = rows.get(r) else { continue };
        let desired: Vec<f64> = row
            .iter()
            .map(|slot| {
                let near: Vec<f64> = neighbours(*slot, going_down, down, rank)
                    .iter()
                    .filter_map(|s| x.get(s).copied())
                    .collect();
                if near.is_empty() {
                    x.get(slot).copied().unwrap_or(0.0)
                } else {
                    near.iter().sum::<f64>() / near.len() as f64
                }
            })
            .collect();
        // Left to right: as desired, but not closer than the gap to the left one;
        // then right to left: not closer than the gap to the right one, and no
        // further right than desired allows. The mean of both keeps the row
        // centred under its neighbours.
        let mut left = vec![0.0; row.len()];
        for i in 0..row.len() {
            let want = desired.get(i).copied().unwrap_or(0.0);
            let min = match (i.checked_sub(1), row.get(i)) {
                (Some(p), Some(s)) => {
                    left.get(p).copied().unwrap_or(0.0) + row.get(p).map_or(0.0, |ps| gap(*ps, *s))
                }
                _ => f64::NEG_INFINITY,
            };
            if let Some(l) = left.get_mut(i) {
                *l = want.max(min);
            }
        }
        let mut right = vec![0.0; row.len()];
        for i in (0..row.len()).rev() {
            let want = desired.get(i).copied().unwrap_or(0.0);
            let max = match (row.get(i + 1), row.get(i)) {
                (Some(n), Some(s)) => right.get(i + 1).copied().unwrap_or(0.0) - gap(*s, *n),
                _ => f64::INFINITY,
            };
            if let Some(r) = right.get_mut(i) {
                *r = want.min(max);
            }
        }
        // Both sequences keep the gaps, so does their mean (it is a mean of two
        // increasing sequences whose steps are each at least the gap).
        for (i, slot) in row.iter().enumerate() {
            let l = left.get(i).copied().unwrap_or(0.0);
            let r = right.get(i).copied().unwrap_or(0.0);
            x.insert(*slot, (l + r) / 2.0);
        }
    }
    x
}

/// Where each edge leaves its source and enters its target: the edges at a node's
/// bottom (or top) spread evenly over its width, ordered by where they go.
struct Ports {
    /// Per edge: x on the source's side, x on the target's side.
    at: Vec<(f64, f64)>,
}

impl Ports {
    /// `toward(e, true)`: the x edge `e` heads to after its source; `toward(e, false)`:
    /// the x it comes from before its target.
    fn new(
        down: &[(usize, usize)],
        toward: &dyn Fn(usize, bool) -> f64,
        rect: &dyn Fn(usize) -> Rect,
    ) -> Ports {
        let mut at = vec![(0.0, 0.0); down.len()];
        let mut by_source: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut by_target: HashMap<usize, Vec<usize>> = HashMap::new();
        for (e, &(a, b)) in down.iter().enumerate() {
            by_source.entry(a).or_default().push(e);
            by_target.entry(b).or_default().push(e);
        }
        for (from_source, groups) in [(true, by_source), (false, by_target)] {
            for (node, mut edges) in groups {
                let r = rect(node);
                edges.sort_by(|x, y| {
                    toward(*x, from_source).total_cmp(&toward(*y, from_source)).then(x.cmp(y))
                });
                let k = edges.len() as f64;
                for (i, e) in edges.iter().enumerate() {
                    let x = r.x + r.w * (i as f64 + 1.0) / (k + 1.0);
                    if let Some(slot) = at.get_mut(*e) {
                        if from_source {
                            slot.0 = x;
                        } else {
                            slot.1 = x;
                        }
                    }
                }
            }
        }
        Ports { at }
    }

    fn get(&self, e: usize) -> (f64, f64) {
        self.at.get(e).copied().unwrap_or((0.0, 0.0))
    }
}
