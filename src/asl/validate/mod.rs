//! The validator: every problem in one run, each with a JSON Pointer and the state name.
//!
//! CONTRACT (keep these signatures):
//! - `validate_text(text, &Options) -> Vec<Diagnostic>`: parses JSON or YAML (syntax
//!   errors with line and column) then validates.
//! - `validate_value(&Value, &Options) -> Vec<Diagnostic>`.
//!
//! Layout: `syntax` (text parsing, duplicate keys), `machine` (scopes, state dispatch,
//! query language), `fields` (allowed fields per state type), `states` (per-type value
//! checks), `transitions`, `choice`, `retry_catch`, `map`, `paths` (paths and payload
//! templates), `jsonata`, `strict` (AWS-only limits).

use serde_json::Value;
use std::collections::HashMap;
use std::fmt;

mod choice;
mod fields;
mod http_task;
mod jsonata;
mod jsonata_lex;
mod machine;
mod map;
mod map_io;
mod paths;
mod resources;
mod retry_catch;
mod states;
mod strict;
mod syntax;
mod transitions;
mod variables;

#[cfg(test)]
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_more;

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
        let ptr = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        match &self.state {
            Some(s) => write!(f, "{ptr} (state '{s}'): {}", self.message),
            None => write!(f, "{ptr}: {}", self.message),
        }
    }
}

/// Parses `text` as JSON (or YAML, as SAM and Serverless write it) and validates it.
/// Parses a definition (JSON, or YAML as SAM and Serverless write it). Ok holds the
/// value and the duplicate-key diagnostics that only the text shows.
pub fn parse_definition(text: &str) -> Result<(Value, Vec<Diagnostic>), Diagnostic> {
    syntax::parse(text)
}

pub fn validate_text(text: &str, opts: &Options) -> Vec<Diagnostic> {
    match syntax::parse(text) {
        Ok((value, mut diags)) => {
            diags.extend(validate_value(&value, opts));
            diags
        }
        Err(d) => vec![d],
    }
}

/// Validates an already parsed definition.
pub fn validate_value(def: &Value, opts: &Options) -> Vec<Diagnostic> {
    let mut ctx = Ctx::new(opts);
    machine::check_machine(&mut ctx, def);
    ctx.diags
}

/// Query language of a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ql {
    JsonPath,
    Jsonata,
}

/// Where a check is: the pointer and the innermost state.
#[derive(Debug, Clone, Copy)]
pub(crate) struct At<'a> {
    pub ptr: &'a str,
    pub state: Option<&'a str>,
}

/// Shared state of one validation run.
pub(crate) struct Ctx<'o> {
    pub opts: &'o Options,
    pub diags: Vec<Diagnostic>,
    /// Every state name seen so far, with the pointer of its first definition.
    pub names: HashMap<String, String>,
}

impl<'o> Ctx<'o> {
    fn new(opts: &'o Options) -> Self {
        Ctx {
            opts,
            diags: Vec::new(),
            names: HashMap::new(),
        }
    }

    pub fn report(&mut self, ptr: &str, state: Option<&str>, code: &'static str, message: String) {
        self.diags.push(Diagnostic {
            pointer: ptr.to_string(),
            state: state.map(str::to_string),
            code,
            message,
        });
    }

    pub fn at(&mut self, at: At<'_>, code: &'static str, message: String) {
        self.report(at.ptr, at.state, code, message);
    }
}

/// Escapes one reference token (RFC 6901).
pub(crate) fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// `ptr` + `/` + escaped `token`.
pub(crate) fn child(ptr: &str, token: &str) -> String {
    format!("{ptr}/{}", escape(token))
}

/// `ptr` + `/` + index.
pub(crate) fn index(ptr: &str, i: usize) -> String {
    format!("{ptr}/{i}")
}

pub(crate) use crate::asl::json_type as kind;

/// A short rendering of a value for messages.
pub(crate) fn show(v: &Value) -> String {
    let s = match v {
        Value::Array(_) => "[...]".to_string(),
        Value::Object(_) => "{...}".to_string(),
        _ => v.to_string(),
    };
    if s.chars().count() > 60 {
        let cut: String = s.chars().take(57).collect();
        format!("{cut}...")
    } else {
        s
    }
}
