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

/// A Distributed Map with an ItemReader, on `data` as its source would hold it.
fn reader_map(reader_config: Value) -> Value {
    json!({"Type": "Map", "End": true,
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject",
            "ReaderConfig": reader_config,
            "Parameters": {"Bucket": "b", "Key.$": "$.key"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
            "StartAt": "W", "States": {"W": {"Type": "Pass", "End": true}}}})
}

#[test]
fn map_item_reader_data_goes_through_the_maps_own_reader() {
    let dir = Dir::new();
    let input = dir.0.join("input.json");
    std::fs::write(&input, r#"{"key": "rows.csv"}"#).unwrap();
    let data = dir.0.join("data");
    let run = |map: &Value, text: &str, failures: Option<&str>| {
        std::fs::write(&data, text).unwrap();
        let mut args = vec![
            "-i",
            input.to_str().unwrap(),
            "--mock-result",
            "[]",
            "--inspection-level",
            "DEBUG",
            "--map-item-reader-data",
            data.to_str().unwrap(),
        ];
        if let Some(n) = failures {
            args.extend(["--map-iteration-failure-count", n]);
        }
        test_state(&dir, map, &args)
    };
    let with_selector = |mut m: Value| {
        m["ItemSelector"] = json!({"item.$": "$$.Map.Item.Value"});
        m
    };

    // CSV with its header row, values as strings (as AWS reads CSV), MaxItems applied.
    let csv = with_selector(reader_map(
        json!({"InputType": "CSV", "CSVHeaderLocation": "FIRST_ROW", "MaxItems": 2}),
    ));
    let (code, a, err) = run(&csv, "id,name\n1,ann\n2,bob\n3,cy\n", None);
    assert_eq!(code, Some(0), "{err}");
    let selected: Value =
        serde_json::from_str(a["inspectionData"]["afterItemSelector"].as_str().unwrap()).unwrap();
    assert_eq!(
        selected,
        json!([{"item": {"id": "1", "name": "ann"}}, {"item": {"id": "2", "name": "bob"}}])
    );

    // Given headers and another delimiter.
    let given = with_selector(reader_map(json!({"InputType": "CSV",
        "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["a", "b"], "CSVDelimiter": "SEMICOLON"})));
    let (code, a, err) = run(&given, "x;y\n", None);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        a["inspectionData"]["afterItemSelector"],
        json!(r#"[{"item":{"a":"x","b":"y"}}]"#)
    );

    // JSON with an ItemsPointer: afterItemsPointer is the array it points at.
    let pointed = reader_map(json!({"InputType": "JSON", "ItemsPointer": "/data/rows"}));
    let (code, a, err) = run(
        &pointed,
        r#"{"data": {"rows": [{"n": 1}, {"n": 2}]}}"#,
        None,
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        a["inspectionData"]["afterItemsPointer"],
        json!(r#"[{"n":1},{"n":2}]"#)
    );

    // JSON lines; the failure count is checked against the items read.
    let mut lines = reader_map(json!({"InputType": "JSONL"}));
    lines["ToleratedFailureCount"] = json!(1);
    let (code, a, _) = run(&lines, "{\"n\": 1}\n{\"n\": 2}\n", Some("2"));
    assert_eq!(code, Some(1));
    assert_eq!(a["error"], "States.ExceedToleratedFailureThreshold");

    // Data a CSV reader can't read fails the state as the reader would.
    let (code, a, _) = run(&csv, "id,name\n1,ann,extra\n", None);
    assert_eq!((code, &a["status"]), (Some(1), &json!("FAILED")), "{a}");
    assert_eq!(a["error"], "States.ItemReaderFailed");

    // Parquet isn't text: refused with what the data can stand for.
    let parquet = reader_map(json!({"InputType": "PARQUET"}));
    let (code, a, _) = run(&parquet, "[]", None);
    assert_eq!(code, Some(1));
    assert!(
        a["cause"]
            .as_str()
            .unwrap()
            .contains("not for a PARQUET source"),
        "{a}"
    );
}
