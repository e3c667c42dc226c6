//! `asl serve` over real HTTP: the real binary on a free loopback port, a real SQLite
//! file, raw HTTP/1.1 requests as the SDKs send them (AWS JSON 1.0), `kill -9` and a
//! restart. The boto3 and aws CLI tests are in `tests/clients/` (run by tests/clients.rs).

mod harness;

use harness::*;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const PASS_WAIT: &str = r#"{"StartAt":"Greet","States":{"Greet":{"Type":"Pass","Parameters":{"hello.$":"$.who"},"Next":"Nap"},"Nap":{"Type":"Wait","SecondsPath":"$$.Execution.Input.nap","Next":"Done"},"Done":{"Type":"Pass","End":true}}}"#;

#[test]
fn protocol_errors_are_aws_shaped() {
    let dir = Dir::new();
    let s = Server::start(&dir.db());
    let (code, v) = s.call("AWSStepFunctions.NoSuchThing", "{}");
    assert_eq!(
        (code, v["__type"].as_str()),
        (400, Some("UnknownOperationException"))
    );
    let (code, v) = s.call("AWSStepFunctions.ListStateMachines", "{not json");
    assert_eq!(
        (code, v["__type"].as_str()),
        (400, Some("SerializationException"))
    );
    let (code, v) = s.call("AWSStepFunctions.ListStateMachines", "[1]");
    assert_eq!(
        (code, v["__type"].as_str()),
        (400, Some("SerializationException"))
    );
    let (code, text) = s.raw(None, b"{}");
    assert_eq!(code, 400, "{text}");
    assert_eq!(
        s.err("CreateStateMachine", json!({"name": "x"})),
        "ValidationException"
    );
    assert_eq!(
        s.err(
            "DescribeStateMachine",
            json!({"stateMachineArn": "not-an-arn"})
        ),
        "InvalidArn"
    );
    assert_eq!(
        s.err(
            "DescribeStateMachine",
            json!({"stateMachineArn": machine_arn("missing")})
        ),
        "StateMachineDoesNotExist"
    );
    assert_eq!(
        s.err(
            "CreateStateMachine",
            json!({"name": "bad name", "definition": PASS_WAIT, "roleArn": ROLE})
        ),
        "InvalidName"
    );
    let bad =
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "Nowhere"}}}).to_string();
    let (code, v) = s.call(
        "AWSStepFunctions.CreateStateMachine",
        &json!({"name": "bad", "definition": bad, "roleArn": ROLE}).to_string(),
    );
    assert_eq!(
        (code, v["__type"].as_str()),
        (400, Some("InvalidDefinition"))
    );
    assert!(
        v["message"]
            .as_str()
            .unwrap_or("")
            .contains("/States/A/Next"),
        "{v}"
    );
    assert_eq!(
        s.err("ListStateMachines", json!({"nextToken": "garbage"})),
        "InvalidToken"
    );
}

#[test]
fn a_lifecycle_survives_kill_9_and_a_restart() {
    let dir = Dir::new();
    let s = Server::start(&dir.db());
    let created = s.ok(
        "CreateStateMachine",
        json!({"name": "greeter", "definition": PASS_WAIT, "roleArn": ROLE, "tags": [{"key": "team", "value": "a"}]}),
    );
    let arn = created["stateMachineArn"]
        .as_str()
        .expect("an ARN")
        .to_string();
    assert_eq!(arn, machine_arn("greeter"));
    // The same request again is the same machine; another definition is an error.
    let again = s.ok(
        "CreateStateMachine",
        json!({"name": "greeter", "definition": PASS_WAIT, "roleArn": ROLE}),
    );
    assert_eq!(again["stateMachineArn"], arn);
    assert_eq!(
        s.err("CreateStateMachine", json!({"name": "greeter", "definition": r#"{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}"#, "roleArn": ROLE})),
        "StateMachineAlreadyExists"
    );
    let started = s.ok(
        "StartExecution",
        json!({"stateMachineArn": arn, "name": "first", "input": r#"{"who":"Ada","nap":0}"#}),
    );
    let exec = started["executionArn"]
        .as_str()
        .expect("an ARN")
        .to_string();
    let done = wait_done(&s, &exec);
    assert_eq!(done["status"], "SUCCEEDED");
    assert_eq!(
        serde_json::from_str::<Value>(done["output"].as_str().unwrap()).unwrap(),
        json!({"hello": "Ada"})
    );
    // A closed execution's name can't be used again.
    assert_eq!(
        s.err(
            "StartExecution",
            json!({"stateMachineArn": arn, "name": "first", "input": r#"{"who":"Ada","nap":0}"#})
        ),
        "ExecutionAlreadyExists"
    );
    let history = s.ok("GetExecutionHistory", json!({"executionArn": exec}));
    let events = history["events"].as_array().expect("events").clone();
    let ids: Vec<u64> = events.iter().map(|e| e["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
    assert_eq!(events[0]["type"], "ExecutionStarted");
    assert_eq!(events.last().unwrap()["type"], "ExecutionSucceeded");
    // Pages of two, forward and backward, cover every event once.
    for reverse in [false, true] {
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut req = json!({"executionArn": exec, "maxResults": 2, "reverseOrder": reverse});
            if let Some(t) = &token {
                req["nextToken"] = json!(t);
            }
            let page = s.ok("GetExecutionHistory", req);
            seen.extend(
                page["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["id"].as_u64().unwrap()),
            );
            match page["nextToken"].as_str() {
                Some(t) => token = Some(t.to_string()),
                None => break,
            }
        }
        let mut expect = ids.clone();
        if reverse {
            expect.reverse();
        }
        assert_eq!(seen, expect);
    }

    // One execution is still waiting when the server is killed.
    let sleeper = s
        .ok(
            "StartExecution",
            json!({"stateMachineArn": arn, "name": "sleeper", "input": r#"{"who":"Bob","nap":2}"#}),
        )
        .field("executionArn");
    s.kill9();
    let s = Server::start(&dir.db());
    let d = s.ok("DescribeStateMachine", json!({"stateMachineArn": arn}));
    assert_eq!(d["definition"], PASS_WAIT);
    assert_eq!(
        s.ok("ListTagsForResource", json!({"resourceArn": arn}))["tags"],
        json!([{"key": "team", "value": "a"}])
    );
    assert_eq!(
        s.ok("DescribeExecution", json!({"executionArn": exec}))["status"],
        "SUCCEEDED"
    );
    assert_eq!(
        s.ok("GetExecutionHistory", json!({"executionArn": exec}))["events"],
        json!(events)
    );
    let woke = wait_done(&s, &sleeper);
    assert_eq!(woke["status"], "SUCCEEDED", "{woke}");
    assert_eq!(
        serde_json::from_str::<Value>(woke["output"].as_str().unwrap()).unwrap(),
        json!({"hello": "Bob"})
    );
}

#[test]
fn stop_execution_aborts_a_waiting_execution() {
    let dir = Dir::new();
    let s = Server::start(&dir.db());
    let arn = s
        .ok(
            "CreateStateMachine",
            json!({"name": "napper", "definition": PASS_WAIT, "roleArn": ROLE}),
        )
        .field("stateMachineArn");
    let exec = s
        .ok(
            "StartExecution",
            json!({"stateMachineArn": arn, "input": r#"{"who":"C","nap":3600}"#}),
        )
        .field("executionArn");
    let stopped = s.ok(
        "StopExecution",
        json!({"executionArn": exec, "error": "Manual", "cause": "test"}),
    );
    assert!(stopped["stopDate"].is_number(), "{stopped}");
    let d = s.ok("DescribeExecution", json!({"executionArn": exec}));
    assert_eq!(d["status"], "ABORTED");
    let h = s.ok(
        "GetExecutionHistory",
        json!({"executionArn": exec, "reverseOrder": true}),
    );
    assert_eq!(h["events"][0]["type"], "ExecutionAborted");
    let listed = s.ok(
        "ListExecutions",
        json!({"stateMachineArn": arn, "statusFilter": "ABORTED"}),
    );
    assert_eq!(listed["executions"][0]["executionArn"], exec);
    assert_eq!(
        s.ok(
            "ListExecutions",
            json!({"stateMachineArn": arn, "statusFilter": "SUCCEEDED"})
        )["executions"],
        json!([])
    );
}

#[test]
fn express_machines_run_synchronously() {
    let dir = Dir::new();
    let s = Server::start(&dir.db());
    let def = r#"{"StartAt":"Check","States":{"Check":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":0,"Next":"Ok"}],"Default":"No"},"Ok":{"Type":"Pass","Result":"positive","End":true},"No":{"Type":"Fail","Error":"NotPositive","Cause":"n <= 0"}}}"#;
    let arn = s
        .ok(
            "CreateStateMachine",
            json!({"name": "quick", "definition": def, "roleArn": ROLE, "type": "EXPRESS"}),
        )
        .field("stateMachineArn");
    let ok = s.ok(
        "StartSyncExecution",
        json!({"stateMachineArn": arn, "input": r#"{"n":1}"#}),
    );
    assert_eq!(ok["status"], "SUCCEEDED");
    assert_eq!(ok["output"], "\"positive\"");
    assert!(
        ok["executionArn"]
            .as_str()
            .unwrap()
            .contains(":express:quick:"),
        "{ok}"
    );
    let bad = s.ok(
        "StartSyncExecution",
        json!({"stateMachineArn": arn, "input": r#"{"n":0}"#}),
    );
    assert_eq!(
        (bad["status"].as_str(), bad["error"].as_str()),
        (Some("FAILED"), Some("NotPositive"))
    );
    // An Express machine refuses callbacks, as AWS's CreateStateMachine does.
    let callback = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","End":true}}}"#;
    assert_eq!(
        s.err(
            "CreateStateMachine",
            json!({"name": "cb", "definition": callback, "roleArn": ROLE, "type": "EXPRESS"})
        ),
        "InvalidDefinition"
    );
}

/// Random targets, headers and bodies: every answer is an HTTP response with a JSON
/// body, and the server keeps answering.
#[test]
fn random_requests_never_break_the_server() {
    let dir = Dir::new();
    let s = Server::start(&dir.db());
    let mut rng = rand::rngs::StdRng::seed_from_u64(10);
    let ops = [
        "CreateStateMachine",
        "DescribeStateMachine",
        "UpdateStateMachine",
        "DeleteStateMachine",
        "ListStateMachines",
        "ValidateStateMachineDefinition",
        "StartExecution",
        "StartSyncExecution",
        "DescribeExecution",
        "ListExecutions",
        "GetExecutionHistory",
        "StopExecution",
        "TagResource",
        "UntagResource",
        "ListTagsForResource",
        "DescribeStateMachineForExecution",
        "Bogus",
    ];
    let fields = [
        "name",
        "definition",
        "roleArn",
        "stateMachineArn",
        "executionArn",
        "input",
        "type",
        "maxResults",
        "nextToken",
        "tags",
        "tagKeys",
        "resourceArn",
        "statusFilter",
        "reverseOrder",
    ];
    let values = || -> Vec<Value> {
        vec![
            json!(null),
            json!(true),
            json!(-1),
            json!(5000),
            json!(""),
            json!("x"),
            json!("arn:aws:states:us-east-1:123456789012:stateMachine:fz"),
            json!("arn:aws:states:us-east-1:123456789012:execution:fz:e"),
            json!(ROLE),
            json!(PASS_WAIT),
            json!("{\"StartAt\":1}"),
            json!([{"key": 1}]),
            json!({"deep": [1, 2, {"x": null}]}),
            json!("é\u{0}\u{7f}"),
        ]
    };
    for i in 0..400 {
        let op = ops[rng.gen_range(0..ops.len())];
        let body = match rng.gen_range(0..4) {
            0 => (0..rng.gen_range(0..64))
                .map(|_| rng.r#gen::<u8>())
                .collect::<Vec<u8>>(),
            _ => {
                let mut m = serde_json::Map::new();
                for _ in 0..rng.gen_range(0..5) {
                    let vs = values();
                    m.insert(
                        fields[rng.gen_range(0..fields.len())].into(),
                        vs[rng.gen_range(0..vs.len())].clone(),
                    );
                }
                if op == "CreateStateMachine" && rng.gen_bool(0.5) {
                    m.insert("name".into(), json!(format!("fz{i}")));
                    m.insert("definition".into(), json!(PASS_WAIT));
                    m.insert("roleArn".into(), json!(ROLE));
                }
                Value::Object(m).to_string().into_bytes()
            }
        };
        let (code, text) = s.raw(Some(&format!("AWSStepFunctions.{op}")), &body);
        assert!(code == 200 || code == 400, "{op} {body:?}: {code} {text}");
        let v: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{op}: not JSON ({e}): {text}"));
        if code == 400 {
            assert!(
                v["__type"].is_string() && v["message"].is_string(),
                "{op}: {v}"
            );
        }
    }
    assert!(s.ok("ListStateMachines", json!({}))["stateMachines"].is_array());
}

/// The crash test: 200 executions with command Tasks (each call appended to a log), a Wait
/// that parks them, a Choice, an inline Map with a Task per item and a Parallel. The
/// server is killed (SIGKILL) while they wait, after every first Task's result was
/// journaled; after a restart every execution succeeds with the right output, and no
/// journaled Task runs again.
#[test]
fn executions_go_on_after_kill_9_and_journaled_tasks_run_once() {
    let dir = Dir::new();
    let log = dir.0.join("calls.log");
    let resources = dir.0.join("resources.json");
    std::fs::write(
        &resources,
        json!({"arn:aws:states:::aws-sdk:test:record": "input=$(cat); echo \"$input\" >> calls.log; echo \"$input\""}).to_string(),
    )
    .expect("resources file");
    let task = |step: Value| json!({"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:test:record", "Parameters": step});
    let mut prep = task(json!({"exec.$": "$$.Execution.Name", "step": "prep"}));
    prep["ResultPath"] = json!("$.prep");
    prep["Next"] = json!("Nap");
    let mut call = task(json!({"exec.$": "$.exec", "step.$": "$.step"}));
    call["End"] = json!(true);
    let branch = |b: &str| {
        let mut t = task(json!({"exec.$": "$$.Execution.Name", "step": b}));
        t["End"] = json!(true);
        json!({"StartAt": b, "States": {b: t}})
    };
    let def = json!({"StartAt": "Prep", "States": {
        "Prep": prep,
        "Nap": {"Type": "Wait", "Seconds": 3, "Next": "Any?"},
        "Any?": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 0, "Next": "Each"}], "Default": "Done"},
        "Each": {"Type": "Map", "ItemsPath": "$.items",
                 "ItemSelector": {"exec.$": "$$.Execution.Name", "step.$": "States.Format('item{}', $$.Map.Item.Value)"},
                 "ItemProcessor": {"StartAt": "Call", "States": {"Call": call}},
                 "ResultPath": "$.each", "Next": "Fan"},
        "Fan": {"Type": "Parallel", "Branches": [branch("b0"), branch("b1")], "ResultPath": "$.fan", "Next": "Done"},
        "Done": {"Type": "Pass", "End": true}
    }});
    let resources_arg = resources.to_str().expect("UTF-8").to_string();
    let s = Server::start_with(&dir.db(), &["--resources", &resources_arg]);
    let arn = s
        .ok(
            "CreateStateMachine",
            json!({"name": "durable", "definition": def.to_string(), "roleArn": ROLE}),
        )
        .field("stateMachineArn");
    const N: usize = 200;
    let mut execs = Vec::new();
    for k in 0..N {
        let input = json!({"n": 3, "items": [1, 2, 3]}).to_string();
        let e = s.ok(
            "StartExecution",
            json!({"stateMachineArn": arn, "name": format!("e{k}"), "input": input}),
        );
        execs.push(e.field("executionArn"));
    }
    // Every Prep ran (and was journaled before its Wait began): kill the server mid-wait.
    let deadline = Instant::now() + Duration::from_secs(60);
    let calls = |log: &std::path::Path| std::fs::read_to_string(log).unwrap_or_default();
    while calls(&log).lines().filter(|l| l.contains("prep")).count() < N {
        assert!(
            Instant::now() < deadline,
            "the Prep tasks did not all run: {}",
            calls(&log)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    s.kill9();
    let s = Server::start_with(&dir.db(), &["--resources", &resources_arg]);
    for (k, e) in execs.iter().enumerate() {
        let d = wait_done(&s, e);
        assert_eq!(d["status"], "SUCCEEDED", "{d}");
        let out: Value = serde_json::from_str(d["output"].as_str().unwrap()).unwrap();
        let name = format!("e{k}");
        assert_eq!(out["prep"], json!({"exec": name, "step": "prep"}));
        let items: Vec<Value> = (1..=3)
            .map(|i| json!({"exec": name, "step": format!("item{i}")}))
            .collect();
        assert_eq!(out["each"], json!(items));
        assert_eq!(
            out["fan"],
            json!([{"exec": name, "step": "b0"}, {"exec": name, "step": "b1"}])
        );
        // The history has no gap across the crash.
        let h = s.ok(
            "GetExecutionHistory",
            json!({"executionArn": e, "maxResults": 1000}),
        );
        let ids: Vec<u64> = h["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_u64().unwrap())
            .collect();
        assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>(), "{e}");
        assert_eq!(
            h["events"].as_array().unwrap().last().unwrap()["type"],
            "ExecutionSucceeded"
        );
    }
    let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for line in calls(&log).lines() {
        let v: Value = serde_json::from_str(line).expect("a logged call");
        *counts
            .entry(format!(
                "{}/{}",
                v["exec"].as_str().unwrap(),
                v["step"].as_str().unwrap()
            ))
            .or_default() += 1;
    }
    assert_eq!(counts.len(), N * 6, "every task of every execution ran");
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    println!(
        "tasks in flight at the crash that ran twice: {}",
        twice.len()
    );
    // Prep's results were journaled before the crash: none ran again; nothing else was
    // in flight (they all waited).
    assert!(twice.is_empty(), "{twice:?}");
}

#[test]
fn versions_and_aliases_route_executions() {
    let dir = Dir::new();
    let s = Server::start(&dir.db());
    let def = |r: &str| {
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": r, "End": true}}})
            .to_string()
    };
    let created = s.ok(
        "CreateStateMachine",
        json!({"name": "ver", "definition": def("one"), "roleArn": ROLE, "publish": true, "versionDescription": "first"}),
    );
    let arn = created.field("stateMachineArn");
    assert_eq!(created["stateMachineVersionArn"], format!("{arn}:1"));
    let updated = s.ok(
        "UpdateStateMachine",
        json!({"stateMachineArn": arn, "definition": def("two"), "publish": true}),
    );
    assert_eq!(updated["stateMachineVersionArn"], format!("{arn}:2"));
    // Publishing an unchanged revision again is the same version.
    assert_eq!(
        s.ok(
            "PublishStateMachineVersion",
            json!({"stateMachineArn": arn})
        )["stateMachineVersionArn"],
        format!("{arn}:2")
    );
    assert_eq!(
        s.err(
            "PublishStateMachineVersion",
            json!({"stateMachineArn": arn, "revisionId": "stale"})
        ),
        "ConflictException"
    );
    let versions = s.ok("ListStateMachineVersions", json!({"stateMachineArn": arn}));
    let listed: Vec<&str> = versions["stateMachineVersions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["stateMachineVersionArn"].as_str().unwrap())
        .collect();
    assert_eq!(listed, vec![format!("{arn}:2"), format!("{arn}:1")]);
    let v1 = s.ok(
        "DescribeStateMachine",
        json!({"stateMachineArn": format!("{arn}:1")}),
    );
    assert_eq!(
        (v1["definition"].as_str(), v1["description"].as_str()),
        (Some(def("one").as_str()), Some("first"))
    );

    let alias = s.ok(
        "CreateStateMachineAlias",
        json!({"name": "prod", "routingConfiguration": [{"stateMachineVersionArn": format!("{arn}:1"), "weight": 100}]}),
    ).field("stateMachineAliasArn");
    assert_eq!(alias, format!("{arn}:prod"));
    assert_eq!(
        s.err("CreateStateMachineAlias", json!({"name": "123", "routingConfiguration": [{"stateMachineVersionArn": format!("{arn}:1"), "weight": 100}]})),
        "ValidationException"
    );
    assert_eq!(
        s.err("CreateStateMachineAlias", json!({"name": "half", "routingConfiguration": [{"stateMachineVersionArn": format!("{arn}:1"), "weight": 50}]})),
        "ValidationException"
    );
    let run = |target: &str, name: &str| {
        let e = s
            .ok(
                "StartExecution",
                json!({"stateMachineArn": target, "name": name}),
            )
            .field("executionArn");
        wait_done(&s, &e)
    };
    let via_alias = run(&alias, "a1");
    assert_eq!(via_alias["output"], "\"one\"");
    assert_eq!(via_alias["stateMachineAliasArn"], alias);
    assert_eq!(via_alias["stateMachineVersionArn"], format!("{arn}:1"));
    assert_eq!(run(&format!("{arn}:2"), "v2")["output"], "\"two\"");
    assert_eq!(run(&arn, "latest")["output"], "\"two\"");
    s.ok("UpdateStateMachineAlias", json!({"stateMachineAliasArn": alias, "routingConfiguration": [{"stateMachineVersionArn": format!("{arn}:2"), "weight": 100}]}));
    assert_eq!(run(&alias, "a2")["output"], "\"two\"");
    let by_alias = s.ok("ListExecutions", json!({"stateMachineArn": alias}));
    let names: Vec<&str> = by_alias["executions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["a2", "a1"]);
    assert_eq!(
        s.ok("ListExecutions", json!({"stateMachineArn": arn}))["executions"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    // A version an alias routes to can't be deleted; another can.
    assert_eq!(
        s.err(
            "DeleteStateMachineVersion",
            json!({"stateMachineVersionArn": format!("{arn}:2")})
        ),
        "ConflictException"
    );
    s.ok(
        "DeleteStateMachineVersion",
        json!({"stateMachineVersionArn": format!("{arn}:1")}),
    );
    assert_eq!(
        s.err(
            "DescribeStateMachine",
            json!({"stateMachineArn": format!("{arn}:1")})
        ),
        "StateMachineDoesNotExist"
    );
    s.ok(
        "DeleteStateMachineAlias",
        json!({"stateMachineAliasArn": alias}),
    );
    assert_eq!(
        s.ok("ListStateMachineAliases", json!({"stateMachineArn": arn}))["stateMachineAliases"],
        json!([])
    );
    // Numbers are not reused after a deletion.
    s.ok(
        "UpdateStateMachine",
        json!({"stateMachineArn": arn, "definition": def("three")}),
    );
    assert_eq!(
        s.ok(
            "PublishStateMachineVersion",
            json!({"stateMachineArn": arn})
        )["stateMachineVersionArn"],
        format!("{arn}:3")
    );
}

/// RedriveExecution: a failed execution goes on from what failed; journaled Task
/// results (the first Task, the Map items that succeeded) are not run again.
#[test]
fn redrive_reruns_only_what_failed() {
    let dir = Dir::new();
    let log = dir.0.join("calls.log");
    let resources = dir.0.join("resources.json");
    let script = "input=$(cat); echo \"$input\" >> calls.log; case \"$input\" in *item2*) if [ -f broken ]; then echo '{\"errorType\":\"Broken\",\"errorMessage\":\"down\"}'; exit 0; fi;; esac; echo \"$input\"";
    std::fs::write(
        &resources,
        json!({"arn:aws:states:::aws-sdk:test:record": script}).to_string(),
    )
    .expect("resources");
    std::fs::write(dir.0.join("broken"), "").expect("marker");
    let resources_arg = resources.to_str().expect("UTF-8").to_string();
    let s = Server::start_with(&dir.db(), &["--resources", &resources_arg]);
    let def = json!({"StartAt": "Prep", "States": {
        "Prep": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:test:record", "Parameters": {"step": "prep"}, "ResultPath": "$.prep", "Next": "Each"},
        "Each": {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1,
                 "ItemSelector": {"step.$": "States.Format('item{}', $$.Map.Item.Value)"},
                 "ItemProcessor": {"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:test:record", "End": true}}},
                 "ResultPath": "$.each", "Next": "Count"},
        "Count": {"Type": "Pass", "Parameters": {"each.$": "$.each", "redrives.$": "$$.Execution.RedriveCount"}, "End": true}
    }});
    let arn = s
        .ok(
            "CreateStateMachine",
            json!({"name": "redo", "definition": def.to_string(), "roleArn": ROLE}),
        )
        .field("stateMachineArn");
    let exec = s
        .ok(
            "StartExecution",
            json!({"stateMachineArn": arn, "name": "r1", "input": r#"{"items":[1,2,3]}"#}),
        )
        .field("executionArn");
    let failed = wait_done(&s, &exec);
    assert_eq!(
        (failed["status"].as_str(), failed["error"].as_str()),
        (Some("FAILED"), Some("Broken")),
        "{failed}"
    );
    assert_eq!(failed["redriveStatus"], "REDRIVABLE");
    std::fs::remove_file(dir.0.join("broken")).expect("marker removed");
    let redriven = s.ok("RedriveExecution", json!({"executionArn": exec}));
    assert!(redriven["redriveDate"].is_number(), "{redriven}");
    let done = wait_done(&s, &exec);
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    assert_eq!(
        (
            done["redriveCount"].as_i64(),
            done["redriveStatus"].as_str()
        ),
        (Some(1), Some("NOT_REDRIVABLE"))
    );
    let out: Value = serde_json::from_str(done["output"].as_str().unwrap()).unwrap();
    assert_eq!(
        out,
        json!({"each": [{"step": "item1"}, {"step": "item2"}, {"step": "item3"}], "redrives": 1})
    );
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    let count = |step: &str| {
        calls
            .lines()
            .filter(|l| l.contains(&format!("\"{step}\"")))
            .count()
    };
    assert_eq!(
        (
            count("prep"),
            count("item1"),
            count("item2"),
            count("item3")
        ),
        (1, 1, 2, 1),
        "{calls}"
    );
    let h = s.ok(
        "GetExecutionHistory",
        json!({"executionArn": exec, "maxResults": 1000}),
    );
    let events = h["events"].as_array().unwrap();
    let ids: Vec<u64> = events.iter().map(|e| e["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
    let types: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    let failed_at = types
        .iter()
        .position(|t| *t == "ExecutionFailed")
        .expect("the first run failed");
    assert_eq!(types[failed_at + 1], "ExecutionRedriven");
    assert_eq!(types.last(), Some(&"ExecutionSucceeded"));
    assert_eq!(
        s.err("RedriveExecution", json!({"executionArn": exec})),
        "ExecutionNotRedrivable"
    );
}

/// Every file under `dir`.

#[test]
fn an_oversized_request_gets_an_aws_shaped_error() {
    let dir = Dir::new();
    let s = Server::start(&dir.db());
    let body = json!({"name": "x".repeat(2 * 1024 * 1024)}).to_string();
    let (code, text) = s.raw(Some("AWSStepFunctions.ListStateMachines"), body.as_bytes());
    assert_eq!(code, 413, "{text}");
    let v: Value = serde_json::from_str(&text).expect("a JSON error");
    assert_eq!(v["__type"], "RequestEntityTooLargeException");
    // The server goes on answering.
    assert!(s.ok("ListStateMachines", json!({}))["stateMachines"].is_array());
}
