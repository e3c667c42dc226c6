//! `Assign`: an object of variable names to values (payload templates in JSONPath
//! states), in states, Choice rules and catchers.

use super::paths::check_template;
use super::{At, Ctx, Ql, child, kind};
use serde_json::Value;

const MAX_NAME: usize = 80;

/// Why a variable name is unusable, if it is.
fn name_problem(name: &str) -> Option<String> {
    let first = name.chars().next()?;
    if first.is_ascii_digit() {
        return Some("may not start with a digit".into());
    }
    if let Some(c) = name
        .chars()
        .find(|c| c.is_whitespace() || matches!(c, '.' | '$' | '[' | ']' | '(' | ')' | '\'' | '"'))
    {
        return Some(format!("may not contain {c:?}"));
    }
    if name.chars().count() > MAX_NAME {
        return Some(format!("may be at most {MAX_NAME} characters"));
    }
    if name == "states" {
        return Some("is reserved ($states holds the state's input, result and context)".into());
    }
    None
}

/// `at.ptr` points at the Assign field itself.
pub(super) fn check_assign(ctx: &mut Ctx, at: At, v: &Value, ql: Ql) {
    let Value::Object(m) = v else {
        ctx.at(
            at,
            "wrong-type",
            format!(
                "Assign must be an object mapping variable names to values, got {}",
                kind(v)
            ),
        );
        return;
    };
    for k in m.keys() {
        let name = match ql {
            Ql::JsonPath => k.strip_suffix(".$").unwrap_or(k),
            Ql::Jsonata => k.as_str(),
        };
        let problem = if name.is_empty() {
            Some("may not be empty".to_string())
        } else {
            name_problem(name)
        };
        if let Some(why) = problem {
            let p = child(at.ptr, k);
            ctx.report(
                &p,
                at.state,
                "bad-variable-name",
                format!("variable name '{name}' {why}"),
            );
        }
    }
    if ql == Ql::JsonPath {
        check_template(ctx, at.ptr, at.state, v);
    }
}
