//! Hand-written definitions, one per rule, with the pointer asserted.

use super::{Options, validate_text, validate_value};
use serde_json::{Value, json};

pub(super) fn diags(v: Value) -> Vec<(String, &'static str)> {
    validate_value(&v, &Options::default())
        .into_iter()
        .map(|d| (d.pointer, d.code))
        .collect()
}

/// Asserts a diagnostic with `code` at `pointer`.
pub(super) fn has(v: Value, pointer: &str, code: &str) {
    let d = diags(v);
    assert!(
        d.iter().any(|(p, c)| p == pointer && *c == code),
        "expected {code} at {pointer}, got {d:?}"
    );
}

pub(super) fn machine(states: Value) -> Value {
    json!({"StartAt": "A", "States": states})
}

#[test]
fn valid_minimal_machine_has_no_diagnostics() {
    let v = machine(json!({"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}}));
    assert_eq!(diags(v), vec![]);
}

#[test]
fn not_an_object() {
    has(json!([1]), "", "not-object");
}

#[test]
fn top_level_fields() {
    has(
        json!({"States": {"A": {"Type": "Succeed"}}}),
        "",
        "missing-field",
    );
    has(
        json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}, "X": 1}),
        "/X",
        "unknown-field",
    );
    has(
        json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}, "TimeoutSeconds": 0}),
        "/TimeoutSeconds",
        "out-of-range",
    );
    has(
        json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}, "QueryLanguage": "XPath"}),
        "/QueryLanguage",
        "bad-enum",
    );
}

#[test]
fn pointer_escapes_state_names() {
    let v = machine(
        json!({"A": {"Type": "Pass", "Next": "x/y~z"}, "x/y~z": {"Type": "Pass", "Bogus": 1, "End": true}}),
    );
    has(v, "/States/x~1y~0z/Bogus", "unknown-field");
}

#[test]
fn state_type_and_fields() {
    has(
        machine(json!({"A": {"Type": "Nope", "End": true}})),
        "/States/A/Type",
        "bad-enum",
    );
    has(
        machine(json!({"A": {"End": true}})),
        "/States/A",
        "missing-field",
    );
    has(
        machine(json!({"A": {"Type": "Pass", "ResultSelector": {}, "End": true}})),
        "/States/A/ResultSelector",
        "unknown-field",
    );
    has(
        machine(json!({"A": {"Type": "Succeed", "Assign": {}}})),
        "/States/A/Assign",
        "unknown-field",
    );
    has(
        machine(json!({"A": {"Type": "Task", "End": true}})),
        "/States/A",
        "missing-field",
    );
}

#[test]
fn next_and_end() {
    has(
        machine(json!({"A": {"Type": "Pass", "Next": "B", "End": true}, "B": {"Type": "Succeed"}})),
        "/States/A/End",
        "next-and-end",
    );
    has(
        machine(json!({"A": {"Type": "Pass"}})),
        "/States/A",
        "missing-transition",
    );
    has(
        machine(json!({"A": {"Type": "Succeed", "Next": "A"}})),
        "/States/A/Next",
        "unknown-field",
    );
}

#[test]
fn transitions() {
    has(
        machine(json!({"A": {"Type": "Pass", "Next": "Nope"}, "B": {"Type": "Succeed"}})),
        "/States/A/Next",
        "dangling-transition",
    );
    has(
        json!({"StartAt": "Z", "States": {"A": {"Type": "Succeed"}}}),
        "/StartAt",
        "dangling-start",
    );
    has(
        machine(json!({"A": {"Type": "Succeed"}, "B": {"Type": "Succeed"}})),
        "/States/B",
        "unreachable-state",
    );
    has(
        machine(json!({"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}})),
        "/States",
        "no-terminal-state",
    );
}

#[test]
fn nested_scopes_are_closed() {
    let v = machine(json!({
        "A": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "P", "States": {"P": {"Type": "Pass", "Next": "A"}}}
        ]}
    }));
    has(
        v.clone(),
        "/States/A/Branches/0/States/P/Next",
        "dangling-transition",
    );
    has(v, "/States/A/Branches/0/States", "no-terminal-state");
    let v = machine(json!({
        "A": {"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "Q", "States": {"Q": {"Type": "Succeed"}}}}
    }));
    assert_eq!(diags(v), vec![]);
}

#[test]
fn duplicate_state_names() {
    let v = machine(json!({
        "A": {"Type": "Parallel", "Next": "B", "Branches": [
            {"StartAt": "B", "States": {"B": {"Type": "Succeed"}}}
        ]},
        "B": {"Type": "Succeed"}
    }));
    has(v, "/States/B", "duplicate-state-name");
    let text =
        r#"{"StartAt": "A", "States": {"A": {"Type": "Succeed"}, "A": {"Type": "Succeed"}}}"#;
    let d = validate_text(text, &Options::default());
    assert!(
        d.iter()
            .any(|d| d.pointer == "/States/A" && d.code == "duplicate-state-name"),
        "{d:?}"
    );
}

#[test]
fn value_ranges() {
    has(
        machine(
            json!({"A": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:test:x", "TimeoutSeconds": 5, "HeartbeatSeconds": 5, "End": true}}),
        ),
        "/States/A/HeartbeatSeconds",
        "out-of-range",
    );
    has(
        machine(json!({"A": {"Type": "Wait", "Seconds": -1, "End": true}})),
        "/States/A/Seconds",
        "out-of-range",
    );
    has(
        machine(json!({"A": {"Type": "Wait", "Timestamp": "2016-12-05 21:29:29Z", "End": true}})),
        "/States/A/Timestamp",
        "bad-timestamp",
    );
}

#[test]
fn mutually_exclusive() {
    has(
        machine(json!({"A": {"Type": "Wait", "Seconds": 1, "SecondsPath": "$.s", "End": true}})),
        "/States/A/SecondsPath",
        "mutually-exclusive",
    );
    has(
        machine(json!({"A": {"Type": "Fail", "Error": "E", "ErrorPath": "$.e"}})),
        "/States/A/ErrorPath",
        "mutually-exclusive",
    );
}

#[test]
fn choice_rules() {
    let c = |rule: Value| {
        machine(
            json!({"A": {"Type": "Choice", "Choices": [rule], "Default": "B"}, "B": {"Type": "Succeed"}}),
        )
    };
    has(
        c(json!({"Variable": "$.x", "Next": "B"})),
        "/States/A/Choices/0",
        "choice-rule",
    );
    has(
        c(json!({"Variable": "$.x", "StringEquals": "a", "NumericEquals": 1, "Next": "B"})),
        "/States/A/Choices/0",
        "choice-rule",
    );
    has(
        c(json!({"Variable": "$.x", "NumericLessThan": "1", "Next": "B"})),
        "/States/A/Choices/0/NumericLessThan",
        "wrong-type",
    );
    has(
        c(json!({"Variable": "$.x", "TimestampEquals": "x", "Next": "B"})),
        "/States/A/Choices/0/TimestampEquals",
        "bad-timestamp",
    );
    has(
        c(json!({"Variable": "$.x", "StringEquals": "a"})),
        "/States/A/Choices/0",
        "missing-field",
    );
    has(
        c(json!({"And": [{"Variable": "$.x", "IsNull": true, "Next": "B"}], "Next": "B"})),
        "/States/A/Choices/0/And/0/Next",
        "choice-rule",
    );
    has(
        c(json!({"And": [], "Next": "B"})),
        "/States/A/Choices/0/And",
        "empty-array",
    );
    has(
        c(json!({"Not": [], "Next": "B"})),
        "/States/A/Choices/0/Not",
        "wrong-type",
    );
    has(
        c(json!({"Variable": "$.x", "StringEqualsPath": "x", "Next": "B"})),
        "/States/A/Choices/0/StringEqualsPath",
        "bad-path",
    );
    has(
        c(json!({"Variable": "$.x", "StringEquals": "a", "Next": "Z"})),
        "/States/A/Choices/0/Next",
        "dangling-transition",
    );
}
