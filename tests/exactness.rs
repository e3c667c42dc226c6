//! Exactness on real-world definitions (issue #10): each test runs the real `asl`
//! binary on a definition written as AWS's published samples write it, and checks what
//! AWS does with it (the issue's closing note says where each behaviour was established).

use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// A folder under the temp dir, removed on drop.
struct Dir(PathBuf);

impl Dir {
    fn new() -> Dir {
        static N: AtomicU32 = AtomicU32::new(0);
        let p = std::env::temp_dir().join(format!(
            "asl-exactness-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&p).expect("temp dir is created");
        Dir(p)
    }

    /// Writes `name` (a JSON value or text) and returns its path.
    fn file(&self, name: &str, contents: impl Into<Contents>) -> String {
        let p = self.0.join(name);
        let text = match contents.into() {
            Contents::Json(v) => serde_json::to_string_pretty(&v).expect("JSON serializes"),
            Contents::Text(t) => t,
        };
        std::fs::write(&p, text).expect("file is written");
        p.to_str().expect("UTF-8 path").to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

enum Contents {
    Json(Value),
    Text(String),
}

impl From<Value> for Contents {
    fn from(v: Value) -> Self {
        Contents::Json(v)
    }
}

impl From<&str> for Contents {
    fn from(t: &str) -> Self {
        Contents::Text(t.to_string())
    }
}

fn asl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_asl"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("asl runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs a definition with `--report json` and extra flags; returns the report.
fn report(dir: &Dir, def: Value, input: Value, flags: &[&str]) -> (Value, Output) {
    let d = dir.file("def.asl.json", def);
    let i = dir.file("input.json", input);
    let mut args = vec!["run", d.as_str(), "--input", i.as_str(), "--report", "json"];
    args.extend_from_slice(flags);
    let o = asl(&args);
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    let v = serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("report is JSON ({e}): {text}\nstderr: {}", stderr(&o)));
    (v, o)
}

/// The output of a run that must succeed.
fn output(dir: &Dir, def: Value, input: Value, flags: &[&str]) -> Value {
    let (r, o) = report(dir, def, input, flags);
    assert_eq!(r["status"], "SUCCEEDED", "{r}\nstderr: {}", stderr(&o));
    r["output"].clone()
}

fn validate(dir: &Dir, def: impl Into<Contents>) -> Output {
    let d = dir.file("check.asl.json", def);
    asl(&["validate", &d])
}

// ---- 1. JSONata delimiters without blanks ----------------------------------------

#[test]
fn compact_jsonata_delimiters_are_accepted_everywhere() {
    let dir = Dir::new();
    let def = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "Prepare",
        "States": {
            "Prepare": {
                "Type": "Pass",
                "Assign": {"factor": "{%$states.input.factor%}"},
                "Output": "{%$states.input%}",
                "Next": "Wait"
            },
            "Wait": {"Type": "Wait", "Seconds": "{%0%}", "Next": "Each"},
            "Each": {
                "Type": "Map",
                "Items": "{%$states.input.values%}",
                "ItemProcessor": {"StartAt": "Scale", "States": {
                    "Scale": {"Type": "Pass", "Output": "{%$states.input * $factor%}", "End": true}
                }},
                "Next": "Decide"
            },
            "Decide": {
                "Type": "Choice",
                "Choices": [{"Condition": "{%$sum($states.input) > 10%}", "Next": "Big", "Output": "{%{'total': $sum($states.input)}%}"}],
                "Default": "Small"
            },
            "Big": {"Type": "Succeed"},
            "Small": {"Type": "Fail", "Error": "{%'TooSmall'%}"}
        }
    });
    let o = validate(&dir, def.clone());
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let out = output(
        &dir,
        def,
        json!({"factor": 3, "values": [1, 2, 3]}),
        &["--clock", "virtual"],
    );
    assert_eq!(out, json!({"total": 18}));
}

#[test]
fn a_jsonata_string_must_still_be_closed() {
    let dir = Dir::new();
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {
        "A": {"Type": "Pass", "Output": "{%10%", "End": true}}});
    let o = validate(&dir, def);
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stdout).contains("/States/A/Output"));
}

// ---- 2. blanks around paths, words in filters -------------------------------------

#[test]
fn trailing_spaces_after_a_path_are_trimmed_as_jayway_does() {
    let dir = Dir::new();
    let def = json!({"StartAt": "A", "States": {"A": {
        "Type": "Pass",
        "InputPath": "$ ",
        "Parameters": {
            "name.$": "$$.Execution.Name ",
            "confidence.$": "$.Labels[ ?( @.Name == 'Receipt' ) ].Confidence ",
            "both.$": "States.Format('{}-{}', $.Labels[0].Name , $$.Execution.Name )"
        },
        "ResultPath": "$.found ",
        "End": true
    }}});
    let out = output(
        &dir,
        def,
        json!({"Labels": [{"Name": "Receipt", "Confidence": 9}, {"Name": "Tree", "Confidence": 3}]}),
        &["--name", "run-1"],
    );
    assert_eq!(
        out["found"],
        json!({"name": "run-1", "confidence": [9], "both": "Receipt-run-1"})
    );
}

#[test]
fn other_blanks_in_paths_stay_refused() {
    let dir = Dir::new();
    for (path, why) in [
        ("$.a b", "bracket notation"),
        ("$.a\t", "bracket notation"),
        (" $.a", "must start with '$'"),
    ] {
        let def = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "InputPath": path, "End": true}}});
        let o = validate(&dir, def);
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        assert_eq!(o.status.code(), Some(3), "{path:?}: {text}");
        assert!(
            text.contains("/States/A/InputPath") && text.contains(why),
            "{path:?}: {text}"
        );
    }
}

#[test]
fn an_unquoted_word_in_a_filter_is_refused_with_how_to_fix_it() {
    let dir = Dir::new();
    let def = json!({"StartAt": "A", "States": {"A": {
        "Type": "Pass",
        "Parameters": {"receipt.$": "$.Labels[?(@.Name==Receipt)]"},
        "End": true
    }}});
    let o = validate(&dir, def);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(3), "{text}");
    assert!(text.contains("/States/A/Parameters/receipt.$"), "{text}");
    assert!(text.contains("unquoted word 'Receipt'"), "{text}");
}

// ---- 3. $now and the other date/time functions ------------------------------------

fn jsonata(expr: &str) -> Value {
    let o = asl(&["jsonata", expr, "--report", "json"]);
    serde_json::from_slice(&o.stdout).expect("a JSON report")
}

#[test]
fn now_takes_a_picture_and_a_timezone_as_in_jsonata_2_0_6() {
    let year = chrono_year();
    assert_eq!(jsonata("$now('[Y0001]')")["result"], json!(year));
    let zoned = jsonata("$now('[H01]:[m01] [z]', '-0500')")["result"].clone();
    assert!(
        zoned.as_str().is_some_and(|s| s.ends_with("GMT-05:00")),
        "{zoned}"
    );
    let iso = jsonata("$now(undefined, '+0100')")["result"].clone();
    assert!(iso.as_str().is_some_and(|s| s.ends_with("+01:00")), "{iso}");
    // One timestamp per evaluation, shared with $millis (jsonata-js reads the clock once).
    assert_eq!(
        jsonata("$now() = $now() and $toMillis($now()) = $millis()")["result"],
        json!(true)
    );
    for (expr, arg) in [
        ("$now(1)", 1),
        ("$now('a', 'b', 'c')", 3),
        ("$millis(1)", 1),
        ("$now(null)", 1),
    ] {
        let e = jsonata(expr);
        assert_eq!(e["error"]["code"], "T0410", "{expr}: {e}");
        assert!(
            e["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains(&format!("Argument {arg}"))),
            "{expr}: {e}"
        );
    }
    assert_eq!(
        jsonata("$fromMillis(1510067557121, '[M01]/[D01]/[Y0001] [h#1]:[m01][P]', '-0500')")["result"],
        json!("11/07/2017 10:12am")
    );
    assert_eq!(
        jsonata("$toMillis('13/09/2018', '[D]/[M]/[Y]')")["result"],
        json!(1536796800000u64)
    );
}

#[test]
fn now_with_a_picture_runs_in_a_jsonata_state() {
    let dir = Dir::new();
    let def = json!({"QueryLanguage": "JSONata", "StartAt": "A", "States": {"A": {
        "Type": "Pass", "Output": {"year": "{% $now('[Y0001]') %}"}, "End": true}}});
    assert_eq!(
        output(&dir, def, json!({}), &[]),
        json!({"year": chrono_year()})
    );
}

/// This year, from the system clock (as the engine reads it).
fn chrono_year() -> String {
    let o = asl(&["jsonata", "$substring($now(), 0, 4)"]);
    serde_json::from_slice::<Value>(&o.stdout)
        .expect("a JSON string")
        .as_str()
        .expect("a year")
        .to_string()
}

// ---- 4. a catch-all resources file -------------------------------------------------

#[test]
fn resource_patterns_reach_lambda_and_an_exact_name_wins() {
    let dir = Dir::new();
    let echo = |via: &str| {
        format!(
            "python3 -c 'import json,os,sys; print(json.dumps({{\"via\": \"{via}\", \"resource\": os.environ[\"ASL_RESOURCE\"], \"input\": json.load(sys.stdin)}}))'"
        )
    };
    let resources = dir.file(
        "resources.json",
        json!({
            "arn:aws:lambda:*:function:*": echo("lambda-pattern"),
            "*": echo("catch-all"),
            "exact-fn": echo("exact-name"),
        }),
    );
    let def = json!({"StartAt": "Fn", "States": {
        "Fn": {"Type": "Task", "Resource": "arn:aws:lambda:eu-west-1:123456789012:function:orders:prod",
               "Parameters": {"a": 1}, "ResultPath": "$.fn", "Next": "Invoke"},
        "Invoke": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                   "Parameters": {"FunctionName": "payments:live", "Payload": {"b": 2}},
                   "ResultPath": "$.invoke", "Next": "Queue"},
        "Queue": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
                  "Parameters": {"QueueUrl": "q", "MessageBody": "m"}, "ResultPath": "$.queue", "Next": "Exact"},
        "Exact": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:exact-fn",
                  "ResultPath": "$.exact", "End": true}
    }});
    let out = output(&dir, def, json!({}), &["--resources", &resources]);
    assert_eq!(out["fn"]["via"], "lambda-pattern");
    assert_eq!(out["fn"]["input"], json!({"a": 1}));
    // lambda:invoke keeps Lambda's Invoke response shape around the payload.
    assert_eq!(out["invoke"]["StatusCode"], 200);
    assert_eq!(out["invoke"]["Payload"]["via"], "lambda-pattern");
    assert_eq!(out["invoke"]["Payload"]["input"], json!({"b": 2}));
    assert_eq!(out["queue"]["via"], "catch-all");
    assert_eq!(out["queue"]["resource"], "arn:aws:states:::sqs:sendMessage");
    assert_eq!(out["exact"]["via"], "exact-name");

    // A lone "*" serves every Task of a workflow, Lambda included.
    let only_star = dir.file("star.json", json!({"*": echo("catch-all")}));
    let def = json!({"StartAt": "Fn", "States": {
        "Fn": {"Type": "Task", "Resource": "arn:aws:lambda:us-east-1:123456789012:function:f", "ResultPath": "$.fn", "Next": "Invoke"},
        "Invoke": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "g", "Payload": {}}, "ResultPath": "$.invoke", "End": true}
    }});
    let out = output(&dir, def, json!({}), &["--resources", &only_star]);
    assert_eq!(out["fn"]["via"], "catch-all");
    assert_eq!(out["invoke"]["Payload"]["via"], "catch-all");
}

// ---- 5. Express runs ---------------------------------------------------------------

#[test]
fn express_runs_have_an_express_arn_and_context() {
    let dir = Dir::new();
    let def = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Parameters": {
        "id.$": "$$.Execution.Id",
        "name.$": "States.ArrayGetItem(States.StringSplit($$.Execution.Id, ':'), 7)",
        "execution.$": "$$.Execution"
    }, "End": true}}});
    let out = output(&dir, def.clone(), json!({}), &["--express", "--name", "e1"]);
    let id = out["id"].as_str().expect("an ARN");
    let parts: Vec<&str> = id.split(':').collect();
    assert_eq!(parts[5], "express", "{id}");
    assert_eq!(parts[6], "def");
    assert_eq!(parts[7], "e1");
    assert_eq!(parts.len(), 9, "a UUID ends an Express execution ARN: {id}");
    assert_eq!(out["name"], "e1");
    assert!(out["execution"].get("RedriveCount").is_none(), "{out}");
    let standard = output(&dir, def, json!({}), &["--name", "e1"]);
    assert_eq!(
        standard["id"],
        "arn:aws:states:us-east-1:111111111111:execution:def:e1"
    );
}

#[test]
fn express_refuses_callbacks_sync_and_activities_as_aws_does() {
    let dir = Dir::new();
    let d = dir.file(
        "cb.asl.json",
        json!({"StartAt": "A", "States": {
            "A": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken", "Next": "B"},
            "B": {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution.sync:2", "Next": "C"},
            "C": {"Type": "Task", "Resource": "arn:aws:states:us-east-1:123456789012:activity:review", "End": true}
        }}),
    );
    let o = asl(&["run", &d, "--express"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains("state 'A'") && err.contains("'.waitForTaskToken'"),
        "{err}"
    );
    assert!(
        err.contains("state 'B'") && err.contains("'.sync'"),
        "{err}"
    );
    assert!(
        err.contains("state 'C'") && err.contains("Activity ARN"),
        "{err}"
    );
}

#[test]
fn an_express_execution_times_out_after_five_minutes_under_aws_limits() {
    let dir = Dir::new();
    let def =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 400, "End": true}}});
    let (r, _) = report(
        &dir,
        def.clone(),
        json!({}),
        &["--express", "--clock", "virtual", "--aws-limits"],
    );
    assert_eq!(r["status"], "FAILED");
    assert_eq!(r["error"], "States.Timeout");
    let (r, o) = report(&dir, def, json!({}), &["--express", "--clock", "virtual"]);
    assert_eq!(r["status"], "SUCCEEDED");
    assert!(
        stderr(&o).contains("warning: AWS would fail this Express execution with States.Timeout"),
        "{}",
        stderr(&o)
    );
}

// ---- 6. runaway executions and AWS's limits ----------------------------------------

fn endless_loop() -> Value {
    json!({"StartAt": "Poll", "States": {
        "Poll": {"Type": "Pass", "Next": "Done?"},
        "Done?": {"Type": "Choice", "Choices": [{"Variable": "$.done", "BooleanEquals": true, "Next": "Done"}], "Default": "Poll"},
        "Done": {"Type": "Succeed"}
    }})
}

#[test]
fn a_loop_that_never_exits_fails_at_25000_history_events() {
    let dir = Dir::new();
    let (r, _) = report(&dir, endless_loop(), json!({"done": false}), &["--history"]);
    assert_eq!(r["status"], "FAILED");
    assert_eq!(r["error"], "States.Runtime");
    assert_eq!(
        r["cause"],
        "The execution reached the maximum number of history events (25000)."
    );
    let h = r["history"].as_array().expect("history");
    assert_eq!(h.len(), 25_000);
    let last = h.last().expect("events");
    assert_eq!(last["type"], "ExecutionFailed");
    assert_eq!(last["id"], 25_000);
    assert_eq!(h[h.len() - 2]["id"], 24_999);
    // Without --history too: the quota counts events, recorded or not.
    let (r, _) = report(&dir, endless_loop(), json!({"done": false}), &[]);
    assert_eq!(r["error"], "States.Runtime");
}

#[test]
fn no_catch_or_retry_sees_the_history_quota() {
    let dir = Dir::new();
    let def = json!({"StartAt": "Guard", "States": {
        "Guard": {"Type": "Parallel", "Branches": [endless_loop()],
                  "Retry": [{"ErrorEquals": ["States.Runtime"], "MaxAttempts": 3},
                            {"ErrorEquals": ["States.ALL"], "MaxAttempts": 3}],
                  "Catch": [{"ErrorEquals": ["States.Runtime"], "Next": "Recovered"},
                            {"ErrorEquals": ["States.ALL"], "Next": "Recovered"}],
                  "End": true},
        "Recovered": {"Type": "Succeed"}
    }});
    let (r, _) = report(&dir, def, json!({"done": false}), &[]);
    assert_eq!(r["status"], "FAILED", "{r}");
    assert_eq!(r["error"], "States.Runtime");
}

#[test]
fn an_express_execution_has_no_history_quota() {
    let dir = Dir::new();
    // 12,501 turns of a two-state loop: over 25,000 events, then it exits.
    let def = json!({"StartAt": "Count", "States": {
        "Count": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)"}, "Next": "Enough?"},
        "Enough?": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 12501, "Next": "Done"}], "Default": "Count"},
        "Done": {"Type": "Succeed"}
    }});
    assert_eq!(
        output(&dir, def.clone(), json!({"n": 0}), &["--express"]),
        json!({"n": 12501})
    );
    let (r, _) = report(&dir, def, json!({"n": 0}), &[]);
    assert_eq!(r["error"], "States.Runtime");
}

fn map_over_items() -> Value {
    json!({"StartAt": "Each", "States": {"Each": {
        "Type": "Map", "ItemsPath": "$.items",
        "ItemProcessor": {"StartAt": "Keep", "States": {"Keep": {"Type": "Pass", "End": true}}},
        "ResultSelector": {"count.$": "States.ArrayLength($)"},
        "End": true
    }}})
}

#[test]
fn a_large_inline_map_runs_locally_and_warns_that_aws_would_fail_it() {
    let dir = Dir::new();
    // 7,000 iterations of at least four events each: over AWS's 25,000.
    let items: Vec<Value> = (0..7000).map(|i| json!({"i": i})).collect();
    let input = json!({"items": items});
    for flags in [&[][..], &["--no-columnar"][..]] {
        let (r, o) = report(&dir, map_over_items(), input.clone(), flags);
        assert_eq!(r["output"], json!({"count": 7000}), "{flags:?}");
        let err = stderr(&o);
        assert!(
            err.contains("warning: AWS would fail this execution"),
            "{flags:?}: {err}"
        );
        assert!(err.contains("Distributed Map"), "{err}");
    }
    let (r, o) = report(&dir, map_over_items(), input, &["--aws-limits"]);
    assert_eq!(r["error"], "States.Runtime", "{r}");
    assert!(!stderr(&o).contains("warning"), "{}", stderr(&o));
}

#[test]
fn a_large_input_and_a_large_state_output_warn_or_fail_under_aws_limits() {
    let dir = Dir::new();
    let big = "x".repeat(300 * 1024);
    let pass = json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": true}}});
    let (r, o) = report(&dir, pass.clone(), json!({"blob": big}), &[]);
    assert_eq!(r["status"], "SUCCEEDED");
    let err = stderr(&o);
    assert!(
        err.contains("AWS would refuse this execution: its input is over"),
        "{err}"
    );
    let (r, _) = report(&dir, pass, json!({"blob": big}), &["--aws-limits"]);
    assert_eq!(r["error"], "States.DataLimitExceeded");

    // A state whose output grows past 256 KiB from an input under it.
    let half = "y".repeat(200 * 1024);
    let grow = json!({"StartAt": "Grow", "States": {"Grow": {"Type": "Pass",
        "Parameters": {"a.$": "$.half", "b.$": "$.half"}, "End": true}}});
    let (r, o) = report(&dir, grow.clone(), json!({"half": half}), &[]);
    assert_eq!(r["status"], "SUCCEEDED");
    assert!(
        stderr(&o).contains("the output of state 'Grow' is over the limit"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("its input"), "{}", stderr(&o));
    let (r, _) = report(&dir, grow, json!({"half": half}), &["--aws-limits"]);
    assert_eq!(r["error"], "States.DataLimitExceeded");
    assert_eq!(
        r["cause"],
        "The state/task 'Grow' returned a result with a size exceeding the maximum number of bytes service limit."
    );
}

#[test]
fn a_small_run_gives_no_warning() {
    let dir = Dir::new();
    let items: Vec<Value> = (0..10).map(|i| json!({"i": i})).collect();
    let (r, o) = report(&dir, map_over_items(), json!({"items": items}), &[]);
    assert_eq!(r["output"], json!({"count": 10}));
    assert_eq!(stderr(&o), "");
}

// ---- 7. clear messages -------------------------------------------------------------

#[test]
fn a_timestamp_path_that_finds_nothing_says_so() {
    let dir = Dir::new();
    let def = json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "TimestampPath": "$.when", "End": true}}});
    let (r, _) = report(&dir, def, json!({}), &[]);
    assert_eq!(r["error"], "States.Runtime");
    let cause = r["cause"].as_str().expect("a cause");
    assert!(
        cause.ends_with("The TimestampPath parameter does not reference an input value: $.when"),
        "{cause}"
    );
}

#[test]
fn query_language_inside_states_gets_one_diagnostic_saying_where_it_belongs() {
    let dir = Dir::new();
    let def = json!({"StartAt": "A", "States": {
        "QueryLanguage": "JSONata",
        "A": {"Type": "Pass", "Output": "{% $states.input %}", "Next": "B"},
        "B": {"Type": "Choice", "Choices": [{"Condition": "{% true %}", "Next": "C"}], "Default": "C"},
        "C": {"Type": "Succeed"}
    }});
    let d = dir.file("ql.asl.json", def);
    let o = asl(&["validate", "--format", "json", &d]);
    assert_eq!(o.status.code(), Some(3));
    let r: Value = serde_json::from_slice(&o.stdout).expect("JSON report");
    let diags = r[0]["diagnostics"].as_array().expect("diagnostics").clone();
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["pointer"], "/States/QueryLanguage");
    let msg = diags[0]["message"].as_str().unwrap_or("");
    assert!(
        msg.contains("not a state") && msg.contains("top level"),
        "{msg}"
    );
}

// ---- 9. YAML -----------------------------------------------------------------------

#[test]
fn yaml_definitions_with_anchors_merge_keys_and_block_scalars_run() {
    let dir = Dir::new();
    let yaml = r#"
# A SAM-style definition: shared settings through anchors and a merge key.
Comment: >-
  Orders, as written
  in a template
StartAt: First
States:
  First:
    Type: Pass
    Parameters: &defaults
      zip: 0755
      count: 1_000
      flag: yes
      note: |
        two
        lines
    ResultPath: $.first
    Next: Second
  Second:
    Type: Pass
    Parameters:
      <<: *defaults
      extra: true
    ResultPath: $.second
    End: true
"#;
    let d = dir.file("wf.asl.yaml", yaml);
    let o = asl(&["run", &d]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out: Value = serde_json::from_slice(&o.stdout).expect("JSON output");
    let expect = json!({"zip": "0755", "count": "1_000", "flag": "yes", "note": "two\nlines\n"});
    assert_eq!(out["first"], expect);
    let mut second = expect;
    second["extra"] = json!(true);
    assert_eq!(out["second"], second);
}

#[test]
fn bad_yaml_is_refused_with_its_line() {
    let dir = Dir::new();
    let dup = "StartAt: A\nStates:\n  A:\n    Type: Succeed\n  A:\n    Type: Succeed\n";
    let o = validate(&dir, dup);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(o.status.code(), Some(3), "{text}");
    assert!(text.contains("line 5"), "{text}");
    let o = validate(&dir, "StartAt: [\nStates: {}\n");
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stdout).contains("invalid YAML at line"));
}
