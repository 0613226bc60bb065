//! The LSP transport: tower-lsp-server's `LanguageServer` over the [`Documents`].
//!
//! In: JSON-RPC messages from an editor. Out: responses and `publishDiagnostics`
//! notifications. Each handler locks the documents, runs one pure function of it
//! (under `catch_unwind`, so a bug answers "nothing" instead of killing the server) and
//! answers; document changes publish the diagnostics of every open document while the
//! lock is held, so they go out in the order of the edits.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use tokio::sync::Mutex;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{
    CodeActionKind, CodeActionOptions, CodeActionParams, CodeActionProviderCapability, CodeActionResponse,
    CompletionOptions, CompletionParams, CompletionResponse, DidChangeTextDocumentParams,
    DidCloseTextDocumentParams, DidOpenTextDocumentParams, DocumentFormattingParams, DocumentSymbolParams,
    DocumentSymbolResponse, GotoDefinitionParams, GotoDefinitionResponse, Hover, HoverParams,
    HoverProviderCapability, InitializeParams, InitializeResult, InitializedParams, Location, MessageType,
    OneOf, ReferenceParams, ServerCapabilities, ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextEdit,
};
use tower_lsp_server::{Client, LanguageServer, LspService, Server};

use super::documents::Documents;
use super::project::ProjectAccess;
use super::{code_action, completion, formatting, hover, navigation};

#[derive(Debug)]
pub struct Backend {
    client: Client,
    documents: Mutex<Documents>,
}

/// Runs `f` on the documents; a panic (a bug in komo) answers `None`.
fn guarded<T>(f: impl FnOnce() -> T) -> Option<T> {
    catch_unwind(AssertUnwindSafe(f)).ok()
}

impl Backend {
    pub fn new(client: Client, projects: Arc<dyn ProjectAccess>) -> Backend {
        Backend { client, documents: Mutex::new(Documents::with_projects(projects)) }
    }

    /// Applies a document change and publishes every document's diagnostics.
    async fn update(&self, change: impl FnOnce(&mut Documents)) {
        let mut docs = self.documents.lock().await;
        let published = guarded(|| {
            change(&mut docs);
            docs.publications()
        });
        for (uri, version, diagnostics) in published.unwrap_or_default() {
            self.client.publish_diagnostics(uri, diagnostics, version).await;
        }
    }
}

/// What the server can do (formatting is not offered yet).
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::INCREMENTAL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into(), ">".into(), "(".into(), ",".into()]),
            ..CompletionOptions::default()
        }),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        ..ServerCapabilities::default()
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let url = params
            .initialization_options
            .as_ref()
            .and_then(|o| o.get("diagnosticsUrl"))
            .and_then(|u| u.as_str())
            .map(str::to_owned);
        if let Some(url) = url {
            self.documents.lock().await.diagnostics_url = url;
        }
        Ok(InitializeResult {
            capabilities: capabilities(),
            server_info: Some(ServerInfo {
                name: "komo".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        self.client.log_message(MessageType::INFO, "komo language server ready").await;
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let doc = params.text_document;
        self.update(|docs| docs.open(doc.uri, doc.version, doc.text)).await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let doc = params.text_document;
        self.update(|docs| {
            docs.change(&doc.uri, doc.version, params.content_changes);
        })
        .await;
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        self.update(|docs| docs.close(&params.text_document.uri)).await;
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let at = params.text_document_position_params;
        let docs = self.documents.lock().await;
        Ok(guarded(|| hover::hover(&docs, &at.text_document.uri, at.position)).flatten())
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let at = params.text_document_position;
        let docs = self.documents.lock().await;
        let items = guarded(|| completion::completion(&docs, &at.text_document.uri, at.position));
        Ok(items.map(CompletionResponse::Array))
    }

    async fn goto_definition(&self, params: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        let at = params.text_document_position_params;
        let docs = self.documents.lock().await;
        let found = guarded(|| navigation::definition(&docs, &at.text_document.uri, at.position));
        Ok(found.filter(|l| !l.is_empty()).map(GotoDefinitionResponse::Array))
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let at = params.text_document_position;
        let declaration = params.context.include_declaration;
        let docs = self.documents.lock().await;
        Ok(guarded(|| navigation::references(&docs, &at.text_document.uri, at.position, declaration)))
    }

    async fn document_symbol(&self, params: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        let docs = self.documents.lock().await;
        let symbols = guarded(|| navigation::symbols(&docs, &params.text_document.uri));
        Ok(symbols.map(DocumentSymbolResponse::Nested))
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        let docs = self.documents.lock().await;
        Ok(guarded(|| formatting::format(&docs, &params.text_document.uri)).flatten())
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let docs = self.documents.lock().await;
        Ok(guarded(|| code_action::quick_fixes(&docs, &params.text_document.uri, params.range)))
    }
}

/// Serves one client on `input`/`output` until it exits, finding the documents'
/// projects through `projects`.
pub async fn serve<I, O>(input: I, output: O, projects: Arc<dyn ProjectAccess>)
where
    I: tokio::io::AsyncRead + Unpin,
    O: tokio::io::AsyncWrite,
{
    let (service, socket) = LspService::new(|client| Backend::new(client, projects));
    Server::new(input, output, socket).serve(service).await;
}
