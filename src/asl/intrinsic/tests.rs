//! Unit tests, a no-panic property test, and the recorded AWS conformance cases.

use super::*;
use serde_json::json;
use std::path::PathBuf;

struct TestEnv {
    input: Value,
    context: Value,
    vars: serde_json::Map<String, Value>,
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

fn env(input: Value) -> TestEnv {
    let context = json!({
        "Execution": {"Id": "arn:aws:states:us-east-1:111111111111:execution:SM:exec1",
                      "Input": input.clone(), "Name": "exec1"},
        "StateMachine": {"Id": "arn:aws:states:us-east-1:111111111111:stateMachine:SM", "Name": "SM"},
    });
    TestEnv {
        input,
        context,
        vars: serde_json::Map::new(),
    }
}

fn eval(src: &str, input: Value) -> Result<Value, Failure> {
    Call::parse(src)
        .unwrap_or_else(|e| panic!("{src}: {e}"))
        .eval(&env(input))
}

#[test]
fn parses_literals_paths_and_nested_calls() {
    let c = Call::parse("States.Format('a\\'b\\{\\}', 1, -2.5, true, null, $.x, States.UUID())")
        .unwrap();
    assert_eq!(c.name, "States.Format");
    assert_eq!(c.args.len(), 7);
    assert_eq!(c.args[0], Arg::Literal(json!("a\\'b\\{\\}")));
    assert_eq!(c.args[2], Arg::Literal(json!(-2.5)));
    assert!(matches!(&c.args[5], Arg::Path(p) if p.as_str() == "$.x"));
    assert!(matches!(&c.args[6], Arg::Call(_)));
    let c = Call::parse("States.Array('it\\'s', '\\{\\}\\\\')").unwrap();
    assert_eq!(c.args[0], Arg::Literal(json!("it's")));
    assert_eq!(c.args[1], Arg::Literal(json!("{}\\")));
}

#[test]
fn rejects_bad_syntax_and_arity() {
    for bad in [
        "States.Nope(1)",
        "States.UUID(1)",
        "States.MathAdd(1)",
        "States.Array(1,)",
        "States.Array('x)",
        "States.Array(1) x",
        "States.Array(foo)",
        "States.JsonMerge($.a, $.b, true)",
        "States.Hash('x', 'SHA-3')",
        "Format(1)",
        "",
    ] {
        assert!(Call::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn evaluates_functions() {
    assert_eq!(
        eval("States.Format('\\{{}\\}', 'x')", json!({})).unwrap(),
        json!("{x}")
    );
    assert_eq!(
        eval("States.Format('{}', 1.5e20)", json!({})).unwrap(),
        json!("1.5E20")
    );
    assert_eq!(
        eval("States.Format('{} {}', 2.0, 0.001)", json!({})).unwrap(),
        json!("2.0 0.001")
    );
    assert_eq!(
        eval(
            "States.Format('{}', $.a)",
            json!({"a": [1, "x", {"k": null}]})
        )
        .unwrap(),
        json!("[1, x, {k=null}]")
    );
    assert_eq!(
        eval("States.ArrayRange(1, 10, 2)", json!({})).unwrap(),
        json!([1, 3, 5, 7, 9])
    );
    assert_eq!(
        eval("States.ArrayRange(5, 1, -2)", json!({})).unwrap(),
        json!([5, 3, 1])
    );
    assert_eq!(
        eval("States.ArrayGetItem($.a, 1)", json!({"a": [1, 2]})).unwrap(),
        json!(2)
    );
    assert_eq!(
        eval("States.ArrayUnique($.a)", json!({"a": [1, 2, 2, 1]})).unwrap(),
        json!([1, 2])
    );
    assert_eq!(
        eval("States.ArrayLength($.a)", json!({"a": [1, 2]})).unwrap(),
        json!(2)
    );
    assert_eq!(
        eval(
            "States.Base64Decode(States.Base64Encode('héllo'))",
            json!({})
        )
        .unwrap(),
        json!("héllo")
    );
    assert_eq!(
        eval("States.Hash('input data', 'MD5')", json!({})).unwrap(),
        json!("812f45842bc6d66ee14572ce20db8e86")
    );
    assert_eq!(eval("States.MathAdd(-1, 3)", json!({})).unwrap(), json!(2));
    assert_eq!(
        eval("States.StringToJson('[-0, \"-0\", -0.5]')", json!({})).unwrap(),
        json!([0, "-0", -0.5])
    );
    let a = eval("States.MathRandom(1, 1000, 7)", json!({})).unwrap();
    assert_eq!(a, eval("States.MathRandom(1, 1000, 7)", json!({})).unwrap());
    let r = eval("States.MathRandom(1, 3)", json!({}))
        .unwrap()
        .as_i64()
        .unwrap();
    assert!((1..3).contains(&r));
    assert_eq!(
        eval("States.UUID()", json!({}))
            .unwrap()
            .as_str()
            .unwrap()
            .len(),
        36
    );
}

#[test]
fn evaluation_failures() {
    let f = eval("States.ArrayGetItem($.a, 5)", json!({"a": [1]})).unwrap_err();
    assert_eq!(f.error_name(), "States.IntrinsicFailure");
    let f = eval("States.ArrayLength($.missing)", json!({})).unwrap_err();
    assert_eq!(f.error_name(), "States.Runtime");
    for src in [
        "States.MathAdd($.a, 1)",
        "States.ArrayPartition($.a, 0)",
        "States.ArrayRange(1, 5000, 1)",
        "States.ArrayRange(1, 5, 0)",
        "States.Format('{}')",
        "States.Format('{}', 1, 2)",
        "States.StringToJson('{')",
        "States.Base64Decode('%%%')",
        "States.Hash($.a, 'SHA-1')",
        "States.MathRandom(5, 5)",
        "States.JsonMerge($.a, $.a, false)",
    ] {
        let f = eval(src, json!({"a": [1]})).unwrap_err();
        assert_eq!(f.error_name(), "States.IntrinsicFailure", "{src}");
    }
    let bogus = Call {
        name: "States.Array".into(),
        args: vec![],
    };
    assert_eq!(bogus.eval(&env(json!(null))).unwrap(), json!([]));
    let bogus = Call {
        name: "States.MathAdd".into(),
        args: vec![],
    };
    assert!(bogus.eval(&env(json!(null))).is_err());
}

#[test]
fn rejects_wrong_literal_types_and_illegal_escapes_at_parse() {
    for src in [
        "States.MathAdd(1,'-1')",
        "States.ArrayLength('x')",
        "States.StringSplit(1, ',')",
        "States.JsonMerge(1, $.a, false)",
        r#"States.StringToJson('{"a":"b \"c\""}')"#,
        r"States.Format('a\nb')",
    ] {
        assert!(Call::parse(src).is_err(), "{src} should be rejected");
    }
    assert!(Call::parse(r"States.Format('\{\} \' \\ {}', 1)").is_ok());
}

proptest::proptest! {
    #[test]
    fn parse_never_panics(s in "\\PC*") {
        let _ = Call::parse(&s);
    }

    #[test]
    fn parse_never_panics_on_call_like_text(s in "States\\.(Format|Array|MathAdd|Hash)\\([-$'\\\\{}(),. 0-9a-z]*\\)?") {
        if let Ok(c) = Call::parse(&s) {
            let _ = c.eval(&env(json!({"a": 1})));
        }
    }
}

// ---- conformance cases recorded on AWS ----

fn cases_dir() -> Option<PathBuf> {
    let rel = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/cases");
    rel.is_dir().then_some(rel)
}

/// Expected value with snapshot placeholders as wildcards.
fn matches(expected: &Value, actual: &Value, tokens: &[String]) -> bool {
    match (expected, actual) {
        (Value::String(e), _) if tokens.iter().any(|t| t == e) => true,
        (Value::String(e), Value::String(a)) => wildcard_str(e, a, tokens),
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(x, y)| matches(x, y, tokens))
        }
        (Value::Object(e), Value::Object(a)) => {
            e.len() == a.len()
                && e.iter()
                    .all(|(k, x)| a.get(k).is_some_and(|y| matches(x, y, tokens)))
        }
        (Value::Number(_), Value::Number(_)) => {
            expected.as_f64() == actual.as_f64() && expected == actual
        }
        _ => expected == actual,
    }
}

fn wildcard_str(e: &str, a: &str, tokens: &[String]) -> bool {
    let mut parts = vec![e.to_string()];
    for t in tokens {
        parts = parts
            .iter()
            .flat_map(|p| p.split(t.as_str()).map(str::to_string).collect::<Vec<_>>())
            .collect();
    }
    if parts.len() == 1 {
        return e == a;
    }
    let Some(rest) = a.strip_prefix(parts[0].as_str()) else {
        return false;
    };
    let mut rest = rest;
    for (i, p) in parts.iter().enumerate().skip(1) {
        if i == parts.len() - 1 {
            return rest.ends_with(p.as_str());
        }
        match rest.find(p.as_str()) {
            Some(at) => rest = &rest[at + p.len()..],
            None => return false,
        }
    }
    true
}

/// An expression and what AWS gave: a value, or (error, cause).
type Check = (String, Result<Value, (Value, Value)>);

#[test]
fn conformance_cases() {
    let Some(dir) = cases_dir() else {
        println!("NOTICE: conformance cases not found; skipping");
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| {
        let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        n.ends_with(".json")
            && (n.starts_with("intrinsic__")
                || (n.starts_with("base__") && n.contains("intrinsic")))
    });
    files.sort();
    if files.is_empty() {
        println!("NOTICE: no intrinsic conformance cases found; skipping");
        return;
    }
    let (mut total, mut passed, mut failures) = (0, 0, Vec::new());
    for file in &files {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let tokens: Vec<String> = case["placeholder_tokens"]
            .as_array()
            .map(|t| {
                t.iter()
                    .filter_map(|s| s.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        let exp = &case["expected"];
        let e = env(case["input"].clone());
        let states = case["definition"]["States"].as_object().unwrap();
        let state = states.values().next().unwrap();
        // (expression, expected)
        let mut checks: Vec<Check> = Vec::new();
        if let Some(params) = state["Parameters"].as_object() {
            for (k, v) in params {
                let (Some(field), Some(src)) = (k.strip_suffix(".$"), v.as_str()) else {
                    continue;
                };
                let want = if exp["status"] == "SUCCEEDED" {
                    let out = &exp["output"];
                    Ok(out.get(field).cloned().unwrap_or_else(|| out.clone()))
                } else {
                    Err((exp["error"].clone(), exp["cause"].clone()))
                };
                checks.push((src.to_string(), want));
            }
        } else {
            for (field, key) in [("ErrorPath", "error"), ("CausePath", "cause")] {
                if let Some(src) = state[field].as_str() {
                    checks.push((src.to_string(), Ok(exp[key].clone())));
                }
            }
        }
        for (src, want) in checks {
            total += 1;
            let got = Call::parse(&src)
                .map_err(|e| e.to_string())
                .and_then(|c| c.eval(&e).map_err(|f| f.to_string()));
            let ok = match (&want, &got) {
                (Ok(w), Ok(g)) => matches(w, g, &tokens),
                (Err((err, cause)), Err(g)) => {
                    *g == format!(
                        "{}: {}",
                        err.as_str().unwrap_or(""),
                        cause.as_str().unwrap_or("")
                    )
                }
                _ => false,
            };
            if ok {
                passed += 1;
            } else {
                failures.push(format!(
                    "{}: {src}\n  want {want:?}\n  got  {got:?}",
                    file.display()
                ));
            }
        }
    }
    println!("intrinsic conformance: {passed}/{total} passed");
    for f in &failures {
        println!("FAIL {f}");
    }
    assert!(
        failures.is_empty(),
        "{} of {total} intrinsic conformance checks failed",
        failures.len()
    );
}

#[test]
fn variables_and_context_paths() {
    let mut e = env(json!({"v": 2}));
    e.vars.insert("tpl".into(), json!("It's {}!"));
    e.vars.insert("n".into(), json!(3));
    let c = Call::parse("States.Format($tpl, States.MathAdd($n, $.v))").unwrap();
    assert_eq!(c.eval(&e).unwrap(), json!("It's 5!"));
    let c = Call::parse("States.Format('{}', $$.Execution.Name)").unwrap();
    assert_eq!(c.eval(&e).unwrap(), json!("exec1"));
    let f = Call::parse("States.Array($undefined)")
        .unwrap()
        .eval(&e)
        .unwrap_err();
    assert_eq!(f.error_name(), "States.Runtime");
}
