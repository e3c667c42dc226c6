//! Intrinsic functions: `States.Format('{}', $.a)`, `States.Array(...)`, ...
//!
//! CONTRACT (keep these signatures):
//! - `is_intrinsic(s)`: true when `s` looks like an intrinsic call (`States.` prefix).
//! - `Call::parse(&str) -> Result<Call, IntrinsicError>` (syntax + arity checks that AWS
//!   makes when a state machine is created).
//! - `Call::eval(&self, env: &dyn Env) -> Result<Value, Failure>`; path arguments are
//!   evaluated with `JsonPath::select_in`; failures are `States.IntrinsicFailure` or
//!   `States.Runtime` with AWS's cause texts.

use crate::asl::Failure;
use crate::asl::path::{Env, JsonPath};
use serde_json::Value;

pub fn is_intrinsic(s: &str) -> bool {
    s.trim_start().starts_with("States.")
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct IntrinsicError {
    pub message: String,
}

/// One argument of a call.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Literal(Value),
    Path(JsonPath),
    Call(Box<Call>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The function name, e.g. `States.Format`.
    pub name: String,
    pub args: Vec<Arg>,
}

impl Call {
    pub fn parse(src: &str) -> Result<Call, IntrinsicError> {
        let _ = src;
        todo!()
    }
    pub fn eval(&self, env: &dyn Env) -> Result<Value, Failure> {
        let _ = env;
        todo!()
    }
}
