//! More hand-written definitions: Retry/Catch, paths, query language, Map, strict
//! mode, text parsing and hostile inputs.

use super::tests::{diags, has, machine};
use super::{Options, validate_text, validate_value};
use serde_json::{Value, json};

#[test]
fn retry_and_catch() {
    let t = |extra: Value| {
        let mut st =
            json!({"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:test:x", "End": true});
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
    has(
        p(json!({"Assign": {"1x": 1}})),
        "/States/A/Assign/1x",
        "bad-variable-name",
    );
    has(
        p(json!({"Assign": {"x.$": "nope"}})),
        "/States/A/Assign/x.$",
        "bad-template-value",
    );
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
    has(
        machine(json!({"A": {"Type": "Wait", "Seconds": "{% 1 %}", "End": true}})),
        "/States/A/Seconds",
        "jsonata-in-jsonpath",
    );
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

/// Issue #10: the forms of Credentials, WriterConfig values and Task resources AWS
/// accepts and refuses.
#[test]
fn r10_credentials_writer_config_and_resources_follow_aws() {
    let task = |extra: Value| {
        let mut t =
            json!({"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": true});
        for (k, v) in extra.as_object().unwrap() {
            t[k] = v.clone();
        }
        machine(json!({"A": t}))
    };
    assert_eq!(
        diags(task(
            json!({"Credentials": {"RoleArn": "arn:aws:iam::123456789012:role/r"}})
        )),
        vec![]
    );
    assert_eq!(
        diags(task(json!({"Credentials": {"RoleArn.$": "$.role"}}))),
        vec![]
    );
    has(
        task(json!({"Credentials": {}})),
        "/States/A/Credentials",
        "missing-field",
    );
    has(
        task(json!({"Credentials": {"RoleArn": "arn:aws:iam::1:role/r", "InvalidField": "x"}})),
        "/States/A/Credentials/InvalidField",
        "unknown-field",
    );
    has(
        task(json!({"Credentials": {"RoleArn": ""}})),
        "/States/A/Credentials/RoleArn",
        "out-of-range",
    );
    let jsonata = |creds: Value| {
        json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {
            "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Arguments": {"FunctionName": "f"}, "Credentials": creds, "End": true}}})
    };
    assert_eq!(
        diags(jsonata(json!({"RoleArn": "{% $states.input.role %}"}))),
        vec![]
    );
    has(
        jsonata(json!({"RoleArn.$": "$.role"})),
        "/States/A/Credentials/RoleArn.$",
        "field-query-language",
    );

    let writer = |w: Value| {
        machine(json!({"A": {"Type": "Map", "ItemProcessor": {
            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
            "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
            "ResultWriter": w, "End": true}}))
    };
    assert_eq!(
        diags(writer(json!({"WriterConfig": {"OutputType": "JSONL"}}))),
        vec![]
    );
    assert_eq!(
        diags(writer(
            json!({"WriterConfig": {"Transformation": "FLATTEN"}})
        )),
        vec![]
    );
    has(
        writer(json!({"WriterConfig": {"OutputType": "CSV"}})),
        "/States/A/ResultWriter/WriterConfig/OutputType",
        "bad-enum",
    );
    has(
        writer(json!({"WriterConfig": {"Transformation": "flatten"}})),
        "/States/A/ResultWriter/WriterConfig/Transformation",
        "bad-enum",
    );
    has(
        writer(json!({"WriterConfig": {"Format": "JSON"}})),
        "/States/A/ResultWriter/WriterConfig/Format",
        "unknown-field",
    );

    for bad in [
        "arn:aws:states:::dynamodb:scan",
        "arn:aws:states:::sns:publish.sync",
        "arn:aws:lambda:us-east-1:123456789012:function:f:1:2",
    ] {
        has(
            machine(json!({"A": {"Type": "Task", "Resource": bad, "End": true}})),
            "/States/A/Resource",
            "bad-resource",
        );
    }
    for ok in [
        "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST",
        "arn:aws:lambda:us-east-1:123456789012:function:f:3",
        "arn:aws:lambda:us-east-1:123456789012:function:f:prod",
        "arn:aws:states:::aws-sdk:dynamodb:scan",
    ] {
        assert_eq!(
            diags(machine(
                json!({"A": {"Type": "Task", "Resource": ok, "End": true}})
            )),
            vec![],
            "{ok}"
        );
    }
}
