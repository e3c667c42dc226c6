//! JSONL: one item per non-empty line, streamed in blocks of whole lines (about
//! `rows × 256` bytes). Each block is split into pieces at line ends and the pieces are
//! parsed in parallel on the current rayon pool; only the block read is sequential.
//! Chunks hold at most `rows` items; the items before a line that is not JSON come out
//! before the error.
use super::{Chunk, ItemStream, Loc, ReadOptions};
use crate::asl::Failure;
use rayon::prelude::*;
use serde_json::Value;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};

/// Bytes per block, per row of the requested chunk size (a guess at a line's length).
const BYTES_PER_ROW: usize = 256;

/// Lines per piece parsed as one task (about): small pieces keep the threads evenly
/// loaded to the end of each block.
const ROWS_PER_PIECE: usize = 512;

pub(super) fn open(loc: &Loc, opts: &ReadOptions) -> Result<ItemStream, Failure> {
    let mut reader = BufReader::with_capacity(1 << 20, loc.open()?);
    let loc = loc.clone();
    let rows = opts.rows();
    let block_bytes = rows.saturating_mul(BYTES_PER_ROW).max(1 << 16);
    // Lines before the current block (for error messages).
    let mut lines_before = 0usize;
    let mut done = false;
    // Chunks of at most `rows` items parsed but not yet handed out, then an error.
    let mut queue: VecDeque<Result<Chunk, Failure>> = VecDeque::new();
    let mut block: Vec<u8> = Vec::with_capacity(block_bytes + 4096);
    Ok(Box::new(std::iter::from_fn(move || {
        loop {
            if let Some(c) = queue.pop_front() {
                return Some(c);
            }
            if done {
                return None;
            }
            // The block's memory is reused from one block to the next.
            block.clear();
            let read = (&mut reader)
                .take(block_bytes as u64)
                .read_to_end(&mut block)
                .and_then(|n| match block.last() {
                    // Complete the last line.
                    Some(b) if *b != b'\n' && n == block_bytes => {
                        reader.read_until(b'\n', &mut block)
                    }
                    _ => Ok(0),
                });
            match read {
                Ok(_) if block.is_empty() => {
                    done = true;
                    continue;
                }
                Ok(_) => {}
                Err(e) => {
                    done = true;
                    queue.push_back(Err(loc.bad(format!("line {}: {e}", lines_before + 1))));
                    continue;
                }
            }
            let (items, newlines, error) = parse_block(&block, rows / ROWS_PER_PIECE);
            let mut items = items.into_iter().peekable();
            while items.peek().is_some() {
                queue.push_back(Ok(Chunk::Rows(items.by_ref().take(rows).collect())));
            }
            match error {
                None => lines_before += newlines,
                Some((offset, e)) => {
                    done = true;
                    let line = lines_before + newlines_in(&block[..offset]) + 1;
                    queue.push_back(Err(loc.bad(format!("line {line} is not valid JSON: {e}"))));
                }
            }
        }
    })))
}

fn newlines_in(b: &[u8]) -> usize {
    b.iter().filter(|c| **c == b'\n').count()
}

/// What parsing a block of whole lines gives: its items in order, the block's line count
/// (newlines), and the first line that is not JSON (its byte offset and the error; the
/// items stop before it).
type Parsed = (Vec<Value>, usize, Option<(usize, serde_json::Error)>);

/// Parses a block of whole lines in pieces on the current pool; each piece counts its
/// newlines as it splits them, so the block is not scanned again for line numbers.
fn parse_block(block: &[u8], pieces: usize) -> Parsed {
    let pieces = pieces.max(rayon::current_num_threads() * 4).max(1);
    let mut bounds = vec![0usize];
    for k in 1..pieces {
        let at = (block.len() * k / pieces).max(*bounds.last().unwrap_or(&0));
        let end = match block[at..].iter().position(|c| *c == b'\n') {
            Some(p) => at + p + 1,
            None => block.len(),
        };
        bounds.push(end);
    }
    bounds.push(block.len());
    bounds.dedup();
    let parts: Vec<Parsed> = bounds
        .par_windows(2)
        .map(|w| {
            let mut out = Vec::new();
            let mut start = w[0];
            let mut segments = 0usize;
            for line in block[w[0]..w[1]].split(|c| *c == b'\n') {
                segments += 1;
                let at = start;
                start += line.len() + 1;
                let line = line.trim_ascii();
                if line.is_empty() {
                    continue;
                }
                match serde_json::from_slice::<Value>(line) {
                    Ok(v) => out.push(v),
                    Err(e) => return (out, 0, Some((at, e))),
                }
            }
            (out, segments - 1, None)
        })
        .collect();
    let (mut items, mut newlines) = (Vec::new(), 0);
    for (p, n, err) in parts {
        items.extend(p);
        newlines += n;
        if err.is_some() {
            return (items, newlines, err);
        }
    }
    (items, newlines, None)
}
