//! The `http.request` connector.
//!
//! In: one attempt's arguments (`method`, `url`, `headers`, `query`, `json`, `body`), a
//! way to resolve secrets by name, the step's idempotency key and its timeout. Out:
//! `{ status, headers, body, json }`, or a failure whose kind the engine's retry policy
//! reads: `invalid_request` (the same attempt would fail again), `http_status`,
//! `rate_limited`, `timeout` or `error`.
//!
//! Redirects are not followed, no proxy is used, connecting times out after 5 s and the
//! whole attempt after the step's timeout (30 s by default); bodies past 1 MiB are
//! refused. Loopback, private, link-local, metadata and other inner addresses are refused
//! unless the project names the host in `[http] allow_hosts`: IP literals are judged
//! before anything is sent, names by the client's resolver, which hands the client only
//! the addresses that passed, so the client connects to exactly what was checked.

pub(super) mod guard;
mod request;
pub(super) mod response;
mod stand_in;

use std::collections::BTreeMap;
use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use crate::runtime::host::{ActionFailure, FailureKind};
use crate::runtime::value::{REDACTED, Value, format_duration};

pub use guard::{AddressClass, classify};
pub use response::MAX_RESPONSE_BYTES;
pub use stand_in::{StandInError, StandInUrlProblem, StandIns};

use guard::{AllowList, GuardedResolver, Refused, Unresolved};
use request::Outgoing;
use response::BodyError;

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A whole attempt's timeout when the step sets none.
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;

/// The project's `[http]` table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpConfig {
    /// Hosts (`host`, `host:port`, `[v6]:port`) that may be reached whatever they
    /// resolve to, loopback and private addresses included.
    pub allow_hosts: Vec<String>,
}

/// Sends `http.request` attempts. Holds its HTTP clients (and their connection pools),
/// built once: share one connector per engine.
#[derive(Debug)]
pub struct HttpConnector {
    allow: AllowList,
    /// `[http] stand_ins`: origins whose requests go to a local server instead.
    stand_ins: StandIns,
    /// The stand-ins' hosts, allowed whatever they resolve to.
    stand_in_hosts: AllowList,
    /// Why the clients could not be built (the TLS backend failed to start, say): every
    /// attempt then fails with it.
    clients: Result<Clients, ClientStartError>,
}

/// Why the HTTP clients could not be built: the innermost cause, in words (the
/// client's own error cannot be kept: it is not `Clone`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientStartError {
    pub cause: String,
}

impl std::fmt::Display for ClientStartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the HTTP client could not start: {}", self.cause)
    }
}

impl std::error::Error for ClientStartError {}

#[derive(Debug)]
struct Clients {
    /// For every host not in the allow list: its resolver refuses inner addresses.
    guarded: reqwest::Client,
    /// For allowed hosts only: its resolver refuses nothing.
    allowed: reqwest::Client,
}

fn client(check: bool) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(CONNECT_TIMEOUT)
        .no_proxy()
        .user_agent(concat!("komo/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(GuardedResolver { check }))
        .build()
}

/// The guarded client (its resolver refuses inner addresses) and the one for allowed
/// hosts, or why they could not be built.
pub(super) fn client_pair() -> Result<(reqwest::Client, reqwest::Client), ClientStartError> {
    match (client(true), client(false)) {
        (Ok(guarded), Ok(allowed)) => Ok((guarded, allowed)),
        (Err(e), _) | (_, Err(e)) => Err(ClientStartError { cause: root_cause(&e) }),
    }
}

impl HttpConnector {
    pub fn new(config: HttpConfig) -> HttpConnector {
        let (allow, invalid) = AllowList::new(&config.allow_hosts);
        for entry in invalid {
            tracing::warn!(entry = %entry, "[http] allow_hosts: not a host or host:port; ignored");
        }
        let clients = client_pair().map(|(guarded, allowed)| Clients { guarded, allowed });
        HttpConnector { allow, stand_ins: StandIns::default(), stand_in_hosts: AllowList::default(), clients }
    }

    /// The connector sending every request on a stand-in's origin to the stand-in (its
    /// host is allowed through the SSRF guard: the operator named it).
    pub fn with_stand_ins(mut self, stand_ins: StandIns) -> HttpConnector {
        self.stand_in_hosts = AllowList::new(&stand_ins.targets()).0;
        self.stand_ins = stand_ins;
        self
    }

    /// One attempt of `http.request`. `args`: `method`, `url` (String), `headers` (a
    /// record of String or `Value::Secret`), `query` (a record), `json` (any value),
    /// `body` (String). `secret` resolves a secret's name to its value; no value ever
    /// reaches a message or a log. `timeout_ms` bounds the whole attempt (30 s when
    /// `None`).
    pub async fn request(
        &self,
        args: &BTreeMap<String, Value>,
        secret: &(dyn Fn(&str) -> Option<String> + Sync),
        idempotency_key: &str,
        timeout_ms: Option<u64>,
    ) -> Result<Value, ActionFailure> {
        let ms = timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
        let attempt = self.attempt(args, secret, idempotency_key);
        match tokio::time::timeout(Duration::from_millis(ms), attempt).await {
            Ok(result) => result,
            Err(_) => Err(ActionFailure::new(
                FailureKind::Timeout,
                format!(
                    "no complete response within {}",
                    format_duration(i64::try_from(ms).unwrap_or(i64::MAX))
                ),
            )),
        }
    }

    async fn attempt(
        &self,
        args: &BTreeMap<String, Value>,
        secret: &(dyn Fn(&str) -> Option<String> + Sync),
        idempotency_key: &str,
    ) -> Result<Value, ActionFailure> {
        let clients =
            self.clients.as_ref().map_err(|e| ActionFailure::new(FailureKind::Error, e.to_string()))?;
        let mut outgoing = request::outgoing(args)?;
        let original_host = self.stand_in(&mut outgoing);
        let allowed = self.allow.allows(&outgoing.host, outgoing.port)
            || (original_host.is_some() && self.stand_in_hosts.allows(&outgoing.host, outgoing.port));
        if !allowed {
            if let Some(ip) = guard::ip_literal(&outgoing.host) {
                if let Some(class) = classify(ip) {
                    let refusal = Refused { host: outgoing.host.clone(), ip, class };
                    return Err(refused(&outgoing.host, outgoing.port, &refusal));
                }
            }
        }
        let (mut headers, secrets) = request::headers(args, outgoing.body.as_ref(), secret, idempotency_key)?;
        if let Some(host) = original_host {
            headers.entry(reqwest::header::HOST).or_insert(host);
        }
        let client = if allowed { &clients.allowed } else { &clients.guarded };
        send(client, outgoing, headers).await.map_err(|failure| scrub(failure, &secrets))
    }
}

impl HttpConnector {
    /// Points `outgoing` at its origin's stand-in, if it has one, and gives the original
    /// authority for the `Host` header.
    fn stand_in(&self, outgoing: &mut Outgoing) -> Option<reqwest::header::HeaderValue> {
        let redirected = self.stand_ins.redirect(&outgoing.url)?;
        let host = redirected.url.host_str()?.to_string();
        let port = redirected.url.port_or_known_default()?;
        let value = reqwest::header::HeaderValue::from_str(&redirected.authority).ok()?;
        tracing::debug!(origin = %redirected.origin, stand_in = %format!("{host}:{port}"), "http.request sent to its stand-in");
        outgoing.url = redirected.url;
        outgoing.host = host;
        outgoing.port = port;
        Some(value)
    }
}

async fn send(
    client: &reqwest::Client,
    mut outgoing: Outgoing,
    headers: reqwest::header::HeaderMap,
) -> Result<Value, ActionFailure> {
    let mut builder = client.request(outgoing.method.clone(), outgoing.url.clone()).headers(headers);
    if let Some(body) = outgoing.body.take() {
        builder = builder.body(body.bytes);
    }
    let response = builder.send().await.map_err(|e| send_failure(&outgoing.host, outgoing.port, &e))?;
    let status = response.status();
    if !status.is_success() {
        return Err(response::status_failure(status, response.headers(), jiff::Timestamp::now()));
    }
    response::output(response).await.map_err(|e| match e {
        BodyError::TooLarge => ActionFailure::new(FailureKind::Error, "response larger than 1 MiB"),
        BodyError::Read(e) => ActionFailure::new(
            FailureKind::Error,
            format!("reading the response from `{}` failed: {}", outgoing.host, root_cause(&e)),
        ),
    })
}

/// The failure for a refused address, with the allow-list entry that would permit it.
pub(super) fn refused(host: &str, port: u16, refused: &Refused) -> ActionFailure {
    ActionFailure::new(
        FailureKind::InvalidRequest,
        format!("{refused}; allow it in komo.toml [http] allow_hosts (\"{host}:{port}\")"),
    )
}

/// What a failed send means, from the errors inside reqwest's (never its own message,
/// which carries the URL and its query).
pub(super) fn send_failure(host: &str, port: u16, error: &reqwest::Error) -> ActionFailure {
    let mut source = error.source();
    while let Some(inner) = source {
        if let Some(r) = inner.downcast_ref::<Refused>() {
            return refused(host, port, r);
        }
        if let Some(u) = inner.downcast_ref::<Unresolved>() {
            return ActionFailure::new(FailureKind::Error, u.to_string());
        }
        source = inner.source();
    }
    let target = format!("{host}:{port}");
    if error.is_connect() && error.is_timeout() {
        ActionFailure::new(FailureKind::Timeout, format!("could not connect to `{target}` within 5s"))
    } else if error.is_timeout() {
        ActionFailure::new(
            FailureKind::Timeout,
            format!("request to `{target}` timed out: {}", root_cause(error)),
        )
    } else if error.is_connect() {
        ActionFailure::new(
            FailureKind::Error,
            format!("could not connect to `{target}`: {}", root_cause(error)),
        )
    } else {
        ActionFailure::new(FailureKind::Error, format!("request to `{target}` failed: {}", root_cause(error)))
    }
}

/// The innermost cause of an error, short: an I/O error by its kind (`connection
/// refused`), anything else by its message.
pub(super) fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut innermost = error;
    while let Some(inner) = innermost.source() {
        innermost = inner;
    }
    match innermost.downcast_ref::<std::io::Error>() {
        Some(io) if io.get_ref().is_none() => io.kind().to_string(),
        _ => innermost.to_string(),
    }
}

/// The failure with every resolved secret value replaced, in case a cause quoted one.
pub(super) fn scrub(mut failure: ActionFailure, secrets: &[String]) -> ActionFailure {
    for value in secrets.iter().filter(|s| !s.is_empty()) {
        if failure.message.contains(value.as_str()) {
            failure.message = failure.message.replace(value.as_str(), REDACTED);
        }
    }
    failure
}
