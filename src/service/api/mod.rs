//! The operations: `X-Amz-Target` parsed once into [`Op`], matched exhaustively; each
//! operation reads its fields, checks them as AWS does and answers AWS's shape.

pub(crate) mod activities;
pub(super) mod callbacks;
mod executions;
mod machines;
mod map_runs;
pub(crate) mod nested;
mod tags;
pub mod test_state;
mod versions;

use super::arn::{parse_execution, parse_state_machine};
use super::error::{ApiError, ApiResult, Code};
use super::store::{ExecutionRow, Machine};
use super::{Service, now};
use axum::body::Bytes;
use base64::Engine as _;
use serde_json::{Map, Value};
use std::sync::Arc;

/// The operations this server answers. TestState comes with later work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    CreateStateMachine,
    DescribeStateMachine,
    UpdateStateMachine,
    DeleteStateMachine,
    ListStateMachines,
    ValidateStateMachineDefinition,
    DescribeStateMachineForExecution,
    StartExecution,
    StartSyncExecution,
    DescribeExecution,
    ListExecutions,
    GetExecutionHistory,
    StopExecution,
    RedriveExecution,
    DescribeMapRun,
    ListMapRuns,
    UpdateMapRun,
    TagResource,
    UntagResource,
    ListTagsForResource,
    PublishStateMachineVersion,
    ListStateMachineVersions,
    DeleteStateMachineVersion,
    CreateStateMachineAlias,
    DescribeStateMachineAlias,
    UpdateStateMachineAlias,
    DeleteStateMachineAlias,
    ListStateMachineAliases,
    SendTaskSuccess,
    SendTaskFailure,
    SendTaskHeartbeat,
    CreateActivity,
    DescribeActivity,
    DeleteActivity,
    ListActivities,
    GetActivityTask,
    TestState,
}

impl Op {
    /// Whether the operation reads and then changes machines, versions, aliases, tags,
    /// Map Runs, or a waiting task (two answers to one token: the second is refused).
    fn changes_control_plane(self) -> bool {
        matches!(
            self,
            Op::CreateStateMachine
                | Op::UpdateStateMachine
                | Op::DeleteStateMachine
                | Op::TagResource
                | Op::UntagResource
                | Op::PublishStateMachineVersion
                | Op::DeleteStateMachineVersion
                | Op::CreateStateMachineAlias
                | Op::UpdateStateMachineAlias
                | Op::DeleteStateMachineAlias
                | Op::UpdateMapRun
                | Op::SendTaskSuccess
                | Op::SendTaskFailure
                | Op::SendTaskHeartbeat
        )
    }
}

impl Op {
    fn parse(name: &str) -> ApiResult<Op> {
        Ok(match name {
            "CreateStateMachine" => Op::CreateStateMachine,
            "DescribeStateMachine" => Op::DescribeStateMachine,
            "UpdateStateMachine" => Op::UpdateStateMachine,
            "DeleteStateMachine" => Op::DeleteStateMachine,
            "ListStateMachines" => Op::ListStateMachines,
            "ValidateStateMachineDefinition" => Op::ValidateStateMachineDefinition,
            "DescribeStateMachineForExecution" => Op::DescribeStateMachineForExecution,
            "StartExecution" => Op::StartExecution,
            "StartSyncExecution" => Op::StartSyncExecution,
            "DescribeExecution" => Op::DescribeExecution,
            "ListExecutions" => Op::ListExecutions,
            "GetExecutionHistory" => Op::GetExecutionHistory,
            "StopExecution" => Op::StopExecution,
            "RedriveExecution" => Op::RedriveExecution,
            "DescribeMapRun" => Op::DescribeMapRun,
            "ListMapRuns" => Op::ListMapRuns,
            "UpdateMapRun" => Op::UpdateMapRun,
            "TagResource" => Op::TagResource,
            "UntagResource" => Op::UntagResource,
            "ListTagsForResource" => Op::ListTagsForResource,
            "PublishStateMachineVersion" => Op::PublishStateMachineVersion,
            "ListStateMachineVersions" => Op::ListStateMachineVersions,
            "DeleteStateMachineVersion" => Op::DeleteStateMachineVersion,
            "CreateStateMachineAlias" => Op::CreateStateMachineAlias,
            "DescribeStateMachineAlias" => Op::DescribeStateMachineAlias,
            "UpdateStateMachineAlias" => Op::UpdateStateMachineAlias,
            "DeleteStateMachineAlias" => Op::DeleteStateMachineAlias,
            "ListStateMachineAliases" => Op::ListStateMachineAliases,
            "SendTaskSuccess" => Op::SendTaskSuccess,
            "SendTaskFailure" => Op::SendTaskFailure,
            "SendTaskHeartbeat" => Op::SendTaskHeartbeat,
            "CreateActivity" => Op::CreateActivity,
            "DescribeActivity" => Op::DescribeActivity,
            "DeleteActivity" => Op::DeleteActivity,
            "ListActivities" => Op::ListActivities,
            "GetActivityTask" => Op::GetActivityTask,
            "TestState" => Op::TestState,
            "" => {
                return Err(ApiError::new(
                    Code::UnknownOperationException,
                    "Missing X-Amz-Target header (AWSStepFunctions.<Operation>)",
                ));
            }
            other => {
                return Err(ApiError::new(
                    Code::UnknownOperationException,
                    format!("Operation {other} is not supported by this server"),
                ));
            }
        })
    }
}

/// Answers one request.
pub async fn handle(service: Arc<Service>, op: &str, body: Bytes) -> ApiResult<Value> {
    let op = Op::parse(op)?;
    if body.len() > 1024 * 1024 {
        return Err(ApiError::too_large());
    }
    let req = if body.iter().all(u8::is_ascii_whitespace) {
        Map::new()
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(m)) => m,
            Ok(_) => {
                return Err(ApiError::new(
                    Code::SerializationException,
                    "The request body must be a JSON object",
                ));
            }
            Err(e) => {
                return Err(ApiError::new(
                    Code::SerializationException,
                    format!("The request body is not valid JSON: {e}"),
                ));
            }
        }
    };
    // Operations touch the database or run executions: off the reactor.
    tokio::task::spawn_blocking(move || dispatch(&service, op, &Req(&req)))
        .await
        .map_err(ApiError::internal)?
}

fn dispatch(s: &Arc<Service>, op: Op, r: &Req<'_>) -> ApiResult<Value> {
    // The requests that read and then change the control plane run one at a time, so
    // that each sees what the one before it left: two UpdateStateMachineAlias calls, or
    // a DeleteStateMachineVersion racing an alias update that routes to that version,
    // get the answers of one order of the two (the last update wins; the version is
    // deleted and the update refused, or the delete gets ConflictException), never an
    // alias routing to a deleted version.
    let _one_at_a_time = op
        .changes_control_plane()
        .then(|| s.control.lock().unwrap_or_else(|p| p.into_inner()));
    match op {
        Op::CreateStateMachine => machines::create(s, r),
        Op::DescribeStateMachine => machines::describe(s, r),
        Op::UpdateStateMachine => machines::update(s, r),
        Op::DeleteStateMachine => machines::delete(s, r),
        Op::ListStateMachines => machines::list(s, r),
        Op::ValidateStateMachineDefinition => machines::validate(r),
        Op::DescribeStateMachineForExecution => machines::describe_for_execution(s, r),
        Op::StartExecution => executions::start(s, r),
        Op::StartSyncExecution => executions::start_sync(s, r),
        Op::DescribeExecution => executions::describe(s, r),
        Op::ListExecutions => executions::list(s, r),
        Op::GetExecutionHistory => executions::history(s, r),
        Op::StopExecution => executions::stop(s, r),
        Op::RedriveExecution => executions::redrive(s, r),
        Op::DescribeMapRun => map_runs::describe(s, r),
        Op::ListMapRuns => map_runs::list(s, r),
        Op::UpdateMapRun => map_runs::update(s, r),
        Op::TagResource => tags::tag(s, r),
        Op::UntagResource => tags::untag(s, r),
        Op::ListTagsForResource => tags::list(s, r),
        Op::PublishStateMachineVersion => versions::publish(s, r),
        Op::ListStateMachineVersions => versions::list_versions(s, r),
        Op::DeleteStateMachineVersion => versions::delete_version(s, r),
        Op::CreateStateMachineAlias => versions::create_alias(s, r),
        Op::DescribeStateMachineAlias => versions::describe_alias(s, r),
        Op::UpdateStateMachineAlias => versions::update_alias(s, r),
        Op::DeleteStateMachineAlias => versions::delete_alias(s, r),
        Op::ListStateMachineAliases => versions::list_aliases(s, r),
        Op::TestState => test_state::run(s, r),
        Op::SendTaskSuccess => callbacks::success(s, r),
        Op::SendTaskFailure => callbacks::failure(s, r),
        Op::SendTaskHeartbeat => callbacks::heartbeat(s, r),
        Op::CreateActivity => activities::create(s, r),
        Op::DescribeActivity => activities::describe(s, r),
        Op::DeleteActivity => activities::delete(s, r),
        Op::ListActivities => activities::list(s, r),
        Op::GetActivityTask => activities::get_task(s, r),
    }
}

/// A request's fields, read with AWS's validation messages.
pub struct Req<'a>(&'a Map<String, Value>);

fn null_member(field: &str) -> ApiError {
    ApiError::new(
        Code::ValidationException,
        format!(
            "1 validation error detected: Value null at '{field}' failed to satisfy constraint: Member must not be null"
        ),
    )
}

fn wrong_type(field: &str, what: &str) -> ApiError {
    ApiError::new(
        Code::SerializationException,
        format!("'{field}' must be {what}"),
    )
}

impl Req<'_> {
    pub fn opt_str(&self, field: &str) -> ApiResult<Option<&str>> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(wrong_type(field, "a string")),
        }
    }

    pub fn str(&self, field: &str) -> ApiResult<&str> {
        self.opt_str(field)?.ok_or_else(|| null_member(field))
    }

    pub fn opt_bool(&self, field: &str) -> ApiResult<Option<bool>> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(wrong_type(field, "a boolean")),
        }
    }

    pub fn opt_int(&self, field: &str) -> ApiResult<Option<i64>> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
            Some(_) => Err(wrong_type(field, "an integer")),
        }
    }

    pub fn get(&self, field: &str) -> Option<&Value> {
        self.0.get(field).filter(|v| !v.is_null())
    }

    /// `maxResults` (0 or absent: `default`; AWS allows 0 to 1000) and the offset its
    /// `nextToken` holds.
    pub fn page(&self, default: usize) -> ApiResult<(usize, usize)> {
        let max = match self.opt_int("maxResults")? {
            None | Some(0) => default,
            Some(n) if (1..=1000).contains(&n) => n as usize,
            Some(n) => {
                return Err(ApiError::new(
                    Code::ValidationException,
                    format!(
                        "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000"
                    ),
                ));
            }
        };
        let offset = match self.opt_str("nextToken")? {
            None => 0,
            Some(t) => decode_token(t)?,
        };
        Ok((offset, max))
    }
}

/// An opaque page token holding the offset of the next page.
fn encode_token(offset: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("asl-page:{offset}"))
}

fn decode_token(t: &str) -> ApiResult<usize> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(t)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("asl-page:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| ApiError::new(Code::InvalidToken, format!("Invalid Token: '{t}'")))
}

/// One page of a list operation: `fetch(offset, n)` reads one row past the page (so a
/// `nextToken` is given only when another page follows, as on AWS), `items` turns the
/// page's rows into the answer's list under `key`.
fn list_page<T>(
    r: &Req<'_>,
    key: &str,
    fetch: impl FnOnce(usize, usize) -> rusqlite::Result<Vec<T>>,
    items: impl FnOnce(&[T]) -> Vec<Value>,
) -> ApiResult<Value> {
    let (offset, limit) = r.page(100)?;
    let mut rows = fetch(offset, limit + 1)?;
    let more = rows.len() > limit;
    rows.truncate(limit);
    let mut out = Map::new();
    out.insert(key.into(), Value::Array(items(&rows)));
    if more {
        out.insert(
            "nextToken".into(),
            Value::String(encode_token(offset + limit)),
        );
    }
    Ok(Value::Object(out))
}

/// Whether a write failed because a row with the same key exists (a concurrent request
/// created it first).
fn is_conflict(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation
    )
}

/// The machine an ARN names, or `StateMachineDoesNotExist`.
pub(super) fn find_machine(s: &Service, arn: &str) -> ApiResult<Machine> {
    let (name, qualifier) = parse_state_machine(arn)?;
    let missing = || {
        ApiError::new(
            Code::StateMachineDoesNotExist,
            format!("State Machine Does Not Exist: '{arn}'"),
        )
    };
    if qualifier.is_some() {
        // Versions and aliases come with a later issue.
        return Err(missing());
    }
    match s.store.machine_by_name(&name)? {
        Some(m) if m.arn == arn => Ok(m),
        _ => Err(missing()),
    }
}

/// The execution an ARN names, or `ExecutionDoesNotExist`.
pub(super) fn find_execution(s: &Service, arn: &str) -> ApiResult<ExecutionRow> {
    parse_execution(arn)?;
    s.store.execution(arn)?.ok_or_else(|| {
        ApiError::new(
            Code::ExecutionDoesNotExist,
            format!("Execution Does Not Exist: '{arn}'"),
        )
    })
}

/// One journal entry of an execution, as the engine wrote it.
pub(super) fn journal_entry(
    s: &Service,
    arn: &str,
    key: &str,
) -> ApiResult<Option<crate::exec::journal::Entry>> {
    Ok(s.store
        .journal_entry(arn, key)?
        .and_then(|e| serde_json::from_str::<Value>(&e).ok())
        .and_then(|v| crate::exec::journal::Entry::from_json(&v)))
}
