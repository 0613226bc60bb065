//! The open documents and what the checker says about them.
//!
//! In: `didOpen`/`didChange`/`didClose` (full texts or incremental edits in UTF-16).
//! Out: each document's text, line index and AST, and the diagnostics of checking all
//! open documents together, exactly as `komo check` checks the files it is given
//! (workflow names are unique across them; a test may run a workflow of another one).
//! The trigger-loop check (K0701) also sees the project's `workflows/*.komo` files that
//! are not open, asked of the [`ProjectAccess`] when a document is opened or closed: a
//! loop through an open document is reported even when the rest of it is in closed
//! files.
//!
//! Parsing and checking run under `catch_unwind`: a bug in the compiler becomes a
//! K0901 "internal error" diagnostic at the start of the document, and the server
//! keeps answering.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tower_lsp_server::ls_types::{self as ls, Position, Range, TextDocumentContentChangeEvent, Uri};

use super::diagnostics::{DEFAULT_DIAGNOSTICS_URL, to_lsp};
use super::incremental::{ParseCache, parse_document};
use super::position::{LineIndex, apply_change};
use super::project::{NoProjects, ProjectAccess};
use crate::check::{self, WorkflowInfo};
use crate::diagnostics::{Code, Diagnostic, sort_diagnostics};
use crate::source::{FileId, Span};
use crate::syntax::ast;

/// One open document.
#[derive(Debug)]
pub struct Document {
    pub uri: Uri,
    pub version: i32,
    pub text: String,
    pub index: LineIndex,
}

impl Document {
    pub fn range(&self, span: Span) -> Range {
        self.index.range(&self.text, span)
    }

    pub fn position(&self, offset: usize) -> Position {
        self.index.position(&self.text, offset)
    }

    pub fn offset(&self, position: Position) -> usize {
        self.index.offset(&self.text, position)
    }

    /// The text a span covers (empty if out of range).
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }
}

/// Every open document, parsed, and the project checked.
#[derive(Debug)]
pub struct Documents {
    docs: Vec<Document>,
    /// `files[i]` is the AST of `docs[i]`, with `FileId(i)`.
    files: Vec<(FileId, ast::File)>,
    parse_diagnostics: Vec<Vec<Diagnostic>>,
    /// `caches[i]`: the unchanged items of `docs[i]` kept for its next parse.
    caches: Vec<ParseCache>,
    /// Parser and checker findings of each document, sorted.
    diagnostics: Vec<Vec<Diagnostic>>,
    pub program: check::Program,
    /// The last checked form of each workflow, kept while its text is broken, so
    /// completion still knows its trigger and steps.
    known: HashMap<String, WorkflowInfo>,
    /// Documents closed since the last publication: their diagnostics are cleared.
    closed: Vec<Uri>,
    pub diagnostics_url: String,
    /// The catalog of the project the first opened file belongs to (the
    /// nearest `komo.toml` above it, as `komo check` finds it); empty without one.
    pub catalog: Arc<check::ProjectCatalog>,
    /// Whether the catalog was looked for already.
    catalog_loaded: bool,
    /// The project the first opened file belongs to (the nearest `komo.toml`).
    project_root: Option<PathBuf>,
    /// The project's `workflows/*.komo` files that are not open, as read from disk, and
    /// their ASTs with the ids after the open documents' (for the loop check only).
    others: Vec<Document>,
    other_files: Vec<(FileId, ast::File)>,
    /// Where the projects' catalogs and closed files come from.
    projects: Arc<dyn ProjectAccess>,
}

impl Default for Documents {
    fn default() -> Documents {
        Documents {
            docs: Vec::new(),
            files: Vec::new(),
            parse_diagnostics: Vec::new(),
            caches: Vec::new(),
            diagnostics: Vec::new(),
            program: check::Program::default(),
            known: HashMap::new(),
            closed: Vec::new(),
            diagnostics_url: DEFAULT_DIAGNOSTICS_URL.to_owned(),
            catalog: Arc::default(),
            catalog_loaded: false,
            project_root: None,
            others: Vec::new(),
            other_files: Vec::new(),
            projects: Arc::new(NoProjects),
        }
    }
}

impl Documents {
    /// No document open, and no project: each document is checked on its own.
    pub fn new() -> Documents {
        Documents::default()
    }

    /// No document open; the documents' projects are found through `projects`.
    pub fn with_projects(projects: Arc<dyn ProjectAccess>) -> Documents {
        Documents { projects, ..Documents::default() }
    }

    pub fn open_docs(&self) -> &[Document] {
        &self.docs
    }

    /// The project's workflow files that are not open (ids after the open documents').
    pub fn others(&self) -> &[Document] {
        &self.others
    }

    pub fn files(&self) -> &[(FileId, ast::File)] {
        &self.files
    }

    /// The document of `uri` with its id.
    pub fn doc(&self, uri: &Uri) -> Option<(FileId, &Document)> {
        let i = self.docs.iter().position(|d| &d.uri == uri)?;
        Some((FileId(u32::try_from(i).ok()?), self.docs.get(i)?))
    }

    pub fn ast(&self, file: FileId) -> Option<&ast::File> {
        self.files.get(file.0 as usize).map(|(_, f)| f)
    }

    pub fn doc_by_id(&self, file: FileId) -> Option<&Document> {
        self.docs.get(file.0 as usize)
    }

    /// The diagnostics (byte spans) of a document.
    pub fn diagnostics_of(&self, file: FileId) -> &[Diagnostic] {
        self.diagnostics.get(file.0 as usize).map_or(&[], Vec::as_slice)
    }

    /// The workflow named `name`: as checked now, or as last checked.
    pub fn workflow_info(&self, name: &str) -> Option<&WorkflowInfo> {
        self.program.workflows.get(name).or_else(|| self.known.get(name))
    }

    pub fn open(&mut self, uri: Uri, version: i32, text: String) {
        if !self.catalog_loaded {
            self.catalog_loaded = true;
            self.project_root = uri.to_file_path().and_then(|path| self.projects.root_of(&path));
            self.catalog = self.project_root.as_deref().map(|root| self.catalog_of(root)).unwrap_or_default();
        }
        let index = LineIndex::new(&text);
        match self.docs.iter_mut().position(|d| d.uri == uri) {
            Some(i) => {
                if let Some(doc) = self.docs.get_mut(i) {
                    *doc = Document { uri, version, text, index };
                }
                self.reparse(i);
            }
            None => {
                self.docs.push(Document { uri, version, text, index });
                self.files.push((FileId::default(), ast::File::default()));
                self.parse_diagnostics.push(Vec::new());
                self.caches.push(ParseCache::default());
                self.reparse(self.docs.len() - 1);
            }
        }
        self.read_others();
        self.analyze();
    }

    /// Applies the changes in order; a change without a range replaces the whole text.
    /// Returns false for a document that is not open.
    pub fn change(&mut self, uri: &Uri, version: i32, changes: Vec<TextDocumentContentChangeEvent>) -> bool {
        let Some(i) = self.docs.iter().position(|d| &d.uri == uri) else { return false };
        let Some(doc) = self.docs.get_mut(i) else { return false };
        for change in changes {
            match change.range {
                Some(range) => apply_change(&mut doc.text, &doc.index, range, &change.text),
                None => doc.text = change.text,
            }
            doc.index = LineIndex::new(&doc.text);
        }
        doc.version = version;
        self.reparse(i);
        self.analyze();
        true
    }

    pub fn close(&mut self, uri: &Uri) {
        let Some(i) = self.docs.iter().position(|d| &d.uri == uri) else { return };
        self.docs.remove(i);
        self.files.remove(i);
        self.parse_diagnostics.remove(i);
        self.caches.remove(i);
        self.closed.push(uri.clone());
        // The documents after it have new ids: parse them again.
        for j in i..self.docs.len() {
            self.reparse(j);
        }
        self.read_others();
        self.analyze();
    }

    /// Parses document `i` again, re-using the items an edit did not touch.
    fn reparse(&mut self, i: usize) {
        let (Some(doc), Some(cache), Some(slot), Ok(id)) =
            (self.docs.get(i), self.caches.get_mut(i), self.files.get_mut(i), u32::try_from(i))
        else {
            return;
        };
        let id = FileId(id);
        let previous = std::mem::take(&mut slot.1);
        let parsed = catch_unwind(AssertUnwindSafe(|| parse_document(id, &doc.text, previous, cache)))
            .unwrap_or_else(|_| {
                *cache = ParseCache::default();
                crate::syntax::ParseOutput {
                    file: ast::File::default(),
                    diagnostics: vec![internal_error(id)],
                    comments: Vec::new(),
                }
            });
        *slot = (id, parsed.file);
        if let Some(diagnostics) = self.parse_diagnostics.get_mut(i) {
            *diagnostics = parsed.diagnostics;
        }
    }

    /// Asks again for the project's `workflows/*.komo` files that are not open.
    fn read_others(&mut self) {
        self.others.clear();
        self.other_files.clear();
        let Some(root) = &self.project_root else { return };
        let open: Vec<PathBuf> =
            self.docs.iter().filter_map(|d| d.uri.to_file_path().map(|p| p.into_owned())).collect();
        for (path, text) in self.projects.closed_workflows(root, &open) {
            // Only absolute paths: a relative one would be resolved against the disk.
            let Some(uri) = path.is_absolute().then(|| Uri::from_file_path(&path)).flatten() else {
                continue;
            };
            let Ok(id) = u32::try_from(self.docs.len() + self.others.len()) else { return };
            let parsed = catch_unwind(AssertUnwindSafe(|| crate::syntax::parse(FileId(id), &text)));
            let Ok(parsed) = parsed else { continue };
            let index = LineIndex::new(&text);
            self.others.push(Document { uri, version: 0, text, index });
            self.other_files.push((FileId(id), parsed.file));
        }
    }

    /// The catalog of the project at `root`; none for a `komo.toml` that cannot be read
    /// (`komo check` reports that).
    fn catalog_of(&self, root: &Path) -> Arc<check::ProjectCatalog> {
        match self.projects.catalog(root) {
            Ok(catalog) => Arc::new(catalog),
            Err(problem) => {
                tracing::warn!(%problem, "the project's catalog is not used");
                Arc::default()
            }
        }
    }

    /// Checks every open document together, as `komo check` does.
    fn analyze(&mut self) {
        let catalog = Arc::clone(&self.catalog);
        let checked = catch_unwind(AssertUnwindSafe(|| {
            check::check_with_others(&self.files, &self.other_files, &catalog)
        }))
        .unwrap_or_else(|_| {
            let mut out = check::CheckOutput::default();
            out.diagnostics.extend(self.files.iter().map(|(id, _)| internal_error(*id)));
            out
        });
        let mut per_doc: Vec<Vec<Diagnostic>> = self.parse_diagnostics.clone();
        for d in checked.diagnostics {
            if let Some(list) = per_doc.get_mut(d.file().0 as usize) {
                list.push(d);
            }
        }
        for list in &mut per_doc {
            sort_diagnostics(list);
        }
        self.diagnostics = per_doc;
        for (name, info) in &checked.program.workflows {
            self.known.insert(name.clone(), info.clone());
        }
        self.program = checked.program;
    }

    /// Every open document's diagnostics (and empty lists for documents closed since
    /// the last call), ready to publish.
    pub fn publications(&mut self) -> Vec<(Uri, Option<i32>, Vec<ls::Diagnostic>)> {
        let mut out: Vec<(Uri, Option<i32>, Vec<ls::Diagnostic>)> =
            self.closed.drain(..).map(|uri| (uri, None, Vec::new())).collect();
        for (doc, diags) in self.docs.iter().zip(&self.diagnostics) {
            let converted = diags
                .iter()
                .filter_map(|d| to_lsp(d, &self.docs, &self.others, &self.diagnostics_url))
                .collect();
            out.push((doc.uri.clone(), Some(doc.version), converted));
        }
        out
    }
}

fn internal_error(file: FileId) -> Diagnostic {
    Diagnostic::new(Code::Internal, file, Span::point(0), "internal error in komo, please report it")
        .with_help("the checker stopped on this document; the other documents are still checked")
}
