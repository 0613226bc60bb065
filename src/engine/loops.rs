//! Activation's trigger-loop check (language.md §9): the workflow being activated,
//! against the workspace's other live workflows.
//!
//! In: the store, a workspace, the workflow's name and source (already checked alone).
//! Out: the refusal, with the K0701 diagnostics of every loop the workflow would close,
//! or nothing. The other workflows are the workspace's active and paused ones (a paused
//! workflow comes back with `resume`, which checks nothing), each by the source of its
//! active version; the one being activated is left out of them, since its new version
//! replaces the old. Loops among the others alone are not this activation's business.

use super::error::EngineError;
use super::store::Store;
use crate::source::{FileId, SourceMap};

/// The refusal when activating `source` as `name` would close a trigger loop.
pub(super) async fn refusal(
    store: &Store,
    ws: &str,
    name: &str,
    source: &str,
) -> Result<Option<EngineError>, EngineError> {
    let others = store.live_sources_except(ws, name).await?;
    if others.is_empty() {
        return Ok(None);
    }
    let mut sources = SourceMap::new();
    let activated = sources.add(format!("{name}.komo"), source);
    for (other, text) in &others {
        sources.add(format!("{other}.komo"), text.as_str());
    }
    let files: Vec<_> =
        sources.files().map(|(id, file)| (id, crate::syntax::parse(id, &file.text).file)).collect();
    let loops = crate::check::loops::trigger_loops(&files, &|file: FileId| file == activated);
    if loops.is_empty() {
        return Ok(None);
    }
    let report = crate::diagnostics::render::json(&sources, &loops);
    let diagnostics = serde_json::to_value(&report).unwrap_or(serde_json::Value::Null);
    Ok(Some(EngineError::Refused { diagnostics }))
}
