//! Histories of executions that park in `asl serve`: a Map whose iterations park in
//! Waits (more than a second) side by side runs again after each wake, and its
//! history still lists every event once, with contiguous ids.

mod harness;

use harness::*;
use serde_json::{Value, json};
use std::collections::HashMap;

#[test]
fn a_map_whose_iterations_park_keeps_one_event_of_each() {
    let dir = Dir::new();
    let s = Server::start(&dir.db());
    let def = json!({"StartAt": "Each", "States": {"Each": {"Type": "Map", "ItemsPath": "$.items",
        "ItemProcessor": {"StartAt": "W", "States": {
            "W": {"Type": "Wait", "SecondsPath": "$.s", "Next": "P"},
            "P": {"Type": "Pass", "End": true}}},
        "End": true}}});
    let machine = s
        .ok(
            "CreateStateMachine",
            json!({"name": "waits", "definition": def.to_string(), "roleArn": ROLE}),
        )
        .field("stateMachineArn");
    let items: Vec<Value> = [2, 3, 2, 2, 3, 2].iter().map(|s| json!({"s": s})).collect();
    let exec = s
        .ok(
            "StartExecution",
            json!({"stateMachineArn": machine, "input": json!({"items": items}).to_string()}),
        )
        .field("executionArn");
    let done = wait_done(&s, &exec);
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    let h = s.ok(
        "GetExecutionHistory",
        json!({"executionArn": exec, "maxResults": 1000}),
    );
    let events = h["events"].as_array().expect("events");
    let ids: Vec<u64> = events.iter().map(|e| e["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, (1..=events.len() as u64).collect::<Vec<_>>());
    let mut count: HashMap<&str, usize> = HashMap::new();
    for e in events {
        *count.entry(e["type"].as_str().unwrap()).or_default() += 1;
    }
    for ty in [
        "MapIterationStarted",
        "WaitStateEntered",
        "WaitStateExited",
        "PassStateExited",
        "MapIterationSucceeded",
    ] {
        assert_eq!(count.get(ty), Some(&items.len()), "{ty}: {count:?}");
    }
    assert_eq!(count.get("MapIterationFailed"), None, "{count:?}");
    assert_eq!(count.get("ExecutionSucceeded"), Some(&1));
}
