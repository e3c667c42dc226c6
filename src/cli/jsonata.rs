//! `asl jsonata EXPR [--input FILE|-] [--bindings FILE] [--report json]`: evaluates one
//! JSONata expression the way Step Functions does, like `jq`.

use serde_json::{Value, json};

use super::args::JsonataArgs;
use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE, read_source};
use asl_engine::jsonata::{Expression, JsonataError, Limits};

pub fn jsonata(a: JsonataArgs) -> i32 {
    let input = match a.input.as_deref().map(read_json).transpose() {
        Ok(v) => v,
        Err(e) => return usage(&format!("--input {e}")),
    };
    let bindings = match a.bindings.as_deref().map(read_json).transpose() {
        Ok(None) => serde_json::Map::new(),
        Ok(Some(Value::Object(m))) => m,
        Ok(Some(_)) => return usage("--bindings: the file must hold a JSON object"),
        Err(e) => return usage(&format!("--bindings {e}")),
    };
    let limits = Limits {
        timeout_ms: a.timeout_ms,
        max_depth: a.max_depth,
    };
    let result = Expression::parse(&a.expression)
        .and_then(|e| e.eval_with_limits(input.as_ref(), &bindings, limits));
    let report = a.report.is_some();
    let print = |v: &Value| {
        let text = if a.compact || report {
            v.to_string()
        } else {
            serde_json::to_string_pretty(v).unwrap_or_default()
        };
        outln!("{text}");
    };
    match result {
        Ok(Some(v)) if report => print(&json!({ "result": v })),
        Ok(Some(v)) => print(&v),
        Ok(None) if report => print(&json!({ "undefined": true })),
        Ok(None) => {}
        Err(JsonataError {
            code,
            message,
            position,
        }) => {
            if report {
                let mut err = json!({ "code": code, "message": message });
                if let Some(p) = position {
                    err["position"] = json!(p);
                }
                print(&json!({ "error": err }));
            } else {
                eprintln!("error: {code}: {message}");
            }
            return EXIT_FAILED;
        }
    }
    EXIT_OK
}

fn read_json(path: &str) -> Result<Value, String> {
    let text = read_source(path)?;
    serde_json::from_str(&text).map_err(|e| format!("{path}: not JSON: {e}"))
}

fn usage(msg: &str) -> i32 {
    eprintln!("error: {msg}");
    EXIT_USAGE
}
