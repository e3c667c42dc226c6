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
