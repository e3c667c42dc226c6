//! Kernels for the JSONata subset (`compile::simple`), with JSONata's semantics:
//! numbers are doubles, `=`/`!=` between values of different types are false/true,
//! ordering them is an error, strings order by UTF-16 code units.
//!
//! Where a kernel can't be sure to give the evaluator's exact result it returns `Err`
//! and the batch runs as rows: integers beyond 2^53 (JSONata would round them),
//! integral doubles (JSONata would write `2.0` as `2`), ordering of non-ASCII strings,
//! `$substring` of non-ASCII strings, comparisons of objects.

use super::Col;
use crate::jsonata::CmpOp;
use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Datum, Float64Array, Int64Array, ListArray,
    StringArray, StringBuilder, StructArray,
};
use arrow::buffer::OffsetBuffer;
use arrow::compute::kernels::cmp;
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type};
use serde_json::Value;
use std::sync::Arc;

/// Largest integer a double holds exactly.
const EXACT: i64 = 1 << 53;

/// Checks that a column's numbers come out of JSONata as they went in (see the module
/// docs); recursive over structs.
pub(super) fn check_numbers(f: &Field, a: &dyn Array) -> Result<(), String> {
    if let Some(x) = a.as_primitive_opt::<Int64Type>() {
        if x.values().iter().any(|v| !(-EXACT..=EXACT).contains(v)) {
            return Err(format!(
                "the column '{}' has integers beyond 2^53",
                f.name()
            ));
        }
    } else if let Some(x) = a.as_primitive_opt::<Float64Type>() {
        if x.values().iter().any(|v| v.fract() == 0.0) {
            return Err(format!("the column '{}' has integral doubles", f.name()));
        }
    } else if let Some(s) = a.as_any().downcast_ref::<StructArray>() {
        for (f, c) in s.fields().iter().zip(s.columns()) {
            check_numbers(f, c.as_ref())?;
        }
    }
    Ok(())
}

fn ascii(a: &StringArray) -> bool {
    a.values().is_ascii()
}

#[derive(PartialEq, Clone, Copy)]
enum Kind {
    Number,
    String,
    Bool,
    Null,
    Other,
}

fn kind_of_value(v: &Value) -> Kind {
    match v {
        Value::Number(_) => Kind::Number,
        Value::String(_) => Kind::String,
        Value::Bool(_) => Kind::Bool,
        Value::Null => Kind::Null,
        _ => Kind::Other,
    }
}

fn kind_of_array(a: &dyn Array) -> Kind {
    match a.data_type() {
        DataType::Int64 | DataType::Float64 => Kind::Number,
        DataType::Utf8 => Kind::String,
        DataType::Boolean => Kind::Bool,
        _ => Kind::Other,
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

fn run(op: CmpOp, l: &dyn Datum, r: &dyn Datum) -> Result<Col, String> {
    let out = match op {
        CmpOp::Eq => cmp::eq(l, r),
        CmpOp::Ne => cmp::neq(l, r),
        CmpOp::Lt => cmp::lt(l, r),
        CmpOp::Le => cmp::lt_eq(l, r),
        CmpOp::Gt => cmp::gt(l, r),
        CmpOp::Ge => cmp::gt_eq(l, r),
    };
    out.map(|b| Col::Arr(Arc::new(b)))
        .map_err(|e| e.to_string())
}

fn constant(n: usize, b: bool) -> Col {
    Col::Arr(Arc::new(BooleanArray::from(vec![b; n])))
}

/// Values of different types: `=` is false, `!=` true, ordering an error.
fn mismatched(op: CmpOp, n: usize) -> Result<Col, String> {
    match op {
        CmpOp::Eq => Ok(constant(n, false)),
        CmpOp::Ne => Ok(constant(n, true)),
        _ => Err(format!("{} between values of different types", op.symbol())),
    }
}

fn ordering(op: CmpOp) -> bool {
    !matches!(op, CmpOp::Eq | CmpOp::Ne)
}

fn as_f64(a: &ArrayRef) -> Result<Float64Array, String> {
    match a.as_primitive_opt::<Int64Type>() {
        Some(x) => Ok(x.unary(|v| v as f64)),
        None => a
            .as_primitive_opt::<Float64Type>()
            .cloned()
            .ok_or_else(|| "not a number column".to_string()),
    }
}

/// `a op b` for every row.
pub(super) fn compare(op: CmpOp, a: Col, b: Col, n: usize) -> Result<Col, String> {
    match (a, b) {
        (Col::Const(x), Col::Const(y)) => constants(op, &x, &y).map(|b| Col::Const(b.into())),
        (Col::Const(x), Col::Arr(y)) => with_literal(flip(op), &y, &x, n),
        (Col::Arr(x), Col::Const(y)) => with_literal(op, &x, &y, n),
        (Col::Arr(x), Col::Arr(y)) => columns(op, &x, &y, n),
    }
}

fn constants(op: CmpOp, x: &Value, y: &Value) -> Result<bool, String> {
    use std::cmp::Ordering;
    let ord = match (x, y) {
        (Value::Number(a), Value::Number(b)) => a
            .as_f64()
            .zip(b.as_f64())
            .and_then(|(a, b)| a.partial_cmp(&b)),
        (Value::String(a), Value::String(b)) if a.is_ascii() && b.is_ascii() => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) if !ordering(op) => Some(a.cmp(b)),
        _ if kind_of_value(x) != kind_of_value(y)
            && kind_of_value(x) != Kind::Other
            && kind_of_value(y) != Kind::Other
            && !ordering(op) =>
        {
            return Ok(op == CmpOp::Ne);
        }
        _ => None,
    };
    let ord = ord.ok_or("a comparison of constants outside the kernels")?;
    Ok(match op {
        CmpOp::Eq => ord == Ordering::Equal,
        CmpOp::Ne => ord != Ordering::Equal,
        CmpOp::Lt => ord == Ordering::Less,
        CmpOp::Le => ord != Ordering::Greater,
        CmpOp::Gt => ord == Ordering::Greater,
        CmpOp::Ge => ord != Ordering::Less,
    })
}

fn with_literal(op: CmpOp, a: &ArrayRef, lit: &Value, n: usize) -> Result<Col, String> {
    let (ka, kl) = (kind_of_array(a.as_ref()), kind_of_value(lit));
    if ka == Kind::Other || kl == Kind::Other {
        return Err("a comparison of objects or arrays".into());
    }
    if ka != kl {
        return mismatched(op, n);
    }
    match lit {
        Value::Number(num) => match (a.as_primitive_opt::<Int64Type>(), num.as_i64()) {
            (Some(x), Some(y)) => run(op, x, &Int64Array::new_scalar(y)),
            _ => {
                let y = num.as_f64().ok_or("a number literal out of range")?;
                run(op, &as_f64(a)?, &Float64Array::new_scalar(y))
            }
        },
        Value::String(s) => {
            let x = a.as_string::<i32>();
            if ordering(op) && !(ascii(x) && s.is_ascii()) {
                return Err("ordering of non-ASCII strings".into());
            }
            run(op, x, &StringArray::new_scalar(s))
        }
        Value::Bool(b) if !ordering(op) => run(op, a.as_boolean(), &BooleanArray::new_scalar(*b)),
        _ => Err(format!("{} of booleans", op.symbol())),
    }
}

fn columns(op: CmpOp, a: &ArrayRef, b: &ArrayRef, n: usize) -> Result<Col, String> {
    let (ka, kb) = (kind_of_array(a.as_ref()), kind_of_array(b.as_ref()));
    if ka == Kind::Other || kb == Kind::Other {
        return Err("a comparison of objects or arrays".into());
    }
    if ka != kb {
        return mismatched(op, n);
    }
    match ka {
        Kind::Number => match (
            a.as_primitive_opt::<Int64Type>(),
            b.as_primitive_opt::<Int64Type>(),
        ) {
            (Some(x), Some(y)) => run(op, x, y),
            _ => run(op, &as_f64(a)?, &as_f64(b)?),
        },
        Kind::String => {
            let (x, y) = (a.as_string::<i32>(), b.as_string::<i32>());
            if ordering(op) && !(ascii(x) && ascii(y)) {
                return Err("ordering of non-ASCII strings".into());
            }
            run(op, x, y)
        }
        Kind::Bool if !ordering(op) => run(op, a.as_boolean(), b.as_boolean()),
        _ => Err(format!("{} of booleans", op.symbol())),
    }
}

/// An integer column or literal (within ±2^53, as `check_numbers` ensures for columns).
fn ints(c: &Col) -> Option<Result<Int64Array, i64>> {
    match c {
        Col::Const(Value::Number(n)) => n
            .as_i64()
            .filter(|v| v.unsigned_abs() <= EXACT as u64)
            .map(Err),
        Col::Arr(a) => a.as_primitive_opt::<Int64Type>().cloned().map(Ok),
        Col::Const(_) => None,
    }
}

/// `a + b` of integers (JSONata adds doubles: exact while the sum stays within 2^53).
pub(super) fn add(a: Col, b: Col) -> Result<Col, String> {
    let (x, y) = (
        ints(&a).ok_or("+ of values that are not integers")?,
        ints(&b).ok_or("+ of values that are not integers")?,
    );
    let sum = match (x, y) {
        (Err(x), Err(y)) => return Ok(Col::Const(Value::from(x + y))),
        (Ok(x), Err(y)) | (Err(y), Ok(x)) => x.unary::<_, Int64Type>(|v| v + y),
        (Ok(x), Ok(y)) => arrow::compute::kernels::numeric::add(&x, &y)
            .map_err(|e| e.to_string())?
            .as_primitive::<Int64Type>()
            .clone(),
    };
    if sum.values().iter().any(|v| v.unsigned_abs() > EXACT as u64) {
        return Err("a sum beyond 2^53".into());
    }
    Ok(Col::Arr(Arc::new(sum)))
}

/// JSONata's `$string` of one row of a column the kernels take: strings, integers
/// (within 2^53, so plain decimals) and booleans; None for anything else.
fn texts(c: &Col) -> Option<Result<Vec<String>, String>> {
    match c {
        Col::Const(Value::String(s)) => Some(Err(s.clone())),
        Col::Const(Value::Bool(b)) => Some(Err(b.to_string())),
        Col::Const(Value::Number(n)) => n
            .as_i64()
            .filter(|v| v.unsigned_abs() <= EXACT as u64)
            .map(|v| Err(v.to_string())),
        Col::Const(_) => None,
        Col::Arr(a) => {
            if let Some(x) = a.as_string_opt::<i32>() {
                Some(Ok(x
                    .iter()
                    .map(|s| s.unwrap_or_default().to_string())
                    .collect()))
            } else if let Some(x) = a.as_primitive_opt::<Int64Type>() {
                Some(Ok(x.values().iter().map(i64::to_string).collect()))
            } else {
                a.as_boolean_opt()
                    .map(|x| Ok(x.iter().map(|b| b.unwrap_or(false).to_string()).collect()))
            }
        }
    }
}

/// `a & b`.
pub(super) fn concat(a: Col, b: Col, n: usize) -> Result<Col, String> {
    let why = "& of values outside the kernels";
    let (x, y) = (texts(&a).ok_or(why)?, texts(&b).ok_or(why)?);
    if let (Err(x), Err(y)) = (&x, &y) {
        return Ok(Col::Const(Value::String(format!("{x}{y}"))));
    }
    let at = |t: &Result<Vec<String>, String>, i: usize| -> String {
        match t {
            Ok(v) => v.get(i).cloned().unwrap_or_default(),
            Err(s) => s.clone(),
        }
    };
    let mut out = StringBuilder::with_capacity(n, n * 16);
    for i in 0..n {
        let (l, r) = (at(&x, i), at(&y, i));
        out.append_value(format!("{l}{r}"));
    }
    Ok(Col::Arr(Arc::new(out.finish())))
}

/// A Boolean column (JSONata's `and`/`or`/`$not` of booleans).
pub(super) fn booleans(c: Col, n: usize) -> Result<BooleanArray, String> {
    match c {
        Col::Const(Value::Bool(b)) => Ok(BooleanArray::from(vec![b; n])),
        Col::Arr(a) => match a.as_boolean_opt() {
            Some(b) if b.null_count() == 0 => Ok(b.clone()),
            _ => Err("a boolean operator on values that are not booleans".into()),
        },
        Col::Const(_) => Err("a boolean operator on values that are not booleans".into()),
    }
}

/// JSONata's `$substring` on a string of `len` characters: (from, to).
fn substring_range(len: i64, start: i64, length: Option<i64>) -> (usize, usize) {
    let start = if len.saturating_add(start) < 0 {
        0
    } else {
        start
    };
    // Array.prototype.slice.
    let norm = |x: i64| {
        if x < 0 {
            len.saturating_add(x).max(0)
        } else {
            x.min(len)
        }
    };
    let end = match length {
        Some(l) if l <= 0 => return (0, 0),
        Some(l) if start >= 0 => norm(start.saturating_add(l)),
        Some(l) => norm(len.saturating_add(start).saturating_add(l)),
        None => len,
    };
    let from = norm(start);
    if end <= from {
        (0, 0)
    } else {
        (from as usize, end as usize)
    }
}

pub(super) fn substring(c: Col, start: i64, length: Option<i64>) -> Result<Col, String> {
    match c {
        Col::Const(Value::String(s)) if s.is_ascii() => {
            let (a, b) = substring_range(s.len() as i64, start, length);
            Ok(Col::Const(Value::String(s[a..b].to_string())))
        }
        Col::Arr(a) => {
            let x = a
                .as_string_opt::<i32>()
                .ok_or("$substring of a value that is not a string")?;
            if !ascii(x) {
                return Err("$substring of non-ASCII strings".into());
            }
            let mut b = StringBuilder::with_capacity(x.len(), x.values().len());
            for s in x.iter() {
                let s = s.unwrap_or_default();
                let (from, to) = substring_range(s.len() as i64, start, length);
                b.append_value(&s[from..to]);
            }
            Ok(Col::Arr(Arc::new(b.finish())))
        }
        Col::Const(_) => Err("$substring of a value outside the kernels".into()),
    }
}

/// `[x]` on every row: a list column of one-element lists.
pub(super) fn wrap(c: Col, n: usize) -> Result<Col, String> {
    match c {
        Col::Const(v) => Ok(Col::Const(Value::Array(vec![v]))),
        Col::Arr(a) => {
            let field = Arc::new(Field::new("item", a.data_type().clone(), true));
            let offsets = OffsetBuffer::from_lengths(std::iter::repeat_n(1, n));
            ListArray::try_new(field, offsets, a, None)
                .map(|l| Col::Arr(Arc::new(l)))
                .map_err(|e| e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::substring_range;

    fn sub(s: &str, start: i64, len: Option<i64>) -> &str {
        let (a, b) = substring_range(s.len() as i64, start, len);
        &s[a..b]
    }

    #[test]
    fn substring_follows_jsonata() {
        // Cases from the JSONata documentation and reference suite.
        assert_eq!(sub("Hello World", 3, None), "lo World");
        assert_eq!(sub("Hello World", 3, Some(5)), "lo Wo");
        assert_eq!(sub("Hello World", -4, None), "orld");
        assert_eq!(sub("Hello World", -4, Some(2)), "or");
        assert_eq!(sub("hello", -100, Some(2)), "he");
        assert_eq!(sub("hello", 2, Some(0)), "");
        assert_eq!(sub("hello", 2, Some(-1)), "");
        assert_eq!(sub("hello", 10, None), "");
        assert_eq!(sub("hello", 0, Some(100)), "hello");
        assert_eq!(
            sub("2024-03-01T00:00:00.492Z", 0, Some(16)),
            "2024-03-01T00:00"
        );
        // Extreme literal bounds neither overflow nor panic.
        assert_eq!(sub("hello", -2, Some(i64::MAX)), "lo");
        assert_eq!(sub("hello", i64::MAX, Some(i64::MAX)), "");
        assert_eq!(sub("hello", i64::MIN, None), "hello");
    }
}
