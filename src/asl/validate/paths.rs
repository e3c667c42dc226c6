//! Path fields (`InputPath`, `ResultPath`, `*Path`, `Variable`) and payload templates
//! (`Parameters`, `ResultSelector`, `ItemSelector`, JSONPath `Assign`).

use super::{At, Ctx, child, index, kind, show};
use crate::asl::intrinsic::{self, Call};
use crate::asl::path::{JsonPath, PathRoot};
use serde_json::Value;

#[derive(Clone, Copy, PartialEq)]
pub(super) enum PathKind {
    /// Any Path (`$`, `$$`, `$var`; wildcards allowed).
    Path,
    /// A Reference Path: one node, no wildcard/filter/slice.
    Reference,
    /// A Reference Path over the state input (`ResultPath`).
    ResultPath,
    /// A Reference Path or an intrinsic function call.
    ReferenceOrIntrinsic,
}

/// Checks the value of a path field; `at.ptr` points at the field itself.
pub(super) fn check_path(
    ctx: &mut Ctx,
    at: At,
    field: &str,
    v: &Value,
    pk: PathKind,
    allow_null: bool,
) {
    let s = match v {
        Value::Null if allow_null => return,
        Value::Null => {
            ctx.at(at, "null-not-allowed", format!("{field} may not be null"));
            return;
        }
        Value::String(s) => s,
        _ => {
            ctx.at(
                at,
                "wrong-type",
                format!("{field} must be a string holding a path, got {}", kind(v)),
            );
            return;
        }
    };
    if pk == PathKind::ReferenceOrIntrinsic && s.starts_with("States.") {
        if let Err(e) = Call::parse(s) {
            ctx.at(
                at,
                "bad-intrinsic",
                format!(
                    "{field}: invalid intrinsic function call {}: {}",
                    show(v),
                    e.message
                ),
            );
        }
        return;
    }
    if intrinsic::is_intrinsic(s) && pk != PathKind::ReferenceOrIntrinsic {
        ctx.at(
            at,
            "bad-path",
            format!(
                "{field} must be a path, not an intrinsic function call ({})",
                show(v)
            ),
        );
        return;
    }
    match JsonPath::parse(s) {
        Err(e) => ctx.at(
            at,
            "bad-path",
            format!("{field} is not a valid path {}: {}", show(v), e.message),
        ),
        Ok(p) => {
            if pk != PathKind::Path && !p.is_definite() {
                ctx.at(
                    at,
                    "bad-path",
                    format!("{field} must be a Reference Path (one node: no wildcard, filter, slice or '..'), got {}", show(v)),
                );
            } else if pk == PathKind::ResultPath && *p.root() != PathRoot::Input {
                ctx.at(
                    at,
                    "bad-path",
                    format!(
                        "ResultPath must start with '$' (the state input), got {}",
                        show(v)
                    ),
                );
            }
        }
    }
}

/// Whether a `.$` value is acceptable: a path or an intrinsic call. Returns the reason
/// when it is not.
fn template_value_error(s: &str) -> Option<String> {
    if s.starts_with("States.") {
        return Call::parse(s)
            .err()
            .map(|e| format!("invalid intrinsic function call: {}", e.message));
    }
    if s.starts_with('$') {
        return JsonPath::parse(s)
            .err()
            .map(|e| format!("invalid path: {}", e.message));
    }
    Some("a value whose key ends in '.$' must be a path ($, $$ or $variable) or an intrinsic function call (States.…)".into())
}

/// Checks a payload template recursively (iteratively: any depth is fine). `ptr` points
/// at the template itself.
pub(super) fn check_template(ctx: &mut Ctx, ptr: &str, state: Option<&str>, v: &Value) {
    let mut stack: Vec<(String, &Value)> = vec![(ptr.to_string(), v)];
    while let Some((p, v)) = stack.pop() {
        match v {
            Value::Object(m) => {
                for (k, val) in m {
                    let kp = child(&p, k);
                    if let Some(base) = k.strip_suffix(".$") {
                        if m.contains_key(base) {
                            ctx.report(
                                &kp,
                                state,
                                "duplicate-template-key",
                                format!("'{k}' and '{base}' both set '{base}' once '.$' is removed; keep one"),
                            );
                        }
                        match val {
                            Value::String(s) => {
                                if let Some(why) = template_value_error(s) {
                                    ctx.report(&kp, state, "bad-template-value", format!("'{k}': {} is not usable: {why}", show(val)));
                                }
                            }
                            _ => ctx.report(
                                &kp,
                                state,
                                "bad-template-value",
                                format!("'{k}' must be a string holding a path or an intrinsic function call, got {}", kind(val)),
                            ),
                        }
                    } else {
                        stack.push((kp, val));
                    }
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    stack.push((index(&p, i), x));
                }
            }
            _ => {}
        }
    }
}
