//! Callbacks: SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat answer the token
//! that a `.waitForTaskToken` Task handed out (see `exec::callback`). The answer goes
//! into the execution's journal under the task attempt's key, and the execution is
//! woken: its replay finds the answer there.

use super::{Req, journal_entry};
use crate::asl::Failure;
use crate::exec::MAX_PAYLOAD_BYTES;
use crate::exec::callback::Token;
use crate::exec::journal::Entry;
use crate::exec::sfn_sdk::{Send, sdk_failure};
use crate::exec::{Executor, TaskHandler, TaskRequest};
use crate::service::Service;
use crate::service::error::{ApiError, ApiResult, Code};
use crate::service::runner;
use serde_json::{Map, Value, json};
use std::sync::{Arc, Weak};

/// AWS's limits on the fields.
const MAX_TOKEN: usize = 2048;
const MAX_ERROR: usize = 256;
const MAX_CAUSE: usize = 32768;

fn too_long(field: &str, max: usize) -> ApiError {
    ApiError::new(
        Code::ValidationException,
        format!(
            "1 validation error detected: Value at '{field}' failed to satisfy constraint: Member must have length less than or equal to {max}"
        ),
    )
}

/// The token of a request, checked against the execution's journal: its task must be
/// waiting for it.
fn waiting_task(s: &Service, r: &Req<'_>) -> ApiResult<Token> {
    waiting(s, r.str("taskToken")?)
}

/// Answers `token` from inside the server (a nested execution's end), as
/// SendTaskSuccess or SendTaskFailure would, one answer at a time.
pub(super) fn answer_token(s: &Arc<Service>, token: &str, result: Entry) -> ApiResult<Value> {
    let _one_at_a_time = s.control.lock().unwrap_or_else(|p| p.into_inner());
    let token = waiting(s, token)?;
    answer(s, &token, result)
}

/// The token `text`, if its task waits for it: `InvalidToken`, `TaskDoesNotExist` or
/// `TaskTimedOut` otherwise.
pub(super) fn waiting(s: &Service, text: &str) -> ApiResult<Token> {
    if text.is_empty() {
        return Err(ApiError::new(
            Code::ValidationException,
            "1 validation error detected: Value at 'taskToken' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ));
    }
    if text.len() > MAX_TOKEN {
        return Err(too_long("taskToken", MAX_TOKEN));
    }
    let invalid = || ApiError::new(Code::InvalidToken, format!("Invalid Token: '{text}'"));
    let token = Token::decode(text).ok_or_else(invalid)?;
    let missing = || {
        ApiError::new(
            Code::TaskDoesNotExist,
            "Task Does Not Exist: 'Provided task does not exist'",
        )
    };
    let row = s.store.execution(&token.execution)?.ok_or_else(missing)?;
    match journal_entry(s, &row.arn, &format!("{}/token", token.key))? {
        Some(Entry::Result(Ok(Value::String(t)))) if t == text => {}
        _ => return Err(missing()),
    }
    if row.status != "RUNNING" || journal_entry(s, &row.arn, &token.key)?.is_some() {
        return Err(ApiError::new(
            Code::TaskTimedOut,
            "Task Timed Out: 'Provided task does not exist anymore'",
        ));
    }
    Ok(token)
}

/// Records the task's result and wakes its execution.
fn answer(s: &Arc<Service>, token: &Token, result: Entry) -> ApiResult<Value> {
    s.store
        .put_journal(&token.execution, &token.key, &result.to_json().to_string())?;
    // An activity's task leaves its queue (a worker may not have taken it).
    s.store.remove_activity_task(&token.encode())?;
    runner::wake(s, &token.execution);
    Ok(json!({}))
}

pub(super) fn success(s: &Arc<Service>, r: &Req<'_>) -> ApiResult<Value> {
    let output = r.str("output")?;
    if output.len() > MAX_PAYLOAD_BYTES {
        return Err(too_long("output", MAX_PAYLOAD_BYTES));
    }
    let value: Value = serde_json::from_str(output).map_err(|e| {
        ApiError::new(
            Code::InvalidOutput,
            format!("Invalid Output: 'the output is not JSON: {e}'"),
        )
    })?;
    let token = waiting_task(s, r)?;
    answer(s, &token, Entry::Result(Ok(value)))
}

pub(super) fn failure(s: &Arc<Service>, r: &Req<'_>) -> ApiResult<Value> {
    let error = r.opt_str("error")?;
    let cause = r.opt_str("cause")?;
    if error.is_some_and(|e| e.chars().count() > MAX_ERROR) {
        return Err(too_long("error", MAX_ERROR));
    }
    if cause.is_some_and(|c| c.chars().count() > MAX_CAUSE) {
        return Err(too_long("cause", MAX_CAUSE));
    }
    let token = waiting_task(s, r)?;
    answer(
        s,
        &token,
        Entry::Result(Err(crate::asl::Failure {
            error: error.map(str::to_string),
            cause: cause.map(str::to_string),
        })),
    )
}

pub(super) fn heartbeat(s: &Arc<Service>, r: &Req<'_>) -> ApiResult<Value> {
    let token = waiting_task(s, r)?;
    // The heartbeat deadline counts from here; the parked execution need not wake.
    s.store.put_journal(
        &token.execution,
        &format!("{}/beat", token.key),
        &Entry::Until(chrono::Utc::now()).to_json().to_string(),
    )?;
    Ok(json!({}))
}

/// The sfn SDK integration (`arn:aws:states:::aws-sdk:sfn:sendTaskSuccess`, …Failure,
/// …Heartbeat) answered by this server: a workflow's answer (a child's to the parent
/// that started it with `.waitForTaskToken`) goes through the API's own checks; a
/// refusal fails the Task with the SDK's error name (`Sfn.TaskTimedOutException`).
struct SendTask {
    service: Weak<Service>,
    send: Send,
}

/// Registers the three resources on the server's executor.
pub fn register(executor: &mut Executor, service: Weak<Service>) {
    for (resource, send) in Send::ALL {
        executor.register_task(
            resource,
            SendTask {
                service: service.clone(),
                send,
            },
        );
    }
}

impl TaskHandler for SendTask {
    fn invoke(&self, req: &TaskRequest<'_>) -> Result<Value, Failure> {
        let s = self.service.upgrade().ok_or_else(|| {
            Failure::new(
                crate::asl::failure::names::TASK_FAILED,
                "the server is shutting down",
            )
        })?;
        // The API's fields from the SDK's (a JSON Output given as is is its text).
        let mut fields = Map::new();
        for (from, to) in [
            ("TaskToken", "taskToken"),
            ("Output", "output"),
            ("Error", "error"),
            ("Cause", "cause"),
        ] {
            match req.input.get(from) {
                Some(v) if to == "output" && !v.is_string() && !v.is_null() => {
                    fields.insert(to.into(), json!(v.to_string()));
                }
                Some(v) => {
                    fields.insert(to.into(), v.clone());
                }
                None => {}
            }
        }
        let r = Req(&fields);
        let _one_at_a_time = s.control.lock().unwrap_or_else(|p| p.into_inner());
        match self.send {
            Send::Success => success(&s, &r),
            Send::Failure => failure(&s, &r),
            Send::Heartbeat => heartbeat(&s, &r),
        }
        .map_err(|e| sdk_failure(e.code.name(), &e.message))
    }
}
