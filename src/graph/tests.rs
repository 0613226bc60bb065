use super::*;

fn graph_of(source: &str) -> Graph {
    let mut sources = crate::source::SourceMap::new();
    sources.add("w.komo", source);
    let checked = crate::check_sources(&sources);
    assert!(checked.diagnostics.iter().all(|d| !d.is_error()), "{:?}", checked.diagnostics);
    let program = crate::ir::lower_program(&checked).expect("lowers");
    build(program.workflows.first().expect("a workflow"), source)
}

/// Each edge as `from -kind-> to`, by the nodes' first lines.
fn edges(graph: &Graph) -> Vec<String> {
    let title = |id: NodeId| graph.node(id).and_then(|n| n.lines.first()).cloned().unwrap_or_default();
    graph.edges.iter().map(|e| format!("{} -{}-> {}", title(e.from), e.kind.as_str(), title(e.to))).collect()
}

const FLOW: &str = r#"workflow w {
  scope hub "sports"
  trigger Gameplay.Ended where event.completed
  let score = event.score ?? 0
  if score > 10 {
    step big = loyalty.award_points(100, reason: "big") on success -> thanks
  } else if score > 5 {
    wait 2h
    step small = loyalty.award_points(10, reason: "small")
      on failure {
        contact.update(add_tags: ["award-failed"])
      }
  } else {
    stop
  }
  step ping = http.request("POST", "https://example.com/ping") retry 2 backoff 1m on failure -> thanks

  route thanks {
    contact.update(add_tags: ["thanked"])
  }
}
"#;

#[test]
fn every_kind_of_path_is_an_edge() {
    let graph = graph_of(FLOW);
    assert_eq!(
        edges(&graph),
        [
            "Gameplay.Ended -next-> score > 10",
            "score > 10 -yes-> big",
            "score > 10 -no-> score > 5",
            "big -success-> route thanks",
            "route thanks -next-> update_2",
            "update_2 -next-> end of thanks",
            "score > 5 -yes-> wait 2h",
            "score > 5 -no-> stop",
            "wait 2h -next-> small",
            "small -next-> ping",
            "small -failure-> update_1",
            "ping -next-> succeeded",
            "ping -failure-> route thanks",
            "update_1 -next-> run failed",
        ]
    );
    // Numbered in reading order from the trigger; `let` is not drawn.
    assert_eq!(graph.nodes.first().map(|n| n.kind), Some(NodeKind::Trigger));
    assert!(graph.nodes.iter().enumerate().all(|(i, n)| n.id == NodeId(i)));
    let trigger = &graph.nodes[0];
    assert_eq!(trigger.lines, ["Gameplay.Ended", "scope hub \"sports\"", "where event.completed"]);
    let ping = graph.nodes.iter().find(|n| n.step.as_deref() == Some("ping")).expect("ping");
    assert_eq!(
        ping.lines,
        [
            "ping",
            "http.request",
            "method: \"POST\"",
            "url: \"https://example.com/ping\"",
            "retry 2 backoff 1m"
        ]
    );
}

#[test]
fn layout_keeps_boxes_apart_and_rows_in_path_order() {
    let graph = graph_of(FLOW);
    let laid = layout::layout(&graph);
    for (i, a) in laid.nodes.iter().enumerate() {
        for b in laid.nodes.iter().skip(i + 1) {
            assert!(!a.rect.intersects(&b.rect), "{:?} and {:?} overlap", a, b);
        }
    }
    // Every edge goes down the page (there are no cycles), from its source's bottom.
    for (edge, placed) in graph.edges.iter().zip(&laid.edges) {
        let from = laid.nodes[edge.from.0].rect;
        let to = laid.nodes[edge.to.0].rect;
        assert!(to.y > from.y, "{edge:?} goes up");
        let first = placed.points.first().copied().unwrap_or_default();
        assert!((first.1 - (from.y + from.h)).abs() < 1e-9);
    }
}

#[test]
fn a_run_overlay_colours_its_steps_and_marks_its_path() {
    let graph = graph_of(FLOW);
    let overlay = svg::Overlay {
        steps: [("big", "succeeded"), ("small", "skipped"), ("ping", "skipped"), ("update_2", "succeeded")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        link_prefix: Some("#step-".into()),
    };
    let text = svg::render(&graph, Some(&overlay));
    assert!(text.contains("<a href=\"#step-big\"><g class=\"node action status-succeeded\""), "{text}");
    assert!(text.contains("class=\"node action status-skipped\""));
    // The path: trigger → decision → big → route thanks, taken; the `no` branch not.
    let taken: Vec<&str> =
        text.lines().filter(|l| l.contains("class=\"edge") && l.contains(" taken\"")).collect();
    assert!(taken.iter().any(|l| l.contains("data-from=\"n0\" data-to=\"n1\"")), "{taken:?}");
    let no = graph.edges.iter().find(|e| e.kind == EdgeKind::No).expect("a no edge");
    let no_line = format!("data-from=\"n{}\" data-to=\"n{}\"", no.from.0, no.to.0);
    assert!(!taken.iter().any(|l| l.contains(&no_line)), "the `no` branch was not taken: {taken:?}");
    // big → route thanks → update_2 → end of thanks: four edges from the trigger on.
    assert_eq!(taken.len(), 5, "{taken:#?}");
}

#[test]
fn text_is_cut_on_characters() {
    assert_eq!(cut("abcdef", 4), "abc…");
    assert_eq!(cut("ééé", 3), "ééé");
}
