//! Bad input never panics: the loader, the validator and the executor answer every
//! definition and input with a result or a located error.

use asl_engine::asl::model::{load_text, load_value};
use asl_engine::asl::validate::{Options, validate_text};
use asl_engine::exec::Executor;
use proptest::prelude::*;
use serde_json::{Value, json};

/// JSON values shaped like (broken) definitions: the field names of ASL appear often.
fn arb_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("StartAt".to_string()),
        Just("States".to_string()),
        Just("Type".to_string()),
        Just("Next".to_string()),
        Just("End".to_string()),
        Just("A".to_string()),
        Just("B".to_string()),
        Just("Choices".to_string()),
        Just("Variable".to_string()),
        Just("Parameters".to_string()),
        Just("x.$".to_string()),
        Just("ItemProcessor".to_string()),
        Just("Branches".to_string()),
        Just("Retry".to_string()),
        Just("Catch".to_string()),
        Just("ErrorEquals".to_string()),
        "[a-zA-Z.$]{0,8}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop_oneof![
            Just("Pass".to_string()),
            Just("Choice".to_string()),
            Just("Map".to_string()),
            Just("Parallel".to_string()),
            Just("Task".to_string()),
            Just("A".to_string()),
            Just("B".to_string()),
            Just("$.a".to_string()),
            Just("States.Format('{}', $.a)".to_string()),
            "[ -~]{0,12}",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn loader_and_validator_never_panic_on_text(s in "\\PC{0,200}") {
        let _ = validate_text(&s, &Options::default());
        let _ = validate_text(&s, &Options { strict_aws: true });
        let _ = load_text(&s);
    }

    #[test]
    fn loader_never_panics_on_json(v in arb_json()) {
        let text = serde_json::to_string(&v).unwrap();
        let _ = validate_text(&text, &Options { strict_aws: true });
        if let Ok(sm) = load_value(&v) {
            // Whatever loads also runs to an outcome.
            let _ = Executor::builder().virtual_clock().build().run(&sm, json!({"a": 1}));
        }
    }
}

#[test]
fn valid_machine_with_arbitrary_inputs_never_panics() {
    let sm = load_text(
        r#"{"StartAt":"P","States":{
            "P":{"Type":"Pass","Parameters":{"a.$":"$.a","s.$":"States.Format('{}', $.b)"},"Next":"C"},
            "C":{"Type":"Choice","Choices":[{"Variable":"$.a","NumericGreaterThan":1,"Next":"M"}],"Default":"F"},
            "M":{"Type":"Map","ItemsPath":"$.a","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true},
            "F":{"Type":"Fail","Error":"E"}}}"#,
    )
    .unwrap();
    let ex = Executor::builder().virtual_clock().build();
    for input in [
        json!(null),
        json!(1),
        json!("x"),
        json!([]),
        json!({"a": "2"}),
        json!({"a": 5, "b": [1]}),
        json!({"a": [1], "b": {}}),
    ] {
        let out = ex.run(&sm, input.clone());
        assert!(
            out.output.is_some() || out.error.is_some(),
            "no outcome for {input}"
        );
    }
}

#[test]
fn deeply_nested_definition_is_an_error_not_a_crash() {
    let mut text = String::from(r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Result":"#);
    text.push_str(&"[".repeat(10_000));
    text.push_str(&"]".repeat(10_000));
    text.push_str(r#","End":true}}}"#);
    let diags = validate_text(&text, &Options::default());
    assert!(!diags.is_empty(), "a 10,000-level definition is reported");
    assert!(load_text(&text).is_err());
}
