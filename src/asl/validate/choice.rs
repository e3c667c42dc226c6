//! Choice states: rule shape, comparison operators and their operand types.

use super::paths::{PathKind, check_path};
use super::{At, Ctx, Ql, child, index, jsonata, kind, show};
use serde_json::{Map, Value};

/// Operand type of a comparison operator.
#[derive(Clone, Copy, PartialEq)]
enum Operand {
    Str,
    Num,
    Bool,
    Time,
    Path,
}

fn operator(name: &str) -> Option<Operand> {
    const CMP: &[&str] = &[
        "Equals",
        "LessThan",
        "GreaterThan",
        "LessThanEquals",
        "GreaterThanEquals",
    ];
    if let Some(base) = name.strip_suffix("Path") {
        return operator(base)
            .filter(|_| base != "StringMatches")
            .map(|_| Operand::Path);
    }
    if name == "StringMatches" {
        return Some(Operand::Str);
    }
    if name == "BooleanEquals" {
        return Some(Operand::Bool);
    }
    if matches!(
        name,
        "IsNull" | "IsPresent" | "IsNumeric" | "IsString" | "IsBoolean" | "IsTimestamp"
    ) {
        return Some(Operand::Bool);
    }
    for (prefix, op) in [
        ("String", Operand::Str),
        ("Numeric", Operand::Num),
        ("Timestamp", Operand::Time),
    ] {
        if let Some(rest) = name.strip_prefix(prefix)
            && CMP.contains(&rest)
        {
            return Some(op);
        }
    }
    None
}

/// RFC 3339 date-time with an upper-case `T` separator and a zone.
pub(super) fn is_rfc3339(s: &str) -> bool {
    s.len() >= 20
        && s.as_bytes().get(10) == Some(&b'T')
        && chrono::DateTime::parse_from_rfc3339(s).is_ok()
}

pub(super) fn check_choice(ctx: &mut Ctx, at: At, obj: &Map<String, Value>, ql: Ql) {
    if let Some(v) = obj.get("Default")
        && !v.is_string()
    {
        let p = child(at.ptr, "Default");
        ctx.report(
            &p,
            at.state,
            "wrong-type",
            format!("Default must be a string naming a state, got {}", kind(v)),
        );
    }
    let Some(choices) = obj.get("Choices") else {
        return;
    };
    let cp = child(at.ptr, "Choices");
    let rules = match choices {
        Value::Array(a) if a.is_empty() => {
            ctx.report(
                &cp,
                at.state,
                "empty-array",
                "Choices must contain at least one rule".into(),
            );
            return;
        }
        Value::Array(a) => a,
        _ => {
            ctx.report(
                &cp,
                at.state,
                "wrong-type",
                format!("Choices must be an array of rules, got {}", kind(choices)),
            );
            return;
        }
    };
    // (pointer, rule, is top-level)
    let mut stack: Vec<(String, &Value, bool)> = rules
        .iter()
        .enumerate()
        .rev()
        .map(|(i, r)| (index(&cp, i), r, true))
        .collect();
    while let Some((p, rule, top)) = stack.pop() {
        let here = At {
            ptr: &p,
            state: at.state,
        };
        let Value::Object(r) = rule else {
            ctx.at(
                here,
                "wrong-type",
                format!("a Choice rule must be an object, got {}", kind(rule)),
            );
            continue;
        };
        if ql == Ql::Jsonata {
            check_jsonata_rule(ctx, here, r, top);
            continue;
        }
        let mut ops: Vec<&str> = Vec::new();
        for (k, v) in r {
            let kp = child(&p, k);
            let kat = At {
                ptr: &kp,
                state: at.state,
            };
            match k.as_str() {
                "Variable" => check_path(ctx, kat, "Variable", v, PathKind::Path, false),
                "Next" if top => {
                    if !v.is_string() {
                        ctx.at(
                            kat,
                            "wrong-type",
                            format!("Next must be a string naming a state, got {}", kind(v)),
                        );
                    }
                }
                "Assign" if top => super::variables::check_assign(ctx, kat, v, ql),
                "Next" | "Assign" => ctx.at(
                    kat,
                    "choice-rule",
                    format!(
                        "{k} is only allowed in a top-level Choice rule, not inside And/Or/Not"
                    ),
                ),
                "Comment" => {}
                "And" | "Or" => {
                    ops.push(k);
                    match v {
                        Value::Array(a) if !a.is_empty() => {
                            for (i, sub) in a.iter().enumerate().rev() {
                                stack.push((index(&kp, i), sub, false));
                            }
                        }
                        Value::Array(_) => ctx.at(
                            kat,
                            "empty-array",
                            format!("{k} must contain at least one rule"),
                        ),
                        _ => ctx.at(
                            kat,
                            "wrong-type",
                            format!("{k} must be a non-empty array of rules, got {}", kind(v)),
                        ),
                    }
                }
                "Not" => {
                    ops.push(k);
                    if v.is_object() {
                        stack.push((kp.clone(), v, false));
                    } else {
                        ctx.at(
                            kat,
                            "wrong-type",
                            format!("Not must be a single rule object, got {}", kind(v)),
                        );
                    }
                }
                "Condition" | "Output" => ctx.at(
                    kat,
                    "field-query-language",
                    format!("{k} is only allowed in Choice rules of JSONata states"),
                ),
                _ => match operator(k) {
                    Some(op) => {
                        ops.push(k);
                        check_operand(ctx, kat, k, v, op);
                    }
                    None => ctx.at(
                        kat,
                        "unknown-field",
                        format!("field '{k}' is not allowed in a Choice rule"),
                    ),
                },
            }
        }
        if ops.is_empty() {
            ctx.at(here, "choice-rule", "a Choice rule needs exactly one comparison operator (e.g. StringEquals with Variable) or And/Or/Not".into());
        } else if ops.len() > 1 {
            ctx.at(
                here,
                "choice-rule",
                format!(
                    "a Choice rule may have only one comparison operator, found {}",
                    ops.join(", ")
                ),
            );
        }
        let is_cmp = ops.iter().any(|o| operator(o).is_some());
        if is_cmp && !r.contains_key("Variable") {
            ctx.at(
                here,
                "choice-rule",
                format!(
                    "the comparison {} needs a Variable (the path to compare)",
                    ops.join(", ")
                ),
            );
        }
        if !is_cmp && r.contains_key("Variable") && !ops.is_empty() {
            let vp = child(&p, "Variable");
            ctx.report(
                &vp,
                at.state,
                "choice-rule",
                "Variable is only allowed with a comparison operator, not with And/Or/Not".into(),
            );
        }
        if top && !r.contains_key("Next") {
            ctx.at(
                here,
                "missing-field",
                "a top-level Choice rule needs Next (the state to go to when it matches)".into(),
            );
        }
    }
}

fn check_operand(ctx: &mut Ctx, at: At, op: &str, v: &Value, t: Operand) {
    let ok = match t {
        Operand::Str => v.is_string(),
        Operand::Num => v.is_number(),
        Operand::Bool => v.is_boolean(),
        Operand::Time => v.is_string(),
        Operand::Path => {
            check_path(ctx, at, op, v, PathKind::Reference, false);
            return;
        }
    };
    if !ok {
        let want = match t {
            Operand::Str => "a string",
            Operand::Num => "a number",
            Operand::Bool => "a boolean",
            _ => "an RFC 3339 timestamp string",
        };
        ctx.at(
            at,
            "wrong-type",
            format!("{op} must be {want}, got {}", show(v)),
        );
    } else if t == Operand::Time && !is_rfc3339(v.as_str().unwrap_or("")) {
        ctx.at(
            at,
            "bad-timestamp",
            format!(
                "{op} must be an RFC 3339 timestamp such as 2016-03-14T01:59:00Z, got {}",
                show(v)
            ),
        );
    }
}

fn check_jsonata_rule(ctx: &mut Ctx, at: At, r: &Map<String, Value>, top: bool) {
    for (k, v) in r {
        let kp = child(at.ptr, k);
        let kat = At {
            ptr: &kp,
            state: at.state,
        };
        match k.as_str() {
            "Condition" => {
                if !(v.is_boolean() || jsonata::is_expression(v)) {
                    ctx.at(kat, "wrong-type", format!("Condition must be a boolean or a JSONata expression \"{{% … %}}\", got {}", show(v)));
                }
            }
            "Next" => {
                if !v.is_string() {
                    ctx.at(
                        kat,
                        "wrong-type",
                        format!("Next must be a string naming a state, got {}", kind(v)),
                    );
                }
            }
            "Assign" => super::variables::check_assign(ctx, kat, v, Ql::Jsonata),
            "Comment" | "Output" => {}
            _ if k == "Variable"
                || k == "And"
                || k == "Or"
                || k == "Not"
                || operator(k).is_some() =>
            {
                ctx.at(
                    kat,
                    "field-query-language",
                    format!(
                        "'{k}' is a JSONPath Choice rule field; JSONata Choice rules use Condition"
                    ),
                )
            }
            _ => ctx.at(
                kat,
                "unknown-field",
                format!("field '{k}' is not allowed in a Choice rule"),
            ),
        }
    }
    if !r.contains_key("Condition") {
        ctx.at(
            at,
            "missing-field",
            "a JSONata Choice rule needs Condition".into(),
        );
    }
    if top && !r.contains_key("Next") {
        ctx.at(
            at,
            "missing-field",
            "a Choice rule needs Next (the state to go to when it matches)".into(),
        );
    }
}
