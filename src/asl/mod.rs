//! The language: model, paths, intrinsic functions, Choice rules and the validator.
//! This layer knows nothing of threads or Arrow.

pub mod choice;
pub mod failure;
pub mod http_task;
pub mod intrinsic;
pub mod model;
pub mod path;
pub mod validate;

pub use failure::Failure;

/// The JSON type of a value with its article, for messages ("a string", "null").
pub fn json_type(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
