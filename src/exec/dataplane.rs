//! The Distributed Map data plane in the executor: items streamed from an ItemReader
//! in chunks, grouped by an ItemBatcher, run with the Map's strategy chunk by chunk,
//! and written by a ResultWriter as they complete (or collected inline).

use super::columnar::ColumnarProgram;
use super::context::StateEnv;
use super::dataflow::select_path;
use super::map::{Ctl, MapJob, MapSettings, Outcome, exceeded_threshold};
use super::run::Run;
use crate::asl::Failure;
use crate::asl::failure::names;
use crate::asl::model::{Ata, Map, PathField, QueryLanguage, State, Template};
use crate::io::reader::{self, Chunk, LineBlock, ReadOptions, ReaderConfig};
use crate::io::writer::{ItemResult, RecordBuf, RecordSerializer, ResultSink, WriterConfig};
use crate::plan::Strategy;
use serde_json::{Map as JsonMap, Value, json};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Items per chunk read from an ItemReader, per pool thread: a chunk runs as
/// partitions (the columnar batch size), four per thread, so that the threads stay
/// evenly loaded to the end of each chunk.
const CHUNK_ROWS_PER_THREAD: usize = 4 * super::map::COLUMNAR_PARTITION;

/// Items per task when a chunk's items run and are serialized task by task: small
/// tasks keep both threads busy to the end of each chunk and a task's values in cache
/// (1M-line JSONL Map, 2 threads: 4096 → 512 took the speed-up over 1 thread from
/// about 1.57× to 1.70×, and both times down).
const SERIALIZED_PART: usize = 512;

type Rows = Box<dyn Iterator<Item = Result<Chunk, Failure>> + Send>;

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

/// The items of one task of [`Run::drain_serialized`].
enum TaskItems<'l> {
    Values(Vec<Value>),
    /// Piece `k` of a block of lines, parsed by the task.
    Piece(&'l LineBlock, usize),
}

/// Every item of a block of lines, parsed in parallel on the current pool: those before
/// its first line that is not JSON, and the error for that line.
fn lines_until_error(lines: LineBlock) -> (Vec<Value>, Option<Failure>) {
    use rayon::prelude::*;
    let parts: Vec<_> = (0..lines.piece_items().count())
        .into_par_iter()
        .map(|k| lines.parse(k))
        .collect();
    let mut items = Vec::with_capacity(lines.len());
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
        let (sink, mut bufs, written) = h.join().map_err(|_| {
            Failure::new(
                names::RESULT_WRITER_FAILED,
                "the thread writing result files stopped unexpectedly",
            )
        })?;
        self.sink = Some(sink);
        for b in &mut bufs {
            b.ok.clear();
            b.bad.clear();
        }
        if self.bufs.is_empty() {
            self.bufs = bufs;
        }
        written
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
    pub(crate) fn run_map_dataplane(
        &self,
        st: &State,
        m: &Map,
        env: &StateEnv<'_>,
    ) -> Result<Value, Failure> {
        let ata = st.ql == QueryLanguage::JsonAta;
        let run_id = uuid::Uuid::new_v4();
        let map_run_arn = format!(
            "arn:aws:states:us-east-1:111111111111:mapRun:{}/{}:{run_id}",
            self.info.state_machine_name,
            m.label.as_deref().unwrap_or(&st.name)
        );
        let reader_cfg = match &m.item_reader {
            Some(spec) => {
                let resolved = self.resolve_spec(spec, "ItemReader", env, ata)?;
                Some(
                    ReaderConfig::from_value(&resolved)
                        .map_err(|e| Failure::new(names::ITEM_READER_FAILED, e))?,
                )
            }
            None => None,
        };
        let writer_cfg = match &m.result_writer {
            Some(spec) => {
                let resolved = self.resolve_spec(spec, "ResultWriter", env, ata)?;
                Some(
                    WriterConfig::from_value(&resolved)
                        .map_err(|e| Failure::new(names::RESULT_WRITER_FAILED, e))?,
                )
            }
            None => None,
        };
        // Record batches straight from the reader through the kernels, when the processor
        // is columnar and the items are rows of a Parquet file.
        let program = match (&m.item_batcher, self.history.is_recording()) {
            (None, false) => self.columnar_program(m),
            _ => None,
        };
        let mut units = None;
        let mut batch_plan = None;
        let source: Rows = match &reader_cfg {
            Some(cfg) => {
                batch_plan = program
                    .as_ref()
                    .map(|p| super::batches::read_plan(p, cfg, writer_cfg.as_ref()));
                if let Some(plan) = &batch_plan {
                    units = reader::parquet_units(cfg, &self.ex.buckets, &plan.options)?
                        .map(|u| (u, cfg.max_items));
                }
                if units.is_some() {
                    Box::new(std::iter::empty())
                } else {
                    let opts = ReadOptions {
                        batch_rows: CHUNK_ROWS_PER_THREAD * self.ex.threads().max(1),
                        // JSONL lines are parsed where their items run (or just before).
                        raw_lines: m.item_batcher.is_none(),
                        ..Default::default()
                    };
                    reader::open(cfg, &self.ex.buckets, &opts)?
                }
            }
            None => {
                let items = match &m.items_path {
                    PathField::Path(p) => select_path(p, env)?.into_owned(),
                    _ => env.input.clone(),
                };
                let Value::Array(items) = items else {
                    return Err(Failure::runtime(format!(
                        "Map state input must be an array but was: {}",
                        crate::asl::model::template::to_compact(&items)
                    )));
                };
                let chunks: Vec<Result<Chunk, Failure>> = items
                    .chunks(CHUNK_ROWS_PER_THREAD * self.ex.threads().max(1))
                    .map(|c| Ok(Chunk::Rows(c.to_vec())))
                    .collect();
                Box::new(chunks.into_iter())
            }
        };
        let batcher = match &m.item_batcher {
            Some(spec) => Some(self.resolve_batcher(spec, env, ata)?),
            None => None,
        };
        // A ResultWriter with a bucket exports the results; one with only a WriterConfig
        // transforms the Map's inline output.
        let mut inline_transform = None;
        let sink = match writer_cfg {
            Some(cfg) if cfg.exports() => {
                Some(ResultSink::create(&cfg, &self.ex.buckets, &map_run_arn)?)
            }
            Some(cfg) => {
                inline_transform = Some(cfg);
                None
            }
            None => None,
        };
        let settings = self.map_settings(m, env, 0)?;
        self.event("MapRunStarted", || {
            Some((
                "mapRunStartedEventDetails",
                json!({"mapRunArn": map_run_arn}),
            ))
        });
        let ctl = Ctl {
            min_fail: AtomicUsize::new(usize::MAX),
            counters: Default::default(),
            stop: AtomicBool::new(false),
            tolerance: settings.tolerance,
        };
        let mut drain = Drain::new(sink, settings.tolerance.tolerant());
        let chunk = ChunkCtx {
            st,
            m,
            env,
            ctl: &ctl,
            settings: &settings,
        };
        if let (Some((units, max_items)), Some(program), Some(plan)) =
            (&units, &program, &batch_plan)
        {
            self.run_units(units, program, plan, *max_items, &chunk, &mut drain)?;
        }
        let mut read = 0usize;
        let mut pending = Pending::default();
        // A trailing None flushes the last partial batch.
        let mut chunks = source.map(Some).chain(std::iter::once(None));
        // Read on the Map's pool: a reader parallelizes on the current pool (JSONL
        // parsing), so `--threads` bounds it too.
        // A chunk read ahead, while the one before ran.
        let mut ahead = None;
        loop {
            let next = match ahead.take() {
                Some(next) => next,
                None => self.ex.in_pool(|| chunks.next()),
            };
            let Some(c) = next else { break };
            // Record batches (CSV) straight into the kernels.
            let c = match (c, &program, &batch_plan) {
                (Some(Ok(Chunk::Batch(b))), Some(p), Some(plan)) if batcher.is_none() => {
                    if !self.run_batch_chunk(b, p, plan, &chunk, &mut drain)? {
                        break;
                    }
                    continue;
                }
                (c, ..) => c,
            };
            // Lines straight to the tasks that parse and run them; the next block is read
            // meanwhile, on a thread of its own (with one pool thread, after).
            let c = match (c, &drain.serializer) {
                (Some(Ok(Chunk::Lines(lines))), Some(ser)) if batcher.is_none() => {
                    let ser = ser.clone();
                    let lines = ChunkItems::Lines(lines);
                    let go = if self.ex.threads() > 1 {
                        std::thread::scope(|s| {
                            let reading = s.spawn(|| chunks.next());
                            let go = self.drain_serialized(&chunk, &mut drain, &ser, lines);
                            ahead = Some(reading.join().unwrap_or_else(|_| {
                                Some(Some(Err(Failure::new(
                                    names::ITEM_READER_FAILED,
                                    "the thread reading items stopped unexpectedly",
                                ))))
                            }));
                            go
                        })?
                    } else {
                        self.drain_serialized(&chunk, &mut drain, &ser, lines)?
                    };
                    if !go {
                        break;
                    }
                    continue;
                }
                (c, _) => c,
            };
            // A line that is not JSON fails the Map after the items before it ran.
            let mut read_error = None;
            let c = c.map(|c| {
                c.and_then(|c| match c {
                    Chunk::Lines(lines) => {
                        let (items, e) = self.ex.in_pool(|| lines_until_error(lines));
                        read_error = e;
                        Ok(items)
                    }
                    other => other.into_items(),
                })
            });
            let (inputs, selector) = match (c, &batcher) {
                (Some(items), Some(b)) => {
                    let items = items?;
                    let n = items.len();
                    let batches = self.make_batches(items, b, m, env, read, &mut pending)?;
                    read += n;
                    (batches, false)
                }
                (None, Some(b)) => (pending.flush(&b.batch_input).into_iter().collect(), false),
                (Some(items), None) => (items?, true),
                (None, None) => break,
            };
            let go = self.run_rows(&chunk, &mut drain, inputs, selector)?;
            if let Some(e) = read_error {
                drain.settle()?;
                return Err(e);
            }
            if !go {
                break;
            }
        }
        let mut tolerance = settings.tolerance;
        tolerance.items = drain.base;
        let failures = ctl.counters.failures.load(Ordering::Relaxed);
        // What was computed is written before the Map fails.
        drain.settle()?;
        let written = match drain.sink.take() {
            Some(s) => Some(s.finish()?),
            None => None,
        };
        let tolerant = drain.tolerant;
        if (tolerant || settings.distributed) && tolerance.exceeded(failures) {
            self.event("MapRunFailed", || None);
            return Err(exceeded_threshold());
        }
        if let (false, Some(f)) = (tolerant || settings.distributed, drain.first_failure.take()) {
            return Err(f);
        }
        self.event("MapRunSucceeded", || None);
        let results = match inline_transform {
            Some(cfg) => cfg.transform_outputs(std::mem::take(&mut drain.results)),
            None => std::mem::take(&mut drain.results),
        };
        Ok(written.unwrap_or(Value::Array(results)))
    }

    /// The Map's columnar program, when its plan has one.
    fn columnar_program(&self, m: &Map) -> Option<std::sync::Arc<ColumnarProgram>> {
        let mp = match self.plan.and_then(|p| p.map_plan(m)) {
            Some(mp) => std::borrow::Cow::Borrowed(mp),
            None => std::borrow::Cow::Owned(crate::plan::decide_with(
                m,
                &self.ex.tasks,
                self.ex.columnar,
            )),
        };
        match mp.strategy {
            Strategy::Columnar => mp.columnar.clone(),
            _ => None,
        }
    }

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
    fn drain_serialized(
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
                let (values, e) = self.ex.in_pool(|| lines_until_error(lines));
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
        if keep < bufs.len() {
            for b in &mut bufs[keep..] {
                b.ok.clear();
                b.bad.clear();
            }
        }
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
                let (sink, mut bufs, written) = write();
                drain.sink = Some(sink);
                for b in &mut bufs {
                    b.ok.clear();
                    b.bad.clear();
                }
                drain.bufs = bufs;
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

    /// An ItemReader or ResultWriter object with its Parameters (JSONPath) or Arguments
    /// (JSONata) evaluated, and `MaxItemsPath` resolved into `MaxItems`.
    fn resolve_spec(
        &self,
        spec: &Value,
        field: &str,
        env: &StateEnv<'_>,
        ata: bool,
    ) -> Result<Value, Failure> {
        let failed = |e: String| {
            let name = if field == "ItemReader" {
                names::ITEM_READER_FAILED
            } else {
                names::RESULT_WRITER_FAILED
            };
            Failure::new(name, e)
        };
        let Value::Object(obj) = spec else {
            return Ok(spec.clone());
        };
        let mut out = obj.clone();
        if ata {
            if let Some(a) = obj.get("Arguments") {
                let t = Ata::compile(a).map_err(|(_, e)| failed(e))?;
                let b = env
                    .ata
                    .ok_or_else(|| failed("JSONata Arguments outside a JSONata state".into()))?;
                out.insert(
                    "Arguments".into(),
                    t.eval(&format!("{field}/Arguments"), b)?,
                );
            }
            if let Some(Value::Object(rc)) = obj.get("ReaderConfig") {
                let mut rc = rc.clone();
                if let Some(v) = rc.get("MaxItems").cloned() {
                    let t = Ata::compile(&v).map_err(|(_, e)| failed(e))?;
                    if let (false, Some(b)) = (t.is_literal(), env.ata) {
                        rc.insert(
                            "MaxItems".into(),
                            t.eval(&format!("{field}/ReaderConfig/MaxItems"), b)?,
                        );
                    }
                }
                out.insert("ReaderConfig".into(), Value::Object(rc));
            }
        } else {
            if let Some(p) = obj.get("Parameters") {
                let t = Template::compile(p).map_err(|(_, e)| failed(e))?;
                out.insert("Parameters".into(), t.eval(env)?);
            }
            if let Some(Value::Object(rc)) = obj.get("ReaderConfig") {
                let mut rc = rc.clone();
                if let Some(Value::String(p)) = rc.remove("MaxItemsPath") {
                    let path =
                        crate::asl::path::JsonPath::parse(&p).map_err(|e| failed(e.message))?;
                    let v = select_path(&path, env)?.into_owned();
                    rc.insert("MaxItems".into(), v);
                }
                out.insert("ReaderConfig".into(), Value::Object(rc));
            }
        }
        Ok(Value::Object(out))
    }

    fn resolve_batcher(
        &self,
        spec: &Value,
        env: &StateEnv<'_>,
        ata: bool,
    ) -> Result<Batcher, Failure> {
        let obj = spec.as_object().cloned().unwrap_or_default();
        let number = |key: &str| -> Result<Option<u64>, Failure> {
            if let Some(v) = obj.get(key) {
                if ata {
                    let t = Ata::compile(v).map_err(|(_, e)| Failure::runtime(e))?;
                    if let (false, Some(b)) = (t.is_literal(), env.ata) {
                        return Ok(t.eval(&format!("ItemBatcher/{key}"), b)?.as_u64());
                    }
                }
                return Ok(v.as_u64());
            }
            match obj.get(&format!("{key}Path")).and_then(Value::as_str) {
                Some(p) => {
                    let path = crate::asl::path::JsonPath::parse(p)
                        .map_err(|e| Failure::runtime(e.message))?;
                    Ok(select_path(&path, env)?.as_u64())
                }
                None => Ok(None),
            }
        };
        let batch_input = match obj.get("BatchInput") {
            None => None,
            Some(v) if ata => {
                let t = Ata::compile(v).map_err(|(_, e)| Failure::runtime(e))?;
                match env.ata {
                    Some(b) => Some(t.eval("ItemBatcher/BatchInput", b)?),
                    None => Some(v.clone()),
                }
            }
            Some(v) => Some(
                Template::compile(v)
                    .map_err(|(_, e)| Failure::runtime(e))?
                    .eval(env)?,
            ),
        };
        Ok(Batcher {
            max_items: number("MaxItemsPerBatch")?,
            max_bytes: number("MaxInputBytesPerBatch")?,
            batch_input,
        })
    }

    /// Groups items into child inputs `{"BatchInput": …, "Items": […]}` as AWS does; the
    /// ItemSelector applies to each item first. A batch may span reader chunks: the
    /// items of an unfinished batch wait in `pending`.
    #[allow(clippy::too_many_arguments)]
    fn make_batches(
        &self,
        items: Vec<Value>,
        b: &Batcher,
        m: &Map,
        env: &StateEnv<'_>,
        base: usize,
        pending: &mut Pending,
    ) -> Result<Vec<Value>, Failure> {
        let max_items = b.max_items.unwrap_or(u64::MAX).max(1) as usize;
        let max_bytes = b.max_bytes.unwrap_or(u64::MAX) as usize;
        let mut out = Vec::new();
        for (k, item) in items.into_iter().enumerate() {
            let item = match (&m.item_selector, &m.item_selector_ata) {
                (Some(t), _) => {
                    let mut facts = env.state;
                    facts.map_item = Some((base + k, &item));
                    t.eval(&StateEnv::new(env.input, &self.info, facts, env.vars))?
                }
                (None, Some(t)) => {
                    let mut facts = env.state;
                    facts.map_item = Some((base + k, &item));
                    let context = super::ata::context_for(t, &self.info, &facts);
                    let bind = super::ata::AtaBindings::new(
                        env.vars,
                        super::ata::input_if_read(t, env.input),
                        context,
                    );
                    t.eval("ItemSelector", &bind)?
                }
                _ => item,
            };
            let size = super::run::payload_size(&item);
            if !pending.items.is_empty()
                && (pending.items.len() >= max_items || pending.bytes + size > max_bytes)
            {
                out.extend(pending.flush(&b.batch_input));
            }
            pending.bytes += size;
            pending.items.push(item);
        }
        Ok(out)
    }
}

/// Items of the batch being filled.
#[derive(Default)]
struct Pending {
    items: Vec<Value>,
    bytes: usize,
}

impl Pending {
    fn flush(&mut self, batch_input: &Option<Value>) -> Option<Value> {
        self.bytes = 0;
        (!self.items.is_empty()).then(|| batch_value(std::mem::take(&mut self.items), batch_input))
    }
}

struct Batcher {
    max_items: Option<u64>,
    max_bytes: Option<u64>,
    batch_input: Option<Value>,
}

fn batch_value(items: Vec<Value>, batch_input: &Option<Value>) -> Value {
    let mut m = JsonMap::new();
    if let Some(bi) = batch_input {
        m.insert("BatchInput".into(), bi.clone());
    }
    m.insert("Items".into(), Value::Array(items));
    Value::Object(m)
}
