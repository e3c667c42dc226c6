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
