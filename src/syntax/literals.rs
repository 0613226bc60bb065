//! Decoding of literal tokens: string escapes, numbers and durations.
//!
//! In: the text of one token as the grammar (or the prescan) delimited it. Out: its
//! value, or what is wrong with it and where (byte ranges relative to the token). The
//! grammar is deliberately lenient here (`3y` lexes as one number token, `\q` as one
//! escape) so that these errors get precise, friendly diagnostics instead of a generic
//! "expected …".

use std::ops::Range;

/// Why an escape sequence is invalid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EscapeProblem {
    /// `\q`: not one of the escapes.
    Unknown,
    /// `\u` without braces, or with something other than 1–6 hex digits of a scalar
    /// value.
    BadUnicode,
}

/// Decodes the escape that starts right after a backslash.
///
/// Returns how many bytes of `rest` the escape takes and its character. The length
/// agrees with the grammar's `string_escape` rule: `\u{…}` takes everything up to the
/// closing brace when there is one on the line, otherwise only the `u`. A line break
/// or the end of the text right after the backslash takes nothing.
pub(crate) fn decode_escape(rest: &str) -> (usize, Result<char, EscapeProblem>) {
    let Some(first) = rest.chars().next() else {
        return (0, Err(EscapeProblem::Unknown));
    };
    let simple = match first {
        '"' => Some('"'),
        '\\' => Some('\\'),
        'n' => Some('\n'),
        't' => Some('\t'),
        'r' => Some('\r'),
        '$' => Some('$'),
        '\n' | '\r' => return (0, Err(EscapeProblem::Unknown)),
        _ => None,
    };
    if let Some(c) = simple {
        return (1, Ok(c));
    }
    if first != 'u' {
        return (first.len_utf8(), Err(EscapeProblem::Unknown));
    }
    let Some(braced) = rest.strip_prefix("u{") else {
        return (1, Err(EscapeProblem::BadUnicode));
    };
    let end = braced.find(['}', '"', '\n', '\r']);
    let Some(close) = end.filter(|&i| braced.as_bytes().get(i) == Some(&b'}')) else {
        return (1, Err(EscapeProblem::BadUnicode));
    };
    let digits = braced.get(..close).unwrap_or("");
    let len = 2 + close + 1;
    let valid = (1..=6).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_hexdigit());
    let decoded = valid.then(|| u32::from_str_radix(digits, 16).ok()).flatten().and_then(char::from_u32);
    match decoded {
        Some(c) => (len, Ok(c)),
        None => (len, Err(EscapeProblem::BadUnicode)),
    }
}

/// The value of a number token.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Number {
    Int(i64),
    Float(f64),
    /// Milliseconds.
    Duration(i64),
}

/// Why a duration is invalid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DurationProblem {
    UnknownUnit(String),
    /// `1h30`: the last number has no unit.
    MissingUnit(String),
    /// `30s1m` or `1h1h`.
    UnitOrder(String),
    /// `1.5h`.
    Fractional,
}

/// Why a number token has no value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum NumberProblem {
    /// Where in the token, and what.
    Duration(Range<usize>, DurationProblem),
    /// The value does not fit (K0009).
    TooLarge,
}

const UNITS: [(&str, i64); 6] = [
    ("w", 7 * 24 * 60 * 60 * 1000),
    ("d", 24 * 60 * 60 * 1000),
    ("h", 60 * 60 * 1000),
    ("m", 60 * 1000),
    ("s", 1000),
    ("ms", 1),
];

/// Length of the leading run of bytes matching `pred`.
fn run_len(text: &str, pred: impl Fn(u8) -> bool) -> usize {
    text.bytes().take_while(|&b| pred(b)).count()
}

fn is_digit_or_underscore(b: u8) -> bool {
    b.is_ascii_digit() || b == b'_'
}

fn parse_int(digits: &str) -> Result<i64, NumberProblem> {
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    clean.parse::<i64>().map_err(|_| NumberProblem::TooLarge)
}

/// Decodes a number token: `42`, `1_000`, `4.5`, `90s`, `1h30m`.
///
/// The token is `digits ("." digits)? (alnum | "_")*`, as the grammar lexes it.
pub(crate) fn decode_number(text: &str) -> Result<Number, NumberProblem> {
    let int_len = run_len(text, is_digit_or_underscore);
    let int_part = text.get(..int_len).unwrap_or("");
    let mut rest = text.get(int_len..).unwrap_or("");
    let mut fraction = None;
    if let Some(after_dot) = rest.strip_prefix('.') {
        let frac_len = run_len(after_dot, is_digit_or_underscore);
        if frac_len > 0 {
            fraction = after_dot.get(..frac_len);
            rest = after_dot.get(frac_len..).unwrap_or("");
        }
    }
    let suffix_start = text.len() - rest.len();
    if rest.is_empty() {
        return match fraction {
            None => parse_int(int_part).map(Number::Int),
            Some(frac) => {
                let clean: String = format!("{int_part}.{frac}").chars().filter(|&c| c != '_').collect();
                match clean.parse::<f64>() {
                    Ok(v) if v.is_finite() => Ok(Number::Float(v)),
                    _ => Err(NumberProblem::TooLarge),
                }
            }
        };
    }
    let millis = decode_duration_units(int_part, rest, suffix_start)?;
    if fraction.is_some() {
        return Err(NumberProblem::Duration(0..text.len(), DurationProblem::Fractional));
    }
    Ok(Number::Duration(millis))
}

/// Decodes `<unit> (<digits> <unit>)*` after a first amount; `base` is where `rest`
/// starts in the token.
fn decode_duration_units(first: &str, rest: &str, base: usize) -> Result<i64, NumberProblem> {
    let mut amount_text = first;
    let mut rest = rest;
    let mut at = base;
    let mut total: i64 = 0;
    let mut smallest_so_far: Option<usize> = None;
    loop {
        let unit_len = run_len(rest, |b| b.is_ascii_alphabetic());
        let unit = rest.get(..unit_len).unwrap_or("");
        let unit_range = at..at + unit_len;
        if unit.is_empty() {
            // A number followed by `_`/digits only, or a missing unit at the end.
            let problem = DurationProblem::MissingUnit(amount_text.to_owned());
            let start = at.saturating_sub(amount_text.len());
            return Err(NumberProblem::Duration(start..at, problem));
        }
        let Some(index) = UNITS.iter().position(|(name, _)| *name == unit) else {
            let problem = DurationProblem::UnknownUnit(unit.to_owned());
            return Err(NumberProblem::Duration(unit_range, problem));
        };
        if smallest_so_far.is_some_and(|previous| index <= previous) {
            let problem = DurationProblem::UnitOrder(unit.to_owned());
            return Err(NumberProblem::Duration(unit_range, problem));
        }
        smallest_so_far = Some(index);
        let unit_millis = UNITS.get(index).map_or(1, |(_, ms)| *ms);
        let amount = parse_int(amount_text)?;
        total = amount
            .checked_mul(unit_millis)
            .and_then(|ms| total.checked_add(ms))
            .ok_or(NumberProblem::TooLarge)?;
        rest = rest.get(unit_len..).unwrap_or("");
        at += unit_len;
        if rest.is_empty() {
            return Ok(total);
        }
        let digits_len = run_len(rest, is_digit_or_underscore);
        if digits_len == 0 {
            // Letters right after a unit were taken into it, so this is `_`-free
            // garbage that cannot happen; report it as an unknown unit to be safe.
            let problem = DurationProblem::UnknownUnit(rest.to_owned());
            return Err(NumberProblem::Duration(at..at + rest.len(), problem));
        }
        amount_text = rest.get(..digits_len).unwrap_or("");
        rest = rest.get(digits_len..).unwrap_or("");
        at += digits_len;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_floats_and_underscores() {
        assert_eq!(decode_number("42"), Ok(Number::Int(42)));
        assert_eq!(decode_number("1_000"), Ok(Number::Int(1000)));
        assert_eq!(decode_number("4.5"), Ok(Number::Float(4.5)));
        assert_eq!(decode_number("99999999999999999999"), Err(NumberProblem::TooLarge));
    }

    #[test]
    fn durations_in_milliseconds() {
        assert_eq!(decode_number("1h30m"), Ok(Number::Duration(5_400_000)));
        assert_eq!(decode_number("90s"), Ok(Number::Duration(90_000)));
        assert_eq!(decode_number("500ms"), Ok(Number::Duration(500)));
        assert_eq!(decode_number("2d"), Ok(Number::Duration(172_800_000)));
        assert_eq!(decode_number("1w"), Ok(Number::Duration(604_800_000)));
        assert_eq!(decode_number("1m30s500ms"), Ok(Number::Duration(90_500)));
    }

    #[test]
    fn duration_problems_point_into_the_token() {
        assert_eq!(
            decode_number("3y"),
            Err(NumberProblem::Duration(1..2, DurationProblem::UnknownUnit("y".to_owned())))
        );
        assert_eq!(
            decode_number("1h30"),
            Err(NumberProblem::Duration(2..4, DurationProblem::MissingUnit("30".to_owned())))
        );
        assert_eq!(
            decode_number("30s1m"),
            Err(NumberProblem::Duration(4..5, DurationProblem::UnitOrder("m".to_owned())))
        );
        assert_eq!(decode_number("1.5h"), Err(NumberProblem::Duration(0..4, DurationProblem::Fractional)));
        assert_eq!(decode_number("9999999999999999w"), Err(NumberProblem::TooLarge));
    }

    #[test]
    fn escapes() {
        assert_eq!(decode_escape("n rest"), (1, Ok('\n')));
        assert_eq!(decode_escape("$"), (1, Ok('$')));
        assert_eq!(decode_escape("u{1F600}x"), (8, Ok('😀')));
        assert_eq!(decode_escape("q"), (1, Err(EscapeProblem::Unknown)));
        assert_eq!(decode_escape("é"), (2, Err(EscapeProblem::Unknown)));
        assert_eq!(decode_escape("u{D800}"), (7, Err(EscapeProblem::BadUnicode)));
        assert_eq!(decode_escape("u{}"), (3, Err(EscapeProblem::BadUnicode)));
        assert_eq!(decode_escape("u12"), (1, Err(EscapeProblem::BadUnicode)));
        assert_eq!(decode_escape("u{12\""), (1, Err(EscapeProblem::BadUnicode)));
        assert_eq!(decode_escape("\n"), (0, Err(EscapeProblem::Unknown)));
    }
}
