//! JSON: the object holds a JSON array, streamed: a thread parses it one item at a time
//! and hands out chunks of `rows` items, so memory holds a few chunks, not the file.
//! With `ItemsPointer` the array is inside a document, which is parsed whole.
use super::{Chunk, ItemStream, Loc, ReadOptions};
use crate::asl::Failure;
use serde::de::{Deserializer as _, Error as _, SeqAccess, Visitor};
use serde_json::Value;
use std::io::BufReader;
use std::sync::mpsc::{SyncSender, sync_channel};

pub(super) fn open(
    loc: &Loc,
    pointer: Option<&str>,
    opts: &ReadOptions,
) -> Result<ItemStream, Failure> {
    let file = loc.open()?;
    let p = match pointer {
        None | Some("") => return Ok(stream_array(file, loc.clone(), opts.rows())),
        Some(p) => p,
    };
    let mut doc: Value = serde_json::from_reader(BufReader::new(file))
        .map_err(|e| loc.bad(format!("the content is not valid JSON: {e}")))?;
    let items = doc
        .pointer_mut(p)
        .map(Value::take)
        .ok_or_else(|| loc.bad(format!("ItemsPointer '{p}' does not match any value")))?;
    let Value::Array(items) = items else {
        return Err(loc.bad(format!(
            "the JSON content must be an array of items, got {}",
            kind(&items)
        )));
    };
    Ok(chunks(items, opts.rows()))
}

/// What the parsing thread says when the consumer is gone (not an error of the file).
const STOPPED: &str = "the reader was dropped";

/// The file's top-level array in chunks of `rows` items, parsed on a thread of its own
/// (two chunks ahead at most). Items before an error in the file come out before it.
fn stream_array(file: std::fs::File, loc: Loc, rows: usize) -> ItemStream {
    let (tx, rx) = sync_channel::<Result<Chunk, Failure>>(2);
    std::thread::spawn(move || {
        let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 20, file));
        let parsed = de
            .deserialize_seq(Items { tx: &tx, rows })
            .and_then(|()| de.end());
        match parsed {
            Ok(()) => {}
            Err(e) if e.to_string().starts_with(STOPPED) => {}
            Err(e) => {
                let what = match e.classify() {
                    serde_json::error::Category::Data => {
                        "the JSON content must be an array of items"
                    }
                    _ => "the content is not valid JSON",
                };
                let _ = tx.send(Err(loc.bad(format!("{what}: {e}"))));
            }
        }
    });
    Box::new(rx.into_iter())
}

/// Sends the members of the array it visits in chunks.
struct Items<'a> {
    tx: &'a SyncSender<Result<Chunk, Failure>>,
    rows: usize,
}

impl<'de> Visitor<'de> for Items<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let rows = self.rows.max(1);
        let mut chunk = Vec::with_capacity(rows);
        while let Some(v) = seq.next_element::<Value>()? {
            chunk.push(v);
            if chunk.len() == rows {
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(rows));
                if self.tx.send(Ok(Chunk::Rows(full))).is_err() {
                    return Err(A::Error::custom(STOPPED));
                }
            }
        }
        if !chunk.is_empty() && self.tx.send(Ok(Chunk::Rows(chunk))).is_err() {
            return Err(A::Error::custom(STOPPED));
        }
        Ok(())
    }
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
