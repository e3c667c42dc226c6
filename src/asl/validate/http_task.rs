//! The HTTP Task's parameters (`arn:aws:states:::http:invoke`), checked as AWS checks
//! them at CreateStateMachine: ApiEndpoint, Method and Authentication are required,
//! Method and the Transform options take AWS's values, headers AWS refuses are named
//! ("The 'Headers' field contains unsupported values: [authorization]"), and fields
//! the integration doesn't have are refused. Values given by a path (`Field.$`) or a
//! JSONata expression are only known at run time, where the Task checks them again.

use super::{At, Ctx, Ql, child, kind};
use crate::asl::http_task::{
    ARRAY_FORMATS, METHODS, unsupported_header, unsupported_headers_message,
};
use serde_json::{Map, Value};

const FIELDS: [&str; 8] = [
    "ApiEndpoint",
    "Method",
    "Authentication",
    "InvocationConfig",
    "Headers",
    "QueryParameters",
    "RequestBody",
    "Transform",
];

/// Whether `resource` is the HTTP Task (in any partition).
pub(super) fn is_http_task(resource: &str) -> bool {
    resource.starts_with("arn:aws")
        && resource.ends_with(":states:::http:invoke")
        && resource.split(':').count() == 7
}

/// A value known only at run time: a JSONata expression.
fn dynamic(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.trim_start().starts_with("{%") && s.trim_end().ends_with("%}"))
}

/// `field` of `m`, given as is or by path (`field.$`); the value when given as is.
fn given<'v>(m: &'v Map<String, Value>, field: &str) -> Option<Option<&'v Value>> {
    match (m.get(field), m.get(&format!("{field}.$"))) {
        (Some(v), _) if dynamic(v) => Some(None),
        (Some(v), _) => Some(Some(v)),
        (None, Some(_)) => Some(None),
        (None, None) => None,
    }
}

pub(super) fn check(ctx: &mut Ctx, at: At, obj: &Map<String, Value>, ql: Ql) {
    let field = if ql == Ql::Jsonata {
        "Arguments"
    } else {
        "Parameters"
    };
    let ptr = child(at.ptr, field);
    let here = At {
        ptr: &ptr,
        state: at.state,
    };
    let m = match obj.get(field) {
        Some(Value::Object(m)) => m,
        // An expression, or a wrong type reported elsewhere.
        Some(_) => return,
        None => {
            ctx.at(
                at,
                "missing-field",
                format!(
                    "An HTTP Task requires {field} with ApiEndpoint, Method and Authentication"
                ),
            );
            return;
        }
    };
    for k in m.keys() {
        let name = k.strip_suffix(".$").unwrap_or(k);
        if !FIELDS.contains(&name) {
            ctx.report(
                &child(&ptr, k),
                at.state,
                "unknown-field",
                format!("The field '{name}' is not supported by Step Functions"),
            );
        }
    }
    for required in ["ApiEndpoint", "Method"] {
        if given(m, required).is_none() {
            ctx.at(
                here,
                "missing-field",
                format!("The field '{required}' is required"),
            );
        }
    }
    if given(m, "Authentication").is_none() && given(m, "InvocationConfig").is_none() {
        ctx.at(
            here,
            "missing-field",
            "The field 'Authentication' is required (an EventBridge connection: {\"ConnectionArn\": \"arn:aws:events:…:connection/…\"})".into(),
        );
    }
    if let Some(Some(v)) = given(m, "ApiEndpoint")
        && !v
            .as_str()
            .is_some_and(|s| s.starts_with("https://") || s.starts_with("http://"))
    {
        ctx.report(
            &child(&ptr, "ApiEndpoint"),
            at.state,
            "out-of-range",
            format!("The value of the field 'ApiEndpoint' must be an https URL, got {v}"),
        );
    }
    if let Some(Some(v)) = given(m, "Method")
        && !v.as_str().is_some_and(|s| METHODS.contains(&s))
    {
        ctx.report(
            &child(&ptr, "Method"),
            at.state,
            "out-of-range",
            format!(
                "The value of the field 'Method' must be one of {}, got {v}",
                METHODS.join(", ")
            ),
        );
    }
    for section in ["Authentication", "InvocationConfig"] {
        let Some(Some(v)) = given(m, section) else {
            continue;
        };
        let sp = child(&ptr, section);
        match v {
            Value::Object(a)
                if a.contains_key("ConnectionArn") || a.contains_key("ConnectionArn.$") =>
            {
                if let Some(arn) = a.get("ConnectionArn")
                    && !dynamic(arn)
                    && !arn
                        .as_str()
                        .is_some_and(|s| s.starts_with("arn:") && s.contains(":connection/"))
                {
                    ctx.report(
                        &child(&sp, "ConnectionArn"),
                        at.state,
                        "out-of-range",
                        format!("The value of the field 'ConnectionArn' must be an EventBridge connection ARN (arn:aws:events:REGION:ACCOUNT:connection/NAME/ID), got {arn}"),
                    );
                }
            }
            Value::Object(_) => ctx.report(
                &sp,
                at.state,
                "missing-field",
                format!("The field '{section}' requires ConnectionArn"),
            ),
            other => ctx.report(
                &sp,
                at.state,
                "wrong-type",
                format!(
                    "The field '{section}' must be an object with ConnectionArn, got {}",
                    kind(other)
                ),
            ),
        }
    }
    if let Some(Some(Value::Object(h))) = given(m, "Headers") {
        let refused: Vec<String> = h
            .keys()
            .map(|k| k.strip_suffix(".$").unwrap_or(k))
            .filter(|k| unsupported_header(k))
            .map(str::to_ascii_lowercase)
            .collect();
        if !refused.is_empty() {
            ctx.at(here, "out-of-range", unsupported_headers_message(&refused));
        }
    }
    if let Some(Some(Value::Object(t))) = given(m, "Transform") {
        check_transform(ctx, at.state, &child(&ptr, "Transform"), t);
    }
}

fn check_transform(ctx: &mut Ctx, state: Option<&str>, ptr: &str, t: &Map<String, Value>) {
    if let Some(Some(v)) = given(t, "RequestBodyEncoding")
        && !matches!(v.as_str(), Some("NONE" | "URL_ENCODED"))
    {
        ctx.report(
            &child(ptr, "RequestBodyEncoding"),
            state,
            "out-of-range",
            format!(
                "The value of the field 'RequestBodyEncoding' must be NONE or URL_ENCODED, got {v}"
            ),
        );
    }
    if let Some(Some(Value::Object(o))) = given(t, "RequestEncodingOptions")
        && let Some(Some(v)) = given(o, "ArrayFormat")
        && !v.as_str().is_some_and(|s| ARRAY_FORMATS.contains(&s))
    {
        ctx.report(
            &child(&child(ptr, "RequestEncodingOptions"), "ArrayFormat"),
            state,
            "out-of-range",
            format!(
                "The value of the field 'ArrayFormat' must be one of {}, got {v}",
                ARRAY_FORMATS.join(", ")
            ),
        );
    }
}
