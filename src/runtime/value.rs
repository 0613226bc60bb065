//! Run-time values.
//!
//! In: literals, event data (JSON), action outputs. Out: the values expressions compute,
//! their text form (for `"${…}"`) and their JSON form (run records, HTTP bodies).
//! `Email`, `Phone` and `Url` values are strings checked when they were made; a
//! [`Secret`] is only a name, shown as `[redacted]` in JSON and text.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A reference to a configured secret. It holds the secret's name only: the connector
/// that sends it resolves the value through the host at the last moment, so no value,
/// run state or run record ever holds a secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secret {
    pub name: String,
}

impl Secret {
    pub fn new(name: impl Into<String>) -> Secret {
        Secret { name: name.into() }
    }
}

/// What run records and logs show instead of a secret.
pub const REDACTED: &str = "[redacted]";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    /// Milliseconds.
    Duration(i64),
    Timestamp(jiff::Timestamp),
    List(Vec<Value>),
    Record(BTreeMap<String, Value>),
    Secret(Secret),
}

impl Value {
    pub fn record(fields: impl IntoIterator<Item = (String, Value)>) -> Value {
        Value::Record(fields.into_iter().collect())
    }

    pub fn str(s: impl Into<String>) -> Value {
        Value::String(s.into())
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// A field of a record (`Null` when absent or not a record).
    pub fn field(&self, name: &str) -> Value {
        match self {
            Value::Record(r) => r.get(name).cloned().unwrap_or(Value::Null),
            _ => Value::Null,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// A short name of the value's kind, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a Bool",
            Value::Int(_) => "an Int",
            Value::Float(_) => "a Float",
            Value::String(_) => "a String",
            Value::Duration(_) => "a Duration",
            Value::Timestamp(_) => "a Timestamp",
            Value::List(_) => "a List",
            Value::Record(_) => "a record",
            Value::Secret(_) => "a Secret",
        }
    }

    /// Whether a secret is anywhere inside.
    pub fn contains_secret(&self) -> bool {
        match self {
            Value::Secret(_) => true,
            Value::List(l) => l.iter().any(Value::contains_secret),
            Value::Record(r) => r.values().any(Value::contains_secret),
            _ => false,
        }
    }

    /// The JSON form; secrets become [`REDACTED`], timestamps carry milliseconds (as
    /// every time in a run record does).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::String(s) => J::String(s.clone()),
            Value::Duration(ms) => J::String(format_duration(*ms)),
            Value::Timestamp(t) => J::String(super::record::format_millis(*t)),
            Value::List(l) => J::Array(l.iter().map(Value::to_json).collect()),
            Value::Record(r) => J::Object(r.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
            Value::Secret(_) => J::String(REDACTED.to_string()),
        }
    }

    /// A value from JSON: integral numbers become `Int`, others `Float`; strings stay
    /// strings (a conversion such as `as Timestamp` parses them).
    pub fn from_json(json: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match json {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or(0.0)),
            },
            J::String(s) => Value::String(s.clone()),
            J::Array(a) => Value::List(a.iter().map(Value::from_json).collect()),
            J::Object(o) => Value::Record(o.iter().map(|(k, v)| (k.clone(), Value::from_json(v))).collect()),
        }
    }

    /// The text form used by `"${…}"` and `string(…)`: strings as they are, numbers
    /// and booleans as written, durations as `1h30m`, timestamps in RFC 3339, null as
    /// `null`, lists and records as JSON; a secret as [`REDACTED`] (the checker keeps
    /// secrets out of text; this is the last line of defence).
    pub fn to_text(&self) -> String {
        match self {
            Value::String(s) => s.clone(),
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => format_float(*f),
            Value::Duration(ms) => format_duration(*ms),
            Value::Timestamp(t) => format_timestamp(*t),
            Value::Secret(_) => REDACTED.into(),
            Value::List(_) | Value::Record(_) => self.to_json().to_string(),
        }
    }
}

/// A float as text; whole floats keep a decimal point so they read as floats (`3.0`).
pub fn format_float(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 { format!("{f:.1}") } else { f.to_string() }
}

/// Milliseconds as Komo writes durations: `1h30m`, `90s` → `1m30s`, `0s`, `-2d`.
pub fn format_duration(ms: i64) -> String {
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    if ms < 0 {
        out.push('-');
    }
    let mut rest = ms.unsigned_abs();
    for (unit, size) in
        [("w", 604_800_000u64), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)]
    {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

/// RFC 3339 in UTC, with milliseconds only when there are some.
pub fn format_timestamp(t: jiff::Timestamp) -> String {
    if t.subsec_nanosecond() == 0 {
        t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_source() {
        assert_eq!(format_duration(5_400_000), "1h30m");
        assert_eq!(format_duration(90_000), "1m30s");
        assert_eq!(format_duration(2 * 86_400_000), "2d");
        assert_eq!(format_duration(1500), "1s500ms");
        assert_eq!(format_duration(-86_400_000), "-1d");
        assert_eq!(format_duration(0), "0s");
    }

    #[test]
    fn secrets_never_show() {
        let s = Value::Secret(Secret::new("TOKEN"));
        assert_eq!(format!("{s:?}"), "Secret(Secret { name: \"TOKEN\" })");
        assert_eq!(s.to_json(), serde_json::json!("[redacted]"));
        assert_eq!(s.to_text(), "[redacted]");
    }

    #[test]
    fn json_round_trip_keeps_numbers_apart() {
        let j = serde_json::json!({ "a": 1, "b": 2.5, "c": [true, null, "x"] });
        let v = Value::from_json(&j);
        assert_eq!(v.field("a"), Value::Int(1));
        assert_eq!(v.field("b"), Value::Float(2.5));
        assert_eq!(v.to_json(), j);
    }

    #[test]
    fn text_forms() {
        assert_eq!(Value::Float(3.0).to_text(), "3.0");
        assert_eq!(Value::Float(4.25).to_text(), "4.25");
        let t: jiff::Timestamp = "2026-01-01T00:00:00Z".parse().unwrap_or_default();
        assert_eq!(Value::Timestamp(t).to_text(), "2026-01-01T00:00:00Z");
        assert_eq!(Value::List(vec![Value::Int(1), Value::str("a")]).to_text(), "[1,\"a\"]");
    }
}
