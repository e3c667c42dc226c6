//! Mocked service integrations (Step Functions Local's mock configuration files) in
//! `asl run --mock-config FILE --test-case NAME`, with the real binary: the
//! documented LambdaSQSIntegration test cases, invocation counters across Retry
//! attempts and Map iterations, mocked `.waitForTaskToken` and `.sync` Tasks that
//! return at once, and bad files and names refused with their place.

mod harness;

use harness::Dir;
use serde_json::{Value, json};
use std::process::{Command, Output};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn asl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_asl"))
        .current_dir(ROOT)
        .args(args)
        .output()
        .expect("asl runs")
}

/// `asl run` of the documented example with a test case; the JSON report.
fn documented(case: &str) -> Value {
    let out = asl(&[
        "run",
        "datasets/mocks/LambdaSQSIntegration.asl.json",
        "--input",
        "datasets/mocks/input.json",
        "--mock-config",
        "datasets/mocks/MockConfigFile.json",
        "--test-case",
        case,
        "--resources",
        "datasets/mocks/resources.json",
        "--clock",
        "virtual",
        "--history",
        "--report",
        "json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

fn types(report: &Value) -> Vec<&str> {
    report["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect()
}

#[test]
fn the_documented_happy_retry_and_hybrid_paths() {
    let sqs = json!({"MD5OfMessageBody": "3bcb6e8e-7h85-4375-b0bc-1a59812c6e51",
                     "MessageId": "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"});
    let happy = documented("HappyPath");
    assert_eq!(happy["status"], "SUCCEEDED");
    assert_eq!(happy["output"], sqs);
    assert_eq!(
        types(&happy)
            .iter()
            .filter(|t| **t == "TaskSucceeded")
            .count(),
        2
    );

    let retry = documented("LambdaSQSIntegration#RetryPath");
    assert_eq!(retry["output"], sqs);
    let failed: Vec<&str> = retry["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "TaskFailed")
        .map(|e| e["taskFailedEventDetails"]["error"].as_str().unwrap())
        .collect();
    assert_eq!(
        failed,
        [
            "Lambda.ResourceNotReadyException",
            "Lambda.TimeoutException",
            "Lambda.TimeoutException"
        ]
    );

    // The SQS state is not mocked: the resources file's command answers it.
    let hybrid = documented("HybridPath");
    assert_eq!(hybrid["output"]["MessageId"], "local-1");
    assert_ne!(hybrid["output"], sqs);
}

/// A definition and mock file written to `dir`; runs `case` with `input`.
fn run_case(dir: &Dir, def: &Value, mocks: &Value, case: &str, input: &Value) -> Output {
    let d = dir.0.join("machine.json");
    let m = dir.0.join("mocks.json");
    let i = dir.0.join("input.json");
    std::fs::write(&d, def.to_string()).unwrap();
    std::fs::write(&m, mocks.to_string()).unwrap();
    std::fs::write(&i, input.to_string()).unwrap();
    asl(&[
        "run",
        d.to_str().unwrap(),
        "--input",
        i.to_str().unwrap(),
        "--mock-config",
        m.to_str().unwrap(),
        "--test-case",
        case,
        "--clock",
        "virtual",
    ])
}

#[test]
fn counters_callbacks_and_sync_tasks_in_test_cases() {
    let dir = Dir::new();
    let def = json!({"StartAt": "Each", "States": {
        "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1,
            "ItemProcessor": {"StartAt": "Price", "States": {"Price": {
                "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "price", "Payload.$": "$"},
                "OutputPath": "$.Payload", "End": true}}},
            "ResultPath": "$.prices", "Next": "Approve"},
        "Approve": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
            "Parameters": {"QueueUrl": "q", "MessageBody": {"token.$": "$$.Task.Token"}},
            "TimeoutSeconds": 5, "ResultPath": "$.approval", "Next": "Ship"},
        "Ship": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:ship"},
            "ResultSelector": {"status.$": "$.Status"}, "ResultPath": "$.shipped", "End": true}}});
    let mocks = json!({
        "StateMachines": {"Orders": {"TestCases": {
            "Priced": {"Price": "Prices", "Approve": "Approved", "Ship": "Shipped"},
            "TooFew": {"Price": "OnePrice", "Approve": "Approved", "Ship": "Shipped"}}}},
        "MockedResponses": {
            "Prices": {"0": {"Return": {"Payload": 10}}, "1-2": {"Return": {"Payload": 20}}},
            "OnePrice": {"0": {"Return": {"Payload": 10}}},
            "Approved": {"0": {"Return": {"approved": true}}},
            "Shipped": {"0": {"Return": {"Status": "SUCCEEDED"}}}}});
    let input = json!({"items": ["a", "b", "c"]});
    let out = run_case(&dir, &def, &mocks, "Priced", &input);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    // Map iterations take invocations 0, 1, 2 in turn; the callback Task gets its
    // token and returns at once; the .sync child is never started (no --state-machine).
    assert_eq!(v["prices"], json!([10, 20, 20]));
    assert_eq!(v["approval"], json!({"approved": true}));
    assert_eq!(v["shipped"], json!({"status": "SUCCEEDED"}));

    // An invocation the response doesn't cover fails the execution.
    let out = run_case(&dir, &def, &mocks, "TooFew", &input);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("States.Runtime")
            && err.contains("no response for invocation 1 of the state 'Price'"),
        "{err}"
    );
}

#[test]
fn bad_mock_files_and_names_are_refused_with_their_place() {
    let dir = Dir::new();
    let def = json!({"StartAt": "Call", "States": {"Call": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f"}, "End": true}}});
    let good = json!({"StateMachines": {"M": {"TestCases": {"Ok": {"Call": "R"},
                                                             "Ghost": {"Missing": "R"}}}},
                      "MockedResponses": {"R": {"0": {"Return": 1}}}});
    let refused = |mocks: &Value, case: &str| {
        let out = run_case(&dir, &def, mocks, case, &json!({}));
        assert_eq!(
            out.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = refused(&good, "Ghost");
    assert!(
        err.contains("/StateMachines/M/TestCases/Ghost/Missing: the definition has no Task state named 'Missing'"),
        "{err}"
    );
    let err = refused(&good, "Nope");
    assert!(
        err.contains("no test case 'Nope'") && err.contains("M#Ok"),
        "{err}"
    );
    let mut bad = good.clone();
    bad["MockedResponses"]["R"]["two"] = json!({"Return": 2});
    let err = refused(&bad, "Ok");
    assert!(
        err.contains("/MockedResponses/R/two: 'two' is not an invocation number"),
        "{err}"
    );
    let mut bad = good.clone();
    bad["StateMachines"]["M"]["TestCases"]["Ok"]["Call"] = json!("Unknown");
    let err = refused(&bad, "Ok");
    assert!(
        err.contains("/StateMachines/M/TestCases/Ok/Call: the mocked response 'Unknown' is not in MockedResponses"),
        "{err}"
    );
    // The good case runs: the mocked result is the Task's result.
    let out = run_case(&dir, &def, &good, "Ok", &json!({}));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1");
}
