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
//!
//! Common expressions (paths, predicates, comparisons, arithmetic, object constructors,
//! a few built-in functions) are evaluated directly on `serde_json` values (`fast/`),
//! with jsonata-core taking over whatever that evaluator does not reproduce exactly.
//!
//! Implementation: jsonata-core 2.2.13. The parsed `AstNode` is shared (`Arc`); each
//! evaluation builds its own `Evaluator` on the calling thread (jsonata-core's values
//! use `Rc`, so nothing of an evaluation crosses threads), converts the input and the
//! bound variables to its values, registers the Step Functions functions the
//! expression names, and converts the result back.
//!
//! Differences from jsonata-core, to match Step Functions' JSONata 2.0.6:
//! - `??` and `?:` (JSONata 2.1) are syntax errors, S0211, as JSONata 2.0.6 reports
//!   them ("The symbol ? cannot be used as a unary operator" / "The symbol : ...").
//! - `$eval` is removed: calling it raises T1006 ("Attempted to invoke a
//!   non-function"), what jsonata-js raises for a function that is not defined.
//! - `$partition`, `$range`, `$hash`, `$random([seed])`, `$uuid`, `$parse` (Step
//!   Functions) and `$clone` (2.0.6, missing from the crate) are provided.
//! - Errors without a JSONata code get `S0201` (parse) or `D1000` (evaluation); an
//!   unterminated comment is S0106.
//! - The crate's guardrail errors (D1011 stack depth, D1012 time limit) are reported as
//!   U1001, the code jsonata-js's own harness uses for both.

mod analyze;
pub mod convert;
pub mod demand;
mod fast;
pub mod functions;
mod lower;

pub use lower::{CmpOp, Simple};

use std::sync::Arc;

use jsonata_core::ast::AstNode;
use jsonata_core::evaluator::{
    Context, Evaluator, EvaluatorError, EvaluatorOptions, error_code_prefix,
};
use jsonata_core::parser::ParserError;
use jsonata_core::value::JValue;
use serde_json::Value;

/// Variables visible to an expression (`$states`, workflow variables).
pub trait Bindings {
    fn get(&self, name: &str) -> Option<&Value>;

    /// A variable given as the fields of an object, in order, so that the caller need
    /// not assemble (copy) the object; the evaluator converts only the fields and parts
    /// an expression reads. None: use [`Bindings::get`].
    fn fields(&self, _name: &str) -> Option<Vec<(&str, &Value)>> {
        None
    }
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

impl<const N: usize> Bindings for [(&str, &Value); N] {
    fn get(&self, name: &str) -> Option<&Value> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }
}

impl Bindings for Vec<(&str, &Value)> {
    fn get(&self, name: &str) -> Option<&Value> {
        self.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }
}

impl<B: Bindings + ?Sized> Bindings for &B {
    fn get(&self, name: &str) -> Option<&Value> {
        (**self).get(name)
    }
}

impl Bindings for std::collections::HashMap<String, Value> {
    fn get(&self, name: &str) -> Option<&Value> {
        std::collections::HashMap::get(self, name)
    }
}

impl Bindings for serde_json::Map<String, Value> {
    fn get(&self, name: &str) -> Option<&Value> {
        serde_json::Map::get(self, name)
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

impl JsonataError {
    fn new(code: &str, message: impl Into<String>) -> JsonataError {
        JsonataError {
            code: code.to_string(),
            message: message.into(),
            position: None,
        }
    }
}

/// Limits for one evaluation (jsonata-core's guardrails). Exceeding either raises
/// U1001. The default has none beyond the crate's own (30,000 nested evaluation levels).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock limit in milliseconds.
    pub timeout_ms: Option<u64>,
    /// Most nested evaluation levels.
    pub max_depth: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Expression {
    src: String,
    variables: Vec<String>,
    ast: Arc<AstNode>,
    /// `functions::*` bits: which of our functions to register per evaluation.
    functions: u16,
    /// The parts of the input and variables the expression can read (`None`: all).
    demands: Option<Arc<demand::Demands>>,
    /// A function result is an error (see [`Expression::rejecting_functions`]).
    no_functions: bool,
    /// The expression for the direct evaluator, when it is in its subset (`fast/`).
    fast: Option<Arc<fast::Fx>>,
}

/// Error code of a function result where a value is needed.
pub const FUNCTION_RESULT: &str = "ASL_FUNCTION_RESULT";

impl Expression {
    pub fn parse(src: &str) -> Result<Expression, JsonataError> {
        let ast = jsonata_core::parser::parse(src).map_err(parse_error)?;
        let analysis = analyze::analyze(&ast);
        if let Some(op) = analysis.rejected {
            let symbol = &op[1..];
            let mut e = JsonataError::new(
                "S0211",
                format!("The symbol {symbol} cannot be used as a unary operator"),
            );
            e.position = src.find(op).map(|i| src[..i].chars().count() + 2);
            return Err(e);
        }
        Ok(Expression {
            src: src.to_string(),
            variables: analysis.variables.into_iter().collect(),
            functions: analysis.functions,
            demands: demand::analyze(&ast).map(Arc::new),
            fast: fast::compile(&ast).map(Arc::new),
            ast: Arc::new(ast),
            no_functions: false,
        })
    }

    pub fn source(&self) -> &str {
        &self.src
    }

    pub fn variables(&self) -> &[String] {
        &self.variables
    }

    /// The expression in the engine-neutral [`Simple`] form, or what keeps it out.
    pub fn lower(&self) -> Result<Simple, String> {
        lower::lower(&self.ast)
    }

    pub fn eval(
        &self,
        input: Option<&Value>,
        bindings: &dyn Bindings,
    ) -> Result<Option<Value>, JsonataError> {
        self.eval_with_limits(input, bindings, Limits::default())
    }

    /// `eval` under `limits`.
    pub fn eval_with_limits(
        &self,
        input: Option<&Value>,
        bindings: &dyn Bindings,
        limits: Limits,
    ) -> Result<Option<Value>, JsonataError> {
        // The direct evaluator first; it hands back what it does not do exactly.
        if let Some(fx) = &self.fast
            && let Ok(result) = fast::eval(fx, input, bindings)
        {
            return Ok(result);
        }
        self.eval_general(input, bindings, limits)
    }

    /// [`Self::eval_with_limits`] on jsonata-core alone.
    fn eval_general(
        &self,
        input: Option<&Value>,
        bindings: &dyn Bindings,
        limits: Limits,
    ) -> Result<Option<Value>, JsonataError> {
        let demands = self.demands.as_deref();
        let input = match (input, demands) {
            (None, _) => JValue::Undefined,
            (Some(v), Some(d)) => demand::to_jvalue_pruned(v, &d.input),
            (Some(v), None) => convert::to_jvalue(v),
        };
        let mut vars = Vec::new();
        for name in &self.variables {
            if let Some(parts) = bindings.fields(name) {
                let v = demand::object_from_fields(&parts, demands.map(|d| d.variable(name)));
                vars.push((name.as_str(), v));
                continue;
            }
            if let Some(v) = bindings.get(name) {
                let v = match demands {
                    Some(d) => demand::to_jvalue_pruned(v, d.variable(name)),
                    None => convert::to_jvalue(v),
                };
                vars.push((name.as_str(), v));
            }
        }
        let result = self.eval_jvalue(&input, vars, limits)?;
        if self.no_functions && matches!(result, JValue::Lambda(_) | JValue::Builtin { .. }) {
            return Err(JsonataError::new(
                FUNCTION_RESULT,
                "the expression returned a function",
            ));
        }
        Ok(convert::from_jvalue(&result))
    }

    /// Makes a function result an error ([`FUNCTION_RESULT`]) instead of `""` (the
    /// reference test harness's convention): Step Functions fields can't hold functions.
    pub fn rejecting_functions(mut self) -> Self {
        self.no_functions = true;
        self
    }

    /// Evaluation on jsonata-core values, for callers that convert an input once and
    /// evaluate several expressions over it (on the same thread). `vars` are bound as
    /// given (names without `$`).
    pub fn eval_jvalue<'a>(
        &self,
        input: &JValue,
        vars: impl IntoIterator<Item = (&'a str, JValue)>,
        limits: Limits,
    ) -> Result<JValue, JsonataError> {
        let mut ctx = Context::new();
        for (name, value) in vars {
            ctx.bind(name.to_string(), value);
        }
        let options = EvaluatorOptions {
            timeout_ms: limits.timeout_ms,
            max_stack_depth: limits.max_depth,
            ..Default::default()
        };
        let mut ev = Evaluator::with_options(ctx, options);
        functions::register(&mut ev, self.functions);
        let _time = (self.functions & (functions::NOW | functions::MILLIS) != 0)
            .then(functions::EvaluationTime::start);
        ev.evaluate(&self.ast, input).map_err(eval_error)
    }
}

fn parse_error(e: ParserError) -> JsonataError {
    if matches!(e, ParserError::UnclosedComment) {
        return JsonataError::new("S0106", "Comment has no closing tag");
    }
    let text = e.to_string();
    split_coded(&text, "S0201")
}

fn eval_error(e: EvaluatorError) -> JsonataError {
    let e = split_coded(e.message(), "D1000");
    match e.code.as_str() {
        "D1011" | "D1012" => JsonataError {
            code: "U1001".into(),
            ..e
        },
        _ => e,
    }
}

/// `"T2001: message"` into its code and message; the code may follow a prefix of the
/// crate's own (`"Invalid syntax: S0209: ..."`). `fallback` when there is no code.
fn split_coded(text: &str, fallback: &str) -> JsonataError {
    if let Some(code) = error_code_prefix(text) {
        return JsonataError::new(code, text[6..].trim_start());
    }
    let b = text.as_bytes();
    for i in 0..b.len().saturating_sub(5) {
        if (i == 0 || !b[i - 1].is_ascii_alphanumeric())
            && let Some(code) = error_code_prefix(&text[i..])
        {
            return JsonataError::new(code, text[i + 6..].trim_start());
        }
    }
    JsonataError::new(fallback, text)
}

#[cfg(test)]
mod tests;
