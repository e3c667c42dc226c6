//! End-to-end tests of the `asl` binary: the orders example, exit codes, and bad input
//! that must give one clear message and the documented exit code, never a panic.

use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

const EXIT_OK: i32 = 0;
const EXIT_FAILED: i32 = 1;
const EXIT_USAGE: i32 = 2;
const EXIT_INVALID: i32 = 3;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn asl(args: &[&str]) -> Output {
    asl_stdin(args, None)
}

fn asl_stdin(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_asl"));
    cmd.args(args)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd.spawn().expect("the asl binary starts");
    if let Some(s) = stdin {
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(s.as_bytes())
            .expect("stdin is written");
    }
    child.wait_with_output().expect("asl runs")
}

fn code(o: &Output) -> i32 {
    o.status
        .code()
        .expect("asl exits normally, not killed by a signal")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_out(o: &Output) -> Value {
    serde_json::from_str(stdout(o).trim())
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", stdout(o)))
}

/// Asserts a clean failure: the expected exit code, nothing on stdout, no panic, and
/// one `asl ...:` message on stderr that contains `needle`.
fn assert_clean_error(o: &Output, exit: i32, needle: &str) {
    let err = stderr(o);
    assert_eq!(code(o), exit, "stderr: {err}");
    assert!(!err.contains("panicked"), "panicked: {err}");
    assert!(err.starts_with("asl "), "one clear message: {err}");
    assert!(err.contains(needle), "{needle:?} not in: {err}");
    assert_eq!(stdout(o), "", "nothing on stdout");
}

/// A file under the temp dir with a unique name, removed on drop.
struct Temp(PathBuf);

impl Temp {
    fn new(name: &str, contents: &str) -> Temp {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "asl-cli-{}-{}-{name}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::write(&p, contents).expect("temp file is written");
        Temp(p)
    }
    fn path(&self) -> &str {
        self.0.to_str().expect("temp path is UTF-8")
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

const PASS_ONLY: &str = r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"done":true},"ResultPath":"$.a","End":true}}}"#;

// ---- the orders example ----------------------------------------------------------

#[test]
fn orders_example_processes_every_item_and_sends_the_summary() {
    let o = asl(&[
        "run",
        "datasets/orders/workflow.asl.json",
        "--input",
        "datasets/orders/input.json",
        "--resources",
        "datasets/orders/resources.json",
        "--clock",
        "virtual",
    ]);
    assert_eq!(code(&o), EXIT_OK, "stderr: {}", stderr(&o));
    assert_eq!(
        json_out(&o),
        json!({
            "orderId": "ord-20190218-0001",
            "to": "jane@example.com",
            "transactionId": "txn-ord-20190218-0001",
            "status": "PARTIALLY_SHIPPED",
            "shipped": [
                {"sku": "BOOK-0001", "trackingNumber": "TRK-PKG-ORD-20190218-0001-0"},
                {"sku": "MUG-0042", "trackingNumber": "TRK-PKG-ORD-20190218-0001-1"},
                {"sku": "SOCK-0007", "trackingNumber": "TRK-PKG-ORD-20190218-0001-2"}
            ],
            "unavailable": [{"sku": "CAP-0099", "reason": "OutOfStock"}]
        })
    );
}

#[test]
fn orders_example_history_shows_the_retry_and_four_iterations() {
    let o = asl(&[
        "run",
        "datasets/orders/workflow.asl.json",
        "--input",
        "datasets/orders/input.json",
        "--resources",
        "datasets/orders/resources.json",
        "--clock",
        "virtual",
        "--history",
        "--report",
        "json",
    ]);
    assert_eq!(code(&o), EXIT_OK, "stderr: {}", stderr(&o));
    let r = json_out(&o);
    assert_eq!(r["status"], "SUCCEEDED");
    let events = r["history"].as_array().expect("history is an array");
    let count = |ty: &str| events.iter().filter(|e| e["type"] == ty).count();
    assert_eq!(count("MapIterationSucceeded"), 4);
    // The 'busy' item times out once (TimeOut) and is retried; the out-of-stock item
    // fails once (OutOfStock) and is caught.
    assert_eq!(count("LambdaFunctionFailed"), 2);
    let failed: Vec<&str> = events
        .iter()
        .filter(|e| e["type"] == "LambdaFunctionFailed")
        .map(|e| {
            e["lambdaFunctionFailedEventDetails"]["error"]
                .as_str()
                .unwrap_or("")
        })
        .collect();
    assert_eq!(failed, ["TimeOut", "OutOfStock"]);
}

#[test]
fn orders_example_payment_failed_ends_in_the_fail_state() {
    let o = asl(&[
        "run",
        "datasets/orders/workflow.asl.json",
        "--input",
        "datasets/orders/input-payment-failed.json",
        "--resources",
        "datasets/orders/resources.json",
        "--report",
        "json",
    ]);
    assert_eq!(code(&o), EXIT_FAILED, "stderr: {}", stderr(&o));
    assert_eq!(
        json_out(&o),
        json!({
            "status": "FAILED",
            "output": null,
            "error": "PaymentFailed",
            "cause": "The payment of the order could not be validated"
        })
    );
}

#[test]
fn failed_execution_without_report_says_so_on_stderr() {
    let o = asl(&[
        "run",
        "datasets/orders/workflow.asl.json",
        "--input",
        "datasets/orders/input-payment-failed.json",
        "--resources",
        "datasets/orders/resources.json",
    ]);
    assert_eq!(code(&o), EXIT_FAILED);
    assert_eq!(stdout(&o), "");
    assert_eq!(
        stderr(&o).trim(),
        "execution failed: PaymentFailed: The payment of the order could not be validated"
    );
}

// ---- validate --------------------------------------------------------------------

#[test]
fn validate_accepts_the_orders_workflow() {
    let o = asl(&["validate", "datasets/orders/workflow.asl.json"]);
    assert_eq!(code(&o), EXIT_OK, "stderr: {}", stderr(&o));
    assert_eq!(
        stdout(&o).trim(),
        "datasets/orders/workflow.asl.json: valid"
    );
    let o = asl(&[
        "validate",
        "--strict-aws",
        "datasets/orders/workflow.asl.json",
    ]);
    assert_eq!(code(&o), EXIT_OK, "strict: {}", stdout(&o));
}

#[test]
fn validate_names_the_json_pointer_of_a_problem() {
    let f = Temp::new(
        "dangling.asl.json",
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nowhere"},"B":{"Type":"Succeed"}}}"#,
    );
    let o = asl(&["validate", f.path()]);
    assert_eq!(code(&o), EXIT_INVALID);
    let out = stdout(&o);
    assert!(
        out.contains(&format!("{}:/States/A/Next (state 'A'):", f.path())),
        "{out}"
    );
    assert!(out.contains("Nowhere"), "{out}");
}

#[test]
fn validate_format_json_reports_each_file() {
    let bad = Temp::new(
        "bad.asl.json",
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nowhere"}}}"#,
    );
    let good = Temp::new("good.asl.json", PASS_ONLY);
    let o = asl(&["validate", "--format", "json", bad.path(), good.path()]);
    assert_eq!(code(&o), EXIT_INVALID);
    let r = json_out(&o);
    let files = r.as_array().expect("an array of reports");
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["file"], bad.path());
    assert_eq!(files[0]["valid"], false);
    let d = &files[0]["diagnostics"];
    assert!(
        d.as_array()
            .is_some_and(|a| a.iter().any(|x| x["pointer"] == "/States/A/Next"
                && x["state"] == "A"
                && x["code"] == "dangling-transition")),
        "{d}"
    );
    assert_eq!(
        files[1],
        json!({"file": good.path(), "valid": true, "diagnostics": []})
    );
}

#[test]
fn validate_missing_file_is_a_usage_error() {
    let o = asl(&["validate", "no/such/definition.asl.json"]);
    assert_clean_error(&o, EXIT_USAGE, "no/such/definition.asl.json");
}

// ---- bad input: one clear message, the documented exit code --------------------------

#[test]
fn malformed_json_definition_gives_line_and_column() {
    let f = Temp::new(
        "malformed.asl.json",
        "{\n  \"StartAt\": \"A\",\n  \"States\": {\n",
    );
    let o = asl(&["run", f.path()]);
    assert_clean_error(&o, EXIT_INVALID, "line ");
    assert!(stderr(&o).contains("column"), "{}", stderr(&o));
    let o = asl(&["validate", f.path()]);
    assert_eq!(code(&o), EXIT_INVALID);
    assert!(
        stdout(&o).contains("line ") && stdout(&o).contains("column"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn non_object_definition_is_invalid() {
    let f = Temp::new("array.asl.json", "[1, 2, 3]");
    let o = asl(&["run", f.path()]);
    assert_clean_error(&o, EXIT_INVALID, "JSON object");
}

#[test]
fn unknown_state_type_is_invalid() {
    let f = Temp::new(
        "teleport.asl.json",
        r#"{"StartAt":"A","States":{"A":{"Type":"Teleport","End":true}}}"#,
    );
    let o = asl(&["run", f.path()]);
    assert_clean_error(&o, EXIT_INVALID, "/States/A/Type");
    assert!(stderr(&o).contains("Teleport"), "{}", stderr(&o));
}

#[test]
fn missing_definition_file_is_a_usage_error() {
    let o = asl(&["run", "no/such/workflow.asl.json"]);
    assert_clean_error(&o, EXIT_USAGE, "no/such/workflow.asl.json");
}

#[test]
fn missing_input_file_is_a_usage_error() {
    let def = Temp::new("pass.asl.json", PASS_ONLY);
    let o = asl(&["run", def.path(), "--input", "no/such/input.json"]);
    assert_clean_error(&o, EXIT_USAGE, "no/such/input.json");
}

#[test]
fn non_json_input_is_a_usage_error() {
    let def = Temp::new("pass.asl.json", PASS_ONLY);
    let input = Temp::new("input.txt", "order=42");
    let o = asl(&["run", def.path(), "--input", input.path()]);
    assert_clean_error(&o, EXIT_USAGE, "not valid JSON");
}

#[test]
fn deeply_nested_input_is_rejected_without_crashing() {
    let def = Temp::new("pass.asl.json", PASS_ONLY);
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let input = Temp::new("deep.json", &deep);
    let o = asl(&["run", def.path(), "--input", input.path()]);
    assert_clean_error(&o, EXIT_USAGE, input.path());
    // Also through stdin.
    let o = asl_stdin(&["run", def.path(), "--input", "-"], Some(&deep));
    assert_clean_error(&o, EXIT_USAGE, "stdin");
}

#[test]
fn bad_resources_file_is_a_usage_error() {
    let def = Temp::new("pass.asl.json", PASS_ONLY);
    let res = Temp::new("resources.json", r#"["not", "an", "object"]"#);
    let o = asl(&["run", def.path(), "--resources", res.path()]);
    assert_clean_error(&o, EXIT_USAGE, "resources file");
}

// ---- run options -------------------------------------------------------------------

#[test]
fn virtual_clock_makes_a_long_wait_complete() {
    let def = Temp::new(
        "wait.asl.json",
        r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":100000,"Next":"Done"},"Done":{"Type":"Pass","Result":"waited","ResultPath":"$.w","End":true}}}"#,
    );
    let input = Temp::new("in.json", r#"{"n": 1}"#);
    let o = asl(&[
        "run",
        def.path(),
        "--input",
        input.path(),
        "--clock",
        "virtual",
    ]);
    assert_eq!(code(&o), EXIT_OK, "stderr: {}", stderr(&o));
    assert_eq!(json_out(&o), json!({"n": 1, "w": "waited"}));
}

#[test]
fn history_in_the_json_report() {
    let def = Temp::new("pass.asl.json", PASS_ONLY);
    let o = asl(&[
        "run",
        def.path(),
        "--history",
        "--report",
        "json",
        "--name",
        "exec-1",
    ]);
    assert_eq!(code(&o), EXIT_OK, "stderr: {}", stderr(&o));
    let r = json_out(&o);
    assert_eq!(r["status"], "SUCCEEDED");
    assert_eq!(r["output"], json!({"a": {"done": true}}));
    let types: Vec<&str> = r["history"]
        .as_array()
        .expect("history")
        .iter()
        .map(|e| e["type"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ]
    );
    let ids: Vec<u64> = r["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_u64().unwrap_or(0))
        .collect();
    assert_eq!(ids, [1, 2, 3, 4]);
    assert_eq!(r["history"][1]["stateEnteredEventDetails"]["name"], "A");
}

#[test]
fn report_json_without_history_has_no_history_field() {
    let def = Temp::new("pass.asl.json", PASS_ONLY);
    let o = asl(&["run", def.path(), "--report", "json"]);
    assert_eq!(code(&o), EXIT_OK);
    assert_eq!(
        json_out(&o),
        json!({"status": "SUCCEEDED", "output": {"a": {"done": true}}, "error": null, "cause": null})
    );
}

#[test]
fn input_dash_reads_stdin() {
    let def = Temp::new("pass.asl.json", PASS_ONLY);
    let o = asl_stdin(
        &["run", def.path(), "--input", "-"],
        Some(r#"{"from": "stdin"}"#),
    );
    assert_eq!(code(&o), EXIT_OK, "stderr: {}", stderr(&o));
    assert_eq!(json_out(&o), json!({"from": "stdin", "a": {"done": true}}));
}

#[test]
fn name_sets_the_execution_name_in_the_context_object() {
    let def = Temp::new(
        "ctx.asl.json",
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"name.$":"$$.Execution.Name","machine.$":"$$.StateMachine.Name"},"End":true}}}"#,
    );
    let o = asl(&["run", def.path(), "--name", "my-execution"]);
    assert_eq!(code(&o), EXIT_OK, "stderr: {}", stderr(&o));
    let out = json_out(&o);
    assert_eq!(out["name"], "my-execution");
    // The state machine is named after the file, without .asl.json.
    let stem = Path::new(def.path())
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .trim_end_matches(".asl.json")
        .to_string();
    assert_eq!(out["machine"], json!(stem));
}

#[test]
fn no_input_means_an_empty_object() {
    let def = Temp::new(
        "pass.asl.json",
        r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#,
    );
    let o = asl(&["run", def.path()]);
    assert_eq!(code(&o), EXIT_OK);
    assert_eq!(stdout(&o).trim(), "{}");
}

#[test]
fn unknown_flag_is_a_usage_error() {
    let o = asl(&["run", "x.json", "--no-such-flag"]);
    assert_eq!(code(&o), EXIT_USAGE);
    assert!(!stderr(&o).contains("panicked"));
}
