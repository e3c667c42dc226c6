//! JSONL: one item per non-empty line, streamed in blocks of whole lines (about
//! `rows × 256` bytes). Each block is split into pieces at line ends and the pieces are
//! parsed in parallel on the current rayon pool; only the block read is sequential.
//! Chunks hold at most `rows` items; the items before a line that is not JSON come out
//! before the error.
//!
//! With [`ReadOptions::raw_lines`] the blocks themselves are handed out
//! ([`Chunk::Lines`]): split into pieces of whole lines with their items counted, for a
//! consumer that parses each piece where it processes its items.
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
    let raw_lines = opts.raw_lines;
    let spare_block: Spare = Default::default();
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
            if raw_lines {
                // The block goes out with its lines; the memory of a block the consumer
                // is done with comes back for the next one.
                let spare = spare_block.lock().ok().and_then(|mut s| s.pop());
                let next = spare.unwrap_or_else(|| Vec::with_capacity(block_bytes + 4096));
                let bytes = std::mem::replace(&mut block, next);
                let mut lines =
                    LineBlock::new(bytes, lines_before, loc.clone(), rows / ROWS_PER_PIECE);
                lines.spare = Some(spare_block.clone());
                lines_before += lines.newlines;
                if !lines.is_empty() {
                    return Some(Ok(Chunk::Lines(lines)));
                }
                continue;
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

/// Where to split a block of whole lines into about `pieces` pieces, each ending at a
/// line end: the pieces' bounds, from 0 to the end.
fn piece_bounds(block: &[u8], pieces: usize) -> Vec<usize> {
    let pieces = pieces.max(1);
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
    bounds
}

/// The lines of `piece` with the byte offset of each.
fn lines_at(block: &[u8], from: usize, to: usize) -> impl Iterator<Item = (usize, &[u8])> {
    let mut start = from;
    block[from..to].split(|c| *c == b'\n').map(move |line| {
        let at = start;
        start += line.len() + 1;
        (at, line)
    })
}

/// Parses a block of whole lines in pieces on the current pool; each piece counts its
/// newlines as it splits them, so the block is not scanned again for line numbers.
fn parse_block(block: &[u8], pieces: usize) -> Parsed {
    let bounds = piece_bounds(block, pieces);
    let parts: Vec<Parsed> = bounds
        .par_windows(2)
        .map(|w| {
            let mut out = Vec::new();
            let mut segments = 0usize;
            for (at, line) in lines_at(block, w[0], w[1]) {
                segments += 1;
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

/// The memory of blocks handed back by the consumer (two at most: the one it runs while
/// the next is read).
type Spare = std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>;

impl Drop for LineBlock {
    fn drop(&mut self) {
        if let Some(spare) = &self.spare
            && let Ok(mut s) = spare.lock()
            && s.len() < 2
        {
            let mut bytes = std::mem::take(&mut self.bytes);
            bytes.clear();
            s.push(bytes);
        }
    }
}

/// A block of whole lines of a JSONL file, not yet parsed, in pieces whose items (non-blank
/// lines) are counted, so that the pieces can be parsed and their items processed in
/// parallel, each knowing the index of its first item.
#[derive(Debug)]
pub struct LineBlock {
    bytes: Vec<u8>,
    /// Where the bytes go when the block is dropped, for the reader's next block.
    spare: Option<Spare>,
    pieces: Vec<Piece>,
    /// Newlines in the block.
    newlines: usize,
    loc: Loc,
}

#[derive(Debug, Clone)]
struct Piece {
    from: usize,
    to: usize,
    /// Items to take from the piece (fewer than its lines after a truncation).
    items: usize,
    /// Lines of the file before the piece.
    lines_before: usize,
}

impl LineBlock {
    fn new(bytes: Vec<u8>, lines_before: usize, loc: Loc, pieces: usize) -> LineBlock {
        let bounds = piece_bounds(&bytes, pieces);
        // Sequential: counting is fast next to parsing, and a consumer may read the next
        // block on a thread of its own, outside its pool, while it parses this one.
        let counts: Vec<(usize, usize)> = bounds
            .windows(2)
            .map(|w| {
                let (mut items, mut segments) = (0, 0);
                for (_, line) in lines_at(&bytes, w[0], w[1]) {
                    segments += 1;
                    items += usize::from(!line.trim_ascii().is_empty());
                }
                (items, segments - 1)
            })
            .collect();
        let mut before = lines_before;
        let pieces = bounds
            .windows(2)
            .zip(counts)
            .map(|(w, (items, newlines))| {
                let p = Piece {
                    from: w[0],
                    to: w[1],
                    items,
                    lines_before: before,
                };
                before += newlines;
                p
            })
            .collect();
        LineBlock {
            bytes,
            spare: None,
            pieces,
            newlines: before - lines_before,
            loc,
        }
    }

    /// The number of items.
    pub fn len(&self) -> usize {
        self.pieces.iter().map(|p| p.items).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of items of each piece, in order.
    pub fn piece_items(&self) -> impl Iterator<Item = usize> + '_ {
        self.pieces.iter().map(|p| p.items)
    }

    /// Keeps the first `keep` items.
    pub fn truncate(&mut self, keep: usize) {
        let mut left = keep;
        self.pieces.retain_mut(|p| {
            p.items = p.items.min(left);
            left -= p.items;
            p.items > 0
        });
    }

    /// Drops the first `n` items (a Map resuming after the items it has done).
    pub fn skip(&mut self, n: usize) {
        let mut left = n;
        let bytes = &self.bytes;
        self.pieces.retain_mut(|p| {
            if left == 0 {
                return true;
            }
            if p.items <= left {
                left -= p.items;
                return false;
            }
            // Within the piece: start after the line of its `left`-th item.
            for (newlines, (at, line)) in lines_at(bytes, p.from, p.to).enumerate() {
                if left == 0 {
                    p.from = at;
                    p.lines_before += newlines;
                    break;
                }
                if !line.trim_ascii().is_empty() {
                    left -= 1;
                    p.items -= 1;
                }
            }
            true
        });
    }

    /// The items of piece `k`, or those before its first line that is not JSON and the
    /// error naming the file and the line.
    pub fn parse(&self, k: usize) -> Result<Vec<Value>, (Vec<Value>, Failure)> {
        let p = &self.pieces[k];
        let mut out = Vec::with_capacity(p.items);
        for (n, (_, line)) in lines_at(&self.bytes, p.from, p.to).enumerate() {
            if out.len() == p.items {
                break;
            }
            let line = line.trim_ascii();
            if line.is_empty() {
                continue;
            }
            match serde_json::from_slice::<Value>(line) {
                Ok(v) => out.push(v),
                Err(e) => {
                    let line = p.lines_before + n + 1;
                    let f = self.loc.bad(format!("line {line} is not valid JSON: {e}"));
                    return Err((out, f));
                }
            }
        }
        Ok(out)
    }

    /// Every item, parsed in parallel on the current pool; the first line that is not
    /// JSON is an error.
    pub fn into_items(self) -> Result<Vec<Value>, Failure> {
        match self.items_until_error() {
            (items, None) => Ok(items),
            (_, Some(e)) => Err(e),
        }
    }

    /// Every item, parsed in parallel on the current pool: those before the first line
    /// that is not JSON, and the error for that line.
    pub fn items_until_error(self) -> (Vec<Value>, Option<Failure>) {
        let parts: Vec<_> = (0..self.pieces.len())
            .into_par_iter()
            .map(|k| self.parse(k))
            .collect();
        let mut items = Vec::with_capacity(self.len());
        for p in parts {
            match p {
                Ok(v) => items.extend(v),
                Err((v, e)) => {
                    items.extend(v);
                    return (items, Some(e));
                }
            }
        }
        (items, None)
    }
}
