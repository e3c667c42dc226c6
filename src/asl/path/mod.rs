//! JSONPath and Reference Paths as AWS Step Functions accepts them.
//!
//! A path starts with `$` (the state's input, or whatever root the caller gives),
//! `$$` (the context object) or `$name` (a workflow variable).
//!
//! CONTRACT (used by exec, choice, intrinsic, validate; keep these signatures):
//! - `JsonPath::parse(&str) -> Result<JsonPath, PathError>`
//! - `JsonPath::root() -> &PathRoot`, `JsonPath::as_str()`, `JsonPath::is_definite()`
//!   (a Reference Path: no wildcard, slice, union, filter or recursive descent)
//! - `JsonPath::select(&self, root: &Value) -> Option<Cow<Value>>`: AWS semantics:
//!   a definite path gives the value or None when missing; an indefinite path gives
//!   an array of the matches.
//! - `JsonPath::select_in(&self, env: &dyn Env)`: picks the root by `root()`.
//! - `JsonPath::set(&self, target: &mut Value, value: Value) -> Result<(), PathError>`:
//!   ResultPath semantics (creates missing objects along a definite path).

mod eval;
mod parse;
#[cfg(test)]
mod robust_tests;
#[cfg(test)]
mod tests;

pub use parse::{CmpOp, Expr, Operand, Segment};

use eval::Shape;
use serde_json::Value;
use std::borrow::Cow;

/// Length in bytes of the path at the start of `text` (0 when `text` does not start
/// with `$`): it ends before the first whitespace, `,` or `)` outside brackets and
/// quotes. For callers that find paths inside larger text (intrinsic arguments).
pub fn path_len(text: &str) -> usize {
    let b = text.as_bytes();
    if b.first() != Some(&b'$') {
        return 0;
    }
    let (mut depth, mut quote, mut i) = (0usize, None::<u8>, 1);
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) => {
                if c == b'\\' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                b'\'' | b'"' if depth > 0 => quote = Some(c),
                b'[' => depth += 1,
                b']' => depth = depth.saturating_sub(1),
                b',' | b')' if depth == 0 => break,
                c if depth == 0 && c.is_ascii_whitespace() => break,
                _ => {}
            },
        }
        i += 1;
    }
    i.min(b.len())
}

/// Which value a path is evaluated against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathRoot {
    /// `$`: the input (or the root the caller passes).
    Input,
    /// `$$`: the context object.
    Context,
    /// `$name`: a workflow variable.
    Variable(String),
}

/// Roots a path can be evaluated in.
pub trait Env {
    fn input(&self) -> &Value;
    fn context(&self) -> &Value;
    /// The context object without `Execution.Input`, for paths that can't read it.
    fn context_without_input(&self) -> &Value {
        self.context()
    }
    fn variable(&self, name: &str) -> Option<&Value>;
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct PathError {
    pub message: String,
}

/// A parsed path.
#[derive(Debug, Clone, PartialEq)]
pub struct JsonPath {
    src: String,
    root: PathRoot,
    segs: Vec<Segment>,
    shape: Shape,
}

impl JsonPath {
    /// Compiles a path. Errors name the path and the (byte) position.
    pub fn parse(src: &str) -> Result<JsonPath, PathError> {
        let (root, segs) = parse::parse_path(src)?;
        let shape = eval::shape(&segs);
        Ok(JsonPath {
            src: src.to_string(),
            root,
            segs,
            shape,
        })
    }
    pub fn as_str(&self) -> &str {
        &self.src
    }
    pub fn root(&self) -> &PathRoot {
        &self.root
    }
    /// The steps after the root.
    pub fn segments(&self) -> &[Segment] {
        &self.segs
    }
    /// A Reference Path: only names and single indices.
    pub fn is_definite(&self) -> bool {
        self.shape == Shape::Reference
    }
    /// Jayway semantics. A Reference Path gives the value (borrowed) or None when a
    /// step is missing or of the wrong type. Names after a Reference Path
    /// (`$.a['b','c']`) give one object holding the names found (Jayway treats that
    /// path as definite), or None when `$.a` is not an object. Any other path gives
    /// an array of the matches, possibly empty, never None.
    pub fn select<'v>(&self, root: &'v Value) -> Option<Cow<'v, Value>> {
        eval::select_shaped(&self.segs, self.shape, root, root)
    }
    /// Evaluates against the root that `root()` names; None when the variable is
    /// undefined or the path matches nothing.
    pub fn select_in<'v>(&self, env: &'v dyn Env) -> Option<Cow<'v, Value>> {
        let root = match &self.root {
            PathRoot::Input => env.input(),
            // A path that can't reach `Execution` gets the context object without the
            // execution input (which can be large): the same answer, far cheaper.
            PathRoot::Context if self.skips_execution() => env.context_without_input(),
            PathRoot::Context => env.context(),
            PathRoot::Variable(name) => env.variable(name)?,
        };
        self.select(root)
    }

    /// True when the first step is a plain name other than `Execution`.
    fn skips_execution(&self) -> bool {
        matches!(self.segs.first(), Some(Segment::Name(n)) if &**n != "Execution")
    }
    /// ResultPath: `$` replaces the target; missing fields along the path are created
    /// as objects; a step into something that is not an object (names) or an array
    /// with that index (indices) is an error and leaves the target unchanged.
    pub fn set(&self, target: &mut Value, value: Value) -> Result<(), PathError> {
        eval::set_value(&self.segs, &self.src, target, value)
    }
}
