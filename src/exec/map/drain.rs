//! Where a Map's outputs go as its chunks complete ([`Drain`]): the ResultWriter's
//! files or the inline result array. For JSON and JSONL result files
//! ([`Run::drain_serialized`]) a chunk runs as small tasks that each run, serialize and
//! free their items, and the records are appended on a writer thread while the next
//! chunk runs.

use super::{Ctl, MapJob, MapSettings, Outcome};
use crate::asl::Failure;
use crate::asl::failure::names;
use crate::asl::model::{Map, State};
use crate::exec::context::StateEnv;
use crate::exec::run::Run;
use crate::io::reader::LineBlock;
use crate::io::writer::{ItemResult, RecordBuf, RecordSerializer, ResultSink};
use crate::plan::Strategy;
use serde_json::{Value, json};
use std::sync::atomic::Ordering;

/// Items per task when a chunk's items run and are serialized task by task: small
/// tasks keep both threads busy to the end of each chunk and a task's values in cache
/// (1M-line JSONL Map, 2 threads: 4096 → 512 took the speed-up over 1 thread from
/// about 1.57× to 1.70×, and both times down).
const SERIALIZED_PART: usize = 512;

/// A chunk's items for [`Run::drain_serialized`]: parsed, or lines of a JSONL file that
/// each task parses where it runs their items.
pub(super) enum ChunkItems {
    Values(Vec<Value>),
    Lines(LineBlock),
}

/// What running a chunk of one Map's items needs.
pub(super) struct ChunkCtx<'a, 'e> {
    pub st: &'a State,
    pub m: &'a Map,
    pub env: &'a StateEnv<'e>,
    pub ctl: &'a Ctl,
    pub settings: &'a MapSettings<'a>,
}

/// Where a Map's outputs go as chunks complete: the ResultWriter's files, or the inline
/// result array; plus what the Map needs to decide its own outcome.
pub(super) struct Drain {
    pub sink: Option<ResultSink>,
    pub results: Vec<Value>,
    pub first_failure: Option<Failure>,
    pub tolerant: bool,
    /// Index of the next item (items consumed so far, skipped row groups included).
    pub base: usize,
    /// The succeeded records of a chunk, kept between chunks so that their memory is
    /// reused rather than faulted in afresh each time.
    pub ok_buf: Vec<ItemResult>,
    /// The serialized records of a chunk's partitions, reused the same way.
    pub bufs: Vec<PartRecords>,
    /// How JSON and JSONL result files' records are made (None: no such files).
    pub serializer: Option<RecordSerializer>,
    /// The previous chunk's records being appended to the result files on their own
    /// thread (the sink is there meanwhile): see [`Drain::settle`].
    in_flight: Option<std::thread::JoinHandle<InFlight>>,
}

/// A Map that ends early (an error) still waits for its write in flight, so that the
/// sink is dropped here (its temporary files removed), not on a thread left behind.
impl Drop for Drain {
    fn drop(&mut self) {
        let _ = self.settle();
    }
}

/// What a write on the writer thread gives back: the sink, the buffers for reuse, and
/// how the write went.
type InFlight = (ResultSink, Vec<PartRecords>, Result<(), Failure>);

/// The serialized records of one partition's items, for JSON and JSONL result files.
#[derive(Default)]
pub(super) struct PartRecords {
    ok: RecordBuf,
    bad: RecordBuf,
}

impl PartRecords {
    fn clear(&mut self) {
        self.ok.clear();
        self.bad.clear();
    }
}

/// The items of one task of [`Run::drain_serialized`].
enum TaskItems<'l> {
    Values(Vec<Value>),
    /// Piece `k` of a block of lines, parsed by the task.
    Piece(&'l LineBlock, usize),
}

/// Serializes the records of items `index..` and frees them; returns the first failure.
fn serialize_part(
    ser: &RecordSerializer,
    index: usize,
    inputs: Vec<Value>,
    outcomes: Vec<Outcome>,
    buf: &mut PartRecords,
) -> Option<Failure> {
    let mut first = None;
    for (k, (o, input)) in outcomes.into_iter().zip(inputs).enumerate() {
        match o {
            Outcome::Done(output) => {
                let item = ItemResult {
                    index: index + k,
                    input,
                    output,
                    error: None,
                    cause: None,
                };
                ser.succeeded(&item, &mut buf.ok);
            }
            Outcome::Failed(f) => {
                let item = ItemResult {
                    index: index + k,
                    input,
                    output: json!({"Error": f.error, "Cause": f.cause}),
                    error: f.error.clone(),
                    cause: f.cause.clone(),
                };
                ser.failed(&item, &mut buf.bad);
                first.get_or_insert(f);
            }
            Outcome::Skipped => {}
        }
    }
    first
}

impl Drain {
    pub fn new(sink: Option<ResultSink>, tolerant: bool) -> Drain {
        Drain {
            serializer: sink.as_ref().and_then(ResultSink::serializer),
            sink,
            results: Vec::new(),
            first_failure: None,
            tolerant,
            base: 0,
            ok_buf: Vec::new(),
            bufs: Vec::new(),
            in_flight: None,
        }
    }

    /// Waits for the write in flight, if any, and takes the sink and buffers back.
    pub fn settle(&mut self) -> Result<(), Failure> {
        let Some(h) = self.in_flight.take() else {
            return Ok(());
        };
        let (sink, bufs, written) = h.join().map_err(|_| {
            Failure::new(
                names::RESULT_WRITER_FAILED,
                "the thread writing result files stopped unexpectedly",
            )
        })?;
        self.take_back(sink, bufs);
        written
    }

    /// The sink and the buffers back from a write, the buffers emptied for reuse.
    fn take_back(&mut self, sink: ResultSink, mut bufs: Vec<PartRecords>) {
        self.sink = Some(sink);
        bufs.iter_mut().for_each(PartRecords::clear);
        if self.bufs.is_empty() {
            self.bufs = bufs;
        }
    }

    /// The sink, once no write is in flight.
    pub fn sink(&mut self) -> Result<Option<&mut ResultSink>, Failure> {
        self.settle()?;
        Ok(self.sink.as_mut())
    }

    /// Outputs of items `base..base + outputs.len()` that all succeeded. `inputs` (the
    /// items) are needed only by the NONE transformation's records.
    pub fn succeeded(
        &mut self,
        outputs: Vec<Value>,
        inputs: Option<Vec<Value>>,
    ) -> Result<(), Failure> {
        let n = outputs.len();
        self.settle()?;
        match &mut self.sink {
            Some(s) => {
                let mut inputs = inputs.map(Vec::into_iter);
                let ok: Vec<ItemResult> = outputs
                    .into_iter()
                    .enumerate()
                    .map(|(k, output)| ItemResult {
                        index: self.base + k,
                        input: inputs
                            .as_mut()
                            .and_then(Iterator::next)
                            .unwrap_or(Value::Null),
                        output,
                        error: None,
                        cause: None,
                    })
                    .collect();
                s.write_succeeded(&ok)?;
            }
            None => self.results.extend(outputs),
        }
        self.base += n;
        Ok(())
    }
}

impl Run<'_> {
    /// Runs items through the processor (the Map's strategy) and drains the outcomes.
    /// Returns false when the Map must stop (an unhandled failure, or too many).
    pub(super) fn run_rows(
        &self,
        c: &ChunkCtx<'_, '_>,
        drain: &mut Drain,
        inputs: Vec<Value>,
        selector: bool,
    ) -> Result<bool, Failure> {
        if inputs.is_empty() {
            return Ok(true);
        }
        let base = drain.base;
        let job = MapJob {
            map: c.m,
            state: c.env.state,
            input: c.env.input,
            vars: c.env.vars,
            items: &inputs,
            name: &c.st.name,
            base,
            selector,
        };
        if let Some(ser) = drain.serializer.clone() {
            return self.drain_serialized(c, drain, &ser, ChunkItems::Values(inputs));
        }
        let outcomes = self.run_chunk(&job, c.ctl, c.settings);
        let (mut ok, mut bad) = (std::mem::take(&mut drain.ok_buf), Vec::new());
        let exporting = drain.sink()?.is_some();
        let needs_inputs = drain.sink()?.is_some_and(|s| s.records_inputs());
        for (k, o) in outcomes.into_iter().enumerate() {
            match o {
                Outcome::Done(v) if exporting => ok.push(ItemResult {
                    index: base + k,
                    input: if needs_inputs {
                        inputs[k].clone()
                    } else {
                        Value::Null
                    },
                    output: v,
                    error: None,
                    cause: None,
                }),
                Outcome::Done(v) => drain.results.push(v),
                Outcome::Failed(f) => {
                    let out = json!({"Error": f.error, "Cause": f.cause});
                    if exporting {
                        bad.push(ItemResult {
                            index: base + k,
                            input: inputs[k].clone(),
                            output: out,
                            error: f.error.clone(),
                            cause: f.cause.clone(),
                        });
                    } else if drain.tolerant {
                        drain.results.push(out);
                    }
                    drain.first_failure.get_or_insert(f);
                }
                Outcome::Skipped => {}
            }
        }
        if let Some(s) = drain.sink()? {
            // On the Map's pool: the writer serializes records in parallel.
            self.ex.in_pool(|| {
                s.write_succeeded(&ok)?;
                s.write_failed(&bad)
            })?;
        }
        drain.base += inputs.len();
        // Freeing thousands of JSON trees is work too: spread it over the pool.
        self.ex.in_pool(|| {
            use rayon::prelude::*;
            inputs.into_par_iter().with_min_len(256).for_each(drop);
            ok.par_drain(..).with_min_len(256).for_each(drop);
        });
        drain.ok_buf = ok;
        Ok(!(c.ctl.stop.load(Ordering::Relaxed)
            || c.ctl.min_fail.load(Ordering::Relaxed) != usize::MAX))
    }

    /// [`Self::run_rows`] for JSON and JSONL result files. The chunk runs as partitions,
    /// and each partition's task runs its items, serializes their records into its own
    /// buffers and frees the items, so that an item's values are written while they are
    /// still in the cache of the thread that made them, with one barrier per chunk and
    /// no allocation per record. Only the appending of the buffers is sequential.
    /// Strategies that bound the items in flight (Sequential, Blocking, a MaxConcurrency
    /// below the pool size) run the whole chunk first and serialize it in parallel after.
    pub(super) fn drain_serialized(
        &self,
        c: &ChunkCtx<'_, '_>,
        drain: &mut Drain,
        ser: &RecordSerializer,
        items: ChunkItems,
    ) -> Result<bool, Failure> {
        use rayon::prelude::*;
        let base = drain.base;
        let threads = self.ex.threads();
        let fused = matches!(
            c.settings.strategy,
            Strategy::Columnar | Strategy::RowParallel
        ) && c
            .settings
            .max_concurrency
            .is_none_or(|mc| mc == 0 || mc as usize >= threads);
        let part = self.ex.partition.unwrap_or(SERIALIZED_PART).max(1);
        let proto = MapJob {
            map: c.m,
            state: c.env.state,
            input: c.env.input,
            vars: c.env.vars,
            items: &[],
            name: &c.st.name,
            base,
            selector: true,
        };
        let (ctl, settings) = (c.ctl, c.settings);
        // Lines that the tasks can't parse themselves are parsed first.
        let mut read_error = None;
        let items = match items {
            ChunkItems::Lines(lines) if !fused => {
                let (values, e) = self.ex.in_pool(|| lines.items_until_error());
                read_error = e;
                ChunkItems::Values(values)
            }
            other => other,
        };
        let n = match &items {
            ChunkItems::Values(v) => v.len(),
            ChunkItems::Lines(l) => l.len(),
        };
        // Strategies that bound the items in flight run the whole chunk here.
        let mut outcomes = match (&items, fused) {
            (ChunkItems::Values(v), false) => Some(
                self.run_chunk(&proto.part(v, base), ctl, settings)
                    .into_iter(),
            ),
            _ => None,
        };
        // The tasks: where each one's items start, and what they are.
        let (lines, values) = match items {
            ChunkItems::Lines(l) => (Some(l), Vec::new()),
            ChunkItems::Values(v) => (None, v),
        };
        let mut tasks: Vec<(usize, TaskItems<'_>, Option<Vec<Outcome>>)> = Vec::new();
        let mut start = 0;
        if let Some(lines) = &lines {
            for (k, count) in lines.piece_items().enumerate() {
                tasks.push((start, TaskItems::Piece(lines, k), None));
                start += count;
            }
        }
        let mut rest = values.into_iter();
        while rest.len() > 0 {
            let v: Vec<Value> = rest.by_ref().take(part).collect();
            let done = outcomes
                .as_mut()
                .map(|o| o.by_ref().take(v.len()).collect());
            let len = v.len();
            tasks.push((start, TaskItems::Values(v), done));
            start += len;
        }
        let mut bufs = std::mem::take(&mut drain.bufs);
        bufs.resize_with(bufs.len().max(tasks.len()), Default::default);
        let work: Vec<_> = tasks.into_iter().zip(bufs.iter_mut()).collect();
        let ends: Vec<(Option<Failure>, Option<Failure>)> = self.ex.in_pool(|| {
            work.into_par_iter()
                .map(|((start, items, outcomes), buf)| {
                    let (items, read_error) = match items {
                        TaskItems::Values(v) => (v, None),
                        TaskItems::Piece(lines, k) => match lines.parse(k) {
                            Ok(v) => (v, None),
                            Err((v, e)) => (v, Some(e)),
                        },
                    };
                    let outcomes = outcomes.unwrap_or_else(|| {
                        self.run_chunk(&proto.part(&items, base + start), ctl, settings)
                    });
                    let failure = serialize_part(ser, base + start, items, outcomes, buf);
                    (failure, read_error)
                })
                .collect()
        });
        // Up to the first line that is not JSON: the tasks after it are dropped.
        let keep = ends
            .iter()
            .position(|(_, e)| e.is_some())
            .map_or(ends.len(), |k| k + 1);
        for (failure, line_error) in ends.into_iter().take(keep) {
            if let Some(f) = failure {
                drain.first_failure.get_or_insert(f);
            }
            read_error = read_error.or(line_error);
        }
        bufs.iter_mut().skip(keep).for_each(PartRecords::clear);
        // Appended on a thread of its own while the pool goes on with the next chunk
        // (with one pool thread, `--threads 1`, on this one).
        drain.settle()?;
        if let Some(mut sink) = drain.sink.take() {
            let write = move || {
                let written = sink.write_serialized(
                    bufs.iter().flat_map(|b| b.ok.iter()),
                    bufs.iter().flat_map(|b| b.bad.iter()),
                );
                (sink, bufs, written)
            };
            if threads > 1 && read_error.is_none() {
                drain.in_flight = Some(std::thread::spawn(write));
            } else {
                let (sink, bufs, written) = write();
                drain.take_back(sink, bufs);
                written?;
            }
        }
        if let Some(e) = read_error {
            return Err(e);
        }
        drain.base += n;
        Ok(!(c.ctl.stop.load(Ordering::Relaxed)
            || c.ctl.min_fail.load(Ordering::Relaxed) != usize::MAX))
    }
}
