//! JSONata fields: any JSON value whose strings of the form `{% expression %}` are
//! JSONata expressions (Arguments, Output, Assign, Items, ItemSelector, Condition, ...).

use crate::asl::Failure;
use crate::asl::failure::names;
use crate::jsonata::{Bindings, Expression};
use serde_json::{Map, Value};
use std::sync::Arc;

/// A compiled JSONata template. Parts without expressions stay literal values.
#[derive(Debug, Clone)]
pub enum Ata {
    Literal(Value),
    Expr(Arc<Expression>),
    Object(Vec<(String, Ata)>),
    Array(Vec<Ata>),
}

/// The expression inside `{% … %}`, when the whole string is one (no trimming:
/// `" {% x %} "` is a plain string).
pub fn expression_text(s: &str) -> Option<&str> {
    s.strip_prefix("{%").and_then(|r| r.strip_suffix("%}"))
}

const MAX_DEPTH: usize = 512;

impl Ata {
    /// Compiles a template; errors give the JSON Pointer suffix and a message.
    pub fn compile(v: &Value) -> Result<Ata, (String, String)> {
        compile(v, 0)
    }

    pub fn is_literal(&self) -> bool {
        matches!(self, Ata::Literal(_))
    }

    /// The single expression, when the template is one.
    pub fn as_expr(&self) -> Option<&Expression> {
        match self {
            Ata::Expr(e) => Some(e),
            _ => None,
        }
    }

    /// Whether any expression's source text satisfies `f`.
    pub fn any_source(&self, f: &dyn Fn(&str) -> bool) -> bool {
        match self {
            Ata::Literal(_) => false,
            Ata::Expr(e) => f(e.source()),
            Ata::Object(fs) => fs.iter().any(|(_, t)| t.any_source(f)),
            Ata::Array(a) => a.iter().any(|t| t.any_source(f)),
        }
    }

    /// Whether any expression of the template reads `$name`.
    pub fn reads(&self, name: &str) -> bool {
        match self {
            Ata::Literal(_) => false,
            Ata::Expr(e) => e.variables().iter().any(|v| v == name),
            Ata::Object(f) => f.iter().any(|(_, t)| t.reads(name)),
            Ata::Array(a) => a.iter().any(|t| t.reads(name)),
        }
    }

    /// Evaluates the template. `field` names it in errors (`Output`, `Assign/x`, ...); an
    /// expression that returns nothing is `States.QueryEvaluationError`, as on AWS.
    pub fn eval(&self, field: &str, b: &dyn Bindings) -> Result<Value, Failure> {
        match self {
            Ata::Literal(v) => Ok(v.clone()),
            Ata::Expr(e) => eval_expr(e, field, b),
            Ata::Object(fields) => {
                let mut out = Map::with_capacity(fields.len());
                for (k, t) in fields {
                    out.insert(k.clone(), t.eval(&format!("{field}/{k}"), b)?);
                }
                Ok(Value::Object(out))
            }
            Ata::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, t) in items.iter().enumerate() {
                    out.push(t.eval(&format!("{field}[{i}]"), b)?);
                }
                Ok(Value::Array(out))
            }
        }
    }
}

/// Evaluates one expression; undefined is an error naming the field.
pub fn eval_expr(e: &Expression, field: &str, b: &dyn Bindings) -> Result<Value, Failure> {
    match e.eval(None, b) {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(Failure::new(
            names::QUERY_EVALUATION_ERROR,
            format!(
                "The JSONata expression '{}' specified for the field '{field}' returned nothing (undefined).",
                e.source()
            ),
        )),
        Err(err) if err.code == crate::jsonata::FUNCTION_RESULT => Err(Failure::new(
            names::QUERY_EVALUATION_ERROR,
            format!(
                "The JSONata expression '{}' specified for the field '{field}' returned an unsupported result type.",
                e.source()
            ),
        )),
        Err(err) => Err(Failure::new(
            names::QUERY_EVALUATION_ERROR,
            format!(
                "An error occurred while evaluating the JSONata expression '{}' specified for the field '{field}': {}",
                e.source(),
                err.message
            ),
        )),
    }
}

fn compile(v: &Value, depth: usize) -> Result<Ata, (String, String)> {
    if depth > MAX_DEPTH {
        return Err((String::new(), "the value is nested too deeply".into()));
    }
    match v {
        Value::String(s) => match expression_text(s) {
            Some(src) => Expression::parse(src.trim())
                .map(|e| Ata::Expr(Arc::new(e.rejecting_functions())))
                .map_err(|e| {
                    (
                        String::new(),
                        format!("invalid JSONata expression '{}': {e}", src.trim()),
                    )
                }),
            None => Ok(Ata::Literal(v.clone())),
        },
        Value::Object(m) => {
            let mut fields = Vec::with_capacity(m.len());
            let mut dynamic = false;
            for (k, val) in m {
                let t = compile(val, depth + 1).map_err(|(p, msg)| {
                    (
                        format!("/{}{p}", k.replace('~', "~0").replace('/', "~1")),
                        msg,
                    )
                })?;
                dynamic |= !t.is_literal();
                fields.push((k.clone(), t));
            }
            Ok(if dynamic {
                Ata::Object(fields)
            } else {
                Ata::Literal(v.clone())
            })
        }
        Value::Array(a) => {
            let mut items = Vec::with_capacity(a.len());
            let mut dynamic = false;
            for (i, val) in a.iter().enumerate() {
                let t = compile(val, depth + 1).map_err(|(p, msg)| (format!("/{i}{p}"), msg))?;
                dynamic |= !t.is_literal();
                items.push(t);
            }
            Ok(if dynamic {
                Ata::Array(items)
            } else {
                Ata::Literal(v.clone())
            })
        }
        other => Ok(Ata::Literal(other.clone())),
    }
}
