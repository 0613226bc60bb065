//! `POST /v1/hooks/{workflow}`: `Webhook.Received`, authenticated by a signature.
//!
//! In: the Standard Webhooks headers (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature`) and the body. Out: the verified envelope for the one workflow.
//! The signature is HMAC-SHA256 over `id.timestamp.body` with the project's secret
//! (`whsec_` + base64), compared in constant time; timestamps more than 5 minutes away
//! from now are refused, so a captured request cannot be replayed later.

use base64::Engine as _;
use hmac::{KeyInit, Mac};

use super::error::{Denied, EngineError, Fault, SignatureRefusal};
use crate::catalog::TriggerId;

/// How far a signature's timestamp may be from now.
pub const TOLERANCE_SECONDS: i64 = 5 * 60;

/// What a refused signature answers (401).
fn refused(why: SignatureRefusal) -> EngineError {
    EngineError::Unauthorized(Denied::Signature(why))
}

/// Checks a Standard Webhooks signature; `now` in seconds.
pub fn verify(
    secret: &str,
    id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now: i64,
) -> Result<(), EngineError> {
    let ts: i64 = timestamp.trim().parse().map_err(|_| refused(SignatureRefusal::TimestampNotNumber))?;
    if (now - ts).abs() > TOLERANCE_SECONDS {
        return Err(refused(SignatureRefusal::TimestampTooFar));
    }
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.trim().trim_start_matches("whsec_"))
        .map_err(|_| Fault::WebhookSecretNotBase64)?;
    for candidate in signatures.split_whitespace() {
        let Some(encoded) = candidate.strip_prefix("v1,") else { continue };
        let Ok(given) = base64::engine::general_purpose::STANDARD.decode(encoded) else { continue };
        let mut mac =
            hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).map_err(|_| Fault::WebhookSecretUnusable)?;
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.trim().as_bytes());
        mac.update(b".");
        mac.update(body);
        if mac.verify_slice(&given).is_ok() {
            return Ok(());
        }
    }
    Err(refused(SignatureRefusal::NoMatch))
}

/// The envelope of a verified webhook: the body (JSON, or text) and the headers.
pub fn envelope(
    id: &str,
    timestamp: i64,
    body: &[u8],
    headers: serde_json::Value,
) -> Result<serde_json::Value, EngineError> {
    let occurred_at =
        jiff::Timestamp::from_second(timestamp).map_err(|_| refused(SignatureRefusal::BadTimestamp))?;
    let body = match super::ingest::read_json(body) {
        Ok(json) => json,
        Err(EngineError::BadRequest(_)) => {
            serde_json::Value::String(String::from_utf8_lossy(body).into_owned())
        }
        Err(other) => return Err(other),
    };
    Ok(serde_json::json!({
        "id": id,
        "type": TriggerId::WebhookReceived.name(),
        "occurred_at": occurred_at.to_string(),
        "data": { "body": body, "headers": headers },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &[u8], id: &str, ts: i64, body: &[u8]) -> String {
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
        mac.update(format!("{id}.{ts}.").as_bytes());
        mac.update(body);
        format!("v1,{}", base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn signatures_are_checked() {
        let key = b"a very secret key";
        let secret = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(key));
        let body = br#"{"order": 1}"#;
        let good = sign(key, "msg_1", 1000, body);
        assert!(verify(&secret, "msg_1", "1000", &good, body, 1010).is_ok());
        assert!(
            verify(&secret, "msg_1", "1000", &format!("v1,AAAA {good}"), body, 1010).is_ok(),
            "any listed"
        );
        assert!(verify(&secret, "msg_2", "1000", &good, body, 1010).is_err(), "other id");
        assert!(verify(&secret, "msg_1", "1000", &good, b"{}", 1010).is_err(), "other body");
        assert!(verify(&secret, "msg_1", "1000", &good, body, 1000 + 301).is_err(), "too old");
        assert!(verify(&secret, "msg_1", "x", &good, body, 1000).is_err());
    }
}
