//! Server-side highlighting of `.komo` source for the workflow page.
//!
//! In: source text (any text: it need not parse). Out: lines of classed tokens, which
//! the template wraps in `<span class="…">` (escaped like any other text). A small
//! lexer of its own rather than the parser: a draft with errors is highlighted too.

/// What a token is, as its CSS class (`""` for plain text).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenClass {
    Plain,
    Keyword,
    String,
    Number,
    Comment,
    /// A capitalised name: a trigger (`Contact.Identified`), a type.
    Type,
}

impl TokenClass {
    pub fn css(self) -> &'static str {
        match self {
            TokenClass::Plain => "",
            TokenClass::Keyword => "kw",
            TokenClass::String => "str",
            TokenClass::Number => "num",
            TokenClass::Comment => "com",
            TokenClass::Type => "ty",
        }
    }
}

/// One token of a line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub class: TokenClass,
    pub text: String,
}

/// The grammar's keywords (`grammar/komo.pest`).
const KEYWORDS: &[&str] = &[
    "and",
    "as",
    "backoff",
    "card",
    "contains",
    "continue",
    "else",
    "event",
    "expect",
    "fail",
    "false",
    "form",
    "hub",
    "if",
    "in",
    "let",
    "mock",
    "not",
    "null",
    "on",
    "or",
    "retry",
    "route",
    "scope",
    "step",
    "stop",
    "test",
    "timeout",
    "title",
    "trigger",
    "true",
    "until",
    "wait",
    "where",
    "with",
    "workflow",
    "workspace",
];

/// Splits `source` into lines of tokens.
pub fn highlight(source: &str) -> Vec<Vec<Token>> {
    source.lines().map(line_tokens).collect()
}

fn line_tokens(line: &str) -> Vec<Token> {
    let mut tokens: Vec<Token> = Vec::new();
    let mut push = |class: TokenClass, text: &str| {
        if text.is_empty() {
            return;
        }
        match tokens.last_mut() {
            Some(last) if last.class == class => last.text.push_str(text),
            _ => tokens.push(Token { class, text: text.to_string() }),
        }
    };
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        let (class, len) = if rest.starts_with("//") {
            (TokenClass::Comment, rest.len())
        } else if c == '"' {
            (TokenClass::String, string_len(rest))
        } else if c.is_ascii_digit() {
            (
                TokenClass::Number,
                rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '_'))
                    .unwrap_or(rest.len()),
            )
        } else if c.is_alphabetic() || c == '_' {
            let len = rest.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(rest.len());
            let word = rest.get(..len).unwrap_or_default();
            let class = if KEYWORDS.contains(&word) {
                TokenClass::Keyword
            } else if c.is_uppercase() {
                TokenClass::Type
            } else {
                TokenClass::Plain
            };
            (class, len)
        } else {
            (TokenClass::Plain, c.len_utf8())
        };
        let (text, after) = rest.split_at_checked(len.max(c.len_utf8())).unwrap_or((rest, ""));
        push(class, text);
        rest = after;
    }
    tokens
}

/// The length of the string literal at the start of `text` (to its closing quote, or
/// the end of the line when it is not closed).
fn string_len(text: &str) -> usize {
    let mut escaped = false;
    for (at, c) in text.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return at + 1,
            _ => {}
        }
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(line: &str) -> Vec<(&'static str, String)> {
        line_tokens(line).into_iter().map(|t| (t.class.css(), t.text)).collect()
    }

    #[test]
    fn classifies_keywords_strings_numbers_comments_and_types() {
        assert_eq!(
            classes(r#"  trigger Contact.Identified where event.score > 10 // hi"#),
            vec![
                ("", "  ".into()),
                ("kw", "trigger".into()),
                ("", " ".into()),
                ("ty", "Contact".into()),
                ("", ".".into()),
                ("ty", "Identified".into()),
                ("", " ".into()),
                ("kw", "where".into()),
                ("", " ".into()),
                ("kw", "event".into()),
                ("", ".score > ".into()),
                ("num", "10".into()),
                ("", " ".into()),
                ("com", "// hi".into()),
            ]
        );
        assert_eq!(
            classes(r#"x("a \" b", 5s)"#),
            vec![
                ("", "x(".into()),
                ("str", r#""a \" b""#.into()),
                ("", ", ".into()),
                ("num", "5s".into()),
                ("", ")".into()),
            ]
        );
    }

    #[test]
    fn any_text_keeps_every_character() {
        for text in ["\"unclosed", "é ü 😀 \"\\", "1.2.3x", "", "\"\\"] {
            let joined: String = line_tokens(text).into_iter().map(|t| t.text).collect();
            assert_eq!(joined, text);
        }
        assert_eq!(highlight("a\nb\n").len(), 2);
    }

    proptest::proptest! {
        #[test]
        fn any_input_is_kept_whole_and_never_panics(text in "\\PC*") {
            let joined: String = line_tokens(&text).into_iter().map(|t| t.text).collect();
            proptest::prop_assert_eq!(joined, text);
        }
    }
}
