//! Robustness: deep data, deep or long paths, and property tests (no panics).

use super::*;
use proptest::prelude::*;
use serde_json::json;

fn sel(path: &str, v: &Value) -> Option<Value> {
    let p = JsonPath::parse(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    p.select(v).map(Cow::into_owned)
}

/// Builds `{"n": {"n": ... {"x": 1} ...}}` without recursion, and frees it the same way.
fn deep(depth: usize) -> Value {
    let mut v = json!({"x": 1});
    for _ in 0..depth {
        let mut m = serde_json::Map::new();
        m.insert("n".into(), v);
        v = Value::Object(m);
    }
    v
}

fn free(mut v: Value) {
    while let Some(inner) = v.as_object_mut().and_then(|m| m.remove("n")) {
        v = inner;
    }
}

#[test]
fn deep_nesting_does_not_overflow() {
    let depth = 10_000;
    let v = deep(depth);
    assert_eq!(sel("$..x", &v), Some(json!([1])));
    assert_eq!(sel("$..[?(@.x == 1)].x", &v), Some(json!([1])));
    let long = format!("${}.x", ".n".repeat(depth));
    assert_eq!(sel(&long, &v), Some(json!(1)));
    assert_eq!(sel("$..nope", &v), Some(json!([])));
    free(v);
}

#[test]
fn deeply_nested_filters_are_rejected_not_overflowed() {
    let mut s = String::from("$");
    for _ in 0..5000 {
        s.push_str("[?(@");
    }
    assert!(JsonPath::parse(&s).is_err());
    let parens = format!("$[?({}@.a{})]", "(".repeat(5000), ")".repeat(5000));
    assert!(JsonPath::parse(&parens).is_err());
    let nots = format!("$[?({}@.a)]", "!".repeat(5000));
    assert!(JsonPath::parse(&nots).is_err());
}

#[test]
fn long_filter_chains_do_not_nest() {
    let terms = vec!["@.a == 1"; 20_000].join(" || ");
    let path = format!("$[?({terms} && @.b)]");
    assert_eq!(
        sel(&path, &json!([{"a": 1, "b": 2}, {"a": 2}])),
        Some(json!([{"a": 1, "b": 2}]))
    );
}

#[test]
fn deeply_nested_arrays_scan() {
    let mut v = json!([{"k": 7}]);
    for _ in 0..10_000 {
        v = Value::Array(vec![v]);
    }
    assert_eq!(sel("$..[?(@.k == 7)].k", &v), Some(json!([7])));
    // Jayway tests a filter below `..` on objects and arrays only, not on scalars.
    assert_eq!(sel("$..[?(@ == 7)]", &v), Some(json!([])));
    while let Value::Array(mut a) = v {
        match a.pop() {
            Some(inner) => v = inner,
            None => break,
        }
    }
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|i| json!(i)),
        (-1e6f64..1e6).prop_map(|f| json!(f)),
        "[a-c0-9 ]{0,3}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec(("[a-c]{1,2}", inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn arb_pathish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just(".a".to_string()),
        Just(".b".to_string()),
        Just("..".to_string()),
        Just("[*]".to_string()),
        Just(".*".to_string()),
        Just("['a','c']".to_string()),
        Just("[?(@.a > 1 || @.b == 'x')]".to_string()),
        Just("[?(@ == $.a)]".to_string()),
        Just("[?(!@.c)]".to_string()),
        (-3i32..4).prop_map(|i| format!("[{i}]")),
        (-3i32..4, -3i32..4).prop_map(|(a, b)| format!("[{a}:{b}]")),
        (-3i32..4).prop_map(|a| format!("[{a}:]")),
        (-3i32..4).prop_map(|a| format!("[:{a}]")),
        Just("[0,-1]".to_string()),
        "[\\[\\]().*@$?'\",:!=<>&| a-c0-9-]{0,3}",
    ];
    prop::collection::vec(piece, 0..6).prop_map(|v| format!("${}", v.concat()))
}

proptest! {
    #[test]
    fn parse_never_panics(s in "\\PC{0,40}") {
        let _ = JsonPath::parse(&s);
    }

    #[test]
    fn parse_never_panics_on_pathish(s in "[$@.\\[\\]()*?'\",:!=<>&| a-c0-9\\\\-]{0,30}") {
        let _ = JsonPath::parse(&s);
    }

    #[test]
    fn select_never_panics(path in arb_pathish(), doc in arb_json()) {
        if let Ok(jp) = JsonPath::parse(&path) {
            let got = jp.select(&doc);
            if !jp.is_definite() && !matches!(jp.segments().last(), Some(Segment::Names(_))) {
                prop_assert!(matches!(got.as_deref(), Some(Value::Array(_))), "{}", path);
            }
            let mut target = doc.clone();
            let _ = jp.set(&mut target, json!(1));
            if jp.is_definite() && jp.set(&mut doc.clone(), json!("z")).is_ok() {
                let mut t = doc.clone();
                jp.set(&mut t, json!("z")).ok();
                let back = jp.select(&t).map(Cow::into_owned);
                prop_assert_eq!(back, Some(json!("z")));
            }
        }
    }
}
