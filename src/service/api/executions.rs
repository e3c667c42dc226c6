//! Executions: Start, StartSync, Describe, List, GetExecutionHistory, Stop.

use super::{Req, find_execution, list_page, now};
use crate::exec::{MAX_PAYLOAD_BYTES, Status};
use crate::service::Service;
use crate::service::arn::{check_name, parse_execution};
use crate::service::error::{ApiError, ApiResult, Code};
use crate::service::runner;
use crate::service::store::ExecutionRow;
use serde_json::{Value, json};
use std::sync::Arc;

/// The input of a start: JSON text of at most 256 KiB (`{}` when absent).
fn input_of(r: &Req<'_>) -> ApiResult<String> {
    let input = r.opt_str("input")?.unwrap_or("{}").to_string();
    if input.len() > MAX_PAYLOAD_BYTES {
        return Err(ApiError::new(
            Code::InvalidExecutionInput,
            format!(
                "Invalid State Machine Execution Input: 'The input is {} bytes, over the limit of {MAX_PAYLOAD_BYTES} bytes'",
                input.len()
            ),
        ));
    }
    if let Err(e) = serde_json::from_str::<Value>(&input) {
        return Err(ApiError::new(
            Code::InvalidExecutionInput,
            format!("Invalid State Machine Execution Input: '{e}'"),
        ));
    }
    Ok(input)
}

/// What a start needs: the machine, its loaded definition, the execution's row.
fn prepare(
    s: &Service,
    r: &Req<'_>,
    express: bool,
) -> ApiResult<(Arc<crate::asl::model::StateMachine>, ExecutionRow, String)> {
    // `stateMachineArn#TestCase` runs a test case of the mock configuration.
    let (asked, case_name) = match r.str("stateMachineArn")?.split_once('#') {
        Some((arn, case)) => (arn, Some(case)),
        None => (r.str("stateMachineArn")?, None),
    };
    let target = super::versions::resolve(s, asked)?;
    let version = match (&target.version, &target.alias) {
        (Some(v), _) => Some(v.clone()),
        (None, Some(a)) => Some(super::versions::route(s, a)?),
        (None, None) => None,
    };
    let alias_arn = target.alias.as_ref().map(super::versions::alias_arn_of);
    let mut m = target.machine;
    if let Some(v) = &version {
        m.definition = v.definition.clone();
        m.role_arn = v.role_arn.clone();
    }
    let name = match r.opt_str("name")? {
        Some(n) => {
            check_name(n, "execution")?;
            n.to_string()
        }
        None => uuid::Uuid::new_v4().to_string(),
    };
    let input = input_of(r)?;
    if express != (m.kind == "EXPRESS") && express {
        return Err(ApiError::new(
            Code::StateMachineTypeNotSupported,
            "This operation is not supported by this type of state machine",
        ));
    }
    let sm = s.load(&m.definition).map_err(|e| {
        ApiError::internal(format!("{}: stored definition does not load: {e}", m.arn))
    })?;
    let test_case = match case_name {
        Some(case) => Some(s.test_case(&m.name, case, &sm)?),
        None => None,
    };
    let arn = if m.kind == "EXPRESS" {
        s.place.express_execution(&m.name, &name)
    } else {
        s.place.execution(&m.name, &name)
    };
    let row = ExecutionRow {
        arn,
        machine_arn: m.arn.clone(),
        name,
        status: "RUNNING".into(),
        input,
        output: None,
        error: None,
        cause: None,
        started: now(),
        stopped: None,
        definition: m.definition.clone(),
        role_arn: m.role_arn.clone(),
        version_arn: version.as_ref().map(super::versions::version_arn),
        alias_arn,
        redrive_count: 0,
        redrive_date: None,
        segments: "[]".into(),
        pending_from: None,
        test_case: test_case.map(|c| c.name.clone()),
    };
    Ok((sm, row, m.name))
}

pub(super) fn start(s: &Arc<Service>, r: &Req<'_>) -> ApiResult<Value> {
    let (sm, row, machine) = prepare(s, r, false)?;
    if row.arn.contains(":express:") {
        // An asynchronous Express execution: kept in memory only, as on AWS.
        let service = Arc::clone(s);
        let (arn, started) = (row.arn.clone(), row.started);
        std::thread::Builder::new()
            .name("asl-express".into())
            .spawn(move || {
                runner::run_express(&service, &row, &sm, &machine);
            })
            .map_err(ApiError::internal)?;
        return Ok(json!({"executionArn": arn, "startDate": started}));
    }
    // AWS: the same name and input as a RUNNING execution is that execution; a closed
    // one, or another input, is an error.
    let existing = |old: ExecutionRow| -> ApiResult<Value> {
        if old.status == "RUNNING" && old.input == row.input {
            return Ok(json!({"executionArn": old.arn, "startDate": old.started}));
        }
        Err(ApiError::new(
            Code::ExecutionAlreadyExists,
            format!("Execution Already Exists: '{}'", old.arn),
        ))
    };
    if let Some(old) = s.store.execution(&row.arn)? {
        return existing(old);
    }
    let started = json!({
        "timestamp": row.started,
        "type": "ExecutionStarted",
        "id": 1,
        "previousEventId": 0,
        "executionStartedEventDetails": {
            "input": row.input,
            "inputDetails": {"truncated": false},
            "roleArn": row.role_arn,
        },
    });
    if let Err(e) = s.store.insert_execution(&row, &[(1, started.to_string())]) {
        // Started meanwhile by a concurrent request with the same name.
        return match (super::is_conflict(&e), s.store.execution(&row.arn)?) {
            (true, Some(old)) => existing(old),
            _ => Err(e.into()),
        };
    }
    let answer = json!({"executionArn": row.arn, "startDate": row.started});
    runner::start_standard(s, row, sm, machine);
    Ok(answer)
}

pub(super) fn start_sync(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let (sm, row, machine) = prepare(s, r, true)?;
    let out = runner::run_express(s, &row, &sm, &machine);
    let mut v = json!({
        "executionArn": row.arn,
        "stateMachineArn": row.machine_arn,
        "name": row.name,
        "startDate": row.started,
        "stopDate": now(),
        "status": match out.status {
            Status::Succeeded => "SUCCEEDED",
            Status::Failed | Status::Aborted | Status::Suspended => "FAILED",
        },
        "input": row.input,
        "inputDetails": {"included": true},
        "billingDetails": {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": 100},
    });
    match out.status {
        Status::Succeeded => {
            v["output"] = json!(out.output.unwrap_or(Value::Null).to_string());
            v["outputDetails"] = json!({"included": true});
        }
        _ => {
            if let Some(e) = out.error {
                v["error"] = json!(e);
            }
            if let Some(c) = out.cause {
                v["cause"] = json!(c);
            }
        }
    }
    Ok(v)
}

/// The fields DescribeExecution and ListExecutions share.
fn summary(e: &ExecutionRow) -> Value {
    let mut v = json!({
        "executionArn": e.arn,
        "stateMachineArn": e.machine_arn,
        "name": e.name,
        "status": e.status,
        "startDate": e.started,
        "redriveCount": e.redrive_count,
    });
    let optional = [
        ("stopDate", e.stopped.map(|t| json!(t))),
        ("redriveDate", e.redrive_date.map(|t| json!(t))),
        (
            "stateMachineVersionArn",
            e.version_arn.as_ref().map(|x| json!(x)),
        ),
        (
            "stateMachineAliasArn",
            e.alias_arn.as_ref().map(|x| json!(x)),
        ),
    ];
    for (k, x) in optional {
        if let Some(x) = x {
            v[k] = x;
        }
    }
    v
}

pub(super) fn describe(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let e = find_execution(s, r.str("executionArn")?)?;
    let mut v = summary(&e);
    v["input"] = json!(e.input);
    v["inputDetails"] = json!({"included": true});
    match redrivable(&e) {
        Ok(()) => v["redriveStatus"] = json!("REDRIVABLE"),
        Err(why) => {
            v["redriveStatus"] = json!("NOT_REDRIVABLE");
            v["redriveStatusReason"] = json!(why);
        }
    }
    if let Some(o) = e.output {
        v["output"] = json!(o);
        v["outputDetails"] = json!({"included": true});
    }
    if let Some(x) = e.error {
        v["error"] = json!(x);
    }
    if let Some(x) = e.cause {
        v["cause"] = json!(x);
    }
    Ok(v)
}

const STATUSES: &[&str] = &[
    "RUNNING",
    "SUCCEEDED",
    "FAILED",
    "TIMED_OUT",
    "ABORTED",
    "PENDING_REDRIVE",
];

pub(super) fn list(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let asked = r.str("stateMachineArn")?;
    let target = super::versions::resolve(s, asked)?;
    let qualified = (target.version.is_some() || target.alias.is_some()).then_some(asked);
    let m = target.machine;
    let status = r.opt_str("statusFilter")?;
    if let Some(st) = status
        && !STATUSES.contains(&st)
    {
        return Err(ApiError::new(
            Code::ValidationException,
            format!(
                "1 validation error detected: Value '{st}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [{}]",
                STATUSES.join(", ")
            ),
        ));
    }
    if m.kind == "EXPRESS" {
        return Err(ApiError::new(
            Code::StateMachineTypeNotSupported,
            "This operation is not supported by this type of state machine",
        ));
    }
    list_page(
        r,
        "executions",
        |offset, limit| s.store.executions(&m.arn, qualified, status, offset, limit),
        |rows| rows.iter().map(summary).collect(),
    )
}

/// Drops payloads from an event (`includeExecutionData: false`).
fn without_data(mut e: Value) -> Value {
    if let Value::Object(m) = &mut e {
        for (k, v) in m.iter_mut() {
            if let (true, Value::Object(d)) = (k.ends_with("EventDetails"), v) {
                for field in ["input", "output", "inputDetails", "outputDetails"] {
                    d.remove(field);
                }
            }
        }
    }
    e
}

pub(super) fn history(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let e = find_execution(s, r.str("executionArn")?)?;
    let reverse = r.opt_bool("reverseOrder")?.unwrap_or(false);
    let with_data = r.opt_bool("includeExecutionData")?.unwrap_or(true);
    list_page(
        r,
        "events",
        |offset, limit| s.store.events(&e.arn, reverse, offset, limit),
        |rows| {
            rows.iter()
                .filter_map(|b| serde_json::from_str(b).ok())
                .map(|ev| if with_data { ev } else { without_data(ev) })
                .collect()
        },
    )
}

pub(super) fn stop(s: &Arc<Service>, r: &Req<'_>) -> ApiResult<Value> {
    let arn = r.str("executionArn")?;
    let e = find_execution(s, arn)?;
    let error = r.opt_str("error")?;
    let cause = r.opt_str("cause")?;
    if e.status != "RUNNING" {
        // AWS answers with the stop date of an execution that already ended.
        return Ok(json!({"stopDate": e.stopped.unwrap_or_else(now)}));
    }
    runner::stop(s, arn, error, cause)?;
    let at = now();
    // Not ended by its run within the wait (or not running here): end it now.
    let aborted = json!({
        "timestamp": at,
        "type": "ExecutionAborted",
        "id": 0,
        "executionAbortedEventDetails": {},
    });
    if let Some(cur) = s.store.execution(arn)?
        && cur.status == "RUNNING"
    {
        let last = s.store.events(arn, true, 0, 1)?;
        let last_id = last
            .first()
            .and_then(|b| serde_json::from_str::<Value>(b).ok())
            .and_then(|v| v["id"].as_u64())
            .unwrap_or(1);
        let mut ev = aborted;
        if let Some(e) = error {
            ev["executionAbortedEventDetails"]["error"] = json!(e);
        }
        if let Some(c) = cause {
            ev["executionAbortedEventDetails"]["cause"] = json!(c);
        }
        ev["id"] = json!(last_id + 1);
        ev["previousEventId"] = json!(last_id);
        s.store.finish_execution(
            arn,
            "ABORTED",
            None,
            error,
            cause,
            at,
            &[(last_id + 1, ev.to_string())],
            false,
        )?;
    }
    let ended = s.store.execution(arn)?;
    // Children that a `.sync` Task of this execution waits for stop too; a parent that
    // waits for this one hears of its end.
    super::nested::stop_children(s, arn, error, cause);
    if let Some(row) = &ended {
        super::nested::child_ended(s, row);
    }
    let stopped = ended.and_then(|e| e.stopped).unwrap_or(at);
    Ok(json!({"stopDate": stopped}))
}

/// AWS's redrive quota: at most 1,000 redrives, within 14 days of the execution's end.
const MAX_REDRIVES: i64 = 1000;
const REDRIVE_WINDOW_SECONDS: f64 = 14.0 * 24.0 * 3600.0;

/// Whether an execution may be redriven, and why not (AWS's reasons).
fn redrivable(e: &ExecutionRow) -> Result<(), String> {
    if e.arn.contains(":express:") {
        return Err("Execution is of type EXPRESS and cannot be redriven".into());
    }
    if !matches!(e.status.as_str(), "FAILED" | "TIMED_OUT" | "ABORTED") {
        return Err(format!("Execution is {} and cannot be redriven", e.status));
    }
    if e.redrive_count >= MAX_REDRIVES {
        return Err(format!(
            "Execution has been redriven {MAX_REDRIVES} times and cannot be redriven again"
        ));
    }
    if e.stopped
        .is_some_and(|t| now() - t > REDRIVE_WINDOW_SECONDS)
    {
        return Err("Execution ended more than 14 days ago and cannot be redriven".into());
    }
    Ok(())
}

/// RedriveExecution: a FAILED, TIMED_OUT or ABORTED Standard execution goes on from the
/// states that did not complete: its journal keeps every successful Task result (a Map
/// re-runs only its unsuccessful iterations), drops the failed attempts, and the run is
/// replayed with `$$.Execution.RedriveCount` one higher.
pub(super) fn redrive(s: &Arc<Service>, r: &Req<'_>) -> ApiResult<Value> {
    let arn = r.str("executionArn")?;
    let e = find_execution(s, arn)?;
    if let Err(why) = redrivable(&e) {
        return Err(ApiError::new(Code::ExecutionNotRedrivable, why));
    }
    let at = now();
    let id = s.store.last_event_id(arn)? + 1;
    let event = json!({
        "timestamp": at,
        "type": "ExecutionRedriven",
        "id": id,
        "previousEventId": id - 1,
        "executionRedrivenEventDetails": {"redriveCount": e.redrive_count + 1},
    });
    if !s.store.redrive(arn, at, (id, event.to_string()))? {
        return Err(ApiError::new(
            Code::ExecutionNotRedrivable,
            "Execution is RUNNING and cannot be redriven",
        ));
    }
    let row = find_execution(s, arn)?;
    let (machine, _) = parse_execution(arn)?;
    let sm = s
        .load(&row.definition)
        .map_err(|e| ApiError::internal(format!("{arn}: stored definition does not load: {e}")))?;
    runner::start_standard(s, row, sm, machine);
    Ok(json!({"redriveDate": at}))
}
