//! A workflow as the dashboard pictures it: its flowchart (engine.md §9) and its static
//! bounds (language.md §9), from a source the engine holds (the draft or a version).
//!
//! In: a workflow's name and source. Out: the [`graph::Graph`] of the workflow and its
//! bounds, as the workspace's catalog checks it; `None` for a source that does not
//! check (a broken draft has no picture; its page says why on activation).

use super::Engine;
use crate::check::bounds::{self, WorkflowBounds};
use crate::graph;
use crate::source::SourceMap;

/// A workflow's flowchart and bounds.
#[derive(Clone, Debug)]
pub struct Picture {
    pub graph: graph::Graph,
    pub bounds: Option<WorkflowBounds>,
}

impl Picture {
    /// `(what, value)` for each bound: `("Longest run", "3d")`, `("Most emails", "2")`, …
    pub fn bound_cells(&self) -> Vec<(String, String)> {
        let Some(found) = &self.bounds else { return Vec::new() };
        let names = ["Longest run", "Most emails", "Most SMS", "Most external calls", "Most points"];
        names
            .iter()
            .zip(found.each())
            .map(|(name, (measure, bound))| ((*name).to_string(), bounds::report::cell(measure, bound)))
            .collect()
    }
}

impl Engine {
    /// The picture of workflow `name` in `source`, or `None` when it does not check.
    pub fn picture(&self, name: &str, source: &str) -> Option<Picture> {
        let mut sources = SourceMap::new();
        sources.add(format!("{name}.komo"), source.to_string());
        let checked = crate::check_sources_in(&sources, &self.catalog);
        if checked.diagnostics.iter().any(|d| d.is_error()) {
            return None;
        }
        let program = crate::ir::lower_program(&checked).ok()?;
        let wf = program.workflows.iter().find(|w| w.name == name)?;
        let found = checked.program.bounds.iter().find(|b| b.workflow == name).cloned();
        Some(Picture { graph: graph::build(wf, source), bounds: found })
    }
}
