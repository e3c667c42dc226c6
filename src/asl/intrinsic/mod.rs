//! Intrinsic functions: `States.Format('{}', $.a)`, `States.Array(...)`, ...
//!
//! CONTRACT (keep these signatures):
//! - `is_intrinsic(s)`: true when `s` looks like an intrinsic call (`States.` prefix).
//! - `Call::parse(&str) -> Result<Call, IntrinsicError>` (syntax + arity checks that AWS
//!   makes when a state machine is created).
//! - `Call::eval(&self, env: &dyn Env) -> Result<Value, Failure>`; path arguments are
//!   evaluated with `JsonPath::select_in`; failures are `States.IntrinsicFailure` or
//!   `States.Runtime` with AWS's cause texts.
//!
//! Layout: `parse` (the call syntax), `functions` (the 18 functions and their arity),
//! `render` (Java-style text of values, as `States.Format` prints them).
//!
//! One representation detail: the template of `States.Format`, when it is a string
//! literal, is kept *with its escapes* (`\{`, `\}`, `\'`, `\\`) in `Arg::Literal`, so
//! that an escaped brace stays distinct from a `{}` placeholder. Every other string
//! literal holds its unescaped text.

mod functions;
mod json_text;
mod parse;
mod render;
#[cfg(test)]
mod tests;

use crate::asl::Failure;
use crate::asl::path::{Env, JsonPath, PathRoot};
use serde_json::Value;

pub use functions::{FUNCTION_NAMES, arity};
pub use render::{java_double_to_string, java_to_string};

pub fn is_intrinsic(s: &str) -> bool {
    s.trim_start().starts_with("States.")
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct IntrinsicError {
    pub message: String,
}

impl IntrinsicError {
    pub(crate) fn new(message: impl Into<String>) -> Self {
        IntrinsicError {
            message: message.into(),
        }
    }
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
        parse::parse_call(src)
    }

    pub fn eval(&self, env: &dyn Env) -> Result<Value, Failure> {
        let mut values = Vec::with_capacity(self.args.len());
        for arg in &self.args {
            values.push(arg.eval(env)?);
        }
        functions::apply(&self.name, values)
    }
}

impl Arg {
    /// The argument's value in `env`: a missing path is `States.Runtime`.
    pub fn eval(&self, env: &dyn Env) -> Result<Value, Failure> {
        match self {
            Arg::Literal(v) => Ok(v.clone()),
            Arg::Call(c) => c.eval(env),
            Arg::Path(p) => match p.select_in(env) {
                Some(v) => Ok(v.into_owned()),
                None => Err(missing_path(p, env)),
            },
        }
    }
}

/// `States.Runtime` for a path argument that matches nothing.
fn missing_path(p: &JsonPath, env: &dyn Env) -> Failure {
    let root = match p.root() {
        PathRoot::Input => Some(env.input()),
        PathRoot::Context => Some(env.context()),
        PathRoot::Variable(name) => env.variable(name),
    };
    match root {
        Some(root) => Failure::runtime(format!(
            "The JsonPath argument '{}' could not be found in the input '{}'",
            p.as_str(),
            serde_json::to_string(root).unwrap_or_default()
        )),
        None => Failure::runtime(format!(
            "The JsonPath argument '{}' references an undefined variable",
            p.as_str()
        )),
    }
}
