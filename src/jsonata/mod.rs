//! JSONata, as AWS Step Functions runs it (JSONata 2.0.6 plus Step Functions' own
//! functions), behind a small adapter so the evaluator crate can be replaced.
//!
//! CONTRACT (used by the validator and the executor; keep these signatures):
//! - `Expression::parse(src) -> Result<Expression, JsonataError>`: parses once; an
//!   `Expression` is `Send + Sync` and shared across threads.
//! - `Expression::eval(&self, input: Option<&Value>, bindings: &dyn Bindings)
//!   -> Result<Option<Value>, JsonataError>`: `None` input is `undefined`; an `Ok(None)`
//!   result is `undefined`.
//! - `Expression::variables()`: the `$name`s the expression reads (so a caller binds only
//!   those).
//! - `JsonataError { code, message, position }`.

use serde_json::Value;

/// Variables visible to an expression (`$states`, workflow variables).
pub trait Bindings {
    fn get(&self, name: &str) -> Option<&Value>;
}

impl Bindings for () {
    fn get(&self, _name: &str) -> Option<&Value> {
        None
    }
}

impl Bindings for [(&str, &Value)] {
    fn get(&self, name: &str) -> Option<&Value> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct JsonataError {
    /// JSONata's error code (`T2001`, `S0201`, ...).
    pub code: String,
    pub message: String,
    /// Character offset in the expression, when known.
    pub position: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Expression {
    src: String,
    variables: Vec<String>,
}

impl Expression {
    pub fn parse(src: &str) -> Result<Expression, JsonataError> {
        Err(JsonataError {
            code: "S0000".into(),
            message: format!("JSONata is not built yet: {src}"),
            position: None,
        })
    }
    pub fn source(&self) -> &str {
        &self.src
    }
    pub fn variables(&self) -> &[String] {
        &self.variables
    }
    pub fn eval(
        &self,
        input: Option<&Value>,
        bindings: &dyn Bindings,
    ) -> Result<Option<Value>, JsonataError> {
        let _ = (input, bindings);
        Err(JsonataError {
            code: "S0000".into(),
            message: "JSONata is not built yet".into(),
            position: None,
        })
    }
}
