//! Running a compiled program over one batch: documents as named columns, template
//! fields as column expressions, Choice rules as masks.

use super::convert::{const_column, supported, value_at};
use super::{CONST_KEY, ColumnarOutput, ColumnarProgram, SCALAR_KEY};
use super::{Col, jsonata_kernels};
use crate::asl::choice::{Op, Operand, Rule, Test, cmp_numbers, cmp_strings};
use crate::asl::intrinsic::{java_double_to_string, java_to_string};
use crate::asl::path::Env;
use crate::plan::columnar::compile::{CArg, CRule, CState, CTpl, Names, Produce, ResultAt};
use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Datum, Int64Array, RecordBatch, RecordBatchOptions,
    StringBuilder, StructArray, UInt32Array,
};
use arrow::compute::kernels::{boolean, cmp, numeric};
use arrow::compute::{FilterBuilder, FilterPredicate};
use arrow::datatypes::{DataType, Field, Fields, Float64Type, Int64Type, Schema};
use serde_json::{Map, Number, Value};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

/// Most group steps one batch may take (a processor that loops runs as rows).
const MAX_STEPS: usize = 10_000;

/// A document for the rows of a group: an object of columns, or another value.
#[derive(Debug, Clone)]
enum Doc {
    Obj(Vec<(String, Col)>),
    Val(Col),
}

fn child(f: &Field, a: &ArrayRef) -> Col {
    match f.metadata().get(CONST_KEY) {
        Some(t) => Col::Const(serde_json::from_str(t).unwrap_or(Value::Null)),
        None => Col::Arr(a.clone()),
    }
}

fn doc_of(c: Col) -> Doc {
    match c {
        Col::Const(Value::Object(m)) => {
            Doc::Obj(m.into_iter().map(|(k, v)| (k, Col::Const(v))).collect())
        }
        Col::Arr(a) => match a.as_struct_opt() {
            Some(s) => Doc::Obj(
                s.fields()
                    .iter()
                    .zip(s.columns())
                    .map(|(f, c)| (f.name().clone(), child(f, c)))
                    .collect(),
            ),
            None => Doc::Val(Col::Arr(a)),
        },
        c => Doc::Val(c),
    }
}

fn col_of(d: Doc, n: usize) -> Result<Col, String> {
    let fs = match d {
        Doc::Val(c) => return Ok(c),
        Doc::Obj(fs) => fs,
    };
    if fs.iter().all(|(_, c)| matches!(c, Col::Const(_))) {
        let mut m = Map::with_capacity(fs.len());
        for (k, c) in fs {
            if let Col::Const(v) = c {
                m.insert(k, v);
            }
        }
        return Ok(Col::Const(Value::Object(m)));
    }
    let (fields, arrays) = columns(fs, n);
    let s = StructArray::try_new(Fields::from(fields), arrays, None).map_err(|e| e.to_string())?;
    Ok(Col::Arr(Arc::new(s)))
}

fn columns(fs: Vec<(String, Col)>, n: usize) -> (Vec<Field>, Vec<ArrayRef>) {
    fs.into_iter()
        .map(|(k, c)| match c {
            Col::Const(v) => const_column(&k, &v, n),
            Col::Arr(a) => (Field::new(k, a.data_type().clone(), true), a),
        })
        .unzip()
}

fn lookup(doc: &Doc, names: &[String], n: usize) -> Result<Option<Col>, String> {
    let Some((first, rest)) = names.split_first() else {
        return col_of(doc.clone(), n).map(Some);
    };
    let Doc::Obj(fs) = doc else { return Ok(None) };
    match fs.iter().find(|(k, _)| k == first) {
        None => Ok(None),
        Some((_, c)) if rest.is_empty() => Ok(Some(c.clone())),
        Some((_, c)) => lookup(&doc_of(c.clone()), rest, n),
    }
}

fn need(doc: &Doc, names: &Names, n: usize) -> Result<Col, String> {
    lookup(doc, names, n)?.ok_or_else(|| format!("the field '$.{}' is missing", names.join(".")))
}

fn set_field(doc: &mut Vec<(String, Col)>, k: &str, c: Col) {
    match doc.iter_mut().find(|(key, _)| key == k) {
        Some(slot) => slot.1 = c,
        None => doc.push((k.to_string(), c)),
    }
}

fn eval(t: &CTpl, doc: &Doc, n: usize) -> Result<Col, String> {
    Ok(match t {
        CTpl::Lit(v) => Col::Const(v.clone()),
        CTpl::Path(names) => need(doc, names, n)?,
        CTpl::Obj(fs) => {
            let mut out = Vec::with_capacity(fs.len());
            for (k, t) in fs {
                let c = eval(t, doc, n)?;
                set_field(&mut out, k, c);
            }
            col_of(Doc::Obj(out), n)?
        }
        CTpl::MathAdd(a, b) => math_add(arg(a, doc, n)?, arg(b, doc, n)?)?,
        CTpl::Format(pieces, args) => {
            let cols = args
                .iter()
                .map(|a| arg(a, doc, n))
                .collect::<Result<Vec<_>, _>>()?;
            format(pieces, cols, n)?
        }
        CTpl::Cmp(op, a, b) => {
            jsonata_kernels::compare(*op, eval(a, doc, n)?, eval(b, doc, n)?, n)?
        }
        CTpl::Add(a, b) => jsonata_kernels::add(eval(a, doc, n)?, eval(b, doc, n)?)?,
        CTpl::Concat(a, b) => jsonata_kernels::concat(eval(a, doc, n)?, eval(b, doc, n)?, n)?,
        CTpl::And(a, b) | CTpl::Or(a, b) => {
            let (x, y) = (
                jsonata_kernels::booleans(eval(a, doc, n)?, n)?,
                jsonata_kernels::booleans(eval(b, doc, n)?, n)?,
            );
            let r = if matches!(t, CTpl::And(..)) {
                boolean::and(&x, &y)
            } else {
                boolean::or(&x, &y)
            };
            Col::Arr(Arc::new(r.map_err(|e| e.to_string())?))
        }
        CTpl::Not(a) => {
            let x = jsonata_kernels::booleans(eval(a, doc, n)?, n)?;
            Col::Arr(Arc::new(boolean::not(&x).map_err(|e| e.to_string())?))
        }
        CTpl::Substring(a, start, len) => {
            jsonata_kernels::substring(eval(a, doc, n)?, *start, *len)?
        }
        CTpl::Merge(ts) => {
            let mut out: Vec<(String, Col)> = Vec::new();
            for t in ts {
                match doc_of(eval(t, doc, n)?) {
                    Doc::Obj(fs) => fs.into_iter().for_each(|(k, c)| set_field(&mut out, &k, c)),
                    Doc::Val(_) => return Err("$merge of a value that is not an object".into()),
                }
            }
            col_of(Doc::Obj(out), n)?
        }
        CTpl::Wrap(a) => jsonata_kernels::wrap(col_of(doc_of(eval(a, doc, n)?), n)?, n)?,
    })
}

fn arg(a: &CArg, doc: &Doc, n: usize) -> Result<Col, String> {
    match a {
        CArg::Lit(v) => Ok(Col::Const(v.clone())),
        CArg::Path(names) => need(doc, names, n),
    }
}

/// Java's `Math.round` of a JSON number, as `States.MathAdd` takes its arguments.
fn rounded(n: &Number) -> Option<i64> {
    match n.as_i64() {
        Some(v) => Some(v),
        None => n.as_f64().and_then(round_f64),
    }
}

fn round_f64(f: f64) -> Option<i64> {
    Some((f + 0.5).floor())
        .filter(|f| f.is_finite() && f.abs() < 9.0e18)
        .map(|f| f as i64)
}

enum Ints {
    One(i64),
    Many(Int64Array),
}

fn ints(c: Col) -> Result<Ints, String> {
    const WHY: &str = "States.MathAdd on a value that is not a number in range";
    match c {
        Col::Const(Value::Number(n)) => rounded(&n).map(Ints::One).ok_or_else(|| WHY.into()),
        Col::Const(_) => Err(WHY.into()),
        Col::Arr(a) => {
            if let Some(x) = a.as_primitive_opt::<Int64Type>() {
                Ok(Ints::Many(x.clone()))
            } else if let Some(x) = a.as_primitive_opt::<Float64Type>() {
                let v = x
                    .values()
                    .iter()
                    .map(|f| round_f64(*f))
                    .collect::<Option<Vec<_>>>();
                v.map(|v| Ints::Many(Int64Array::from(v)))
                    .ok_or_else(|| WHY.into())
            } else {
                Err(WHY.into())
            }
        }
    }
}

fn math_add(a: Col, b: Col) -> Result<Col, String> {
    let datum = |i: &Ints| -> Box<dyn Datum> {
        match i {
            Ints::One(x) => Box::new(Int64Array::new_scalar(*x)),
            Ints::Many(a) => Box::new(a.clone()),
        }
    };
    match (ints(a)?, ints(b)?) {
        (Ints::One(x), Ints::One(y)) => x
            .checked_add(y)
            .map(|s| Col::Const(Value::from(s)))
            .ok_or_else(|| "States.MathAdd overflows".into()),
        (x, y) => numeric::add(datum(&x).as_ref(), datum(&y).as_ref())
            .map(Col::Arr)
            .map_err(|e| format!("States.MathAdd: {e}")),
    }
}

fn format(pieces: &[String], args: Vec<Col>, n: usize) -> Result<Col, String> {
    if args.iter().all(|c| matches!(c, Col::Const(_))) {
        let mut s = pieces.first().cloned().unwrap_or_default();
        for (c, p) in args.iter().zip(pieces.get(1..).unwrap_or(&[])) {
            if let Col::Const(v) = c {
                s.push_str(&java_to_string(v));
            }
            s.push_str(p);
        }
        return Ok(Col::Const(Value::String(s)));
    }
    let texts: Vec<Option<String>> = args
        .iter()
        .map(|c| match c {
            Col::Const(v) => Some(java_to_string(v)),
            Col::Arr(_) => None,
        })
        .collect();
    let text_len: usize = pieces.iter().map(String::len).sum();
    let per_row = text_len.saturating_add(8 * args.len());
    let mut b = StringBuilder::with_capacity(n, n.saturating_mul(per_row).min(1 << 30));
    let mut total = 0usize;
    let mut buf = String::new();
    let any_field = Field::new("", DataType::Null, true);
    for i in 0..n {
        buf.clear();
        buf.push_str(pieces.first().map_or("", String::as_str));
        for ((c, t), p) in args.iter().zip(&texts).zip(pieces.get(1..).unwrap_or(&[])) {
            match (c, t) {
                (_, Some(t)) => buf.push_str(t),
                (Col::Arr(a), None) => {
                    if let Some(s) = a.as_string_opt::<i32>() {
                        buf.push_str(s.value(i));
                    } else if let Some(x) = a.as_primitive_opt::<Int64Type>() {
                        let _ = write!(buf, "{}", x.value(i));
                    } else if let Some(x) = a.as_primitive_opt::<Float64Type>() {
                        buf.push_str(&java_double_to_string(x.value(i)));
                    } else if let Some(x) = a.as_boolean_opt() {
                        buf.push_str(if x.value(i) { "true" } else { "false" });
                    } else {
                        buf.push_str(&java_to_string(&value_at(&any_field, a.as_ref(), i)));
                    }
                }
                (Col::Const(_), None) => {}
            }
            buf.push_str(p);
        }
        total += buf.len();
        if total > i32::MAX as usize {
            return Err("States.Format output is too large for one column".into());
        }
        b.append_value(&buf);
    }
    Ok(Col::Arr(Arc::new(b.finish())))
}

/// The input of a rule evaluated by the row code on one value under `$.v`.
struct OneValue(Value, Value);

impl Env for OneValue {
    fn input(&self) -> &Value {
        &self.0
    }
    fn context(&self) -> &Value {
        &self.1
    }
    fn variable(&self, _: &str) -> Option<&Value> {
        None
    }
}

fn row_rule(rule: &Rule, v: Value) -> Result<bool, String> {
    let mut m = Map::new();
    m.insert("v".into(), v);
    rule.eval(&OneValue(Value::Object(m), Value::Null))
        .map_err(|f| f.cause.unwrap_or_default())
}

fn all(n: usize, b: bool) -> BooleanArray {
    BooleanArray::from(vec![b; n])
}

fn eval_rule(r: &CRule, doc: &Doc, n: usize) -> Result<BooleanArray, String> {
    let e = |e: arrow::error::ArrowError| e.to_string();
    match r {
        CRule::And(rs) | CRule::Or(rs) => {
            let and = matches!(r, CRule::And(_));
            let mut acc = all(n, and);
            for r in rs {
                let m = eval_rule(r, doc, n)?;
                acc = if and {
                    boolean::and(&acc, &m)
                } else {
                    boolean::or(&acc, &m)
                }
                .map_err(e)?;
            }
            Ok(acc)
        }
        CRule::Not(r) => boolean::not(&eval_rule(r, doc, n)?).map_err(e),
        CRule::Ata(t) => match eval(t, doc, n)? {
            Col::Const(Value::Bool(b)) => Ok(all(n, b)),
            Col::Arr(a) => match a.as_boolean_opt() {
                Some(b) if b.null_count() == 0 => Ok(b.clone()),
                _ => Err("a Condition that is not a Boolean".into()),
            },
            Col::Const(_) => Err("a Condition that is not a Boolean".into()),
        },
        CRule::Cmp {
            names,
            rule,
            op,
            operand,
        } => match lookup(doc, names, n)? {
            None => match (op, operand) {
                (Op::Is(Test::Present), Operand::Bool(want)) => Ok(all(n, !want)),
                _ => Err(format!(
                    "the Choice variable '$.{}' is missing",
                    names.join(".")
                )),
            },
            Some(Col::Const(v)) => Ok(all(n, row_rule(rule, v)?)),
            Some(Col::Arr(a)) => compare(rule, *op, operand, &a, n),
        },
    }
}

fn compare(
    rule: &Rule,
    op: Op,
    operand: &Operand,
    a: &ArrayRef,
    n: usize,
) -> Result<BooleanArray, String> {
    let bools = |f: &dyn Fn(usize) -> bool| BooleanArray::from_iter((0..n).map(|i| Some(f(i))));
    match (op, operand) {
        (Op::Is(Test::Present), Operand::Bool(want)) => return Ok(all(n, *want)),
        (Op::Numeric(c), Operand::Number(num)) => {
            if let Some(x) = a.as_primitive_opt::<Int64Type>() {
                if let Some(y) = num.as_i64() {
                    let y = Int64Array::new_scalar(y);
                    let r = match c {
                        crate::asl::choice::Cmp::Equals => cmp::eq(x, &y),
                        crate::asl::choice::Cmp::LessThan => cmp::lt(x, &y),
                        crate::asl::choice::Cmp::GreaterThan => cmp::gt(x, &y),
                        crate::asl::choice::Cmp::LessThanEquals => cmp::lt_eq(x, &y),
                        crate::asl::choice::Cmp::GreaterThanEquals => cmp::gt_eq(x, &y),
                    };
                    return r.map_err(|e| e.to_string());
                }
                return Ok(bools(&|i| {
                    cmp_numbers(&Number::from(x.value(i)), num).is_some_and(|o| c.holds(o))
                }));
            }
            if let Some(x) = a.as_primitive_opt::<Float64Type>() {
                return Ok(bools(&|i| {
                    Number::from_f64(x.value(i))
                        .and_then(|v| cmp_numbers(&v, num))
                        .is_some_and(|o| c.holds(o))
                }));
            }
            return Ok(all(n, false));
        }
        (Op::String(c), Operand::String(s)) => {
            return Ok(match a.as_string_opt::<i32>() {
                Some(x) => bools(&|i| c.holds(cmp_strings(x.value(i), s))),
                None => all(n, false),
            });
        }
        (Op::BooleanEquals, Operand::Bool(b)) => {
            return Ok(match a.as_boolean_opt() {
                Some(x) => bools(&|i| x.value(i) == *b),
                None => all(n, false),
            });
        }
        _ => {}
    }
    let f = Field::new("", a.data_type().clone(), true);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        out.push(row_rule(rule, value_at(&f, a.as_ref(), i))?);
    }
    Ok(BooleanArray::from(out))
}

fn filter_doc(d: &Doc, p: &FilterPredicate) -> Result<Doc, String> {
    let col = |c: &Col| -> Result<Col, String> {
        Ok(match c {
            Col::Arr(a) => Col::Arr(p.filter(a.as_ref()).map_err(|e| e.to_string())?),
            c => c.clone(),
        })
    };
    Ok(match d {
        Doc::Obj(fs) => Doc::Obj(
            fs.iter()
                .map(|(k, c)| Ok((k.clone(), col(c)?)))
                .collect::<Result<_, String>>()?,
        ),
        Doc::Val(c) => Doc::Val(col(c)?),
    })
}

fn to_batch(d: Doc, n: usize) -> Result<RecordBatch, String> {
    let opts = RecordBatchOptions::new().with_row_count(Some(n));
    let (schema, arrays) = match d {
        Doc::Obj(fs) => {
            let (fields, arrays) = columns(fs, n);
            (Schema::new(fields), arrays)
        }
        Doc::Val(c) => {
            let (f, a) = columns(vec![(String::new(), c)], n);
            let meta = HashMap::from([(SCALAR_KEY.to_string(), "true".to_string())]);
            (Schema::new(f).with_metadata(meta), a)
        }
    };
    RecordBatch::try_new_with_options(Arc::new(schema), arrays, &opts).map_err(|e| e.to_string())
}

type Group = (usize, UInt32Array, Doc);

/// The input document of a batch: its columns, checked, after the ItemSelector.
fn input_doc(p: &ColumnarProgram, batch: &RecordBatch) -> Result<Doc, String> {
    let n = batch.num_rows();
    let schema = batch.schema();
    let mut fields = Vec::with_capacity(batch.num_columns());
    for (f, c) in schema.fields().iter().zip(batch.columns()) {
        if !supported(f, c.as_ref()) {
            return Err(format!(
                "the column '{}' has nulls or an unsupported type",
                f.name()
            ));
        }
        if fields.iter().any(|(k, _)| k == f.name()) {
            return Err(format!("the column '{}' appears twice", f.name()));
        }
        fields.push((f.name().clone(), child(f, c)));
    }
    if p.ata {
        for (f, c) in schema.fields().iter().zip(batch.columns()) {
            jsonata_kernels::check_numbers(f, c.as_ref())?;
        }
    }
    let mut doc = Doc::Obj(fields);
    if let Some(sel) = &p.selector {
        doc = doc_of(eval(sel, &doc, n)?);
    }
    Ok(doc)
}

/// The rows of `batch` that the leading Choice does not send to a dropping branch
/// (`drops[i]` for rule i, `default_drops` for the default): true = keep.
pub(super) fn keep_mask(
    p: &ColumnarProgram,
    batch: &RecordBatch,
    drops: &[bool],
    default_drops: bool,
) -> Result<BooleanArray, String> {
    let n = batch.num_rows();
    let doc = input_doc(p, batch)?;
    let Some(CState::Choice { branches, .. }) = p.states.get(p.start) else {
        return Ok(all(n, true));
    };
    let e = |e: arrow::error::ArrowError| e.to_string();
    let mut remaining = all(n, true);
    let mut keep = all(n, false);
    for ((rule, _), drop) in branches.iter().zip(drops) {
        if remaining.true_count() == 0 {
            break;
        }
        let m = boolean::and(&eval_rule(rule, &doc, n)?, &remaining).map_err(e)?;
        remaining = boolean::and_not(&remaining, &m).map_err(e)?;
        if !drop {
            keep = boolean::or(&keep, &m).map_err(e)?;
        }
    }
    if !default_drops {
        keep = boolean::or(&keep, &remaining).map_err(e)?;
    }
    Ok(keep)
}

pub(super) fn run(p: &ColumnarProgram, batch: &RecordBatch) -> Result<ColumnarOutput, String> {
    let n = batch.num_rows();
    let rows = u32::try_from(n).map_err(|_| "the batch has too many rows".to_string())?;
    let doc = input_doc(p, batch)?;
    let mut out = ColumnarOutput {
        groups: Vec::new(),
        failures: Vec::new(),
        rows: n,
    };
    let mut todo: Vec<Group> = vec![(p.start, UInt32Array::from_iter_values(0..rows), doc)];
    let mut steps = 0;
    while let Some((sid, idx, doc)) = todo.pop() {
        let len = idx.len();
        if len == 0 {
            continue;
        }
        steps += 1;
        if steps > MAX_STEPS {
            return Err("the processor takes too many steps".into());
        }
        match p
            .states
            .get(sid)
            .ok_or("a transition to an unknown state")?
        {
            CState::Pass {
                produce,
                result_at,
                next,
            } => {
                let result = match produce {
                    Produce::Tpl(t) => Some(eval(t, &doc, len)?),
                    Produce::Input => None,
                };
                let doc = match (result_at, result) {
                    (ResultAt::Discard, _) | (ResultAt::Replace, None) => doc,
                    (ResultAt::Replace, Some(c)) => doc_of(c),
                    (ResultAt::Field(k), r) => {
                        let c = match r {
                            Some(c) => c,
                            None => col_of(doc.clone(), len)?,
                        };
                        let Doc::Obj(mut fs) = doc else {
                            return Err("ResultPath into an input that is not an object".into());
                        };
                        set_field(&mut fs, k, c);
                        Doc::Obj(fs)
                    }
                };
                match next {
                    Some(nx) => todo.push((*nx, idx, doc)),
                    None => out.groups.push((idx, to_batch(doc, len)?)),
                }
            }
            CState::Choice { branches, default } => {
                let mut remaining = all(len, true);
                let mut split = |mask: &BooleanArray, target: usize| -> Result<(), String> {
                    if mask.true_count() == len {
                        todo.push((target, idx.clone(), doc.clone()));
                    } else if mask.true_count() > 0 {
                        let pred = FilterBuilder::new(mask).optimize().build();
                        let i = pred.filter(&idx).map_err(|e| e.to_string())?;
                        let i = i.as_primitive_opt().cloned().ok_or("row indices")?;
                        todo.push((target, i, filter_doc(&doc, &pred)?));
                    }
                    Ok(())
                };
                for (rule, target) in branches {
                    if remaining.true_count() == 0 {
                        break;
                    }
                    let m = eval_rule(rule, &doc, len)?;
                    let take = boolean::and(&m, &remaining).map_err(|e| e.to_string())?;
                    remaining = boolean::and_not(&remaining, &m).map_err(|e| e.to_string())?;
                    split(&take, *target)?;
                }
                if remaining.true_count() > 0 {
                    match default {
                        Some(d) => split(&remaining, *d)?,
                        None => return Err("some rows match no Choice rule".into()),
                    }
                }
            }
            CState::Succeed => out.groups.push((idx, to_batch(doc, len)?)),
            CState::Fail(error, cause) => out.failures.push((idx, error.clone(), cause.clone())),
        }
    }
    Ok(out)
}
