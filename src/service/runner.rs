//! Runs executions in the background and records how they end.
//!
//! A Standard execution runs on a thread of its own (never on the server's reactor)
//! with every AWS limit on; when it ends, its status, output and history are written in
//! one transaction. At start, executions a crash left RUNNING run again from their
//! start (their tasks run again: the journal that resumes them where they were is the
//! next step of the service work).

use super::Service;
use super::error::ApiResult;
use super::store::ExecutionRow;
use crate::asl::model::StateMachine;
use crate::exec::{ExecutionMode, Limits, RunOptions, Status};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// An engine event in GetExecutionHistory's shape: epoch-second timestamps,
/// `previousEventId`, and `inputDetails`/`outputDetails` beside payloads.
pub fn api_event(e: &Value) -> Value {
    let mut out = Map::new();
    let id = e["id"].as_u64().unwrap_or(0);
    let ts = e["timestamp"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp_millis() as f64 / 1000.0)
        .unwrap_or_else(super::api::now);
    out.insert("timestamp".into(), json!(ts));
    out.insert("type".into(), e["type"].clone());
    out.insert("id".into(), json!(id));
    out.insert("previousEventId".into(), json!(id.saturating_sub(1)));
    if let Some(m) = e.as_object() {
        for (k, v) in m {
            if let (true, Value::Object(d)) = (k.ends_with("EventDetails"), v) {
                let mut d = d.clone();
                if d.contains_key("input") {
                    d.insert("inputDetails".into(), json!({"truncated": false}));
                }
                if d.contains_key("output") {
                    d.insert("outputDetails".into(), json!({"truncated": false}));
                }
                out.insert(k.clone(), Value::Object(d));
            }
        }
    }
    Value::Object(out)
}

fn event_rows(events: &[Value]) -> Vec<(u64, String)> {
    events
        .iter()
        .map(|e| (e["id"].as_u64().unwrap_or(0), api_event(e).to_string()))
        .collect()
}

/// Options of a run the server starts.
pub fn run_options(
    row: &ExecutionRow,
    machine_name: &str,
    mode: ExecutionMode,
    stop: Option<Arc<AtomicBool>>,
) -> RunOptions {
    RunOptions {
        name: Some(row.name.clone()),
        state_machine_name: Some(machine_name.to_string()),
        history: mode == ExecutionMode::Standard,
        limits: Limits::aws(),
        mode,
        stop,
        execution_arn: Some(row.arn.clone()),
        state_machine_arn: Some(row.machine_arn.clone()),
        role_arn: Some(row.role_arn.clone()),
        ..RunOptions::default()
    }
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Succeeded => "SUCCEEDED",
        Status::Failed => "FAILED",
        Status::Aborted => "ABORTED",
    }
}

/// Starts a Standard execution recorded as RUNNING.
pub fn start_standard(s: &Arc<Service>, row: ExecutionRow, sm: StateMachine, machine_name: String) {
    let stop = Arc::new(AtomicBool::new(false));
    s.running
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(row.arn.clone(), Arc::clone(&stop));
    let service = Arc::clone(s);
    let spawned = std::thread::Builder::new()
        .name("asl-execution".into())
        .spawn(move || {
            let input: Value = serde_json::from_str(&row.input).unwrap_or(Value::Null);
            let opts = run_options(&row, &machine_name, ExecutionMode::Standard, Some(stop));
            let out = service.executor.run_with(&sm, input, &opts);
            let output = out.output.as_ref().map(Value::to_string);
            let recorded = service.store.finish_execution(
                &row.arn,
                status_name(out.status),
                output.as_deref(),
                out.error.as_deref(),
                out.cause.as_deref(),
                super::api::now(),
                &event_rows(&out.history),
            );
            if let Err(e) = recorded {
                eprintln!("asl serve: could not record the end of {}: {e}", row.arn);
            }
            service
                .running
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&row.arn);
        });
    if let Err(e) = spawned {
        eprintln!("asl serve: could not start {}: {e}", s.store.location);
    }
}

/// Runs an Express execution on the calling thread (StartSyncExecution).
pub fn run_express(
    s: &Service,
    row: &ExecutionRow,
    sm: &StateMachine,
    machine_name: &str,
) -> crate::exec::Execution {
    let input: Value = serde_json::from_str(&row.input).unwrap_or(Value::Null);
    let opts = run_options(row, machine_name, ExecutionMode::ExpressSync, None);
    s.executor.run_with(sm, input, &opts)
}

/// Restarts the executions a crash left RUNNING; returns how many.
pub fn recover(s: &Arc<Service>) -> Result<usize, String> {
    let rows = s.store.running().map_err(|e| format!("recovery: {e}"))?;
    let n = rows.len();
    for row in rows {
        let (machine, _) = super::arn::parse_execution(&row.arn).map_err(|e| e.to_string())?;
        match crate::asl::model::load_text(&row.definition) {
            Ok(sm) => {
                s.store
                    .truncate_events(&row.arn, 1)
                    .map_err(|e| format!("recovery: {e}"))?;
                start_standard(s, row, sm, machine);
            }
            Err(e) => {
                let _ = s.store.finish_execution(
                    &row.arn,
                    "FAILED",
                    None,
                    Some("States.Runtime"),
                    Some(&format!("the definition no longer loads: {e}")),
                    super::api::now(),
                    &[],
                );
            }
        }
    }
    Ok(n)
}

/// Stops a running execution: its run ends before its next state (Waits end early).
/// Returns whether this process was running it.
pub fn stop(s: &Service, arn: &str) -> ApiResult<bool> {
    let flag = s
        .running
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(arn)
        .cloned();
    let Some(flag) = flag else { return Ok(false) };
    flag.store(true, std::sync::atomic::Ordering::Relaxed);
    // The run records its own end (with its history) within a state; a Task that is
    // still working is not waited for.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while std::time::Instant::now() < deadline {
        match s.store.execution(arn)? {
            Some(e) if e.status != "RUNNING" => return Ok(true),
            _ => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    }
    Ok(true)
}
