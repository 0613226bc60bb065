//! What the REST connectors (SMS, Salesforce, Mailchimp, Braze) share: one guarded HTTP
//! client, one way to send a call and read its answer, one mapping from statuses to
//! failure kinds.
//!
//! In: a [`Call`] (method, URL, headers with secrets marked sensitive, a JSON or form
//! body) and a timeout. Out: the [`Answer`] (any status; body capped at 1 MiB), or a
//! failure: `timeout`, `error` (could not connect), `invalid_request` (an inner address
//! the project does not allow). [`status_failure`] turns a non-2xx answer into `auth`
//! (401, 403), `rate_limited` (429, with `Retry-After`) or `http_status`, with the
//! provider's own short explanation. The same SSRF guard as `http.request` applies:
//! loopback and private hosts need `[http] allow_hosts`.

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};

use super::config::ConnectorConfigError;
use super::http::guard::{self, AllowList, Refused};
use super::http::response::{MAX_RESPONSE_BYTES, retry_after_ms};
use super::http::{ClientStartError, client_pair, refused, root_cause, send_failure};
use crate::runtime::host::{ActionFailure, FailureKind};
use crate::runtime::value::format_duration;

/// A connector's timeout when its table sets none.
pub const DEFAULT_TIMEOUT_MS: u64 = 30_000;

/// The longest provider explanation a failure quotes.
const MAX_DETAIL_CHARS: usize = 300;

/// One request to a provider.
#[derive(Debug)]
pub(super) struct Call {
    pub method: Method,
    pub url: Url,
    pub headers: HeaderMap,
    pub body: Option<Body>,
}

#[derive(Debug)]
pub(super) enum Body {
    Json(serde_json::Value),
    Form(Vec<(&'static str, String)>),
}

impl Call {
    pub fn new(method: Method, url: Url) -> Call {
        Call { method, url, headers: HeaderMap::new(), body: None }
    }

    /// `Authorization: <value>`, marked sensitive (never printed by the client).
    pub fn authorization(mut self, value: &str) -> Result<Call, ActionFailure> {
        let mut header = HeaderValue::from_str(value).map_err(|_| {
            ActionFailure::new(FailureKind::Auth, "the credentials are not valid in an HTTP header")
        })?;
        header.set_sensitive(true);
        self.headers.insert(reqwest::header::AUTHORIZATION, header);
        Ok(self)
    }

    /// `Authorization: Basic base64(user:password)`.
    pub fn basic_auth(self, user: &str, password: &str) -> Result<Call, ActionFailure> {
        use base64::Engine as _;
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
        self.authorization(&format!("Basic {token}"))
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Call {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.insert(name, value);
        }
        self
    }

    pub fn json(mut self, body: serde_json::Value) -> Call {
        self.body = Some(Body::Json(body));
        self
    }

    pub fn form(mut self, fields: Vec<(&'static str, String)>) -> Call {
        self.body = Some(Body::Form(fields));
        self
    }
}

/// A provider's answer, whatever its status.
#[derive(Debug)]
pub(super) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// The HTTP client of the REST connectors, with its connection pools.
#[derive(Debug)]
pub(super) struct RestClient {
    allow: AllowList,
    clients: Result<(reqwest::Client, reqwest::Client), ClientStartError>,
}

impl RestClient {
    /// `allow_hosts`: the project's `[http] allow_hosts`.
    pub fn new(allow_hosts: &[String]) -> RestClient {
        let (allow, _invalid) = AllowList::new(allow_hosts);
        RestClient { allow, clients: client_pair() }
    }

    /// Sends `call` to `provider` (its name, for messages) within `timeout`.
    pub async fn send(&self, provider: &str, call: Call, timeout: Duration) -> Result<Answer, ActionFailure> {
        match tokio::time::timeout(timeout, self.attempt(call)).await {
            Ok(result) => result,
            Err(_) => Err(ActionFailure::new(
                FailureKind::Timeout,
                format!(
                    "{provider} did not answer within {}",
                    format_duration(i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX))
                ),
            )),
        }
    }

    async fn attempt(&self, call: Call) -> Result<Answer, ActionFailure> {
        let (guarded, allowed) =
            self.clients.as_ref().map_err(|e| ActionFailure::new(FailureKind::Error, e.to_string()))?;
        let host = call.url.host_str().unwrap_or_default().to_string();
        let port = call.url.port_or_known_default().unwrap_or(0);
        let is_allowed = self.allow.allows(&host, port);
        if !is_allowed {
            if let Some(ip) = guard::ip_literal(&host) {
                if let Some(class) = guard::classify(ip) {
                    return Err(refused(&host, port, &Refused { host: host.clone(), ip, class }));
                }
            }
        }
        let client = if is_allowed { allowed } else { guarded };
        let mut builder = client.request(call.method, call.url).headers(call.headers);
        builder = match call.body {
            Some(Body::Json(json)) => builder
                .header(CONTENT_TYPE, "application/json")
                .body(serde_json::to_vec(&json).unwrap_or_default()),
            Some(Body::Form(fields)) => {
                builder.header(CONTENT_TYPE, "application/x-www-form-urlencoded").body(form_encode(&fields))
            }
            None => builder,
        };
        let mut response = builder.send().await.map_err(|e| send_failure(&host, port, &e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len().saturating_add(chunk.len()) > MAX_RESPONSE_BYTES {
                        return Err(ActionFailure::new(FailureKind::Error, "response larger than 1 MiB"));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    return Err(ActionFailure::new(
                        FailureKind::Error,
                        format!("reading the response from `{host}` failed: {}", root_cause(&e)),
                    ));
                }
            }
        }
        Ok(Answer { status, headers, body })
    }
}

/// `application/x-www-form-urlencoded`.
fn form_encode(fields: &[(&'static str, String)]) -> String {
    let mut url = Url::parse("http://form.invalid/").ok();
    if let Some(url) = url.as_mut() {
        let mut pairs = url.query_pairs_mut();
        for (name, value) in fields {
            pairs.append_pair(name, value);
        }
    }
    url.and_then(|u| u.query().map(str::to_string)).unwrap_or_default()
}

/// The failure a non-2xx answer makes: `auth` for 401 and 403, `rate_limited` for 429
/// (with the `Retry-After` delay), `http_status` otherwise; the message names the
/// provider, the status and the provider's `detail`, shortened.
pub(super) fn status_failure(provider: &str, answer: &Answer, detail: Option<String>) -> ActionFailure {
    let status = answer.status;
    let kind = match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => FailureKind::Auth,
        StatusCode::TOO_MANY_REQUESTS => FailureKind::RateLimited,
        _ => FailureKind::HttpStatus,
    };
    let mut message = match status.canonical_reason() {
        Some(reason) => format!("{provider} answered HTTP {} {reason}", status.as_u16()),
        None => format!("{provider} answered HTTP {}", status.as_u16()),
    };
    if let Some(detail) = detail.filter(|d| !d.trim().is_empty()) {
        message.push_str(": ");
        message.push_str(&shorten(detail.trim()));
    }
    let retry_after_ms = answer
        .headers
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| retry_after_ms(v, jiff::Timestamp::now()));
    ActionFailure {
        status: Some(i64::from(status.as_u16())),
        retry_after_ms,
        ..ActionFailure::new(kind, message)
    }
}

/// At most [`MAX_DETAIL_CHARS`] characters, on one line.
fn shorten(text: &str) -> String {
    let line: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if line.chars().count() <= MAX_DETAIL_CHARS {
        return line;
    }
    let mut short: String = line.chars().take(MAX_DETAIL_CHARS).collect();
    short.push('…');
    short
}

/// A string field of a JSON object.
pub(super) fn text_field(json: &serde_json::Value, name: &str) -> Option<String> {
    json.get(name).and_then(|v| v.as_str()).map(str::to_string)
}

/// A base URL from the configuration, checked.
pub(super) fn base_url(field: &'static str, text: &str) -> Result<Url, ConnectorConfigError> {
    let url = Url::parse(text.trim()).map_err(|cause| ConnectorConfigError::NotAUrl { field, cause })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ConnectorConfigError::NotHttpUrl { field });
    }
    Ok(url)
}

/// `base` with `segments` appended, each percent-encoded as one path segment (a `/`
/// inside an argument stays inside its segment).
pub(super) fn join(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty();
        path.extend(segments);
    }
    url
}

/// A timeout from a table's `timeout_ms`, overridden by the step's own.
pub(super) fn timeout(configured: Option<u64>, step: Option<u64>) -> Duration {
    Duration::from_millis(step.or(configured).unwrap_or(DEFAULT_TIMEOUT_MS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_paths_are_encoded() {
        assert_eq!(
            form_encode(&[("To", "+1 555".into()), ("Body", "a&b=c é".into())]),
            "To=%2B1+555&Body=a%26b%3Dc+%C3%A9"
        );
        let base = Url::parse("https://x.example/api/").unwrap();
        assert_eq!(
            join(&base, &["sobjects", "Lead", "a/b?c"]).as_str(),
            "https://x.example/api/sobjects/Lead/a%2Fb%3Fc"
        );
        assert!(base_url("base_url", "ftp://x").is_err());
        assert!(base_url("base_url", "not a url").is_err());
    }

    #[test]
    fn statuses_become_kinds() {
        let answer = |status: u16, headers: &[(&'static str, &str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in headers {
                map.insert(*name, HeaderValue::from_str(value).unwrap());
            }
            Answer { status: StatusCode::from_u16(status).unwrap(), headers: map, body: Vec::new() }
        };
        let f = status_failure("Braze", &answer(401, &[]), Some("Invalid API key".into()));
        assert_eq!((f.kind.as_str(), f.status), ("auth", Some(401)));
        assert_eq!(f.message, "Braze answered HTTP 401 Unauthorized: Invalid API key");
        let f = status_failure("Braze", &answer(429, &[("retry-after", "3")]), None);
        assert_eq!((f.kind.as_str(), f.retry_after_ms), ("rate_limited", Some(3000)));
        let f = status_failure("Braze", &answer(400, &[]), Some("x".repeat(400)));
        assert_eq!((f.kind.as_str(), f.retryable()), ("http_status", false));
        assert!(f.message.ends_with('…') && f.message.chars().count() < 360, "{}", f.message);
        assert!(status_failure("Braze", &answer(503, &[]), None).retryable());
    }
}
