//! Plausible outputs of external actions, which the sandbox records instead of sending.
//!
//! In: the action, the step, the run id and the arguments. Out: the output a real
//! provider would give, made deterministically (the same run and step always get the
//! same ids, so retries and repeated test runs agree).

use std::collections::BTreeMap;

use crate::catalog::ActionId;
use crate::runtime::value::Value;

/// The default output of an external action (an empty record for any action without a
/// specific one).
pub fn default_output(action: ActionId, step: &str, run_id: &str, args: &BTreeMap<String, Value>) -> Value {
    let field = |name: &str| args.get(name).cloned().unwrap_or(Value::Null);
    let text = |name: &str| args.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
    let one = |name: &str, value: Value| Value::record([(name.to_string(), value)]);
    match action {
        ActionId::ContactSendEmail | ActionId::ContactSendSms => {
            one("message_id", Value::str(format!("msg_{run_id}_{step}")))
        }
        ActionId::SalesforceCreateObject => {
            let id = format!("{}{}", salesforce_prefix(&text("object")), base62(&[run_id, step], 15));
            one("id", Value::str(id))
        }
        ActionId::SalesforceGetObject => one("record", one("Id", field("id"))),
        ActionId::MailchimpUpsertSubscriber => {
            let email = text("email").to_lowercase();
            let id = format!("{:016x}{:016x}", hash(&[&email], 1), hash(&[&email], 2));
            one("id", Value::str(id))
        }
        ActionId::HttpRequest => Value::record([
            ("status".to_string(), Value::Int(200)),
            ("headers".to_string(), Value::Record(BTreeMap::new())),
            ("body".to_string(), Value::str("")),
            ("json".to_string(), Value::Null),
        ]),
        _ => Value::Record(BTreeMap::new()),
    }
}

/// The key prefix Salesforce gives records of an object type.
fn salesforce_prefix(object: &str) -> &'static str {
    match object {
        "Account" => "001",
        "Contact" => "003",
        "Opportunity" => "006",
        "Case" => "500",
        "Campaign" => "701",
        "Lead" => "00Q",
        _ => "a0Q",
    }
}

/// `len` letters and digits derived from `parts`.
fn base62(parts: &[&str], len: usize) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut state = hash(parts, 0);
    (0..len)
        .map(|_| {
            state = mix(state.wrapping_add(0x9E37_79B9_7F4A_7C15));
            let index = usize::try_from(state % 62).unwrap_or(0);
            ALPHABET.get(index).map_or('0', |b| char::from(*b))
        })
        .collect()
}

/// FNV-1a over the parts (each followed by a separator), finished by a mix; `salt`
/// gives independent hashes of the same parts.
pub(super) fn hash(parts: &[&str], salt: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ salt;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    mix(h)
}

/// splitmix64's finaliser.
pub(super) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
