//! Running a Map over items given as text (see the module above): a chunk at a time,
//! as [`Run::run_map`] runs a whole array, with the same strategies and per-item code.
//!
//! When the kernels run the items, each partition goes from text to Arrow columns,
//! through the kernels, and (when the Map's result is the execution's output) straight
//! from the output columns to JSON text, in one task per partition: no item is ever a
//! `serde_json::Value`. A partition the kernels refuse is parsed whole and runs as rows.

use super::super::{COLUMNAR_PARTITION, Ctl, MapJob, MapSettings, Outcome, exceeded_threshold};
use super::LargeItems;
use crate::asl::Failure;
use crate::asl::model::{Map, State};
use crate::exec::columnar::{ColumnarProgram, text_items_to_batch};
use crate::exec::context::StateEnv;
use crate::exec::progress::ProgressBar;
use crate::exec::run::Run;
use crate::exec::{MAX_PAYLOAD_BYTES, OutputText};
use rayon::prelude::*;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Items parsed and run per chunk, per thread of the pool.
const CHUNK_ITEMS_PER_THREAD: usize = 32 * 1024;

/// A run of consecutive items' results.
enum Piece {
    /// As the output's JSON text (compact, comma-separated, none failed untolerated).
    Text(String),
    Outcomes(Vec<Outcome>),
}

/// Thread time spent parsing, running and writing (`ASL_PHASES=1` prints it).
#[derive(Default)]
struct Phases([AtomicU64; 3]);

impl Phases {
    const PARSE: usize = 0;
    const RUN: usize = 1;
    const WRITE: usize = 2;

    /// Adds the time since `since` to phase `i`; the time now.
    fn lap(&self, i: usize, since: Instant) -> Instant {
        let now = Instant::now();
        self.0[i].fetch_add((now - since).as_nanos() as u64, Ordering::Relaxed);
        now
    }

    fn seconds(&self, i: usize) -> f64 {
        self.0[i].load(Ordering::Relaxed) as f64 / 1e9
    }
}

/// What one chunk's partitions share.
struct Chunk<'a, 'j> {
    job: &'a MapJob<'j>,
    ctl: &'a Ctl,
    text: &'a [u8],
    /// Results are written as text (the Map's result is the execution's output).
    raw: bool,
    tolerant: bool,
    phases: &'a Phases,
    ratio: &'a OutputRatio,
}

impl Run<'_> {
    /// Runs an inline Map over items given as text: a chunk at a time, each chunk
    /// parsed in parallel and run with the Map's strategy, as [`Run::run_map`] runs a
    /// whole array.
    pub(in crate::exec::map) fn run_large_map(
        &self,
        st: &State,
        m: &Map,
        env: &StateEnv<'_>,
        large: Arc<LargeItems>,
    ) -> Result<Value, Failure> {
        let total = large.ranges.len();
        let settings = self.map_settings(m, env, total)?;
        self.event("MapStateStarted", || {
            Some(("mapStateStartedEventDetails", json!({"length": total})))
        });
        let ctl = Ctl::new(&settings);
        let bar = ProgressBar::start(self.ex.progress, &st.name, total, &ctl.counters);
        let kernels = match (&settings.strategy, settings.plan.columnar.as_deref()) {
            (crate::plan::Strategy::Columnar, Some(p)) if self.kernels_may_run(m) => Some(p),
            _ => None,
        };
        // Items parsed into values are parsed a chunk at a time (which bounds their
        // memory); the kernels' partitions hold their items only while they run, so
        // all of them go in one parallel pass, with no wait between chunks.
        let chunk = match kernels {
            Some(_) => total.max(1),
            None => CHUNK_ITEMS_PER_THREAD * self.ex.threads().max(1),
        };
        let tolerant = settings.tolerance.tolerant();
        // The results as values, or (when they are the execution's output) as its text.
        let raw = large.raw_output && !self.limits.state_payloads;
        let mut results = Vec::with_capacity(if raw { 0 } else { total });
        // The output's pieces, kept as written (never copied into one buffer).
        let mut text_out = OutputText::default();
        text_out.push("[".into());
        let phases = Phases::default();
        let ratio = OutputRatio::default();
        let started = Instant::now();
        let no_items: [Value; 0] = [];
        for (c, ranges) in large.ranges.chunks(chunk).enumerate() {
            let mut job = MapJob::whole(m, env, &no_items, &st.name);
            job.base = c * chunk;
            let shared = Chunk {
                job: &job,
                ctl: &ctl,
                text: &large.text,
                raw,
                tolerant,
                phases: &phases,
                ratio: &ratio,
            };
            let pieces = match kernels {
                Some(prog) => self.run_chunk_columnar(&shared, prog, ranges),
                None => self.run_chunk_parsed(&shared, &settings, ranges),
            };
            if self.is_suspended() || self.stopped() {
                return Err(self.history_full());
            }
            for piece in pieces {
                let added = match piece {
                    Piece::Text(t) => {
                        if !t.is_empty() {
                            if text_out.len() > 1 {
                                text_out.push(",".into());
                            }
                            text_out.push(t);
                        }
                        Ok(())
                    }
                    // As text, a piece of outcomes holds a failure not tolerated.
                    Piece::Outcomes(outcomes) if raw => {
                        super::super::collect(outcomes, tolerant, &mut Vec::new())
                    }
                    Piece::Outcomes(outcomes) => {
                        super::super::collect(outcomes, tolerant, &mut results)
                    }
                };
                if let Err(f) = added {
                    drop(bar);
                    self.event("MapStateFailed", || None);
                    return Err(f);
                }
            }
        }
        drop(bar);
        if std::env::var_os("ASL_PHASES").is_some() {
            eprintln!(
                "asl: large input: {total} items in {:.3} s; thread time: parsing {:.3} s, running {:.3} s, writing {:.3} s",
                started.elapsed().as_secs_f64(),
                phases.seconds(Phases::PARSE),
                phases.seconds(Phases::RUN),
                phases.seconds(Phases::WRITE),
            );
        }
        let failures = ctl.counters.failures.load(Ordering::Relaxed);
        if tolerant && settings.tolerance.exceeded(failures) {
            self.event("MapStateFailed", || None);
            return Err(exceeded_threshold());
        }
        self.event("MapStateSucceeded", || None);
        if raw {
            text_out.push("]".into());
            if text_out.len() > MAX_PAYLOAD_BYTES {
                self.output_over_limit(st)?;
            }
            *self.raw_output.lock().unwrap_or_else(|p| p.into_inner()) = Some(text_out);
            return Ok(Value::Null);
        }
        Ok(Value::Array(results))
    }

    /// One chunk through the kernels, a partition per task: text to columns, the
    /// kernels, and the output columns to text when that is what is kept.
    fn run_chunk_columnar(
        &self,
        chunk: &Chunk<'_, '_>,
        prog: &ColumnarProgram,
        ranges: &[(usize, usize)],
    ) -> Vec<Piece> {
        // The kernels read these fields only (None: the whole item).
        let keep: Option<HashSet<&str>> = (!prog.needs_whole_item())
            .then(|| prog.input_columns().iter().map(String::as_str).collect());
        let part = self.ex.partition.unwrap_or(COLUMNAR_PARTITION).max(1);
        self.ex.in_pool(|| {
            ranges
                .par_chunks(part)
                .enumerate()
                .map(|(p, ranges)| {
                    let start = p * part;
                    let n = ranges.len();
                    if chunk.ctl.should_skip(chunk.job.base + start) || self.stopped() {
                        return Piece::Outcomes((0..n).map(|_| Outcome::Skipped).collect());
                    }
                    let clock = Instant::now();
                    let batch = text_items_to_batch(chunk.text, ranges, keep.as_ref());
                    let clock = chunk.phases.lap(Phases::PARSE, clock);
                    let out = batch.and_then(|b| prog.run(&b).ok());
                    let clock = chunk.phases.lap(Phases::RUN, clock);
                    let Some(out) = out else {
                        // Refused: the items as they are, as rows.
                        return self.run_refused(chunk, ranges, start);
                    };
                    if chunk.raw && out.failures.is_empty() {
                        let input = span(ranges);
                        let mut text = Vec::with_capacity(chunk.ratio.capacity(input));
                        if out.write_json(&mut text) {
                            chunk.ratio.add(input, text.len());
                            self.columnar_counted(chunk.job, chunk.ctl, n);
                            let piece = Piece::Text(String::from_utf8(text).unwrap_or_default());
                            chunk.phases.lap(Phases::WRITE, clock);
                            return piece;
                        }
                    }
                    let outcomes = self.columnar_outcomes(chunk.job, chunk.ctl, &out, start);
                    let piece = piece_of(chunk, outcomes);
                    chunk.phases.lap(Phases::WRITE, clock);
                    piece
                })
                .collect()
        })
    }

    /// Items `start..` of the chunk parsed whole and run as rows, one after another.
    fn run_refused(&self, chunk: &Chunk<'_, '_>, ranges: &[(usize, usize)], start: usize) -> Piece {
        let clock = Instant::now();
        let items: Vec<Value> = ranges.iter().map(|&r| parse_item(chunk.text, r)).collect();
        let clock = chunk.phases.lap(Phases::PARSE, clock);
        let job = chunk.job.part(&items, chunk.job.base + start);
        let outcomes = self.run_range(&job, chunk.ctl, 0..items.len(), false);
        let clock = chunk.phases.lap(Phases::RUN, clock);
        let piece = piece_of(chunk, outcomes);
        chunk.phases.lap(Phases::WRITE, clock);
        piece
    }

    /// One chunk parsed whole (in parallel) and run with the Map's strategy.
    fn run_chunk_parsed(
        &self,
        chunk: &Chunk<'_, '_>,
        settings: &MapSettings<'_>,
        ranges: &[(usize, usize)],
    ) -> Vec<Piece> {
        let clock = Instant::now();
        let items: Vec<Value> = self.ex.in_pool(|| {
            ranges
                .par_iter()
                .map(|&range| parse_item(chunk.text, range))
                .collect()
        });
        let clock = chunk.phases.lap(Phases::PARSE, clock);
        let job = chunk.job.part(&items, chunk.job.base);
        let outcomes = self.run_chunk(&job, chunk.ctl, settings);
        drop(items);
        let clock = chunk.phases.lap(Phases::RUN, clock);
        let pieces = if chunk.raw && !holds_untolerated(&outcomes, chunk.tolerant) {
            self.ex.in_pool(|| {
                outcomes
                    .par_chunks(1024)
                    .map(|part| Piece::Text(outcomes_text(part)))
                    .collect()
            })
        } else {
            vec![Piece::Outcomes(outcomes)]
        };
        chunk.phases.lap(Phases::WRITE, clock);
        pieces
    }
}

/// The item at `text[s..e]`, parsed whole (checked by `split_input`: a failure here is
/// not the input's).
fn parse_item(text: &[u8], (s, e): (usize, usize)) -> Value {
    serde_json::from_slice(&text[s..e]).unwrap_or(Value::Null)
}

/// The bytes of text the items of `ranges` span.
fn span(ranges: &[(usize, usize)]) -> usize {
    match (ranges.first(), ranges.last()) {
        (Some(&(s, _)), Some(&(_, e))) => e - s,
        _ => 0,
    }
}

/// Output bytes per input byte written so far, to size the next partition's buffer
/// (too small, it grows by copying; too large, the rest is memory held to the end).
#[derive(Default)]
struct OutputRatio {
    input: AtomicU64,
    output: AtomicU64,
}

impl OutputRatio {
    /// Room for the output of items spanning `input` bytes: by the ratio so far plus
    /// a tenth, or twice the input before anything was written.
    fn capacity(&self, input: usize) -> usize {
        let (i, o) = (
            self.input.load(Ordering::Relaxed),
            self.output.load(Ordering::Relaxed),
        );
        if i == 0 {
            return 2 * input;
        }
        (input as u128 * u128::from(o) * 11 / (u128::from(i) * 10)) as usize
    }

    fn add(&self, input: usize, output: usize) {
        self.input.fetch_add(input as u64, Ordering::Relaxed);
        self.output.fetch_add(output as u64, Ordering::Relaxed);
    }
}

fn holds_untolerated(outcomes: &[Outcome], tolerant: bool) -> bool {
    !tolerant && outcomes.iter().any(|o| matches!(o, Outcome::Failed(_)))
}

/// A partition's outcomes as a piece: as text when that is what is kept and none of
/// them is a failure not tolerated (which the Map's failure is then looked for in).
fn piece_of(chunk: &Chunk<'_, '_>, outcomes: Vec<Outcome>) -> Piece {
    if chunk.raw && !holds_untolerated(&outcomes, chunk.tolerant) {
        Piece::Text(outcomes_text(&outcomes))
    } else {
        Piece::Outcomes(outcomes)
    }
}

/// Results as compact JSON separated by commas, as the whole array would be written
/// (a tolerated failure as `{"Error", "Cause"}`; a skipped item left out).
fn outcomes_text(outcomes: &[Outcome]) -> String {
    let mut s: Vec<u8> = Vec::with_capacity(outcomes.len() * 96);
    for o in outcomes {
        let v = match o {
            Outcome::Done(v) => std::borrow::Cow::Borrowed(v),
            Outcome::Failed(f) => {
                std::borrow::Cow::Owned(json!({"Error": f.error, "Cause": f.cause}))
            }
            Outcome::Skipped => continue,
        };
        if !s.is_empty() {
            s.push(b',');
        }
        // Writing JSON into a Vec can't fail.
        let _ = serde_json::to_writer(&mut s, &*v);
    }
    // serde_json writes UTF-8.
    String::from_utf8(s).unwrap_or_default()
}
