//! JSONL: one item per non-empty line, streamed. Lines are split on the calling thread
//! (memchr-fast) and parsed in parallel on the current rayon pool.
use super::{Chunk, ItemStream, Loc, ReadOptions};
use crate::asl::Failure;
use rayon::prelude::*;
use serde_json::Value;
use std::io::{BufRead, BufReader};

pub(super) fn open(loc: &Loc, opts: &ReadOptions) -> Result<ItemStream, Failure> {
    let mut reader = BufReader::with_capacity(1 << 20, loc.open()?);
    let loc = loc.clone();
    let rows = opts.rows();
    let mut line_no = 0usize;
    let mut done = false;
    let mut buf = Vec::new();
    // The chunk's non-empty lines: (line number, byte range in `text`).
    let mut text: Vec<u8> = Vec::new();
    let mut lines: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
    Ok(Box::new(std::iter::from_fn(move || {
        if done {
            return None;
        }
        text.clear();
        lines.clear();
        while lines.len() < rows {
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
            let at = text.len();
            text.extend_from_slice(line);
            lines.push((line_no, at..text.len()));
        }
        let parsed: Vec<Result<Value, (usize, serde_json::Error)>> = lines
            .par_iter()
            .with_min_len(256)
            .map(|(n, r)| serde_json::from_slice::<Value>(&text[r.clone()]).map_err(|e| (*n, e)))
            .collect();
        let mut chunk = Vec::with_capacity(parsed.len());
        for p in parsed {
            match p {
                Ok(v) => chunk.push(v),
                Err((n, e)) => {
                    done = true;
                    return Some(Err(loc.bad(format!("line {n} is not valid JSON: {e}"))));
                }
            }
        }
        (!chunk.is_empty()).then_some(Ok(Chunk::Rows(chunk)))
    })))
}
