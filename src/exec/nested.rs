//! Nested executions without a server: `arn:aws:states:::states:startExecution` (and
//! `.sync`, `.sync:2`, `.waitForTaskToken`) answered by the executor itself for the state machines it was
//! given ([`crate::exec::ExecutorBuilder::state_machine`], `asl run --state-machine
//! NAME=FILE`). The child runs on the calling thread, to its end, as a real execution
//! of its own (its own history and `$$.Execution`); `.sync` gives DescribeExecution's
//! fields (`Output` as JSON text, as JSON for `.sync:2`); a child that fails fails the
//! Task with `States.TaskFailed` and that description as the cause. The
//! request-response form also runs the child to its end before it answers
//! `{ExecutionArn, StartDate}` (a local run has no background to leave it in); so does
//! `.waitForTaskToken`, whose child answers its parent's token on the way (with the
//! `aws-sdk:sfn:sendTaskSuccess` integration, see [`super::sfn_sdk`], or through
//! `asl run --listen`).
//! `asl serve` answers the same resources with its own state machines instead.

use super::task::{TaskHandler, TaskRequest};
use super::{RunOptions, Status};
use crate::asl::Failure;
use crate::asl::failure::names;
use crate::asl::model::StateMachine;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

pub(crate) const START_EXECUTION: &str = "arn:aws:states:::states:startExecution";

/// DescribeExecution's fields as the `startExecution` integration gives them
/// (PascalCase, dates in epoch milliseconds); `v2` (`.sync:2`): Input and Output as JSON.
#[allow(clippy::too_many_arguments)]
pub fn child_description(
    execution_arn: &str,
    name: &str,
    state_machine_arn: &str,
    status: &str,
    input: &str,
    output: Option<&str>,
    error: Option<&str>,
    cause: Option<&str>,
    (start_ms, stop_ms): (i64, Option<i64>),
    v2: bool,
) -> Value {
    let payload = |text: &str| -> Value {
        if v2 {
            serde_json::from_str(text).unwrap_or(Value::Null)
        } else {
            json!(text)
        }
    };
    let mut d = json!({
        "ExecutionArn": execution_arn,
        "Input": payload(input),
        "InputDetails": {"Included": true},
        "Name": name,
        "StartDate": start_ms,
        "StateMachineArn": state_machine_arn,
        "Status": status,
    });
    if let Some(t) = stop_ms {
        d["StopDate"] = json!(t);
    }
    if let Some(o) = output {
        d["Output"] = payload(o);
        d["OutputDetails"] = json!({"Included": true});
    }
    if let Some(e) = error {
        d["Error"] = json!(e);
    }
    if let Some(c) = cause {
        d["Cause"] = json!(c);
    }
    d
}

/// The executor's child state machines, by name.
pub(crate) type Machines = Arc<HashMap<String, Arc<StateMachine>>>;

/// One of the `startExecution` resources, answered with `machines`.
pub(crate) struct StartChild {
    pub machines: Machines,
    /// `.sync` or `.sync:2` (None: request-response).
    pub sync: Option<bool>,
}

impl TaskHandler for StartChild {
    fn is_blocking(&self) -> bool {
        true
    }

    fn invoke(&self, req: &TaskRequest<'_>) -> Result<Value, Failure> {
        let failed = |cause: String| Failure::new(names::TASK_FAILED, cause);
        let p = req.input;
        let arn = p["StateMachineArn"]
            .as_str()
            .ok_or_else(|| failed("StartExecution needs a StateMachineArn (a string)".into()))?;
        let machine = arn.rsplit_once(":stateMachine:").map_or(arn, |(_, n)| n);
        let machine = machine.split(':').next().unwrap_or(machine);
        let sm = self.machines.get(machine).ok_or_else(|| {
            Failure::new(
                "StepFunctions.StateMachineDoesNotExistException",
                format!("State Machine Does Not Exist: '{arn}' (give it with --state-machine {machine}=FILE)"),
            )
        })?;
        let executor = req
            .executor
            .ok_or_else(|| failed("no executor to run the child on".into()))?;
        let input_text = match &p["Input"] {
            Value::Null => "{}".to_string(),
            Value::String(t) => t.clone(),
            other => other.to_string(),
        };
        let input: Value = serde_json::from_str(&input_text)
            .map_err(|e| failed(format!("the child's Input is not JSON: {e}")))?;
        let name = p["Name"]
            .as_str()
            .map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string);
        let (region, account) = match arn.split(':').collect::<Vec<_>>().as_slice() {
            [_, _, _, r, a, ..] if !r.is_empty() => (r.to_string(), a.to_string()),
            _ => ("us-east-1".to_string(), "123456789012".to_string()),
        };
        let machine_arn = format!("arn:aws:states:{region}:{account}:stateMachine:{machine}");
        let execution_arn = format!("arn:aws:states:{region}:{account}:execution:{machine}:{name}");
        let started = req.clock.now();
        let out = executor.run_with(
            sm,
            input,
            &RunOptions {
                name: Some(name.clone()),
                state_machine_name: Some(machine.to_string()),
                execution_arn: Some(execution_arn.clone()),
                state_machine_arn: Some(machine_arn.clone()),
                ..RunOptions::default()
            },
        );
        let Some(v2) = self.sync else {
            return Ok(
                json!({"ExecutionArn": execution_arn, "StartDate": started.timestamp_millis()}),
            );
        };
        let status = match out.status {
            Status::Succeeded => "SUCCEEDED",
            Status::Aborted => "ABORTED",
            Status::Failed | Status::Suspended => "FAILED",
        };
        let output = out.output.as_ref().map(Value::to_string);
        let d = child_description(
            &execution_arn,
            &name,
            &machine_arn,
            status,
            &input_text,
            output.as_deref(),
            out.error.as_deref(),
            out.cause.as_deref(),
            (
                started.timestamp_millis(),
                Some(req.clock.now().timestamp_millis()),
            ),
            v2,
        );
        match out.status {
            Status::Succeeded => Ok(d),
            _ => Err(failed(d.to_string())),
        }
    }
}
