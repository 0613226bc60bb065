//! The built-in functions: `lower upper trim len starts_with ends_with now round floor
//! ceil string int float secret`.
//!
//! In: a call and its arguments. Out: the result type, and findings for a wrong name,
//! count or argument type.

use super::env::Env;
use super::errors::CheckError;
use super::flow::Flow;
use super::types::Type;
use crate::diagnostics::did_you_mean;
use crate::syntax::ast::{Expr, ExprKind, Ident};

/// Every built-in function's name, in the order the docs list them.
pub const FUNCTIONS: &[&str] = &[
    "lower",
    "upper",
    "trim",
    "len",
    "starts_with",
    "ends_with",
    "now",
    "round",
    "floor",
    "ceil",
    "string",
    "int",
    "float",
    "secret",
];

/// One parameter of a built-in: its name, which types it accepts, and how to say so.
type BuiltinParam = (&'static str, fn(&Type) -> bool, &'static str);

/// What a built-in takes and gives.
struct Signature {
    params: &'static [BuiltinParam],
    result: Type,
}

fn text(t: &Type) -> bool {
    t.is_stringish() || matches!(t, Type::Error)
}
fn lengthy(t: &Type) -> bool {
    t.is_stringish() || matches!(t, Type::List(_) | Type::Json | Type::Error)
}
fn number(t: &Type) -> bool {
    t.is_numeric() || matches!(t, Type::Error)
}
fn convertible_to_number(t: &Type) -> bool {
    t.is_numeric() || t.is_stringish() || matches!(t, Type::Json | Type::Error)
}
fn any_but_secret(t: &Type) -> bool {
    !t.contains_secret()
}

fn signature(name: &str) -> Option<Signature> {
    const TEXT: BuiltinParam = ("text", text, "String");
    Some(match name {
        "lower" | "upper" | "trim" => Signature { params: &[TEXT], result: Type::String },
        "len" => Signature { params: &[("value", lengthy, "String, List or Json")], result: Type::Int },
        "starts_with" | "ends_with" => {
            Signature { params: &[TEXT, ("part", text, "String")], result: Type::Bool }
        }
        "now" => Signature { params: &[], result: Type::Timestamp },
        "round" | "floor" | "ceil" => Signature { params: &[("number", number, "Float")], result: Type::Int },
        "string" => {
            Signature { params: &[("value", any_but_secret, "any value but a Secret")], result: Type::String }
        }
        "int" => Signature {
            params: &[("value", convertible_to_number, "Int, Float, String or Json")],
            result: Type::Int,
        },
        "float" => Signature {
            params: &[("value", convertible_to_number, "Int, Float, String or Json")],
            result: Type::Float,
        },
        "secret" => Signature { params: &[("name", text, "String")], result: Type::Secret },
        _ => return None,
    })
}

impl Env {
    /// Checks a call to a built-in function.
    pub fn call_builtin(&mut self, call: &Expr, function: &Ident, args: &[Expr], flow: &Flow) -> Type {
        let name = function.node.as_str();
        let Some(sig) = signature(name) else {
            let suggestion = did_you_mean(name, FUNCTIONS).map(str::to_string);
            self.error(CheckError::UnknownFunction { name: name.into(), span: function.span, suggestion });
            args.iter().for_each(|a| {
                self.infer(a, flow);
            });
            return Type::Error;
        };
        for (i, arg) in args.iter().enumerate() {
            let t = self.infer(arg, flow);
            let Some((param, accepts, shown)) = sig.params.get(i) else {
                self.error(CheckError::TooManyArguments {
                    callee: name.into(),
                    max: sig.params.len(),
                    span: arg.span,
                });
                continue;
            };
            let base = t.non_null();
            if t.is_optional() && accepts(&base) {
                let what = super::expr::path_of(arg).map_or("this value".to_string(), |p| format!("`{p}`"));
                let path = super::expr::path_of(arg);
                let context = format!("`{param}` of `{name}` needs a value");
                let forgotten = path.as_deref().and_then(|p| flow.why_forgotten(p));
                self.error(CheckError::MaybeNull { what, span: arg.span, path, context, forgotten });
            } else if t.contains_secret() && name != "secret" {
                self.error(CheckError::SecretMisuse { span: arg.span, usage: format!("passed to `{name}`") });
            } else if !accepts(&t) {
                self.error(CheckError::BadFunctionArgument {
                    function: name.into(),
                    param,
                    expected: shown,
                    found: t,
                    span: arg.span,
                });
            }
        }
        if args.len() < sig.params.len() {
            let (param, shown) = sig.params.get(args.len()).map_or(("argument", "a value"), |p| (p.0, p.2));
            self.error(CheckError::MissingArgument {
                callee: name.into(),
                param: param.into(),
                ty: shown.into(),
                span: call.span,
            });
        }
        if name == "secret" {
            if let Some(arg) = args.first() {
                let is_literal = matches!(&arg.kind, ExprKind::String(lit) if lit.as_plain().is_some());
                if !is_literal {
                    self.error(CheckError::TypeMismatch {
                        expected: Type::String,
                        found: Type::String,
                        span: arg.span,
                        context: "`secret`".into(),
                        help: Some(
                            "name the secret with a plain string literal, such as `secret(\"API_TOKEN\")`"
                                .into(),
                        ),
                    });
                }
            }
        }
        sig.result
    }
}
