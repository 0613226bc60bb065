//! `komo serve` as a child process, for the tests that drive the real binary under
//! faults (SIGKILL, SIGSTOP): started on a free port, its stderr collected, killed when
//! dropped; and an API client of it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

/// The collected stderr lines of every server of a test, each prefixed with its label.
pub type Log = Arc<Mutex<Vec<String>>>;

/// One `komo serve` process; killed (SIGKILL) when dropped.
pub struct Server {
    child: Child,
    /// `host:port` it listens on.
    pub address: String,
    pub label: String,
}

/// `komo` in `dir` (see [`super::komo_command`]).
pub use super::komo_command as komo;

impl Server {
    /// Starts `komo serve --project dir --listen 127.0.0.1:0` with `extra` arguments
    /// (`--db`, `--node`, …) and waits (on a blocking thread) for its listening line.
    /// Every stderr line goes to `log`, prefixed with `[label]`.
    pub async fn start(dir: &Path, extra: &[&str], label: &str, log: &Log) -> Server {
        let (dir, label, log) = (dir.to_path_buf(), label.to_string(), Arc::clone(log));
        let extra: Vec<String> = extra.iter().map(|a| (*a).to_string()).collect();
        tokio::task::spawn_blocking(move || {
            let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
            Server::start_blocking(&dir, &extra, &label, &log)
        })
        .await
        .unwrap()
    }

    /// [`Server::start`] for a test that runs on plain threads.
    pub fn start_blocking(dir: &Path, extra: &[&str], label: &str, log: &Log) -> Server {
        let mut args = vec!["serve", "--project", dir.to_str().unwrap(), "--listen", "127.0.0.1:0"];
        args.extend_from_slice(extra);
        let mut child = komo(dir, &args).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (ready, address) = std::sync::mpsc::channel();
        let lines = Arc::clone(log);
        let prefix = format!("[{label}] ");
        std::thread::spawn(move || {
            // Drains the pipe to the end, so the server never blocks on a full one.
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("komo serve: listening on http://") {
                    let _ = ready.send(rest.split(' ').next().unwrap_or_default().to_owned());
                }
                lines.lock().unwrap().push(format!("{prefix}{line}"));
            }
        });
        let mut server = Server { child, address: String::new(), label: label.to_string() };
        match address.recv_timeout(Duration::from_secs(60)) {
            Ok(address) => server.address = address,
            Err(_) => panic!("server {label} did not start:\n{}", tail(&log.lock().unwrap(), 40)),
        }
        server
    }

    /// `http://host:port`.
    pub fn base(&self) -> String {
        format!("http://{}", self.address)
    }

    /// SIGKILL, no warning.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Sends a signal by name (`STOP`, `CONT`, `TERM`).
    pub fn signal(&self, name: &str) {
        let status =
            Command::new("kill").args([&format!("-{name}"), &self.child.id().to_string()]).status().unwrap();
        assert!(status.success(), "kill -{name} {}", self.child.id());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An API client of one `komo serve`, with a workspace key.
#[derive(Clone)]
pub struct Api {
    client: reqwest::Client,
    base: String,
    key: String,
}

impl Api {
    pub fn new(client: &reqwest::Client, address: &str, key: &str) -> Api {
        Api { client: client.clone(), base: format!("http://{address}"), key: key.to_owned() }
    }

    /// Status and JSON body, or the transport error (a dead server).
    pub async fn try_send(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> Result<(u16, Value), String> {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {}", self.key));
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body);
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(|e| e.to_string())?;
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|e| format!("unreadable answer: {e}"))?
        };
        Ok((status, json))
    }

    /// A GET that must succeed with 200.
    pub async fn get(&self, path: &str) -> Value {
        let (status, body) = self.try_send("GET", path, None).await.unwrap();
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// Every run, following `next_cursor`.
    pub async fn all_runs(&self) -> Vec<Value> {
        let mut runs = Vec::new();
        let mut path = "/v1/runs?limit=500".to_owned();
        for _ in 0..100 {
            let page = self.get(&path).await;
            runs.extend(page.get("runs").and_then(Value::as_array).unwrap().iter().cloned());
            match page.get("next_cursor").and_then(Value::as_str) {
                Some(cursor) => path = format!("/v1/runs?limit=500&cursor={cursor}"),
                None => return runs,
            }
        }
        panic!("more than 100 pages of runs");
    }

    /// A counter or gauge of `/metrics` (no labels).
    pub async fn metric(&self, name: &str) -> u64 {
        let text =
            self.client.get(format!("{}/metrics", self.base)).send().await.unwrap().text().await.unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|rest| rest.trim().parse().ok()))
            .unwrap_or_else(|| panic!("no {name} in /metrics:\n{text}"))
    }

    /// The whole `/metrics` text.
    pub async fn metrics(&self) -> String {
        self.client.get(format!("{}/metrics", self.base)).send().await.unwrap().text().await.unwrap()
    }
}

/// Serves `app` on a free loopback port (for as long as the test runs): its address.
pub async fn listen(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    address
}

/// The last `n` lines.
pub fn tail(lines: &[String], n: usize) -> String {
    lines.get(lines.len().saturating_sub(n)..).unwrap_or_default().join("\n")
}
