//! The validator: every problem in one run, each with a JSON Pointer and the state name.
//!
//! CONTRACT (keep these signatures):
//! - `validate_text(text, &Options) -> Vec<Diagnostic>`: parses JSON or YAML (syntax
//!   errors with line and column) then validates.
//! - `validate_value(&Value, &Options) -> Vec<Diagnostic>`.

use serde_json::Value;
use std::fmt;

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Also apply AWS-only rules (Resource must be an ARN, Label characters, limits).
    pub strict_aws: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// JSON Pointer to the offending value, e.g. `/States/Fetch/Next`.
    pub pointer: String,
    /// The innermost state the pointer is in, if any.
    pub state: Option<String>,
    /// A stable short code, e.g. `dangling-transition`.
    pub code: &'static str,
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ptr = if self.pointer.is_empty() { "/" } else { &self.pointer };
        match &self.state {
            Some(s) => write!(f, "{ptr} (state '{s}'): {}", self.message),
            None => write!(f, "{ptr}: {}", self.message),
        }
    }
}

pub fn validate_text(text: &str, opts: &Options) -> Vec<Diagnostic> {
    let _ = (text, opts);
    todo!()
}

pub fn validate_value(def: &Value, opts: &Options) -> Vec<Diagnostic> {
    let _ = (def, opts);
    todo!()
}
