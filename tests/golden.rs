//! Hand-written golden cases: `tests/golden/*.json`, each
//! `{"comment", "definition", "input", "expected": {"status", "output" | "error", "cause"}}`.
//! Expected values follow the AWS Step Functions documentation. Every case runs on a
//! virtual clock with these Lambda functions registered:
//!
//! - `echo`: returns its input.
//! - `add`: `{"a", "b"}` → `{"sum": a + b}`.
//! - `fail`: fails with the input's `error` and `cause`.
//! - `flaky`: fails with `Flaky.Error` ("attempt N failed") while the number of calls
//!   made so far is at most the input's `failTimes`, then returns `{"ok": true}`.
//! - `calls`: returns how many times `flaky` was called in this execution.
//!
//! `cause` is compared when the case gives it; object key order is ignored and numbers
//! compare by value.

use asl_engine::asl::Failure;
use asl_engine::asl::model::load_value;
use asl_engine::exec::{Executor, Status, TaskRequest};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

fn executor() -> Executor {
    let flaky_calls = Arc::new(AtomicU64::new(0));
    let seen = flaky_calls.clone();
    Executor::builder()
        .virtual_clock()
        .lambda("echo", |req: &TaskRequest<'_>| Ok(req.input.clone()))
        .lambda("add", |req: &TaskRequest<'_>| {
            let (a, b) = (&req.input["a"], &req.input["b"]);
            Ok(match (a.as_i64(), b.as_i64()) {
                (Some(x), Some(y)) => json!({"sum": x + y}),
                _ => json!({"sum": a.as_f64().unwrap_or(0.0) + b.as_f64().unwrap_or(0.0)}),
            })
        })
        .lambda("fail", |req: &TaskRequest<'_>| {
            Err(Failure::new(
                req.input["error"].as_str().unwrap_or("Unknown"),
                req.input["cause"].as_str().unwrap_or(""),
            ))
        })
        .lambda("flaky", move |req: &TaskRequest<'_>| {
            let n = flaky_calls.fetch_add(1, Ordering::SeqCst) + 1;
            if n <= req.input["failTimes"].as_u64().unwrap_or(0) {
                Err(Failure::new("Flaky.Error", format!("attempt {n} failed")))
            } else {
                Ok(json!({"ok": true}))
            }
        })
        .lambda("calls", move |_req: &TaskRequest<'_>| {
            Ok(json!(seen.load(Ordering::SeqCst)))
        })
        .build()
}

/// JSON equality ignoring object key order, numbers compared by value.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// Runs one case; Err describes the mismatch.
fn run_case(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let case: Value = serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
    let sm = load_value(&case["definition"]).map_err(|e| format!("definition rejected: {e}"))?;
    let out = executor().run(&sm, case["input"].clone());
    let exp = &case["expected"];
    let status = match out.status {
        Status::Succeeded => "SUCCEEDED",
        Status::Failed => "FAILED",
        Status::Aborted => "ABORTED",
        Status::Suspended => "SUSPENDED",
    };
    let got =
        json!({"status": status, "output": out.output, "error": out.error, "cause": out.cause});
    let mismatch = |what: &str| format!("{what} differs\n  expected: {exp}\n  got:      {got}");
    if exp["status"] != status {
        return Err(mismatch("status"));
    }
    if status == "SUCCEEDED" {
        if !same(&exp["output"], out.output.as_ref().unwrap_or(&Value::Null)) {
            return Err(mismatch("output"));
        }
    } else {
        if exp["error"].as_str() != out.error.as_deref() {
            return Err(mismatch("error"));
        }
        if let Some(c) = exp.get("cause")
            && c.as_str() != out.cause.as_deref()
        {
            return Err(mismatch("cause"));
        }
    }
    Ok(())
}

#[test]
fn golden_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/golden exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 15,
        "expected the golden cases in {}",
        dir.display()
    );
    let mut failures = Vec::new();
    for f in &files {
        let name = f
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let r = std::panic::catch_unwind(|| run_case(f))
            .unwrap_or_else(|_| Err("panicked".to_string()));
        if let Err(e) = r {
            failures.push(format!("{name}: {e}"));
        }
    }
    println!(
        "golden: {}/{} cases pass",
        files.len() - failures.len(),
        files.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} golden cases fail:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn comparison_ignores_key_order_but_not_values() {
    assert!(same(
        &json!({"a": 1, "b": [1, 2.0]}),
        &json!({"b": [1.0, 2], "a": 1})
    ));
    assert!(!same(&json!({"a": 1}), &json!({"a": 2})));
    assert!(!same(&json!({"a": 1}), &json!({"a": 1, "b": null})));
    assert!(!same(&json!([1, 2]), &json!([2, 1])));
}

/// The library example of README.md, kept compiling and true.
#[test]
fn readme_library_example() {
    use asl_engine::asl::model::load_text;
    let sm = load_text(
        r#"{
  "StartAt": "Greet",
  "States": {
    "Greet": {
      "Type": "Task",
      "Resource": "arn:aws:lambda:us-east-1:111111111111:function:greet",
      "ResultPath": "$.greeting",
      "End": true
    }
  }
}"#,
    )
    .expect("valid definition");
    let ex = Executor::builder()
        .lambda("greet", |req: &TaskRequest<'_>| {
            match req.input["name"].as_str() {
                Some(name) => Ok(json!(format!("Hello, {name}!"))),
                None => Err(Failure::new("NoName", "the input has no name")),
            }
        })
        .virtual_clock()
        .build();
    let out = ex.run(&sm, json!({"name": "Ada"}));
    assert_eq!(out.status, Status::Succeeded);
    assert_eq!(
        out.output,
        Some(json!({"name": "Ada", "greeting": "Hello, Ada!"}))
    );
    let out = ex.run(&sm, json!({}));
    assert_eq!(out.status, Status::Failed);
    assert_eq!(
        (out.error.as_deref(), out.cause.as_deref()),
        (Some("NoName"), Some("the input has no name"))
    );
}
