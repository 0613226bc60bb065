//! The formatter's quick self-check: the tokens and comments of a text, without layout.
//!
//! In: two texts. Out: whether they hold the same tokens and comments in the same
//! order. Blanks, line breaks and a byte-order mark are skipped; a string (with
//! whatever is inside its `${…}`) is one token; so is a run of letters, digits and `_`
//! (names, keywords, numbers, durations) and each of `->`, `??`, `==`, `!=`, `<=`,
//! `>=`; a comma right before a closing bracket is left out (the formatter adds and
//! removes trailing commas); a comment is compared as the formatter writes it (a line
//! comment without trailing blanks, a block comment with `\n` line breaks). The grammar
//! is free-form between tokens, so two texts with the same tokens parse alike (the
//! formatter checks doc comments, whose attachment depends on lines, on its own).

use std::collections::VecDeque;

/// Whether `a` and `b` have the same tokens, and the same comments, each in the same
/// order (a comment may move across a keyword or punctuation).
pub(super) fn same_tokens(a: &str, b: &str) -> bool {
    let mut left_comments = Vec::new();
    let mut right_comments = Vec::new();
    let same_code = {
        let mut left = Tokens::new(a).filter(|t| set_aside_comment(t, &mut left_comments));
        let mut right = Tokens::new(b).filter(|t| set_aside_comment(t, &mut right_comments));
        loop {
            match (left.next(), right.next()) {
                (None, None) => break true,
                (Some(x), Some(y)) if x == y => {}
                _ => break false,
            }
        }
    };
    same_code
        && left_comments.len() == right_comments.len()
        && left_comments.iter().zip(&right_comments).all(|(x, y)| same_comment(x, y))
}

/// False for a comment, which goes to `comments`; true for code.
fn set_aside_comment<'t>(token: &&'t str, comments: &mut Vec<&'t str>) -> bool {
    if is_comment(token) {
        comments.push(token);
        false
    } else {
        true
    }
}

/// Two comments that differ only as the formatter changes them.
fn same_comment(a: &str, b: &str) -> bool {
    if a.starts_with("//") && b.starts_with("//") {
        a.trim_end() == b.trim_end()
    } else if a.starts_with("/*") && b.starts_with("/*") {
        a.replace("\r\n", "\n") == b.replace("\r\n", "\n")
    } else {
        false
    }
}

struct Tokens<'t> {
    text: &'t str,
    pos: usize,
    /// Tokens read ahead (the comments and token after a comma).
    ahead: VecDeque<&'t str>,
}

impl<'t> Tokens<'t> {
    fn new(text: &'t str) -> Tokens<'t> {
        Tokens { text, pos: 0, ahead: VecDeque::new() }
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.text.as_bytes().get(at).copied()
    }

    fn raw(&mut self) -> Option<&'t str> {
        self.skip_blanks();
        let start = self.pos;
        let b = self.byte(start)?;
        let end = match b {
            b'/' if self.byte(start + 1) == Some(b'/') => {
                let rest = self.text.get(start..).unwrap_or("");
                start + rest.find('\n').unwrap_or(rest.len())
            }
            b'/' if self.byte(start + 1) == Some(b'*') => self.comment_end(start),
            b'"' => self.string_end(start),
            b if is_word(b) => {
                let mut end = start + 1;
                while self.byte(end).is_some_and(is_word) {
                    end += 1;
                }
                end
            }
            _ => {
                let pair = (b, self.byte(start + 1).unwrap_or(0));
                match pair {
                    (b'-', b'>')
                    | (b'?', b'?')
                    | (b'=', b'=')
                    | (b'!', b'=')
                    | (b'<', b'=')
                    | (b'>', b'=') => start + 2,
                    _ => {
                        start
                            + self.text.get(start..).and_then(|t| t.chars().next()).map_or(1, char::len_utf8)
                    }
                }
            }
        };
        self.pos = end;
        self.text.get(start..end)
    }

    fn skip_blanks(&mut self) {
        loop {
            match self.byte(self.pos) {
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.pos += 1,
                Some(0xEF) if self.text.get(self.pos..).is_some_and(|t| t.starts_with('\u{feff}')) => {
                    self.pos += '\u{feff}'.len_utf8();
                }
                _ => return,
            }
        }
    }

    fn comment_end(&self, start: usize) -> usize {
        let body = self.text.get(start + 2..).unwrap_or("");
        body.find("*/").map_or(self.text.len(), |at| start + 2 + at + 2)
    }

    /// The end of the string starting at `start`: past its closing quote, with the
    /// strings and braces of its interpolations matched.
    fn string_end(&self, start: usize) -> usize {
        // `true`: inside a string; `false`: inside the code of a `${…}`, with its count
        // of open braces.
        let mut stack: Vec<(bool, usize)> = vec![(true, 0)];
        let mut at = start + 1;
        while let Some(b) = self.byte(at) {
            let Some(top) = stack.last_mut() else {
                return at;
            };
            match (top.0, b) {
                (true, b'\\') => at += 1,
                (true, b'"') => {
                    stack.pop();
                }
                (true, b'$') if self.byte(at + 1) == Some(b'{') => {
                    stack.push((false, 0));
                    at += 1;
                }
                (false, b'"') => stack.push((true, 0)),
                (false, b'{') => top.1 += 1,
                (false, b'}') if top.1 == 0 => {
                    stack.pop();
                }
                (false, b'}') => top.1 -= 1,
                (false, b'/') if self.byte(at + 1) == Some(b'*') => {
                    at = self.comment_end(at);
                    continue;
                }
                _ => {}
            }
            at += 1;
            if stack.is_empty() {
                return at;
            }
        }
        self.text.len()
    }
}

impl<'t> Iterator for Tokens<'t> {
    type Item = &'t str;

    fn next(&mut self) -> Option<&'t str> {
        if let Some(token) = self.ahead.pop_front() {
            return Some(token);
        }
        let token = self.raw()?;
        if token != "," {
            return Some(token);
        }
        // A comma before a closing bracket (comments between) is left out.
        while let Some(next) = self.raw() {
            self.ahead.push_back(next);
            if !is_comment(next) {
                break;
            }
        }
        match self.ahead.back() {
            Some(&(")" | "]" | "}")) => self.ahead.pop_front(),
            _ => Some(token),
        }
    }
}

fn is_comment(token: &str) -> bool {
    token.starts_with("//") || token.starts_with("/*")
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<&str> {
        Tokens::new(text).collect()
    }

    #[test]
    fn layout_and_trailing_commas_do_not_count() {
        assert!(same_tokens("step a // x\n = f()", "step a = // x\n f()"));
        assert!(!same_tokens("/* x */ /* y */", "/* y */ /* x */"));
        assert_eq!(tokens("f(a, b,)"), ["f", "(", "a", ",", "b", ")"]);
        assert!(same_tokens("f( a ,b , ) // x \r\n", "\u{feff}f(a, b) // x\n"));
        assert!(!same_tokens("f(a, b) // x", "f(a, b)"), "a lost comment");
        assert!(!same_tokens("// x\nstop", "// x stop"), "code commented out");
        assert!(same_tokens("/* a\r\nb */", "/* a\nb */"));
        assert!(same_tokens("{ a: 1 // x\n}", "{ a: 1, // x\n}"));
        assert!(!same_tokens("{ a: 1 // x\n b: 2 }", "{ a: 1, // x\n b: 2 }"));
        assert!(same_tokens("x -> r", "x->r"));
        assert!(!same_tokens("x - > r", "x -> r"));
        assert!(!same_tokens("f(a, b)", "f(a b)"));
    }

    #[test]
    fn a_string_is_one_token_with_its_interpolations() {
        let text = r#"let s = "a ${ f("}", { x: 1 }) /* " */ } \" b" stop"#;
        assert_eq!(tokens(text), ["let", "s", "=", r#""a ${ f("}", { x: 1 }) /* " */ } \" b""#, "stop"]);
        assert!(!same_tokens(r#""a${x}""#, r#""a${ x }""#));
        assert_eq!(tokens("\"open"), ["\"open"]);
    }
}
