//! JSONL: one item per non-empty line, streamed.
use super::{Chunk, ItemStream, Loc, ReadOptions};
use crate::asl::Failure;
use serde_json::Value;
use std::io::{BufRead, BufReader};

pub(super) fn open(loc: &Loc, opts: &ReadOptions) -> Result<ItemStream, Failure> {
    let mut reader = BufReader::with_capacity(1 << 20, loc.open()?);
    let loc = loc.clone();
    let rows = opts.rows();
    let mut line_no = 0usize;
    let mut done = false;
    let mut buf = Vec::new();
    Ok(Box::new(std::iter::from_fn(move || {
        if done {
            return None;
        }
        let mut chunk = Vec::with_capacity(rows.min(1024));
        while chunk.len() < rows {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) => {
                    done = true;
                    break;
                }
                Ok(_) => {}
                Err(e) => {
                    done = true;
                    return Some(Err(loc.bad(format!("line {}: {e}", line_no + 1))));
                }
            }
            line_no += 1;
            let line = buf.trim_ascii();
            if line.is_empty() {
                continue;
            }
            match serde_json::from_slice::<Value>(line) {
                Ok(v) => chunk.push(v),
                Err(e) => {
                    done = true;
                    return Some(Err(
                        loc.bad(format!("line {line_no} is not valid JSON: {e}"))
                    ));
                }
            }
        }
        (!chunk.is_empty()).then_some(Ok(Chunk::Rows(chunk)))
    })))
}
