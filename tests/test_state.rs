//! `asl test-state`: one state run alone by the real binary, as the TestState API
//! runs it (the same request checks as `asl serve`'s): statuses, inspection data,
//! exit codes, invalid definitions.

mod harness;

use harness::Dir;
use serde_json::{Value, json};
use std::process::Command;

/// Runs `asl test-state` on `state` with `args`; (exit code, the printed answer).
fn test_state(dir: &Dir, state: &Value, args: &[&str]) -> (Option<i32>, Value, String) {
    let path = dir.0.join("state.json");
    std::fs::write(&path, state.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_asl"))
        .arg("test-state")
        .arg(&path)
        .args(args)
        .output()
        .expect("asl runs");
    let answer = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code(),
        answer,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn statuses_inspection_and_exit_codes() {
    let dir = Dir::new();
    let input = dir.0.join("input.json");
    std::fs::write(&input, r#"{"order": {"id": 7}}"#).unwrap();
    let input = input.to_str().unwrap();
    let task = json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "InputPath": "$.order", "Parameters": {"FunctionName": "f", "Payload.$": "$"},
        "ResultPath": "$.r",
        "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 3, "MaxAttempts": 2}],
        "Catch": [{"ErrorEquals": ["Broken"], "Next": "Mend"}], "Next": "Done"});

    let (code, a, err) = test_state(
        &dir,
        &task,
        &[
            "-i",
            input,
            "--mock-result",
            r#"{"Payload": 1}"#,
            "--inspection-level",
            "DEBUG",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(a["status"], "SUCCEEDED");
    assert_eq!(a["nextState"], "Done");
    assert_eq!(
        a["output"],
        json!({"order": {"id": 7}, "r": {"Payload": 1}})
    );
    assert_eq!(a["inspectionData"]["afterInputPath"], json!("{\"id\":7}"));

    let (code, a, _) = test_state(&dir, &task, &["-i", input, "--mock-error", "Busy"]);
    assert_eq!((code, &a["status"]), (Some(1), &json!("RETRIABLE")));
    let (code, a, _) = test_state(
        &dir,
        &task,
        &[
            "-i",
            input,
            "--mock-error",
            "Busy",
            "--retrier-retry-count",
            "2",
        ],
    );
    // Out of attempts and no Catcher for Busy: the state fails.
    assert_eq!((code, &a["status"]), (Some(1), &json!("FAILED")));
    let (code, a, _) = test_state(
        &dir,
        &task,
        &[
            "-i",
            input,
            "--mock-error",
            "Broken",
            "--mock-cause",
            "snap",
        ],
    );
    assert_eq!((code, &a["status"]), (Some(0), &json!("CAUGHT_ERROR")));
    assert_eq!(a["nextState"], "Mend");
    assert_eq!(a["output"], json!({"Error": "Broken", "Cause": "snap"}));

    // A state of a whole definition, with variables.
    let machine = json!({"StartAt": "A", "QueryLanguage": "JSONata", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Pass", "Output": "{% $base + 1 %}", "End": true}}});
    let (code, a, err) = test_state(
        &dir,
        &machine,
        &["--state-name", "B", "--variables", r#"{"base": 41}"#],
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(a["output"], json!(42));

    // An invalid state: exit 3, every problem with its place.
    let (code, _, err) = test_state(&dir, &json!({"Type": "Pass", "Resutl": 1}), &[]);
    assert_eq!(code, Some(3));
    assert!(err.contains("Resutl"), "{err}");
    // A mock for a state that has no resource is refused.
    let (code, _, err) = test_state(
        &dir,
        &json!({"Type": "Pass", "End": true}),
        &["--mock-result", "1"],
    );
    assert_eq!(code, Some(2));
    assert!(
        err.contains("A mock applies to a Task, Map or Parallel state"),
        "{err}"
    );
}
