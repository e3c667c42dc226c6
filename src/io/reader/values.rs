//! Record batches as JSON items.
use arrow::array::timezone::Tz;
use arrow::array::*;
use arrow::datatypes::*;
use arrow::temporal_conversions::{as_date, as_datetime, as_datetime_with_timezone, as_time};
use chrono::SecondsFormat;
use serde_json::{Map, Number, Value};

/// The rows of a CSV or Parquet chunk as JSON objects, as AWS gives them: CSV values are
/// strings; Parquet values take the natural JSON of their type (integers, floats — NaN and
/// infinities as null —, strings, booleans, dates as `YYYY-MM-DD`, timestamps as ISO-8601
/// strings (with `Z`/offset when the column has a time zone), decimals as numbers, binary as
/// lowercase hex, lists as arrays, structs and maps as objects, nulls as null).
pub fn batch_to_items(batch: &RecordBatch) -> Vec<Value> {
    let schema = batch.schema();
    let mut rows: Vec<Map<String, Value>> = (0..batch.num_rows())
        .map(|_| Map::with_capacity(batch.num_columns()))
        .collect();
    for (field, col) in schema.fields().iter().zip(batch.columns()) {
        let decoded;
        let col = match col.data_type() {
            DataType::Dictionary(_, v) => match arrow::compute::cast(col, v) {
                Ok(c) => {
                    decoded = c;
                    &decoded
                }
                Err(_) => col,
            },
            _ => col,
        };
        for (i, row) in rows.iter_mut().enumerate() {
            row.insert(field.name().clone(), value_at(col.as_ref(), i));
        }
    }
    rows.into_iter().map(Value::Object).collect()
}

fn num_f64(v: f64) -> Value {
    Number::from_f64(v).map_or(Value::Null, Value::Number)
}

fn prim<T: ArrowPrimitiveType>(a: &dyn Array) -> &PrimitiveArray<T> {
    a.as_primitive::<T>()
}

fn ts<T: ArrowTimestampType>(a: &dyn Array, i: usize, tz: Option<&str>) -> Value {
    let v = prim::<T>(a).value(i);
    let s = match tz {
        None => as_datetime::<T>(v).map(|d| d.format("%Y-%m-%dT%H:%M:%S%.f").to_string()),
        Some(z) => match z.parse::<Tz>() {
            Ok(tz) => as_datetime_with_timezone::<T>(v, tz)
                .map(|d| d.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            Err(_) => as_datetime::<T>(v)
                .map(|d| d.and_utc().to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        },
    };
    s.map_or(Value::Null, Value::String)
}

fn decimal(s: String) -> Value {
    serde_json::from_str::<Number>(&s).map_or(Value::String(s), Value::Number)
}

fn hex(b: &[u8]) -> Value {
    Value::String(b.iter().map(|x| format!("{x:02x}")).collect())
}

fn list_values(values: ArrayRef) -> Value {
    Value::Array(
        (0..values.len())
            .map(|j| value_at(values.as_ref(), j))
            .collect(),
    )
}

/// The JSON of one array element.
pub(super) fn value_at(a: &dyn Array, i: usize) -> Value {
    if a.is_null(i) {
        return Value::Null;
    }
    match a.data_type() {
        DataType::Null => Value::Null,
        DataType::Boolean => Value::Bool(a.as_boolean().value(i)),
        DataType::Int8 => prim::<Int8Type>(a).value(i).into(),
        DataType::Int16 => prim::<Int16Type>(a).value(i).into(),
        DataType::Int32 => prim::<Int32Type>(a).value(i).into(),
        DataType::Int64 => prim::<Int64Type>(a).value(i).into(),
        DataType::UInt8 => prim::<UInt8Type>(a).value(i).into(),
        DataType::UInt16 => prim::<UInt16Type>(a).value(i).into(),
        DataType::UInt32 => prim::<UInt32Type>(a).value(i).into(),
        DataType::UInt64 => prim::<UInt64Type>(a).value(i).into(),
        DataType::Float16 => num_f64(prim::<Float16Type>(a).value(i).to_f64()),
        DataType::Float32 => num_f64(f64::from(prim::<Float32Type>(a).value(i))),
        DataType::Float64 => num_f64(prim::<Float64Type>(a).value(i)),
        DataType::Utf8 => Value::String(a.as_string::<i32>().value(i).to_string()),
        DataType::LargeUtf8 => Value::String(a.as_string::<i64>().value(i).to_string()),
        DataType::Utf8View => Value::String(a.as_string_view().value(i).to_string()),
        DataType::Binary => hex(a.as_binary::<i32>().value(i)),
        DataType::LargeBinary => hex(a.as_binary::<i64>().value(i)),
        DataType::BinaryView => hex(a.as_binary_view().value(i)),
        DataType::FixedSizeBinary(_) => hex(a.as_fixed_size_binary().value(i)),
        DataType::Date32 => as_date::<Date32Type>(i64::from(prim::<Date32Type>(a).value(i)))
            .map_or(Value::Null, |d| {
                Value::String(d.format("%Y-%m-%d").to_string())
            }),
        DataType::Date64 => as_date::<Date64Type>(prim::<Date64Type>(a).value(i))
            .map_or(Value::Null, |d| {
                Value::String(d.format("%Y-%m-%d").to_string())
            }),
        DataType::Time32(TimeUnit::Second) => {
            time::<Time32SecondType>(i64::from(prim::<Time32SecondType>(a).value(i)))
        }
        DataType::Time32(_) => {
            time::<Time32MillisecondType>(i64::from(prim::<Time32MillisecondType>(a).value(i)))
        }
        DataType::Time64(TimeUnit::Microsecond) => {
            time::<Time64MicrosecondType>(prim::<Time64MicrosecondType>(a).value(i))
        }
        DataType::Time64(_) => {
            time::<Time64NanosecondType>(prim::<Time64NanosecondType>(a).value(i))
        }
        DataType::Timestamp(unit, tz) => {
            let tz = tz.as_deref();
            match unit {
                TimeUnit::Second => ts::<TimestampSecondType>(a, i, tz),
                TimeUnit::Millisecond => ts::<TimestampMillisecondType>(a, i, tz),
                TimeUnit::Microsecond => ts::<TimestampMicrosecondType>(a, i, tz),
                TimeUnit::Nanosecond => ts::<TimestampNanosecondType>(a, i, tz),
            }
        }
        DataType::Decimal128(_, _) => decimal(prim::<Decimal128Type>(a).value_as_string(i)),
        DataType::Decimal256(_, _) => decimal(prim::<Decimal256Type>(a).value_as_string(i)),
        DataType::List(_) => list_values(a.as_list::<i32>().value(i)),
        DataType::LargeList(_) => list_values(a.as_list::<i64>().value(i)),
        DataType::FixedSizeList(_, _) => list_values(a.as_fixed_size_list().value(i)),
        DataType::Struct(fields) => {
            let s = a.as_struct();
            Value::Object(
                fields
                    .iter()
                    .zip(s.columns())
                    .map(|(f, c)| (f.name().clone(), value_at(c.as_ref(), i)))
                    .collect(),
            )
        }
        DataType::Map(_, _) => {
            let entries = a.as_map().value(i);
            let (keys, vals) = (entries.column(0), entries.column(1));
            Value::Object(
                (0..entries.len())
                    .map(|j| {
                        let k = match value_at(keys.as_ref(), j) {
                            Value::String(s) => s,
                            other => other.to_string(),
                        };
                        (k, value_at(vals.as_ref(), j))
                    })
                    .collect(),
            )
        }
        DataType::Dictionary(_, _) => {
            let d = a.as_any_dictionary();
            let key = d.normalized_keys()[i];
            value_at(d.values().as_ref(), key)
        }
        _ => arrow::util::display::ArrayFormatter::try_new(a, &Default::default())
            .map_or(Value::Null, |f| Value::String(f.value(i).to_string())),
    }
}

fn time<T: ArrowPrimitiveType>(v: i64) -> Value {
    as_time::<T>(v).map_or(Value::Null, |t| {
        Value::String(t.format("%H:%M:%S%.f").to_string())
    })
}
