use super::*;
use crate::asl::failure::names;
use proptest::prelude::*;
use serde_json::{Map, json};

pub(super) struct TestEnv {
    input: Value,
    context: Value,
    vars: Map<String, Value>,
}

impl Env for TestEnv {
    fn input(&self) -> &Value {
        &self.input
    }
    fn context(&self) -> &Value {
        &self.context
    }
    fn variable(&self, name: &str) -> Option<&Value> {
        self.vars.get(name)
    }
}

pub(super) fn env(input: Value) -> TestEnv {
    TestEnv {
        input,
        context: json!({}),
        vars: Map::new(),
    }
}

fn eval(rule: Value, input: Value) -> Result<bool, Failure> {
    Rule::parse(&rule).expect("rule parses").eval(&env(input))
}

// ---------------------------------------------------------------- semantics

#[test]
fn missing_variable_is_a_runtime_error_except_is_present() {
    let err = eval(json!({"Variable": "$.nope", "NumericEquals": 1}), json!({})).unwrap_err();
    assert_eq!(err.error_name(), names::RUNTIME);
    assert_eq!(
        err.cause.as_deref(),
        Some(
            "Invalid path '$.nope': The choice state's condition path references an invalid value."
        )
    );
    assert!(!eval(json!({"Variable": "$.nope", "IsPresent": true}), json!({})).unwrap());
    assert!(eval(json!({"Variable": "$.nope", "IsPresent": false}), json!({})).unwrap());
    assert!(eval(json!({"Variable": "$.nope", "IsNull": true}), json!({})).is_err());
    let err = eval(
        json!({"Variable": "$.a", "NumericEqualsPath": "$.b"}),
        json!({"a": 1}),
    )
    .unwrap_err();
    assert!(err.cause.unwrap().starts_with("Invalid path '$.b'"));
}

#[test]
fn type_mismatch_is_false() {
    assert!(
        !eval(
            json!({"Variable": "$.a", "NumericEquals": 1}),
            json!({"a": "1"})
        )
        .unwrap()
    );
    assert!(
        !eval(
            json!({"Variable": "$.a", "StringEquals": "1"}),
            json!({"a": 1})
        )
        .unwrap()
    );
    assert!(
        !eval(
            json!({"Variable": "$.a", "BooleanEquals": false}),
            json!({"a": 0})
        )
        .unwrap()
    );
    assert!(
        !eval(
            json!({"Variable": "$.a", "NumericEqualsPath": "$.b"}),
            json!({"a": 1, "b": "1"})
        )
        .unwrap()
    );
    assert!(
        !eval(
            json!({"Variable": "$.a", "TimestampEqualsPath": "$.b"}),
            json!({"a": "2020-01-01T00:00:00Z", "b": 5})
        )
        .unwrap()
    );
}

#[test]
fn numbers_strings_and_composites() {
    assert!(
        eval(
            json!({"Variable": "$.a", "NumericEquals": 1.0}),
            json!({"a": 1})
        )
        .unwrap()
    );
    assert!(
        eval(
            json!({"Variable": "$.a", "NumericLessThan": 1.5}),
            json!({"a": 1})
        )
        .unwrap()
    );
    assert!(
        eval(
            json!({"Variable": "$.a", "NumericGreaterThan": -1}),
            json!({"a": u64::MAX})
        )
        .unwrap()
    );
    assert!(
        eval(
            json!({"Variable": "$.a", "StringLessThan": "b"}),
            json!({"a": "a"})
        )
        .unwrap()
    );
    // Java's UTF-16 order: U+FF61 sorts after U+10000 (a surrogate pair).
    assert!(
        eval(
            json!({"Variable": "$.a", "StringGreaterThan": "\u{10000}"}),
            json!({"a": "\u{ff61}"})
        )
        .unwrap()
    );
    let rule = json!({"And": [
        {"Variable": "$.v", "NumericGreaterThanEquals": 20},
        {"Not": {"Variable": "$.v", "NumericLessThan": 21}},
        {"Or": [{"Variable": "$.t", "StringEquals": "x"}, {"Variable": "$.t", "IsNull": true}]}
    ], "Next": "X", "Comment": "c"});
    assert!(eval(rule.clone(), json!({"v": 22, "t": null})).unwrap());
    assert!(!eval(rule.clone(), json!({"v": 20, "t": "x"})).unwrap());
    // And stops at the first false rule: the missing path is never read.
    assert!(!eval(json!({"And": [{"Variable": "$.a", "IsNull": true}, {"Variable": "$.zz", "IsNull": true}]}), json!({"a": 1})).unwrap());
    let r = Rule::parse(&rule).unwrap();
    let paths: Vec<&str> = r.paths().iter().map(|p| p.as_str()).collect();
    assert_eq!(paths, ["$.v", "$.v", "$.t", "$.t"]);
    assert_eq!(r.operator_name(), "And");
}

#[test]
fn string_matches() {
    let m = |pat: &str, s: &str| Pattern::new(pat).matches(s);
    assert!(m("*.log", "a.log"));
    assert!(m("*.log", ".log"));
    assert!(!m("*.log", "a.logx"));
    assert!(m("log-*-x*", "log-1-x"));
    assert!(m("a*b*c", "abbbc"));
    assert!(!m("a*b*c", "acb"));
    assert!(m("*", ""));
    assert!(m("\\*", "*"));
    assert!(!m("\\*", "a"));
    assert!(m("a\\\\*", "a\\zz"));
    assert!(m("ab", "ab") && !m("ab", "abc"));
    assert!(m("*aa*aa", "aaa aa") && m("**", "x") && !m("a*a", "a"));
    assert!(
        eval(
            json!({"Variable": "$.f", "StringMatches": "*.pdf"}),
            json!({"f": "x.pdf"})
        )
        .unwrap()
    );
    assert!(
        !eval(
            json!({"Variable": "$.f", "StringMatches": "*"}),
            json!({"f": 1})
        )
        .unwrap()
    );
}

#[test]
fn timestamps() {
    let ok = [
        "2016-03-14T01:59:00Z",
        "2016-03-14T01:59:00.5Z",
        "2016-03-05T21:29:29.243167252Z",
        "2024-01-01T12:00:00.000000Z",
        "2012-10-09T19:00:55+01:00",
        "2012-10-09T19:00:55-18:00",
        "2016-03-14T01:59Z",
        "2016-03-14t01:59:00z",
        "2016-02-29T00:00:00Z",
        "+10000-01-01T00:00:00Z",
    ];
    for s in ok {
        assert!(parse_timestamp(s).is_some(), "{s}");
    }
    let bad = [
        "",
        "2016-12-05T21:29:29",
        "2024-01-01T12:00:00.000000",
        "2016-13-05T21:29:29Z",
        "2016-12-05T25:29:29Z",
        "2016-12-05T24:00:00Z",
        "2015-02-29T00:00:00Z",
        "2016-12-05T21:29:60Z",
        "05-12-2016T21:29:29Z",
        "2023-02-24",
        "2023-02-24 12:15:56.832957",
        "2016-12-05T21:29:29.Z",
        "2016-12-05T21:29:29.1234567891Z",
        "2016-12-05T21:29:29+19:00",
        "2016-12-05T21:29:29+0100",
        " 2016-12-05T21:29:29Z",
        "10000-01-01T00:00:00Z",
    ];
    for s in bad {
        assert!(parse_timestamp(s).is_none(), "{s}");
    }
    assert_eq!(
        parse_timestamp("2012-10-09T19:00:55+01:00"),
        parse_timestamp("2012-10-09T18:00:55Z")
    );
    let r = json!({"Variable": "$.t", "TimestampEquals": "2012-10-09T18:00:55Z"});
    assert!(eval(r.clone(), json!({"t": "2012-10-09T19:00:55+01:00"})).unwrap());
    assert!(!eval(r, json!({"t": "nope"})).unwrap());
    let r = json!({"Variable": "$.t", "IsTimestamp": true});
    assert!(eval(r.clone(), json!({"t": "2012-10-09T19:00:55Z"})).unwrap());
    assert!(!eval(r, json!({"t": "2012-10-09T19:00:55"})).unwrap());
}

#[test]
fn variables_and_context_roots() {
    let mut e = env(json!({}));
    e.context = json!({"Execution": {"Input": {"x": 0}}});
    e.vars.insert("count".into(), json!(3));
    let r = Rule::parse(&json!({"Variable": "$$.Execution.Input.x", "NumericLessThanEquals": 0}))
        .unwrap();
    assert!(r.eval(&e).unwrap());
    let r =
        Rule::parse(&json!({"Variable": "$count", "NumericEqualsPath": "$$.Execution.Input.x"}))
            .unwrap();
    assert!(!r.eval(&e).unwrap());
    let r = Rule::parse(&json!({"Variable": "$undefined", "IsPresent": true})).unwrap();
    assert!(!r.eval(&e).unwrap());
}

#[test]
fn parse_errors() {
    let bad = [
        json!(1),
        json!({}),
        json!({"Variable": "$.a"}),
        json!({"Variable": "$.a", "NumericEquals": 1, "StringEquals": "x"}),
        json!({"Variable": "$.a", "NumericEquals": "1"}),
        json!({"Variable": "$.a", "StringEquals": 1}),
        json!({"Variable": "$.a", "BooleanEquals": "true"}),
        json!({"Variable": "$.a", "IsNull": "true"}),
        json!({"Variable": "$.a", "TimestampEquals": "yesterday"}),
        json!({"Variable": "$.a", "StringMatchesPath": "$.b"}),
        json!({"Variable": "$.a", "IsNullPath": "$.b"}),
        json!({"Variable": "$.a", "NumericEqualsPath": 3}),
        json!({"Variable": "$.a", "NumericEquals": 1, "Foo": 1}),
        json!({"Variable": 5, "NumericEquals": 1}),
        json!({"NumericEquals": 1}),
        json!({"And": []}),
        json!({"And": {}}),
        json!({"Or": [{"Variable": "$.a", "IsNull": true, "Next": "X"}]}),
        json!({"Not": {"Variable": "$.a", "IsNull": true, "Assign": {}}}),
        json!({"Not": {"Variable": "$.a", "IsNull": true}, "Variable": "$.a"}),
        json!({"Variable": "$.a", "IsNull": true, "Comment": 1}),
        json!({"Condition": "{% true %}"}),
    ];
    for b in bad {
        assert!(Rule::parse(&b).is_err(), "{b}");
    }
    let r = Rule::parse(
        &json!({"Variable": "$.a", "NumericEqualsPath": "$.b", "Next": "n", "Assign": {"x": 1}}),
    )
    .unwrap();
    assert_eq!(r.operator_name(), "NumericEqualsPath");
}

fn arb_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("Variable".to_string()),
        Just("And".to_string()),
        Just("Or".to_string()),
        Just("Not".to_string()),
        Just("Next".to_string()),
        Just("StringMatches".to_string()),
        Just("NumericEqualsPath".to_string()),
        Just("TimestampLessThan".to_string()),
        Just("IsPresent".to_string()),
        "[A-Za-z]{0,20}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[$.a-z*\\\\\\[\\]0-9:TZ+-]{0,24}".prop_map(Value::String),
        Just(json!("2016-03-14T01:59:00Z")),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn parse_and_eval_never_panic(rule in arb_json(), input in arb_json()) {
        if let Ok(r) = Rule::parse(&rule) {
            let _ = r.eval(&env(input));
        }
    }

    #[test]
    fn parse_timestamp_never_panics(s in "[0-9+\\-:.TZtz]{0,40}") {
        let _ = parse_timestamp(&s);
    }

    #[test]
    fn pattern_never_panics(p in "[a*\\\\]{0,12}", s in "[a*\\\\]{0,12}") {
        let _ = Pattern::new(&p).matches(&s);
    }
}
