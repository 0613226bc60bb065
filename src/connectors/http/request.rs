//! From `http.request`'s arguments to what goes on the wire.
//!
//! In: the evaluated arguments (`method`, `url`, `headers`, `query`, `json`, `body`), a
//! way to resolve secrets and the step's idempotency key. Out: the method, the URL with
//! its query, the body with its content type, and the headers, whose secret values are
//! resolved here, at the last moment, and marked sensitive. Every refusal is an
//! `invalid_request` failure that names arguments and secrets, never a secret's value.

use std::collections::BTreeMap;

use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};

use crate::runtime::host::{ActionFailure, FailureKind};
use crate::runtime::value::Value;

/// The methods the catalog lists for `http.request`.
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// An outgoing request, before its headers.
#[derive(Debug)]
pub(super) struct Outgoing {
    pub method: Method,
    pub url: Url,
    /// As [`Url::host_str`] gives it.
    pub host: String,
    pub port: u16,
    pub body: Option<Body>,
}

#[derive(Debug)]
pub(super) struct Body {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

fn invalid(message: impl Into<String>) -> ActionFailure {
    ActionFailure::new(FailureKind::InvalidRequest, message)
}

/// The argument `name`, `None` when absent or null.
fn arg<'a>(args: &'a BTreeMap<String, Value>, name: &str) -> Option<&'a Value> {
    args.get(name).filter(|v| !v.is_null())
}

/// Everything but the headers.
pub(super) fn outgoing(args: &BTreeMap<String, Value>) -> Result<Outgoing, ActionFailure> {
    let method = method(arg(args, "method"))?;
    let mut url = url(arg(args, "url"))?;
    let host = url.host_str().map(str::to_string).ok_or_else(|| invalid("`url` has no host"))?;
    let port = url.port_or_known_default().ok_or_else(|| invalid("`url` has no port"))?;
    if let Some(query) = arg(args, "query") {
        append_query(&mut url, query)?;
    }
    let body = body(arg(args, "json"), arg(args, "body"))?;
    Ok(Outgoing { method, url, host, port, body })
}

fn method(value: Option<&Value>) -> Result<Method, ActionFailure> {
    let text = match value {
        Some(Value::String(s)) => s.to_ascii_uppercase(),
        Some(other) => return Err(invalid(format!("`method` must be a String, not {}", other.kind()))),
        None => return Err(invalid("`method` is missing")),
    };
    if !METHODS.contains(&text.as_str()) {
        return Err(invalid(format!("`method` must be one of {}, not `{text}`", METHODS.join(", "))));
    }
    Method::from_bytes(text.as_bytes()).map_err(|_| invalid(format!("`{text}` is not an HTTP method")))
}

fn url(value: Option<&Value>) -> Result<Url, ActionFailure> {
    let text = match value {
        Some(Value::String(s)) => s,
        Some(other) => return Err(invalid(format!("`url` must be a String, not {}", other.kind()))),
        None => return Err(invalid("`url` is missing")),
    };
    let mut url = Url::parse(text).map_err(|e| invalid(format!("`url` is not a valid URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(format!(
            "`url` must start with `http://` or `https://`, not `{}:`",
            url.scheme()
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("a URL cannot carry credentials; use `headers` with a secret"));
    }
    url.set_fragment(None);
    Ok(url)
}

fn append_query(url: &mut Url, query: &Value) -> Result<(), ActionFailure> {
    let Value::Record(fields) = query else {
        return Err(invalid(format!("`query` must be a record, not {}", query.kind())));
    };
    if query.contains_secret() {
        return Err(secret_outside_headers("query"));
    }
    let mut pairs = url.query_pairs_mut();
    for (name, value) in fields {
        match value {
            Value::Null => {}
            Value::List(items) => {
                for item in items.iter().filter(|v| !v.is_null()) {
                    pairs.append_pair(name, &item.to_text());
                }
            }
            other => {
                pairs.append_pair(name, &other.to_text());
            }
        }
    }
    Ok(())
}

fn body(json: Option<&Value>, text: Option<&Value>) -> Result<Option<Body>, ActionFailure> {
    match (json, text) {
        (Some(_), Some(_)) => Err(invalid("give `json` or `body`, not both")),
        (Some(json), None) => {
            if json.contains_secret() {
                return Err(secret_outside_headers("json"));
            }
            let bytes = serde_json::to_vec(&json.to_json())
                .map_err(|e| invalid(format!("`json` could not be written: {e}")))?;
            Ok(Some(Body { bytes, content_type: "application/json" }))
        }
        (None, Some(Value::String(s))) => {
            Ok(Some(Body { bytes: s.clone().into_bytes(), content_type: "text/plain; charset=utf-8" }))
        }
        (None, Some(Value::Secret(_))) => Err(secret_outside_headers("body")),
        (None, Some(other)) => Err(invalid(format!("`body` must be a String, not {}", other.kind()))),
        (None, None) => Ok(None),
    }
}

fn secret_outside_headers(arg: &str) -> ActionFailure {
    invalid(format!("a secret can only be sent in `headers`, not in `{arg}`"))
}

/// The request's headers: the body's content type and the idempotency key first, then
/// the program's `headers` (which replace them when they name them). Also gives the
/// secret values resolved, so that error messages can be scrubbed of them.
pub(super) fn headers(
    args: &BTreeMap<String, Value>,
    body: Option<&Body>,
    secret: &(dyn Fn(&str) -> Option<String> + Sync),
    idempotency_key: &str,
) -> Result<(HeaderMap, Vec<String>), ActionFailure> {
    let mut map = HeaderMap::new();
    let mut secrets = Vec::new();
    if let Some(body) = body {
        map.insert(CONTENT_TYPE, HeaderValue::from_static(body.content_type));
    }
    if !idempotency_key.is_empty() {
        let key = HeaderValue::from_str(idempotency_key)
            .map_err(|_| invalid("the idempotency key is not a valid header value"))?;
        map.insert(HeaderName::from_static("idempotency-key"), key);
    }
    let fields = match arg(args, "headers") {
        None => return Ok((map, secrets)),
        Some(Value::Record(fields)) => fields,
        Some(other) => return Err(invalid(format!("`headers` must be a record, not {}", other.kind()))),
    };
    for (name, value) in fields {
        let header = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid(format!("`{name}` is not a valid header name")))?;
        let value = match value {
            Value::Null => continue,
            Value::Secret(s) => {
                let resolved = secret(&s.name)
                    .ok_or_else(|| invalid(format!("secret `{}` is not configured", s.name)))?;
                let mut value = HeaderValue::from_str(&resolved).map_err(|_| {
                    invalid(format!("secret `{}` is not a valid value for header `{name}`", s.name))
                })?;
                value.set_sensitive(true);
                secrets.push(resolved);
                value
            }
            Value::String(s) => HeaderValue::from_str(s)
                .map_err(|_| invalid(format!("the value of header `{name}` is not valid in HTTP")))?,
            Value::List(_) | Value::Record(_) => {
                return Err(invalid(format!(
                    "header `{name}` must be a String or a Secret, not {}",
                    value.kind()
                )));
            }
            other => HeaderValue::from_str(&other.to_text())
                .map_err(|_| invalid(format!("the value of header `{name}` is not valid in HTTP")))?,
        };
        map.insert(header, value);
    }
    Ok((map, secrets))
}
