//! Flowcharts (engine.md §9) of every valid example: DOT and Mermaid snapshotted (one
//! file per workflow), and the SVG checked geometrically: no two node boxes intersect,
//! every edge starts on its source's box and ends on its target's, no edge label lies on
//! a box or on another label. And `komo graph` itself, through the binary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use komo::graph;
use komo::source::SourceMap;

/// Every `.komo` file that should check clean: `examples/` (not `errors/`), the demo's
/// workflows and the shared examples.
fn example_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["examples", "examples/demo/workflows", "../shared/examples"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "komo") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() > 20, "found {} examples", files.len());
    files
}

/// `(snapshot name, graph)` for each workflow of `path`.
fn graphs_of(path: &Path) -> Vec<(String, graph::Graph)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut sources = SourceMap::new();
    sources.add(path.display().to_string(), text.clone());
    let catalog = komo::cli::project::find_root(path)
        .map(|root| Arc::new(komo::cli::project::load_catalog(&root).unwrap()))
        .unwrap_or_default();
    let checked = komo::check_sources_in(&sources, &catalog);
    assert!(
        checked.diagnostics.iter().all(|d| !d.is_error()),
        "{}: {:?}",
        path.display(),
        checked.diagnostics
    );
    let program = komo::ir::lower_program(&checked).unwrap();
    let stem = path.file_stem().unwrap().to_string_lossy().to_string();
    let shared = path.components().any(|c| c.as_os_str() == "shared");
    let prefix = if shared { format!("shared_{stem}") } else { stem.clone() };
    program
        .workflows
        .iter()
        .map(|wf| {
            let name = if wf.name == stem { prefix.clone() } else { format!("{prefix}__{}", wf.name) };
            (name, graph::build(wf, &text))
        })
        .collect()
}

#[test]
fn every_example_has_its_dot_and_mermaid_snapshotted() {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path("snapshots/graph");
    settings.bind(|| {
        for file in example_files() {
            for (name, graph) in graphs_of(&file) {
                insta::assert_snapshot!(format!("{name}.dot"), graph::dot::render(&graph));
                insta::assert_snapshot!(format!("{name}.mermaid"), graph::mermaid::render(&graph));
            }
        }
    });
}

/// A box in the SVG: `(x, y, w, h)`.
type Box4 = (f64, f64, f64, f64);

/// An edge: source id, target id, first point, last point.
type Line = (String, String, (f64, f64), (f64, f64));

fn attr(tag: &str, name: &str) -> Option<f64> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    tag[at..].split('"').next()?.parse().ok()
}

fn str_attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    tag[at..].split('"').next()
}

/// The node boxes (by `data-id`), edges (`from`, `to`, first and last point) and label
/// boxes of an SVG that `komo graph` wrote.
struct Drawn {
    nodes: Vec<(String, Box4)>,
    edges: Vec<Line>,
    labels: Vec<Box4>,
}

fn parse_svg(svg: &str) -> Drawn {
    let mut drawn = Drawn { nodes: Vec::new(), edges: Vec::new(), labels: Vec::new() };
    for line in svg.lines() {
        if line.contains("<g class=\"node") {
            let id = str_attr(line, "data-id").unwrap().to_string();
            let rect = &line[line.find("<rect").unwrap()..];
            let b = (
                attr(rect, "x").unwrap(),
                attr(rect, "y").unwrap(),
                attr(rect, "width").unwrap(),
                attr(rect, "height").unwrap(),
            );
            drawn.nodes.push((id, b));
        } else if line.contains("<g class=\"edge") {
            let from = str_attr(line, "data-from").unwrap().to_string();
            let to = str_attr(line, "data-to").unwrap().to_string();
            let d = str_attr(line, "d").unwrap();
            let numbers: Vec<f64> = d
                .split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
                .filter(|s| !s.is_empty())
                .map(|s| s.parse().unwrap())
                .collect();
            assert!(numbers.len() >= 4 && numbers.len() % 2 == 0, "{d}");
            let first = (numbers[0], numbers[1]);
            let last = (numbers[numbers.len() - 2], numbers[numbers.len() - 1]);
            drawn.edges.push((from, to, first, last));
        } else if line.starts_with("<text class=\"label\"") {
            let text = line.split('>').nth(1).unwrap().split('<').next().unwrap();
            let chars =
                text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").chars().count() as f64;
            let (x, y) = (attr(line, "x").unwrap(), attr(line, "y").unwrap());
            // The label box the layout reserved: text from x - 2, baseline 2 above its bottom.
            drawn.labels.push((
                x - 2.0,
                y + 2.0 - graph::layout::LABEL_H,
                chars * graph::layout::LABEL_CHAR_W + 4.0,
                graph::layout::LABEL_H,
            ));
        }
    }
    drawn
}

fn intersects(a: Box4, b: Box4) -> bool {
    a.0 < b.0 + b.2 && b.0 < a.0 + a.2 && a.1 < b.1 + b.3 && b.1 < a.1 + a.3
}

/// Whether `p` is on the top or bottom side of `b` (coordinates have one decimal).
fn on_top_or_bottom(p: (f64, f64), b: Box4) -> bool {
    let near = |u: f64, v: f64| (u - v).abs() <= 0.11;
    let within = p.0 >= b.0 - 0.11 && p.0 <= b.0 + b.2 + 0.11;
    within && (near(p.1, b.1) || near(p.1, b.1 + b.3))
}

#[test]
fn every_example_svg_has_no_overlaps_and_every_edge_ends_on_a_node() {
    for file in example_files() {
        for (name, graph) in graphs_of(&file) {
            let svg = graph::svg::render(&graph, None);
            let drawn = parse_svg(&svg);
            assert_eq!(drawn.nodes.len(), graph.nodes.len(), "{name}: a box per node");
            assert_eq!(drawn.edges.len(), graph.edges.len(), "{name}: a path per edge");
            for (i, (a, ra)) in drawn.nodes.iter().enumerate() {
                for (b, rb) in &drawn.nodes[i + 1..] {
                    assert!(!intersects(*ra, *rb), "{name}: boxes {a} and {b} overlap: {ra:?} {rb:?}");
                }
            }
            let node = |id: &str| drawn.nodes.iter().find(|(n, _)| n == id).map(|(_, b)| *b);
            for (from, to, first, last) in &drawn.edges {
                let (source, target) = (node(from).unwrap(), node(to).unwrap());
                assert!(
                    on_top_or_bottom(*first, source),
                    "{name}: edge {from}→{to} starts off {from}: {first:?} {source:?}"
                );
                assert!(
                    on_top_or_bottom(*last, target),
                    "{name}: edge {from}→{to} ends off {to}: {last:?} {target:?}"
                );
            }
            for (i, label) in drawn.labels.iter().enumerate() {
                for (id, b) in &drawn.nodes {
                    assert!(!intersects(*label, *b), "{name}: label {i} lies on node {id}");
                }
                for other in &drawn.labels[i + 1..] {
                    assert!(!intersects(*label, *other), "{name}: labels overlap: {label:?} {other:?}");
                }
            }
            // Deterministic: drawing again gives the same bytes.
            assert_eq!(svg, graph::svg::render(&graph, None), "{name}");
        }
    }
}

fn komo(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_komo")).args(args).env("NO_COLOR", "1").output().unwrap()
}

#[test]
fn komo_graph_draws_one_workflow_in_each_format() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let file = root.join("examples/sponsor_lead_routing.komo");
    let file = file.to_str().unwrap();
    let svg = komo(&["graph", file]);
    assert!(svg.status.success(), "{}", String::from_utf8_lossy(&svg.stderr));
    let svg = String::from_utf8(svg.stdout).unwrap();
    assert!(svg.starts_with("<svg ") && svg.trim_end().ends_with("</svg>"), "{svg}");
    assert!(svg.contains("data-step=\"post_to_sponsor_a\""));
    let dot = komo(&["graph", file, "--format", "dot"]);
    assert!(String::from_utf8(dot.stdout).unwrap().starts_with("digraph \"sponsor_lead_routing\" {"));
    let mermaid = komo(&["graph", file, "--format", "mermaid"]);
    assert!(String::from_utf8(mermaid.stdout).unwrap().starts_with("flowchart TD\n"));

    // To a file, atomically.
    let out = std::env::temp_dir().join(format!("komo-graph-{}.dot", std::process::id()));
    let written = komo(&["graph", file, "--format", "dot", "-o", out.to_str().unwrap()]);
    assert!(written.status.success() && written.stdout.is_empty());
    assert!(std::fs::read_to_string(&out).unwrap().starts_with("digraph"));
    let _ = std::fs::remove_file(&out);
}

#[test]
fn komo_graph_refuses_an_unknown_or_unchosen_workflow() {
    let dir = std::env::temp_dir().join(format!("komo-graph-two-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("two.komo");
    std::fs::write(
        &file,
        "workflow alpha {\n  scope workspace\n  trigger Contact.Identified\n  stop\n}\n\nworkflow beta {\n  scope workspace\n  trigger Contact.Identified\n  stop\n}\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let several = komo(&["graph", file]);
    assert_eq!(several.status.code(), Some(2));
    let err = String::from_utf8_lossy(&several.stderr);
    assert!(err.contains("several workflows (`alpha`, `beta`)") && err.contains("--workflow NAME"), "{err}");
    let unknown = komo(&["graph", file, "--workflow", "alpah"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("did you mean `alpha`?"));
    let chosen = komo(&["graph", file, "--workflow", "beta", "--format", "mermaid"]);
    assert!(chosen.status.success());
    let mermaid = String::from_utf8(chosen.stdout).unwrap();
    assert_eq!(
        mermaid,
        "flowchart TD\n  n0[/\"Contact.Identified<br/>scope workspace\"/]\n  n1{{\"stop\"}}\n  n0 --> n1\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
