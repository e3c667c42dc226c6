//! serde_json::Value <-> jsonata-core's `JValue`.
//!
//! Numbers: JSONata has only doubles. A result that is integral (and |n| < 9e18, so
//! exactly an i64) is written as a JSON integer (`3`, not `3.0`), as AWS
//! (JavaScript's `JSON.stringify`) writes it; `-0` becomes `0`. Other finite numbers
//! keep their f64 value. NaN/Infinity cannot reach a result (JSONata raises D1001/D3001
//! first); if one does, it becomes `null` like `JSON.stringify`.

use std::rc::Rc;

use jsonata_core::value::{JArray, JMap, JValue};
use serde_json::{Map, Number, Value};

/// Borrowing conversion of an input document into a `JValue` (no clone of the input).
pub fn to_jvalue(v: &Value) -> JValue {
    match v {
        Value::Null => JValue::Null,
        Value::Bool(b) => JValue::Bool(*b),
        Value::Number(n) => JValue::Number(n.as_f64().unwrap_or(0.0)),
        Value::String(s) => JValue::String(s.as_str().into()),
        Value::Array(items) => {
            let mut flat = true;
            let items = items
                .iter()
                .map(|v| {
                    flat &= !v.is_array();
                    to_jvalue(v)
                })
                .collect();
            JValue::Array(JArray::new_flat(items, flat))
        }
        Value::Object(map) => {
            let m: JMap = map.iter().map(|(k, v)| (k.clone(), to_jvalue(v))).collect();
            JValue::Object(Rc::new(m))
        }
    }
}

/// A JSONata number as JSON: integral values as integers.
pub fn number(n: f64) -> Value {
    if !n.is_finite() {
        return Value::Null;
    }
    if n.fract() == 0.0 && n.abs() < 9.0e18 {
        return Value::Number(Number::from(n as i64));
    }
    Number::from_f64(n)
        .map(Value::Number)
        .unwrap_or(Value::Null)
}

/// A result back to JSON; `None` for `undefined` (and for a bare function value,
/// which JSON cannot hold). Undefined items inside arrays are dropped and undefined
/// fields left out, as `JSON.stringify` does.
pub fn from_jvalue(v: &JValue) -> Option<Value> {
    Some(match v {
        JValue::Undefined => return None,
        JValue::Null => Value::Null,
        JValue::Bool(b) => Value::Bool(*b),
        JValue::Number(n) => number(*n),
        JValue::String(s) => Value::String(s.to_string()),
        JValue::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| from_jvalue(i).unwrap_or(Value::Null))
                .collect(),
        ),
        JValue::Object(map) => {
            let mut m = Map::with_capacity(map.len());
            for (k, v) in map.iter() {
                if let Some(v) = from_jvalue(v) {
                    m.insert(k.clone(), v);
                }
            }
            Value::Object(m)
        }
        // Functions serialize as "" in jsonata-js's test harness (JSON.stringify drops
        // them in objects); at the top level there is no JSON for them.
        JValue::Lambda(_) | JValue::Builtin { .. } => return Some(Value::String(String::new())),
        JValue::Regex { .. } => Value::Object(Map::new()),
    })
}
