//! Nested workflows in `asl serve` (`arn:aws:states:::states:startExecution` in its
//! four forms), over real HTTP with a real SQLite file: children are real executions,
//! outputs and failures reach the parent in AWS's shapes, a stopped parent stops the
//! child its `.sync` Task waits for, and a parent waiting on a child survives `kill -9`.

mod harness;

use harness::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn create(s: &Server, name: &str, def: Value) -> String {
    s.ok(
        "CreateStateMachine",
        json!({"name": name, "definition": def.to_string(), "roleArn": ROLE}),
    )
    .field("stateMachineArn")
}

fn start(s: &Server, machine: &str, input: Value) -> String {
    s.ok(
        "StartExecution",
        json!({"stateMachineArn": machine, "input": input.to_string()}),
    )
    .field("executionArn")
}

fn output(done: &Value) -> Value {
    serde_json::from_str(done["output"].as_str().expect("an output")).expect("JSON")
}

/// A parent with one Task starting `child` with `resource`.
fn parent(resource: &str, child: &str) -> Value {
    let task = json!({"Type": "Task", "Resource": resource,
        "Parameters": {"StateMachineArn": child, "Input": {"n.$": "$.n",
                       "AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.$": "$$.Execution.Id"}},
        "End": true});
    json!({"StartAt": "Call", "States": {"Call": task}})
}

/// Waits until `machine` has an execution (the child was started); returns its ARN.
fn child_of(s: &Server, machine: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let l = s.ok("ListExecutions", json!({"stateMachineArn": machine}));
        if let Some(e) = l["executions"].as_array().and_then(|a| a.first()) {
            return e.field("executionArn");
        }
        assert!(Instant::now() < deadline, "no child of {machine}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn children_run_as_real_executions_and_answer_their_parents() {
    let dir = Dir::new();
    let s = Server::start(&dir.db());
    let double = create(
        &s,
        "double",
        json!({"StartAt": "D", "States": {"D": {"Type": "Pass",
            "Parameters": {"doubled.$": "States.MathAdd($.n, $.n)"}, "End": true}}}),
    );
    let boom = create(
        &s,
        "boom",
        json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "bad input"}}}),
    );

    // .sync:2: the child's description with Output as JSON.
    let p = create(
        &s,
        "p-sync2",
        parent("arn:aws:states:::states:startExecution.sync:2", &double),
    );
    let exec = start(&s, &p, json!({"n": 21}));
    let done = wait_done(&s, &exec);
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    let out = output(&done);
    assert_eq!(out["Output"], json!({"doubled": 42}), "{out}");
    assert_eq!(out["Status"], "SUCCEEDED");
    assert_eq!(out["StateMachineArn"], double);
    assert_eq!(
        out["Input"]["AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID"],
        exec
    );
    // The child is a real execution of its machine.
    let child = out["ExecutionArn"].as_str().expect("the child's ARN");
    let d = s.ok("DescribeExecution", json!({"executionArn": child}));
    assert_eq!(d["status"], "SUCCEEDED");
    assert_eq!(d["stateMachineArn"], double);

    // .sync: Output as JSON text.
    let p = create(
        &s,
        "p-sync",
        parent("arn:aws:states:::states:startExecution.sync", &double),
    );
    let done = wait_done(&s, &start(&s, &p, json!({"n": 2})));
    assert_eq!(output(&done)["Output"], json!("{\"doubled\":4}"));

    // Request-response: the child's ARN and start date, without waiting.
    let p = create(
        &s,
        "p-fire",
        parent("arn:aws:states:::states:startExecution", &double),
    );
    let done = wait_done(&s, &start(&s, &p, json!({"n": 1})));
    let out = output(&done);
    assert!(
        out["ExecutionArn"]
            .as_str()
            .is_some_and(|a| a.contains(":execution:double:")),
        "{out}"
    );
    assert!(out["StartDate"].is_number(), "{out}");

    // A failing child fails the parent's Task: States.TaskFailed, its description as
    // the cause; caught like any task error.
    let p = create(
        &s,
        "p-fail",
        parent("arn:aws:states:::states:startExecution.sync:2", &boom),
    );
    let done = wait_done(&s, &start(&s, &p, json!({"n": 0})));
    assert_eq!(done["status"], "FAILED", "{done}");
    assert_eq!(done["error"], "States.TaskFailed");
    let cause: Value = serde_json::from_str(done["cause"].as_str().unwrap()).unwrap();
    assert_eq!(cause["Status"], "FAILED");
    assert_eq!(cause["Error"], "Boom");
    assert_eq!(cause["Cause"], "bad input");
}

#[test]
fn a_stopped_parent_stops_its_child_and_a_waiting_parent_survives_kill_9() {
    let dir = Dir::new();
    let s = Server::start(&dir.db());
    let sleepy = create(
        &s,
        "sleepy",
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}}),
    );
    let p = create(
        &s,
        "p-stop",
        parent("arn:aws:states:::states:startExecution.sync:2", &sleepy),
    );
    let exec = start(&s, &p, json!({"n": 1}));
    let child = child_of(&s, &sleepy);
    s.ok(
        "StopExecution",
        json!({"executionArn": exec, "error": "Enough"}),
    );
    assert_eq!(wait_done(&s, &exec)["status"], "ABORTED");
    assert_eq!(wait_done(&s, &child)["status"], "ABORTED");

    // .waitForTaskToken: the child holds the token (in its input); the parent waits,
    // the server is killed, and the answer after the restart completes the parent.
    let holder = create(
        &s,
        "holder",
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 3600, "End": true}}}),
    );
    let def = json!({"StartAt": "Call", "States": {"Call": {"Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution.waitForTaskToken",
        "Parameters": {"StateMachineArn": holder, "Input": {"token.$": "$$.Task.Token"}},
        "End": true}}});
    let p = create(&s, "p-token", def);
    let exec = start(&s, &p, json!({}));
    let child = child_of(&s, &holder);
    let input: Value = serde_json::from_str(
        s.ok("DescribeExecution", json!({"executionArn": child}))["input"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let token = input["token"].as_str().expect("a token").to_string();
    s.kill9();
    let s = Server::start(&dir.db());
    s.ok(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{\"from\": \"child\"}"}),
    );
    let done = wait_done(&s, &exec);
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(output(&done), json!({"from": "child"}));
}

/// `asl run --state-machine NAME=FILE`: the executor runs the children itself (the
/// fan-out example of `datasets/nested`), and a failing child fails its Task with
/// `States.TaskFailed` and the child's description.
#[test]
fn asl_run_starts_the_children_it_is_given() {
    let run = |args: &[&str]| asl_in_root(&[&["run"], args].concat());
    let (code, out, err) = run(&[
        "datasets/nested/parent.asl.json",
        "--input",
        "datasets/nested/input.json",
        "--state-machine",
        "ship-order=datasets/nested/child.asl.json",
    ]);
    assert_eq!(code, Some(0), "{err}");
    let out: Value = serde_json::from_str(&out).expect("JSON output");
    let orders = out.as_array().expect("an array");
    assert_eq!(orders.len(), 12);
    assert_eq!(
        orders[4],
        json!({"orderId": "o4", "label": "SHIP-o4-DE", "cost": 9})
    );
    // Without the child: the Task fails (no handler), the run fails.
    let (code, _, _) = run(&[
        "datasets/nested/parent.asl.json",
        "--input",
        "datasets/nested/input.json",
    ]);
    assert_eq!(code, Some(1));
    // A failing child: States.TaskFailed with its description as the cause.
    let dir = Dir::new();
    let parent = dir.0.join("parent.json");
    let boom = dir.0.join("boom.json");
    std::fs::write(
        &parent,
        json!({"StartAt": "C", "States": {"C": {"Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:boom"},
            "End": true}}})
        .to_string(),
    )
    .unwrap();
    std::fs::write(
        &boom,
        json!({"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "Boom", "Cause": "bad"}}})
            .to_string(),
    )
    .unwrap();
    let (code, _, err) = run(&[
        parent.to_str().unwrap(),
        "--state-machine",
        &format!("boom={}", boom.display()),
    ]);
    assert_eq!(code, Some(1));
    let cause = err
        .split_once("States.TaskFailed: ")
        .map(|(_, c)| c.trim())
        .unwrap_or_else(|| panic!("no States.TaskFailed in: {err}"));
    let cause: Value = serde_json::from_str(cause).expect("the child's description");
    assert_eq!(
        (cause["Status"].as_str(), cause["Error"].as_str()),
        (Some("FAILED"), Some("Boom"))
    );
}

/// A child that answers its parent's token with the sfn SDK integration (success,
/// or failure when `n` is negative), then tries a token that is not one.
fn answering_child() -> Value {
    json!({"StartAt": "Which", "States": {
        "Which": {"Type": "Choice", "Choices": [
            {"Variable": "$.n", "NumericLessThan": 0, "Next": "Refuse"}], "Default": "Answer"},
        "Answer": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:sendTaskSuccess",
            "Parameters": {"TaskToken.$": "$.token",
                           "Output.$": "States.JsonToString(States.MathAdd($.n, $.n))"},
            "ResultPath": "$.answered", "Next": "Again"},
        "Refuse": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:sendTaskFailure",
            "Parameters": {"TaskToken.$": "$.token", "Error": "Negative", "Cause": "n < 0"},
            "ResultPath": "$.answered", "Next": "Again"},
        "Again": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:sfn:sendTaskSuccess",
            "Parameters": {"TaskToken.$": "$.token", "Output": "{}"},
            "Catch": [{"ErrorEquals": ["Sfn.TaskTimedOutException"], "ResultPath": "$.again",
                       "Next": "Done"}],
            "End": true},
        "Done": {"Type": "Succeed"}}})
}

fn token_parent(child_arn: &str) -> Value {
    json!({"StartAt": "Call", "States": {
        "Call": {"Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution.waitForTaskToken",
            "Parameters": {"StateMachineArn": child_arn,
                           "Input": {"n.$": "$.n", "token.$": "$$.Task.Token"}},
            "TimeoutSeconds": 60,
            "Catch": [{"ErrorEquals": ["Negative"], "ResultPath": "$.refused", "Next": "Refused"}],
            "End": true},
        "Refused": {"Type": "Pass", "End": true}}})
}

#[test]
fn children_answer_wait_for_task_token_parents_with_the_sfn_sdk_integration() {
    // asl serve: the answers go through the server's own SendTask* checks.
    let dir = Dir::new();
    let s = Server::start(&dir.db());
    let child = create(&s, "answerer", answering_child());
    let p = create(&s, "p-answered", token_parent(&child));
    let done = wait_done(&s, &start(&s, &p, json!({"n": 21})));
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(output(&done), json!(42));
    let done = wait_done(&s, &start(&s, &p, json!({"n": -1})));
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(output(&done)["refused"]["Error"], "Negative");
    assert_eq!(output(&done)["refused"]["Cause"], "n < 0");
    // The child's second answer came after the parent's task had ended.
    let l = s.ok("ListExecutions", json!({"stateMachineArn": child}));
    for e in l["executions"].as_array().unwrap() {
        let d = wait_done(&s, e["executionArn"].as_str().unwrap());
        assert_eq!(d["status"], "SUCCEEDED", "{d}");
        assert_eq!(
            output(&d)["again"]["Error"],
            "Sfn.TaskTimedOutException",
            "{d}"
        );
    }

    // asl run: the same two workflows, answered on the run's executor.
    let parent = dir.0.join("parent.json");
    let child = dir.0.join("child.json");
    std::fs::write(
        &parent,
        token_parent("arn:aws:states:us-east-1:123456789012:stateMachine:answerer").to_string(),
    )
    .unwrap();
    std::fs::write(&child, answering_child().to_string()).unwrap();
    for (n, expected) in [
        (21, json!(42)),
        (
            -1,
            json!({"n": -1, "refused": {"Error": "Negative", "Cause": "n < 0"}}),
        ),
    ] {
        let input = dir.0.join("input.json");
        std::fs::write(&input, json!({"n": n}).to_string()).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_asl"))
            .args(["run", parent.to_str().unwrap(), "--input"])
            .arg(&input)
            .args(["--state-machine", &format!("answerer={}", child.display())])
            .output()
            .expect("asl runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v, expected);
    }
}
