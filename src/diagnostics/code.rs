//! Stable diagnostic codes. A code never changes meaning once released; each has a
//! section in `docs/diagnostics.md`, which `komo explain` prints.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $severity:ident, $title:literal;)*) => {
        /// Every diagnostic code komo emits.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $($variant,)*
        }

        impl Code {
            /// All codes, in numeric order.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable text form, `K0301`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// A short title, used as the heading of the code's documentation.
            pub fn title(self) -> &'static str {
                match self {
                    $(Code::$variant => $title,)*
                }
            }

            /// The severity a diagnostic with this code has.
            pub fn severity(self) -> Severity {
                match self {
                    $(Code::$variant => Severity::$severity,)*
                }
            }

            /// Parses `K0301` (case-insensitive, `k301` accepted).
            pub fn parse(text: &str) -> Option<Code> {
                let digits = text.trim().trim_start_matches(['K', 'k']);
                let n: u32 = digits.parse().ok()?;
                Code::ALL.iter().copied().find(|c| c.number() == n)
            }

            fn number(self) -> u32 {
                self.as_str().get(1..).and_then(|d| d.parse().ok()).unwrap_or(0)
            }
        }
    };
}

codes! {
    // Syntax: K00xx
    Syntax = "K0001", Error, "syntax error";
    UnterminatedString = "K0002", Error, "unterminated string";
    InvalidEscape = "K0003", Error, "invalid escape in a string";
    InvalidDuration = "K0004", Error, "invalid duration";
    NestingTooDeep = "K0005", Error, "nesting too deep";
    FileTooLarge = "K0006", Error, "file too large";
    InvalidEncoding = "K0007", Error, "invalid characters in the source";
    UnterminatedComment = "K0008", Error, "unterminated block comment";
    NumberOutOfRange = "K0009", Error, "number out of range";
    UnclosedDelimiter = "K0010", Error, "unclosed or unmatched bracket";
    ChainedComparison = "K0011", Error, "comparisons cannot be chained";
    MisplacedItem = "K0012", Error, "clause in the wrong place";
    // Names: K01xx
    UnknownAction = "K0101", Error, "unknown action";
    UnknownParameter = "K0102", Error, "unknown parameter";
    UnknownStep = "K0103", Error, "unknown step";
    UnknownRoute = "K0104", Error, "unknown route";
    UnknownName = "K0105", Error, "unknown name";
    UnknownField = "K0106", Error, "unknown field";
    UnknownFunction = "K0107", Error, "unknown function";
    UnknownType = "K0108", Error, "unknown type";
    DuplicateWorkflow = "K0110", Error, "duplicate workflow name";
    DuplicateStep = "K0111", Error, "duplicate step name";
    DuplicateRoute = "K0112", Error, "duplicate route name";
    DuplicateLet = "K0113", Error, "duplicate `let` name";
    DuplicateClause = "K0114", Error, "given more than once";
    NamingConvention = "K0115", Warning, "name is not snake_case";
    // Types: K02xx
    TypeMismatch = "K0201", Error, "mismatched types";
    MissingArgument = "K0202", Error, "missing required argument";
    InvalidLiteral = "K0203", Error, "invalid `Email`, `Phone`, `Url` or `Timestamp` literal";
    MaybeNull = "K0204", Error, "optional value used where a value is required";
    IncomparableTypes = "K0205", Error, "comparing unrelated types";
    NonBoolCondition = "K0206", Error, "condition is not a `Bool`";
    SecretMisuse = "K0207", Error, "secret used where it could leak";
    TooManyArguments = "K0208", Error, "too many positional arguments";
    InvalidOperands = "K0209", Error, "operator cannot be applied to these types";
    InvalidCast = "K0210", Error, "invalid conversion";
    // Triggers and scope: K03xx
    UnknownTrigger = "K0301", Error, "unknown trigger";
    TriggerNotAllowedAtScope = "K0302", Error, "trigger not allowed at this scope";
    ContextNotCarried = "K0303", Error, "context not carried by the trigger";
    FormNotAllowed = "K0304", Error, "`form` on a trigger without form data";
    TriggerAlias = "K0305", Warning, "trigger alias";
    MissingHeaderClause = "K0306", Error, "missing `scope` or `trigger`";
    // Flow: K04xx
    StepMayNotHaveSucceeded = "K0401", Error, "step output used where the step may not have succeeded";
    ErrorOutsideFailure = "K0402", Error, "`error` used outside a failure path";
    Unreachable = "K0403", Error, "unreachable statement";
    RouteCycle = "K0404", Error, "routes jump in a cycle";
    UnusedRoute = "K0405", Warning, "unused route";
    WaitTooLong = "K0406", Error, "`wait` longer than 365 days";
    RetryOverLimit = "K0407", Error, "`retry` over 10";
    TimeoutOverLimit = "K0408", Error, "`timeout` over 5 minutes";
    // Tests: K05xx
    UnknownWorkflow = "K0501", Error, "unknown workflow";
    UnknownEventField = "K0502", Error, "event field not in the trigger's type";
    UnknownTestStep = "K0503", Error, "unknown step in a test";
    TestWorkflowAmbiguous = "K0504", Error, "test does not say which workflow it runs";
    DuplicateTest = "K0505", Error, "duplicate test name";
    // Workspace catalog: K06xx
    UnknownCatalogName = "K0601", Error, "name not in the workspace catalog";
    TemplateVariable = "K0602", Error, "template variable the send does not provide";
    // Project: K07xx
    TriggerLoop = "K0701", Error, "workflows trigger each other in a loop";
    LimitExceeded = "K0702", Error, "a run may go over a project limit";
    // Internal: K09xx
    Internal = "K0901", Error, "internal compiler error";
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for code in Code::ALL {
            assert!(seen.insert(code.as_str()), "duplicate {code}");
            assert_eq!(Code::parse(code.as_str()), Some(*code));
        }
        assert_eq!(Code::parse("k301"), Some(Code::UnknownTrigger));
        assert_eq!(Code::parse("K9999"), None);
        assert_eq!(Code::parse("hello"), None);
    }
}
