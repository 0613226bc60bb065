//! Converting values to Komo types at run time.
//!
//! In: a [`Value`] (from event JSON, a test record or an expression) and an [`ir::Ty`].
//! Out: the value in that type's form (an RFC 3339 string becomes a `Timestamp`, `"3m"`
//! a `Duration`, an `Int` a `Float`), or an [`EnvelopeError`] naming the path of the
//! part that does not fit. Used for envelopes, test events, `form` and `as`.
//!
//! [`ir::Ty`]: crate::ir::Ty

use std::collections::BTreeMap;

use super::{EnvelopeError, TEST_EPOCH, join};
use crate::check::literals::{check_email, check_phone, check_timestamp, check_url};
use crate::ir::Ty;
use crate::runtime::value::Value;

/// Converts `value` to `ty`, checking formats: `Email`/`Phone`/`Url` strings are
/// validated, a `Timestamp` comes from RFC 3339 text, a `Duration` from `"1h30m"`,
/// `"PT90M"` or whole milliseconds, an `Int` from an `Int` or a whole `Float`, a
/// `Float` from either, `T?` accepts `null`, lists and records convert element by
/// element (a record keeps keys its type does not list), a catalog record (`Card`) is
/// taken as it is, and `Json` takes anything but a `Secret`.
pub fn convert(value: &Value, ty: &Ty, path: &str) -> Result<Value, EnvelopeError> {
    let mismatch = || EnvelopeError::new(path, format!("expected {}, found {}", expected(ty), found(value)));
    let bad_format = |reason: &str| {
        EnvelopeError::new(path, format!("expected {}, found {} ({reason})", expected(ty), found(value)))
    };
    match ty {
        Ty::Optional(inner) => match value {
            Value::Null => Ok(Value::Null),
            _ => convert(value, inner, path),
        },
        Ty::Json | Ty::Never => match value {
            _ if value.contains_secret() => Err(mismatch()),
            _ => Ok(value.clone()),
        },
        Ty::Null => match value {
            Value::Null => Ok(Value::Null),
            _ => Err(mismatch()),
        },
        Ty::String => match value {
            Value::String(_) => Ok(value.clone()),
            _ => Err(mismatch()),
        },
        Ty::Email | Ty::Phone | Ty::Url => {
            let Value::String(text) = value else { return Err(mismatch()) };
            let check = match ty {
                Ty::Email => check_email(text),
                Ty::Phone => check_phone(text),
                _ => check_url(text),
            };
            check.map(|()| value.clone()).map_err(bad_format)
        }
        Ty::Int => match value {
            Value::Int(_) => Ok(value.clone()),
            Value::Float(f) => whole_float(*f).map(Value::Int).ok_or_else(mismatch),
            _ => Err(mismatch()),
        },
        Ty::Float => match value {
            Value::Float(_) => Ok(value.clone()),
            Value::Int(i) => Ok(Value::Float(*i as f64)),
            _ => Err(mismatch()),
        },
        Ty::Bool => match value {
            Value::Bool(_) => Ok(value.clone()),
            _ => Err(mismatch()),
        },
        Ty::Duration => match value {
            Value::Duration(_) => Ok(value.clone()),
            Value::Int(ms) if *ms >= 0 => Ok(Value::Duration(*ms)),
            Value::String(text) => parse_duration(text).map(Value::Duration).map_err(bad_format),
            _ => Err(mismatch()),
        },
        Ty::Timestamp => match value {
            Value::Timestamp(_) => Ok(value.clone()),
            Value::String(text) => check_timestamp(text).map(Value::Timestamp).map_err(bad_format),
            _ => Err(mismatch()),
        },
        Ty::Secret => match value {
            Value::Secret(_) => Ok(value.clone()),
            _ => Err(mismatch()),
        },
        Ty::StringOrSecret => match value {
            Value::String(_) | Value::Secret(_) => Ok(value.clone()),
            _ => Err(mismatch()),
        },
        Ty::List(element) => {
            let Value::List(items) = value else { return Err(mismatch()) };
            let converted = items
                .iter()
                .enumerate()
                .map(|(i, item)| convert(item, element, &format!("{path}[{i}]")))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::List(converted))
        }
        Ty::Map(element) => {
            let Value::Record(fields) = value else { return Err(mismatch()) };
            let converted = fields
                .iter()
                .map(|(k, v)| Ok((k.clone(), convert(v, element, &join(path, k))?)))
                .collect::<Result<BTreeMap<_, _>, EnvelopeError>>()?;
            Ok(Value::Record(converted))
        }
        Ty::Record(declared) => {
            let Value::Record(fields) = value else { return Err(mismatch()) };
            let mut out = fields.clone();
            for (name, field_ty) in declared {
                let field_path = join(path, name);
                let converted = match fields.get(name) {
                    Some(v) => convert(v, field_ty, &field_path)?,
                    None if accepts_null(field_ty) => Value::Null,
                    None => return Err(missing(&field_path, field_ty)),
                };
                out.insert(name.clone(), converted);
            }
            Ok(Value::Record(out))
        }
        Ty::Named(_) => match value {
            Value::Record(_) => Ok(value.clone()),
            _ => Err(mismatch()),
        },
    }
}

/// Types `event.fields` by a workflow's `form`: each declared field is converted to its
/// type (a missing or unfit one is an error naming `fields.<name>`; an optional one may
/// be missing or `null`), undeclared fields are kept as they are.
pub fn apply_form(form: &[(String, Ty)], fields: &Value) -> Result<Value, EnvelopeError> {
    let mut out = match fields {
        Value::Record(fields) => fields.clone(),
        Value::Null => BTreeMap::new(),
        other => {
            let message = format!("expected a record of form fields, found {}", found(other));
            return Err(EnvelopeError::new("fields", message));
        }
    };
    for (name, ty) in form {
        let path = join("fields", name);
        let converted = match out.get(name) {
            Some(v) => convert(v, ty, &path)?,
            None if accepts_null(ty) => Value::Null,
            None => {
                let message = format!("missing; the workflow's `form` declares it as {ty}");
                return Err(EnvelopeError::new(&path, message));
            }
        };
        out.insert(name.clone(), converted);
    }
    Ok(Value::Record(out))
}

/// Whether `null` fits the type (so a missing field may stay `null`).
pub fn accepts_null(ty: &Ty) -> bool {
    matches!(ty, Ty::Optional(_) | Ty::Json | Ty::Null | Ty::Never)
}

/// The value a test gets for an omitted field of this type: `false`, `0`, `""`, `[]`,
/// `0s`, an empty record, 2026-01-01T00:00:00Z, and `null` for optional and `Json`.
pub fn zero_value(ty: &Ty) -> Value {
    match ty {
        Ty::Bool => Value::Bool(false),
        Ty::Int => Value::Int(0),
        Ty::Float => Value::Float(0.0),
        Ty::String | Ty::Email | Ty::Phone | Ty::Url => Value::str(""),
        Ty::Duration => Value::Duration(0),
        Ty::Timestamp => Value::Timestamp(TEST_EPOCH),
        Ty::List(_) => Value::List(Vec::new()),
        Ty::Map(_) | Ty::Named(_) => Value::Record(BTreeMap::new()),
        Ty::Record(fields) => Value::record(fields.iter().map(|(n, t)| (n.clone(), zero_value(t)))),
        Ty::Optional(_) | Ty::Json | Ty::Null | Ty::Never | Ty::Secret | Ty::StringOrSecret => Value::Null,
    }
}

pub(super) fn missing(path: &str, ty: &Ty) -> EnvelopeError {
    EnvelopeError::new(path, format!("missing; expected {}", expected(ty)))
}

/// `an Int`, `a List<String>`, `an Email or null`: what a type is, for messages.
pub(super) fn expected(ty: &Ty) -> String {
    match ty {
        Ty::Optional(inner) => format!("{} or null", expected(inner)),
        Ty::Json | Ty::Never => "any value but a Secret".into(),
        Ty::Null => "null".into(),
        Ty::StringOrSecret => "a String or a Secret".into(),
        Ty::Map(_) => "a record".into(),
        Ty::Record(_) => format!("a record {ty}"),
        Ty::Named(name) => format!("{} {name} record", article(name)),
        other => {
            let text = other.to_string();
            format!("{} {text}", article(&text))
        }
    }
}

fn article(word: &str) -> &'static str {
    if word.starts_with(['A', 'E', 'I', 'O']) { "an" } else { "a" }
}

/// `"yes"`, `42`, `null`, `a List`: what a value is, for messages.
pub(super) fn found(value: &Value) -> String {
    match value {
        Value::String(s) => {
            let short: String = s.chars().take(40).collect();
            let ellipsis = if short.len() < s.len() { "…" } else { "" };
            format!("{}{ellipsis}", serde_json::Value::String(short))
        }
        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) => value.to_text(),
        other => other.kind().into(),
    }
}

/// A float with no fraction that fits an `i64`.
fn whole_float(f: f64) -> Option<i64> {
    // 2^63 as f64 is exact; anything at or beyond it does not fit.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    (f.is_finite() && f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f)).then_some(f as i64)
}

const UNITS: [(&str, i64); 6] =
    [("w", 604_800_000), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)];

const DURATION_FORMS: &str = "a duration is written like `90s`, `1h30m` or `PT1H30M`";

/// A duration in milliseconds from Komo's form (`3m`, `1h30m`, units `w d h m s ms`
/// from largest to smallest) or ISO 8601 (`PT3M`, `P1DT2H`, `PT0.5S`; years and months
/// are refused, their length varies).
pub fn parse_duration(text: &str) -> Result<i64, &'static str> {
    let text = text.trim();
    match text.strip_prefix(['P', 'p']) {
        Some(iso) => parse_iso_duration(iso),
        None => parse_komo_duration(text),
    }
}

fn parse_komo_duration(text: &str) -> Result<i64, &'static str> {
    let mut rest = text;
    let mut total: i64 = 0;
    let mut smallest: Option<usize> = None;
    if rest.is_empty() {
        return Err(DURATION_FORMS);
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let unit_len = rest.get(digits..).unwrap_or("").bytes().take_while(u8::is_ascii_alphabetic).count();
        let (Some(amount), Some(unit)) = (rest.get(..digits), rest.get(digits..digits + unit_len)) else {
            return Err(DURATION_FORMS);
        };
        let index = UNITS.iter().position(|(name, _)| *name == unit).ok_or(DURATION_FORMS)?;
        if amount.is_empty() || smallest.is_some_and(|previous| index <= previous) {
            return Err(DURATION_FORMS);
        }
        smallest = Some(index);
        let unit_ms = UNITS.get(index).map_or(1, |(_, ms)| *ms);
        total = amount
            .parse::<i64>()
            .ok()
            .and_then(|n| n.checked_mul(unit_ms))
            .and_then(|ms| total.checked_add(ms))
            .ok_or("the duration is too long")?;
        rest = rest.get(digits + unit_len..).unwrap_or("");
    }
    Ok(total)
}

fn parse_iso_duration(text: &str) -> Result<i64, &'static str> {
    let upper = text.to_ascii_uppercase();
    let (date, time) = match upper.split_once('T') {
        Some((date, time)) if !time.is_empty() => (date, Some(time)),
        Some(_) => return Err(DURATION_FORMS),
        None => (upper.as_str(), None),
    };
    if date.is_empty() && time.is_none() {
        return Err(DURATION_FORMS);
    }
    let date_ms = iso_part(date, &[('W', 604_800_000), ('D', 86_400_000)])?;
    let time_ms = match time {
        Some(time) => iso_part(time, &[('H', 3_600_000), ('M', 60_000), ('S', 1000)])?,
        None => 0,
    };
    date_ms.checked_add(time_ms).ok_or("the duration is too long")
}

/// One part of an ISO 8601 duration (`1DT` before the `T`, `2H30M` after), with its
/// allowed units in order; only seconds may have a fraction (kept to milliseconds).
fn iso_part(text: &str, units: &[(char, i64)]) -> Result<i64, &'static str> {
    let mut total: i64 = 0;
    let mut next_unit = 0;
    let mut rest = text;
    while !rest.is_empty() {
        let len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ',')).ok_or(DURATION_FORMS)?;
        let amount = rest.get(..len).unwrap_or("");
        let unit = rest.get(len..).and_then(|r| r.chars().next()).ok_or(DURATION_FORMS)?;
        if matches!(unit, 'Y') || (unit == 'M' && units.iter().any(|(u, _)| *u == 'D')) {
            return Err("a duration cannot count years or months; their length varies");
        }
        let offset = units.iter().skip(next_unit).position(|(u, _)| *u == unit).ok_or(DURATION_FORMS)?;
        let index = next_unit + offset;
        next_unit = index + 1;
        let unit_ms = units.get(index).map_or(1, |(_, ms)| *ms);
        let ms = iso_amount(amount, unit_ms, unit == 'S')?;
        total = total.checked_add(ms).ok_or("the duration is too long")?;
        rest = rest.get(len + 1..).unwrap_or("");
    }
    Ok(total)
}

fn iso_amount(amount: &str, unit_ms: i64, fraction_allowed: bool) -> Result<i64, &'static str> {
    let (whole, fraction) = match amount.split_once(['.', ',']) {
        Some((whole, fraction)) if fraction_allowed => (whole, fraction),
        Some(_) => return Err("only seconds may have a fraction in an ISO 8601 duration"),
        None => (amount, ""),
    };
    if whole.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(DURATION_FORMS);
    }
    let whole_ms = whole.parse::<i64>().ok().and_then(|n| n.checked_mul(unit_ms));
    let millis: String = fraction.chars().chain("000".chars()).take(3).collect();
    let fraction_ms = millis.parse::<i64>().unwrap_or(0);
    whole_ms.and_then(|ms| ms.checked_add(fraction_ms)).ok_or("the duration is too long")
}
