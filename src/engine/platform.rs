//! The platform's own outbound webhook events (engine.md §3), turned into envelopes.
//!
//! In: the flat JSON the platform posts (`id`, `event`, `timestamp`, `site_*`,
//! `card_*`, `user_profile_id`, per-type ids, and every captured attribute as a
//! top-level key; numbers and booleans possibly as strings). Out: the envelope of
//! engine.md §3, or `None` for event types that are not mapped (accepted and recorded,
//! starting no run).

use serde_json::{Map, Value as J, json};

use super::error::{EngineError, Malformed};
use crate::catalog::TriggerId;

/// Keys of the platform's events that are not captured attributes.
const PLATFORM_KEYS: &[&str] = &[
    "id",
    "event",
    "timestamp",
    "site_id",
    "site_name",
    "user_session_id",
    "user_profile_id",
    "card_id",
    "card_name",
    "card_type",
    "score",
    "correct",
    "competition_entry_id",
    "submission_id",
    "prize_recipient_id",
    "prize_id",
    "prize_name",
];

fn invalid(field: &str, message: impl Into<String>) -> EngineError {
    EngineError::Invalid { message: message.into(), field: Some(field.into()) }
}

/// A string field, also when it arrived as a number.
fn text(obj: &Map<String, J>, key: &str) -> Option<String> {
    match obj.get(key)? {
        J::String(s) if !s.is_empty() => Some(s.clone()),
        J::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn required(obj: &Map<String, J>, key: &str) -> Result<String, EngineError> {
    text(obj, key).ok_or_else(|| invalid(key, format!("`{key}` is missing")))
}

/// `"true"`/`"false"` as booleans; numeric strings of known numeric keys as numbers.
fn coerce(key: &str, value: &J) -> J {
    match value {
        J::String(s) if s == "true" => J::Bool(true),
        J::String(s) if s == "false" => J::Bool(false),
        J::String(s) if matches!(key, "score" | "correct") => {
            s.parse::<i64>().map(J::from).unwrap_or_else(|_| value.clone())
        }
        other => other.clone(),
    }
}

/// RFC 3339 text, or epoch seconds / milliseconds as a number or numeric string.
fn timestamp(obj: &Map<String, J>) -> Result<String, EngineError> {
    let raw = required(obj, "timestamp")?;
    if raw.parse::<jiff::Timestamp>().is_ok() {
        return Ok(raw);
    }
    let n: i64 = raw.parse().map_err(|_| invalid("timestamp", format!("`{raw}` is not a time")))?;
    let t = if n > 100_000_000_000 {
        jiff::Timestamp::from_millisecond(n)
    } else {
        jiff::Timestamp::from_second(n)
    };
    t.map(|t| t.to_string()).map_err(|_| invalid("timestamp", format!("`{raw}` is out of range")))
}

/// The envelope for a platform event, or `None` when its type is not mapped.
pub fn adapt(body: &J) -> Result<Option<(String, String, J)>, EngineError> {
    let obj = body.as_object().ok_or(EngineError::BadRequest(Malformed::PlatformNotObject))?;
    let id = required(obj, "id")?;
    let kind = required(obj, "event")?;
    let trigger = match kind.as_str() {
        "CompetitionEntrySuccess" => TriggerId::GameplayDataCaptured,
        "PrizeAwarded" => TriggerId::PrizeAwarded,
        _ => return Ok(None),
    };
    let occurred_at = timestamp(obj)?;
    let hub = json!({ "id": required(obj, "site_id")?, "name": text(obj, "site_name").unwrap_or_default() });
    let card = json!({
        "id": required(obj, "card_id")?,
        "name": text(obj, "card_name").unwrap_or_default(),
        "type": text(obj, "card_type").unwrap_or_default(),
    });
    let mut contact = Map::new();
    if let Some(profile) = text(obj, "user_profile_id") {
        contact.insert("id".into(), J::String(profile));
    }
    for key in ["email", "phone", "first_name", "last_name"] {
        if let Some(v) = text(obj, key) {
            contact.insert(key.into(), J::String(v));
        }
    }
    let mut envelope = Map::new();
    envelope.insert("id".into(), J::String(id.clone()));
    envelope.insert("type".into(), J::String(trigger.name().into()));
    envelope.insert("occurred_at".into(), J::String(occurred_at));
    if !contact.is_empty() {
        envelope.insert("contact".into(), J::Object(contact));
    }
    envelope.insert("hub".into(), hub);
    envelope.insert("card".into(), card);
    let entry = text(obj, "competition_entry_id").map(|e| json!({ "id": e, "tags": [] }));
    match trigger {
        TriggerId::GameplayDataCaptured => {
            let entry =
                entry.ok_or_else(|| invalid("competition_entry_id", "`competition_entry_id` is missing"))?;
            envelope.insert("entry".into(), entry);
            let fields: Map<String, J> = obj
                .iter()
                .filter(|(k, _)| !PLATFORM_KEYS.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), coerce(k, v)))
                .collect();
            envelope.insert("data".into(), json!({ "qualified": true, "fields": fields }));
        }
        _ => {
            let prize = json!({ "id": required(obj, "prize_id")?, "name": text(obj, "prize_name").unwrap_or_default() });
            envelope.insert("prize".into(), prize);
            if let Some(entry) = entry {
                envelope.insert("entry".into(), entry);
            }
        }
    }
    Ok(Some((id, kind, J::Object(envelope))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_competition_entry_becomes_data_captured() {
        let body = json!({
            "id": "p1", "event": "CompetitionEntrySuccess", "timestamp": "2026-11-29T09:00:00Z",
            "site_id": "s1", "site_name": "Sports", "user_profile_id": "u9",
            "card_id": "c1", "card_name": "Quiz", "card_type": "Quiz", "score": "3",
            "competition_entry_id": "e1", "email": "ana@example.com", "optin": "true", "team": "Reds"
        });
        let (_, _, envelope) = adapt(&body).unwrap().unwrap();
        assert_eq!(envelope["type"], "Gameplay.DataCaptured");
        assert_eq!(envelope["hub"]["id"], "s1");
        assert_eq!(envelope["entry"]["id"], "e1");
        assert_eq!(envelope["contact"], json!({ "id": "u9", "email": "ana@example.com" }));
        assert_eq!(
            envelope["data"]["fields"],
            json!({ "email": "ana@example.com", "optin": true, "team": "Reds" })
        );
        assert!(crate::runtime::event::parse_envelope(&envelope).is_ok(), "{envelope}");
    }

    #[test]
    fn prizes_map_and_other_types_start_nothing() {
        let body = json!({
            "id": "p2", "event": "PrizeAwarded", "timestamp": 1_764_406_800,
            "site_id": "s1", "card_id": "c1", "prize_id": "pr1", "prize_name": "Gift Card", "email": "a@example.com"
        });
        let (_, _, envelope) = adapt(&body).unwrap().unwrap();
        assert_eq!(envelope["prize"]["name"], "Gift Card");
        assert!(crate::runtime::event::parse_envelope(&envelope).is_ok(), "{envelope}");
        let other = json!({ "id": "p3", "event": "CardViewed", "timestamp": "2026-11-29T09:00:00Z" });
        assert!(adapt(&other).unwrap().is_none());
        assert!(matches!(adapt(&json!({ "event": "PrizeAwarded" })), Err(EngineError::Invalid { .. })));
    }
}
