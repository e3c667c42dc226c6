//! Value checks common to all states and specific to Task, Wait and Fail.

use super::paths::{PathKind, check_path, check_template};
use super::{At, Ctx, Ql, child, http_task, jsonata, kind, show, strict};
use serde_json::{Map, Value};

/// Largest TimeoutSeconds/HeartbeatSeconds accepted.
const MAX_SECONDS: u64 = 99_999_998;

/// Runs `f` with the pointer to `obj[field]` when present.
fn with_field<'v>(at: At, obj: &'v Map<String, Value>, field: &str) -> Option<(String, &'v Value)> {
    obj.get(field).map(|v| (child(at.ptr, field), v))
}

pub(super) fn check_common(ctx: &mut Ctx, at: At, _ty: &str, obj: &Map<String, Value>, ql: Ql) {
    if let Some((p, v)) = with_field(at, obj, "Comment")
        && !v.is_string()
    {
        ctx.report(
            &p,
            at.state,
            "wrong-type",
            format!("Comment must be a string, got {}", kind(v)),
        );
    }
    for f in ["InputPath", "OutputPath"] {
        if let Some((p, v)) = with_field(at, obj, f) {
            check_path(
                ctx,
                At {
                    ptr: &p,
                    state: at.state,
                },
                f,
                v,
                PathKind::Path,
                true,
            );
        }
    }
    if let Some((p, v)) = with_field(at, obj, "ResultPath") {
        check_path(
            ctx,
            At {
                ptr: &p,
                state: at.state,
            },
            "ResultPath",
            v,
            PathKind::ResultPath,
            true,
        );
    }
    if ql == Ql::JsonPath {
        for f in ["Parameters", "ResultSelector", "ItemSelector"] {
            if let Some((p, v)) = with_field(at, obj, f) {
                check_template(ctx, &p, at.state, v);
            }
        }
    }
    if let Some((p, v)) = with_field(at, obj, "Assign") {
        super::variables::check_assign(
            ctx,
            At {
                ptr: &p,
                state: at.state,
            },
            v,
            ql,
        );
    }
    if let Some((p, v)) = with_field(at, obj, "Arguments")
        && !(v.is_object() || v.is_array() || jsonata::is_expression(v))
    {
        ctx.report(&p, at.state, "wrong-type", format!("Arguments must be an object, an array or a JSONata expression \"{{% … %}}\", got {}", show(v)));
    }
}

/// A positive integer (or, in JSONata states, a `{% %}` expression).
pub(super) fn check_positive_int(ctx: &mut Ctx, at: At, field: &str, v: &Value, ql: Ql) {
    if ql == Ql::Jsonata && jsonata::is_expression(v) {
        return;
    }
    match v.as_u64() {
        Some(n) if (1..=MAX_SECONDS).contains(&n) => {}
        Some(n) => ctx.at(
            at,
            "out-of-range",
            format!("{field} must be between 1 and {MAX_SECONDS}, got {n}"),
        ),
        None if v.is_number()
            && v.as_f64().is_some_and(|f| f <= 0.0)
            && v.as_f64().is_some_and(|f| f.fract() == 0.0) =>
        {
            ctx.at(
                at,
                "out-of-range",
                format!("{field} must be a positive integer, got {}", show(v)),
            )
        }
        None => ctx.at(
            at,
            "wrong-type",
            format!("{field} must be a positive integer, got {}", show(v)),
        ),
    }
}

/// A non-negative integer (or, in JSONata states, a `{% %}` expression).
pub(super) fn check_non_negative_int(ctx: &mut Ctx, at: At, field: &str, v: &Value, ql: Ql) {
    if ql == Ql::Jsonata && jsonata::is_expression(v) {
        return;
    }
    if v.as_u64().is_some() {
        return;
    }
    if v.as_i64().is_some() {
        ctx.at(
            at,
            "out-of-range",
            format!("{field} must be 0 or more, got {}", show(v)),
        );
    } else {
        ctx.at(
            at,
            "wrong-type",
            format!("{field} must be a non-negative integer, got {}", show(v)),
        );
    }
}

pub(super) fn check_task(ctx: &mut Ctx, at: At, obj: &Map<String, Value>, ql: Ql) {
    if let Some((p, v)) = with_field(at, obj, "Resource") {
        let here = At {
            ptr: &p,
            state: at.state,
        };
        match v {
            Value::String(s) => {
                strict::check_resource(ctx, here, s, false);
                if http_task::is_http_task(s) {
                    http_task::check(ctx, at, obj, ql);
                }
            }
            // CloudFormation resolves `{"Ref": ..}` / `{"Fn::GetAtt": ..}` before AWS sees it.
            Value::Object(m)
                if !ctx.opts.strict_aws
                    && m.len() == 1
                    && m.keys().all(|k| k == "Ref" || k.starts_with("Fn::")) => {}
            _ => ctx.at(
                here,
                "wrong-type",
                format!("Resource must be a string (an ARN), got {}", kind(v)),
            ),
        }
    }
    for f in ["TimeoutSeconds", "HeartbeatSeconds"] {
        if let Some((p, v)) = with_field(at, obj, f) {
            check_positive_int(
                ctx,
                At {
                    ptr: &p,
                    state: at.state,
                },
                f,
                v,
                ql,
            );
        }
    }
    for f in ["TimeoutSecondsPath", "HeartbeatSecondsPath"] {
        if let Some((p, v)) = with_field(at, obj, f) {
            check_path(
                ctx,
                At {
                    ptr: &p,
                    state: at.state,
                },
                f,
                v,
                PathKind::Reference,
                false,
            );
        }
    }
    if let (Some(t), Some(h)) = (
        obj.get("TimeoutSeconds").and_then(Value::as_u64),
        obj.get("HeartbeatSeconds").and_then(Value::as_u64),
    ) && h >= t
    {
        let p = child(at.ptr, "HeartbeatSeconds");
        ctx.report(
            &p,
            at.state,
            "out-of-range",
            format!("HeartbeatSeconds ({h}) must be smaller than TimeoutSeconds ({t})"),
        );
    }
    if let Some((p, v)) = with_field(at, obj, "Credentials") {
        check_credentials(
            ctx,
            At {
                ptr: &p,
                state: at.state,
            },
            v,
            ql,
        );
    }
}

/// `Credentials`: `{"RoleArn": "arn:aws:iam::…:role/…"}` (AWS's TaskCredentials has no
/// other field); in JSONPath states `RoleArn.$` may give it by path, in JSONata states
/// `RoleArn` may be an expression. AWS refuses `{}` and unknown fields ("The field
/// 'RoleArn' is required").
fn check_credentials(ctx: &mut Ctx, at: At, v: &Value, ql: Ql) {
    let Value::Object(m) = v else {
        ctx.at(
            at,
            "wrong-type",
            format!(
                "Credentials must be an object with RoleArn, got {}",
                kind(v)
            ),
        );
        return;
    };
    for (k, val) in m {
        let p = child(at.ptr, k);
        match k.as_str() {
            "RoleArn" => match val {
                Value::String(s) if s.is_empty() => ctx.report(
                    &p,
                    at.state,
                    "out-of-range",
                    "RoleArn must not be empty: give the ARN of the IAM role to assume".into(),
                ),
                Value::String(_) => {}
                _ => ctx.report(
                    &p,
                    at.state,
                    "wrong-type",
                    format!("RoleArn must be a string, got {}", kind(val)),
                ),
            },
            "RoleArn.$" if ql == Ql::JsonPath => {}
            "RoleArn.$" => ctx.report(
                &p,
                at.state,
                "field-query-language",
                "RoleArn.$ is JSONPath; in a JSONata state write \"RoleArn\": \"{% expression %}\""
                    .into(),
            ),
            _ => ctx.report(
                &p,
                at.state,
                "unknown-field",
                format!("field '{k}' is not allowed in Credentials (its only field is RoleArn)"),
            ),
        }
    }
    if ql == Ql::JsonPath {
        check_template(ctx, at.ptr, at.state, v);
    }
    if !m.contains_key("RoleArn") && !m.contains_key("RoleArn.$") {
        ctx.at(
            at,
            "missing-field",
            "Credentials requires RoleArn (or RoleArn.$ with a path)".into(),
        );
    }
}

pub(super) fn check_wait(ctx: &mut Ctx, at: At, obj: &Map<String, Value>, ql: Ql) {
    if let Some((p, v)) = with_field(at, obj, "Seconds") {
        check_non_negative_int(
            ctx,
            At {
                ptr: &p,
                state: at.state,
            },
            "Seconds",
            v,
            ql,
        );
    }
    if let Some((p, v)) = with_field(at, obj, "Timestamp") {
        let here = At {
            ptr: &p,
            state: at.state,
        };
        match v {
            Value::String(s) if ql == Ql::Jsonata && jsonata::is_expression(v) => {
                let _ = s;
            }
            Value::String(s) => {
                if !super::choice::is_rfc3339(s) {
                    ctx.at(here, "bad-timestamp", format!("Timestamp must be an RFC 3339 timestamp such as 2016-03-14T01:59:00Z, got {}", show(v)));
                }
            }
            _ => ctx.at(
                here,
                "wrong-type",
                format!("Timestamp must be a string, got {}", kind(v)),
            ),
        }
    }
    for f in ["SecondsPath", "TimestampPath"] {
        if let Some((p, v)) = with_field(at, obj, f) {
            check_path(
                ctx,
                At {
                    ptr: &p,
                    state: at.state,
                },
                f,
                v,
                PathKind::Reference,
                false,
            );
        }
    }
}

pub(super) fn check_fail(ctx: &mut Ctx, at: At, obj: &Map<String, Value>, _ql: Ql) {
    for f in ["Error", "Cause"] {
        if let Some((p, v)) = with_field(at, obj, f)
            && !v.is_string()
        {
            ctx.report(
                &p,
                at.state,
                "wrong-type",
                format!("{f} must be a string, got {}", kind(v)),
            );
        }
    }
    for f in ["ErrorPath", "CausePath"] {
        if let Some((p, v)) = with_field(at, obj, f) {
            let here = At {
                ptr: &p,
                state: at.state,
            };
            check_path(ctx, here, f, v, PathKind::ReferenceOrIntrinsic, false);
            if let Some(s) = v.as_str()
                && s.starts_with("States.")
            {
                let name = s.split('(').next().unwrap_or("");
                const STRINGY: &[&str] = &[
                    "States.Format",
                    "States.JsonToString",
                    "States.ArrayGetItem",
                    "States.Base64Encode",
                    "States.Base64Decode",
                    "States.Hash",
                    "States.UUID",
                ];
                if !STRINGY.contains(&name) {
                    ctx.at(here, "bad-intrinsic", format!("{f}: {name} does not return a string; use States.Format, States.JsonToString, States.ArrayGetItem, States.Base64Encode/Decode, States.Hash or States.UUID"));
                }
            }
        }
    }
}
