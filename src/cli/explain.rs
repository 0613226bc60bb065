//! `komo explain CODE`.
//!
//! In: a diagnostic code (`K0301`; `k301` is accepted). Out: that code's section of
//! `docs/diagnostics.md` (compiled into the binary) on stdout, exit 0; an unknown code
//! is a usage error (exit 2) with a did-you-mean over the known codes.

use std::io;

use clap::Args;

use super::{Console, Exit};
use crate::diagnostics::{Code, did_you_mean};

/// The diagnostics reference: one `## K0301: title` section per code.
const REFERENCE: &str = include_str!("../../docs/diagnostics.md");

#[derive(Debug, Args)]
#[command(after_long_help = "\
Examples:
  komo explain K0301    why a trigger is unknown, with a wrong and a fixed example
  komo explain k301     the same: case and leading zeros do not matter")]
pub(crate) struct ExplainArgs {
    /// The diagnostic code, as printed in reports: K0301
    #[arg(value_name = "CODE")]
    code: String,
}

pub(crate) fn run(args: &ExplainArgs, console: &mut Console<'_>) -> io::Result<Exit> {
    let Some(code) = Code::parse(&args.code) else {
        writeln!(console.err, "{} unknown diagnostic code `{}`", console.red("error:"), args.code.trim())?;
        let codes = Code::ALL.iter().map(|code| code.as_str());
        let hint = match did_you_mean(&args.code.trim().to_uppercase(), &codes.collect::<Vec<_>>()) {
            Some(close) => format!("did you mean `{close}`?"),
            None => "codes look like `K0301`; every report shows its code".to_owned(),
        };
        writeln!(console.err, "  help: {hint}")?;
        return Ok(Exit::Usage);
    };
    match section(REFERENCE, code) {
        Some(text) => writeln!(console.out, "{text}")?,
        None => writeln!(
            console.out,
            "## {code}: {}\n\nNo longer explanation has been written for this code yet.",
            code.title()
        )?,
    }
    Ok(Exit::Success)
}

/// The section of `reference` about `code`: from its `## K0301…` heading up to the next
/// heading of the same or a higher level (`## ` or `# `), trailing blank lines removed.
/// Headings inside fenced code blocks do not count.
fn section(reference: &str, code: Code) -> Option<&str> {
    let mut start = None;
    let mut in_fence = false;
    let mut offset = 0;
    for line in reference.split_inclusive('\n') {
        let at = offset;
        offset += line.len();
        let trimmed = line.trim_end();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let heading = trimmed.strip_prefix("## ").or_else(|| trimmed.strip_prefix("# ").map(|_| ""));
        let Some(heading) = heading else { continue };
        if let Some(begin) = start {
            return reference.get(begin..at).map(str::trim_end);
        }
        if names(heading, code) {
            start = Some(at);
        }
    }
    start.and_then(|begin| reference.get(begin..)).map(str::trim_end)
}

/// Whether a heading's text (after `## `) starts with `code` as a whole word.
fn names(heading: &str, code: Code) -> bool {
    heading
        .strip_prefix(code.as_str())
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', ' ', '\t', '—', '-']))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
# Diagnostics

Intro.

## K0301: unknown trigger

Wrong:

```komo
## not a heading
trigger Contact.Identifed
```

## K0302: trigger not allowed at this scope

Text.

# Appendix

## K0305: trigger alias

Last.

";

    #[test]
    fn finds_a_section_up_to_the_next_heading() {
        let text = section(DOC, Code::UnknownTrigger).unwrap();
        assert!(text.starts_with("## K0301: unknown trigger\n"));
        assert!(text.ends_with("trigger Contact.Identifed\n```"), "{text}");
        assert_eq!(
            section(DOC, Code::TriggerNotAllowedAtScope),
            Some("## K0302: trigger not allowed at this scope\n\nText.")
        );
        assert_eq!(section(DOC, Code::TriggerAlias), Some("## K0305: trigger alias\n\nLast."));
    }

    #[test]
    fn a_missing_section_is_none() {
        assert_eq!(section(DOC, Code::Syntax), None);
        assert_eq!(section("", Code::Syntax), None);
    }

    #[test]
    fn a_heading_must_name_the_whole_code() {
        assert!(names("K0301: unknown trigger", Code::UnknownTrigger));
        assert!(names("K0301", Code::UnknownTrigger));
        assert!(!names("K03011: other", Code::UnknownTrigger));
    }

    #[test]
    fn the_reference_parses_for_every_code() {
        // Whatever docs/diagnostics.md holds, looking a code up never fails badly.
        for code in Code::ALL {
            if let Some(text) = section(REFERENCE, *code) {
                assert!(text.starts_with(&format!("## {code}")), "{text}");
            }
        }
    }
}
