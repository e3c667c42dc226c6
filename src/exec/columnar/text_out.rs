//! A partition's outputs straight from their columns to JSON text, byte for byte what
//! serializing [`ColumnarOutput::to_json`]'s values gives, without building them.

use super::{CONST_KEY, ColumnarOutput, SCALAR_KEY};
use arrow::array::{
    Array, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray, StructArray,
};
use arrow::datatypes::{DataType, Field};
use serde_json::Value;
use std::collections::HashSet;

impl ColumnarOutput {
    /// Appends the outputs in input order to `out`, as compact JSON separated by commas.
    /// False (and `out` as it was) when a column is of a kind this doesn't write; the
    /// caller then serializes [`Self::to_json`].
    pub fn write_json(&self, out: &mut Vec<u8>) -> bool {
        let at = out.len();
        let written = self.try_write(out);
        if written.is_none() {
            out.truncate(at);
        }
        written.is_some()
    }

    fn try_write(&self, out: &mut Vec<u8>) -> Option<()> {
        // What each row is: a row of a group's batch, or a failure.
        let mut slots = vec![Slot::Missing; self.rows];
        let mut groups = Vec::with_capacity(self.groups.len());
        for (g, (idx, batch)) in self.groups.iter().enumerate() {
            groups.push(BatchWriter::new(batch)?);
            for (r, i) in idx.values().iter().enumerate() {
                *slots.get_mut(*i as usize)? = Slot::Row(g as u32, r as u32);
            }
        }
        let mut failed = Vec::with_capacity(self.failures.len());
        for (f, (idx, error, cause)) in self.failures.iter().enumerate() {
            let v = serde_json::json!({"Error": error, "Cause": cause});
            failed.push(serde_json::to_vec(&v).ok()?);
            for i in idx.values().iter() {
                *slots.get_mut(*i as usize)? = Slot::Failed(f as u32);
            }
        }
        for (n, slot) in slots.into_iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            match slot {
                Slot::Row(g, r) => groups[g as usize].write_row(r as usize, out),
                Slot::Failed(f) => out.extend_from_slice(&failed[f as usize]),
                Slot::Missing => out.extend_from_slice(b"null"),
            }
        }
        Some(())
    }
}

/// One output row: (group, row in the group's batch), a failure's index, or none (as
/// `to_json` gives it: null).
#[derive(Clone, Copy)]
enum Slot {
    Missing,
    Row(u32, u32),
    Failed(u32),
}

/// Writes one output batch's rows: an object of its columns, or (a scalar batch) its
/// one column's value.
struct BatchWriter<'b> {
    scalar: bool,
    columns: Vec<ColumnWriter<'b>>,
}

impl<'b> BatchWriter<'b> {
    fn new(batch: &'b RecordBatch) -> Option<BatchWriter<'b>> {
        let schema = batch.schema_ref();
        let scalar = schema.metadata().contains_key(SCALAR_KEY);
        let fields: Vec<&Field> = schema.fields().iter().map(|f| f.as_ref()).collect();
        let columns = if scalar {
            vec![ColumnWriter::new(
                fields.first().copied()?,
                batch.columns().first()?.as_ref(),
            )?]
        } else {
            object_columns(&fields, batch.columns())?
        };
        Some(BatchWriter { scalar, columns })
    }

    fn write_row(&self, r: usize, out: &mut Vec<u8>) {
        if self.scalar {
            if let Some(c) = self.columns.first() {
                c.write(r, out);
            } else {
                out.extend_from_slice(b"null");
            }
            return;
        }
        write_object(&self.columns, r, out);
    }
}

/// The writers of an object's fields; None when two share a name (a map would keep
/// one) or one is of a kind not written here.
fn object_columns<'b>(
    fields: &[&'b Field],
    arrays: &'b [arrow::array::ArrayRef],
) -> Option<Vec<ColumnWriter<'b>>> {
    let mut names = HashSet::with_capacity(fields.len());
    fields
        .iter()
        .zip(arrays)
        .map(|(f, a)| {
            names
                .insert(f.name().as_str())
                .then(|| ColumnWriter::new(f, a.as_ref()))
                .flatten()
        })
        .collect()
}

fn write_object(columns: &[ColumnWriter<'_>], r: usize, out: &mut Vec<u8>) {
    out.push(b'{');
    for (k, c) in columns.iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&c.key);
        out.push(b':');
        c.write(r, out);
    }
    out.push(b'}');
}

/// One column's values as JSON, with its key already written as JSON text.
struct ColumnWriter<'b> {
    key: Vec<u8>,
    values: Values<'b>,
}

enum Values<'b> {
    /// The same JSON text on every row.
    Same(Vec<u8>),
    Int(&'b Int64Array),
    Float(&'b Float64Array),
    Text(&'b StringArray),
    Bool(&'b BooleanArray),
    Struct(Vec<ColumnWriter<'b>>),
}

impl<'b> ColumnWriter<'b> {
    fn new(f: &'b Field, a: &'b dyn Array) -> Option<ColumnWriter<'b>> {
        let key = serde_json::to_vec(f.name()).ok()?;
        let any = a.as_any();
        // As `column_values` reads them.
        let values = if let Some(text) = f.metadata().get(CONST_KEY) {
            let v: Value = serde_json::from_str(text).unwrap_or(Value::Null);
            Values::Same(serde_json::to_vec(&v).ok()?)
        } else if let Some(x) = any.downcast_ref::<Int64Array>() {
            Values::Int(x)
        } else if let Some(x) = any.downcast_ref::<Float64Array>() {
            Values::Float(x)
        } else if let Some(x) = any.downcast_ref::<StringArray>() {
            Values::Text(x)
        } else if let Some(x) = any.downcast_ref::<BooleanArray>() {
            Values::Bool(x)
        } else if let Some(s) = any.downcast_ref::<StructArray>() {
            let fields: Vec<&Field> = s.fields().iter().map(|f| f.as_ref()).collect();
            Values::Struct(object_columns(&fields, s.columns())?)
        } else if a.data_type() == &DataType::Null {
            Values::Same(b"null".to_vec())
        } else {
            return None;
        };
        Some(ColumnWriter { key, values })
    }

    fn write(&self, r: usize, out: &mut Vec<u8>) {
        // Writing JSON into a Vec can't fail.
        match &self.values {
            Values::Same(text) => out.extend_from_slice(text),
            Values::Struct(columns) => write_object(columns, r, out),
            Values::Int(x) if x.is_valid(r) => {
                let _ = serde_json::to_writer(&mut *out, &x.value(r));
            }
            Values::Float(x) if x.is_valid(r) && x.value(r).is_finite() => {
                let _ = serde_json::to_writer(&mut *out, &x.value(r));
            }
            Values::Text(x) if x.is_valid(r) => {
                let _ = serde_json::to_writer(&mut *out, x.value(r));
            }
            Values::Bool(x) if x.is_valid(r) => {
                out.extend_from_slice(if x.value(r) { b"true" } else { b"false" })
            }
            _ => out.extend_from_slice(b"null"),
        }
    }
}
