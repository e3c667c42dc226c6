//! `asl run --listen ADDR`: the callback and activity-worker operations of the Step
//! Functions API (SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat,
//! GetActivityTask; AWS JSON 1.0 over `POST /`) for the execution of this `asl run`,
//! answered on its executor, so that `asl send-task-*`, the aws CLI, boto3 or a
//! resources-file command can answer the tokens its `.waitForTaskToken` Tasks hand
//! out, and activity workers can take its activity tasks.

use asl_engine::exec::Executor;
use asl_engine::exec::callback::CallbackError;
use asl_engine::service::error::{ApiError, Code};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::Arc;

/// The listener of a run: [`Listening::finish`] stops it once the answers in flight
/// are sent (the answer that ends the run is one of them).
pub struct Listening {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    done: std::sync::mpsc::Receiver<()>,
}

impl Listening {
    /// Stops taking requests and waits (at most 2 s) for those in flight.
    pub fn finish(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = self.done.recv_timeout(std::time::Duration::from_secs(2));
    }
}

/// Starts answering on `addr` in the background; returns the listener and the address
/// it listens on.
pub fn start(addr: &str, executor: Arc<Executor>) -> Result<(Listening, String), String> {
    let listener =
        std::net::TcpListener::bind(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let bound = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?
        .to_string();
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("could not start the listener: {e}"))?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let (done_tx, done) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("asl-listen".into())
        .spawn(move || {
            runtime.block_on(async move {
                let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
                    return;
                };
                let app = Router::new().fallback(handle).with_state(executor);
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.await;
                    })
                    .await;
            });
            let _ = done_tx.send(());
        })
        .map_err(|e| format!("could not start the listener: {e}"))?;
    Ok((
        Listening {
            stop: Some(stop),
            done,
        },
        bound,
    ))
}

async fn handle(State(ex): State<Arc<Executor>>, headers: HeaderMap, body: Bytes) -> Response {
    // GetActivityTask long-polls: it waits on a thread of the blocking pool.
    let answered = tokio::task::spawn_blocking(move || answer(&ex, &headers, &body)).await;
    match answered {
        Ok(Ok(v)) => (
            [("content-type", "application/x-amz-json-1.0")],
            v.to_string(),
        )
            .into_response(),
        Ok(Err(e)) => e.into_response(),
        Err(_) => ApiError::new(Code::InternalFailure, "the request could not be answered")
            .into_response(),
    }
}

/// How long GetActivityTask waits for a task (AWS: 60 seconds).
const LONG_POLL: std::time::Duration = std::time::Duration::from_secs(60);

fn answer(ex: &Executor, headers: &HeaderMap, body: &[u8]) -> Result<Value, ApiError> {
    let op = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .and_then(|t| t.strip_prefix("AWSStepFunctions."))
        .unwrap_or("");
    let req: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            Code::SerializationException,
            format!("The request body is not valid JSON: {e}"),
        )
    })?;
    let field = |name: &str| req.get(name).and_then(Value::as_str);
    let token = || {
        field("taskToken").ok_or_else(|| {
            ApiError::new(
                Code::ValidationException,
                "1 validation error detected: Value null at 'taskToken' failed to satisfy constraint: Member must not be null",
            )
        })
    };
    let refused = |e: CallbackError| match e {
        CallbackError::InvalidToken(_) => ApiError::new(Code::InvalidToken, e.to_string()),
        CallbackError::TaskTimedOut(_) => ApiError::new(
            Code::TaskTimedOut,
            "Task Timed Out: 'Provided task does not exist anymore'",
        ),
    };
    match op {
        "SendTaskSuccess" => {
            let output: Value =
                serde_json::from_str(field("output").unwrap_or("")).map_err(|e| {
                    ApiError::new(
                        Code::InvalidOutput,
                        format!("Invalid Output: 'the output is not JSON: {e}'"),
                    )
                })?;
            ex.send_task_success(token()?, output).map_err(refused)?;
            Ok(json!({}))
        }
        "SendTaskFailure" => {
            ex.send_task_failure(token()?, field("error"), field("cause"))
                .map_err(refused)?;
            Ok(json!({}))
        }
        "SendTaskHeartbeat" => {
            ex.send_task_heartbeat(token()?).map_err(refused)?;
            Ok(json!({}))
        }
        "GetActivityTask" => {
            let arn = field("activityArn").ok_or_else(|| {
                ApiError::new(
                    Code::ValidationException,
                    "1 validation error detected: Value null at 'activityArn' failed to satisfy constraint: Member must not be null",
                )
            })?;
            // No task within the long poll: neither token nor input, as AWS answers.
            Ok(
                match ex.get_activity_task(arn, field("workerName"), LONG_POLL) {
                    Some((token, input)) => json!({"taskToken": token, "input": input}),
                    None => json!({}),
                },
            )
        }
        other => Err(ApiError::new(
            Code::UnknownOperationException,
            format!(
                "Operation {other} is not answered by asl run --listen (SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat, GetActivityTask; asl serve answers the rest)"
            ),
        )),
    }
}
