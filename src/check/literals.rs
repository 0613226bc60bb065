//! Format checks for `Email`, `Phone`, `Url` and `Timestamp` values.
//!
//! In: a string (a literal at compile time, a converted value at run time). Out: whether
//! it fits, and for failures a short reason for the diagnostic. The runtime uses the same
//! functions for `as Email` and friends, so both stages agree.

/// Why a literal does not fit, in words for a diagnostic's label.
pub type Reason = &'static str;

/// `local@domain.tld`: one `@`, no spaces, a dot in the domain, no empty labels.
pub fn check_email(text: &str) -> Result<(), Reason> {
    let Some((local, domain)) = text.split_once('@') else {
        return Err("an email address needs an `@`");
    };
    if local.is_empty() || domain.is_empty() || domain.contains('@') {
        return Err("an email address is `name@domain`");
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("an email address cannot contain spaces");
    }
    if !domain.contains('.') || domain.split('.').any(str::is_empty) {
        return Err("the domain needs a dot, such as `example.com`");
    }
    if text.len() > 254 {
        return Err("an email address is at most 254 characters");
    }
    Ok(())
}

/// E.164: `+`, a country code not starting with 0, 7 to 15 digits in all.
pub fn check_phone(text: &str) -> Result<(), Reason> {
    let Some(digits) = text.strip_prefix('+') else {
        return Err("a phone number is written in international form, such as `+61400000000`");
    };
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err("a phone number holds only digits after the `+`");
    }
    if digits.starts_with('0') || !(7..=15).contains(&digits.len()) {
        return Err("a phone number has a country code and 7 to 15 digits");
    }
    Ok(())
}

/// An absolute `http` or `https` URL with a host.
pub fn check_url(text: &str) -> Result<(), Reason> {
    let rest = url_after_scheme(text)?;
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = rest.get(..host_end).unwrap_or("");
    check_authority(authority)?;
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("a URL cannot contain spaces; encode them as `%20`");
    }
    Ok(())
}

/// Whether an interpolated URL's literal start fixes its scheme and host: the text
/// before the first `${` must hold the whole authority and the character that ends it.
pub fn check_url_prefix(prefix: &str) -> Result<(), Reason> {
    let rest = url_after_scheme(prefix)?;
    let Some(host_end) = rest.find(['/', '?', '#']) else {
        return Err("the text before `${` must fix the host, up to the `/` after it");
    };
    check_authority(rest.get(..host_end).unwrap_or(""))
}

fn url_after_scheme(text: &str) -> Result<&str, Reason> {
    let lower = text.get(..8).unwrap_or(text).to_ascii_lowercase();
    if lower.starts_with("https://") {
        Ok(text.get(8..).unwrap_or(""))
    } else if lower.starts_with("http://") {
        Ok(text.get(7..).unwrap_or(""))
    } else {
        Err("a URL starts with `https://` or `http://`")
    }
}

fn check_authority(authority: &str) -> Result<(), Reason> {
    if authority.contains('@') {
        return Err("a URL cannot carry credentials; use `headers` with a secret");
    }
    let (host, port) = if authority.starts_with('[') {
        match authority.rfind("]:") {
            Some(i) => (authority.get(..=i).unwrap_or(""), authority.get(i + 2..)),
            None => (authority, None),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if let Some(port) = port {
        if port.parse::<u16>().is_err() {
            return Err("the port must be a number up to 65535");
        }
    }
    let valid_host = if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        !v6.is_empty() && v6.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
    } else {
        !host.is_empty()
            && host.split('.').all(|label| {
                !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
    };
    if valid_host { Ok(()) } else { Err("the URL needs a valid host, such as `api.example.com`") }
}

/// RFC 3339 with an offset: `2026-03-01T10:00:00Z`.
pub fn check_timestamp(text: &str) -> Result<jiff::Timestamp, Reason> {
    text.parse::<jiff::Timestamp>()
        .map_err(|_| "a timestamp is written in RFC 3339 form, such as `2026-03-01T10:00:00Z`")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(check_email("ana@example.com").is_ok());
        assert!(check_email("a.b+c@sub.example.co.uk").is_ok());
        for bad in
            ["not-an-email", "@example.com", "ana@", "ana@example", "a b@example.com", "a@b@c.com", "a@.com"]
        {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn phones() {
        assert!(check_phone("+61400000000").is_ok());
        assert!(check_phone("+15550100").is_ok());
        for bad in ["0400000000", "+0400000000", "+61 400", "+123", "+1234567890123456"] {
            assert!(check_phone(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls() {
        for good in [
            "https://hooks.example.com/leads",
            "http://127.0.0.1:9000/x?y=1",
            "https://api.example.com",
            "https://[::1]:8080/",
        ] {
            assert!(check_url(good).is_ok(), "{good}");
        }
        for bad in [
            "ftp://x.com",
            "example.com",
            "https://",
            "https://a b.com/",
            "https://u:p@x.com/",
            "https://x.com:99999/",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn url_prefixes_must_fix_the_host() {
        assert!(check_url_prefix("https://api.example.com/users/").is_ok());
        assert!(check_url_prefix("https://api.example.com/").is_ok());
        assert!(check_url_prefix("https://api.").is_err());
        assert!(check_url_prefix("https://").is_err());
        assert!(check_url_prefix("").is_err());
    }

    #[test]
    fn timestamps() {
        assert!(check_timestamp("2026-03-01T10:00:00Z").is_ok());
        assert!(check_timestamp("2026-03-01T10:00:00+10:00").is_ok());
        assert!(check_timestamp("2026-03-01").is_err());
        assert!(check_timestamp("yesterday").is_err());
    }
}
