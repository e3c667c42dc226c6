//! AWS's error codes for the Step Functions API, as the SDKs parse them: HTTP 400 (500
//! for our own faults) with `{"__type": "<Code>", "message": "…"}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// The error codes this server answers with (the API reference's "Errors" sections).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    ActivityDoesNotExist,
    ConflictException,
    ExecutionAlreadyExists,
    ExecutionDoesNotExist,
    ExecutionNotRedrivable,
    InvalidArn,
    InvalidDefinition,
    InvalidExecutionInput,
    InvalidName,
    InvalidToken,
    ResourceNotFound,
    StateMachineAlreadyExists,
    StateMachineDoesNotExist,
    StateMachineTypeNotSupported,
    TaskDoesNotExist,
    TaskTimedOut,
    InvalidOutput,
    TooManyTags,
    ValidationException,
    /// An `X-Amz-Target` this server does not know.
    UnknownOperationException,
    /// A body that is not a JSON object, or a field of the wrong type.
    SerializationException,
    /// Our own fault, logged.
    InternalFailure,
}

impl Code {
    pub fn name(self) -> &'static str {
        match self {
            Code::ActivityDoesNotExist => "ActivityDoesNotExist",
            Code::ConflictException => "ConflictException",
            Code::ExecutionAlreadyExists => "ExecutionAlreadyExists",
            Code::ExecutionDoesNotExist => "ExecutionDoesNotExist",
            Code::ExecutionNotRedrivable => "ExecutionNotRedrivable",
            Code::InvalidArn => "InvalidArn",
            Code::InvalidDefinition => "InvalidDefinition",
            Code::InvalidExecutionInput => "InvalidExecutionInput",
            Code::InvalidName => "InvalidName",
            Code::InvalidToken => "InvalidToken",
            Code::ResourceNotFound => "ResourceNotFound",
            Code::StateMachineAlreadyExists => "StateMachineAlreadyExists",
            Code::StateMachineDoesNotExist => "StateMachineDoesNotExist",
            Code::StateMachineTypeNotSupported => "StateMachineTypeNotSupported",
            Code::TaskDoesNotExist => "TaskDoesNotExist",
            Code::TaskTimedOut => "TaskTimedOut",
            Code::InvalidOutput => "InvalidOutput",
            Code::TooManyTags => "TooManyTags",
            Code::ValidationException => "ValidationException",
            Code::UnknownOperationException => "UnknownOperationException",
            Code::SerializationException => "SerializationException",
            Code::InternalFailure => "InternalFailure",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            Code::InternalFailure => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// An API error: its code and AWS's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: Code,
    pub message: String,
}

impl ApiError {
    pub fn new(code: Code, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
        }
    }

    /// A body too large for any operation.
    pub fn too_large() -> ApiError {
        ApiError::new(
            Code::ValidationException,
            "Request size exceeds the limit of 1 MB",
        )
    }

    /// Our fault: logged, answered as 500 without the details.
    pub fn internal(what: impl std::fmt::Display) -> ApiError {
        eprintln!("asl serve: internal error: {what}");
        ApiError::new(Code::InternalFailure, "An internal error occurred")
    }

    pub fn code_name(&self) -> &'static str {
        self.code.name()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.name(), self.message)
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        ApiError::internal(format!("database: {e}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({"__type": self.code.name(), "message": self.message});
        (
            self.code.status(),
            [("content-type", "application/x-amz-json-1.0")],
            body.to_string(),
        )
            .into_response()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
