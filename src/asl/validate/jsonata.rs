//! JSONata strings: `{% … %}` wrappers (the expressions themselves are not parsed here).

use super::{At, Ctx, child, index};
use serde_json::{Map, Value};

/// Whether `v` is a string wrapped as a JSONata expression.
pub(super) fn is_expression(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| s.starts_with("{%") && s.ends_with("%}") && s.len() >= 4)
}

/// Problem with a `{%`-string's wrapper or its expression's tokens, if any.
fn wrapper_problem(s: &str) -> Option<String> {
    if !s.starts_with("{%") {
        return None;
    }
    if !s.ends_with("%}") || s.len() < 4 {
        return Some("a JSONata expression opened with '{%' must end with '%}'".into());
    }
    let inner = &s[2..s.len() - 2];
    if inner.trim().is_empty() {
        return Some("the JSONata expression between '{%' and '%}' is empty".into());
    }
    // AWS only asks that the string start with `{%` and end with `%}`: blanks inside
    // the delimiters are optional (`"{%$states.input%}"` deploys, and AWS's published
    // samples use it), whatever some validators say.
    super::jsonata_lex::problem(inner).map(|m| format!("JSONata syntax error: {m}"))
}

/// Checks every string under the JSONata-bearing fields of a JSONata state.
pub(super) fn check_state_strings(ctx: &mut Ctx, at: At, obj: &Map<String, Value>) {
    const SKIP: &[&str] = &[
        "Comment",
        "Type",
        "QueryLanguage",
        "Next",
        "Default",
        "Resource",
        "Branches",
        "ItemProcessor",
        "Iterator",
        "Label",
    ];
    let mut stack: Vec<(String, &Value)> = obj
        .iter()
        .filter(|(k, _)| !SKIP.contains(&k.as_str()))
        .map(|(k, v)| (child(at.ptr, k), v))
        .collect();
    while let Some((p, v)) = stack.pop() {
        match v {
            Value::String(s) => {
                if let Some(why) = wrapper_problem(s) {
                    ctx.report(&p, at.state, "jsonata-syntax", why);
                }
            }
            Value::Array(a) => stack.extend(a.iter().enumerate().map(|(i, x)| (index(&p, i), x))),
            Value::Object(m) => stack.extend(
                m.iter()
                    .filter(|(k, _)| k.as_str() != "Comment")
                    .map(|(k, x)| (child(&p, k), x)),
            ),
            _ => {}
        }
    }
}

/// In a JSONPath state a `{% %}` field value is not evaluated: report it.
pub(super) fn check_no_expressions(ctx: &mut Ctx, at: At, obj: &Map<String, Value>) {
    for (k, v) in obj {
        if k == "Comment" {
            continue;
        }
        if let Value::String(s) = v
            && s.starts_with("{%")
        {
            let p = child(at.ptr, k);
            ctx.report(
                &p,
                at.state,
                "jsonata-in-jsonpath",
                format!("{k} holds a JSONata expression, but this state uses JSONPath: set \"QueryLanguage\": \"JSONata\" on the state or the machine"),
            );
        }
    }
}
