//! Payload templates (Parameters, ResultSelector, ItemSelector, Assign in JSONPath
//! states): objects whose keys ending in `.$` take their value from a path or an
//! intrinsic function call.

use crate::asl::Failure;
use crate::asl::intrinsic::{self, Call};
use crate::asl::path::{Env, JsonPath, PathRoot};
use serde_json::{Map, Value};

/// A compiled payload template. Parts without `.$` keys stay literal values.
#[derive(Debug, Clone)]
pub enum Template {
    Literal(Value),
    Path(JsonPath),
    Intrinsic(Call),
    Object(Vec<(String, Template)>),
    Array(Vec<Template>),
}

/// Which field a template fills, for error messages.
#[derive(Debug, Clone, Copy)]
pub enum TemplateField {
    Parameters,
    ResultSelector,
    ItemSelector,
    Assign,
}

impl Template {
    /// Compiles a template; errors name the JSON Pointer suffix of the bad value.
    pub fn compile(v: &Value) -> Result<Template, (String, String)> {
        compile(v, 0)
    }

    /// True when nothing in the template depends on input, context or variables.
    pub fn is_literal(&self) -> bool {
        matches!(self, Template::Literal(_))
    }

    pub fn eval(&self, env: &dyn Env) -> Result<Value, Failure> {
        match self {
            Template::Literal(v) => Ok(v.clone()),
            Template::Path(p) => eval_path(p, "", env),
            Template::Intrinsic(c) => c.eval(env),
            Template::Object(fields) => {
                let mut out = Map::with_capacity(fields.len());
                for (k, t) in fields {
                    let v = match t {
                        Template::Path(p) => eval_path(p, k, env)?,
                        other => other.eval(env)?,
                    };
                    out.insert(k.clone(), v);
                }
                Ok(Value::Object(out))
            }
            Template::Array(items) => items
                .iter()
                .map(|t| t.eval(env))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
        }
    }
}

fn eval_path(p: &JsonPath, key: &str, env: &dyn Env) -> Result<Value, Failure> {
    match p.select_in(env) {
        Some(v) => Ok(v.into_owned()),
        None => Err(missing_path_failure(p, key, env)),
    }
}

/// AWS's `States.Runtime` failure for a `.$` field whose path matches nothing.
pub fn missing_path_failure(p: &JsonPath, key: &str, env: &dyn Env) -> Failure {
    match p.root() {
        PathRoot::Variable(name) if env.variable(name).is_none() => {
            Failure::runtime(format!("The variable '${name}' is not defined"))
        }
        _ => Failure::runtime(format!(
            "The JSONPath '{}' specified for the field '{key}.$' could not be found in the input '{}'",
            p.as_str(),
            to_compact(env.input())
        )),
    }
}

/// Compact JSON text, as AWS quotes documents in causes.
pub fn to_compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

const MAX_DEPTH: usize = 512;

fn compile(v: &Value, depth: usize) -> Result<Template, (String, String)> {
    if depth > MAX_DEPTH {
        return Err((
            String::new(),
            "payload template is nested too deeply".into(),
        ));
    }
    match v {
        Value::Object(m) => {
            let mut fields = Vec::with_capacity(m.len());
            let mut dynamic = false;
            for (k, val) in m {
                let esc = k.replace('~', "~0").replace('/', "~1");
                if let Some(name) = k.strip_suffix(".$") {
                    let s = val.as_str().ok_or_else(|| {
                        (format!("/{esc}"), format!("the value of '{k}' must be a string holding a path or an intrinsic function"))
                    })?;
                    fields.push((
                        name.to_string(),
                        compile_dynamic(s).map_err(|m| (format!("/{esc}"), m))?,
                    ));
                    dynamic = true;
                } else {
                    let t = compile(val, depth + 1).map_err(|(p, m)| (format!("/{esc}{p}"), m))?;
                    dynamic |= !t.is_literal();
                    fields.push((k.clone(), t));
                }
            }
            if dynamic {
                Ok(Template::Object(fields))
            } else {
                Ok(Template::Literal(v.clone()))
            }
        }
        Value::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            let mut dynamic = false;
            for (i, item) in items.iter().enumerate() {
                let t = compile(item, depth + 1).map_err(|(p, m)| (format!("/{i}{p}"), m))?;
                dynamic |= !t.is_literal();
                out.push(t);
            }
            if dynamic {
                Ok(Template::Array(out))
            } else {
                Ok(Template::Literal(v.clone()))
            }
        }
        other => Ok(Template::Literal(other.clone())),
    }
}

/// A `.$` value: a path (`$…`, `$$…`, `$var…`) or an intrinsic call.
pub fn compile_dynamic(s: &str) -> Result<Template, String> {
    if intrinsic::is_intrinsic(s) {
        Call::parse(s)
            .map(Template::Intrinsic)
            .map_err(|e| e.message)
    } else {
        JsonPath::parse(s)
            .map(Template::Path)
            .map_err(|e| e.message)
    }
}
