//! JSON items given as text straight into one Arrow RecordBatch, without building a
//! `serde_json::Value` per item: strings go straight into the string column's buffer,
//! numbers into theirs, and fields nobody reads are skipped unbuilt.
//!
//! The batch is exactly what [`super::items_to_batch`] makes of the same items parsed
//! (and projected to the same fields): the first item sets the keys, their order and
//! each field's kind, and every other item must match them. Where this builder is
//! unsure (a duplicate key, a kind it doesn't take) it gives None and the caller goes
//! the `Value` way, which decides for itself.

use arrow::array::{
    ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, RecordBatchOptions,
    StringBuilder, StructArray,
};
use arrow::datatypes::{Field, Fields, Schema};
use serde::de::{self, DeserializeSeed, Error as _, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

/// The items `text[s..e]` for each `(s, e)` of `ranges` as one batch of the fields in
/// `keep` (every field when None). None when they don't make one (see the module).
pub fn text_items_to_batch(
    text: &[u8],
    ranges: &[(usize, usize)],
    keep: Option<&HashSet<&str>>,
) -> Option<RecordBatch> {
    let &(s, e) = ranges.first()?;
    let first = project(serde_json::from_slice(&text[s..e]).ok()?, keep);
    let Column::Struct(mut fields) = Column::for_value(&first, ranges.len())? else {
        return None;
    };
    for &(s, e) in ranges {
        let mut d = serde_json::Deserializer::from_slice(&text[s..e]);
        Row {
            fields: &mut fields,
            keep,
        }
        .deserialize(&mut d)
        .ok()?;
    }
    let (fields, arrays) = finish_fields(fields, ranges.len())?;
    let opts = RecordBatchOptions::new().with_row_count(Some(ranges.len()));
    RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), arrays, &opts).ok()
}

/// One field's values so far.
enum Column {
    Int(Vec<i64>),
    Float(Vec<f64>),
    Text(StringBuilder),
    Bool(Vec<bool>),
    /// An object of fixed keys (in order), as a struct.
    Struct(Vec<(String, Column)>),
}

impl Column {
    /// The column for values of the kind of `v` (which `items_to_batch` would make),
    /// with room for `rows` rows.
    fn for_value(v: &Value, rows: usize) -> Option<Column> {
        Some(match v {
            Value::Number(n) if n.is_i64() => Column::Int(Vec::with_capacity(rows)),
            Value::Number(n) if n.is_f64() => Column::Float(Vec::with_capacity(rows)),
            Value::String(s) => Column::Text(StringBuilder::with_capacity(rows, rows * s.len())),
            Value::Bool(_) => Column::Bool(Vec::with_capacity(rows)),
            Value::Object(m) => Column::Struct(
                m.iter()
                    .map(|(k, v)| Some((k.clone(), Column::for_value(v, rows)?)))
                    .collect::<Option<_>>()?,
            ),
            _ => return None,
        })
    }

    fn finish(self, rows: usize) -> Option<ArrayRef> {
        Some(match self {
            Column::Int(v) => Arc::new(Int64Array::from(v)),
            Column::Float(v) => Arc::new(Float64Array::from(v)),
            Column::Text(mut b) => Arc::new(b.finish()),
            Column::Bool(v) => Arc::new(BooleanArray::from(v)),
            Column::Struct(fields) => {
                let (fields, arrays) = finish_fields(fields, rows)?;
                if fields.is_empty() {
                    Arc::new(StructArray::new_empty_fields(rows, None))
                } else {
                    Arc::new(StructArray::try_new(Fields::from(fields), arrays, None).ok()?)
                }
            }
        })
    }
}

/// The fields and arrays of an object's columns, each non-nullable as `items_to_batch`
/// makes them.
fn finish_fields(
    columns: Vec<(String, Column)>,
    rows: usize,
) -> Option<(Vec<Field>, Vec<ArrayRef>)> {
    let mut fields = Vec::with_capacity(columns.len());
    let mut arrays = Vec::with_capacity(columns.len());
    for (key, column) in columns {
        let a = column.finish(rows)?;
        fields.push(Field::new(key, a.data_type().clone(), false));
        arrays.push(a);
    }
    Some((fields, arrays))
}

/// One object into the columns of its fields: the same keys in the same order (the
/// fields not in `keep` skipped).
struct Row<'c, 'k> {
    fields: &'c mut [(String, Column)],
    keep: Option<&'k HashSet<&'k str>>,
}

impl<'de> DeserializeSeed<'de> for Row<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Row<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of the first item's keys")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut at = 0;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            // The key expected next (every field here is kept), or one not kept.
            match self.fields.get_mut(at) {
                Some((name, column)) if *name == key => {
                    map.next_value_seed(Cell(column))?;
                    at += 1;
                }
                _ if self.keep.is_some_and(|k| !k.contains(key.as_ref())) => {
                    map.next_value::<IgnoredAny>()?;
                }
                _ => return Err(A::Error::custom("another key")),
            }
        }
        if at == self.fields.len() {
            Ok(())
        } else {
            Err(A::Error::custom("a key missing"))
        }
    }
}

/// One value into its column, when it is of the column's kind.
struct Cell<'c>(&'c mut Column);

impl<'de> DeserializeSeed<'de> for Cell<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

fn other_kind<E: de::Error>() -> E {
    E::custom("another kind")
}

impl<'de> Visitor<'de> for Cell<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a value of the column's kind")
    }
    // serde_json calls these as it builds a `Value`: i64 and u64 are integers (a u64
    // over i64::MAX isn't one `items_to_batch` takes), f64 a float.
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        match self.0 {
            Column::Int(c) => {
                c.push(v);
                Ok(())
            }
            _ => Err(other_kind()),
        }
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        match (self.0, i64::try_from(v)) {
            (Column::Int(c), Ok(v)) => {
                c.push(v);
                Ok(())
            }
            _ => Err(other_kind()),
        }
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        match self.0 {
            Column::Float(c) if v.is_finite() => {
                c.push(v);
                Ok(())
            }
            _ => Err(other_kind()),
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        match self.0 {
            Column::Text(c) => {
                c.append_value(v);
                Ok(())
            }
            _ => Err(other_kind()),
        }
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        match self.0 {
            Column::Bool(c) => {
                c.push(v);
                Ok(())
            }
            _ => Err(other_kind()),
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        match self.0 {
            Column::Struct(fields) => Row { fields, keep: None }.visit_map(map),
            _ => Err(other_kind()),
        }
    }
}

/// `item` with only the fields in `keep`, when given (in their order; anything but
/// an object as it is).
pub fn project(mut item: Value, keep: Option<&HashSet<&str>>) -> Value {
    if let (Some(keep), Some(fields)) = (keep, item.as_object_mut()) {
        fields.retain(|k, _| keep.contains(k.as_str()));
    }
    item
}
