//! JSON items to Arrow and outputs back to JSON, keeping JSON's number kinds and
//! the key order exactly.

use super::{CONST_KEY, ColumnarOutput, SCALAR_KEY};
use arrow::array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int64Array, ListArray, NullArray, RecordBatch,
    RecordBatchOptions, StringArray, StructArray,
};
use arrow::datatypes::{DataType, Field, Fields, Schema};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// JSON items to one RecordBatch. None when the items aren't all objects with the
/// same keys in the same order, or a field is not of one kind on every item:
/// integers (Int64), numbers written as floats (Float64), strings, booleans, or
/// objects of one shape (Struct, by the same rules). Nulls and arrays give None.
pub fn items_to_batch(items: &[Value]) -> Option<RecordBatch> {
    let rows: Vec<&Map<String, Value>> =
        items.iter().map(Value::as_object).collect::<Option<_>>()?;
    let (fields, arrays) = build_object(&rows)?;
    let opts = RecordBatchOptions::new().with_row_count(Some(rows.len()));
    RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), arrays, &opts).ok()
}

fn build_object(rows: &[&Map<String, Value>]) -> Option<(Vec<Field>, Vec<ArrayRef>)> {
    let first = rows.first()?;
    let mut fields = Vec::with_capacity(first.len());
    let mut arrays = Vec::with_capacity(first.len());
    for r in rows {
        if r.len() != first.len() || !r.keys().zip(first.keys()).all(|(a, b)| a == b) {
            return None;
        }
    }
    let mut cols: Vec<Vec<&Value>> = vec![Vec::with_capacity(rows.len()); first.len()];
    for r in rows {
        for (col, v) in cols.iter_mut().zip(r.values()) {
            col.push(v);
        }
    }
    for (key, values) in first.keys().zip(&cols) {
        let a = build_column(values)?;
        fields.push(Field::new(key.clone(), a.data_type().clone(), false));
        arrays.push(a);
    }
    Some((fields, arrays))
}

fn build_column(values: &[&Value]) -> Option<ArrayRef> {
    Some(match values.first()? {
        Value::Number(n) if n.is_i64() => Arc::new(Int64Array::from(
            values
                .iter()
                .map(|v| match v {
                    Value::Number(n) if !n.is_f64() => n.as_i64(),
                    _ => None,
                })
                .collect::<Option<Vec<i64>>>()?,
        )),
        Value::Number(n) if n.is_f64() => Arc::new(Float64Array::from(
            values
                .iter()
                .map(|v| match v {
                    Value::Number(n) if n.is_f64() => n.as_f64(),
                    _ => None,
                })
                .collect::<Option<Vec<f64>>>()?,
        )),
        Value::String(_) => Arc::new(StringArray::from(
            values
                .iter()
                .map(|v| v.as_str())
                .collect::<Option<Vec<&str>>>()?,
        )),
        Value::Bool(_) => Arc::new(BooleanArray::from(
            values
                .iter()
                .map(|v| v.as_bool())
                .collect::<Option<Vec<bool>>>()?,
        )),
        Value::Object(_) => {
            let rows: Vec<&Map<String, Value>> = values
                .iter()
                .map(|v| v.as_object())
                .collect::<Option<_>>()?;
            let (fields, arrays) = build_object(&rows)?;
            if fields.is_empty() {
                Arc::new(StructArray::new_empty_fields(rows.len(), None))
            } else {
                Arc::new(StructArray::try_new(Fields::from(fields), arrays, None).ok()?)
            }
        }
        _ => return None,
    })
}

/// A column holding the same value on every row.
pub(super) fn const_column(name: &str, v: &Value, len: usize) -> (Field, ArrayRef) {
    let meta = HashMap::from([(CONST_KEY.to_string(), v.to_string())]);
    let f = Field::new(name, DataType::Null, true).with_metadata(meta);
    (f, Arc::new(NullArray::new(len)))
}

/// Whether a column holds only what the kernels and [`column_values`] handle exactly.
pub(super) fn supported(f: &Field, a: &dyn Array) -> bool {
    if a.data_type() == &DataType::Null {
        return f.metadata().contains_key(CONST_KEY);
    }
    if a.null_count() > 0 {
        return false;
    }
    match a.as_any().downcast_ref::<StructArray>() {
        Some(s) => s
            .fields()
            .iter()
            .zip(s.columns())
            .all(|(f, c)| supported(f, c.as_ref())),
        None => match a.as_any().downcast_ref::<Float64Array>() {
            // JSON has no NaN or infinities.
            Some(x) => x.values().iter().all(|f| f.is_finite()),
            None => matches!(
                a.data_type(),
                DataType::Int64 | DataType::Utf8 | DataType::Boolean
            ),
        },
    }
}

/// The JSON values of a column, one per row (Null for anything unsupported).
pub(super) fn column_values(f: &Field, a: &dyn Array) -> Vec<Value> {
    let n = a.len();
    let any = a.as_any();
    if let Some(text) = f.metadata().get(CONST_KEY) {
        let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        return vec![v; n];
    }
    if let Some(x) = any.downcast_ref::<Int64Array>() {
        return x
            .iter()
            .map(|v| v.map_or(Value::Null, Value::from))
            .collect();
    }
    if let Some(x) = any.downcast_ref::<Float64Array>() {
        return x
            .iter()
            .map(|v| v.map_or(Value::Null, Value::from))
            .collect();
    }
    if let Some(x) = any.downcast_ref::<StringArray>() {
        return x
            .iter()
            .map(|v| v.map_or(Value::Null, Value::from))
            .collect();
    }
    if let Some(x) = any.downcast_ref::<BooleanArray>() {
        return x
            .iter()
            .map(|v| v.map_or(Value::Null, Value::Bool))
            .collect();
    }
    if let Some(l) = any.downcast_ref::<ListArray>() {
        let Some(item) = (match l.data_type() {
            DataType::List(f) => Some(f.clone()),
            _ => None,
        }) else {
            return vec![Value::Null; n];
        };
        let mut values = column_values(&item, l.values().as_ref()).into_iter();
        let offsets = l.value_offsets();
        let mut out = Vec::with_capacity(n);
        let mut at = offsets.first().copied().unwrap_or(0) as usize;
        for w in offsets.windows(2) {
            let (from, to) = (w[0] as usize, w[1] as usize);
            // The child may hold rows outside the list's window (a sliced list).
            for _ in at..from {
                values.next();
            }
            out.push(Value::Array(values.by_ref().take(to - from).collect()));
            at = to;
        }
        return out;
    }
    if let Some(s) = any.downcast_ref::<StructArray>() {
        let mut maps = vec![Map::with_capacity(s.num_columns()); n];
        for (f, c) in s.fields().iter().zip(s.columns()) {
            for (m, v) in maps.iter_mut().zip(column_values(f, c.as_ref())) {
                m.insert(f.name().clone(), v);
            }
        }
        return maps.into_iter().map(Value::Object).collect();
    }
    vec![Value::Null; n]
}

/// The JSON value of one row of a column.
pub(super) fn value_at(f: &Field, a: &dyn Array, i: usize) -> Value {
    column_values(f, a.slice(i, 1).as_ref())
        .pop()
        .unwrap_or(Value::Null)
}

/// One output batch to its rows' JSON values.
pub(super) fn batch_values(b: &RecordBatch) -> Vec<Value> {
    let schema = b.schema();
    if schema.metadata().contains_key(SCALAR_KEY) {
        return match (schema.fields().first(), b.columns().first()) {
            (Some(f), Some(c)) => column_values(f, c.as_ref()),
            _ => vec![Value::Null; b.num_rows()],
        };
    }
    // Not vec![..; n]: a cloned map loses its capacity and would grow while filled.
    let mut maps: Vec<Map<String, Value>> = (0..b.num_rows())
        .map(|_| Map::with_capacity(b.num_columns()))
        .collect();
    for (f, c) in schema.fields().iter().zip(b.columns()) {
        for (m, v) in maps.iter_mut().zip(column_values(f, c.as_ref())) {
            m.insert(f.name().clone(), v);
        }
    }
    maps.into_iter().map(Value::Object).collect()
}

pub(super) fn output_to_json(out: &ColumnarOutput) -> Vec<Value> {
    let mut rows = vec![Value::Null; out.rows];
    for (idx, b) in &out.groups {
        for (i, v) in idx.values().iter().zip(batch_values(b)) {
            if let Some(slot) = rows.get_mut(*i as usize) {
                *slot = v;
            }
        }
    }
    for (idx, error, cause) in &out.failures {
        let v = serde_json::json!({"Error": error, "Cause": cause});
        for i in idx.values().iter() {
            if let Some(slot) = rows.get_mut(*i as usize) {
                *slot = v.clone();
            }
        }
    }
    rows
}
