//! `asl explain` (the strategy the planner picks for each Map, and why) and the runtime flags (--threads, --progress, --quiet).

mod harness;

use harness::TempPath;
use std::process::{Command, Stdio};

/// A file under the temp dir with a unique name (tests run side by side), removed on drop.
fn temp_file(name: &str, body: &str) -> TempPath {
    TempPath::file("explain", &format!("{name}.json"), body)
}

fn explain(def: &str) -> String {
    let p = temp_file(
        &format!(
            "{:x}",
            def.len() * 31 + def.bytes().map(|b| b as usize).sum::<usize>()
        ),
        def,
    );
    let out = Command::new(env!("CARGO_BIN_EXE_asl"))
        .arg("explain")
        .arg(&p)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn map(processor: &str, extra: &str) -> String {
    format!(
        r#"{{"StartAt":"M","States":{{"M":{{"Type":"Map",{extra}"ItemProcessor":{processor},"End":true}}}}}}"#
    )
}

#[test]
fn columnar_when_every_state_has_a_kernel() {
    let p = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"s.$":"States.MathAdd($.a, $.b)"},"Next":"C"},
        "C":{"Type":"Choice","Choices":[{"Variable":"$.s","NumericGreaterThan":3,"Next":"Y"}],"Default":"N"},
        "Y":{"Type":"Pass","Result":1,"ResultPath":"$.r","End":true},"N":{"Type":"Succeed"}}}"#;
    let out = explain(&map(p, ""));
    assert!(out.contains("strategy: columnar (/States/M)"), "{out}");
    // P replaces the item by {s}: only a and b are read.
    assert!(
        out.contains("columns: [a, b] (projection pushdown"),
        "{out}"
    );
}

#[test]
fn columnar_projection_names_the_columns_read() {
    let p = r#"{"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.b","NumericGreaterThan":3,"Next":"Y"}],"Default":"N"},
        "Y":{"Type":"Pass","Parameters":{"x.$":"$.a"},"End":true},"N":{"Type":"Pass","Result":[],"End":true}}}"#;
    let out = explain(&map(p, ""));
    assert!(
        out.contains("columns: [b, a] (projection pushdown"),
        "{out}"
    );
}

#[test]
fn parquet_etl_shows_the_data_plane_and_pushdown() {
    let def = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/logs/etl.asl.json");
    let out = explain(&std::fs::read_to_string(def).unwrap());
    assert!(out.contains("strategy: columnar"), "{out}");
    assert!(out.contains("columns: every column"), "{out}");
    assert!(
        out.contains("Parquet row groups decoded in parallel straight into the kernels, outputs to the Parquet ResultWriter as record batches"),
        "{out}"
    );
    assert!(
        out.contains("rule 0 [(status >= 500) or (latency_ms > 1000)] keeps; default drops"),
        "{out}"
    );
    assert!(out.contains("late materialization"), "{out}");
}

#[test]
fn row_parallel_names_the_state_without_a_kernel() {
    let p = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"u.$":"States.UUID()"},"End":true}}}"#;
    let out = explain(&map(p, ""));
    assert!(out.contains("strategy: row-parallel"), "{out}");
    assert!(out.contains("state 'P'"), "{out}");
}

#[test]
fn blocking_for_waits_and_sequential_for_max_concurrency_one() {
    let w = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"End":true}}}"#;
    let out = explain(&map(w, ""));
    assert!(out.contains("strategy: blocking"), "{out}");
    assert!(out.contains("state 'W' is a Wait state"), "{out}");
    let p = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#;
    let out = explain(&map(p, r#""MaxConcurrency":1,"#));
    assert!(out.contains("strategy: sequential"), "{out}");
}

#[test]
fn a_closed_stdout_is_not_a_panic() {
    let p = temp_file(
        "pipe",
        &map(
            r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#,
            "",
        ),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_asl"))
        .arg("explain")
        .arg(&p)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
}

fn run_map(flags: &[&str]) -> std::process::Output {
    let def = temp_file(
        "progress",
        &map(
            r#"{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"i.$":"$.i"},"End":true}}}"#,
            r#""ItemsPath":"$.items","#,
        ),
    );
    let items: Vec<String> = (0..500).map(|i| format!(r#"{{"i":{i}}}"#)).collect();
    let input = temp_file(
        "progress-in",
        &format!(r#"{{"items":[{}]}}"#, items.join(",")),
    );
    Command::new(env!("CARGO_BIN_EXE_asl"))
        .arg("run")
        .arg(&def)
        .arg("--input")
        .arg(&input)
        .args(flags)
        .output()
        .unwrap()
}

#[test]
fn progress_is_forced_by_the_flag_and_hidden_by_quiet() {
    let out = run_map(&["--progress", "--threads", "2"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("[M] 500/500 items"), "{err}");
    assert!(err.contains("0 failures"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 500);
    assert_eq!(v[499], serde_json::json!({"i": 499}));

    let out = run_map(&["--quiet"]);
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn threads_flag_is_honoured_by_explain() {
    let p = temp_file(
        "threads",
        &map(
            r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#,
            "",
        ),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_asl"))
        .args(["explain", "--threads", "3"])
        .arg(&p)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("threads: 3"));
}
