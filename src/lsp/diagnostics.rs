//! The checker's diagnostics as LSP diagnostics.
//!
//! In: [`Diagnostic`]s (byte spans, a code, labels, help) and the open documents. Out:
//! `ls_types::Diagnostic`s: the primary span as a UTF-16 range, the code (`K0301`), a
//! `codeDescription` link to the code's section of the diagnostics reference, the
//! message with the primary label and the help on their own lines, and every
//! secondary label as related information.

use tower_lsp_server::ls_types::{
    self as ls, CodeDescription, DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString,
    Uri,
};

use super::documents::Document;
use crate::diagnostics::{Code, Diagnostic, Severity};

/// Where the diagnostics reference is published: `docs/diagnostics.md` of the
/// repository. Each code links to its section (`#k0301-unknown-trigger`). A client can
/// point elsewhere with the `diagnosticsUrl` initialization option (see `docs/lsp.md`).
pub const DEFAULT_DIAGNOSTICS_URL: &str = "https://github.com/komo-lang/komo/blob/main/docs/diagnostics.md";

/// The anchor of a code's section, as GitHub and most Markdown renderers make it from
/// the heading `## K0301: unknown trigger`: lowercase, punctuation dropped (except `-`
/// and `_`), spaces as `-`.
pub fn anchor(code: Code) -> String {
    slug(&format!("{}: {}", code.as_str(), code.title()))
}

/// A heading's anchor (see [`anchor`]).
fn slug(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The link to a code's explanation under `base`.
pub fn explanation_url(base: &str, code: Code) -> Option<Uri> {
    format!("{base}#{}", anchor(code)).parse().ok()
}

/// Converts one diagnostic of `docs[file]`; labels in other documents point there, and
/// labels in the project's files that are not open (`others`, whose ids follow those of
/// `docs`) point at those files.
pub fn to_lsp(
    diagnostic: &Diagnostic,
    docs: &[Document],
    others: &[Document],
    base_url: &str,
) -> Option<ls::Diagnostic> {
    let doc = docs.get(diagnostic.file().0 as usize)?;
    let mut message = diagnostic.message.clone();
    let label = diagnostic.primary.message.trim();
    if !label.is_empty() && !message.contains(label) {
        message.push('\n');
        message.push_str(label);
    }
    if let Some(help) = &diagnostic.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    let related: Vec<DiagnosticRelatedInformation> = diagnostic
        .secondary
        .iter()
        .filter_map(|label| {
            let i = label.file.0 as usize;
            let other = docs.get(i).or_else(|| others.get(i.checked_sub(docs.len())?))?;
            Some(DiagnosticRelatedInformation {
                location: Location::new(other.uri.clone(), other.range(label.span)),
                message: if label.message.is_empty() { "related".into() } else { label.message.clone() },
            })
        })
        .collect();
    Some(ls::Diagnostic {
        range: doc.range(diagnostic.span()),
        severity: Some(match diagnostic.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(diagnostic.code.as_str().to_owned())),
        code_description: explanation_url(base_url, diagnostic.code).map(|href| CodeDescription { href }),
        source: Some("komo".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_anchor_names_a_section_of_the_reference() {
        let reference = include_str!("../../docs/diagnostics.md");
        let anchors: Vec<String> =
            reference.lines().filter_map(|l| l.strip_prefix("## ")).map(slug).collect();
        for code in Code::ALL {
            assert!(anchors.contains(&anchor(*code)), "no section for {}", anchor(*code));
        }
        assert_eq!(anchor(Code::UnknownTrigger), "k0301-unknown-trigger");
        assert_eq!(anchor(Code::DuplicateLet), "k0113-duplicate-let-name");
        assert_eq!(anchor(Code::NamingConvention), "k0115-name-is-not-snake_case");
        assert!(explanation_url(DEFAULT_DIAGNOSTICS_URL, Code::MaybeNull).is_some());
    }
}
