//! Evaluation of parsed paths: selection (Jayway semantics, without recursion on the
//! data) and ResultPath assignment.

use super::PathError;
use super::parse::{CmpOp, Expr, Operand, Segment};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::cmp::Ordering;

/// How the result of a path is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Only names and single indices: the value itself, or nothing.
    Reference,
    /// A Reference Path followed by a union of names (`$.a['b','c']`): Jayway treats
    /// it as definite and gives one object holding the names found.
    MergeLeaf,
    /// Anything else: an array of every match.
    Indefinite,
}

pub(crate) fn shape(segs: &[Segment]) -> Shape {
    let simple = |s: &Segment| matches!(s, Segment::Name(_) | Segment::Index(_));
    match segs.split_last() {
        None => Shape::Reference,
        Some((Segment::Names(_), init)) if init.iter().all(simple) => Shape::MergeLeaf,
        Some(_) if segs.iter().all(simple) => Shape::Reference,
        Some(_) => Shape::Indefinite,
    }
}

pub(crate) fn is_jayway_definite(segs: &[Segment]) -> bool {
    shape(segs) != Shape::Indefinite
}

/// The position `i` names in an array of `len` elements (negative counts from the end).
fn effective(i: i64, len: usize) -> Option<usize> {
    let e = if i < 0 { len as i64 + i } else { i };
    if e >= 0 && (e as usize) < len {
        Some(e as usize)
    } else {
        None
    }
}

/// Follows names and indices; no allocation.
pub(crate) fn walk_definite<'v>(segs: &[Segment], mut v: &'v Value) -> Option<&'v Value> {
    for s in segs {
        v = match s {
            Segment::Name(n) => v.as_object()?.get(&**n)?,
            Segment::Index(i) => {
                let a = v.as_array()?;
                &a[effective(i64::from(*i), a.len())?]
            }
            _ => return None,
        };
    }
    Some(v)
}

fn merge(names: &[Box<str>], v: &Value) -> Option<Value> {
    let obj = v.as_object()?;
    let mut out = Map::new();
    for n in names {
        if let Some(x) = obj.get(&**n) {
            out.insert(n.to_string(), x.clone());
        }
    }
    Some(Value::Object(out))
}

/// Evaluates `segs` from `start`; `root` is what `$` means inside filters.
pub(crate) fn select_segs<'v>(
    segs: &[Segment],
    start: &'v Value,
    root: &'v Value,
) -> Option<Cow<'v, Value>> {
    select_shaped(segs, shape(segs), start, root)
}

pub(crate) fn select_shaped<'v>(
    segs: &[Segment],
    shape: Shape,
    start: &'v Value,
    root: &'v Value,
) -> Option<Cow<'v, Value>> {
    match shape {
        Shape::Reference => walk_definite(segs, start).map(Cow::Borrowed),
        Shape::MergeLeaf => match segs.split_last() {
            Some((Segment::Names(names), init)) => {
                merge(names, walk_definite(init, start)?).map(Cow::Owned)
            }
            _ => None,
        },
        Shape::Indefinite => {
            let mut out = Vec::new();
            collect(segs, start, root, &mut out);
            Some(Cow::Owned(Value::Array(
                out.into_iter().map(Cow::into_owned).collect(),
            )))
        }
    }
}

enum Work<'v> {
    /// Apply segment `.0` (or emit, past the end) to the value.
    Eval(usize, &'v Value),
    /// Recursive descent: segment `.0` is the `..`; visit this value and below.
    Walk(usize, &'v Value),
}

/// Whether `..` followed by `t` applies `t` at node `v` (Jayway's scan predicates).
fn scan_matches(t: &Segment, leaf: bool, v: &Value, root: &Value) -> bool {
    match t {
        Segment::Name(n) => v.as_object().is_some_and(|o| o.contains_key(&**n)),
        Segment::Names(ns) => v
            .as_object()
            .is_some_and(|o| !leaf || ns.iter().all(|n| o.contains_key(&**n))),
        Segment::Index(_)
        | Segment::Indices(_)
        | Segment::SliceFrom(_)
        | Segment::SliceTo(_)
        | Segment::SliceBetween(..) => v.is_array(),
        Segment::Wildcard => true,
        Segment::Filter(e) => accept(e, v, root),
        Segment::Scan => false,
    }
}

/// Every match of `segs` from `start`, in Jayway's order, with an explicit stack.
pub(crate) fn collect<'v>(
    segs: &[Segment],
    start: &'v Value,
    root: &'v Value,
    out: &mut Vec<Cow<'v, Value>>,
) {
    let mut stack = vec![Work::Eval(0, start)];
    while let Some(w) = stack.pop() {
        match w {
            Work::Eval(i, v) => {
                let Some(seg) = segs.get(i) else {
                    out.push(Cow::Borrowed(v));
                    continue;
                };
                let next = i + 1;
                match seg {
                    Segment::Name(n) => {
                        if let Some(x) = v.as_object().and_then(|o| o.get(&**n)) {
                            stack.push(Work::Eval(next, x));
                        }
                    }
                    Segment::Names(ns) => {
                        if next == segs.len() {
                            if let Some(m) = merge(ns, v) {
                                out.push(Cow::Owned(m));
                            }
                        } else if let Some(o) = v.as_object() {
                            for n in ns.iter().rev() {
                                if let Some(x) = o.get(&**n) {
                                    stack.push(Work::Eval(next, x));
                                }
                            }
                        }
                    }
                    Segment::Index(k) => {
                        if let Some(a) = v.as_array()
                            && let Some(e) = effective(i64::from(*k), a.len())
                        {
                            stack.push(Work::Eval(next, &a[e]));
                        }
                    }
                    Segment::Indices(ks) => {
                        if let Some(a) = v.as_array() {
                            for k in ks.iter().rev() {
                                if let Some(e) = effective(i64::from(*k), a.len()) {
                                    stack.push(Work::Eval(next, &a[e]));
                                }
                            }
                        }
                    }
                    Segment::SliceFrom(_) | Segment::SliceTo(_) | Segment::SliceBetween(..) => {
                        if let Some(a) = v.as_array() {
                            let len = a.len() as i64;
                            let (lo, hi) = slice_range(seg, len);
                            for k in (lo..hi).rev() {
                                if let Some(e) = effective(k, a.len()) {
                                    stack.push(Work::Eval(next, &a[e]));
                                }
                            }
                        }
                    }
                    Segment::Wildcard => match v {
                        Value::Object(o) => {
                            stack.extend(o.values().rev().map(|x| Work::Eval(next, x)))
                        }
                        Value::Array(a) => {
                            stack.extend(a.iter().rev().map(|x| Work::Eval(next, x)))
                        }
                        _ => {}
                    },
                    Segment::Scan => stack.push(Work::Walk(i, v)),
                    Segment::Filter(e) => match v {
                        Value::Object(_) if accept(e, v, root) => stack.push(Work::Eval(next, v)),
                        Value::Array(a) => {
                            for x in a.iter().rev() {
                                if accept(e, x, root) {
                                    stack.push(Work::Eval(next, x));
                                }
                            }
                        }
                        _ => {}
                    },
                }
            }
            Work::Walk(i, v) => {
                let Some(t) = segs.get(i + 1) else { continue };
                let leaf = i + 2 == segs.len();
                let nested = |x: &&Value| x.is_object() || x.is_array();
                match v {
                    Value::Object(o) => {
                        stack.extend(o.values().rev().filter(nested).map(|x| Work::Walk(i, x)));
                        if scan_matches(t, leaf, v, root) {
                            stack.push(Work::Eval(i + 1, v));
                        }
                    }
                    Value::Array(a) => {
                        stack.extend(a.iter().rev().filter(nested).map(|x| Work::Walk(i, x)));
                        if scan_matches(t, leaf, v, root) {
                            if leaf {
                                stack.push(Work::Eval(i + 1, v));
                            } else {
                                // Jayway quirk: below `..`, a non-final token that matches an
                                // array is skipped and the rest applies to every element.
                                stack.extend(a.iter().rev().map(|x| Work::Eval(i + 2, x)));
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
}

/// The positions a slice visits before negative ones are mapped (Jayway's loops),
/// clamped so that the loop never runs past positions that name nothing.
fn slice_range(seg: &Segment, len: i64) -> (i64, i64) {
    match *seg {
        Segment::SliceFrom(from) => {
            let f = i64::from(from);
            let f = if f < 0 { len + f } else { f };
            (f.max(0), len)
        }
        Segment::SliceTo(to) => {
            let t = i64::from(to);
            let t = if t < 0 { len + t } else { t };
            (0, t.min(len))
        }
        Segment::SliceBetween(from, to) => {
            // Jayway does not map negative bounds here: positions run from `from` to
            // `to` and each negative one counts from the end.
            let hi = i64::from(to).min(len);
            (i64::from(from).max(-len), hi)
        }
        _ => (0, 0),
    }
}

/// ResultPath assignment.
pub(crate) fn set_value(
    segs: &[Segment],
    src: &str,
    target: &mut Value,
    value: Value,
) -> Result<(), PathError> {
    let err = |why: &str| PathError {
        message: format!("Unable to apply ResultPath '{src}': {why}"),
    };
    if shape(segs) != Shape::Reference {
        return Err(err("not a Reference Path"));
    }
    let Some((last, init)) = segs.split_last() else {
        *target = value;
        return Ok(());
    };
    let mut cur = target;
    for (k, s) in init.iter().enumerate() {
        cur = match s {
            Segment::Name(n) => {
                let obj = cur
                    .as_object_mut()
                    .ok_or_else(|| err(&format!("'{n}' is not in an object")))?;
                if !obj.contains_key(&**n) {
                    // Everything from here on is created; an index into a new object fails,
                    // so fail before changing anything.
                    if segs[k + 1..].iter().any(|s| !matches!(s, Segment::Name(_))) {
                        return Err(err(&format!("'{n}' does not exist")));
                    }
                    obj.insert(n.to_string(), Value::Object(Map::new()));
                }
                obj.get_mut(&**n).ok_or_else(|| err("missing field"))?
            }
            Segment::Index(i) => {
                let a = cur
                    .as_array_mut()
                    .ok_or_else(|| err(&format!("[{i}] is not in an array")))?;
                let e = effective(i64::from(*i), a.len())
                    .ok_or_else(|| err(&format!("[{i}] is out of range")))?;
                &mut a[e]
            }
            _ => return Err(err("not a Reference Path")),
        };
    }
    match last {
        Segment::Name(n) => {
            let obj = cur
                .as_object_mut()
                .ok_or_else(|| err(&format!("'{n}' is not in an object")))?;
            obj.insert(n.to_string(), value);
        }
        Segment::Index(i) => {
            let a = cur
                .as_array_mut()
                .ok_or_else(|| err(&format!("[{i}] is not in an array")))?;
            let e = effective(i64::from(*i), a.len())
                .ok_or_else(|| err(&format!("[{i}] is out of range")))?;
            a[e] = value;
        }
        _ => return Err(err("not a Reference Path")),
    }
    Ok(())
}

// ---- filter expressions `[?(...)]` ----

/// True when `cur` passes the filter; `root` is the document `$` refers to.
pub(crate) fn accept(e: &Expr, cur: &Value, root: &Value) -> bool {
    match e {
        Expr::Or(terms) => terms.iter().any(|t| accept(t, cur, root)),
        Expr::And(terms) => terms.iter().all(|t| accept(t, cur, root)),
        Expr::Not(a) => !accept(a, cur, root),
        Expr::Exists(op) => match value(op, cur, root) {
            None => false,
            Some(v) => match op {
                Operand::Path { segs, .. } if !super::eval::is_jayway_definite(segs) => {
                    v.as_array().is_some_and(|a| !a.is_empty())
                }
                _ => true,
            },
        },
        Expr::Compare(l, op, r) => {
            let (Some(l), Some(r)) = (value(l, cur, root), value(r, cur, root)) else {
                // An undefined side equals nothing.
                return matches!(op, CmpOp::Ne | CmpOp::StrictNe);
            };
            compare(&l, *op, &r)
        }
    }
}

fn value<'v>(op: &'v Operand, cur: &'v Value, root: &'v Value) -> Option<Cow<'v, Value>> {
    match op {
        Operand::Literal(v) => Some(Cow::Borrowed(v)),
        Operand::Path { from_root, segs } => {
            select_segs(segs, if *from_root { root } else { cur }, root)
        }
    }
}

/// Jayway's rules: `==` between a number (left) and a string (right) reads the string
/// as a number; between a string (left) and a number (right) prints the number;
/// `<`, `<=`, `>`, `>=` compare only two numbers or two strings.
pub(crate) fn compare(l: &Value, op: CmpOp, r: &Value) -> bool {
    match op {
        CmpOp::Eq => equals(l, r),
        CmpOp::Ne => !equals(l, r),
        CmpOp::StrictEq => same_type(l, r) && equals(l, r),
        CmpOp::StrictNe => !(same_type(l, r) && equals(l, r)),
        CmpOp::Lt | CmpOp::Le | CmpOp::Gt | CmpOp::Ge => {
            let ord = match (l, r) {
                (Value::Number(a), Value::Number(b)) => num_cmp(a, b),
                (Value::String(a), Value::String(b)) => {
                    Some(a.encode_utf16().cmp(b.encode_utf16()))
                }
                _ => None,
            };
            match ord {
                None => false,
                Some(o) => match op {
                    CmpOp::Lt => o == Ordering::Less,
                    CmpOp::Le => o != Ordering::Greater,
                    CmpOp::Gt => o == Ordering::Greater,
                    _ => o != Ordering::Less,
                },
            }
        }
    }
}

fn same_type(l: &Value, r: &Value) -> bool {
    std::mem::discriminant(l) == std::mem::discriminant(r)
}

fn equals(l: &Value, r: &Value) -> bool {
    match (l, r) {
        (Value::Number(a), Value::Number(b)) => num_cmp(a, b) == Some(Ordering::Equal),
        (Value::Number(a), Value::String(s)) => match (decimal(s), a.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
        (Value::String(s), Value::Number(n)) => *s == n.to_string(),
        (Value::String(a), Value::String(b)) => a == b,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Null, Value::Null) => true,
        (Value::Array(_) | Value::Object(_), Value::Array(_) | Value::Object(_)) => l == r,
        _ => false,
    }
}

/// A string read the way Java's `BigDecimal(String)` would (no infinities or NaN).
fn decimal(s: &str) -> Option<f64> {
    let ok = !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.' | b'e' | b'E'));
    if ok { s.parse::<f64>().ok() } else { None }
}

pub(crate) fn num_cmp(a: &Number, b: &Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}
