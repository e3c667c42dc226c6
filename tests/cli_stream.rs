//! `asl run --each-line`: one Express execution per JSON line, results in input order,
//! failures and bad lines reported per line, and output that starts before the input
//! ends.

mod harness;

use harness::TempPath;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Computes per line: each item of `xs` plus `n` (a Map), and a Fail when `fail` is
/// true (its cause taken from the input).
const MACHINE: &str = r#"{
  "StartAt": "Check",
  "States": {
    "Check": {
      "Type": "Choice",
      "Choices": [{
        "And": [
          {"Variable": "$.fail", "IsPresent": true},
          {"Variable": "$.fail", "BooleanEquals": true}
        ],
        "Next": "Boom"
      }],
      "Default": "Each"
    },
    "Boom": {"Type": "Fail", "Error": "Line.Failed", "CausePath": "$.why"},
    "Each": {
      "Type": "Map",
      "ItemsPath": "$.xs",
      "ItemSelector": {"x.$": "$$.Map.Item.Value", "n.$": "$.n"},
      "ItemProcessor": {
        "StartAt": "Add",
        "States": {
          "Add": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($.x, $.n)"}, "End": true}
        }
      },
      "ResultSelector": {"sums.$": "$[*].v"},
      "ResultPath": "$.result",
      "End": true
    }
  }
}"#;

/// A machine whose top level waits (runs on the plain-thread path).
const WAITING: &str = r#"{
  "StartAt": "W",
  "States": {
    "W": {"Type": "Wait", "Seconds": 5, "Next": "P"},
    "P": {"Type": "Pass", "Parameters": {"twice.$": "States.MathAdd($.n, $.n)"}, "End": true}
  }
}"#;

/// A file under the temp dir with a unique name, removed on drop.
fn temp_file(name: &str, text: &str) -> TempPath {
    TempPath::file("cli-stream", name, text)
}

fn asl(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_asl"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the asl binary starts");
    let mut w = child.stdin.take().expect("stdin is piped");
    let text = stdin.to_string();
    // Write on a thread: the output streams, so the pipes must be drained meanwhile.
    let writer = std::thread::spawn(move || {
        let _ = w.write_all(text.as_bytes());
    });
    let out = child.wait_with_output().expect("asl runs");
    writer.join().expect("stdin writer");
    out
}

fn lines(o: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("asl exits normally")
}

fn expected(n: i64) -> Value {
    json!({"n": n, "xs": [0, 1, n], "result": {"sums": [n, n + 1, n + n]}})
}

fn input_line(n: i64) -> String {
    json!({"n": n, "xs": [0, 1, n]}).to_string()
}

#[test]
fn order_is_preserved_for_ten_thousand_lines() {
    let def = temp_file("order.asl.json", MACHINE);
    let input: String = (0..10_000).map(|n| input_line(n) + "\n").collect();
    let o = asl(
        &[
            "run",
            def.to_str().unwrap(),
            "--each-line",
            "--threads",
            "4",
        ],
        &input,
    );
    assert_eq!(
        code(&o),
        0,
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = lines(&o);
    assert_eq!(out.len(), 10_000);
    for (n, v) in out.iter().enumerate() {
        assert_eq!(v, &expected(n as i64), "line {}", n + 1);
    }
}

#[test]
fn each_line_reads_a_file_too() {
    let def = temp_file("file.asl.json", MACHINE);
    let input: String = (0..50).map(|n| input_line(n) + "\n").collect();
    let inp = temp_file("file.jsonl", &input);
    let o = asl(
        &[
            "run",
            def.to_str().unwrap(),
            "--each-line",
            "--input",
            inp.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(code(&o), 0);
    let out = lines(&o);
    assert_eq!(out, (0..50).map(expected).collect::<Vec<_>>());
}

#[test]
fn failures_are_reported_per_line() {
    let def = temp_file("fail.asl.json", MACHINE);
    let mut input = String::new();
    for n in 0..200 {
        if n % 3 == 0 {
            input += &json!({"n": n, "fail": true, "why": format!("no {n}")}).to_string();
        } else {
            input += &input_line(n);
        }
        input.push('\n');
    }
    let o = asl(
        &[
            "run",
            def.to_str().unwrap(),
            "--each-line",
            "--threads",
            "2",
        ],
        &input,
    );
    assert_eq!(code(&o), 0, "failed executions are data, not an exit code");
    let out = lines(&o);
    assert_eq!(out.len(), 200);
    for (n, v) in out.iter().enumerate() {
        let n = n as i64;
        if n % 3 == 0 {
            assert_eq!(
                v,
                &json!({"error": "Line.Failed", "cause": format!("no {n}")})
            );
        } else {
            assert_eq!(v, &expected(n));
        }
    }
}

#[test]
fn a_line_that_is_not_json_is_reported_and_the_rest_run() {
    let def = temp_file("invalid.asl.json", MACHINE);
    let input = format!(
        "{}\n\n{{\"n\": oops\n   \n{}\n",
        input_line(1),
        input_line(2)
    );
    let o = asl(&["run", def.to_str().unwrap(), "--each-line"], &input);
    assert_eq!(code(&o), 0);
    let out = lines(&o);
    assert_eq!(out.len(), 3, "blank lines are skipped: {out:?}");
    assert_eq!(out[0], expected(1));
    assert_eq!(out[1]["error"], "asl.InvalidInput");
    let cause = out[1]["cause"].as_str().expect("a cause");
    assert!(cause.starts_with("line 3: "), "{cause}");
    assert_eq!(out[2], expected(2));
}

#[test]
fn blocking_machines_keep_order_too() {
    let def = temp_file("wait.asl.json", WAITING);
    let input: String = (0..300).map(|n| format!("{{\"n\": {n}}}\n")).collect();
    let o = asl(
        &[
            "run",
            def.to_str().unwrap(),
            "--each-line",
            "--clock",
            "virtual",
        ],
        &input,
    );
    assert_eq!(
        code(&o),
        0,
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = lines(&o);
    assert_eq!(
        out,
        (0..300)
            .map(|n| json!({"twice": 2 * n}))
            .collect::<Vec<_>>()
    );
}

#[test]
fn output_starts_before_the_input_ends() {
    let def = temp_file("stream.asl.json", MACHINE);
    let mut child = Command::new(env!("CARGO_BIN_EXE_asl"))
        .args(["run", def.to_str().unwrap(), "--each-line"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the asl binary starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    // The guard: kill the child after 20 s, so a pipeline that waits for the end of the
    // input makes this test fail instead of hang.
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let guard = std::thread::spawn(move || {
        let killed = done_rx.recv_timeout(Duration::from_secs(20)).is_err();
        if killed {
            let _ = child.kill();
        }
        (killed, child.wait())
    });

    for n in 0..3 {
        writeln!(stdin, "{}", input_line(n)).expect("line written");
    }
    stdin.flush().expect("flushed");
    let mut first = String::new();
    stdout.read_line(&mut first).expect("first line read");
    assert!(
        !first.is_empty(),
        "no output while the input was still open (killed after 20 s)"
    );
    assert_eq!(
        serde_json::from_str::<Value>(&first).expect("JSON"),
        expected(0)
    );

    writeln!(stdin, "{}", input_line(3)).expect("line written");
    drop(stdin);
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("rest read");
    let _ = done_tx.send(());
    let (killed, status) = guard.join().expect("guard");
    assert!(!killed, "the child was killed by the guard");
    assert_eq!(status.expect("waited").code(), Some(0));
    let rest: Vec<Value> = rest
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(rest, (1..4).map(expected).collect::<Vec<_>>());
}

#[test]
fn empty_input_gives_empty_output() {
    let def = temp_file("empty.asl.json", MACHINE);
    for input in ["", "\n\n  \n"] {
        let o = asl(&["run", def.to_str().unwrap(), "--each-line"], input);
        assert_eq!(code(&o), 0);
        assert!(
            o.stdout.is_empty(),
            "{:?}",
            String::from_utf8_lossy(&o.stdout)
        );
    }
}

#[test]
fn an_unreadable_input_file_is_an_io_error() {
    let def = temp_file("missing.asl.json", MACHINE);
    let o = asl(
        &[
            "run",
            def.to_str().unwrap(),
            "--each-line",
            "--input",
            "/nonexistent/asl-stream-input.jsonl",
        ],
        "",
    );
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("asl-stream-input.jsonl"));
}
