//! Nested workflows: the `arn:aws:states:::states:startExecution` integration, answered
//! by this server (its state machines are the children).
//!
//! - request-response: the child is started; the result is `{ExecutionArn, StartDate}`;
//! - `.waitForTaskToken`: the same start; the child (or anyone) answers the token;
//! - `.sync` and `.sync:2`: the parent's Task waits as a callback does (parked, no
//!   thread): the child's journal holds its parent's token (key `/parent`), and the
//!   child's end answers it with DescribeExecution's fields (`Output` as JSON text for
//!   `.sync`, as JSON for `.sync:2`); a child that fails, times out or is aborted
//!   fails the parent's Task with `States.TaskFailed` and that description as the
//!   cause. The parent's journal records the child (`{attempt key}/child`), so that
//!   stopping the parent stops a child it waits for.

use super::{Req, callbacks, executions};
use crate::asl::Failure;
use crate::asl::failure::names;
use crate::exec::callback::Token;
use crate::exec::journal::Entry;
use crate::exec::{Executor, TaskHandler, TaskRequest};
use crate::service::Service;
use crate::service::store::ExecutionRow;
use serde_json::{Map, Value, json};
use std::sync::{Arc, Weak};

const START: &str = "arn:aws:states:::states:startExecution";

/// How the parent waits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pattern {
    RequestResponse,
    Callback,
    Sync,
    Sync2,
}

struct StartExecution {
    service: Weak<Service>,
    pattern: Pattern,
}

/// Registers the integration's four resources on the server's executor.
pub fn register(executor: &mut Executor, service: Weak<Service>) {
    for (suffix, pattern) in [
        ("", Pattern::RequestResponse),
        (".waitForTaskToken", Pattern::Callback),
        (".sync", Pattern::Sync),
        (".sync:2", Pattern::Sync2),
    ] {
        executor.register_task(
            &format!("{START}{suffix}"),
            StartExecution {
                service: service.clone(),
                pattern,
            },
        );
    }
}

fn failed(cause: impl Into<String>) -> Failure {
    Failure::new(names::TASK_FAILED, cause)
}

impl TaskHandler for StartExecution {
    fn answers_later(&self) -> bool {
        matches!(self.pattern, Pattern::Sync | Pattern::Sync2)
    }

    fn invoke(&self, req: &TaskRequest<'_>) -> Result<Value, Failure> {
        let s = self
            .service
            .upgrade()
            .ok_or_else(|| failed("the server is shutting down"))?;
        let p = req.input;
        let machine = p["StateMachineArn"]
            .as_str()
            .ok_or_else(|| failed("StartExecution needs a StateMachineArn (a string)"))?;
        let input = match &p["Input"] {
            Value::Null => "{}".to_string(),
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        let mut body = Map::new();
        body.insert("stateMachineArn".into(), json!(machine));
        body.insert("input".into(), json!(input));
        if let Some(name) = p["Name"].as_str() {
            body.insert("name".into(), json!(name));
        }
        // The child is started as StartExecution would start it, with its errors.
        let started = executions::start(&s, &Req(&body)).map_err(|e| {
            Failure::new(
                format!("StepFunctions.{}", e.code.name()),
                e.message.clone(),
            )
        })?;
        let child = started["executionArn"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let start_ms = (started["startDate"].as_f64().unwrap_or(0.0) * 1000.0).round() as i64;
        if let (true, Some(token)) = (self.answers_later(), req.task_token) {
            let link = json!({"token": token, "v2": self.pattern == Pattern::Sync2});
            let parent = Token::decode(token).ok_or_else(|| failed("no task token"))?;
            let put = |arn: &str, key: &str, v: Value| {
                s.store
                    .put_journal(arn, key, &Entry::Result(Ok(v)).to_json().to_string())
                    .map_err(|e| failed(format!("could not link {child} to its parent: {e}")))
            };
            put(
                &parent.execution,
                &format!("{}/child", parent.key),
                json!(child),
            )?;
            put(&child, "/parent", link)?;
            // A child that ended before the link was written is answered here.
            if let Ok(Some(row)) = s.store.execution(&child)
                && row.status != "RUNNING"
            {
                child_ended(&s, &row);
            }
        }
        Ok(json!({"ExecutionArn": child, "StartDate": start_ms}))
    }
}

/// DescribeExecution's fields as the integration gives them.
fn description(row: &ExecutionRow, v2: bool) -> Value {
    let ms = |t: f64| (t * 1000.0).round() as i64;
    crate::exec::nested::child_description(
        &row.arn,
        &row.name,
        &row.machine_arn,
        &row.status,
        &row.input,
        row.output.as_deref(),
        row.error.as_deref(),
        row.cause.as_deref(),
        (ms(row.started), row.stopped.map(ms)),
        v2,
    )
}

/// A Standard execution has ended: if a `.sync` parent waits for it, answer the
/// parent's token.
pub fn child_ended(s: &Arc<Service>, row: &ExecutionRow) {
    let Ok(Some(Entry::Result(Ok(link)))) = super::journal_entry(s, &row.arn, "/parent") else {
        return;
    };
    let Some(token) = link["token"].as_str() else {
        return;
    };
    let d = description(row, link["v2"].as_bool().unwrap_or(false));
    let answer = if row.status == "SUCCEEDED" {
        Entry::Result(Ok(d))
    } else {
        Entry::Result(Err(Failure::new(names::TASK_FAILED, d.to_string())))
    };
    // Already answered (the child's end and its start both saw it): nothing to do.
    let _ = callbacks::answer_token(s, token, answer);
}

/// The parent `arn` was stopped: stop the children its `.sync` Tasks wait for.
pub fn stop_children(s: &Arc<Service>, arn: &str, error: Option<&str>, cause: Option<&str>) {
    let Ok(journal) = s.store.journal(arn) else {
        return;
    };
    let answered: std::collections::HashSet<&str> =
        journal.iter().map(|(k, _)| k.as_str()).collect();
    for (key, entry) in &journal {
        let Some(task) = key.strip_suffix("/child") else {
            continue;
        };
        if answered.contains(task) {
            continue;
        }
        let child = serde_json::from_str::<Value>(entry)
            .ok()
            .and_then(|v| Entry::from_json(&v));
        if let Some(Entry::Result(Ok(Value::String(child)))) = child {
            let mut body = Map::new();
            body.insert("executionArn".into(), json!(child));
            if let Some(e) = error {
                body.insert("error".into(), json!(e));
            }
            if let Some(c) = cause {
                body.insert("cause".into(), json!(c));
            }
            let _ = executions::stop(s, &Req(&body));
        }
    }
}
