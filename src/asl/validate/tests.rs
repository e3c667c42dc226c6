//! Hand-written definitions, one per rule, with the pointer asserted.

use super::{Options, validate_text, validate_value};
use serde_json::{Value, json};

fn diags(v: Value) -> Vec<(String, &'static str)> {
    validate_value(&v, &Options::default())
        .into_iter()
        .map(|d| (d.pointer, d.code))
        .collect()
}

/// Asserts a diagnostic with `code` at `pointer`.
fn has(v: Value, pointer: &str, code: &str) {
    let d = diags(v);
    assert!(
        d.iter().any(|(p, c)| p == pointer && *c == code),
        "expected {code} at {pointer}, got {d:?}"
    );
}

fn machine(states: Value) -> Value {
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
            json!({"A": {"Type": "Task", "Resource": "arn:aws:states:::x", "TimeoutSeconds": 5, "HeartbeatSeconds": 5, "End": true}}),
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

#[test]
fn retry_and_catch() {
    let t = |extra: Value| {
        let mut st = json!({"Type": "Task", "Resource": "arn:aws:states:::x", "End": true});
        for (k, v) in extra.as_object().unwrap() {
            st[k] = v.clone();
        }
        machine(json!({"A": st, "H": {"Type": "Succeed"}}))
    };
    has(
        t(json!({"Retry": [{"ErrorEquals": []}]})),
        "/States/A/Retry/0/ErrorEquals",
        "empty-array",
    );
    has(
        t(json!({"Retry": [{"ErrorEquals": ["States.ALL", "X"]}]})),
        "/States/A/Retry/0/ErrorEquals/0",
        "states-all",
    );
    has(
        t(json!({"Retry": [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["X"]}]})),
        "/States/A/Retry/0/ErrorEquals",
        "states-all",
    );
    has(
        t(json!({"Retry": [{"ErrorEquals": ["X"], "BackoffRate": 0.5}]})),
        "/States/A/Retry/0/BackoffRate",
        "out-of-range",
    );
    has(
        t(json!({"Retry": [{"ErrorEquals": ["X"], "JitterStrategy": "HALF"}]})),
        "/States/A/Retry/0/JitterStrategy",
        "bad-enum",
    );
    has(
        t(json!({"Catch": [{"ErrorEquals": ["X"], "Next": "Nope"}]})),
        "/States/A/Catch/0/Next",
        "dangling-transition",
    );
    has(
        t(json!({"Catch": [{"ErrorEquals": ["X"]}]})),
        "/States/A/Catch/0",
        "missing-field",
    );
}

#[test]
fn paths_and_templates() {
    let p = |extra: Value| {
        let mut st = json!({"Type": "Pass", "End": true});
        for (k, v) in extra.as_object().unwrap() {
            st[k] = v.clone();
        }
        machine(json!({"A": st}))
    };
    has(
        p(json!({"ResultPath": "$.a[*]"})),
        "/States/A/ResultPath",
        "bad-path",
    );
    has(
        p(json!({"InputPath": "a.b"})),
        "/States/A/InputPath",
        "bad-path",
    );
    assert_eq!(
        diags(p(
            json!({"InputPath": null, "OutputPath": null, "ResultPath": null})
        )),
        vec![]
    );
    has(
        p(json!({"Parameters": {"a": {"b.$": "nope"}}})),
        "/States/A/Parameters/a/b.$",
        "bad-template-value",
    );
    has(
        p(json!({"Parameters": {"a.$": "States.Nope(1)"}})),
        "/States/A/Parameters/a.$",
        "bad-template-value",
    );
    has(
        p(json!({"Parameters": {"a.$": "$.x", "a": 1}})),
        "/States/A/Parameters/a.$",
        "duplicate-template-key",
    );
    assert_eq!(
        diags(p(
            json!({"Parameters": {"a.$": "States.Format('{}', $.x)", "b.$": "$$.Execution.Id", "c.$": "$v"}})
        )),
        vec![]
    );
    has(p(json!({"Assign": 3})), "/States/A/Assign", "wrong-type");
}

#[test]
fn query_language() {
    let v = json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": true}}});
    has(v, "/States/A/QueryLanguage", "query-language-downgrade");
    let v = json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "InputPath": "$", "End": true}}});
    has(v, "/States/A/InputPath", "field-query-language");
    has(
        machine(json!({"A": {"Type": "Pass", "Output": 1, "End": true}})),
        "/States/A/Output",
        "field-query-language",
    );
    let j = |out: &str| json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {"Type": "Pass", "Output": out, "End": true}}});
    has(j("{% 1 + %}"), "/States/A/Output", "jsonata-syntax");
    has(j("{% 1"), "/States/A/Output", "jsonata-syntax");
    assert_eq!(
        diags(j(
            "{% $states.input.items[price > 10].name ~> $join(', ') %}"
        )),
        vec![]
    );
}

#[test]
fn map_configuration() {
    let m = |extra: Value| {
        let mut st = json!({"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}});
        for (k, v) in extra.as_object().unwrap() {
            st[k] = v.clone();
        }
        machine(json!({"A": st}))
    };
    has(
        m(json!({"ToleratedFailurePercentage": 101})),
        "/States/A/ToleratedFailurePercentage",
        "out-of-range",
    );
    has(
        m(json!({"MaxConcurrency": -1})),
        "/States/A/MaxConcurrency",
        "out-of-range",
    );
    has(
        m(json!({"Items": [1], "ItemsPath": "$.a"})),
        "/States/A/Items",
        "mutually-exclusive",
    );
    has(m(json!({"Label": "a b"})), "/States/A/Label", "bad-label");
    has(
        m(json!({"ItemReader": {}})),
        "/States/A/ItemReader",
        "missing-field",
    );
    let v = machine(json!({"A": {"Type": "Map", "End": true, "ItemProcessor": {
        "ProcessorConfig": {"Mode": "INLINE", "ExecutionType": "EXPRESS"},
        "StartAt": "I", "States": {"I": {"Type": "Succeed"}}}}}));
    has(
        v,
        "/States/A/ItemProcessor/ProcessorConfig/ExecutionType",
        "distributed-only",
    );
}

#[test]
fn strict_mode() {
    let v = machine(json!({"A": {"Type": "Task", "Resource": "foo:bar", "End": true}}));
    assert_eq!(diags(v.clone()), vec![]);
    let d = validate_value(&v, &Options { strict_aws: true });
    assert!(
        d.iter()
            .any(|d| d.pointer == "/States/A/Resource" && d.code == "bad-resource")
    );
}

#[test]
fn text_parsing() {
    let d = validate_text(
        "{\n  \"StartAt\": \"A\",\n  \"States\": {,}\n}",
        &Options::default(),
    );
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, "json-syntax");
    assert!(d[0].message.contains("line 3"), "{}", d[0].message);
    let yaml = "StartAt: A\nStates:\n  A:\n    Type: Succeed\n";
    assert_eq!(validate_text(yaml, &Options::default()), vec![]);
    let d = validate_text("StartAt: [\n", &Options::default());
    assert_eq!(d[0].code, "yaml-syntax");
}

#[test]
fn deep_nesting_does_not_panic() {
    let text = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let d = validate_text(&format!("{{\"a\": {text}}}"), &Options::default());
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].code, "json-syntax");
    assert!(d[0].message.contains("recursion limit"), "{}", d[0].message);
}

#[test]
fn deep_template_does_not_overflow() {
    // A deep Parameters value built in memory: the template walk is iterative.
    let mut deep = json!(1);
    for _ in 0..10_000 {
        let mut m = serde_json::Map::new();
        m.insert("a".into(), deep);
        deep = Value::Object(m);
    }
    let mut v = machine(json!({"A": {"Type": "Pass", "End": true}}));
    v["States"]["A"]
        .as_object_mut()
        .unwrap()
        .insert("Parameters".into(), deep);
    assert!(validate_value(&v, &Options::default()).is_empty());
    std::mem::forget(v); // dropping a deep Value recurses in serde_json itself
}

#[test]
fn deeply_nested_scopes_are_cut_off() {
    let mut st = json!({"Type": "Succeed"});
    for _ in 0..200 {
        st = json!({"Type": "Parallel", "End": true, "Branches": [{"StartAt": "S", "States": {"S": st}}]});
    }
    let d = validate_value(
        &json!({"StartAt": "S", "States": {"S": st}}),
        &Options::default(),
    );
    assert!(d.iter().any(|d| d.code == "too-deep"));
}
