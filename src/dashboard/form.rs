//! `application/x-www-form-urlencoded` bodies and query strings, and building the
//! query strings of the runs page's links.
//!
//! In: raw bytes or pairs. Out: pairs (the first value of a name wins) or an encoded
//! query string. Invalid percent escapes are kept as they are; bad UTF-8 is replaced.

/// The pairs of a form body or query string.
pub fn parse(body: &[u8]) -> Vec<(String, String)> {
    body.split(|b| *b == b'&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut halves = part.splitn(2, |b| *b == b'=');
            let name = decode(halves.next().unwrap_or_default());
            let value = decode(halves.next().unwrap_or_default());
            (name, value)
        })
        .collect()
}

/// The first value of `name`, if present and not empty.
pub fn value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).filter(|v| !v.trim().is_empty())
}

fn decode(text: &[u8]) -> String {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while let Some(&b) = text.get(i) {
        match b {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = text.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a query component.
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(b)),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `a=1&b=2` from the pairs whose value is not empty.
pub fn query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_forms_and_round_trips_queries() {
        let pairs = parse(b"key=komo_%41b+c&csrf=&x=%zz&=v&flag");
        assert_eq!(
            pairs,
            vec![
                ("key".into(), "komo_Ab c".into()),
                ("csrf".into(), "".into()),
                ("x".into(), "%zz".into()),
                ("".into(), "v".into()),
                ("flag".into(), "".into()),
            ]
        );
        assert_eq!(value(&pairs, "key"), Some("komo_Ab c"));
        assert_eq!(value(&pairs, "csrf"), None);
        let q = query(&[("workflow", "a b&c"), ("status", ""), ("hub", "é")]);
        assert_eq!(q, "workflow=a%20b%26c&hub=%C3%A9");
        assert_eq!(
            parse(q.as_bytes()),
            vec![("workflow".into(), "a b&c".into()), ("hub".into(), "é".into())]
        );
        assert_eq!(parse(b"%"), vec![("%".into(), "".into())]);
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_parse_and_any_text_round_trips(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64), text in "\\PC*") {
            let _ = parse(&bytes);
            let q = query(&[("k", &text)]);
            let expected = if text.is_empty() { vec![] } else { vec![("k".to_string(), text.clone())] };
            proptest::prop_assert_eq!(parse(q.as_bytes()), expected);
        }
    }
}
