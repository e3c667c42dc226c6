use serde_json::json;

use super::*;

fn eval(src: &str, input: Option<Value>) -> Result<Option<Value>, JsonataError> {
    Expression::parse(src)?.eval(input.as_ref(), &())
}

#[test]
fn expression_is_send_sync_clone() {
    fn check<T: Send + Sync + Clone>() {}
    check::<Expression>();
}

#[test]
fn basics() {
    let doc = json!({"a": {"b": [1, 2, 3]}, "s": "x"});
    assert_eq!(
        eval("a.b", Some(doc.clone())).unwrap(),
        Some(json!([1, 2, 3]))
    );
    assert_eq!(
        eval("$sum(a.b)", Some(doc.clone())).unwrap(),
        Some(json!(6))
    );
    assert_eq!(
        serde_json::to_string(&eval("3.0", None).unwrap().unwrap()).unwrap(),
        "3"
    );
    assert_eq!(eval("nothing", Some(doc)).unwrap(), None);
    assert_eq!(eval("$", None).unwrap(), None);
    assert_eq!(eval("1/4", None).unwrap(), Some(json!(0.25)));
}

#[test]
fn variables_are_free_reads() {
    let e = Expression::parse(
        "$states.input.x + $y + ($z := 1; $z) + $map([1], function($v){$v + $w})",
    )
    .unwrap();
    assert_eq!(e.variables(), ["states", "w", "y"]);
    let input = json!({"x": 1});
    let states = json!({"input": input});
    let y = json!(2);
    let w = json!(3);
    let mut b = serde_json::Map::new();
    b.insert("states".into(), states);
    b.insert("y".into(), y);
    b.insert("w".into(), w);
    assert_eq!(e.eval(None, &b).unwrap(), Some(json!(8)));
}

#[test]
fn rejects_2_1_operators_and_eval() {
    assert_eq!(Expression::parse("a ?? b").unwrap_err().code, "S0211");
    assert_eq!(Expression::parse("a ?: b").unwrap_err().code, "S0211");
    assert_eq!(eval("$eval('1+2')", None).unwrap_err().code, "T1006");
    assert_eq!(Expression::parse("/* open").unwrap_err().code, "S0106");
    assert_eq!(eval("$x(", None).unwrap_err().code, "S0207");
}

#[test]
fn step_functions_functions() {
    assert_eq!(
        eval("$partition([1,2,3], 2)", None).unwrap(),
        Some(json!([[1, 2], [3]]))
    );
    assert_eq!(
        eval("$partition([0], 1)", None).unwrap(),
        Some(json!([[0]]))
    );
    assert_eq!(
        eval("$range(0, 10, 3)", None).unwrap(),
        Some(json!([0, 3, 6, 9]))
    );
    assert_eq!(eval("$range(1, 9, 9)", None).unwrap(), Some(json!(1)));
    assert_eq!(
        eval("$hash('abc', 'SHA-256')", None).unwrap(),
        Some(json!(
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        ))
    );
    assert_eq!(
        eval("$hash('abc', 'MD5')", None).unwrap(),
        Some(json!("900150983cd24fb0d6963f7d28e17f72"))
    );
    assert_eq!(
        eval("$random(0)", None).unwrap(),
        Some(json!(0.730967787376657))
    );
    let r = eval("$random()", None).unwrap().unwrap().as_f64().unwrap();
    assert!((0.0..1.0).contains(&r));
    let u = eval("$uuid()", None).unwrap().unwrap();
    assert_eq!(u.as_str().unwrap().len(), 36);
    assert_eq!(
        eval("$parse('[1, 2, \"a\"]')", None).unwrap(),
        Some(json!([1, 2, "a"]))
    );
    assert_eq!(
        serde_json::to_string(&eval("$parse('-0')", None).unwrap().unwrap()).unwrap(),
        "0"
    );
    assert_eq!(
        eval("$clone({'a': 1})", None).unwrap(),
        Some(json!({"a": 1}))
    );
}

#[test]
fn errors_carry_codes() {
    let e = eval("'a' + 1", None).unwrap_err();
    assert_eq!(e.code, "T2001");
    assert!(!e.message.starts_with("T2001"));
}

#[test]
fn bindings_forms() {
    let e = Expression::parse("$a + $b").unwrap();
    let (a, b) = (json!(1), json!(2));
    let pairs = [("a", &a), ("b", &b)];
    assert_eq!(e.eval(None, &pairs).unwrap(), Some(json!(3)));
    let slice: &[(&str, &Value)] = &pairs;
    assert_eq!(e.eval(None, &slice).unwrap(), Some(json!(3)));
    assert_eq!(e.eval(None, &pairs.to_vec()).unwrap(), Some(json!(3)));
}

#[test]
fn shared_across_threads() {
    let e = Arc::new(Expression::parse("$sum(xs)").unwrap());
    let handles: Vec<_> = (0..2)
        .map(|i| {
            let e = e.clone();
            std::thread::spawn(move || e.eval(Some(&json!({"xs": [i, 1]})), &()).unwrap())
        })
        .collect();
    let out: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(out, vec![Some(json!(1)), Some(json!(2))]);
}

#[test]
fn reads_are_narrowed() {
    use demand::Demand;
    let e = Expression::parse("$states.input.a.b + Account.x[y > 1].z").unwrap();
    let d = e.demands.as_deref().unwrap();
    let Demand::Fields(states) = d.variable("states") else {
        panic!()
    };
    assert_eq!(states.len(), 1);
    let Demand::Fields(input) = &d.input else {
        panic!()
    };
    assert_eq!(input.len(), 1);
    assert!(Expression::parse("$keys($)").unwrap().demands.is_none());
    assert!(
        Expression::parse("($x := a; $x)")
            .unwrap()
            .demands
            .is_none()
    );
    let doc = json!({"Account": {"x": [{"y": 2, "z": 3, "w": 9}, {"y": 0, "z": 4}]}, "other": 1});
    let states = json!({"input": {"a": {"b": 10, "c": 11}, "d": 1}});
    assert_eq!(
        e.eval(Some(&doc), &[("states", &states)]).unwrap(),
        Some(json!(13))
    );
    let e = Expression::parse("[$count(Account.x), $exists(Account.x[0].w), $exists(Account.q)]")
        .unwrap();
    assert_eq!(
        e.eval(Some(&doc), &()).unwrap(),
        Some(json!([2, true, false]))
    );
    let e = Expression::parse("Account.x.$string()").unwrap();
    assert_eq!(
        e.eval(Some(&doc), &()).unwrap(),
        Some(json!(["{\"y\":2,\"z\":3,\"w\":9}", "{\"y\":0,\"z\":4}"]))
    );
}
/// The direct evaluator (fast/) against jsonata-core on every case of the reference
/// suite whose expression it compiles: where it gives a result, jsonata-core gives the same
/// (key order included); where jsonata-core raises an error, it hands the case over.
#[test]
fn direct_evaluator_agrees_with_jsonata_core_on_the_reference_suite() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/jsonata/cases");
    if !dir.is_dir() {
        eprintln!("../shared/jsonata/cases not found: direct evaluator comparison skipped");
        return;
    }
    let mut files = Vec::new();
    for group in std::fs::read_dir(&dir).unwrap().flatten() {
        for f in std::fs::read_dir(group.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            files.push(f.path());
        }
    }
    files.sort();
    let (mut compiled, mut direct, mut handed_over) = (0, 0, 0);
    let mut mismatches = Vec::new();
    for f in &files {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap();
        let Some(src) = case["expr"].as_str() else {
            continue;
        };
        let Ok(e) = Expression::parse(src) else {
            continue;
        };
        let Some(fx) = e.fast.as_deref() else {
            continue;
        };
        compiled += 1;
        let input = case.get("data");
        let bindings = case["bindings"].as_object().cloned().unwrap_or_default();
        let general = e.eval_general(input, &bindings, Limits::default());
        match super::fast::eval(fx, input, &bindings) {
            Err(super::fast::Fallback) => handed_over += 1,
            Ok(r) => {
                direct += 1;
                if general.as_ref() != Ok(&r) {
                    mismatches.push(format!(
                        "{}: {src}: direct {r:?}, jsonata-core {general:?}",
                        f.display()
                    ));
                }
            }
        }
    }
    eprintln!(
        "direct evaluator: {compiled} of {} cases compiled, {direct} evaluated directly, {handed_over} handed over",
        files.len()
    );
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(direct > 100, "only {direct} cases evaluated directly");
}

mod direct_vs_general {
    //! Random documents and random expressions of the direct evaluator's subset: where it
    //! gives a result, jsonata-core gives the same one. (Run with many more cases, this
    //! found the paths through a non-field step that demand.rs pruned away, `a.(1)`; the
    //! one difference left is jsonata-core's, checked against jsonata-js: see below.)
    use super::*;
    use proptest::prelude::*;

    fn doc() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-3i64..4).prop_map(|n| json!(n)),
            prop_oneof![
                Just(2.0),
                Just(-0.5),
                Just(1.5),
                Just(1e300),
                Just(9007199254740993u64 as f64)
            ]
            .prop_map(|f| json!(f)),
            prop_oneof![Just(""), Just("ab"), Just("Zé"), Just("x y"), Just("10")]
                .prop_map(|s| json!(s)),
        ];
        leaf.prop_recursive(4, 40, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::vec((prop_oneof![Just("a"), Just("b"), Just("c")], inner), 0..4)
                    .prop_map(|kv| Value::Object(
                        kv.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
                    )),
            ]
        })
    }

    fn expr() -> impl Strategy<Value = String> {
        let path = prop::collection::vec(
            (
                prop_oneof![Just("a"), Just("b"), Just("c"), Just("$v")],
                prop_oneof![
                    Just(""),
                    Just("[0]"),
                    Just("[-1]"),
                    Just("[1]"),
                    Just("[b > 1]"),
                    Just("[a = 'ab']"),
                    Just("[c]"),
                ],
            ),
            1..4,
        )
        .prop_map(|steps| {
            steps
                .into_iter()
                .map(|(n, f)| format!("{n}{f}"))
                .collect::<Vec<_>>()
                .join(".")
        });
        let leaf = prop_oneof![
            4 => path,
            1 => prop_oneof![Just("1"), Just("-2"), Just("0.5"), Just("'ab'"), Just("true"), Just("null"), Just("$")]
                .prop_map(str::to_string),
        ];
        leaf.prop_recursive(3, 24, 3, |inner| {
            let bin = prop_oneof![
                Just("="),
                Just("!="),
                Just("<"),
                Just("<="),
                Just(">"),
                Just(">="),
                Just("+"),
                Just("-"),
                Just("*"),
                Just("/"),
                Just("%"),
                Just("&"),
                Just("and"),
                Just("or")
            ];
            let func = prop_oneof![
                Just("sum"),
                Just("count"),
                Just("max"),
                Just("min"),
                Just("average"),
                Just("uppercase"),
                Just("lowercase"),
                Just("length"),
                Just("string"),
                Just("exists"),
                Just("not"),
                Just("boolean"),
                Just("join")
            ];
            prop_oneof![
                (inner.clone(), bin, inner.clone())
                    .prop_map(|(l, op, r)| format!("({l} {op} {r})")),
                (func, inner.clone()).prop_map(|(f, a)| format!("${f}({a})")),
                (inner.clone(), -2i64..3, 0i64..3)
                    .prop_map(|(a, s, l)| format!("$substring({a}, {s}, {l})")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{{'k': {a}, 'm': {b}}}")),
                (inner.clone(), inner.clone())
                    .prop_map(|(a, b)| format!("$merge([{a}, {{'k': {b}}}, $v])")),
                (inner.clone(), inner.clone(), inner.clone())
                    .prop_map(|(c, t, e)| format!("({c} ? {t} : {e})")),
                inner.clone().prop_map(|a| format!("-({a})")),
                (inner.clone(), inner).prop_map(|(a, b)| format!("a.({a}).({b})")),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]
        #[test]
        fn same_results(src in expr(), input in doc(), v in doc(), undefined_input in any::<bool>()) {
            let Ok(e) = Expression::parse(&src) else { return Ok(()); };
            let Some(fx) = e.fast.as_deref() else { return Ok(()); };
            let bindings = serde_json::Map::from_iter([("v".to_string(), v)]);
            let input = (!undefined_input).then_some(&input);
            if let Ok(r) = crate::jsonata::fast::eval(fx, input, &bindings) {
                // jsonata-core gives false for `$exists($)` over an object; jsonata-js
                // 2.0.6 (what Step Functions runs) gives true, as the direct evaluator does.
                if src.contains("$exists($)") {
                    return Ok(());
                }
                let general = e.eval_general(input, &bindings, Limits::default());
                prop_assert_eq!(general, Ok(r), "{}", src);
            }
        }
    }
}
