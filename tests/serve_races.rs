//! Concurrent requests to `asl serve` for one resource: creates and starts of one
//! name, alias updates racing version deletes. Each gets the answer of one order of
//! the requests.

mod harness;

use harness::*;
use serde_json::{Value, json};

/// Concurrent requests for one name: one machine (the same request is that machine,
/// another definition StateMachineAlreadyExists) and one execution
/// (ExecutionAlreadyExists for another input), never an internal error.
#[test]
fn concurrent_creates_and_starts_of_one_name_get_aws_answers() {
    let dir = Dir::new();
    let s = Server::start(&dir.db());
    let def = |n: usize| {
        json!({"StartAt": "A", "States": {"A": {"Type": "Wait", "Seconds": 3600, "End": true}}, "Comment": format!("v{n}")}).to_string()
    };
    let answers: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let hs: Vec<_> = (0..8)
            .map(|i| {
                let s = &s;
                let body =
                    json!({"name": "racy", "definition": def(i % 2), "roleArn": ROLE}).to_string();
                scope.spawn(move || s.call("AWSStepFunctions.CreateStateMachine", &body))
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().expect("a thread"))
            .collect()
    });
    let ok: Vec<&Value> = answers
        .iter()
        .filter(|(c, _)| *c == 200)
        .map(|(_, v)| v)
        .collect();
    let refused: Vec<&Value> = answers
        .iter()
        .filter(|(c, _)| *c == 400)
        .map(|(_, v)| v)
        .collect();
    assert_eq!(ok.len() + refused.len(), 8, "{answers:?}");
    assert_eq!(
        ok.len(),
        4,
        "the four requests like the winner's are that machine: {answers:?}"
    );
    assert!(
        refused
            .iter()
            .all(|v| v["__type"] == "StateMachineAlreadyExists"),
        "{answers:?}"
    );
    let arn = ok[0].field("stateMachineArn");
    let answers: Vec<(u16, Value)> = std::thread::scope(|scope| {
        let hs: Vec<_> = (0..8)
            .map(|i| {
                let (s, arn) = (&s, &arn);
                let body = json!({"stateMachineArn": arn, "name": "once", "input": format!("{{\"k\": {}}}", i % 2)}).to_string();
                scope.spawn(move || s.call("AWSStepFunctions.StartExecution", &body))
            })
            .collect();
        hs.into_iter()
            .map(|h| h.join().expect("a thread"))
            .collect()
    });
    let started = answers.iter().filter(|(c, _)| *c == 200).count();
    assert_eq!(
        started, 4,
        "the four starts like the winner's are that execution: {answers:?}"
    );
    assert!(
        answers
            .iter()
            .filter(|(c, _)| *c == 400)
            .all(|(_, v)| v["__type"] == "ExecutionAlreadyExists"),
        "{answers:?}"
    );
}

/// Updates of one alias racing deletes of the version it is pointed at: every answer is
/// that of one order of the requests (an update wins or is refused for a missing
/// version; a delete succeeds or gets ConflictException for a version an alias routes
/// to), and the alias never ends up routing to a deleted version.
#[test]
fn concurrent_alias_updates_and_version_deletes_stay_consistent() {
    let dir = Dir::new();
    let s = Server::start(&dir.db());
    let def = |n: usize| {
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}, "Comment": format!("v{n}")}).to_string()
    };
    let created = s.ok(
        "CreateStateMachine",
        json!({"name": "aliased", "definition": def(0), "roleArn": ROLE, "publish": true}),
    );
    let arn = created.field("stateMachineArn");
    let first = created.field("stateMachineVersionArn");
    let alias = s
        .ok(
            "CreateStateMachineAlias",
            json!({"name": "live", "routingConfiguration": [{"stateMachineVersionArn": first, "weight": 100}]}),
        )
        .field("stateMachineAliasArn");
    let (mut updated, mut deleted, mut conflicts) = (0, 0, 0);
    for round in 1..=100 {
        s.ok(
            "UpdateStateMachine",
            json!({"stateMachineArn": arn, "definition": def(round)}),
        );
        let version = s
            .ok(
                "PublishStateMachineVersion",
                json!({"stateMachineArn": arn}),
            )
            .field("stateMachineVersionArn");
        let answers: Vec<(bool, u16, Value)> = std::thread::scope(|scope| {
            let hs: Vec<_> = (0..8)
                .map(|i| {
                    let (s, alias, version) = (&s, &alias, &version);
                    scope.spawn(move || {
                        if i % 2 == 0 {
                            let body = json!({"stateMachineAliasArn": alias, "routingConfiguration": [{"stateMachineVersionArn": version, "weight": 100}]});
                            let (c, v) = s.call(
                                "AWSStepFunctions.UpdateStateMachineAlias",
                                &body.to_string(),
                            );
                            (true, c, v)
                        } else {
                            let body = json!({"stateMachineVersionArn": version});
                            let (c, v) = s.call(
                                "AWSStepFunctions.DeleteStateMachineVersion",
                                &body.to_string(),
                            );
                            (false, c, v)
                        }
                    })
                })
                .collect();
            hs.into_iter()
                .map(|h| h.join().expect("a thread"))
                .collect()
        });
        for (update, code, v) in &answers {
            match (update, code) {
                (true, 200) => updated += 1,
                (false, 200) => deleted += 1,
                (false, 400) => {
                    assert_eq!(v["__type"], "ConflictException", "{v}");
                    conflicts += 1;
                }
                (true, 400) => assert!(
                    v["message"].as_str().unwrap_or("").contains(&version),
                    "an update is refused for the deleted version: {v}"
                ),
                _ => panic!("unexpected answer {code}: {v}"),
            }
        }
        // Wherever the alias points, that version exists.
        let routed = s.ok(
            "DescribeStateMachineAlias",
            json!({"stateMachineAliasArn": alias}),
        )["routingConfiguration"][0]["stateMachineVersionArn"]
            .as_str()
            .expect("a routed version")
            .to_string();
        s.ok("DescribeStateMachine", json!({"stateMachineArn": routed}));
        let (code, v) = s.call(
            "AWSStepFunctions.StartExecution",
            &json!({"stateMachineArn": alias}).to_string(),
        );
        assert_eq!(code, 200, "a start on the alias: {v}");
    }
    println!("updates {updated}, deletes {deleted}, conflicts {conflicts}");
    assert!(updated > 0 && deleted + conflicts > 0);
}
