//! `asl bench`: the shape and internal consistency of its report (never timings).

mod harness;

use harness::TempPath;
use serde_json::{Value, json};
use std::process::{Command, Output, Stdio};

/// A Map of 20 items, one Pass per item: 20 items and 21 state transitions per run.
const MACHINE: &str = r#"{
  "StartAt": "Each",
  "States": {
    "Each": {
      "Type": "Map",
      "ItemsPath": "$.xs",
      "ItemProcessor": {
        "StartAt": "Add",
        "States": {
          "Add": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($, 1)"}, "End": true}
        }
      },
      "End": true
    }
  }
}"#;

const FAILING: &str = r#"{
  "StartAt": "Boom",
  "States": {"Boom": {"Type": "Fail", "Error": "Bench.Failed", "Cause": "on purpose"}}
}"#;

/// A file under the temp dir with a unique name, removed on drop.
fn temp_file(name: &str, text: &str) -> TempPath {
    TempPath::file("cli-bench", name, text)
}

fn setup() -> (TempPath, TempPath) {
    let def = temp_file("map.asl.json", MACHINE);
    let xs: Vec<i64> = (0..20).collect();
    let input = temp_file("input.json", &json!({ "xs": xs }).to_string());
    (def, input)
}

fn asl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_asl"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the asl binary runs")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("asl exits normally")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-6 * a.abs().max(b.abs()).max(1.0)
}

fn report(o: &Output) -> Value {
    assert_eq!(code(o), 0, "stderr: {}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("one JSON object")
}

#[test]
fn json_report_is_consistent() {
    let (def, input) = setup();
    let def = def.to_str().unwrap();
    let o = asl(&[
        "bench",
        def,
        "--input",
        input.to_str().unwrap(),
        "--threads",
        "1,2,3",
        "--runs",
        "3",
        "--format",
        "json",
    ]);
    let r = report(&o);
    assert_eq!(r["definition"], def);
    assert_eq!(r["runs"], 3);
    assert_eq!(r["items"], 20);
    assert_eq!(r["transitions"], 21);
    let results = r["results"].as_array().expect("results");
    let threads: Vec<u64> = results
        .iter()
        .map(|x| x["threads"].as_u64().unwrap())
        .collect();
    assert_eq!(threads, [1, 2, 3], "the thread list is honoured, in order");
    let base = results[0]["median_ms"].as_f64().unwrap();
    for x in results {
        let median = x["median_ms"].as_f64().expect("median_ms");
        let min = x["min_ms"].as_f64().expect("min_ms");
        assert!(median > 0.0 && min > 0.0 && min <= median, "{x}");
        let items_per_s = x["items_per_s"].as_f64().unwrap();
        assert!(close(items_per_s, 20.0 / (median / 1000.0)), "{x}");
        let transitions_per_s = x["transitions_per_s"].as_f64().unwrap();
        assert!(close(transitions_per_s, 21.0 / (median / 1000.0)), "{x}");
        assert!(close(x["speedup"].as_f64().unwrap(), base / median), "{x}");
    }
    assert_eq!(results[0]["speedup"].as_f64(), Some(1.0));
}

#[test]
fn default_thread_list_runs_from_one_to_the_core_count() {
    let (def, input) = setup();
    let o = asl(&[
        "bench",
        def.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--runs",
        "1",
        "--format",
        "json",
    ]);
    let r = report(&o);
    let threads: Vec<u64> = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["threads"].as_u64().unwrap())
        .collect();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    assert_eq!(threads.first(), Some(&1));
    assert_eq!(threads.last(), Some(&cores));
    assert!(threads.windows(2).all(|w| w[0] < w[1]), "{threads:?}");
}

#[test]
fn a_list_without_one_thread_has_no_speedup() {
    let (def, input) = setup();
    let o = asl(&[
        "bench",
        def.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--threads",
        "2",
        "--runs",
        "1",
        "--format",
        "json",
    ]);
    let r = report(&o);
    assert_eq!(r["results"][0]["threads"], 2);
    assert_eq!(r["results"][0]["speedup"], Value::Null);
}

#[test]
fn text_report_has_a_header_and_one_row_per_thread_count() {
    let (def, input) = setup();
    let o = asl(&[
        "bench",
        def.to_str().unwrap(),
        "--input",
        input.to_str().unwrap(),
        "--threads",
        "1,2",
        "--runs",
        "2",
    ]);
    assert_eq!(
        code(&o),
        0,
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8_lossy(&o.stdout);
    let header = text
        .lines()
        .find(|l| l.contains("threads"))
        .unwrap_or_else(|| panic!("a header: {text}"));
    for col in ["median ms", "items/s", "transitions/s", "speed-up"] {
        assert!(header.contains(col), "{header}");
    }
    let rows: Vec<Vec<&str>> = text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|w| w.first().is_some_and(|t| t.parse::<u32>().is_ok()))
        .collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert_eq!(rows[0][0], "1");
    assert_eq!(rows[1][0], "2");
    assert_eq!(rows[0].last(), Some(&"1.00x"));
}

#[test]
fn a_failed_execution_is_an_error() {
    let def = temp_file("fail.asl.json", FAILING);
    let o = asl(&[
        "bench",
        def.to_str().unwrap(),
        "--threads",
        "1",
        "--runs",
        "1",
    ]);
    assert_eq!(code(&o), 1);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("Bench.Failed"), "{err}");
    assert!(o.stdout.is_empty());
}

#[test]
fn zero_threads_is_a_usage_error() {
    let (def, _) = setup();
    let o = asl(&["bench", def.to_str().unwrap(), "--threads", "1,0"]);
    assert_eq!(code(&o), 2);
}
