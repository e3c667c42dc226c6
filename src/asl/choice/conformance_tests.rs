//! Replays AWS's recorded `choice__*` conformance cases through `Rule`.

use super::tests::env;
use super::*;
use crate::asl::failure::names;
use serde_json::json;
use std::path::PathBuf;

fn cases_dir() -> Option<PathBuf> {
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/cases");
    local.is_dir().then_some(local)
}

/// Runs a single-Choice machine whose branches are Pass states with a `Result`:
/// Ok(output) or Err((error, cause)). None when the case has another shape.
fn run_simple(def: &Value, input: &Value) -> Option<Result<Value, (String, String)>> {
    let states = def.get("States")?.as_object()?;
    let start = def.get("StartAt")?.as_str()?;
    let choice = states.get(start)?;
    if choice.get("Type")? != "Choice" {
        return None;
    }
    let branch_ok = |name: &str| {
        states.get(name).is_some_and(|s| {
            s.get("Type").is_some_and(|t| t == "Pass")
                && s.get("Result").is_some()
                && s.get("End") == Some(&json!(true))
                && s.get("ResultPath").is_none()
                && s.get("OutputPath").is_none()
        })
    };
    let mut targets = Vec::new();
    for rule in choice.get("Choices")?.as_array()? {
        let next = rule.get("Next")?.as_str()?;
        if !branch_ok(next) {
            return None;
        }
        targets.push((
            Rule::parse(rule).unwrap_or_else(|e| panic!("{e}: {rule}")),
            next,
        ));
    }
    let default = choice.get("Default").and_then(Value::as_str);
    if default.is_some_and(|d| !branch_ok(d)) || choice.get("InputPath").is_some() {
        return None;
    }
    let env = env(input.clone());
    let prefix = format!(
        "An error occurred while executing the state '{start}' (entered at the event id #2). "
    );
    let mut chosen = None;
    for (rule, next) in &targets {
        match rule.eval(&env) {
            Ok(true) => {
                chosen = Some(*next);
                break;
            }
            Ok(false) => {}
            Err(f) => {
                let cause = format!("{prefix}{}", f.cause.unwrap_or_default());
                return Some(Err((f.error.unwrap_or_default(), cause)));
            }
        }
    }
    Some(match chosen.or(default) {
        Some(next) => Ok(states[next]["Result"].clone()),
        None => Err((names::NO_CHOICE_MATCHED.into(), String::new())),
    })
}

#[test]
fn conformance_choice_cases() {
    let Some(dir) = cases_dir() else {
        println!("conformance cases not found; skipping");
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("read cases dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("choice__") && n.ends_with(".json"))
        })
        .collect();
    files.sort();
    let (mut passed, mut skipped, mut failures) = (0, 0, Vec::new());
    for f in &files {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        let name = case["name"].as_str().unwrap_or("?").to_string();
        let Some(got) = run_simple(&case["definition"], &case["input"]) else {
            skipped += 1;
            continue;
        };
        let exp = &case["expected"];
        let ok = match (&got, exp["status"].as_str()) {
            (Ok(out), Some("SUCCEEDED")) => *out == exp["output"],
            (Err((e, c)), Some("FAILED")) => {
                exp["error"] == json!(e)
                    && (e == names::NO_CHOICE_MATCHED || exp["cause"] == json!(c))
            }
            _ => false,
        };
        if ok {
            passed += 1;
        } else {
            failures.push(format!("{name}: got {got:?}, expected {exp}"));
        }
    }
    println!(
        "choice conformance: {passed}/{} passed, {skipped} skipped",
        files.len() - skipped
    );
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}
