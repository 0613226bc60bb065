//! A tolerant token scan for completion, which must work on half-typed text.
//!
//! In: a document's text, however broken. Out: tokens (words, numbers, punctuation;
//! strings as single tokens, with the code inside `${…}` scanned as code), and the
//! spans of comments and string text, so completion can tell where the cursor is
//! without a parse. Nothing here fails: unknown bytes become `Other` tokens, an
//! unterminated string or comment ends at the end of its line or of the text.

use crate::source::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Word,
    Number,
    /// A string literal's text (a whole literal, or the parts around `${…}`).
    Str,
    /// One punctuation character, or `->`, `??`, `==`, `!=`, `<=`, `>=`, `${`.
    Punct,
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub span: Span,
}

impl Token {
    pub fn text<'t>(&self, text: &'t str) -> &'t str {
        text.get(self.span.range()).unwrap_or("")
    }
}

/// The scan of one text.
#[derive(Debug, Default)]
pub struct Scan {
    pub tokens: Vec<Token>,
    /// Comments and the text of string literals: no completion there.
    pub quiet: Vec<Span>,
}

impl Scan {
    pub fn is_quiet(&self, offset: usize) -> bool {
        self.quiet.iter().any(|s| (s.start as usize) < offset && offset <= s.end as usize)
    }
}

pub fn scan(text: &str) -> Scan {
    let bytes = text.as_bytes();
    let mut out = Scan::default();
    let mut i = 0usize;
    // For each open `${`: the brace depth inside it.
    let mut interps: Vec<usize> = Vec::new();
    let mut in_string = false;
    let mut string_start = 0usize;
    let push = |out: &mut Scan, kind, start: usize, end: usize| {
        out.tokens.push(Token { kind, span: Span::new(start, end) });
    };
    while i < bytes.len() {
        let b = bytes.get(i).copied().unwrap_or(0);
        if in_string {
            match b {
                b'\\' => i += 2,
                b'"' | b'\n' => {
                    out.quiet.push(Span::new(string_start, i));
                    let end = if b == b'"' { i + 1 } else { i };
                    push(&mut out, Kind::Str, string_start, end);
                    in_string = false;
                    i += 1;
                }
                b'$' if bytes.get(i + 1) == Some(&b'{') => {
                    out.quiet.push(Span::new(string_start, i));
                    push(&mut out, Kind::Str, string_start, i);
                    push(&mut out, Kind::Punct, i, i + 2);
                    interps.push(0);
                    in_string = false;
                    i += 2;
                }
                _ => i += 1,
            }
            continue;
        }
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = text.get(i..).and_then(|t| t.find('\n')).map_or(bytes.len(), |n| i + n);
                out.quiet.push(Span::new(i, end));
                i = end;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = text.get(i + 2..).and_then(|t| t.find("*/")).map_or(bytes.len(), |n| i + 2 + n + 2);
                out.quiet.push(Span::new(i, end));
                i = end;
            }
            b'"' => {
                in_string = true;
                string_start = i;
                i += 1;
            }
            b'{' => {
                if let Some(depth) = interps.last_mut() {
                    *depth += 1;
                }
                push(&mut out, Kind::Punct, i, i + 1);
                i += 1;
            }
            b'}' => {
                push(&mut out, Kind::Punct, i, i + 1);
                i += 1;
                match interps.last_mut() {
                    Some(0) => {
                        interps.pop();
                        in_string = true;
                        string_start = i;
                    }
                    Some(depth) => *depth -= 1,
                    None => {}
                }
            }
            b if b.is_ascii_alphabetic() || b == b'_' => {
                let len = bytes
                    .get(i..)
                    .unwrap_or(&[])
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                    .count();
                push(&mut out, Kind::Word, i, i + len);
                i += len;
            }
            b if b.is_ascii_digit() => {
                let len = bytes
                    .get(i..)
                    .unwrap_or(&[])
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_' || **c == b'.')
                    .count();
                push(&mut out, Kind::Number, i, i + len);
                i += len;
            }
            _ => {
                let two = bytes.get(i..i + 2).unwrap_or(&[]);
                let len = if matches!(two, b"->" | b"??" | b"==" | b"!=" | b"<=" | b">=") { 2 } else { 1 };
                let len = if b.is_ascii() { len } else { utf8_len(b) };
                let kind = if b.is_ascii_punctuation() { Kind::Punct } else { Kind::Other };
                push(&mut out, kind, i, (i + len).min(bytes.len()));
                i += len;
            }
        }
    }
    if in_string {
        out.quiet.push(Span::new(string_start, bytes.len()));
        push(&mut out, Kind::Str, string_start, bytes.len());
    }
    out
}

fn utf8_len(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, &str)> {
        scan(text).tokens.iter().map(|t| (t.kind, t.text(text))).collect()
    }

    #[test]
    fn strings_comments_and_interpolations() {
        let text = "a -> \"x ${contact.first_name} y\" // c\n日 \"open";
        assert_eq!(
            kinds(text),
            vec![
                (Kind::Word, "a"),
                (Kind::Punct, "->"),
                (Kind::Str, "\"x "),
                (Kind::Punct, "${"),
                (Kind::Word, "contact"),
                (Kind::Punct, "."),
                (Kind::Word, "first_name"),
                (Kind::Punct, "}"),
                (Kind::Str, " y\""),
                (Kind::Other, "日"),
                (Kind::Str, "\"open"),
            ]
        );
        let s = scan(text);
        assert!(s.is_quiet(text.find("// c").unwrap_or(0) + 2));
        assert!(s.is_quiet(text.len()));
        assert!(!s.is_quiet(text.find("first").unwrap_or(0)));
    }
}
