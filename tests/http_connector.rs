//! `http.request` against real HTTP servers on loopback: what the server receives, what
//! the step gets back, and which addresses are refused before any connection.

// Test helpers may fail loudly: a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use komo::connectors::http::{AddressClass, HttpConfig, HttpConnector, StandIns, classify};
use komo::runtime::host::{ActionFailure, FailureKind};
use komo::runtime::value::{Secret, Value};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const TOKEN: &str = "Bearer s3cr3t-token-value";

/// One request as the server read it.
#[derive(Clone, Debug)]
struct Received {
    /// `POST /hook?a=1 HTTP/1.1`.
    line: String,
    /// Lower-case names.
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

/// What the server does with each connection.
#[derive(Clone)]
enum Reply {
    /// Writes these bytes after reading the request, then closes.
    Bytes(Vec<u8>),
    /// Reads the request and never answers.
    Silence,
}

/// A loopback HTTP/1.1 server answering every request the same way.
struct Server {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    connections: Arc<AtomicUsize>,
}

impl Server {
    async fn start(reply: Reply) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let (log, count) = (received.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(handle(stream, reply.clone(), log.clone()));
            }
        });
        Server { addr, received, connections }
    }

    fn port(&self) -> u16 {
        self.addr.port()
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A connector that may reach this server.
    fn connector(&self) -> HttpConnector {
        HttpConnector::new(HttpConfig { allow_hosts: vec![self.addr.to_string()] })
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

async fn handle(mut stream: TcpStream, reply: Reply, log: Arc<Mutex<Vec<Received>>>) {
    let mut data = Vec::new();
    let mut buf = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let line = lines.next().unwrap_or_default().to_string();
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    let length: usize = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
    let mut body = data[head_end + 4..].to_vec();
    while body.len() < length {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&buf[..n]),
        }
    }
    log.lock().unwrap().push(Received { line, headers, body });
    match reply {
        Reply::Bytes(bytes) => {
            // The client may hang up early (a body past the cap): that is its right.
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Reply::Silence => tokio::time::sleep(Duration::from_secs(30)).await,
    }
}

/// A response with a `Content-Length`.
fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut bytes = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    for (name, value) in headers {
        bytes.push_str(&format!("{name}: {value}\r\n"));
    }
    bytes.push_str("\r\n");
    let mut bytes = bytes.into_bytes();
    bytes.extend_from_slice(body);
    Reply::Bytes(bytes)
}

fn args(fields: serde_json::Value) -> BTreeMap<String, Value> {
    match Value::from_json(&fields) {
        Value::Record(record) => record,
        other => panic!("not a record: {other:?}"),
    }
}

fn secrets(name: &str) -> Option<String> {
    match name {
        "TOKEN" => Some(TOKEN.to_string()),
        "BROKEN" => Some("line one\nline two".to_string()),
        _ => None,
    }
}

async fn call(connector: &HttpConnector, args: &BTreeMap<String, Value>) -> Result<Value, ActionFailure> {
    connector.request(args, &secrets, "run_1:notify", None).await
}

fn failure(result: Result<Value, ActionFailure>) -> ActionFailure {
    match result {
        Ok(value) => panic!("expected a failure, got {value:?}"),
        Err(failure) => failure,
    }
}

#[tokio::test]
async fn sends_everything_and_returns_status_headers_body_and_json() {
    let server = Server::start(response(
        "201 Created",
        &[("Content-Type", "application/json"), ("X-Reply", "yes")],
        br#"{"id": 7, "tags": ["a"]}"#,
    ))
    .await;
    let mut args = args(json!({
        "method": "post",
        "url": server.url("/hook#fragment"),
        "query": { "q": "a b&c", "n": 2, "skip": null },
        "json": { "event": "signup", "count": 1 },
    }));
    let headers = [
        ("Authorization".to_string(), Value::Secret(Secret::new("TOKEN"))),
        ("X-Plain".to_string(), Value::str("plain")),
    ];
    args.insert("headers".into(), Value::record(headers));

    let out = call(&server.connector(), &args).await.unwrap();

    assert_eq!(out.field("status"), Value::Int(201));
    assert_eq!(out.field("headers").field("x-reply"), Value::str("yes"));
    assert_eq!(out.field("headers").field("content-type"), Value::str("application/json"));
    assert_eq!(out.field("body"), Value::str(r#"{"id": 7, "tags": ["a"]}"#));
    assert_eq!(out.field("json").to_json(), json!({ "id": 7, "tags": ["a"] }));
    assert!(!format!("{out:?}").contains("s3cr3t"));
    assert!(!out.to_json().to_string().contains("s3cr3t"));

    let received = server.received();
    assert_eq!(received.len(), 1);
    let got = &received[0];
    assert_eq!(got.line, "POST /hook?n=2&q=a+b%26c HTTP/1.1");
    assert_eq!(got.headers.get("idempotency-key").map(String::as_str), Some("run_1:notify"));
    assert_eq!(got.headers.get("authorization").map(String::as_str), Some(TOKEN));
    assert_eq!(got.headers.get("x-plain").map(String::as_str), Some("plain"));
    assert_eq!(got.headers.get("content-type").map(String::as_str), Some("application/json"));
    let sent: serde_json::Value = serde_json::from_slice(&got.body).unwrap();
    assert_eq!(sent, json!({ "event": "signup", "count": 1 }));
}

#[tokio::test]
async fn a_text_body_goes_as_text_and_a_body_that_is_not_json_gives_null() {
    let server = Server::start(response("200 OK", &[], b"thanks, not json")).await;
    let mut args = args(json!({ "method": "PUT", "url": server.url("/notes"), "body": "hello" }));
    args.insert("headers".into(), Value::record([("Content-Type".to_string(), Value::str("text/csv"))]));

    let out = call(&server.connector(), &args).await.unwrap();

    assert_eq!(out.field("status"), Value::Int(200));
    assert_eq!(out.field("body"), Value::str("thanks, not json"));
    assert_eq!(out.field("json"), Value::Null);
    let got = &server.received()[0];
    assert_eq!(got.line, "PUT /notes HTTP/1.1");
    assert_eq!(got.body, b"hello");
    // The program's header replaces the default content type.
    assert_eq!(got.headers.get("content-type").map(String::as_str), Some("text/csv"));
}

#[tokio::test]
async fn a_server_error_is_an_http_status_failure_without_the_body() {
    let server = Server::start(response("503 Service Unavailable", &[], b"internal detail")).await;
    let args = args(json!({ "method": "GET", "url": server.url("/") }));

    let f = failure(call(&server.connector(), &args).await);

    assert_eq!(f.kind, FailureKind::HttpStatus);
    assert_eq!(f.status, Some(503));
    assert_eq!(f.message, "HTTP 503 Service Unavailable");
    assert!(f.retryable());
}

#[tokio::test]
async fn too_many_requests_is_rate_limited_with_the_delay_asked_for() {
    let server = Server::start(response("429 Too Many Requests", &[("Retry-After", "7")], b"")).await;
    let args = args(json!({ "method": "POST", "url": server.url("/"), "json": {} }));

    let f = failure(call(&server.connector(), &args).await);

    assert_eq!(f.kind, FailureKind::RateLimited);
    assert_eq!(f.status, Some(429));
    assert_eq!(f.retry_after_ms, Some(7000));
    assert_eq!(f.message, "HTTP 429 Too Many Requests");
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    let target = Server::start(response("200 OK", &[], b"moved here")).await;
    let location = target.url("/new");
    let server = Server::start(response("302 Found", &[("Location", &location)], b"")).await;
    let connector = HttpConnector::new(HttpConfig {
        allow_hosts: vec![server.addr.to_string(), target.addr.to_string()],
    });
    let args = args(json!({ "method": "GET", "url": server.url("/old") }));

    let f = failure(call(&connector, &args).await);

    assert_eq!((f.kind.as_str(), f.status, f.message.as_str()), ("http_status", Some(302), "HTTP 302 Found"));
    assert_eq!(target.connections(), 0);
}

#[tokio::test]
async fn a_response_past_one_mebibyte_fails() {
    let big = vec![b'x'; 2 << 20];
    // Announced by its length, and sent until the connection closes.
    let announced = Server::start(response("200 OK", &[], &big)).await;
    let mut unannounced = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
    unannounced.extend_from_slice(&big);
    let streamed = Server::start(Reply::Bytes(unannounced)).await;

    for server in [&announced, &streamed] {
        let args = args(json!({ "method": "GET", "url": server.url("/big") }));
        let f = failure(call(&server.connector(), &args).await);
        assert_eq!((f.kind.as_str(), f.message.as_str()), ("error", "response larger than 1 MiB"));
    }
}

#[tokio::test]
async fn a_response_of_exactly_one_mebibyte_is_accepted() {
    let server = Server::start(response("200 OK", &[], &vec![b'y'; 1 << 20])).await;
    let args = args(json!({ "method": "GET", "url": server.url("/") }));

    let out = call(&server.connector(), &args).await.unwrap();

    assert_eq!(out.field("body").as_str().map(str::len), Some(1 << 20));
}

#[tokio::test]
async fn a_slow_server_times_out_at_the_step_timeout() {
    let server = Server::start(Reply::Silence).await;
    let args = args(json!({ "method": "GET", "url": server.url("/slow") }));

    let result = server.connector().request(&args, &secrets, "k", Some(200)).await;

    let f = failure(result);
    assert_eq!((f.kind.as_str(), f.message.as_str()), ("timeout", "no complete response within 200ms"));
}

#[tokio::test]
async fn a_closed_port_is_a_connection_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let connector = HttpConnector::new(HttpConfig { allow_hosts: vec![addr.to_string()] });
    let args = args(json!({ "method": "GET", "url": format!("http://{addr}/") }));

    let f = failure(call(&connector, &args).await);

    assert_eq!(f.kind, FailureKind::Error);
    assert_eq!(f.message, format!("could not connect to `{addr}`: connection refused"));
}

#[tokio::test]
async fn inner_addresses_are_refused_before_any_connection() {
    let server = Server::start(response("200 OK", &[], b"reached")).await;
    let port = server.port();
    // The same host on another port is not allowed by this entry.
    let connector = HttpConnector::new(HttpConfig { allow_hosts: vec![format!("127.0.0.1:{}", port ^ 1)] });
    let loopback = [
        "127.0.0.1",
        "localhost",
        "[::1]",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "127.1",
        "[::ffff:127.0.0.1]",
        "0.0.0.0",
    ];
    // Never contacted: each is refused as a literal before any connection. The pure
    // check runs first so that a broken guard fails here, not on the network.
    let elsewhere = ["10.0.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "[fd00:ec2::254]"];
    for host in elsewhere {
        let ip = host.trim_matches(['[', ']']).parse().unwrap();
        assert!(classify(ip).is_some(), "{host} must be refused");
    }
    assert_eq!(classify("169.254.169.254".parse().unwrap()), Some(AddressClass::Metadata));

    for host in loopback.iter().chain(&elsewhere) {
        let args = args(json!({ "method": "GET", "url": format!("http://{host}:{port}/") }));
        let f = failure(call(&connector, &args).await);
        assert_eq!(f.kind, FailureKind::InvalidRequest, "{host}: {f:?}");
        assert!(f.message.contains("allow it in komo.toml [http] allow_hosts"), "{host}: {}", f.message);
        assert!(!f.retryable());
    }
    assert_eq!(server.connections(), 0);

    let decimal = args(json!({ "method": "GET", "url": format!("http://2130706433:{port}/") }));
    let f = failure(call(&connector, &decimal).await);
    assert_eq!(
        f.message,
        format!(
            "`127.0.0.1` is a loopback address; \
             allow it in komo.toml [http] allow_hosts (\"127.0.0.1:{port}\")"
        )
    );
    // A name is judged by what it resolves to, in the client's own resolver.
    let named = args(json!({ "method": "GET", "url": format!("http://localhost:{port}/") }));
    let f = failure(call(&connector, &named).await);
    assert!(f.message.starts_with("`localhost` resolves to a loopback address ("), "{}", f.message);
    assert!(f.message.ends_with(&format!("allow_hosts (\"localhost:{port}\")")), "{}", f.message);
    let metadata = args(json!({ "method": "GET", "url": "http://169.254.169.254/latest/meta-data/" }));
    let f = failure(call(&connector, &metadata).await);
    assert!(f.message.starts_with("`169.254.169.254` is a cloud metadata address;"), "{}", f.message);
}

#[tokio::test]
async fn hosts_allowed_by_name_are_reached() {
    let server = Server::start(response("200 OK", &[], b"{}")).await;
    let port = server.port();
    let by_address = HttpConnector::new(HttpConfig { allow_hosts: vec![format!("127.0.0.1:{port}")] });
    let by_name = HttpConnector::new(HttpConfig { allow_hosts: vec!["localhost".into()] });

    let direct = args(json!({ "method": "GET", "url": format!("http://127.0.0.1:{port}/a") }));
    let named = args(json!({ "method": "GET", "url": format!("http://localhost:{port}/b") }));
    assert_eq!(call(&by_address, &direct).await.unwrap().field("json"), Value::record([]));
    assert_eq!(call(&by_name, &named).await.unwrap().field("status"), Value::Int(200));
    // An entry allows its own name only: `localhost` is not `127.0.0.1`.
    assert_eq!(failure(call(&by_name, &direct).await).kind, FailureKind::InvalidRequest);

    let lines: Vec<String> = server.received().into_iter().map(|r| r.line).collect();
    assert_eq!(lines, ["GET /a HTTP/1.1", "GET /b HTTP/1.1"]);
}

#[tokio::test]
async fn bad_arguments_are_invalid_requests_and_never_show_a_secret() {
    let server = Server::start(response("200 OK", &[], b"")).await;
    let connector = server.connector();
    let url = server.url("/");
    let with_header = |name: &str, value: Value| {
        let mut a = args(json!({ "method": "GET", "url": url }));
        a.insert("headers".into(), Value::record([(name.to_string(), value)]));
        a
    };
    let cases = [
        (
            with_header("Authorization", Value::Secret(Secret::new("MISSING"))),
            "secret `MISSING` is not configured",
        ),
        (
            with_header("Authorization", Value::Secret(Secret::new("BROKEN"))),
            "secret `BROKEN` is not a valid value for header `Authorization`",
        ),
        (with_header("bad header", Value::str("x")), "`bad header` is not a valid header name"),
        (
            args(json!({ "method": "TRACE", "url": url })),
            "`method` must be one of GET, POST, PUT, PATCH, DELETE, not `TRACE`",
        ),
        (
            args(json!({ "method": "GET", "url": "ftp://example.com/" })),
            "`url` must start with `http://` or `https://`, not `ftp:`",
        ),
        (
            args(json!({ "method": "GET", "url": "http://user:pw@example.com/" })),
            "a URL cannot carry credentials; use `headers` with a secret",
        ),
        (
            args(json!({ "method": "POST", "url": url, "json": {}, "body": "x" })),
            "give `json` or `body`, not both",
        ),
        (args(json!({ "method": "GET" })), "`url` is missing"),
    ];
    for (args, message) in cases {
        let f = failure(call(&connector, &args).await);
        assert_eq!((f.kind.as_str(), f.message.as_str()), ("invalid_request", message));
    }

    let mut in_query = args(json!({ "method": "GET", "url": url }));
    in_query
        .insert("query".into(), Value::record([("key".to_string(), Value::Secret(Secret::new("TOKEN")))]));
    let f = failure(call(&connector, &in_query).await);
    assert_eq!(f.message, "a secret can only be sent in `headers`, not in `query`");

    assert_eq!(server.connections(), 0);
}

#[test]
fn an_attempt_can_run_on_any_thread() {
    fn assert_send<T: Send>(_: &T) {}
    let connector = HttpConnector::new(HttpConfig::default());
    let args = BTreeMap::new();
    let attempt = connector.request(&args, &secrets, "k", None);
    assert_send(&attempt);
}

/// A connector whose `origin` has this server as its stand-in, and nothing allowed.
fn with_stand_in(origin: &str, base: &str) -> HttpConnector {
    let table = [(origin.to_string(), base.to_string())].into_iter().collect();
    HttpConnector::new(HttpConfig::default()).with_stand_ins(StandIns::parse(&table).unwrap())
}

#[tokio::test]
async fn a_stand_in_gets_the_request_with_its_path_query_host_and_key() {
    let server = Server::start(response("200 OK", &[("Content-Type", "application/json")], b"{}")).await;
    // The stand-in's loopback host is allowed without an `allow_hosts` entry.
    let connector = with_stand_in("https://ops.example.com", &server.url("/ops/"));
    let args = args(json!({
        "method": "POST",
        "url": "https://ops.example.com/alerts?team=a",
        "query": { "n": 1 },
        "json": { "text": "hi" },
    }));

    let out = call(&connector, &args).await.unwrap();

    assert_eq!(out.field("status"), Value::Int(200));
    let received = server.received();
    assert_eq!(received.len(), 1);
    let got = &received[0];
    assert_eq!(got.line, "POST /ops/alerts?team=a&n=1 HTTP/1.1");
    assert_eq!(got.headers.get("host").map(String::as_str), Some("ops.example.com"));
    assert_eq!(got.headers.get("idempotency-key").map(String::as_str), Some("run_1:notify"));
    assert_eq!(got.body, br#"{"text":"hi"}"#);
}

#[tokio::test]
async fn only_the_stand_ins_origin_goes_to_it_and_its_host_is_allowed_only_through_it() {
    let server = Server::start(response("200 OK", &[], b"")).await;
    let connector = with_stand_in("https://ops.example.com", &server.url(""));

    // Another origin that merely starts with the same text is not redirected (and,
    // being unresolvable here or public, never reaches the loopback server).
    let other = args(json!({ "method": "GET", "url": "https://ops.example.com.invalid/alerts" }));
    assert!(call(&connector, &other).await.is_err());
    // The stand-in's own address, called directly, is still refused by the guard.
    let direct = args(json!({ "method": "GET", "url": server.url("/alerts") }));
    let f = failure(call(&connector, &direct).await);
    assert_eq!(f.kind, FailureKind::InvalidRequest, "{}", f.message);
    assert!(server.received().is_empty());
    assert_eq!(server.connections(), 0);
}

#[tokio::test]
async fn a_stand_in_that_is_down_is_named_in_the_failure() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let connector = with_stand_in("https://api.example.com", &format!("http://{addr}"));
    let args = args(json!({ "method": "POST", "url": "https://api.example.com/winners" }));

    let f = failure(call(&connector, &args).await);

    assert_eq!(
        (f.kind.as_str(), f.message),
        ("error", format!("could not connect to `{addr}`: connection refused"))
    );
}
