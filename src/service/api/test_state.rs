//! TestState: one state run alone (see `exec::test_state`), with the request's
//! fields read and checked as AWS reads them.

use super::Req;
use crate::asl::Failure;
use crate::exec::mock_shapes::Mode;
use crate::exec::test_state::{Level, Mock, Refusal, Request, test_state};
use crate::service::Service;
use crate::service::error::{ApiError, ApiResult, Code};
use serde_json::{Map, Value};

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::new(Code::ValidationException, message)
}

/// A field holding JSON text, parsed; `what` names it in AWS's words.
fn json_field(r: &Req<'_>, field: &str, code: Code, what: &str) -> ApiResult<Option<Value>> {
    match r.opt_str(field)? {
        None => Ok(None),
        Some(text) => serde_json::from_str(text)
            .map(Some)
            .map_err(|e| ApiError::new(code, format!("Invalid {what}: '{e}'"))),
    }
}

/// The request as the engine takes it.
pub fn request(r: &Req<'_>) -> ApiResult<Request> {
    let text = r.str("definition")?;
    let definition: Value = serde_json::from_str(text).map_err(|e| {
        ApiError::new(
            Code::InvalidDefinition,
            format!("Invalid State Machine Definition: 'The definition is not valid JSON: {e}'"),
        )
    })?;
    let input = json_field(r, "input", Code::InvalidExecutionInput, "State Input")?
        .unwrap_or_else(|| Value::Object(Map::new()));
    let variables = match json_field(r, "variables", Code::ValidationException, "variables")? {
        None => Map::new(),
        Some(Value::Object(m)) => m,
        Some(_) => {
            return Err(invalid(
                "Invalid variables: 'variables must be a JSON object'",
            ));
        }
    };
    let level = match r.opt_str("inspectionLevel")? {
        None => Level::Info,
        Some(l) => Level::parse(l).ok_or_else(|| {
            invalid(format!(
                "1 validation error detected: Value '{l}' at 'inspectionLevel' failed to satisfy constraint: Member must satisfy enum value set: [INFO, DEBUG, TRACE]"
            ))
        })?,
    };
    let mut field_validation = Mode::Strict;
    let mock = match r.get("mock") {
        None | Some(Value::Null) => None,
        Some(Value::Object(m)) => {
            if let Some(mode) = m.get("fieldValidationMode").and_then(Value::as_str) {
                field_validation = Mode::parse(mode).ok_or_else(|| {
                    invalid(format!(
                        "1 validation error detected: Value '{mode}' at 'mock.fieldValidationMode' failed to satisfy constraint: Member must satisfy enum value set: [STRICT, PRESENT, NONE]"
                    ))
                })?;
            }
            match (m.get("result"), m.get("errorOutput")) {
                (Some(Value::String(t)), None) => {
                    Some(Mock::Result(serde_json::from_str(t).map_err(|e| {
                        invalid(format!("Invalid mock result: 'not JSON: {e}'"))
                    })?))
                }
                (None, Some(Value::Object(e))) => Some(Mock::Error(Failure {
                    error: e.get("error").and_then(Value::as_str).map(str::to_string),
                    cause: e.get("cause").and_then(Value::as_str).map(str::to_string),
                })),
                _ => {
                    return Err(invalid(
                        "A mock has exactly one of result (JSON text) or errorOutput ({error, cause})",
                    ));
                }
            }
        }
        Some(_) => return Err(invalid("mock must be an object")),
    };
    let config = match r.get("stateConfiguration") {
        Some(Value::Object(c)) => c.clone(),
        _ => Map::new(),
    };
    let count = |field: &str| -> ApiResult<Option<u32>> {
        match config.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| invalid(format!("stateConfiguration.{field} must be 0 or more"))),
        }
    };
    let retrier_retry_count = count("retrierRetryCount")?.unwrap_or(0);
    let map_iteration_failure_count = count("mapIterationFailureCount")?;
    let map_item_reader_data = match config.get("mapItemReaderData") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(invalid(
                "stateConfiguration.mapItemReaderData must be a string",
            ));
        }
    };
    let error_caused_by_state = config
        .get("errorCausedByState")
        .and_then(Value::as_str)
        .map(str::to_string);
    let context = match json_field(r, "context", Code::ValidationException, "context")? {
        None => None,
        Some(c @ Value::Object(_)) => Some(c),
        Some(_) => {
            return Err(invalid(
                "Invalid context: 'the context must be a JSON object'",
            ));
        }
    };
    Ok(Request {
        field_validation,
        context,
        definition,
        state_name: r.opt_str("stateName")?.map(str::to_string),
        input,
        variables,
        level,
        mock,
        retrier_retry_count,
        map_iteration_failure_count,
        map_item_reader_data,
        error_caused_by_state,
        reveal_secrets: r.opt_bool("revealSecrets")?.unwrap_or(false),
    })
}

pub(super) fn run(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let req = request(r)?;
    let answer = test_state(&s.executor, &req).map_err(|refusal| match refusal {
        Refusal::Definition(m) => ApiError::new(
            Code::InvalidDefinition,
            format!("Invalid State Machine Definition: '{m}'"),
        ),
        Refusal::Request(m) => invalid(m),
    })?;
    Ok(answer.to_json())
}

/// The request from a JSON object in TestState's shape (what `asl test-state` builds
/// from its flags), checked as the API checks it.
pub fn request_from_json(m: &Map<String, Value>) -> ApiResult<Request> {
    request(&Req(m))
}
