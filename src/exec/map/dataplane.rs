//! The Distributed Map data plane in the executor: items streamed from an ItemReader
//! in chunks, grouped by an ItemBatcher, run with the Map's strategy chunk by chunk,
//! and written by a ResultWriter as they complete (or collected inline).

use super::checkpoint::{Checkpoint, Checkpoints};
use super::drain::{ChunkCtx, ChunkItems, Drain};
use super::{Ctl, exceeded_threshold};
use crate::asl::Failure;
use crate::asl::failure::names;
use crate::asl::model::{Ata, Map, PathField, QueryLanguage, State, Template};
use crate::exec::columnar::ColumnarProgram;
use crate::exec::context::StateEnv;
use crate::exec::dataflow::select_path;
use crate::exec::run::Run;
use crate::io::reader::{self, Chunk, ReadOptions, ReaderConfig};
use crate::io::writer::{ResultSink, WriterConfig};
use crate::plan::Strategy;
use serde_json::{Map as JsonMap, Value, json};
use std::sync::atomic::Ordering;

/// Items per chunk read from an ItemReader, per pool thread: a chunk runs as
/// partitions (the columnar batch size), four per thread, so that the threads stay
/// evenly loaded to the end of each chunk.
const CHUNK_ROWS_PER_THREAD: usize = 4 * super::COLUMNAR_PARTITION;

type Rows = Box<dyn Iterator<Item = Result<Chunk, Failure>> + Send>;

impl Run<'_> {
    /// The Map Run's id: with a journal, drawn once and recorded, so a replay (after a
    /// crash or a park) writes its results to the same place, over what the first run
    /// left there.
    fn map_run_id(&self, env: &StateEnv<'_>) -> String {
        use crate::exec::journal::Entry;
        let (Some(j), Some(k)) = (&self.journal, env.state.state_key) else {
            return uuid::Uuid::new_v4().to_string();
        };
        let key = format!("{k}/maprun");
        if let Some(Entry::Result(Ok(Value::String(id)))) = j.get(&key) {
            return id;
        }
        self.mark_live(env.state.entered_id);
        let id = uuid::Uuid::new_v4().to_string();
        j.put(&key, &Entry::Result(Ok(Value::String(id.clone()))));
        id
    }

    pub(crate) fn run_map_dataplane(
        &self,
        st: &State,
        m: &Map,
        env: &StateEnv<'_>,
    ) -> Result<Value, Failure> {
        // As AWS records a Distributed Map: MapStateStarted, the Map Run's events, then
        // MapStateSucceeded or MapStateFailed.
        self.event("MapStateStarted", || None);
        let out = self.run_map_run(st, m, env);
        match &out {
            Ok(_) => {
                self.event("MapStateSucceeded", || None);
            }
            Err(_) if !self.stopped() && !self.is_suspended() => {
                self.event("MapStateFailed", || None);
            }
            Err(_) => {}
        }
        // A Map Run that failed runs all its items again when redriven; one that was
        // stopped or parked keeps its progress.
        if out.is_err()
            && !self.stopped()
            && !self.is_suspended()
            && let (Some(j), Some(k)) = (&self.journal, env.state.state_key)
        {
            Checkpoints::forget(j.as_ref(), k);
        }
        out
    }

    fn run_map_run(&self, st: &State, m: &Map, env: &StateEnv<'_>) -> Result<Value, Failure> {
        let ata = st.ql == QueryLanguage::JsonAta;
        let run_id = self.map_run_id(env);
        // The Map Run lives where the state machine does (region and account of its ARN).
        let place: Vec<&str> = self.info.state_machine_id.split(':').collect();
        let (region, account) = match place.as_slice() {
            [_, _, _, region, account, ..] => (*region, *account),
            _ => ("us-east-1", "111111111111"),
        };
        let map_run_arn = format!(
            "arn:aws:states:{region}:{account}:mapRun:{}/{}:{run_id}",
            self.info.state_machine_name,
            m.label.as_deref().unwrap_or(&st.name)
        );
        let reader_cfg = self.reader_config(m, env, ata)?;
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
        let started = self.ex.clock.now();
        self.event("MapRunStarted", || {
            Some((
                "mapRunStartedEventDetails",
                json!({"mapRunArn": map_run_arn}),
            ))
        });
        let ctl = Ctl::new(&settings);
        let mut drain = Drain::new(sink, settings.tolerance.tolerant());
        // With a journal, a Map Run that exports its results resumes after its last
        // checkpoint (see `checkpoint.rs`).
        let (mut checkpoints, resume) = match (&self.journal, env.state.state_key) {
            (Some(j), Some(k)) if drain.sink.is_some() && settings.distributed => {
                let (c, last) = Checkpoints::open(j.clone(), k);
                (Some(c), last)
            }
            _ => (None, Checkpoint::default()),
        };
        if checkpoints.is_some() {
            if let Some(s) = drain.sink.as_mut() {
                s.resume(&resume.files)?;
            }
            drain.base = resume.items;
            ctl.counters.done.store(resume.done, Ordering::Relaxed);
            ctl.counters
                .failures
                .store(resume.failures, Ordering::Relaxed);
        }
        // Items of the reader that the checkpoint says are done.
        let mut skip = resume.read;
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
            self.run_units(
                (units, *max_items),
                program,
                plan,
                &chunk,
                &mut drain,
                (skip, &mut checkpoints),
            )?;
            skip = 0;
        }
        let mut read = resume.read;
        let mut pending = Pending::default();
        // A trailing None flushes the last partial batch.
        let mut chunks = source.map(Some).chain(std::iter::once(None));
        // Read on the Map's pool: a reader parallelizes on the current pool (JSONL
        // parsing), so `--threads` bounds it too.
        // A chunk read ahead, while the one before ran.
        let mut ahead = None;
        loop {
            if let Some(cp) = &mut checkpoints {
                let consumed = match &batcher {
                    Some(_) => read - pending.items.len(),
                    None => drain.base,
                };
                cp.maybe(&mut drain, &ctl, consumed, false)?;
            }
            let next = match ahead.take() {
                Some(next) => next,
                None => self.ex.in_pool(|| chunks.next()),
            };
            let Some(c) = next else { break };
            // Items done before the checkpoint the Map Run resumes from.
            let c = match c {
                Some(Ok(chunk)) if skip > 0 => {
                    let n = chunk.len().min(skip);
                    skip -= n;
                    if n == chunk.len() {
                        continue;
                    }
                    Some(Ok(chunk.skip(n)))
                }
                c => c,
            };
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
                        let (items, e) = self.ex.in_pool(|| lines.items_until_error());
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
            if let Some(o) = &self.observer {
                let done = ctl.counters.done.load(Ordering::Relaxed);
                let failed = ctl.counters.failures.load(Ordering::Relaxed);
                o.map_run(&crate::exec::MapRunSummary {
                    arn: map_run_arn.clone(),
                    status: "RUNNING",
                    started,
                    stopped: self.ex.clock.now(),
                    total: done,
                    succeeded: done.saturating_sub(failed),
                    failed,
                    results_written: 0,
                    max_concurrency: settings.max_concurrency.unwrap_or(0),
                    tolerated_failure_percentage: settings.tolerance.percentage.unwrap_or(0.0),
                    tolerated_failure_count: settings.tolerance.count.unwrap_or(0),
                });
            }
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
        if self.is_suspended() || self.stopped() {
            // Items parked (or the execution stops): the Map goes on when it runs again,
            // from its last checkpoint.
            return Err(self.history_full());
        }
        // All items done: a replay (a crash before the execution's next journaled step)
        // only writes the manifest again.
        if let (Some(cp), false) = (&mut checkpoints, tolerance.exceeded(failures)) {
            let consumed = match &batcher {
                Some(_) => read,
                None => drain.base,
            };
            cp.maybe(&mut drain, &ctl, consumed, true)?;
        }
        let written = match drain.sink.take() {
            Some(s) => Some(s.finish()?),
            None => None,
        };
        let tolerant = drain.tolerant;
        let summary = |status| crate::exec::MapRunSummary {
            arn: map_run_arn.clone(),
            status,
            started,
            stopped: self.ex.clock.now(),
            total: tolerance.items as u64,
            succeeded: (tolerance.items as u64).saturating_sub(failures),
            failed: failures,
            results_written: if written.is_some() {
                tolerance.items as u64
            } else {
                0
            },
            max_concurrency: settings.max_concurrency.unwrap_or(0),
            tolerated_failure_percentage: tolerance.percentage.unwrap_or(0.0),
            tolerated_failure_count: tolerance.count.unwrap_or(0),
        };
        let record = |s: crate::exec::MapRunSummary| {
            if let Some(o) = &self.observer {
                o.map_run(&s);
            }
            self.map_runs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(s)
        };
        if (tolerant || settings.distributed) && tolerance.exceeded(failures) {
            record(summary("FAILED"));
            self.event("MapRunFailed", || None);
            return Err(exceeded_threshold());
        }
        if let (false, Some(f)) = (tolerant || settings.distributed, drain.first_failure.take()) {
            record(summary("FAILED"));
            return Err(f);
        }
        record(summary("SUCCEEDED"));
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
                self.ex.tasks.as_ref(),
                self.ex.columnar,
            )),
        };
        match mp.strategy {
            Strategy::Columnar => mp.columnar.clone(),
            _ => None,
        }
    }

    /// The Map's ItemReader, evaluated (None without one).
    pub(super) fn reader_config(
        &self,
        m: &Map,
        env: &StateEnv<'_>,
        ata: bool,
    ) -> Result<Option<ReaderConfig>, Failure> {
        let Some(spec) = &m.item_reader else {
            return Ok(None);
        };
        let resolved = self.resolve_spec(spec, "ItemReader", env, ata)?;
        ReaderConfig::from_value(&resolved)
            .map(Some)
            .map_err(|e| Failure::new(names::ITEM_READER_FAILED, e))
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

    pub(super) fn resolve_batcher(
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
    pub(super) fn make_batches(
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
        let items = if m.item_selector.is_some() || m.item_selector_ata.is_some() {
            let job = super::MapJob {
                map: m,
                state: env.state,
                input: env.input,
                vars: env.vars,
                items: &items,
                name: "",
                base,
                selector: true,
            };
            (0..items.len())
                .map(|k| self.item_input(&job, k).map(std::borrow::Cow::into_owned))
                .collect::<Result<Vec<_>, _>>()?
        } else {
            items
        };
        let mut out = Vec::new();
        for item in items {
            let size = crate::exec::run::payload_size(&item);
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
pub(super) struct Pending {
    items: Vec<Value>,
    bytes: usize,
}

impl Pending {
    pub(super) fn flush(&mut self, batch_input: &Option<Value>) -> Option<Value> {
        self.bytes = 0;
        (!self.items.is_empty()).then(|| batch_value(std::mem::take(&mut self.items), batch_input))
    }
}

pub(super) struct Batcher {
    max_items: Option<u64>,
    max_bytes: Option<u64>,
    pub batch_input: Option<Value>,
}

fn batch_value(items: Vec<Value>, batch_input: &Option<Value>) -> Value {
    let mut m = JsonMap::new();
    if let Some(bi) = batch_input {
        m.insert("BatchInput".into(), bi.clone());
    }
    m.insert("Items".into(), Value::Array(items));
    Value::Object(m)
}
