use super::*;
use serde_json::json;

#[test]
fn builds_scopes_edges_and_markers() {
    let def = json!({"StartAt": "A", "States": {
        "A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
              "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:1:function:f"},
              "Retry": [{"ErrorEquals": ["States.ALL"]}],
              "Catch": [{"ErrorEquals": ["X"], "Next": "F"}], "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThan": 5, "Next": "M"}],
              "Default": "F"},
        "M": {"Type": "Map", "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED"},
              "StartAt": "W", "States": {"W": {"Type": "Pass", "End": true}}},
              "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "CSV"}},
              "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject"}, "End": true},
        "F": {"Type": "Fail"}}});
    let g = Graph::from_definition(&def).unwrap();
    assert_eq!(g.state_names(), ["A", "C", "M", "W", "F"]);
    let kinds: Vec<_> = g
        .top
        .edges
        .iter()
        .map(|e| (e.from.as_str(), e.to.as_str(), e.kind))
        .collect();
    assert!(kinds.contains(&(START_ID, "A", EdgeKind::Next)));
    assert!(kinds.contains(&("A", "A", EdgeKind::Retry)));
    assert!(kinds.contains(&("A", "F", EdgeKind::Catch)));
    assert!(kinds.contains(&("C", "F", EdgeKind::Default)));
    assert!(kinds.contains(&("M", END_ID, EdgeKind::Next)));
    assert!(kinds.contains(&("F", END_ID, EdgeKind::Next)));
    let choice = g
        .top
        .edges
        .iter()
        .find(|e| e.kind == EdgeKind::Choice)
        .unwrap();
    assert_eq!(choice.label, "$.n NumericGreaterThan 5");
    let m = g.top.nodes.iter().find(|n| n.id == "M").unwrap();
    assert_eq!(m.detail, "Distributed Map");
    let inner = &m.children[0];
    assert_eq!(inner.nodes[0].detail, "s3:getObject (CSV)");
    assert!(
        inner
            .edges
            .iter()
            .any(|e| e.from == "W" && e.to == "M#writer")
    );
    let a = g.top.nodes.iter().find(|n| n.id == "A").unwrap();
    assert_eq!(a.detail, "Lambda: f");
}

#[test]
fn every_format_escapes_names() {
    let def = json!({"StartAt": "<script>alert(1)</script>", "States": {
        "<script>alert(1)</script>": {"Type": "Pass", "Next": "a\"b\\c"},
        "a\"b\\c": {"Type": "Succeed"}}});
    let g = Graph::from_definition(&def).unwrap();
    let none = HashMap::new();
    let svg = g.render(Format::Svg, &none);
    assert!(!svg.contains("<script>"));
    assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let dot = g.render(Format::Dot, &none);
    assert!(dot.contains(r#""a\"b\\c""#), "{dot}");
    let mermaid = g.render(Format::Mermaid, &none);
    assert!(
        mermaid.contains("#lt;script#gt;") && !mermaid.contains("<script>"),
        "{mermaid}"
    );
    let html = g.render(Format::Html, &none);
    assert!(!html.contains("<script>alert"));
}

#[test]
fn statuses_follow_the_history() {
    let events = vec![
        json!({"type": "ExecutionStarted"}),
        json!({"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "A", "input": "{}"}}),
        json!({"type": "TaskFailed", "taskFailedEventDetails": {"error": "X", "cause": "c"}}),
        json!({"type": "TaskStateExited", "stateExitedEventDetails": {"name": "A", "output": "{\"Error\":\"X\"}"}}),
        json!({"type": "PassStateEntered", "stateEnteredEventDetails": {"name": "B", "input": "{}"}}),
        json!({"type": "PassStateExited", "stateExitedEventDetails": {"name": "B", "output": "1"}}),
        json!({"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "C", "input": "1"}}),
        json!({"type": "TaskFailed", "taskFailedEventDetails": {"error": "Y"}}),
        json!({"type": "TaskScheduled"}),
        json!({"type": "WaitStateEntered", "stateEnteredEventDetails": {"name": "D", "input": "1"}}),
    ];
    let s = statuses_from_history(&events);
    assert_eq!(s["A"].status, Status::Caught);
    assert_eq!(s["A"].error.as_deref(), Some("X"));
    assert_eq!(s["B"].status, Status::Succeeded);
    assert_eq!(s["B"].output.as_deref(), Some("1"));
    // Failed, then retried: running again.
    assert_eq!(s["C"].status, Status::InProgress);
    assert_eq!(s["D"].status, Status::InProgress);
    let mut failed = events.clone();
    failed.push(json!({"type": "ExecutionFailed", "executionFailedEventDetails": {"error": "E", "cause": "why"}}));
    let s = statuses_from_history(&failed);
    assert_eq!(
        (s["D"].status, s["D"].error.as_deref()),
        (Status::Failed, Some("E"))
    );
}

#[test]
fn mermaid_names_cannot_hold_directives() {
    // Mermaid reads `%%{…}%%` anywhere in the text as a directive (config), which
    // would drop it from the label: `%` is written as an entity code.
    let def = json!({"StartAt": "%%{init: {'theme': 'dark'}}%%", "States": {
        "%%{init: {'theme': 'dark'}}%%": {"Type": "Pass", "End": true}}});
    let g = Graph::from_definition(&def).unwrap();
    let mermaid = g.render(Format::Mermaid, &HashMap::new());
    assert!(!mermaid.contains("%%{"), "{mermaid}");
    assert!(
        mermaid.contains("#37;#37;{init: {'theme': 'dark'}}#37;#37;"),
        "{mermaid}"
    );
}
