//! Doc comments: the `///` lines directly above a workflow, step, route or test.
//!
//! In: the file text and where a node starts. Out: the comment text, without the
//! slashes and one following space, lines joined with `\n`. The grammar treats `///` as
//! an ordinary comment; this looks backwards from the node instead, which costs only
//! the node's own line prefix and the doc lines themselves (no rescans of the file).

/// The doc comment that ends on the line before the node starting at `start`.
///
/// The node must be the first thing on its line; the doc lines must follow each other
/// directly (a blank line or any other line ends them). `////…` is not a doc comment.
pub(crate) fn doc_before(text: &str, start: usize) -> Option<String> {
    let before = text.get(..start)?;
    // Only spaces and tabs between the start of the line and the node.
    let indent = before.bytes().rev().take_while(|b| *b == b' ' || *b == b'\t').count();
    let mut line_end = before.len() - indent;
    if line_end == 0 {
        return None;
    }
    if before.as_bytes().get(line_end - 1) != Some(&b'\n') {
        return None;
    }
    let mut lines = Vec::new();
    // `line_end` is just after a '\n': the previous line ends before it.
    while let Some(prev_end) = line_end.checked_sub(1) {
        let prev_text = before.get(..prev_end)?;
        let prev_start = prev_text.rfind('\n').map_or(0, |i| i + 1);
        let line = prev_text.get(prev_start..)?;
        let Some(doc) = doc_line(line) else {
            break;
        };
        lines.push(doc);
        if prev_start == 0 {
            break;
        }
        line_end = prev_start;
    }
    if lines.is_empty() {
        return None;
    }
    lines.reverse();
    Some(lines.join("\n"))
}

/// The text of one `///` line, or `None` if the line is something else.
fn doc_line(line: &str) -> Option<&str> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let rest = line.trim_start_matches([' ', '\t']).strip_prefix("///")?;
    if rest.starts_with('/') {
        return None;
    }
    Some(rest.strip_prefix(' ').unwrap_or(rest).trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc_at(text: &str, needle: &str) -> Option<String> {
        doc_before(text, text.find(needle)?)
    }

    #[test]
    fn joins_consecutive_doc_lines() {
        let text = "// not a doc\n/// First line.\n///second\n  ///   indented\nworkflow w {}";
        assert_eq!(doc_at(text, "workflow").as_deref(), Some("First line.\nsecond\n  indented"));
    }

    #[test]
    fn a_blank_line_or_code_ends_the_doc() {
        assert_eq!(doc_at("/// a\n\nworkflow w {}", "workflow"), None);
        assert_eq!(doc_at("/// a\nstop stop", "stop stop").as_deref(), Some("a"));
        let second_stop = "/// a\nstop stop".rfind("stop").unwrap_or(0);
        assert_eq!(doc_before("/// a\nstop stop", second_stop), None);
        assert_eq!(doc_at("//// banner\nworkflow w {}", "workflow"), None);
        assert_eq!(doc_at("workflow w {}", "workflow"), None);
    }

    #[test]
    fn crlf_and_first_line() {
        assert_eq!(doc_at("/// one\r\n/// two\r\n  stop", "stop").as_deref(), Some("one\ntwo"));
    }
}
