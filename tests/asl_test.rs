//! `asl test` with the real binary: the examples' test files pass, a failing case
//! exits 1 with what differs, and a malformed test file is refused with its place.

mod harness;

use harness::{Dir, asl_in_root};

fn asl_test(args: &[&str]) -> (Option<i32>, String, String) {
    asl_in_root(&[&["test"], args].concat())
}

#[test]
fn the_examples_pass_and_failures_and_bad_files_are_reported() {
    let (code, out, err) = asl_test(&["datasets"]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("PASSED") && out.contains(" 0 failed"), "{out}");

    let dir = Dir::new();
    std::fs::write(
        dir.0.join("m.asl.json"),
        r#"{"StartAt": "T", "States": {"T": {"Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"},
            "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 60, "MaxAttempts": 2}],
            "End": true}}}"#,
    )
    .unwrap();
    let test_file = dir.0.join("m.test.json");
    std::fs::write(
        &test_file,
        r#"{"definition": "m.asl.json", "cases": [
            {"name": "retried twice on a virtual clock",
             "mocks": {"T": {"0-1": {"Throw": {"Error": "Busy"}}, "2": {"Return": {"ok": true}}}},
             "expect": {"output": {"ok": true}, "invocations": {"T": 3}}},
            {"name": "expects too much",
             "mocks": {"T": {"0": {"Return": {"ok": false}}}},
             "expect": {"outputContains": {"ok": true}, "invocations": {"T": 2}}}]}"#,
    )
    .unwrap();
    let (code, out, _) = asl_test(&[test_file.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("✗ expects too much"), "{out}");
    assert!(out.contains("output.ok: expected true, got false"), "{out}");
    assert!(out.contains("invocations.T: expected 2, got 1"), "{out}");
    assert!(!out.contains("✗ retried twice"), "{out}");

    std::fs::write(
        &test_file,
        r#"{"definition": "m.asl.json", "cases": [
            {"name": "typo", "expect": {"outptu": 1}}]}"#,
    )
    .unwrap();
    let (code, _, err) = asl_test(&[test_file.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("/cases/0/expect/outptu: unknown expectation"),
        "{err}"
    );
    std::fs::write(
        &test_file,
        r#"{"definition": "m.asl.json", "cases": [
            {"name": "ghost", "mocks": {"Nope": {"0": {"Return": 1}}}}]}"#,
    )
    .unwrap();
    let (code, _, err) = asl_test(&[test_file.to_str().unwrap()]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("/cases/0: the mocked state 'Nope' is not a Task state"),
        "{err}"
    );
}
