//! Activities in `asl serve` over real HTTP with a real SQLite file: a Map whose
//! iterations are activity Tasks, drained by four concurrent workers
//! (GetActivityTask long polls, SendTaskSuccess), each task handed to exactly one.

mod harness;

use harness::*;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Mutex;

#[test]
fn four_workers_drain_a_map_of_activity_tasks_each_task_once() {
    const ITEMS: u64 = 40;
    const WORKERS: usize = 4;
    let dir = Dir::new();
    let s = Server::start(&dir.db());
    let created = s.ok("CreateActivity", json!({"name": "review"}));
    let activity = created.field("activityArn");
    assert!(activity.ends_with(":activity:review"), "{activity}");
    // Creating it again is that activity.
    assert_eq!(
        s.ok("CreateActivity", json!({"name": "review"}))
            .field("activityArn"),
        activity
    );
    let d = s.ok("DescribeActivity", json!({"activityArn": activity}));
    assert_eq!(d["name"], "review");
    let listed = s.ok("ListActivities", json!({}));
    assert_eq!(listed["activities"][0]["activityArn"], activity);
    assert_eq!(
        s.err(
            "DescribeActivity",
            json!({"activityArn": "arn:aws:states:us-east-1:123456789012:activity:nope"})
        ),
        "ActivityDoesNotExist"
    );

    let def = json!({"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemsPath": "$.items",
        "ItemProcessor": {"StartAt": "Work", "States": {"Work": {"Type": "Task",
            "Resource": activity, "HeartbeatSeconds": 120, "End": true}}},
        "End": true}}});
    let machine = s
        .ok(
            "CreateStateMachine",
            json!({"name": "work", "definition": def.to_string(), "roleArn": ROLE}),
        )
        .field("stateMachineArn");
    let items: Vec<Value> = (0..ITEMS).map(|n| json!({"n": n})).collect();
    let exec = s
        .ok(
            "StartExecution",
            json!({"stateMachineArn": machine, "input": json!({"items": items}).to_string()}),
        )
        .field("executionArn");

    // Each worker polls until it gets a stop task (see below).
    let seen: Mutex<HashMap<String, String>> = Mutex::default();
    let done = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                let (s, activity, seen) = (&s, &activity, &seen);
                scope.spawn(move || {
                    let name = format!("worker-{w}");
                    loop {
                        let t = s.ok(
                            "GetActivityTask",
                            json!({"activityArn": activity, "workerName": name}),
                        );
                        let Some(token) = t["taskToken"].as_str() else {
                            continue;
                        };
                        let input: Value =
                            serde_json::from_str(t["input"].as_str().expect("an input")).unwrap();
                        let previous = seen.lock().unwrap().insert(token.to_string(), name.clone());
                        assert_eq!(previous, None, "a task handed out twice");
                        if input["stop"] == true {
                            s.ok(
                                "SendTaskSuccess",
                                json!({"taskToken": token, "output": "{}"}),
                            );
                            return;
                        }
                        s.ok("SendTaskHeartbeat", json!({"taskToken": token}));
                        let out = json!({"n": input["n"], "by": name});
                        s.ok(
                            "SendTaskSuccess",
                            json!({"taskToken": token, "output": out.to_string()}),
                        );
                    }
                })
            })
            .collect();
        let done = wait_done(&s, &exec);
        // Polls still waiting get one stop task each: the workers end.
        let stops: Vec<Value> = (0..WORKERS).map(|_| json!({"stop": true})).collect();
        let stopper = s
            .ok(
                "StartExecution",
                json!({"stateMachineArn": machine, "input": json!({"items": stops}).to_string()}),
            )
            .field("executionArn");
        for w in workers {
            w.join().expect("a worker");
        }
        assert_eq!(wait_done(&s, &stopper)["status"], "SUCCEEDED");
        done
    });
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    let out: Vec<Value> = serde_json::from_str(done["output"].as_str().unwrap()).unwrap();
    assert_eq!(out.len() as u64, ITEMS);
    for (k, o) in out.iter().enumerate() {
        assert_eq!(o["n"], k as u64, "{o}");
    }
    let seen = seen.into_inner().unwrap();
    assert_eq!(seen.len() as u64, ITEMS + WORKERS as u64);
    // The history names the workers.
    let h = s.ok(
        "GetExecutionHistory",
        json!({"executionArn": exec, "maxResults": 1000}),
    );
    let events = h["events"].as_array().unwrap();
    let count = |ty: &str| events.iter().filter(|e| e["type"] == ty).count() as u64;
    assert_eq!(count("ActivityScheduled"), ITEMS);
    assert_eq!(count("ActivityStarted"), ITEMS);
    assert_eq!(count("ActivitySucceeded"), ITEMS);
    // An answered task's token is refused.
    let token = seen.keys().next().unwrap();
    assert_eq!(
        s.err(
            "SendTaskSuccess",
            json!({"taskToken": token, "output": "{}"})
        ),
        "TaskTimedOut"
    );
    // Activities take tags.
    s.ok(
        "TagResource",
        json!({"resourceArn": activity, "tags": [{"key": "team", "value": "ops"}]}),
    );
    assert_eq!(
        s.ok("ListTagsForResource", json!({"resourceArn": activity}))["tags"],
        json!([{"key": "team", "value": "ops"}])
    );
    s.ok("DeleteActivity", json!({"activityArn": activity}));
    assert_eq!(
        s.err("ListTagsForResource", json!({"resourceArn": activity})),
        "ResourceNotFound"
    );
    assert_eq!(
        s.err("DescribeActivity", json!({"activityArn": activity})),
        "ActivityDoesNotExist"
    );
}
