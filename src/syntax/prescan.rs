//! The prescan: one byte-level pass over a file before pest sees it.
//!
//! In: the whole text of a file. Out: lexical errors with precise positions and the
//! top-level items (`workflow …{…}`, `test "…" {…}`) to hand to pest one by one.
//!
//! It exists because pest recurses: 20,000 nested parentheses must give one clean
//! K0005, not a stack overflow, so files that are too large (K0006) or nest brackets
//! (`(`, `[`, `{`, `${`, and runs of `List<`) deeper than [`MAX_NESTING`] (K0005) never
//! reach pest. It also finds what pest would report badly: unterminated strings (K0002)
//! and block comments (K0008), invalid escapes (K0003), control characters (K0007) and
//! unbalanced brackets (K0010), naming what an unclosed brace opened by looking at the
//! words before it. An item with such an error (other than an invalid escape) is not
//! parsed, so it does not also get a confusing "expected …" error.

use crate::source::Span;

use super::errors::{Found, MAX_NESTING, Opened, SyntaxError};
use super::literals::decode_escape;

/// The result of the prescan.
#[derive(Debug, Default)]
pub(crate) struct Prescan {
    pub errors: Vec<SyntaxError>,
    /// Too large or too deep: the file must not be parsed at all.
    pub fatal: bool,
    pub items: Vec<ItemSlice>,
    /// Every comment outside strings, as `(start, end)` in source order; a line comment
    /// ends before its line break (as the grammar's `COMMENT` does).
    pub comments: Vec<(usize, usize)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ItemKind {
    Workflow,
    Test,
}

/// One top-level item: from its keyword to its closing brace (or to where the next
/// item starts, or the end of the file, when it is not closed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ItemSlice {
    pub kind: ItemKind,
    pub start: usize,
    pub end: usize,
    /// It holds a lexical error: do not parse it.
    pub blocked: bool,
}

/// Scans `text`.
pub(crate) fn prescan(text: &str, max_file_bytes: usize) -> Prescan {
    if text.len() > max_file_bytes {
        return Prescan {
            errors: vec![SyntaxError::FileTooLarge { size: text.len() }],
            fatal: true,
            ..Prescan::default()
        };
    }
    let mut scanner = Scanner::new(text);
    // A byte-order mark is ignored (language.md §1), also when the text did not come
    // through `decode_source`.
    if text.starts_with('\u{FEFF}') {
        scanner.pos = '\u{FEFF}'.len_utf8();
    }
    scanner.run();
    scanner.finish()
}

/// The last significant token, for naming what a bracket opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Prev {
    /// Start of file, or an opening bracket, an operator, `,`, `:`, `=`: a value may
    /// follow.
    ValueStart,
    /// A name, literal or closing bracket.
    Value,
    Word(Keyword),
}

/// The words that decide what a following `{` opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Keyword {
    Workflow,
    Test,
    Route,
    If,
    Else,
    Failure,
    Form,
    /// `event`, `contact`, `ok`, `with`: a record follows.
    RecordIntro,
    /// An operator or a keyword after which a value follows (`and`, `not`, `wait`, …).
    ValueIntro,
    Other,
}

impl Keyword {
    fn of(word: &[u8]) -> Keyword {
        match word {
            b"workflow" => Keyword::Workflow,
            b"test" => Keyword::Test,
            b"route" => Keyword::Route,
            b"if" => Keyword::If,
            b"else" => Keyword::Else,
            b"failure" => Keyword::Failure,
            b"form" => Keyword::Form,
            b"event" | b"contact" | b"ok" | b"with" => Keyword::RecordIntro,
            b"and" | b"or" | b"not" | b"in" | b"contains" | b"where" | b"until" | b"wait" | b"fail"
            | b"expect" | b"title" | b"let" => Keyword::ValueIntro,
            _ => Keyword::Other,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Frame {
    opened: Opened,
    open: Span,
    /// The structural keyword of the enclosing level, restored when this closes.
    saved_keyword: Option<Keyword>,
    /// For an interpolation: the opening quote of its string.
    quote: usize,
    /// This brace is the body of the current top-level item.
    item_body: bool,
}

struct Scanner<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    stack: Vec<Frame>,
    interpolations: usize,
    /// Inside a string: where its quote is.
    string: Option<usize>,
    prev: Prev,
    /// The last `workflow`/`test`/`route`/`if` at the current level.
    keyword: Option<Keyword>,
    /// Length of the current run of `List<`; `after_list` says the last word was `List`.
    list_run: usize,
    after_list: bool,
    errors: Vec<SyntaxError>,
    fatal: bool,
    items: Vec<ItemSlice>,
    comments: Vec<(usize, usize)>,
    /// The item being scanned (index into `items`), and whether its body brace opened.
    current: Option<usize>,
    current_has_body: bool,
    stray_reported: bool,
    /// An unterminated string or comment ran to the end of the file: do not also
    /// report the brackets it left open.
    eof_swallowed: bool,
}

impl<'t> Scanner<'t> {
    fn new(text: &'t str) -> Scanner<'t> {
        Scanner {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            stack: Vec::new(),
            interpolations: 0,
            string: None,
            prev: Prev::ValueStart,
            keyword: None,
            list_run: 0,
            after_list: false,
            errors: Vec::new(),
            fatal: false,
            items: Vec::new(),
            comments: Vec::new(),
            current: None,
            current_has_body: false,
            stray_reported: false,
            eof_swallowed: false,
        }
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.bytes.get(at).copied()
    }

    fn run(&mut self) {
        while self.pos < self.bytes.len() && !self.fatal {
            if let Some(quote) = self.string {
                self.scan_string(quote);
            } else {
                self.scan_code();
            }
        }
    }

    fn finish(mut self) -> Prescan {
        if self.fatal {
            return Prescan { errors: self.errors, fatal: true, ..Prescan::default() };
        }
        let end = self.bytes.len();
        if self.interpolations > 0 {
            self.string = None;
            self.unterminated_interpolation();
            self.eof_swallowed = true;
        } else if let Some(quote) = self.string {
            self.unterminated_string(quote);
            self.eof_swallowed = true;
        }
        if let Some(frame) = self.stack.last().copied() {
            if !self.eof_swallowed && !self.current_blocked() {
                self.errors.push(SyntaxError::Unclosed {
                    open: frame.open,
                    opened: frame.opened,
                    at: Span::point(end),
                    found: Found::EndOfFile,
                });
            }
            self.block_current();
        }
        self.end_current(end);
        Prescan { errors: self.errors, fatal: false, items: self.items, comments: self.comments }
    }

    // ----- items

    /// Whether the current item already has a lexical error: its brackets are then
    /// unreliable, so no more bracket errors are reported for it.
    fn current_blocked(&self) -> bool {
        self.current.and_then(|i| self.items.get(i)).is_some_and(|item| item.blocked)
    }

    fn block_current(&mut self) {
        if let Some(item) = self.current.and_then(|i| self.items.get_mut(i)) {
            item.blocked = true;
        }
    }

    fn end_current(&mut self, end: usize) {
        if let Some(item) = self.current.take().and_then(|i| self.items.get_mut(i)) {
            item.end = end;
        }
        self.current_has_body = false;
    }

    fn start_item(&mut self, kind: ItemKind, start: usize) {
        self.end_current(start);
        self.current = Some(self.items.len());
        self.items.push(ItemSlice { kind, start, end: self.bytes.len(), blocked: false });
        self.stray_reported = false;
    }

    /// A token at the top level: part of the current item's header, or stray text.
    fn top_level_token(&mut self, start: usize, found: impl FnOnce() -> Found) {
        if !self.stack.is_empty() || self.current.is_some() || self.stray_reported {
            return;
        }
        self.stray_reported = true;
        self.errors.push(SyntaxError::StrayText {
            at: Span::new(start, self.pos.max(start + 1).min(self.bytes.len())),
            found: found(),
        });
    }

    // ----- code

    fn scan_code(&mut self) {
        let Some(b) = self.byte(self.pos) else {
            return;
        };
        match b {
            b' ' | b'\t' | b'\r' => self.pos += 1,
            b'\n' => {
                if self.interpolations > 0 {
                    self.unterminated_interpolation();
                }
                self.pos += 1;
            }
            b'/' if self.byte(self.pos + 1) == Some(b'/') => {
                let start = self.pos;
                let rest = self.bytes.get(start..).unwrap_or(&[]);
                let len = rest.iter().position(|&c| c == b'\n' || c == b'\r').unwrap_or(rest.len());
                self.pos += len;
                self.comments.push((start, self.pos));
            }
            b'/' if self.byte(self.pos + 1) == Some(b'*') => self.block_comment(),
            b'"' => {
                let start = self.pos;
                self.top_level_token(start, || Found::String);
                self.string = Some(start);
                self.pos += 1;
                self.token(Prev::Value);
            }
            b'(' | b'[' | b'{' => self.open(b),
            b')' | b']' | b'}' => self.close(b),
            b'A'..=b'Z' | b'a'..=b'z' | b'_' => self.word(),
            b'0'..=b'9' => self.number(),
            b'<' => {
                let start = self.pos;
                self.pos += 1;
                self.top_level_token(start, || Found::Token("<".to_owned()));
                if self.after_list {
                    self.after_list = false;
                    self.list_run += 1;
                    if self.stack.len() + self.list_run > MAX_NESTING {
                        self.too_deep(Span::new(start, start + 1));
                    }
                } else {
                    self.token(Prev::ValueStart);
                }
            }
            0x00..=0x1f | 0x7f => {
                let at = Span::new(self.pos, self.pos + 1);
                self.errors.push(SyntaxError::InvalidCharacter { at, ch: char::from(b) });
                self.block_current();
                self.pos += 1;
            }
            0x80..=0xff => self.non_ascii(),
            _ => {
                let start = self.pos;
                self.pos += 1;
                self.top_level_token(start, || Found::Token(char::from(b).to_string()));
                self.token(Prev::ValueStart);
            }
        }
    }

    /// Records a token for naming brackets; any token but `List` `<` ends a `List<` run.
    fn token(&mut self, prev: Prev) {
        self.prev = prev;
        self.after_list = false;
        self.list_run = 0;
    }

    fn non_ascii(&mut self) {
        let start = self.pos;
        let rest = self.text.get(start..).unwrap_or("");
        let ch = rest.chars().next();
        let len = ch.map_or(1, char::len_utf8);
        self.pos += len;
        if ch == Some(char::REPLACEMENT_CHARACTER) {
            // `decode_source` put it where the bytes were not UTF-8, and reported it
            // the same way (duplicates are dropped when diagnostics are sorted).
            self.errors.push(SyntaxError::InvalidUtf8 { at: Span::new(start, self.pos) });
            self.block_current();
            return;
        }
        let text = rest.get(..len).unwrap_or("").to_owned();
        self.top_level_token(start, || Found::Token(text));
        self.token(Prev::ValueStart);
    }

    fn block_comment(&mut self) {
        let start = self.pos;
        let body = self.text.get(start + 2..).unwrap_or("");
        match body.find("*/") {
            Some(i) => {
                self.pos = start + 2 + i + 2;
                self.comments.push((start, self.pos));
            }
            None => {
                self.errors.push(SyntaxError::UnterminatedComment { open: Span::new(start, start + 2) });
                self.block_current();
                self.eof_swallowed = true;
                self.pos = self.bytes.len();
            }
        }
    }

    fn word(&mut self) {
        let start = self.pos;
        let len = self
            .bytes
            .get(start..)
            .unwrap_or(&[])
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        self.pos += len;
        let word = self.bytes.get(start..self.pos).unwrap_or(&[]);
        let keyword = Keyword::of(word);
        let item = match keyword {
            Keyword::Workflow => Some(ItemKind::Workflow),
            Keyword::Test => Some(ItemKind::Test),
            _ => None,
        };
        if let Some(kind) = item {
            if self.stack.is_empty() {
                self.start_item(kind, start);
            } else if self.starts_item(kind) {
                self.recover_at_item(kind, start);
            }
        }
        let text = self.text.get(start..self.pos).unwrap_or("");
        self.top_level_token(start, || Found::Token(text.to_owned()));
        if matches!(keyword, Keyword::Workflow | Keyword::Test | Keyword::Route | Keyword::If) {
            self.keyword = Some(keyword);
        }
        let is_list = word == b"List";
        let run = self.list_run;
        self.token(Prev::Word(keyword));
        if is_list {
            self.after_list = true;
            self.list_run = run;
        }
    }

    fn number(&mut self) {
        let start = self.pos;
        let rest = self.bytes.get(start..).unwrap_or(&[]);
        let mut len = rest.iter().take_while(|c| c.is_ascii_alphanumeric() || **c == b'_').count();
        if rest.get(len) == Some(&b'.') && rest.get(len + 1).is_some_and(u8::is_ascii_digit) {
            len += 1;
            len += rest
                .get(len..)
                .unwrap_or(&[])
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count();
        }
        self.pos += len;
        let text = self.text.get(start..self.pos).unwrap_or("");
        self.top_level_token(start, || Found::Token(text.to_owned()));
        self.token(Prev::Value);
    }

    // ----- strings

    fn unterminated_string(&mut self, quote: usize) {
        self.errors.push(SyntaxError::UnterminatedString { quote: Span::new(quote, quote + 1) });
        self.block_current();
        self.string = None;
    }

    /// A line break (or the end) inside `${…}`: the string around it is not closed on
    /// its line. Report the outermost such string and drop its brackets.
    fn unterminated_interpolation(&mut self) {
        let Some(outer) = self.stack.iter().position(|f| f.opened == Opened::Interpolation) else {
            self.interpolations = 0;
            return;
        };
        let quote = self.stack.get(outer).map_or(0, |f| f.quote);
        let keyword = self.stack.get(outer).and_then(|f| f.saved_keyword);
        self.stack.truncate(outer);
        self.keyword = keyword;
        self.interpolations = 0;
        self.unterminated_string(quote);
    }

    fn scan_string(&mut self, quote: usize) {
        while let Some(b) = self.byte(self.pos) {
            match b {
                b'"' => {
                    self.pos += 1;
                    self.string = None;
                    return;
                }
                b'\\' => self.escape(),
                b'$' if self.byte(self.pos + 1) == Some(b'{') => {
                    self.open_interpolation(quote);
                    return;
                }
                b'\n' | b'\r' => {
                    if self.interpolations > 0 {
                        self.string = None;
                        self.unterminated_interpolation();
                    } else {
                        self.unterminated_string(quote);
                    }
                    return;
                }
                _ => self.pos += 1,
            }
        }
    }

    fn escape(&mut self) {
        let start = self.pos;
        let rest = self.text.get(start + 1..).unwrap_or("");
        let (len, decoded) = decode_escape(rest);
        self.pos += 1 + len;
        if let Err(problem) = decoded
            && len > 0
        {
            let escape = self.text.get(start..self.pos).unwrap_or("\\").to_owned();
            self.errors.push(SyntaxError::InvalidEscape { at: Span::new(start, self.pos), escape, problem });
        }
    }
}

mod brackets;
#[cfg(test)]
mod tests;
