//! Completion that works on half-typed, broken text.
//!
//! In: the open documents and a position. Out: completion items for what may be written
//! there: trigger names after `trigger` and a test's `expect [no] event`, a namespace's
//! actions at the start of a statement (`contact.`), parameter names inside an action
//! call, fields after a value (`event.`, `contact.`, `card.`, a step's name), route names
//! after `->`, and else the keywords and names that fit. The context comes from a token [scan](super::scan) of
//! the text, not from the parser, so an unclosed brace or a half-written statement
//! does not matter; the workflow's trigger, `form` and steps come from its last
//! successful check, or from the tokens when it never checked.

use tower_lsp_server::ls_types::{
    CompletionItem, CompletionItemKind, CompletionTextEdit, Documentation, MarkupContent, MarkupKind,
    Position, Range, TextEdit, Uri,
};

use super::documents::{Document, Documents};
use super::hover::{action_markdown, param_markdown, signature, trigger_markdown};
use super::scan::{Kind, Token, scan};
use crate::catalog::{self, ContextName, TriggerSpec};
use crate::check::WorkflowInfo;
use crate::check::types::Type;
use crate::source::FileId;

/// Statement keywords, offered at the start of a statement.
const STATEMENT_KEYWORDS: &[&str] = &["step", "let", "if", "else", "wait", "stop", "fail"];
const HEADER_KEYWORDS: &[&str] = &["title", "scope", "trigger", "form"];
const TEST_KEYWORDS: &[&str] = &["workflow", "event", "contact", "mock", "expect"];
/// Words after which a value cannot have ended (so a line break does not end a statement).
const CONTINUING_WORDS: &[&str] = &[
    "and", "or", "not", "in", "contains", "as", "step", "let", "if", "wait", "until", "fail", "where",
    "trigger",
];

pub fn completion(docs: &Documents, uri: &Uri, position: Position) -> Vec<CompletionItem> {
    let Some((file, doc)) = docs.doc(uri) else { return Vec::new() };
    let offset = doc.offset(position);
    Context::new(docs, file, doc, offset).map(|cx| cx.items()).unwrap_or_default()
}

#[derive(Clone, Debug, PartialEq)]
enum Frame {
    /// `(`; for an action call, its namespace, action and the names already given.
    Paren(Option<(String, String)>, Vec<String>),
    Bracket,
    /// `{`: a record (or `form`/test data) or a block of statements.
    Brace {
        record: bool,
    },
    Interp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum ItemKind {
    Workflow,
    Test,
}

struct Context<'w> {
    docs: &'w Documents,
    file: FileId,
    doc: &'w Document,
    text: &'w str,
    tokens: Vec<Token>,
    /// Tokens before the word (and dotted path) being completed.
    before: usize,
    offset: usize,
    word_start: usize,
    chain_start: usize,
    /// `a.b.` before the word: `["a", "b"]`.
    path: Vec<String>,
    frames: Vec<Frame>,
    /// The enclosing top-level item: kind, name, first token and end token.
    item: Option<(ItemKind, String, usize, usize)>,
    /// The enclosing workflow as last checked, or as its header checks alone.
    info: Option<WorkflowInfo>,
}

impl<'w> Context<'w> {
    fn new(docs: &'w Documents, file: FileId, doc: &'w Document, offset: usize) -> Option<Context<'w>> {
        let text = doc.text.as_str();
        let scanned = scan(text);
        if scanned.is_quiet(offset) {
            return None;
        }
        let bytes = text.as_bytes();
        let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        let mut word_start = offset.min(text.len());
        while word_start > 0 && bytes.get(word_start - 1).copied().is_some_and(is_word) {
            word_start -= 1;
        }
        let mut path = Vec::new();
        let mut chain_start = word_start;
        while chain_start > 1 && bytes.get(chain_start - 1) == Some(&b'.') {
            let end = chain_start - 1;
            let mut start = end;
            while start > 0 && bytes.get(start - 1).copied().is_some_and(is_word) {
                start -= 1;
            }
            if start == end {
                break;
            }
            path.insert(0, text.get(start..end).unwrap_or("").to_owned());
            chain_start = start;
        }
        let tokens = scanned.tokens;
        let before = tokens.partition_point(|t| (t.span.end as usize) <= chain_start);
        let mut cx = Context {
            docs,
            file,
            doc,
            text,
            tokens,
            before,
            offset,
            word_start,
            chain_start,
            path,
            frames: Vec::new(),
            item: None,
            info: None,
        };
        cx.track_brackets();
        cx.info =
            cx.workflow_name().and_then(|n| docs.workflow_info(n).cloned()).or_else(|| cx.header_info());
        Some(cx)
    }

    fn tok(&self, i: usize) -> &str {
        self.tokens.get(i).map_or("", |t| t.text(self.text))
    }

    /// The `n`th token before the completed word (1 = the last one).
    fn prev(&self, n: usize) -> &str {
        self.before.checked_sub(n).map_or("", |i| self.tok(i))
    }

    /// Replays the tokens before the cursor: open brackets and the enclosing item.
    fn track_brackets(&mut self) {
        let mut frames: Vec<Frame> = Vec::new();
        for i in 0..self.before {
            let t = self.tok(i);
            match t {
                "workflow" | "test" if frames.is_empty() => {
                    let kind = if t == "workflow" { ItemKind::Workflow } else { ItemKind::Test };
                    let name = self.tok(i + 1).trim_matches('"').to_owned();
                    self.item = Some((kind, name, i, self.tokens.len()));
                }
                "(" => {
                    let call = (i >= 3 && self.tok(i - 2) == ".")
                        .then(|| (self.tok(i - 3).to_owned(), self.tok(i - 1).to_owned()))
                        .filter(|(ns, a)| catalog::action(ns, a).is_some());
                    frames.push(Frame::Paren(call, Vec::new()));
                }
                "[" => frames.push(Frame::Bracket),
                "${" => frames.push(Frame::Interp),
                "{" => {
                    let prev = if i > 0 { self.tok(i - 1) } else { "" };
                    let record = matches!(
                        prev,
                        ":" | "(" | "," | "[" | "=" | "->" | "event" | "contact" | "ok" | "with" | "form"
                    );
                    frames.push(Frame::Brace { record });
                }
                ")" | "]" | "}" => {
                    frames.pop();
                }
                ":" => {
                    let given = if i >= 2 { matches!(self.tok(i - 2), "(" | ",") } else { false };
                    if let (true, Some(Frame::Paren(Some(_), names))) = (given, frames.last_mut()) {
                        names.push(self.tok(i - 1).to_owned());
                    }
                }
                _ => {}
            }
        }
        // The item ends where the next top-level item starts.
        if let Some((_, _, start, _)) = &self.item {
            let start = *start;
            let mut end = self.tokens.len();
            let mut depth = 0i32;
            for i in start..self.tokens.len() {
                match self.tok(i) {
                    "{" | "${" => depth += 1,
                    "}" => {
                        depth -= 1;
                        if depth == 0 {
                            end = i + 1;
                            break;
                        }
                    }
                    "workflow" | "test" if depth <= 0 && i > start => {
                        end = i;
                        break;
                    }
                    _ => {}
                }
            }
            if let Some(item) = &mut self.item {
                item.3 = end;
            }
        }
        self.frames = frames;
    }

    fn items(&self) -> Vec<CompletionItem> {
        let prev = self.prev(1);
        let in_test = matches!(&self.item, Some((ItemKind::Test, ..)));
        // `trigger …`, and a test's `expect event …` / `expect no event …`.
        let expect_event = in_test && prev == "event" && matches!(self.prev(2), "expect" | "no");
        if prev == "trigger" || expect_event {
            return catalog::TRIGGERS.iter().map(|t| self.trigger_item(t)).collect();
        }
        if prev == "->" {
            if in_test {
                return ["ok", "fail"]
                    .iter()
                    .map(|k| self.item(k, CompletionItemKind::KEYWORD, None))
                    .collect();
            }
            return self
                .routes()
                .into_iter()
                .map(|r| self.item(&r, CompletionItemKind::MODULE, Some("route")))
                .collect();
        }
        if prev == "step" && self.prev(2) == "expect" && in_test {
            return self.test_steps();
        }
        if prev == "workflow" && in_test {
            let mut names: Vec<&String> = self.docs.program.workflows.keys().collect();
            names.sort();
            return names
                .into_iter()
                .map(|n| self.item(n, CompletionItemKind::MODULE, Some("workflow")))
                .collect();
        }
        if prev == "mock" || self.statement_start() {
            if let [ns] = self.path.as_slice() {
                if catalog::namespaces().contains(&ns.as_str()) {
                    return self.actions(ns);
                }
            }
        }
        if !self.path.is_empty() {
            return self.fields();
        }
        if prev == "mock" {
            return self.namespaces();
        }
        if self.statement_start() {
            return self.statement_items(in_test);
        }
        if self.frames.is_empty() && matches!(prev, "" | "}") {
            return ["workflow", "test"]
                .iter()
                .map(|k| self.item(k, CompletionItemKind::KEYWORD, None))
                .collect();
        }
        let mut out = Vec::new();
        if let Some(Frame::Paren(Some((ns, action)), given)) = self.frames.last() {
            if matches!(prev, "(" | ",") {
                out.extend(self.params(ns, action, given));
            }
        }
        out.extend(self.values());
        out
    }

    /// Whether the cursor starts a statement: in a block, after `{`, `}`, `step x =`,
    /// or on a new line after a complete value.
    fn statement_start(&self) -> bool {
        let in_block = match self.frames.last() {
            Some(Frame::Brace { record }) => !record,
            _ => false,
        };
        if !in_block {
            return false;
        }
        let prev = self.prev(1);
        if prev == "=" && self.prev(3) == "step" {
            return true;
        }
        if matches!(prev, "{" | "}") {
            return true;
        }
        let Some(last) = self.before.checked_sub(1).and_then(|i| self.tokens.get(i)) else { return true };
        let gap = self.text.get(last.span.end as usize..self.chain_start).unwrap_or("");
        let value_end = match last.kind {
            Kind::Word => !CONTINUING_WORDS.contains(&prev),
            Kind::Number | Kind::Str => true,
            Kind::Punct => matches!(prev, ")" | "]" | "}"),
            Kind::Other => false,
        };
        value_end && gap.contains('\n')
    }

    fn edit_range(&self, start: usize) -> Range {
        Range::new(self.doc.position(start), self.doc.position(self.offset))
    }

    fn item(&self, label: &str, kind: CompletionItemKind, detail: Option<&str>) -> CompletionItem {
        CompletionItem {
            label: label.to_owned(),
            kind: Some(kind),
            detail: detail.map(str::to_owned),
            text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(
                self.edit_range(self.word_start),
                label.to_owned(),
            ))),
            ..CompletionItem::default()
        }
    }

    fn trigger_item(&self, t: &TriggerSpec) -> CompletionItem {
        CompletionItem {
            label: t.name.to_owned(),
            kind: Some(CompletionItemKind::EVENT),
            detail: Some(format!("fires when {}", t.fires_when)),
            documentation: Some(markdown(trigger_markdown(t))),
            filter_text: Some(t.name.to_owned()),
            text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(
                self.edit_range(self.chain_start),
                t.name.to_owned(),
            ))),
            ..CompletionItem::default()
        }
    }

    fn actions(&self, ns: &str) -> Vec<CompletionItem> {
        catalog::ACTIONS
            .iter()
            .filter(|a| a.namespace == ns)
            .map(|a| CompletionItem {
                detail: Some(signature(a)),
                documentation: Some(markdown(action_markdown(a))),
                ..self.item(a.name, CompletionItemKind::FUNCTION, None)
            })
            .collect()
    }

    fn namespaces(&self) -> Vec<CompletionItem> {
        catalog::namespaces()
            .into_iter()
            .map(|ns| self.item(ns, CompletionItemKind::MODULE, Some("actions")))
            .collect()
    }

    fn params(&self, ns: &str, action: &str, given: &[String]) -> Vec<CompletionItem> {
        let Some(spec) = catalog::action(ns, action) else { return Vec::new() };
        spec.params
            .iter()
            .filter(|p| !given.iter().any(|g| g == p.name))
            .enumerate()
            .map(|(i, p)| CompletionItem {
                label: format!("{}:", p.name),
                kind: Some(CompletionItemKind::PROPERTY),
                detail: Some(p.ty.to_owned()),
                documentation: Some(markdown(param_markdown(spec, p))),
                sort_text: Some(format!("0{i:02}")),
                filter_text: Some(p.name.to_owned()),
                text_edit: Some(CompletionTextEdit::Edit(TextEdit::new(
                    self.edit_range(self.word_start),
                    format!("{}: ", p.name),
                ))),
                ..CompletionItem::default()
            })
            .collect()
    }

    fn statement_items(&self, in_test: bool) -> Vec<CompletionItem> {
        let depth = self.frames.len();
        let keywords: &[&str] = if in_test { TEST_KEYWORDS } else { STATEMENT_KEYWORDS };
        let mut out: Vec<CompletionItem> =
            keywords.iter().map(|k| self.item(k, CompletionItemKind::KEYWORD, None)).collect();
        if !in_test {
            if depth == 1 {
                out.extend(HEADER_KEYWORDS.iter().map(|k| self.item(k, CompletionItemKind::KEYWORD, None)));
                out.push(self.item("route", CompletionItemKind::KEYWORD, None));
            }
            out.extend(self.namespaces());
        }
        out
    }

    /// Names a value may start with here.
    fn values(&self) -> Vec<CompletionItem> {
        let mut out = Vec::new();
        for name in ["event", "contact", "run", "error"] {
            out.push(self.item(name, CompletionItemKind::VARIABLE, None));
        }
        if let Some(trigger) = self.trigger() {
            for c in trigger.carries {
                let detail = format!("{}{}", c.name.type_name(), if c.optional { "?" } else { "" });
                out.push(self.item(c.name.as_str(), CompletionItemKind::VARIABLE, Some(&detail)));
            }
        }
        for (name, ty) in self.steps() {
            out.push(self.item(&name, CompletionItemKind::VARIABLE, Some(&format!("step: {ty}"))));
        }
        for name in self.lets() {
            out.push(self.item(&name, CompletionItemKind::VARIABLE, Some("let")));
        }
        for f in crate::check::BUILTIN_FUNCTIONS {
            out.push(self.item(f, CompletionItemKind::FUNCTION, Some("built-in function")));
        }
        for k in ["true", "false", "null", "not"] {
            out.push(self.item(k, CompletionItemKind::KEYWORD, None));
        }
        out
    }

    fn fields(&self) -> Vec<CompletionItem> {
        let Some(ty) = self.path_type() else { return Vec::new() };
        let Type::Record(record) = ty.non_null() else { return Vec::new() };
        record
            .fields
            .iter()
            .map(|(name, t)| self.item(name, CompletionItemKind::FIELD, Some(&t.to_string())))
            .collect()
    }

    /// The type of the dotted path before the cursor.
    fn path_type(&self) -> Option<Type> {
        let (root, rest) = self.path.split_first()?;
        let mut ty = match root.as_str() {
            "event" => self.event_type()?,
            // With the project's declared properties (`contact.properties.` completes them).
            "contact" => crate::check::contact_type_in(None, &self.docs.catalog),
            "run" => catalog::record_of(Some("Run"), catalog::RUN_FIELDS),
            "error" => catalog::record_of(Some("Error"), catalog::ERROR_FIELDS),
            name => match ContextName::from_name(name) {
                Some(ctx) => ctx.record_type(),
                None => self.steps().into_iter().find(|(n, _)| n == name).map(|(_, t)| t)?,
            },
        };
        for field in rest {
            let Type::Record(record) = ty.non_null() else { return None };
            ty = record.field(field)?.clone();
        }
        Some(ty)
    }

    fn event_type(&self) -> Option<Type> {
        let trigger = self.trigger()?;
        let mut fields: Vec<(String, Type)> = catalog::EVENT_BASE_FIELDS
            .iter()
            .chain(trigger.fields)
            .map(|(n, t)| ((*n).to_owned(), catalog::catalog_type(t)))
            .collect();
        if trigger.form_data {
            let form = self.info.as_ref().and_then(|i| i.form.clone());
            fields.push(("fields".into(), form.unwrap_or(Type::Json)));
        }
        Some(Type::record(Some(&format!("{} event", trigger.name)), fields))
    }

    /// The workflow's header clauses (up to its `form` or `trigger`), closed and
    /// checked alone: what a workflow that never checked declares.
    fn header_info(&self) -> Option<WorkflowInfo> {
        let name = self.workflow_name()?.to_owned();
        let range = self.item_tokens();
        let start = self.tokens.get(range.start)?.span.start as usize;
        let mut end = None;
        if let Some(trigger) = range.clone().find(|&i| self.tok(i) == "trigger") {
            let at = self.tokens.get(trigger)?.span.end as usize;
            end = Some(self.text.get(at..).and_then(|t| t.find('\n')).map_or(self.text.len(), |n| at + n));
        }
        if let Some(form) = range.clone().find(|&i| self.tok(i) == "form" && self.tok(i + 1) == "{") {
            let close = (form + 2..range.end).find(|&i| self.tok(i) == "}")?;
            let at = self.tokens.get(close)?.span.end as usize;
            end = end.max(Some(at));
        }
        let snippet = format!("{}\n}}\n", self.text.get(start..end?)?);
        let parsed = crate::syntax::parse(FileId(0), &snippet);
        let checked = crate::check::check(&[(FileId(0), parsed.file)]);
        checked.program.workflows.get(&name).cloned()
    }

    fn workflow_name(&self) -> Option<&str> {
        match &self.item {
            Some((ItemKind::Workflow, name, ..)) => Some(name),
            _ => None,
        }
    }

    /// The item's token range.
    fn item_tokens(&self) -> std::ops::Range<usize> {
        self.item.as_ref().map_or(0..0, |(_, _, start, end)| *start..*end)
    }

    /// The workflow's trigger: from its last check, or from its `trigger` clause.
    fn trigger(&self) -> Option<&'static TriggerSpec> {
        let checked = self.info.as_ref().and_then(|i| i.trigger);
        checked.or_else(|| {
            let range = self.item_tokens();
            let at = range.clone().find(|&i| self.tok(i) == "trigger")?;
            let mut name = String::new();
            let mut i = at + 1;
            while i < range.end {
                let t = self.tok(i);
                if name.is_empty() || name.ends_with('.') || t == "." {
                    if t != "." && !self.tokens.get(i).is_some_and(|t| t.kind == Kind::Word) {
                        break;
                    }
                    name.push_str(t);
                    i += 1;
                } else {
                    break;
                }
            }
            catalog::trigger(&name).map(|(t, _)| t)
        })
    }

    /// The workflow's steps with their output types: checked ones, and any
    /// `step name = ns.action` in its text.
    fn steps(&self) -> Vec<(String, Type)> {
        let mut out: Vec<(String, Type)> = self
            .info
            .as_ref()
            .map(|info| info.steps.iter().map(|s| (s.name.clone(), s.output_type())).collect())
            .unwrap_or_default();
        if self.workflow_name().is_none() {
            return out;
        }
        for i in self.item_tokens() {
            if self.tok(i) == "step" && self.tok(i + 2) == "=" && self.tok(i + 4) == "." {
                let name = self.tok(i + 1).to_owned();
                if let Some(a) = catalog::action(self.tok(i + 3), self.tok(i + 5)) {
                    if !out.iter().any(|(n, _)| *n == name) {
                        out.push((name, a.output_type()));
                    }
                }
            }
        }
        out
    }

    /// `let` names written before the cursor in the item.
    fn lets(&self) -> Vec<String> {
        let range = self.item_tokens();
        let mut out: Vec<String> = Vec::new();
        for i in range.start..self.before.min(range.end) {
            if self.tok(i) == "let" && self.tokens.get(i + 1).is_some_and(|t| t.kind == Kind::Word) {
                let name = self.tok(i + 1).to_owned();
                if !out.contains(&name) && i + 1 < self.before {
                    out.push(name);
                }
            }
        }
        out
    }

    /// In a test, the steps of the workflow it runs: the one its `workflow` clause
    /// names, or the only workflow of its file.
    fn test_steps(&self) -> Vec<CompletionItem> {
        let named = self.item_tokens().find(|&i| self.tok(i) == "workflow" && i > self.item_tokens().start);
        let info = match named {
            Some(i) => self.docs.workflow_info(self.tok(i + 1)),
            None => {
                let mut own = self.docs.program.workflows.values().filter(|w| w.file == self.file);
                match (own.next(), own.next()) {
                    (Some(only), None) => Some(only),
                    _ => None,
                }
            }
        };
        info.map(|info| {
            info.steps
                .iter()
                .map(|s| {
                    let detail = s.action.map(|a| a.full_name());
                    self.item(&s.name, CompletionItemKind::FUNCTION, detail.as_deref())
                })
                .collect()
        })
        .unwrap_or_default()
    }

    /// Route names declared anywhere in the workflow (usually after the cursor).
    fn routes(&self) -> Vec<String> {
        let mut out = Vec::new();
        for i in self.item_tokens() {
            if self.tok(i) == "route" && self.tokens.get(i + 1).is_some_and(|t| t.kind == Kind::Word) {
                let name = self.tok(i + 1).to_owned();
                if !out.contains(&name) {
                    out.push(name);
                }
            }
        }
        out
    }
}

fn markdown(value: String) -> Documentation {
    Documentation::MarkupContent(MarkupContent { kind: MarkupKind::Markdown, value })
}
