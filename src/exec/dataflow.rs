//! JSONPath input and output processing: InputPath, ResultSelector, ResultPath,
//! OutputPath and Assign, with AWS's error texts.

use super::context::{StateEnv, Vars};
use crate::asl::Failure;
use crate::asl::failure::names;
use crate::asl::model::template::to_compact;
use crate::asl::model::{Dynamic, PathField, Template};
use crate::asl::path::{Env, JsonPath, PathRoot, Segment};
use serde_json::{Map, Value};
use std::borrow::Cow;

/// Selects a path for InputPath/OutputPath-like fields; a miss is `States.Runtime`
/// with Jayway's message, as AWS reports it.
pub fn select_path<'v>(p: &JsonPath, env: &'v dyn Env) -> Result<Cow<'v, Value>, Failure> {
    if let PathRoot::Variable(name) = p.root()
        && env.variable(name).is_none()
    {
        return Err(Failure::runtime(format!(
            "The variable '${name}' is not defined"
        )));
    }
    match p.select_in(env) {
        Some(v) => Ok(v),
        None => {
            let root = match p.root() {
                PathRoot::Input => env.input(),
                PathRoot::Context => env.context(),
                PathRoot::Variable(n) => env.variable(n).unwrap_or(&Value::Null),
            };
            Err(Failure::runtime(format!(
                "Invalid path '{}' : {}",
                p.as_str(),
                jayway_miss(p, root)
            )))
        }
    }
}

/// Jayway's message for a definite path that matches nothing: a missing last property
/// is "No results for path", a missing property on the way is "Missing property in path".
fn jayway_miss(path: &JsonPath, root: &Value) -> String {
    let segs = path.segments();
    let fmt = |segs: &[Segment]| -> String {
        let mut s = String::from("$");
        for g in segs {
            match g {
                Segment::Name(n) => s.push_str(&format!("['{n}']")),
                Segment::Index(i) => s.push_str(&format!("[{i}]")),
                _ => s.push_str("[*]"),
            }
        }
        s
    };
    let mut cur = Some(root);
    for (i, g) in segs.iter().enumerate() {
        let next = match (cur, g) {
            (Some(Value::Object(m)), Segment::Name(n)) => m.get(&**n),
            (Some(Value::Array(a)), Segment::Index(k)) => {
                usize::try_from(*k).ok().and_then(|k| a.get(k))
            }
            _ => None,
        };
        if next.is_none() {
            return if i + 1 == segs.len() {
                format!("No results for path: {}", fmt(segs))
            } else {
                format!("Missing property in path {}", fmt(&segs[..=i]))
            };
        }
        cur = next;
    }
    format!("No results for path: {}", fmt(segs))
}

/// InputPath: absent keeps the input, `null` gives `{}`.
pub fn input_path<'v>(f: &PathField, env: &'v dyn Env) -> Result<Cow<'v, Value>, Failure> {
    match f {
        PathField::Default => Ok(Cow::Borrowed(env.input())),
        PathField::Null => Ok(Cow::Owned(Value::Object(Map::new()))),
        PathField::Path(p) => select_path(p, env),
    }
}

/// OutputPath on an owned value: absent keeps it, `null` gives `{}`.
pub fn output_path(f: &PathField, output: Value, env: &dyn Env) -> Result<Value, Failure> {
    match f {
        PathField::Default => Ok(output),
        PathField::Null => Ok(Value::Object(Map::new())),
        PathField::Path(p) if p.as_str() == "$" => Ok(output),
        PathField::Path(p) => {
            let env = OutputEnv {
                output: &output,
                inner: env,
            };
            select_path(p, &env).map(Cow::into_owned)
        }
    }
}

/// The `$` of OutputPath is the state output; `$$` and variables stay as they are.
struct OutputEnv<'a> {
    output: &'a Value,
    inner: &'a dyn Env,
}

impl Env for OutputEnv<'_> {
    fn input(&self) -> &Value {
        self.output
    }
    fn context(&self) -> &Value {
        self.inner.context()
    }
    fn variable(&self, name: &str) -> Option<&Value> {
        self.inner.variable(name)
    }
}

/// ResultPath: where the result goes in the state's raw input. An owned raw input is
/// updated in place; a borrowed one is copied first.
pub fn apply_result_path(
    f: &PathField,
    raw_input: Cow<'_, Value>,
    result: Value,
) -> Result<Value, Failure> {
    match f {
        PathField::Default => Ok(result),
        PathField::Null => Ok(raw_input.into_owned()),
        PathField::Path(p) if p.as_str() == "$" => Ok(result),
        PathField::Path(p) => {
            let mut out = raw_input.into_owned();
            // `set` leaves the target unchanged when it fails.
            match p.set(&mut out, result) {
                Ok(()) => Ok(out),
                Err(_) => Err(Failure::new(
                    names::RESULT_PATH_MATCH_FAILURE,
                    format!(
                        "Unable to apply ResultPath \"{}\" to input \"{}\"",
                        p.as_str(),
                        to_compact(&out)
                    ),
                )),
            }
        }
    }
}

/// Evaluates an Assign template into the (name, value) pairs to set.
pub fn eval_assign(t: &Template, env: &dyn Env) -> Result<Vec<(String, Value)>, Failure> {
    match t.eval(env)? {
        Value::Object(m) => Ok(m.into_iter().collect()),
        _ => Ok(Vec::new()),
    }
}

pub fn set_vars(vars: &mut Vars<'_>, assigned: Vec<(String, Value)>) {
    ASSIGNED.with(|a| {
        if let Some(seen) = a.borrow_mut().as_mut() {
            seen.extend(assigned.iter().map(|(k, v)| (k.clone(), to_compact(v))));
        }
    });
    for (k, v) in assigned {
        vars.set(k, v);
    }
}

thread_local! {
    /// The variables the state running on this thread assigns, as its StateExited
    /// event's `assignedVariables` gives them (name → JSON text); None when no history
    /// is recorded.
    static ASSIGNED: std::cell::RefCell<Option<Vec<(String, String)>>> =
        const { std::cell::RefCell::new(None) };
}

/// Collects the assignments of one state while it runs on this thread (its inner
/// states collect their own and give the outer collection back when they end).
pub(crate) struct AssignWatch {
    outer: Option<Vec<(String, String)>>,
    active: bool,
}

impl AssignWatch {
    /// Starts collecting (only when `recording`: nothing is kept otherwise).
    pub(crate) fn start(recording: bool) -> AssignWatch {
        let outer = if recording {
            ASSIGNED.with(|a| a.borrow_mut().replace(Vec::new()))
        } else {
            None
        };
        AssignWatch {
            outer,
            active: recording,
        }
    }

    /// The assignments collected (name → JSON text), None when there were none.
    pub(crate) fn finish(&mut self) -> Option<serde_json::Map<String, Value>> {
        if !self.active {
            return None;
        }
        self.active = false;
        let outer = self.outer.take();
        ASSIGNED
            .with(|a| std::mem::replace(&mut *a.borrow_mut(), outer))
            .filter(|v| !v.is_empty())
            .map(|v| v.into_iter().map(|(k, v)| (k, Value::String(v))).collect())
    }
}

impl Drop for AssignWatch {
    fn drop(&mut self) {
        let _ = self.finish();
    }
}

/// A string as itself, anything else as JSON text.
pub(crate) fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => to_compact(other),
    }
}

/// The value of a field given by a path (`…Path`) or a JSONata expression.
pub(crate) fn dynamic_value<'v, T>(
    d: &Dynamic<T>,
    field: &str,
    env: &'v StateEnv<'_>,
) -> Result<Cow<'v, Value>, Failure> {
    match d {
        Dynamic::Value(_) => Ok(Cow::Owned(Value::Null)),
        Dynamic::Path(p) => select_path(p, env),
        Dynamic::Ata(t) => match env.ata {
            Some(b) => t.eval(field, b).map(Cow::Owned),
            None => Err(Failure::runtime(format!(
                "the JSONata field '{field}' is only allowed in a JSONata state"
            ))),
        },
    }
}

/// `MaxConcurrencyPath` for a path, `MaxConcurrency` for an expression.
pub(crate) fn dynamic_field_name<T>(d: &Dynamic<T>, field: &str) -> String {
    match d {
        Dynamic::Path(_) => format!("{field}Path"),
        _ => field.to_string(),
    }
}

pub(crate) fn dynamic_source<T>(d: &Dynamic<T>) -> String {
    match d {
        Dynamic::Path(p) => p.as_str().to_string(),
        Dynamic::Ata(t) => t
            .as_expr()
            .map(|e| e.source().to_string())
            .unwrap_or_default(),
        Dynamic::Value(_) => String::new(),
    }
}
