//! A minimal LSP client over an in-process byte stream, for tests and the benchmark:
//! it frames JSON-RPC messages (`Content-Length`), runs `komo::lsp::serve` on the other
//! end of a tokio duplex pipe, and waits (with a timeout) for responses and
//! notifications.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::VecDeque;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream, ReadHalf, WriteHalf};

/// How long any one answer may take before the test fails (never reached normally).
const TIMEOUT: Duration = Duration::from_secs(20);

pub struct LspClient {
    reader: BufReader<ReadHalf<DuplexStream>>,
    writer: WriteHalf<DuplexStream>,
    next_id: i64,
    /// Notifications received while waiting for something else.
    pending: VecDeque<Value>,
}

impl LspClient {
    /// Starts a server on a duplex pipe and initializes it.
    pub async fn start() -> LspClient {
        LspClient::start_with(json!({})).await
    }

    pub async fn start_with(initialization_options: Value) -> LspClient {
        let (client_end, server_end) = tokio::io::duplex(1 << 22);
        let (server_read, server_write) = tokio::io::split(server_end);
        let projects = std::sync::Arc::new(komo::cli::project::DiskProjects);
        tokio::spawn(komo::lsp::serve(server_read, server_write, projects));
        let (read, writer) = tokio::io::split(client_end);
        let mut client =
            LspClient { reader: BufReader::new(read), writer, next_id: 1, pending: VecDeque::new() };
        let init = client
            .request(
                "initialize",
                json!({
                    "processId": null,
                    "rootUri": null,
                    "capabilities": {},
                    "initializationOptions": initialization_options,
                }),
            )
            .await;
        assert!(init["capabilities"]["hoverProvider"].as_bool().unwrap_or(false), "{init}");
        client.notify("initialized", json!({})).await;
        client
    }

    async fn send(&mut self, message: Value) {
        let body = serde_json::to_string(&message).unwrap();
        let frame = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        self.writer.write_all(frame.as_bytes()).await.unwrap();
        self.writer.flush().await.unwrap();
    }

    async fn receive(&mut self) -> Value {
        tokio::time::timeout(TIMEOUT, async {
            let mut length = None;
            loop {
                let mut line = String::new();
                let n = self.reader.read_line(&mut line).await.unwrap();
                assert!(n > 0, "the server closed the connection");
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                if let Some(v) = line.strip_prefix("Content-Length: ") {
                    length = Some(v.parse::<usize>().unwrap());
                }
            }
            let mut body = vec![0; length.expect("a Content-Length header")];
            self.reader.read_exact(&mut body).await.unwrap();
            serde_json::from_slice(&body).unwrap()
        })
        .await
        .expect("the server answered in time")
    }

    pub async fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params })).await;
    }

    /// Sends a request and returns its `result` (notifications meanwhile are kept).
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params })).await;
        loop {
            let message = self.receive().await;
            if message.get("method").is_some() {
                self.pending.push_back(message);
            } else if message["id"] == json!(id) {
                assert!(message.get("error").is_none(), "{method} failed: {message}");
                return message["result"].clone();
            }
        }
    }

    /// The next notification `method` (earlier other ones are dropped).
    pub async fn notification(&mut self, method: &str) -> Value {
        while let Some(message) = self.pending.pop_front() {
            if message["method"] == method {
                return message["params"].clone();
            }
        }
        loop {
            let message = self.receive().await;
            if message["method"] == method {
                return message["params"].clone();
            }
        }
    }

    /// The next diagnostics published for `uri`.
    pub async fn diagnostics(&mut self, uri: &str) -> Value {
        loop {
            let params = self.notification("textDocument/publishDiagnostics").await;
            if params["uri"] == uri {
                return params;
            }
        }
    }

    pub async fn open(&mut self, uri: &str, text: &str) -> Value {
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "komo", "version": 1, "text": text } }),
        )
        .await;
        self.diagnostics(uri).await
    }

    /// An incremental change of one range; returns the diagnostics it leads to.
    pub async fn edit(&mut self, uri: &str, version: i32, range: Value, text: &str) -> Value {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": { "uri": uri, "version": version },
                "contentChanges": [{ "range": range, "text": text }],
            }),
        )
        .await;
        self.diagnostics(uri).await
    }

    pub async fn shutdown(mut self) {
        self.request("shutdown", Value::Null).await;
        self.notify("exit", Value::Null).await;
    }
}

/// An LSP range from 0-based lines and UTF-16 columns.
pub fn range(l1: u32, c1: u32, l2: u32, c2: u32) -> Value {
    json!({ "start": { "line": l1, "character": c1 }, "end": { "line": l2, "character": c2 } })
}

pub fn position(line: u32, character: u32) -> Value {
    json!({ "line": line, "character": character })
}
