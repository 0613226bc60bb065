//! From an HTTP response to `http.request`'s output or failure.
//!
//! In: the response (status, headers, a body read chunk by chunk). Out: for a status in
//! 200–299, `{ status, headers, body, json }` with lower-case header names, the body as
//! lossy UTF-8 and `json` null unless the body parses; otherwise a failure of kind
//! `http_status` (`rate_limited` for 429) with the status and any `Retry-After` delay.
//! Bodies past [`MAX_RESPONSE_BYTES`] are refused without reading the rest.

use std::collections::BTreeMap;

use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Response, StatusCode};

use crate::runtime::host::{ActionFailure, FailureKind};
use crate::runtime::value::Value;

/// The largest response body `http.request` accepts (1 MiB).
pub const MAX_RESPONSE_BYTES: usize = 1 << 20;

/// The failure a status outside 200–299 makes: `HTTP 503 Service Unavailable`, never
/// the body.
pub(super) fn status_failure(status: StatusCode, headers: &HeaderMap, now: jiff::Timestamp) -> ActionFailure {
    let message = match status.canonical_reason() {
        Some(reason) => format!("HTTP {} {reason}", status.as_u16()),
        None => format!("HTTP {}", status.as_u16()),
    };
    let kind = if status == StatusCode::TOO_MANY_REQUESTS {
        FailureKind::RateLimited
    } else {
        FailureKind::HttpStatus
    };
    let retry_after_ms =
        headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| retry_after_ms(v, now));
    ActionFailure {
        status: Some(i64::from(status.as_u16())),
        retry_after_ms,
        ..ActionFailure::new(kind, message)
    }
}

/// A `Retry-After` value (delay in seconds, or an HTTP date) in milliseconds from `now`;
/// a date in the past is no delay.
pub(in crate::connectors) fn retry_after_ms(value: &str, now: jiff::Timestamp) -> Option<u64> {
    static HTTP_DATE: jiff::fmt::rfc2822::DateTimeParser = jiff::fmt::rfc2822::DateTimeParser::new();
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(seconds.saturating_mul(1000));
    }
    let at = HTTP_DATE.parse_timestamp(value).ok()?;
    let ms = at.as_millisecond().saturating_sub(now.as_millisecond());
    Some(u64::try_from(ms).unwrap_or(0))
}

/// Why a body could not be read.
#[derive(Debug)]
pub(super) enum BodyError {
    TooLarge,
    Read(reqwest::Error),
}

/// The output of a successful response, reading at most [`MAX_RESPONSE_BYTES`].
pub(super) async fn output(mut response: Response) -> Result<Value, BodyError> {
    let status = response.status();
    let headers = header_record(response.headers());
    if response.content_length().is_some_and(|n| n > MAX_RESPONSE_BYTES as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Read)? {
        if bytes.len().saturating_add(chunk.len()) > MAX_RESPONSE_BYTES {
            return Err(BodyError::TooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    let json = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(json) => Value::from_json(&json),
        Err(_) => Value::Null,
    };
    Ok(Value::record([
        ("status".to_string(), Value::Int(i64::from(status.as_u16()))),
        ("headers".to_string(), headers),
        ("body".to_string(), Value::String(String::from_utf8_lossy(&bytes).into_owned())),
        ("json".to_string(), json),
    ]))
}

/// Header names in lower case; repeated headers joined with `, `.
fn header_record(headers: &HeaderMap) -> Value {
    let mut record: BTreeMap<String, Value> = BTreeMap::new();
    for (name, value) in headers {
        let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
        match record.get_mut(name.as_str()) {
            Some(Value::String(existing)) => {
                existing.push_str(", ");
                existing.push_str(&text);
            }
            _ => {
                record.insert(name.as_str().to_string(), Value::String(text));
            }
        }
    }
    Value::Record(record)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now: jiff::Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
        assert_eq!(retry_after_ms("7", now), Some(7000));
        assert_eq!(retry_after_ms(" 0 ", now), Some(0));
        assert_eq!(retry_after_ms("Sun, 01 Mar 2026 12:00:30 GMT", now), Some(30_000));
        assert_eq!(retry_after_ms("Sun, 01 Mar 2026 11:00:00 GMT", now), Some(0));
        assert_eq!(retry_after_ms("soon", now), None);
        assert_eq!(retry_after_ms("-5", now), None);
    }

    #[test]
    fn status_failures_name_the_status_only() {
        let now = jiff::Timestamp::UNIX_EPOCH;
        let f = status_failure(StatusCode::SERVICE_UNAVAILABLE, &HeaderMap::new(), now);
        assert_eq!(
            (f.kind.as_str(), f.message.as_str(), f.status),
            ("http_status", "HTTP 503 Service Unavailable", Some(503))
        );
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "2".parse().unwrap());
        let f = status_failure(StatusCode::TOO_MANY_REQUESTS, &headers, now);
        assert_eq!((f.kind.as_str(), f.status, f.retry_after_ms), ("rate_limited", Some(429), Some(2000)));
        let f = status_failure(StatusCode::from_u16(599).unwrap(), &HeaderMap::new(), now);
        assert_eq!(f.message, "HTTP 599");
    }
}
