//! Evaluation of the direct evaluator's compiled expressions ([`super::Fx`]) over
//! `serde_json` values, as jsonata-js 2.0.6 evaluates them.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::super::{Bindings, CmpOp, convert};
use super::{Arith, Fallback, Filter, Func, Fx, Step, StepNode};

type R<T> = Result<T, Fallback>;

/// A value during evaluation: borrowed from the input or the variables where it can be.
#[derive(Debug, Clone)]
enum V<'a> {
    /// `undefined`.
    U,
    R(&'a Value),
    N(f64),
    S(Cow<'a, str>),
    B(bool),
    Null,
    /// A sequence (JSONata's result of a path over several values).
    Seq(Vec<V<'a>>),
    /// An object made by a constructor, or a variable given as fields.
    Obj(Vec<(&'a str, V<'a>)>),
}

use V::U;

impl<'a> V<'a> {
    fn is_array(&self) -> bool {
        matches!(self, V::R(Value::Array(_)) | V::Seq(_))
    }

    /// The members of an array or sequence; a single value otherwise.
    fn members(self) -> Vec<V<'a>> {
        match self {
            V::R(Value::Array(a)) => a.iter().map(V::R).collect(),
            V::Seq(s) => s,
            other => vec![other],
        }
    }

    fn num(&self) -> Option<f64> {
        match self {
            V::N(n) => Some(*n),
            V::R(Value::Number(n)) => n.as_f64(),
            _ => None,
        }
    }

    fn str(&self) -> Option<&str> {
        match self {
            V::S(s) => Some(s),
            V::R(Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// Array, object or sequence (not comparable as a scalar).
    fn is_composite(&self) -> bool {
        matches!(
            self,
            V::R(Value::Array(_) | Value::Object(_)) | V::Seq(_) | V::Obj(_)
        )
    }
}

/// A sequence of one value is that value, an empty one undefined.
fn normalize(v: V<'_>) -> V<'_> {
    match v {
        V::Seq(mut s) if s.len() <= 1 => s.pop().unwrap_or(U),
        other => other,
    }
}

/// jsonata-js's `fn.lookup`: a field of an object, or of every object in an array,
/// flattened.
fn lookup<'a>(v: &V<'a>, key: &str) -> V<'a> {
    match v {
        V::R(Value::Object(m)) => m.get(key).map_or(U, V::R),
        V::R(Value::Array(a)) => {
            let mut out = Vec::new();
            for e in a {
                push_flat(&mut out, lookup(&V::R(e), key));
            }
            V::Seq(out)
        }
        V::Seq(items) => {
            let mut out = Vec::new();
            for e in items {
                push_flat(&mut out, lookup(e, key));
            }
            V::Seq(out)
        }
        V::Obj(pairs) => pairs
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(U, |(_, v)| v.clone()),
        _ => U,
    }
}

/// Appends `v` to a sequence: the members of an array or sequence, a value, or nothing.
fn push_flat<'a>(out: &mut Vec<V<'a>>, v: V<'a>) {
    match v {
        U => {}
        V::R(Value::Array(a)) => out.extend(a.iter().map(V::R)),
        V::Seq(s) => out.extend(s),
        other => out.push(other),
    }
}

/// JSONata's `$boolean` (None: undefined).
fn boolean(v: &V<'_>) -> Option<bool> {
    Some(match v {
        U => return None,
        V::R(x) => json_boolean(x),
        V::N(n) => *n != 0.0 && !n.is_nan(),
        V::S(s) => !s.is_empty(),
        V::B(b) => *b,
        V::Null => false,
        V::Seq(items) => match items.as_slice() {
            [] => false,
            [one] => boolean(one).unwrap_or(false),
            many => many.iter().any(|x| boolean(x) == Some(true)),
        },
        V::Obj(pairs) => !pairs.is_empty(),
    })
}

fn json_boolean(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => match a.as_slice() {
            [] => false,
            [one] => json_boolean(one),
            many => many.iter().any(json_boolean),
        },
        Value::Object(m) => !m.is_empty(),
    }
}

/// A scalar as `$string` and `&` print it; Fallback where JavaScript's number printing
/// would be needed (non-integers, large numbers) or for arrays and objects.
fn to_text<'a>(v: &V<'a>) -> R<Cow<'a, str>> {
    Ok(match v {
        V::S(s) => s.clone(),
        V::R(Value::String(s)) => Cow::Borrowed(s.as_str()),
        V::B(b) | V::R(Value::Bool(b)) => Cow::Borrowed(if *b { "true" } else { "false" }),
        V::Null | V::R(Value::Null) => Cow::Borrowed("null"),
        v => match v.num() {
            Some(n) if n.fract() == 0.0 && n.abs() < 1e15 => Cow::Owned((n as i64).to_string()),
            _ => return Err(Fallback),
        },
    })
}

/// The result as JSON, numbers as the general evaluator writes them.
fn to_json(v: &V<'_>) -> Option<Value> {
    Some(match v {
        U => return None,
        V::R(x) => canonical(x),
        V::N(n) => convert::number(*n),
        V::S(s) => Value::String(s.to_string()),
        V::B(b) => Value::Bool(*b),
        V::Null => Value::Null,
        V::Seq(items) => Value::Array(items.iter().filter_map(to_json).collect()),
        V::Obj(pairs) => {
            let mut m = Map::with_capacity(pairs.len());
            for (k, v) in pairs {
                if let Some(v) = to_json(v) {
                    m.insert((*k).to_string(), v);
                }
            }
            Value::Object(m)
        }
    })
}

/// A copy with every number as a double, as JSONata has them (`2.0` is `2`).
fn canonical(v: &Value) -> Value {
    match v {
        Value::Number(n) if n.is_f64() || n.as_i64().is_none_or(|i| i.unsigned_abs() > 1 << 53) => {
            convert::number(n.as_f64().unwrap_or(0.0))
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), canonical(v))).collect())
        }
        other => other.clone(),
    }
}

/// Evaluates `fx` on `input` (None: undefined) with `bindings`; `Err(Fallback)` when the
/// general evaluator must run it.
pub(in crate::jsonata) fn eval(
    fx: &Fx,
    input: Option<&Value>,
    bindings: &dyn Bindings,
) -> Result<Option<Value>, Fallback> {
    let ev = Ev { b: bindings };
    // As jsonata-js does, an array input is one value (a sequence holding the array), so
    // that a path's first step looks into all of it rather than into each member.
    let input = match input {
        None => U,
        Some(a @ Value::Array(_)) => V::Seq(vec![V::R(a)]),
        Some(v) => V::R(v),
    };
    let v = ev.eval(fx, &input)?;
    Ok(to_json(&v))
}

struct Ev<'a> {
    b: &'a dyn Bindings,
}

impl<'a> Ev<'a> {
    fn eval(&self, fx: &'a Fx, ctx: &V<'a>) -> R<V<'a>> {
        Ok(match fx {
            Fx::Num(n) => V::N(*n),
            Fx::Str(s) => V::S(Cow::Borrowed(s)),
            Fx::Bool(b) => V::B(*b),
            Fx::Null => V::Null,
            Fx::Context => normalize(ctx.clone()),
            Fx::Path(steps) => self.path(steps, ctx)?,
            Fx::Cmp(op, l, r) => {
                let (l, r) = (self.eval(l, ctx)?, self.eval(r, ctx)?);
                compare(*op, &l, &r)?
            }
            Fx::Arith(op, l, r) => {
                let (l, r) = (self.eval(l, ctx)?, self.eval(r, ctx)?);
                let num = |v: &V<'_>| match v {
                    U => Ok(None),
                    v => v.num().map(Some).ok_or(Fallback),
                };
                match (num(&l)?, num(&r)?) {
                    (Some(a), Some(b)) => {
                        let x = match op {
                            Arith::Add => a + b,
                            Arith::Sub => a - b,
                            Arith::Mul => a * b,
                            Arith::Div => a / b,
                            Arith::Mod => a % b,
                        };
                        if !x.is_finite() {
                            return Err(Fallback);
                        }
                        V::N(x)
                    }
                    _ => U,
                }
            }
            Fx::Neg(e) => match self.eval(e, ctx)? {
                U => U,
                v => V::N(-v.num().ok_or(Fallback)?),
            },
            Fx::Concat(l, r) => {
                let (l, r) = (self.eval(l, ctx)?, self.eval(r, ctx)?);
                let text = |v: &V<'a>| match v {
                    U => Ok(Cow::Borrowed("")),
                    v => to_text(v),
                };
                let mut s = text(&l)?.into_owned();
                s.push_str(&text(&r)?);
                V::S(Cow::Owned(s))
            }
            Fx::And(l, r) => {
                let l = boolean(&self.eval(l, ctx)?).unwrap_or(false);
                V::B(l && boolean(&self.eval(r, ctx)?).unwrap_or(false))
            }
            Fx::Or(l, r) => {
                let l = boolean(&self.eval(l, ctx)?).unwrap_or(false);
                V::B(l || boolean(&self.eval(r, ctx)?).unwrap_or(false))
            }
            Fx::Cond(c, t, e) => {
                if boolean(&self.eval(c, ctx)?) == Some(true) {
                    self.eval(t, ctx)?
                } else {
                    match e {
                        Some(e) => self.eval(e, ctx)?,
                        None => U,
                    }
                }
            }
            Fx::Call(f, name, args) => {
                // A variable of the function's name would be called instead.
                if self.b.get(name).is_some() || self.b.fields(name).is_some() {
                    return Err(Fallback);
                }
                let args = args
                    .iter()
                    .map(|a| self.eval(a, ctx))
                    .collect::<R<Vec<_>>>()?;
                call(*f, args)?
            }
            Fx::Merge(items) => {
                if self.b.get("merge").is_some() || self.b.fields("merge").is_some() {
                    return Err(Fallback);
                }
                let mut out: Vec<(&'a str, V<'a>)> = Vec::new();
                let mut put =
                    |k: &'a str, v: V<'a>| match out.iter_mut().find(|(seen, _)| *seen == k) {
                        Some(slot) => slot.1 = v,
                        None => out.push((k, v)),
                    };
                for item in items {
                    match self.eval(item, ctx)? {
                        U => {}
                        V::R(Value::Object(m)) => {
                            for (k, v) in m {
                                put(k, V::R(v));
                            }
                        }
                        V::Obj(pairs) => {
                            for (k, v) in pairs {
                                put(k, v);
                            }
                        }
                        // Arrays are spliced into the list, other values are an error.
                        _ => return Err(Fallback),
                    }
                }
                V::Obj(out)
            }
            Fx::Object(pairs) => {
                // Over several values an object constructor groups them: not here.
                if ctx.is_array() {
                    return Err(Fallback);
                }
                let mut out = Vec::with_capacity(pairs.len());
                for (k, v) in pairs {
                    match self.eval(v, ctx)? {
                        U => {}
                        v => out.push((k.as_str(), v)),
                    }
                }
                V::Obj(out)
            }
        })
    }

    /// A variable's value: its fields when the bindings give it so (no copy), else the
    /// value; unbound (or a function's name) goes to the general evaluator.
    fn var(&self, name: &str) -> R<V<'a>> {
        if let Some(parts) = self.b.fields(name) {
            return Ok(V::Obj(
                parts.into_iter().map(|(k, v)| (k, V::R(v))).collect(),
            ));
        }
        self.b.get(name).map(V::R).ok_or(Fallback)
    }

    /// jsonata-js's `evaluatePath` (without tuple streams).
    fn path(&self, steps: &'a [Step], ctx: &V<'a>) -> R<V<'a>> {
        let first_var = matches!(steps[0].node, StepNode::Var(_));
        // Field names through single objects need no sequences: walk them.
        let mut cur = match &steps[0].node {
            StepNode::Var(name) if steps[0].filters.is_empty() => Some(self.var(name)?),
            StepNode::Name(_) if !ctx.is_array() => Some(ctx.clone()),
            _ => None,
        };
        let mut i = usize::from(first_var && cur.is_some());
        if let Some(v) = &mut cur {
            while let Some(Step {
                node: StepNode::Name(k),
                filters,
            }) = steps.get(i)
            {
                if !filters.is_empty() || !matches!(v, V::R(Value::Object(_)) | V::Obj(_)) {
                    break;
                }
                *v = lookup(v, k);
                if matches!(v, U) {
                    return Ok(U);
                }
                i += 1;
            }
            if i == steps.len() {
                return Ok(cur.take().unwrap_or(U));
            }
        }
        let mut input = match cur {
            Some(v) if i > 0 => v.members(),
            _ if !first_var && ctx.is_array() => ctx.clone().members(),
            _ => vec![ctx.clone()],
        };
        let mut out = U;
        for (j, st) in steps.iter().enumerate().skip(i) {
            let last = j + 1 == steps.len();
            let mut results = Vec::with_capacity(input.len());
            for item in &input {
                let mut res = match &st.node {
                    StepNode::Name(k) => normalize(lookup(item, k)),
                    StepNode::Var(name) => self.var(name)?,
                    StepNode::Apply(e) => self.eval(e, item)?,
                };
                for f in &st.filters {
                    res = self.filter(f, res)?;
                }
                if !matches!(res, U) {
                    results.push(res);
                }
            }
            let seq = if last && results.len() == 1 && matches!(results[0], V::R(Value::Array(_))) {
                results.pop().unwrap_or(U)
            } else {
                let mut flat = Vec::with_capacity(results.len());
                for r in results {
                    push_flat(&mut flat, r);
                }
                V::Seq(flat)
            };
            if matches!(&seq, V::Seq(s) if s.is_empty()) {
                return Ok(U);
            }
            if last {
                out = seq;
            } else {
                input = seq.members();
            }
        }
        Ok(normalize(out))
    }

    /// jsonata-js's `evaluateFilter`, for a literal index or a predicate that is not a
    /// number (numbers select by position: the general evaluator does that).
    fn filter(&self, f: &'a Filter, input: V<'a>) -> R<V<'a>> {
        match f {
            Filter::Index(n) => {
                let items = input.members();
                let len = items.len() as f64;
                let mut at = n.floor();
                if at < 0.0 {
                    at += len;
                }
                let item = if at >= 0.0 && at < len {
                    items.into_iter().nth(at as usize).unwrap_or(U)
                } else {
                    U
                };
                Ok(match item {
                    U => V::Seq(Vec::new()),
                    a @ (V::R(Value::Array(_)) | V::Seq(_)) => a,
                    other => V::Seq(vec![other]),
                })
            }
            Filter::Pred(p) => {
                if matches!(input, U) {
                    return Err(Fallback);
                }
                let mut out = Vec::new();
                for item in input.members() {
                    let r = self.eval(p, &item)?;
                    if r.num().is_some()
                        || (r.is_array() && r.clone().members().iter().any(|m| m.num().is_some()))
                    {
                        return Err(Fallback);
                    }
                    if boolean(&r) == Some(true) {
                        out.push(item);
                    }
                }
                Ok(V::Seq(out))
            }
        }
    }
}

/// `=`, `!=` (false when a side is undefined) and the orderings (undefined when a side
/// is; numbers with numbers, ASCII strings with strings, anything else is an error of
/// the general evaluator's).
fn compare<'a>(op: CmpOp, l: &V<'a>, r: &V<'a>) -> R<V<'a>> {
    if matches!(op, CmpOp::Eq | CmpOp::Ne) {
        if matches!(l, U) || matches!(r, U) {
            return Ok(V::B(false));
        }
        if l.is_composite() || r.is_composite() {
            return Err(Fallback);
        }
        let eq = match (l.num(), r.num()) {
            (Some(a), Some(b)) => a == b,
            (None, None) => match (l.str(), r.str()) {
                (Some(a), Some(b)) => a == b,
                (None, None) => scalar_bool(l) == scalar_bool(r),
                _ => false,
            },
            _ => false,
        };
        return Ok(V::B(if op == CmpOp::Eq { eq } else { !eq }));
    }
    let comparable = |v: &V<'_>| matches!(v, U) || v.num().is_some() || v.str().is_some();
    if !comparable(l) || !comparable(r) {
        return Err(Fallback);
    }
    if matches!(l, U) || matches!(r, U) {
        return Ok(U);
    }
    let ord = match (l.num(), r.num(), l.str(), r.str()) {
        (Some(a), Some(b), _, _) => a.partial_cmp(&b).ok_or(Fallback)?,
        (_, _, Some(a), Some(b)) if a.is_ascii() && b.is_ascii() => a.cmp(b),
        _ => return Err(Fallback),
    };
    use std::cmp::Ordering::*;
    Ok(V::B(match op {
        CmpOp::Lt => ord == Less,
        CmpOp::Le => ord != Greater,
        CmpOp::Gt => ord == Greater,
        CmpOp::Ge => ord != Less,
        CmpOp::Eq | CmpOp::Ne => unreachable!("handled above"),
    }))
}

/// null as None, booleans as themselves (for `=` between non-numbers, non-strings).
fn scalar_bool(v: &V<'_>) -> Option<bool> {
    match v {
        V::B(b) | V::R(Value::Bool(b)) => Some(*b),
        _ => None,
    }
}

fn call<'a>(f: Func, mut args: Vec<V<'a>>) -> R<V<'a>> {
    let arg = std::mem::replace(&mut args[0], U);
    let numbers = |v: V<'a>| -> R<Vec<f64>> {
        v.members()
            .iter()
            .map(|m| m.num().ok_or(Fallback))
            .collect()
    };
    let string = |v: &V<'a>| -> R<Option<String>> {
        match v {
            U => Ok(None),
            v => v.str().map(|s| Some(s.to_string())).ok_or(Fallback),
        }
    };
    Ok(match f {
        Func::Count => V::N(match &arg {
            U => 0.0,
            v if v.is_array() => arg.members().len() as f64,
            _ => 1.0,
        }),
        Func::Exists => V::B(!matches!(arg, U)),
        _ if matches!(arg, U) && f != Func::Join => U,
        Func::Sum => V::N(numbers(arg)?.iter().sum()),
        Func::Max | Func::Min | Func::Average => {
            let ns = numbers(arg)?;
            if ns.is_empty() {
                return Ok(U);
            }
            V::N(match f {
                Func::Max => ns.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                Func::Min => ns.iter().copied().fold(f64::INFINITY, f64::min),
                _ => ns.iter().sum::<f64>() / ns.len() as f64,
            })
        }
        Func::Join => {
            if matches!(arg, U) {
                return Ok(U);
            }
            let sep = match args.get(1) {
                None => String::new(),
                Some(v) => v.str().ok_or(Fallback)?.to_string(),
            };
            let parts = arg
                .members()
                .iter()
                .map(|m| m.str().map(str::to_string).ok_or(Fallback))
                .collect::<R<Vec<_>>>()?;
            V::S(Cow::Owned(parts.join(&sep)))
        }
        Func::Uppercase | Func::Lowercase => {
            let s = string(&arg)?.unwrap_or_default();
            if !s.is_ascii() {
                return Err(Fallback);
            }
            V::S(Cow::Owned(if f == Func::Uppercase {
                s.to_ascii_uppercase()
            } else {
                s.to_ascii_lowercase()
            }))
        }
        Func::Length => V::N(string(&arg)?.unwrap_or_default().chars().count() as f64),
        Func::Substring => {
            let s = string(&arg)?.unwrap_or_default();
            let int = |v: &V<'_>| match v.num() {
                Some(n) if n.fract() == 0.0 && n.abs() < 1e15 => Ok(n as i64),
                _ => Err(Fallback),
            };
            if !s.is_ascii() {
                return Err(Fallback);
            }
            let start = int(&args[1])?;
            let length = match args.get(2) {
                Some(v) => Some(int(v)?),
                None => None,
            };
            V::S(Cow::Owned(substring(&s, start, length)))
        }
        Func::String => V::S(Cow::Owned(to_text(&arg)?.into_owned())),
        Func::Not => V::B(!boolean(&arg).unwrap_or(false)),
        Func::Boolean => V::B(boolean(&arg).unwrap_or(false)),
    })
}

/// jsonata-js's `$substring` on an ASCII string (JavaScript's `slice` bounds).
fn substring(s: &str, start: i64, length: Option<i64>) -> String {
    let len = s.len() as i64;
    let start = if len + start < 0 { 0 } else { start };
    let end = match length {
        Some(l) if l <= 0 => return String::new(),
        Some(l) if start >= 0 => start + l,
        Some(l) => len + start + l,
        None => len,
    };
    let at = |i: i64| if i < 0 { (len + i).max(0) } else { i.min(len) } as usize;
    let (from, to) = (at(start), at(end));
    if to <= from {
        return String::new();
    }
    s[from..to].to_string()
}
