//! The columnar path against the row interpreter: same outputs, same text.

use super::{ColumnarProgram, items_to_batch, text_items_to_batch};
use crate::asl::model::{StateKind, StateMachine, load_text};
use crate::exec::Executor;
use proptest::prelude::*;
use serde_json::{Value, json};

/// A state machine with one tolerant Map over `$.items` running `processor`.
fn machine(processor: &str, selector: Option<&str>) -> StateMachine {
    let sel = selector.map_or(String::new(), |s| format!(r#""ItemSelector": {s},"#));
    let text = format!(
        r#"{{"StartAt": "M", "States": {{"M": {{"Type": "Map", "ItemsPath": "$.items", {sel}
            "ToleratedFailurePercentage": 100, "ItemProcessor": {processor}, "End": true}}}}}}"#
    );
    match load_text(&text) {
        Ok(sm) => sm,
        Err(e) => panic!("{e:?}\n{text}"),
    }
}

fn program(sm: &StateMachine) -> Result<ColumnarProgram, String> {
    match &sm.states[0].kind {
        StateKind::Map(m) => ColumnarProgram::compile(&m.processor, m.item_selector.as_ref()),
        _ => panic!("not a Map"),
    }
}

/// Both paths on `items`; returns false when the columnar path declined the batch.
fn same(processor: &str, selector: Option<&str>, items: &[Value]) -> bool {
    let sm = machine(processor, selector);
    let prog = program(&sm).expect("compiles");
    let row = Executor::builder()
        .virtual_clock()
        .build()
        .run(&sm, json!({ "items": items }));
    let batch = items_to_batch(items).expect("one shape");
    // The same batch straight from the items' text.
    let (text, ranges) = as_text(items);
    assert_eq!(
        text_items_to_batch(&text, &ranges, None),
        Some(batch.clone())
    );
    let out = match prog.run(&batch) {
        Ok(out) => out,
        Err(e) => {
            eprintln!("declined: {e}");
            return false;
        }
    };
    let col = Value::Array(out.to_json());
    // The outputs written straight from the columns are the values' text.
    let mut written = b"[".to_vec();
    assert!(out.write_json(&mut written), "written");
    written.push(b']');
    assert_eq!(
        String::from_utf8(written).ok(),
        serde_json::to_string(&col).ok()
    );
    let row = row.output.expect("the Map succeeds");
    assert_eq!(row, col);
    assert_eq!(
        serde_json::to_string(&row).ok(),
        serde_json::to_string(&col).ok()
    );
    true
}

/// Items as one text, and each one's range in it.
pub(super) fn as_text(items: &[Value]) -> (Vec<u8>, Vec<(usize, usize)>) {
    let mut text = b"[".to_vec();
    let mut ranges = Vec::new();
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            text.extend_from_slice(b", ");
        }
        let start = text.len();
        text.extend_from_slice(&serde_json::to_vec_pretty(it).unwrap_or_default());
        ranges.push((start, text.len()));
    }
    text.push(b']');
    (text, ranges)
}

const BENCH: &str = r#"{"StartAt": "P", "States": {
    "P": {"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.a, $.b)",
          "label.$": "States.Format('{} of {}', $.name, $.category)", "a.$": "$.a", "name.$": "$.name"},
          "Next": "C"},
    "C": {"Type": "Choice", "Choices": [{"Variable": "$.sum", "NumericGreaterThan": 1000, "Next": "Big"}],
          "Default": "Small"},
    "Big": {"Type": "Pass", "Result": "big", "ResultPath": "$.size", "End": true},
    "Small": {"Type": "Pass", "Result": "small", "ResultPath": "$.size", "End": true}}}"#;

const LOGIC: &str = r#"{"StartAt": "C", "States": {
    "C": {"Type": "Choice", "Choices": [
        {"And": [{"Variable": "$.a", "NumericGreaterThanEquals": 0},
                 {"Not": {"Variable": "$.name", "StringEquals": "x"}}], "Next": "A"},
        {"Or": [{"Variable": "$.flag", "BooleanEquals": true},
                {"Variable": "$.name", "StringLessThan": "m"},
                {"Variable": "$.f", "NumericLessThan": 0.5}], "Next": "B"},
        {"Variable": "$.missing", "IsPresent": false, "Next": "D"}], "Default": "A"},
    "A": {"Type": "Pass", "Parameters": {"branch": "A", "in.$": "$"}, "End": true},
    "B": {"Type": "Pass", "ResultPath": "$.copy", "Next": "S"},
    "S": {"Type": "Succeed"},
    "D": {"Type": "Pass", "Result": {"d": [1, null]}, "ResultPath": "$.flag", "End": true}}}"#;

const FAIL: &str = r#"{"StartAt": "C", "States": {
    "C": {"Type": "Choice", "Choices": [{"Variable": "$.a", "NumericLessThan": 0, "Next": "F"},
          {"Variable": "$.f", "NumericEquals": 1, "Next": "G"}], "Default": "S"},
    "F": {"Type": "Fail", "Error": "Negative", "Cause": "a < 0"},
    "G": {"Type": "Fail", "Error": "One"},
    "S": {"Type": "Succeed"}}}"#;

const NULL_RESULT: &str = r#"{"StartAt": "P", "States": {
    "P": {"Type": "Pass", "Parameters": {"x.$": "$.a"}, "ResultPath": null, "Next": "Q"},
    "Q": {"Type": "Pass", "Result": {"k": [1, {"z": null}]}, "ResultPath": "$.a", "Next": "R"},
    "R": {"Type": "Pass", "Parameters": {"n": {"a.$": "$.a", "f.$": "$.f"}, "add.$": "States.MathAdd($.f, -2)",
          "t.$": "States.Format('\\{{}\\} {} {}', $.f, $.flag, 7)"}, "ResultPath": "$.r", "End": true}}}"#;

const RESULT: &str = r#"{"StartAt": "P", "States": {
    "P": {"Type": "Pass", "Result": "hello", "End": true}}}"#;

fn fixed_items() -> Vec<Value> {
    vec![
        json!({"a": 1, "b": 999, "name": "é \"q\" 'x'", "category": "😀", "flag": true, "f": 0.25}),
        json!({"a": 600, "b": 401, "name": "x", "category": "c", "flag": false, "f": 1.0}),
        json!({"a": -3, "b": 5, "name": "zeta", "category": "", "flag": false, "f": -2.5}),
        json!({"a": 1000, "b": 0, "name": "m", "category": "\u{e000}", "flag": true, "f": 1e21}),
        json!({"a": 0, "b": 1001, "name": "\u{10000}", "category": "{}", "flag": false, "f": 12345678.5}),
    ]
}

#[test]
fn processors_match_the_row_interpreter() {
    let items = fixed_items();
    for p in [BENCH, LOGIC, FAIL, NULL_RESULT, RESULT] {
        assert!(same(p, None, &items[..3]), "declined: {p}");
    }
    // 1e21 is out of States.MathAdd's range: the row interpreter fails that item.
    assert!(!same(NULL_RESULT, None, &items));
    for p in [BENCH, LOGIC, FAIL, RESULT] {
        assert!(same(p, None, &items), "declined: {p}");
    }
}

#[test]
fn item_selector_and_nested_objects() {
    let items = vec![
        json!({"a": 1, "o": {"p": 2.5, "q": "s"}}),
        json!({"a": 2, "o": {"p": 1.5, "q": "t"}}),
    ];
    let p = r#"{"StartAt": "P", "States": {
        "P": {"Type": "Pass", "Parameters": {"x.$": "$.o.q", "o.$": "$.o", "s.$": "States.MathAdd($.o.p, $.a)"}, "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.o.p", "NumericGreaterThan": 2, "Next": "W"}], "Default": "E"},
        "W": {"Type": "Pass", "ResultPath": "$.whole", "End": true},
        "E": {"Type": "Succeed"}}}"#;
    assert!(same(p, None, &items));
    let sel = r#"{"v.$": "$$.Map.Item.Value.o", "lit": 1, "i.$": "$$.Map.Item.Value.a"}"#;
    assert!(same(
        RESULT.replace("\"Result\": \"hello\", ", "").as_str(),
        Some(sel),
        &items
    ));
}

#[test]
fn projection() {
    let p = program(&machine(BENCH, None)).expect("compiles");
    assert_eq!(p.input_columns(), ["a", "b", "name", "category"]);
    assert!(!p.needs_whole_item());
    let p = program(&machine(FAIL, None)).expect("compiles");
    assert!(p.needs_whole_item());
}

#[test]
fn declines_what_it_cannot_match() {
    // A missing field, an overflowing sum: the row interpreter's failures.
    let sm = machine(BENCH, None);
    let prog = program(&sm).expect("compiles");
    let b = items_to_batch(&[json!({"a": 1, "name": "n", "category": "c"})]).expect("batch");
    assert!(prog.run(&b).is_err());
    let b = items_to_batch(&[json!({"a": i64::MAX, "b": 1, "name": "n", "category": "c"})])
        .expect("batch");
    assert!(prog.run(&b).is_err());
    // Items of more than one shape are no batch.
    for items in [
        vec![json!({"a": 1}), json!({"a": 1.5})],
        vec![json!({"a": 1, "b": 2}), json!({"b": 2, "a": 1})],
        vec![json!({"a": 1}), json!({"a": null})],
        vec![json!({"a": [1]})],
        vec![json!(1)],
        vec![json!({"a": u64::MAX})],
    ] {
        assert!(items_to_batch(&items).is_none(), "{items:?}");
    }
}

#[test]
fn compile_names_what_has_no_columnar_form() {
    let reject = |p: &str, want: &[&str]| {
        let e = program(&machine(p, None)).expect_err("rejected");
        for w in want {
            assert!(e.contains(w), "{e} lacks {w}");
        }
    };
    reject(
        r#"{"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:1:function:f", "End": true}}}"#,
        &["'T'", "Task"],
    );
    reject(
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"id.$": "$$.Execution.Id"}, "End": true}}}"#,
        &["'P'", "$$.Execution.Id"],
    );
    reject(
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Assign": {"x": 1}, "End": true}}}"#,
        &["'P'", "Assign"],
    );
    reject(
        r#"{"StartAt": "P", "States": {"P": {"Type": "Pass", "Parameters": {"u.$": "States.UUID()"}, "End": true}}}"#,
        &["'P'", "States.UUID"],
    );
}

fn item() -> impl Strategy<Value = Value> {
    let text = prop_oneof!["[a-z]{0,4}", "\\PC{0,6}", Just("\"'\\{}".to_string())];
    let num = prop_oneof![-2000i64..2000, any::<i64>()];
    let float = prop_oneof![
        (-400i32..400).prop_map(|x| f64::from(x) / 4.0),
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
        Just(1.0),
    ];
    (num.clone(), num, text.clone(), text, any::<bool>(), float).prop_map(
        |(a, b, name, category, flag, f)| {
            json!({"a": a, "b": b, "name": name, "category": category, "flag": flag, "f": f})
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn random_items_match(items in prop::collection::vec(item(), 1..24)) {
        for p in [BENCH, LOGIC, FAIL, NULL_RESULT] {
            same(p, None, &items);
        }
    }
}
