//! The callback pattern (`.waitForTaskToken`) in `asl serve` over real HTTP (a real
//! SQLite file, `kill -9`), and on the executor as a library: tokens handed out,
//! answered with SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat, refused when
//! stale or malformed.

mod harness;

use asl_engine::asl::model::load_text;
use asl_engine::exec::callback::CallbackError;
use asl_engine::exec::{Executor, RunOptions, Status};
use harness::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// An order over a limit waits for approval: approved → Approved, rejected (a
/// SendTaskFailure with error `Rejected`) → Catch → Rejected; any other task failure is
/// retried once (a new token).
fn approval() -> String {
    json!({"StartAt": "Ask", "States": {
        "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": "https://sqs.local/approvals",
                               "MessageBody": {"token.$": "$$.Task.Token", "order.$": "$"}},
                "ResultPath": "$.decision",
                "Retry": [{"ErrorEquals": ["Flaky"], "MaxAttempts": 1, "IntervalSeconds": 1}],
                "Catch": [{"ErrorEquals": ["Rejected"], "ResultPath": "$.why", "Next": "Rejected"}],
                "Next": "Approved"},
        "Approved": {"Type": "Pass", "End": true},
        "Rejected": {"Type": "Pass", "Result": "rejected", "ResultPath": "$.outcome", "End": true}}})
    .to_string()
}

/// `asl send-task-*` with `args` against `endpoint`.
fn send_task(endpoint: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_asl"))
        .args(args)
        .args(["--endpoint", endpoint])
        .output()
        .expect("asl runs")
}

/// A state machine on the server; its ARN.
fn create(s: &Server, name: &str, def: &Value) -> String {
    s.ok(
        "CreateStateMachine",
        json!({"name": name, "definition": def.to_string(), "roleArn": ROLE}),
    )
    .field("stateMachineArn")
}

/// The approval machine on the server.
fn approval_machine(s: &Server) -> String {
    let def: Value = serde_json::from_str(&approval()).expect("JSON");
    create(s, "approval", &def)
}

/// The tokens handed out so far, from the history (TaskScheduled's parameters).
fn tokens(s: &Server, exec: &str) -> Vec<String> {
    let h = s.ok(
        "GetExecutionHistory",
        json!({"executionArn": exec, "maxResults": 1000}),
    );
    h["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["type"] == "TaskScheduled")
        .filter_map(|e| {
            let p: Value =
                serde_json::from_str(e["taskScheduledEventDetails"]["parameters"].as_str()?)
                    .ok()?;
            Some(p["MessageBody"]["token"].as_str()?.to_string())
        })
        .collect()
}

/// Waits until `exec` has handed out `n` tokens (its task is waiting).
fn wait_tokens(s: &Server, exec: &str, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let t = tokens(s, exec);
        if t.len() >= n {
            return t;
        }
        assert!(
            Instant::now() < deadline,
            "{exec}: {} tokens of {n}",
            t.len()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn start(s: &Server, machine: &str, input: Value) -> String {
    s.ok(
        "StartExecution",
        json!({"stateMachineArn": machine, "input": input.to_string()}),
    )
    .field("executionArn")
}

fn event_types(s: &Server, exec: &str) -> Vec<String> {
    s.ok(
        "GetExecutionHistory",
        json!({"executionArn": exec, "maxResults": 1000}),
    )["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["type"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn approvals_are_answered_through_the_api_and_survive_a_restart() {
    let dir = Dir::new();
    let s = Server::start(&dir.db());
    let machine = approval_machine(&s);

    // Approved: the output is the answer.
    let exec = start(&s, &machine, json!({"id": 7, "amount": 900}));
    let token = wait_tokens(&s, &exec, 1).remove(0);
    assert_eq!(
        s.ok("DescribeExecution", json!({"executionArn": exec}))["status"],
        "RUNNING"
    );
    s.ok("SendTaskHeartbeat", json!({"taskToken": token}));
    s.ok(
        "SendTaskSuccess",
        json!({"taskToken": token, "output": "{\"approved\": true, \"by\": \"ana\"}"}),
    );
    let done = wait_done(&s, &exec);
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    let out: Value = serde_json::from_str(done["output"].as_str().unwrap()).unwrap();
    assert_eq!(
        out,
        json!({"id": 7, "amount": 900, "decision": {"approved": true, "by": "ana"}})
    );
    // Each event once, in order, though the execution parked and ran again.
    let types = event_types(&s, &exec);
    assert_eq!(
        types,
        [
            "ExecutionStarted",
            "TaskStateEntered",
            "TaskScheduled",
            "TaskStarted",
            "TaskSubmitted",
            "TaskSucceeded",
            "TaskStateExited",
            "PassStateEntered",
            "PassStateExited",
            "ExecutionSucceeded"
        ],
    );
    // The task has ended: its token is refused; text that is no token is invalid.
    assert_eq!(
        s.err(
            "SendTaskSuccess",
            json!({"taskToken": token, "output": "{}"})
        ),
        "TaskTimedOut"
    );
    assert_eq!(
        s.err("SendTaskHeartbeat", json!({"taskToken": "not-a-token"})),
        "InvalidToken"
    );
    assert_eq!(
        s.err(
            "SendTaskSuccess",
            json!({"taskToken": token, "output": "{not json"})
        ),
        "InvalidOutput"
    );

    // Rejected: the failure is caught.
    let exec = start(&s, &machine, json!({"id": 8}));
    let token = wait_tokens(&s, &exec, 1).remove(0);
    s.ok(
        "SendTaskFailure",
        json!({"taskToken": token, "error": "Rejected", "cause": "over budget"}),
    );
    let done = wait_done(&s, &exec);
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    let out: Value = serde_json::from_str(done["output"].as_str().unwrap()).unwrap();
    assert_eq!(out["outcome"], "rejected");
    assert_eq!(
        out["why"],
        json!({"Error": "Rejected", "Cause": "over budget"})
    );

    // A Retry hands out a new token; the replaced attempt's token is refused.
    let exec = start(&s, &machine, json!({"id": 9}));
    let first = wait_tokens(&s, &exec, 1).remove(0);
    s.ok(
        "SendTaskFailure",
        json!({"taskToken": first, "error": "Flaky"}),
    );
    let both = wait_tokens(&s, &exec, 2);
    assert_ne!(both[0], both[1]);
    assert_eq!(
        s.err(
            "SendTaskSuccess",
            json!({"taskToken": first, "output": "{}"})
        ),
        "TaskTimedOut"
    );

    // The server is killed while the retried task waits; its token still works after
    // the restart.
    s.kill9();
    let s = Server::start(&dir.db());
    s.ok(
        "SendTaskSuccess",
        json!({"taskToken": both[1], "output": "{\"approved\": true}"}),
    );
    let done = wait_done(&s, &exec);
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    let out: Value = serde_json::from_str(done["output"].as_str().unwrap()).unwrap();
    assert_eq!(out["decision"], json!({"approved": true}));
}

#[test]
fn an_unanswered_callback_times_out_by_heartbeat_and_a_stop_ends_the_wait() {
    let dir = Dir::new();
    let s = Server::start(&dir.db());
    let def = json!({"StartAt": "Ask", "States": {
        "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"MessageBody": {"token.$": "$$.Task.Token"}},
                "HeartbeatSeconds": 1, "TimeoutSeconds": 600, "End": true}}});
    let machine = create(&s, "beat", &def);
    let exec = start(&s, &machine, json!({}));
    let token = wait_tokens(&s, &exec, 1).remove(0);
    let done = wait_done(&s, &exec);
    assert_eq!(done["status"], "FAILED", "{done}");
    assert_eq!(done["error"], "States.HeartbeatTimeout", "{done}");
    assert!(event_types(&s, &exec).iter().any(|t| t == "TaskTimedOut"));
    assert_eq!(
        s.err("SendTaskHeartbeat", json!({"taskToken": token})),
        "TaskTimedOut"
    );

    // A waiting execution stopped: its token is refused after.
    let def = json!({"StartAt": "Ask", "States": {
        "Ask": {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"MessageBody": {"token.$": "$$.Task.Token"}}, "End": true}}});
    let machine = create(&s, "stop", &def);
    let exec = start(&s, &machine, json!({}));
    let token = wait_tokens(&s, &exec, 1).remove(0);
    s.ok("StopExecution", json!({"executionArn": exec}));
    assert_eq!(wait_done(&s, &exec)["status"], "ABORTED");
    assert_eq!(
        s.err(
            "SendTaskSuccess",
            json!({"taskToken": token, "output": "{}"})
        ),
        "TaskTimedOut"
    );
}

/// Library users answer on the executor; the run's thread waits for it.
#[test]
fn the_executor_answers_tokens_of_runs_without_a_journal() {
    let sm = load_text(&approval()).expect("loads");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let tx = std::sync::Mutex::new(tx);
    let ex = std::sync::Arc::new(
        Executor::builder()
            .task(
                "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                move |req: &asl_engine::exec::TaskRequest<'_>| {
                    let token = req.input["MessageBody"]["token"]
                        .as_str()
                        .unwrap_or_default()
                        .to_string();
                    tx.lock().unwrap().send(token).unwrap();
                    Ok(json!({"MessageId": "m-1"}))
                },
            )
            .build(),
    );
    let answers = {
        let ex = std::sync::Arc::clone(&ex);
        std::thread::spawn(move || {
            let first = rx.recv().expect("a token");
            assert_eq!(
                ex.send_task_heartbeat("not-a-token"),
                Err(CallbackError::InvalidToken("not-a-token".into()))
            );
            ex.send_task_failure(&first, Some("Flaky"), None)
                .expect("answered");
            let second = rx.recv().expect("a new token after the retry");
            assert_ne!(first, second);
            assert!(matches!(
                ex.send_task_success(&first, json!({})),
                Err(CallbackError::TaskTimedOut(_))
            ));
            ex.send_task_success(&second, json!({"approved": true}))
                .expect("answered");
        })
    };
    let out = ex.run_with(&sm, json!({"id": 1}), &RunOptions::default());
    answers.join().expect("the answering thread");
    assert_eq!(out.status, Status::Succeeded, "{:?}", out.error);
    assert_eq!(
        out.output,
        Some(json!({"id": 1, "decision": {"approved": true}}))
    );
}

/// `asl send-task-*` answers tokens through the API of a running `asl serve`.
#[test]
fn asl_send_task_commands_answer_tokens() {
    let dir = Dir::new();
    let s = Server::start(&dir.db());
    let machine = approval_machine(&s);
    let endpoint = format!("http://{}", s.addr);
    let asl = |args: &[&str]| send_task(&endpoint, args);
    let exec = start(&s, &machine, json!({"id": 1}));
    let token = wait_tokens(&s, &exec, 1).remove(0);
    let out = asl(&["send-task-heartbeat", "--token", &token]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = asl(&[
        "send-task-success",
        "--token",
        &token,
        "--output",
        r#"{"approved": true}"#,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let done = wait_done(&s, &exec);
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    // The same token again: refused with AWS's code, exit 1.
    let out = asl(&[
        "send-task-failure",
        "--token",
        &token,
        "--error",
        "Rejected",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("TaskTimedOut"), "{err}");

    let exec = start(&s, &machine, json!({"id": 2}));
    let token = wait_tokens(&s, &exec, 1).remove(0);
    let out = asl(&[
        "send-task-failure",
        "--token",
        &token,
        "--error",
        "Rejected",
        "--cause",
        "no budget",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let done = wait_done(&s, &exec);
    let out: Value = serde_json::from_str(done["output"].as_str().unwrap()).unwrap();
    assert_eq!(
        out["why"],
        json!({"Error": "Rejected", "Cause": "no budget"})
    );
    // Output that is not JSON never leaves the command.
    let bad = asl(&["send-task-success", "--token", &token, "--output", "{nope"]);
    assert_eq!(bad.status.code(), Some(2));
}

/// `asl run --listen`: the run's callback tokens are answered through the API by
/// `asl send-task-*` from another process (the token reaches it through a
/// resources-file command that writes its input to a file).
#[test]
fn asl_run_listen_answers_its_tokens() {
    let dir = Dir::new();
    let (token_file, resources, definition) = approval_files(&dir);
    let input = dir.0.join("input.json");
    std::fs::write(&input, "{}").unwrap();
    let (child, endpoint, _) = listening_run(&definition, &resources, input.to_str().unwrap());
    let deadline = Instant::now() + Duration::from_secs(30);
    while !token_file.exists() {
        assert!(Instant::now() < deadline, "no token written");
        std::thread::sleep(Duration::from_millis(20));
    }
    let message: Value = serde_json::from_slice(&std::fs::read(&token_file).unwrap()).unwrap();
    let token = message["MessageBody"]["token"].as_str().expect("a token");
    let send = |args: &[&str]| send_task(&endpoint, args);
    assert!(
        send(&["send-task-heartbeat", "--token", token])
            .status
            .success()
    );
    let bad = send(&["send-task-heartbeat", "--token", "nonsense"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("InvalidToken"));
    let ok = send(&[
        "send-task-success",
        "--token",
        token,
        "--output",
        r#"{"approved": "yes"}"#,
    ]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let out = child.wait_with_output().expect("asl run ends");
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("the output");
    assert_eq!(v["decision"], json!({"approved": "yes"}));
}

/// The approval definition and a resources file whose command writes each message
/// (with its token) to a file: (message file, resources file, definition file).
fn approval_files(dir: &Dir) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let token_file = dir.0.join("message.json");
    let resources = dir.0.join("resources.json");
    std::fs::write(
        &resources,
        json!({"arn:aws:states:::sqs:sendMessage.waitForTaskToken": {"command": [
            "sh", "-c", format!("cat > {f}.tmp && mv {f}.tmp {f} && echo '{{}}'",
                f = token_file.display())]}})
        .to_string(),
    )
    .unwrap();
    let definition = dir.0.join("approval.json");
    std::fs::write(&definition, approval()).unwrap();
    (token_file, resources, definition)
}

/// `asl run DEF --listen 127.0.0.1:0 --resources R` started; the endpoint it prints,
/// and the rest of its stderr once it ends.
fn listening_run(
    definition: &std::path::Path,
    resources: &std::path::Path,
    input: &str,
) -> (std::process::Child, String, std::thread::JoinHandle<String>) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_asl"))
        .args([
            "run",
            definition.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ])
        .args(["--resources", resources.to_str().unwrap(), "--input", input])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("asl run starts");
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().expect("a line").expect("stderr");
    let endpoint = first
        .split("listening on ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in: {first}"))
        .to_string();
    let rest =
        std::thread::spawn(move || lines.map_while(Result::ok).collect::<Vec<_>>().join("\n"));
    (child, endpoint, rest)
}

/// Waits until `file` holds a token other than `not`; returns it.
fn next_token(file: &std::path::Path, not: Option<&str>) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(t) = std::fs::read(file)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .and_then(|m| m["MessageBody"]["token"].as_str().map(str::to_string))
            && Some(t.as_str()) != not
        {
            return t;
        }
        assert!(Instant::now() < deadline, "no new token written");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The flows of `asl serve`'s callback tests, in `asl run --listen` with
/// `asl send-task-*`: a Retry's new token (the old one is refused), a rejection that
/// the Catch takes, and a heartbeat timeout.
#[test]
fn asl_run_listen_rejection_retry_and_heartbeat_timeout() {
    let dir = Dir::new();
    let (token_file, resources, definition) = approval_files(&dir);
    let input = dir.0.join("input.json");
    std::fs::write(&input, r#"{"order": 7}"#).unwrap();

    let (child, endpoint, _) = listening_run(&definition, &resources, input.to_str().unwrap());
    let send = |args: &[&str]| send_task(&endpoint, args);
    let first = next_token(&token_file, None);
    let flaky = send(&["send-task-failure", "--token", &first, "--error", "Flaky"]);
    assert!(
        flaky.status.success(),
        "{}",
        String::from_utf8_lossy(&flaky.stderr)
    );
    // The Retry's attempt hands out a new token; the old one is refused.
    let second = next_token(&token_file, Some(&first));
    let stale = send(&["send-task-success", "--token", &first, "--output", "{}"]);
    assert_eq!(stale.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&stale.stderr).contains("TaskTimedOut"));
    let rejected = send(&[
        "send-task-failure",
        "--token",
        &second,
        "--error",
        "Rejected",
        "--cause",
        "too expensive",
    ]);
    assert!(
        rejected.status.success(),
        "{}",
        String::from_utf8_lossy(&rejected.stderr)
    );
    let out = child.wait_with_output().expect("asl run ends");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("the output");
    assert_eq!(
        v,
        json!({"order": 7, "why": {"Error": "Rejected", "Cause": "too expensive"}, "outcome": "rejected"})
    );

    // Nobody answers a Task with HeartbeatSeconds: States.HeartbeatTimeout.
    let mut def: Value = serde_json::from_str(&approval()).unwrap();
    def["States"]["Ask"]["HeartbeatSeconds"] = json!(1);
    std::fs::write(&definition, def.to_string()).unwrap();
    std::fs::remove_file(&token_file).unwrap();
    let (child, _, stderr) = listening_run(&definition, &resources, input.to_str().unwrap());
    let out = child.wait_with_output().expect("asl run ends");
    assert_eq!(out.status.code(), Some(1));
    let stderr = stderr.join().expect("stderr");
    assert!(stderr.contains("States.HeartbeatTimeout"), "{stderr}");
}
