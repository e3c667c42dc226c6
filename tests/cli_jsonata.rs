//! `asl jsonata`, on the built binary.

mod harness;

use harness::TempPath;
use std::io::Write as _;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

fn asl(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_asl"));
    cmd.arg("jsonata")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd.spawn().expect("spawn asl");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn report(o: &Output) -> Value {
    serde_json::from_str(stdout(o).trim()).unwrap_or_else(|e| panic!("{e}: {:?}", stdout(o)))
}

/// A file under the temp dir with a unique name, removed on drop.
fn temp(name: &str, text: &str) -> TempPath {
    TempPath::file("cli-jsonata", name, text)
}

#[test]
fn evaluates_over_input_from_stdin_and_file() {
    let o = asl(
        &["--compact", "--input", "-", "a.b[1] * 2"],
        Some(r#"{"a": {"b": [1, 2.5]}}"#),
    );
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "5\n");
    let f = temp("in.json", r#"{"xs": [3, 1, 2]}"#);
    let o = asl(&["-c", "-i", f.as_str(), "$sort(xs)"], None);
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), "[1,2,3]\n".into()));
}

#[test]
fn integral_numbers_print_as_integers() {
    let o = asl(&["-c", "{'a': 6 / 2, 'b': 1.5 * 2, 'c': 0.1 + 0.2}"], None);
    assert_eq!(stdout(&o), "{\"a\":3,\"b\":3,\"c\":0.30000000000000004}\n");
}

#[test]
fn no_input_is_undefined_not_null() {
    let o = asl(&["$"], None);
    assert_eq!((o.status.code(), stdout(&o)), (Some(0), String::new()));
    let o = asl(&["--report", "json", "$"], None);
    assert_eq!(report(&o), json!({"undefined": true}));
    let o = asl(
        &["--report", "json", "--input", "-", "$ = null"],
        Some("null"),
    );
    assert_eq!(report(&o), json!({"result": true}));
}

#[test]
fn bindings_file_binds_variables() {
    let b = temp(
        "bindings.json",
        r#"{"x": 2, "states": {"input": {"n": 40}}}"#,
    );
    let o = asl(
        &[
            "--report",
            "json",
            "--bindings",
            b.as_str(),
            "$states.input.n + $x",
        ],
        None,
    );
    assert_eq!(report(&o), json!({"result": 42}));
}

#[test]
fn errors_report_code_and_exit_1() {
    let o = asl(&["--report", "json", "'a' + 1"], None);
    assert_eq!(o.status.code(), Some(1));
    let r = report(&o);
    assert_eq!(r["error"]["code"], "T2001");
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("left side"),
        "{r}"
    );
    let o = asl(&["--report", "json", "(1 +"], None);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(report(&o)["error"]["code"], "S0207");
    let o = asl(&["'a' + 1"], None);
    assert_eq!((o.status.code(), stdout(&o)), (Some(1), String::new()));
    assert!(String::from_utf8_lossy(&o.stderr).contains("T2001"));
}

#[test]
fn step_functions_semantics() {
    let o = asl(&["--report", "json", "a ?? b"], None);
    assert_eq!(report(&o)["error"]["code"], "S0211");
    let o = asl(&["--report", "json", "$eval('1')"], None);
    assert_eq!(report(&o)["error"]["code"], "T1006");
    let o = asl(
        &[
            "--report",
            "json",
            "[$partition([1,2,3], 2), $range(0, 4, 2), $random(0), $hash('abc', 'MD5')]",
        ],
        None,
    );
    assert_eq!(
        report(&o),
        json!({"result": [[1, 2], [3], 0, 2, 4, 0.730967787376657, "900150983cd24fb0d6963f7d28e17f72"]})
    );
}

#[test]
fn guardrails_raise_u1001() {
    let o = asl(
        &[
            "--report",
            "json",
            "--max-depth",
            "50",
            "($f := function($n){ $n = 0 ? 0 : 1 + $f($n - 1) }; $f(1000))",
        ],
        None,
    );
    assert_eq!(report(&o)["error"]["code"], "U1001");
}

#[test]
fn usage_and_io_errors_exit_2() {
    let o = asl(&["--input", "/nonexistent/input.json", "a"], None);
    assert_eq!(o.status.code(), Some(2));
    let f = temp("bad.json", "{not json");
    let o = asl(&["--input", f.as_str(), "a"], None);
    assert_eq!(o.status.code(), Some(2));
    let o = asl(&["--bindings", f.as_str(), "a"], None);
    assert_eq!(o.status.code(), Some(2));
    let arr = temp("arr.json", "[1]");
    let o = asl(&["--bindings", arr.as_str(), "a"], None);
    assert_eq!(o.status.code(), Some(2));
    let o = asl(&[], None);
    assert_eq!(o.status.code(), Some(2));
}
