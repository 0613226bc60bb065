//! Quick fixes: the replacements the checker attached to its diagnostics.
//!
//! In: the open documents, a document and a range. Out: one `quickfix` code action per
//! diagnostic with a [`Fix`](crate::diagnostics::Fix) that touches the range (a
//! did-you-mean name, a trigger alias's canonical name, a snake_case spelling), each
//! an edit of that document, marked preferred.

use std::collections::HashMap;

use tower_lsp_server::ls_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, Range, TextEdit, Uri, WorkspaceEdit,
};

use super::diagnostics::to_lsp;
use super::documents::Documents;

pub fn quick_fixes(docs: &Documents, uri: &Uri, range: Range) -> Vec<CodeActionOrCommand> {
    let Some((file, doc)) = docs.doc(uri) else { return Vec::new() };
    let wanted = doc.index.span(&doc.text, range);
    docs.diagnostics_of(file)
        .iter()
        .filter_map(|d| {
            let fix = d.fix.as_ref()?;
            let span = d.span();
            let touches = span.start <= wanted.end && wanted.start <= span.end;
            if !touches {
                return None;
            }
            let edit = TextEdit::new(doc.range(fix.span), fix.replacement.clone());
            let title = match d.fix.as_ref().map(|f| doc.slice(f.span)) {
                Some(old) if !old.is_empty() => format!("replace `{old}` with `{}`", fix.replacement),
                _ => format!("insert `{}`", fix.replacement),
            };
            Some(CodeActionOrCommand::CodeAction(CodeAction {
                title,
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: to_lsp(d, docs.open_docs(), docs.others(), &docs.diagnostics_url)
                    .map(|d| vec![d]),
                edit: Some(WorkspaceEdit {
                    changes: Some(HashMap::from([(uri.clone(), vec![edit])])),
                    ..WorkspaceEdit::default()
                }),
                is_preferred: Some(true),
                ..CodeAction::default()
            }))
        })
        .collect()
}
