//! Retry and Catch: retrier/catcher fields, ErrorEquals, States.ALL placement.

use super::paths::{PathKind, check_path};
use super::{At, Ctx, Ql, child, index, kind, show};
use serde_json::{Map, Value};

pub(super) fn check(ctx: &mut Ctx, at: At, obj: &Map<String, Value>, ql: Ql) {
    for field in ["Retry", "Catch"] {
        let Some(v) = obj.get(field) else { continue };
        let fp = child(at.ptr, field);
        let Value::Array(items) = v else {
            ctx.report(
                &fp,
                at.state,
                "wrong-type",
                format!(
                    "{field} must be an array of {}, got {}",
                    if field == "Retry" {
                        "retriers"
                    } else {
                        "catchers"
                    },
                    kind(v)
                ),
            );
            continue;
        };
        let n = items.len();
        for (i, item) in items.iter().enumerate() {
            let p = index(&fp, i);
            let here = At {
                ptr: &p,
                state: at.state,
            };
            let Value::Object(m) = item else {
                ctx.at(
                    here,
                    "wrong-type",
                    format!("each {field} element must be an object, got {}", kind(item)),
                );
                continue;
            };
            check_error_equals(ctx, here, m, i + 1 == n, field);
            if field == "Retry" {
                check_retrier(ctx, here, m);
            } else {
                check_catcher(ctx, here, m, ql);
            }
        }
    }
}

fn check_error_equals(ctx: &mut Ctx, at: At, m: &Map<String, Value>, last: bool, field: &str) {
    let Some(v) = m.get("ErrorEquals") else {
        ctx.at(
            at,
            "missing-field",
            "ErrorEquals is required: the error names this element handles (e.g. [\"States.ALL\"])"
                .into(),
        );
        return;
    };
    let p = child(at.ptr, "ErrorEquals");
    let here = At {
        ptr: &p,
        state: at.state,
    };
    let Value::Array(errs) = v else {
        ctx.at(
            here,
            "wrong-type",
            format!(
                "ErrorEquals must be an array of error names, got {}",
                kind(v)
            ),
        );
        return;
    };
    if errs.is_empty() {
        ctx.at(
            here,
            "empty-array",
            "ErrorEquals must contain at least one error name".into(),
        );
        return;
    }
    for (i, e) in errs.iter().enumerate() {
        match e {
            Value::String(s) if s == "States.ALL" => {
                if errs.len() > 1 {
                    let ep = index(&p, i);
                    ctx.report(
                        &ep,
                        at.state,
                        "states-all",
                        "States.ALL must appear alone in ErrorEquals".into(),
                    );
                } else if !last {
                    ctx.at(
                        here,
                        "states-all",
                        format!(
                            "a {} with States.ALL must be the last one in {field}",
                            if field == "Retry" {
                                "retrier"
                            } else {
                                "catcher"
                            }
                        ),
                    );
                }
            }
            Value::String(_) => {}
            _ => {
                let ep = index(&p, i);
                ctx.report(
                    &ep,
                    at.state,
                    "wrong-type",
                    format!("error names must be strings, got {}", show(e)),
                );
            }
        }
    }
}

fn int_at_least(ctx: &mut Ctx, m: &Map<String, Value>, at: At, f: &str, min: i64) {
    let Some(v) = m.get(f) else { return };
    let p = child(at.ptr, f);
    let here = At {
        ptr: &p,
        state: at.state,
    };
    match v.as_i64() {
        Some(n) if n >= min && n <= 99_999_999 => {}
        Some(n) => ctx.at(
            here,
            "out-of-range",
            format!("{f} must be between {min} and 99999999, got {n}"),
        ),
        None => ctx.at(
            here,
            "wrong-type",
            format!("{f} must be an integer, got {}", show(v)),
        ),
    }
}

fn check_retrier(ctx: &mut Ctx, at: At, m: &Map<String, Value>) {
    for (k, v) in m {
        let p = child(at.ptr, k);
        let here = At {
            ptr: &p,
            state: at.state,
        };
        match k.as_str() {
            "ErrorEquals" | "IntervalSeconds" | "MaxAttempts" | "MaxDelaySeconds" => {}
            "Comment" => {
                if !v.is_string() {
                    ctx.at(here, "wrong-type", format!("Comment must be a string, got {}", kind(v)));
                }
            }
            "BackoffRate" => match v.as_f64() {
                Some(f) if f >= 1.0 => {}
                Some(f) => ctx.at(here, "out-of-range", format!("BackoffRate must be at least 1.0, got {f}")),
                None => ctx.at(here, "wrong-type", format!("BackoffRate must be a number, got {}", show(v))),
            },
            "JitterStrategy" => {
                if !matches!(v.as_str(), Some("FULL" | "NONE")) {
                    ctx.at(here, "bad-enum", format!("JitterStrategy must be \"FULL\" or \"NONE\", got {}", show(v)));
                }
            }
            _ => ctx.at(here, "unknown-field", format!("field '{k}' is not allowed in a retrier (allowed: ErrorEquals, IntervalSeconds, MaxAttempts, BackoffRate, MaxDelaySeconds, JitterStrategy, Comment)")),
        }
    }
    int_at_least(ctx, m, at, "IntervalSeconds", 1);
    int_at_least(ctx, m, at, "MaxAttempts", 0);
    int_at_least(ctx, m, at, "MaxDelaySeconds", 1);
}

fn check_catcher(ctx: &mut Ctx, at: At, m: &Map<String, Value>, ql: Ql) {
    for (k, v) in m {
        let p = child(at.ptr, k);
        let here = At {
            ptr: &p,
            state: at.state,
        };
        match k.as_str() {
            "ErrorEquals" => {}
            "Next" => {
                if !v.is_string() {
                    ctx.at(here, "wrong-type", format!("Next must be a string naming a state, got {}", kind(v)));
                }
            }
            "Comment" => {
                if !v.is_string() {
                    ctx.at(here, "wrong-type", format!("Comment must be a string, got {}", kind(v)));
                }
            }
            "Assign" => super::variables::check_assign(ctx, here, v, ql),
            "ResultPath" if ql == Ql::JsonPath => check_path(ctx, here, "ResultPath", v, PathKind::ResultPath, true),
            "Output" if ql == Ql::Jsonata => {}
            "ResultPath" | "Output" => ctx.at(here, "field-query-language", format!("field '{k}' is not allowed in a catcher of a {} state", if ql == Ql::Jsonata { "JSONata" } else { "JSONPath" })),
            _ => ctx.at(here, "unknown-field", format!("field '{k}' is not allowed in a catcher (allowed: ErrorEquals, Next, ResultPath, Assign, Output, Comment)")),
        }
    }
    if !m.contains_key("Next") {
        ctx.at(
            at,
            "missing-field",
            "a catcher needs Next (the state to go to when it catches an error)".into(),
        );
    }
}
