//! The large-input path against the ordinary one: for random inputs and item
//! processors, the output (as text), the status, the error and the cause are the same.
use super::split_input_from;
use crate::asl::model::load_text;
use crate::asl::model::template::to_compact;
use crate::exec::{Executor, RunOptions, Status};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::sync::Arc;

/// Item processors (first state a Map over `$.<path>`), with what makes each special.
fn definitions() -> Vec<(Value, &'static str)> {
    let compute = json!({
        "StartAt": "Compute",
        "States": {
            "Compute": {"Type": "Pass", "Parameters": {
                "sum.$": "States.MathAdd($.a, $.b)",
                "label.$": "States.Format('{} of {}', $.name, $.category)",
                "a.$": "$.a"}, "Next": "Classify"},
            "Classify": {"Type": "Choice", "Choices": [
                {"Variable": "$.sum", "NumericGreaterThan": 1000, "Next": "Big"},
                {"Variable": "$.sum", "NumericLessThan": -900, "Next": "Broken"}],
                "Default": "Small"},
            "Big": {"Type": "Pass", "Result": "big", "ResultPath": "$.size", "End": true},
            "Small": {"Type": "Pass", "Result": "small", "ResultPath": "$.size", "End": true},
            "Broken": {"Type": "Fail", "Error": "Item.Broken", "Cause": "too small"}
        }
    });
    let map = |extra: Value| {
        let mut m = json!({"Type": "Map", "ItemsPath": "$.items", "ItemProcessor": compute.clone(), "End": true});
        for (k, v) in extra.as_object().unwrap() {
            m[k] = v.clone();
        }
        json!({"StartAt": "Each", "States": {"Each": m}})
    };
    let mut then_pass = map(json!({"ResultSelector": {"n.$": "States.ArrayLength($)"}}));
    then_pass["States"]["Each"]["Next"] = json!("After");
    then_pass["States"]["Each"]
        .as_object_mut()
        .unwrap()
        .remove("End");
    then_pass["States"]["After"] = json!({"Type": "Pass", "End": true});
    let mut nested = map(json!({"ItemsPath": "$.data.rows", "MaxConcurrency": 1}));
    nested["States"]["Each"]["ItemSelector"] =
        json!({"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index", "c": "k"});
    nested["States"]["Each"]["ItemProcessor"] =
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}});
    // The benchmark's processor: the kernels run it, and read 4 of the 5 fields.
    let mut columnar = map(json!({}));
    let states = &mut columnar["States"]["Each"]["ItemProcessor"]["States"];
    states.as_object_mut().unwrap().remove("Broken");
    states["Classify"]["Choices"].as_array_mut().unwrap().pop();
    states["Compute"]["Parameters"]["name.$"] = json!("$.name");
    vec![
        (columnar, "columnar, fields not read are skipped"),
        (map(json!({})), "results written as text"),
        (
            map(json!({"ToleratedFailureCount": 2})),
            "tolerated failures",
        ),
        (
            map(json!({"ToleratedFailurePercentage": 50, "OutputPath": "$[0]"})),
            "percentage, OutputPath",
        ),
        (then_pass, "ResultSelector, then another state"),
        (
            nested,
            "nested path, ItemSelector with $$, MaxConcurrency 1",
        ),
    ]
}

fn item() -> impl Strategy<Value = Value> {
    (
        -600i64..600,
        prop_oneof![(-600i64..600).prop_map(|n| json!(n)), (-600.0f64..600.0).prop_map(|f| json!(f))],
        "[a-z\\\\\"\u{e9} ]{0,8}",
        prop_oneof![Just(json!("x")), Just(json!(1)), Just(json!({"deep": [1, {"k": null}]}))],
    )
        .prop_map(|(a, b, name, category)| json!({"a": a, "b": b, "name": name, "category": category, "skip": [true]}))
}

/// `items` made of one shape (integer `b`, string `category`), as the kernels take
/// them; or, when not, with an item that lacks `b` (a failure whose cause shows the
/// item) once in a while.
fn shaped(mut items: Vec<Value>, uniform: bool, missing: usize) -> Vec<Value> {
    for it in &mut items {
        if uniform {
            it["b"] = json!(it["b"].as_f64().unwrap_or(0.0) as i64);
            if !it["category"].is_string() {
                it["category"] = json!("c");
            }
        }
    }
    if !uniform && missing < items.len() {
        items[missing].as_object_mut().unwrap().remove("b");
    }
    items
}

fn output_text(e: &crate::exec::Execution) -> Option<String> {
    e.output_text
        .as_ref()
        .map(ToString::to_string)
        .or_else(|| e.output.as_ref().map(to_compact))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn same_output_as_the_whole_input(
        items in prop::collection::vec(item(), 0..60),
        which in 0usize..6,
        pretty in any::<bool>(),
        threads in 1usize..3,
        uniform in any::<bool>(),
        missing in 0usize..200,
        partition in 1usize..40,
    ) {
        let items = shaped(items, uniform, missing);
        let (def, what) = definitions().swap_remove(which);
        let def_text = def.to_string();
        let sm = load_text(&def_text).unwrap();
        let doc = json!({"before": 1, "items": items.clone(), "data": {"rows": items}, "after": "]"});
        let text = if pretty { serde_json::to_string_pretty(&doc).unwrap() } else { doc.to_string() };
        let ex = Executor::builder().threads(threads).partition_size(partition).build();
        let plan = ex.plan(sm.clone());
        let whole = ex.run_plan(&plan, serde_json::from_str(&text).unwrap(), &RunOptions::default());
        let (input, large) = split_input_from(&sm, &def_text, text.into_bytes(), 0)
            .unwrap_or_else(|_| panic!("{what}: the input was not split"));
        let opts = RunOptions { large_items: Some(Arc::new(large)), ..RunOptions::default() };
        let split = ex.run_plan(&plan, input, &opts);
        prop_assert_eq!(whole.status, split.status, "{}", what);
        prop_assert_eq!(&whole.error, &split.error, "{}", what);
        prop_assert_eq!(&whole.cause, &split.cause, "{}", what);
        prop_assert_eq!(output_text(&whole), output_text(&split), "{}", what);
        prop_assert_eq!(whole.warnings, split.warnings, "{}", what);
        if whole.status == Status::Succeeded {
            prop_assert!(split.output.is_some() || split.output_text.is_some());
        }
    }
}

#[test]
fn what_is_not_split() {
    let def = |extra: &str| {
        format!(
            r#"{{"StartAt": "M", "States": {{"M": {{"Type": "Map", "ItemsPath": "$.items", {extra} "ItemProcessor": {{"StartAt": "P", "States": {{"P": {{"Type": "Pass", "End": true}}}}}}}}}}}}"#
        )
    };
    let input = br#"{"items": [1, 2], "x": 3}"#.to_vec();
    let split = |d: &str, text: &[u8]| {
        let sm = load_text(d).unwrap();
        split_input_from(&sm, d, text.to_vec(), 0).is_ok()
    };
    assert!(split(&def(r#""End": true,"#), &input));
    // The input is seen again, or read otherwise.
    for extra in [
        r#""ResultPath": "$.r", "End": true,"#,
        r#""ResultPath": null, "End": true,"#,
        r#""InputPath": "$", "End": true,"#,
        r#""Catch": [{"ErrorEquals": ["States.ALL"], "Next": "P2"}], "End": true,"#,
        r#""Retry": [{"ErrorEquals": ["States.ALL"]}], "End": true,"#,
        r#""ItemSelector": {"all.$": "$.items"}, "End": true,"#,
        r#""ItemSelector": {"v.$": "States.Format('{}', $$.Map.Item.Value)"}, "End": true,"#,
        r#""Parameters": {"v.$": "$"}, "End": true,"#,
    ] {
        let mut d = def(extra);
        if extra.contains("P2") {
            d = d.replace(
                "\"M\": {",
                "\"P2\": {\"Type\": \"Pass\", \"End\": true}, \"M\": {",
            );
        }
        assert!(!split(&d, &input), "{extra}");
    }
    let reads_input = def(r#""ItemSelector": {"x.$": "$$.Execution.Input.x"}, "End": true,"#);
    assert!(!split(&reads_input, &input));
    // Text the split can't vouch for is parsed whole (for the ordinary error).
    for bad in [
        &br#"{"items": [1, 2,], "x": 3}"#[..],
        br#"{"items": [1, tru], "x": 3}"#,
        br#"{"items": [1], "x": 3} x"#,
        br#"{"items": {"a": 1}}"#,
    ] {
        assert!(
            !split(&def(r#""End": true,"#), bad),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}
