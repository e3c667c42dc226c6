//! JSON: the object holds a JSON array (parsed whole), or a document with the array at
//! `ItemsPointer`.
use super::{Chunk, ItemStream, Loc, ReadOptions};
use crate::asl::Failure;
use serde_json::Value;
use std::io::BufReader;

pub(super) fn open(
    loc: &Loc,
    pointer: Option<&str>,
    opts: &ReadOptions,
) -> Result<ItemStream, Failure> {
    let file = loc.open()?;
    let doc: Value = serde_json::from_reader(BufReader::new(file))
        .map_err(|e| loc.bad(format!("the content is not valid JSON: {e}")))?;
    let items = match pointer {
        None | Some("") => doc,
        Some(p) => {
            let mut doc = doc;
            doc.pointer_mut(p)
                .map(Value::take)
                .ok_or_else(|| loc.bad(format!("ItemsPointer '{p}' does not match any value")))?
        }
    };
    let Value::Array(items) = items else {
        return Err(loc.bad(format!(
            "the JSON content must be an array of items, got {}",
            kind(&items)
        )));
    };
    Ok(chunks(items, opts.rows()))
}

/// Streams a vector of items in chunks of `rows`.
pub(super) fn chunks(items: Vec<Value>, rows: usize) -> ItemStream {
    let mut it = items.into_iter();
    Box::new(std::iter::from_fn(move || {
        let chunk: Vec<Value> = it.by_ref().take(rows).collect();
        (!chunk.is_empty()).then_some(Ok(Chunk::Rows(chunk)))
    }))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
