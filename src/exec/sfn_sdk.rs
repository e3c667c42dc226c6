//! The Step Functions SDK integrations a workflow answers tokens with:
//! `arn:aws:states:::aws-sdk:sfn:sendTaskSuccess`, `…:sendTaskFailure` and
//! `…:sendTaskHeartbeat` (parameters `TaskToken`, `Output` as JSON text, `Error`,
//! `Cause`; the result `{}` as the API answers). This is how a child started with
//! `states:startExecution.waitForTaskToken` gives its parent the answer. Here for
//! runs without a server, answered on the executor's own callbacks; `asl serve`
//! registers its own, which go through its API. A refused answer fails the Task with
//! the SDK's error name (`Sfn.InvalidTokenException`, `Sfn.TaskTimedOutException`, …).

use super::callback::{Answer, CallbackError, Callbacks};
use super::task::{TaskHandler, TaskRequest};
use crate::asl::Failure;
use serde_json::{Value, json};
use std::sync::Arc;

pub const SEND_TASK_SUCCESS: &str = "arn:aws:states:::aws-sdk:sfn:sendTaskSuccess";
pub const SEND_TASK_FAILURE: &str = "arn:aws:states:::aws-sdk:sfn:sendTaskFailure";
pub const SEND_TASK_HEARTBEAT: &str = "arn:aws:states:::aws-sdk:sfn:sendTaskHeartbeat";

/// Which answer a resource sends.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Send {
    Success,
    Failure,
    Heartbeat,
}

impl Send {
    pub const ALL: [(&'static str, Send); 3] = [
        (SEND_TASK_SUCCESS, Send::Success),
        (SEND_TASK_FAILURE, Send::Failure),
        (SEND_TASK_HEARTBEAT, Send::Heartbeat),
    ];
}

/// The SDK integration's failure for an API error `code` (`InvalidToken` →
/// `Sfn.InvalidTokenException`).
pub fn sdk_failure(code: &str, message: &str) -> Failure {
    let name = if code.ends_with("Exception") {
        format!("Sfn.{code}")
    } else {
        format!("Sfn.{code}Exception")
    };
    Failure::new(name, message)
}

/// What a Task's parameters ask for: the token and the answer.
pub fn request(send: Send, p: &Value) -> Result<(String, Answer), Failure> {
    let field = |name: &str| p.get(name).and_then(Value::as_str);
    let token = field("TaskToken").ok_or_else(|| {
        sdk_failure(
            "Validation",
            "1 validation error detected: Value null at 'taskToken' failed to satisfy constraint: Member must not be null",
        )
    })?;
    let answer = match send {
        Send::Success => {
            let output = match p.get("Output") {
                Some(Value::String(text)) => serde_json::from_str(text).map_err(|e| {
                    sdk_failure(
                        "InvalidOutput",
                        &format!("Invalid Output: 'the output is not JSON: {e}'"),
                    )
                })?,
                None | Some(Value::Null) => {
                    return Err(sdk_failure(
                        "Validation",
                        "1 validation error detected: Value null at 'output' failed to satisfy constraint: Member must not be null",
                    ));
                }
                // The SDK takes text; a JSON value given as is is its text.
                Some(v) => v.clone(),
            };
            Answer::Success(output)
        }
        Send::Failure => Answer::Failure(Failure {
            error: field("Error").map(str::to_string),
            cause: field("Cause").map(str::to_string),
        }),
        Send::Heartbeat => Answer::Heartbeat,
    };
    Ok((token.to_string(), answer))
}

/// The handler for runs without a server.
pub(crate) struct SendTask {
    pub callbacks: Arc<Callbacks>,
    pub send: Send,
}

impl TaskHandler for SendTask {
    fn invoke(&self, req: &TaskRequest<'_>) -> Result<Value, Failure> {
        let (token, answer) = request(self.send, req.input)?;
        self.callbacks
            .answer(&token, answer)
            .map_err(|e| match &e {
                CallbackError::InvalidToken(_) => sdk_failure("InvalidToken", &e.to_string()),
                CallbackError::TaskTimedOut(_) => sdk_failure(
                    "TaskTimedOut",
                    "Task Timed Out: 'Provided task does not exist anymore'",
                ),
            })?;
        Ok(json!({}))
    }
}
