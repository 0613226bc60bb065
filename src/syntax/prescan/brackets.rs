//! Brackets for the prescan: what each one opens, matching, nesting depth, and the
//! recovery when a new item starts while brackets are still open.

use super::{Frame, ItemKind, Keyword, Prev, Scanner};
use crate::source::Span;
use crate::syntax::errors::{Found, MAX_NESTING, Opened, SyntaxError};

impl Scanner<'_> {
    /// Whether the `workflow`/`test` just read (ending at `self.pos`) starts an item:
    /// `workflow name {` or `test "name" {`. Inside a test, `workflow name` alone is a
    /// clause.
    pub(super) fn starts_item(&self, kind: ItemKind) -> bool {
        let mut at = self.skip_trivia(self.pos);
        match kind {
            ItemKind::Workflow => {
                let len = self
                    .bytes
                    .get(at..)
                    .unwrap_or(&[])
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                    .count();
                if len == 0 {
                    return false;
                }
                at += len;
            }
            ItemKind::Test => {
                if self.byte(at) != Some(b'"') {
                    return false;
                }
                at += 1;
                loop {
                    match self.byte(at) {
                        Some(b'"') => break,
                        Some(b'\\') => at += 2,
                        Some(b'\n') | None => return false,
                        Some(_) => at += 1,
                    }
                }
                at += 1;
            }
        }
        self.byte(self.skip_trivia(at)) == Some(b'{')
    }

    /// The first position at or after `at` that is not whitespace or a comment.
    fn skip_trivia(&self, mut at: usize) -> usize {
        loop {
            match (self.byte(at), self.byte(at + 1)) {
                (Some(b' ' | b'\t' | b'\r' | b'\n'), _) => at += 1,
                (Some(b'/'), Some(b'/')) => {
                    let rest = self.bytes.get(at..).unwrap_or(&[]);
                    at += rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
                }
                (Some(b'/'), Some(b'*')) => {
                    let body = self.text.get(at + 2..).unwrap_or("");
                    match body.find("*/") {
                        Some(i) => at += 2 + i + 2,
                        None => return self.bytes.len(),
                    }
                }
                _ => return at,
            }
        }
    }

    /// A new item starts while brackets are open: a `}` is missing. Report the
    /// innermost open bracket, end the current item here and start the next one.
    pub(super) fn recover_at_item(&mut self, kind: ItemKind, start: usize) {
        if let Some(frame) = self.stack.last().copied()
            && !self.current_blocked()
        {
            let word = match kind {
                ItemKind::Workflow => "workflow",
                ItemKind::Test => "test",
            };
            self.errors.push(SyntaxError::Unclosed {
                open: frame.open,
                opened: frame.opened,
                at: Span::new(start, self.pos),
                found: Found::Token(word.to_owned()),
            });
        }
        self.block_current();
        self.stack.clear();
        self.interpolations = 0;
        self.keyword = None;
        self.start_item(kind, start);
    }

    // ----- brackets

    pub(super) fn too_deep(&mut self, at: Span) {
        self.errors.push(SyntaxError::NestingTooDeep { at });
        self.fatal = true;
    }

    /// What a `{`, `(` or `[` opens, from the tokens before it.
    fn opened_by(&self, bracket: u8) -> Opened {
        let after_value = matches!(self.prev, Prev::Value | Prev::Word(Keyword::Other));
        match bracket {
            b'(' if after_value => Opened::Arguments,
            b'(' => Opened::Parens,
            b'[' if after_value => Opened::Index,
            b'[' => Opened::List,
            _ => match self.prev {
                Prev::Word(Keyword::Else) => Opened::Else,
                Prev::Word(Keyword::Failure) => Opened::OnFailure,
                Prev::Word(Keyword::Form) => Opened::Form,
                Prev::ValueStart | Prev::Word(Keyword::RecordIntro) | Prev::Word(Keyword::ValueIntro) => {
                    Opened::Record
                }
                _ => match self.keyword {
                    Some(Keyword::Workflow) => Opened::Workflow,
                    Some(Keyword::Test) => Opened::Test,
                    Some(Keyword::Route) => Opened::Route,
                    Some(Keyword::If) => Opened::If,
                    _ => Opened::Block,
                },
            },
        }
    }

    pub(super) fn open(&mut self, bracket: u8) {
        let start = self.pos;
        if self.stack.len() >= MAX_NESTING {
            self.too_deep(Span::new(start, start + 1));
            return;
        }
        self.top_level_token(start, || Found::Token(char::from(bracket).to_string()));
        let item_body =
            bracket == b'{' && self.stack.is_empty() && self.current.is_some() && !self.current_has_body;
        if item_body {
            self.current_has_body = true;
        }
        let opened = self.opened_by(bracket);
        self.stack.push(Frame {
            opened,
            open: Span::new(start, start + 1),
            saved_keyword: self.keyword.take(),
            quote: 0,
            item_body,
        });
        self.pos += 1;
        self.token(Prev::ValueStart);
    }

    pub(super) fn open_interpolation(&mut self, quote: usize) {
        let start = self.pos;
        if self.stack.len() >= MAX_NESTING {
            self.too_deep(Span::new(start, start + 2));
            return;
        }
        self.stack.push(Frame {
            opened: Opened::Interpolation,
            open: Span::new(start, start + 2),
            saved_keyword: self.keyword.take(),
            quote,
            item_body: false,
        });
        self.interpolations += 1;
        self.string = None;
        self.pos += 2;
        self.token(Prev::ValueStart);
    }

    pub(super) fn close(&mut self, closer: u8) {
        let at = Span::new(self.pos, self.pos + 1);
        let closer_char = char::from(closer);
        let matching = self.stack.iter().rposition(|frame| frame.opened.closer() == closer_char);
        match matching {
            None => {
                if !self.current_blocked() {
                    self.errors.push(SyntaxError::UnmatchedCloser { at, closer: closer_char });
                }
                self.block_current();
            }
            Some(index) => {
                if let Some(top) = self.stack.last().copied()
                    && index + 1 != self.stack.len()
                    && !self.current_blocked()
                {
                    self.errors.push(SyntaxError::Unclosed {
                        open: top.open,
                        opened: top.opened,
                        at,
                        found: Found::Token(closer_char.to_string()),
                    });
                    self.block_current();
                }
                while self.stack.len() > index + 1 {
                    if let Some(frame) = self.stack.pop()
                        && frame.opened == Opened::Interpolation
                    {
                        self.interpolations = self.interpolations.saturating_sub(1);
                    }
                }
                if let Some(frame) = self.stack.pop() {
                    self.keyword = frame.saved_keyword;
                    if frame.opened == Opened::Interpolation {
                        self.interpolations = self.interpolations.saturating_sub(1);
                        self.string = Some(frame.quote);
                    }
                    if frame.item_body {
                        self.pos += 1;
                        self.end_current(self.pos);
                        self.token(Prev::Value);
                        return;
                    }
                }
            }
        }
        self.pos += 1;
        self.token(Prev::Value);
    }
}
