//! The engine's HTTP API as the command line calls it (`komo workflows …`, `komo deploy`).
//!
//! In: `--server URL` (else `KOMO_SERVER`, else `http://127.0.0.1:8080`) and `--key KEY`
//! (else `KOMO_KEY`). Out: the server's JSON answers, or a [`Failure`] in words with the
//! exit code it means: 2 for no key, no server, a refused key or an unusable answer; 1
//! for the server's own error answers (`{ "error": … }`), whose diagnostics, when it
//! refused an activation, [`write_refusal`] prints one `file:line:col: error[CODE]:
//! message` line each.

use std::fmt;
use std::io;
use std::time::Duration;

use clap::Args;
use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode, Url};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{Console, Exit};
use crate::engine::api::WorkflowSummary;

/// Where `komo serve` listens unless told otherwise.
const DEFAULT_SERVER: &str = "http://127.0.0.1:8080";
/// How long to wait for the connection, and for a whole answer.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// Which engine to talk to, and as which workspace.
#[derive(Debug, Args)]
pub(crate) struct ServerArgs {
    /// The engine's address
    #[arg(long, value_name = "URL", env = "KOMO_SERVER", default_value = DEFAULT_SERVER)]
    server: String,

    /// A workspace API key (create one with `komo keys create`)
    #[arg(long, value_name = "KEY", env = "KOMO_KEY", hide_env_values = true)]
    key: Option<String>,
}

/// Why a call did not get the answer it wanted.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Exit 2: no key, no server, a refused key, an answer that is not the API's.
    Usage(ClientError),
    /// Exit 1: the server's error answer (`{ "error": message, … }`).
    Refused { status: StatusCode, message: String, body: Value },
}

/// Why the command line could not talk to the engine, or not use its answer (exit 2).
#[derive(Debug)]
pub(crate) enum ClientError {
    /// `--server` does not parse as a URL.
    ServerNotAUrl { given: String, cause: UrlParseError },
    /// `--server` is a URL, but not an http(s) address paths can be added to.
    ServerNotHttp { given: String },
    /// `--server` has a query or a fragment.
    ServerHasQuery { given: String },
    /// The server's address cannot take a path.
    ServerTakesNoPath { server: String },
    /// Neither `--key` nor `KOMO_KEY`.
    NoKey,
    /// The HTTP client could not be built.
    ClientStart { cause: reqwest::Error },
    /// The async runtime could not start.
    Runtime { cause: io::Error },
    /// Nothing answers at the server's address.
    NoServer { server: String, cause: reqwest::Error },
    /// The server did not answer within [`ANSWER_TIMEOUT`].
    Timeout { server: String },
    /// Sending or receiving failed otherwise.
    Unreachable { server: String, cause: reqwest::Error },
    /// The server answered 401: it does not know the key.
    KeyRefused { server: String },
    /// The answer does not parse as what komo's API answers.
    NotTheApi { server: String, cause: serde_json::Error },
}

/// Why a URL does not parse.
type UrlParseError = <Url as std::str::FromStr>::Err;

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::ServerNotAUrl { given, cause } => {
                write!(f, "`--server {given}` is not a URL ({cause}); give one like `http://127.0.0.1:8080`")
            }
            ClientError::ServerNotHttp { given } => {
                write!(f, "`--server {given}` is not an http(s) address like `http://127.0.0.1:8080`")
            }
            ClientError::ServerHasQuery { given } => {
                write!(f, "`--server {given}` has a query or fragment; give the server's address alone")
            }
            ClientError::ServerTakesNoPath { server } => write!(f, "`{server}` cannot take a path"),
            ClientError::NoKey => f.write_str(
                "no API key: pass `--key KEY` or set KOMO_KEY; `komo keys create` in the server's \
                 project prints a new one",
            ),
            ClientError::ClientStart { cause: error } => {
                write!(f, "the HTTP client could not start: {}", cause(error))
            }
            ClientError::Runtime { cause } => write!(f, "cannot start the runtime: {cause}"),
            ClientError::NoServer { server, cause: error } => write!(
                f,
                "no komo server at {server} ({}); start one with `komo serve`, or give its address \
                 with `--server URL` or KOMO_SERVER",
                cause(error)
            ),
            ClientError::Timeout { server } => {
                write!(f, "{server} did not answer within {} s", ANSWER_TIMEOUT.as_secs())
            }
            ClientError::Unreachable { server, cause: error } => {
                write!(f, "cannot talk to {server}: {}", cause(error))
            }
            ClientError::KeyRefused { server } => write!(
                f,
                "the server refused the key: {server} does not know it (`komo keys create` in the server's \
                 project prints a new one)"
            ),
            ClientError::NotTheApi { server, cause } => write!(
                f,
                "the answer of {server} is not what komo's API answers ({cause}); is it a komo server of \
                 this version?"
            ),
        }
    }
}

impl std::error::Error for ClientError {}

impl Failure {
    /// Prints `error: …` on stderr and answers the exit code.
    pub fn report(&self, console: &mut Console<'_>) -> io::Result<Exit> {
        match self {
            Failure::Usage(error) => {
                writeln!(console.err, "{} {error}", console.red("error:"))?;
                Ok(Exit::Usage)
            }
            Failure::Refused { message, .. } => {
                writeln!(console.err, "{} {message}", console.red("error:"))?;
                Ok(Exit::Failure)
            }
        }
    }

    /// Whether the server answered 404 (no such workflow).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Failure::Refused { status: StatusCode::NOT_FOUND, .. })
    }
}

/// Runs `command` with a client for `server`, or says why there is none.
pub(crate) fn connected(
    server: &ServerArgs,
    console: &mut Console<'_>,
    command: impl FnOnce(&Client, &mut Console<'_>) -> io::Result<Exit>,
) -> io::Result<Exit> {
    match Client::new(server) {
        Ok(client) => command(&client, console),
        Err(failure) => failure.report(console),
    }
}

/// A connection to one engine with one key.
#[derive(Debug)]
pub(crate) struct Client {
    base: Url,
    key: String,
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
}

impl Client {
    /// Checks the address and the key; nothing is sent yet.
    pub fn new(args: &ServerArgs) -> Result<Client, Failure> {
        let base = server_url(&args.server).map_err(Failure::Usage)?;
        let key = args
            .key
            .as_deref()
            .map(str::trim)
            .filter(|key| !key.is_empty())
            .ok_or(Failure::Usage(ClientError::NoKey))?;
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(ANSWER_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("komo/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|cause| Failure::Usage(ClientError::ClientStart { cause }))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|cause| Failure::Usage(ClientError::Runtime { cause }))?;
        Ok(Client { base, key: key.to_owned(), http, runtime })
    }

    /// The server's address, as given.
    pub fn server(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// `GET` the path (its segments, each escaped) and parse the answer.
    pub fn get<T: DeserializeOwned>(&self, path: &[&str]) -> Result<T, Failure> {
        self.send(Method::GET, path, None).and_then(|body| self.parse(&body))
    }

    /// `GET` the path with a query (`name=value` pairs, escaped) and parse the answer.
    pub fn get_query<T: DeserializeOwned>(
        &self,
        path: &[&str],
        query: &[(&str, &str)],
    ) -> Result<T, Failure> {
        self.get_query_body(path, query).and_then(|body| self.parse(&body))
    }

    /// `PUT` a text body.
    pub fn put_text<T: DeserializeOwned>(&self, path: &[&str], text: &str) -> Result<T, Failure> {
        let body = ("text/plain; charset=utf-8", text.as_bytes().to_vec());
        self.send(Method::PUT, path, Some(body)).and_then(|body| self.parse(&body))
    }

    /// `POST` an optional JSON body.
    pub fn post<T: DeserializeOwned>(&self, path: &[&str], json: Option<&Value>) -> Result<T, Failure> {
        let body = json.map(|json| ("application/json", serde_json::to_vec(json).unwrap_or_default()));
        self.send(Method::POST, path, body).and_then(|body| self.parse(&body))
    }

    /// The answer's body as `T`; an answer that is not the API's is a usage error.
    pub fn parse<T: DeserializeOwned>(&self, body: &[u8]) -> Result<T, Failure> {
        serde_json::from_slice(body).map_err(|cause| {
            Failure::Usage(ClientError::NotTheApi { server: self.server().to_owned(), cause })
        })
    }

    /// Sends one request with the key; a 2xx answer's body, or why there is none.
    pub fn send(
        &self,
        method: Method,
        path: &[&str],
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<Vec<u8>, Failure> {
        let url = self.url(path)?;
        self.send_to(method, url, body)
    }

    /// `GET` the path with a query (`name=value` pairs, each escaped): the answer's body.
    pub fn get_query_body(&self, path: &[&str], query: &[(&str, &str)]) -> Result<Vec<u8>, Failure> {
        let mut url = self.url(path)?;
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        self.send_to(Method::GET, url, None)
    }

    fn send_to(&self, method: Method, url: Url, body: Option<(&str, Vec<u8>)>) -> Result<Vec<u8>, Failure> {
        let mut request = self.http.request(method, url).bearer_auth(&self.key);
        if let Some((kind, bytes)) = body {
            request = request.header(CONTENT_TYPE, kind).body(bytes);
        }
        self.answer(request)
    }

    /// Sends a built request; a 2xx answer's body, or why there is none.
    fn answer(&self, request: reqwest::RequestBuilder) -> Result<Vec<u8>, Failure> {
        let answer = self.runtime.block_on(async {
            let response = request.send().await?;
            let status = response.status();
            let bytes = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, bytes))
        });
        let (status, bytes) = answer.map_err(|error| Failure::Usage(self.unreachable(error)))?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        if status == StatusCode::UNAUTHORIZED {
            return Err(Failure::Usage(ClientError::KeyRefused { server: self.server().to_owned() }));
        }
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        let message = match body.get("error").and_then(Value::as_str) {
            Some(message) => message.to_owned(),
            None => format!("{} answered {status}", self.server()),
        };
        Err(Failure::Refused { status, message, body })
    }

    fn url(&self, path: &[&str]) -> Result<Url, Failure> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| {
                Failure::Usage(ClientError::ServerTakesNoPath { server: self.server().to_owned() })
            })?
            .pop_if_empty()
            .extend(path);
        Ok(url)
    }

    fn unreachable(&self, cause: reqwest::Error) -> ClientError {
        let server = self.server().to_owned();
        if cause.is_connect() {
            ClientError::NoServer { server, cause }
        } else if cause.is_timeout() {
            ClientError::Timeout { server }
        } else {
            ClientError::Unreachable { server, cause }
        }
    }
}

/// An `http://` or `https://` address the API's paths can be added to.
fn server_url(given: &str) -> Result<Url, ClientError> {
    let url = Url::parse(given.trim())
        .map_err(|cause| ClientError::ServerNotAUrl { given: given.to_owned(), cause })?;
    if !matches!(url.scheme(), "http" | "https") || url.cannot_be_a_base() || url.host().is_none() {
        return Err(ClientError::ServerNotHttp { given: given.to_owned() });
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ClientError::ServerHasQuery { given: given.to_owned() });
    }
    Ok(url)
}

/// The innermost cause of an error, without `(os error N)`.
fn cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut innermost = error;
    while let Some(inner) = innermost.source() {
        innermost = inner;
    }
    let text = innermost.to_string();
    match text.find(" (os error") {
        Some(at) => text.get(..at).unwrap_or(&text).to_owned(),
        None => text,
    }
}

/// `welcome: active (version 3)`, `welcome_copy: draft`.
pub(crate) fn state_line(summary: &WorkflowSummary) -> String {
    let status = summary.status.as_str();
    match summary.version {
        Some(version) => format!("{}: {status} (version {version})", summary.name),
        None => format!("{}: {status}", summary.name),
    }
}

/// One diagnostic of the `komo check --format json` report.
#[derive(Debug, Deserialize)]
struct ReportedDiagnostic {
    code: String,
    severity: String,
    message: String,
    file: String,
    line: usize,
    column: usize,
    help: Option<String>,
}

/// Prints a refused activation: its diagnostics (`file:line:col: error[CODE]: message`,
/// then `  help: …`) when the answer has them, and the server's message. Exit 1.
pub(crate) fn write_refusal(console: &mut Console<'_>, name: &str, failure: &Failure) -> io::Result<Exit> {
    let Failure::Refused { message, body, .. } = failure else { return failure.report(console) };
    write_diagnostics(console, body)?;
    writeln!(console.err, "{} `{name}` was not activated: {message}", console.red("error:"))?;
    Ok(Exit::Failure)
}

/// Prints the diagnostics of a refusal's body (`{ "diagnostics": { "diagnostics": [ … ] } }`),
/// one `file:line:col: error[CODE]: message` line each, then `  help: …`.
pub(crate) fn write_diagnostics(console: &mut Console<'_>, body: &Value) -> io::Result<()> {
    let reported = body.get("diagnostics").and_then(|report| report.get("diagnostics")).cloned();
    let diagnostics: Vec<ReportedDiagnostic> =
        reported.and_then(|list| serde_json::from_value(list).ok()).unwrap_or_default();
    for d in &diagnostics {
        let message = d.message.replace('\n', " ");
        writeln!(console.err, "{}:{}:{}: {}[{}]: {message}", d.file, d.line, d.column, d.severity, d.code)?;
        if let Some(help) = &d.help {
            writeln!(console.err, "  help: {}", help.replace('\n', " "))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::api::{WorkflowMetrics, WorkflowStatus};

    #[test]
    fn servers_are_http_addresses() {
        assert_eq!(server_url("http://127.0.0.1:8080").unwrap().as_str(), "http://127.0.0.1:8080/");
        assert_eq!(server_url(" https://komo.example/base/ ").unwrap().path(), "/base/");
        assert!(server_url("127.0.0.1:8080").is_err());
        assert!(server_url("ftp://h/").unwrap_err().to_string().contains("not an http(s) address"));
        assert!(server_url("http://h/?x=1").unwrap_err().to_string().contains("query"));
        assert!(server_url("").is_err());
    }

    #[test]
    fn paths_are_escaped_and_kept_under_the_base() {
        let args = ServerArgs { server: "http://h:1/komo/".into(), key: Some(" k ".into()) };
        let client = Client::new(&args).unwrap();
        assert_eq!(client.key, "k");
        let url = client.url(&["v1", "workflows", "a b/c", "activate"]).unwrap();
        assert_eq!(url.as_str(), "http://h:1/komo/v1/workflows/a%20b%2Fc/activate");
        assert_eq!(client.server(), "http://h:1/komo");
    }

    #[test]
    fn a_key_is_needed() {
        for key in [None, Some(String::new()), Some("  ".to_owned())] {
            let args = ServerArgs { server: DEFAULT_SERVER.into(), key };
            let Err(Failure::Usage(message)) = Client::new(&args) else { panic!("no key accepted") };
            assert!(message.to_string().contains("komo keys create"), "{message}");
        }
    }

    #[test]
    fn states_read_as_one_line() {
        let mut summary = WorkflowSummary {
            name: "welcome".into(),
            status: WorkflowStatus::Active,
            title: None,
            scope: None,
            trigger: None,
            version: Some(3),
            metrics: WorkflowMetrics::default(),
        };
        assert_eq!(state_line(&summary), "welcome: active (version 3)");
        summary.status = WorkflowStatus::Draft;
        summary.version = None;
        assert_eq!(state_line(&summary), "welcome: draft");
    }

    #[test]
    fn refusals_list_their_diagnostics() {
        let body = serde_json::json!({ "error": "the workflow has errors", "diagnostics": {
            "format_version": 1, "errors": 1, "warnings": 0,
            "diagnostics": [ { "code": "K0301", "severity": "error", "message": "unknown trigger `X`",
                "file": "w.komo", "line": 3, "column": 11, "help": "did you mean `Y`?" } ] } });
        let failure = Failure::Refused {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: "the workflow has errors".into(),
            body,
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let mut console = Console { out: &mut out, err: &mut err, color: false };
        assert_eq!(write_refusal(&mut console, "w", &failure).unwrap(), Exit::Failure);
        assert_eq!(
            String::from_utf8(err).unwrap(),
            "w.komo:3:11: error[K0301]: unknown trigger `X`\n  help: did you mean `Y`?\n\
             error: `w` was not activated: the workflow has errors\n"
        );
    }
}
