//! Which fields each state type allows, per query language; required fields, mutually
//! exclusive fields and `Next`/`End`.

use super::{At, Ctx, Ql, child, kind};
use serde_json::{Map, Value};

/// Where a field may appear.
#[derive(Clone, Copy, PartialEq)]
enum L {
    /// both query languages
    B,
    /// JSONPath states only
    P,
    /// JSONata states only
    A,
}
use L::{A, B, P};

const COMMON: &[(&str, L)] = &[("Type", B), ("Comment", B), ("QueryLanguage", B)];

fn table(ty: &str) -> &'static [(&'static str, L)] {
    match ty {
        "Pass" => &[
            ("Next", B),
            ("End", B),
            ("InputPath", P),
            ("OutputPath", P),
            ("ResultPath", P),
            ("Parameters", P),
            ("Result", P),
            ("Output", A),
            ("Assign", B),
        ],
        "Task" => &[
            ("Resource", B),
            ("Next", B),
            ("End", B),
            ("InputPath", P),
            ("OutputPath", P),
            ("ResultPath", P),
            ("Parameters", P),
            ("ResultSelector", P),
            ("Arguments", A),
            ("Output", A),
            ("Retry", B),
            ("Catch", B),
            ("TimeoutSeconds", B),
            ("TimeoutSecondsPath", P),
            ("HeartbeatSeconds", B),
            ("HeartbeatSecondsPath", P),
            ("Credentials", B),
            ("Assign", B),
        ],
        "Choice" => &[
            ("Choices", B),
            ("Default", B),
            ("InputPath", P),
            ("OutputPath", P),
            ("Output", A),
            ("Assign", B),
        ],
        "Wait" => &[
            ("Next", B),
            ("End", B),
            ("Seconds", B),
            ("SecondsPath", P),
            ("Timestamp", B),
            ("TimestampPath", P),
            ("InputPath", P),
            ("OutputPath", P),
            ("Output", A),
            ("Assign", B),
        ],
        "Succeed" => &[("InputPath", P), ("OutputPath", P), ("Output", A)],
        "Fail" => &[
            ("Error", B),
            ("ErrorPath", P),
            ("Cause", B),
            ("CausePath", P),
        ],
        "Parallel" => &[
            ("Branches", B),
            ("Next", B),
            ("End", B),
            ("InputPath", P),
            ("OutputPath", P),
            ("ResultPath", P),
            ("Parameters", P),
            ("ResultSelector", P),
            ("Arguments", A),
            ("Output", A),
            ("Retry", B),
            ("Catch", B),
            ("Assign", B),
        ],
        "Map" => &[
            ("Next", B),
            ("End", B),
            ("InputPath", P),
            ("OutputPath", P),
            ("ResultPath", P),
            ("Parameters", P),
            ("ItemSelector", B),
            ("ResultSelector", P),
            ("Output", A),
            ("Retry", B),
            ("Catch", B),
            ("Assign", B),
            ("Iterator", B),
            ("ItemProcessor", B),
            ("ItemsPath", P),
            ("Items", A),
            ("MaxConcurrency", B),
            ("MaxConcurrencyPath", P),
            ("ItemReader", B),
            ("ItemBatcher", B),
            ("ResultWriter", B),
            ("Label", B),
            ("ToleratedFailureCount", B),
            ("ToleratedFailureCountPath", P),
            ("ToleratedFailurePercentage", B),
            ("ToleratedFailurePercentagePath", P),
        ],
        _ => &[],
    }
}

const EXCLUSIVE: &[&[&str]] = &[
    &["Seconds", "SecondsPath", "Timestamp", "TimestampPath"],
    &["TimeoutSeconds", "TimeoutSecondsPath"],
    &["HeartbeatSeconds", "HeartbeatSecondsPath"],
    &["Error", "ErrorPath"],
    &["Cause", "CausePath"],
    &["Iterator", "ItemProcessor"],
    &["Parameters", "ItemSelector"],
    &["ItemsPath", "Items"],
    &["MaxConcurrency", "MaxConcurrencyPath"],
    &["ToleratedFailureCount", "ToleratedFailureCountPath"],
    &[
        "ToleratedFailurePercentage",
        "ToleratedFailurePercentagePath",
    ],
];

fn ql_name(ql: Ql) -> &'static str {
    match ql {
        Ql::JsonPath => "JSONPath",
        Ql::Jsonata => "JSONata",
    }
}

pub(super) fn check_fields(ctx: &mut Ctx, at: At, ty: &str, obj: &Map<String, Value>, ql: Ql) {
    let tab = table(ty);
    for k in obj.keys() {
        let p = child(at.ptr, k);
        let here = At {
            ptr: &p,
            state: at.state,
        };
        let found = COMMON.iter().chain(tab.iter()).find(|(n, _)| n == k);
        match found {
            None => {
                let hint = match k.as_str() {
                    "Next" | "End" if matches!(ty, "Choice" | "Succeed" | "Fail") => {
                        " (Choice, Succeed and Fail states have neither Next nor End)"
                    }
                    _ => "",
                };
                ctx.at(
                    here,
                    "unknown-field",
                    format!("field '{k}' is not allowed in a {ty} state{hint}"),
                );
            }
            Some((_, l)) => {
                let wrong = match (l, ql) {
                    (P, Ql::Jsonata) => Some("JSONPath"),
                    (A, Ql::JsonPath) => Some("JSONata"),
                    _ => None,
                };
                if let Some(only) = wrong {
                    ctx.at(
                        here,
                        "field-query-language",
                        format!(
                            "field '{k}' is only allowed in {only} states; this state uses {} (set QueryLanguage or use the {} equivalent)",
                            ql_name(ql),
                            ql_name(ql)
                        ),
                    );
                }
            }
        }
    }
    for group in EXCLUSIVE {
        let present: Vec<&str> = group
            .iter()
            .copied()
            .filter(|f| obj.contains_key(*f))
            .collect();
        if present.len() > 1 {
            let p = child(at.ptr, present[1]);
            ctx.report(
                &p,
                at.state,
                "mutually-exclusive",
                format!(
                    "only one of {} may be set; found {}",
                    group.join(", "),
                    present.join(" and ")
                ),
            );
        }
    }
    let required: &[&str] = match ty {
        "Task" => &["Resource"],
        "Choice" => &["Choices"],
        "Parallel" => &["Branches"],
        "Map" => &["Iterator", "ItemProcessor"],
        "Wait" => &["Seconds", "SecondsPath", "Timestamp", "TimestampPath"],
        _ => &[],
    };
    if !required.is_empty() && !required.iter().any(|f| obj.contains_key(*f)) {
        let msg = if required.len() == 1 {
            format!("a {ty} state requires {}", required[0])
        } else {
            format!("a {ty} state requires one of {}", required.join(", "))
        };
        ctx.at(at, "missing-field", msg);
    }
    if !matches!(ty, "Choice" | "Succeed" | "Fail") {
        check_next_end(ctx, at, obj);
    }
}

fn check_next_end(ctx: &mut Ctx, at: At, obj: &Map<String, Value>) {
    let next = obj.get("Next");
    let end = obj.get("End");
    if let Some(v) = next
        && !v.is_string()
    {
        let p = child(at.ptr, "Next");
        ctx.report(
            &p,
            at.state,
            "wrong-type",
            format!("Next must be a string naming a state, got {}", kind(v)),
        );
    }
    let end_true = match end {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(v) => {
            let p = child(at.ptr, "End");
            ctx.report(
                &p,
                at.state,
                "wrong-type",
                format!("End must be a boolean, got {}", kind(v)),
            );
            true
        }
    };
    if next.is_some() && end.is_some() {
        let p = child(at.ptr, "End");
        ctx.report(
            &p,
            at.state,
            "next-and-end",
            "a state may have Next or End, not both".into(),
        );
    } else if next.is_none() && !end_true {
        let msg = if end.is_some() {
            "End is false and there is no Next: set \"End\": true or add Next"
        } else {
            "the state needs a transition: add Next (the state to run next) or \"End\": true"
        };
        ctx.at(at, "missing-transition", msg.into());
    }
}
