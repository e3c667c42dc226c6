//! The Map state's runtime.
//!
//! A Map's items are cut into partitions. By the plan's strategy they run: on rayon's
//! work-stealing pool, one task per partition (row-parallel), as Arrow kernels over
//! each partition (columnar, falling back to rows per partition), on a bounded pool of
//! plain threads (blocking work), or one at a time (MaxConcurrency 1). Results are in
//! input order whatever the strategy. An unhandled failure stops the items after it
//! (items before it still run, so the failure reported is always the lowest-index one);
//! tolerated failures are counted across partitions.

mod batches;
mod checkpoint;
mod dataplane;
mod drain;
mod inspect;
pub(crate) mod large_input;

use crate::asl::Failure;
use crate::asl::failure::names;
use crate::asl::model::template::to_compact;
use crate::asl::model::{Dynamic, Map, PathField, ProcessorMode, State};
use crate::asl::path::Env;
use crate::exec::context::{StateEnv, StateFacts, Vars};
use crate::exec::dataflow::{
    dynamic_field_name, dynamic_source, dynamic_value, plain, select_path,
};
use crate::exec::progress::{Counters, ProgressBar};
use crate::exec::run::{Run, ScopeFacts};
use crate::plan::{MapPlan, Strategy};
use rayon::prelude::*;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// One item's outcome.
pub(super) enum Outcome {
    Done(Value),
    Failed(Failure),
    /// Not run: an earlier item failed, or the failure threshold was exceeded.
    Skipped,
}

/// When a Map fails for its failed items.
#[derive(Clone, Copy)]
pub(super) struct Tolerance {
    pub count: Option<u64>,
    pub percentage: Option<f64>,
    /// Items in the whole Map (for the percentage); 0 while unknown (a Map reading
    /// its items from an ItemReader knows them only at the end).
    pub items: usize,
}

/// What one Map run was configured with.
pub(super) struct MapSettings<'p> {
    pub max_concurrency: Option<u64>,
    pub tolerance: Tolerance,
    pub distributed: bool,
    pub plan: Cow<'p, MapPlan>,
    pub strategy: Strategy,
}

pub(super) fn exceeded_threshold() -> Failure {
    Failure::new(
        names::EXCEED_TOLERATED_FAILURE_THRESHOLD,
        "The specified tolerated failure threshold was exceeded",
    )
}

impl Tolerance {
    pub fn tolerant(&self) -> bool {
        self.count.is_some() || self.percentage.is_some()
    }
    /// AWS: the Map fails when the failures exceed either threshold given.
    pub fn exceeded(&self, failures: u64) -> bool {
        if failures == 0 {
            return false;
        }
        if !self.tolerant() {
            return true;
        }
        let over_count = self.count.is_some_and(|c| failures > c);
        // While the number of items is unknown, later successes can still bring the
        // share of failures under the threshold: only the count can stop a Map early.
        let over_pct = self
            .percentage
            .is_some_and(|p| self.items > 0 && failures as f64 * 100.0 / self.items as f64 > p);
        over_count || over_pct
    }
}

/// Appends the results of `outcomes` in order (a tolerated failure as `{"Error",
/// "Cause"}`); the first failure not tolerated is the Map's.
pub(super) fn collect(
    outcomes: Vec<Outcome>,
    tolerant: bool,
    results: &mut Vec<Value>,
) -> Result<(), Failure> {
    for o in outcomes {
        match o {
            Outcome::Done(v) => results.push(v),
            Outcome::Failed(f) if tolerant => {
                results.push(json!({"Error": f.error, "Cause": f.cause}))
            }
            Outcome::Failed(f) => return Err(f),
            Outcome::Skipped => {}
        }
    }
    Ok(())
}

/// Shared by the partitions of one Map.
pub(super) struct Ctl {
    /// Lowest index of an unhandled failure (usize::MAX: none yet).
    pub min_fail: AtomicUsize,
    pub counters: std::sync::Arc<Counters>,
    /// Set when the tolerated failure threshold is exceeded.
    pub stop: AtomicBool,
    pub tolerance: Tolerance,
    /// Whether an iteration that parked (the execution suspends) keeps the later items
    /// from starting: with a MaxConcurrency they must wait for it; without one every
    /// item runs until it parks itself or ends.
    pub park_stops: bool,
}

impl Ctl {
    /// The shared state of a Map run with these settings.
    pub(super) fn new(settings: &MapSettings<'_>) -> Ctl {
        Ctl {
            min_fail: AtomicUsize::new(usize::MAX),
            counters: Default::default(),
            stop: AtomicBool::new(false),
            tolerance: settings.tolerance,
            park_stops: settings.max_concurrency.is_some_and(|n| n > 0),
        }
    }

    pub(super) fn should_skip(&self, i: usize) -> bool {
        self.stop.load(Ordering::Relaxed) || i > self.min_fail.load(Ordering::Relaxed)
    }
    pub(super) fn record(&self, i: usize, o: &Outcome) {
        if let Outcome::Failed(f) = o {
            if !self.park_stops && f.error.as_deref() == Some(crate::exec::run::HISTORY_FULL) {
                // Parked (or the execution stops, which every item sees for itself).
                return;
            }
            let n = self.counters.failures.fetch_add(1, Ordering::Relaxed) + 1;
            if self.tolerance.tolerant() {
                if self.tolerance.exceeded(n) {
                    self.stop.store(true, Ordering::Relaxed);
                }
            } else {
                self.min_fail.fetch_min(i, Ordering::Relaxed);
            }
        }
    }
}

/// What every item of one Map needs, shareable across threads.
#[derive(Clone, Copy)]
pub(super) struct MapJob<'a> {
    pub map: &'a Map,
    pub state: StateFacts<'a>,
    pub input: &'a Value,
    pub vars: &'a Vars<'a>,
    pub items: &'a [Value],
    pub name: &'a str,
    /// Index of `items[0]` in the whole Map (items come in chunks from a reader).
    pub base: usize,
    /// Apply the ItemSelector (off when an ItemBatcher already applied it).
    pub selector: bool,
}

impl<'a> MapJob<'a> {
    /// The job of a whole inline Map: all of `items`, each through the ItemSelector.
    pub fn whole(
        map: &'a Map,
        env: &'a StateEnv<'a>,
        items: &'a [Value],
        name: &'a str,
    ) -> MapJob<'a> {
        MapJob {
            map,
            state: env.state,
            input: env.input,
            vars: env.vars,
            items,
            name,
            base: 0,
            selector: true,
        }
    }

    /// The same job over other items, the first being item `base` of the Map.
    pub fn part<'b>(&self, items: &'b [Value], base: usize) -> MapJob<'b>
    where
        'a: 'b,
    {
        MapJob {
            items,
            base,
            ..*self
        }
    }
}

impl Run<'_> {
    pub(crate) fn run_map(
        &self,
        st: &State,
        m: &Map,
        env: &StateEnv<'_>,
    ) -> Result<Value, Failure> {
        // A Distributed Map always runs as a Map Run (child executions, MapRun events),
        // as on AWS, even over items of its input.
        if m.mode == ProcessorMode::Distributed
            || m.item_reader.is_some()
            || m.result_writer.is_some()
            || m.item_batcher.is_some()
        {
            return self.run_map_dataplane(st, m, env);
        }
        if let Some(large) = self.take_large_items(st, env) {
            return self.run_large_map(st, m, env, large);
        }
        let ata = st.ql == crate::asl::model::QueryLanguage::JsonAta;
        let items_v = map_items(m, env)?;
        let Value::Array(items) = items_v.as_ref() else {
            let cause = format!(
                "Map state input must be an array but was: {}",
                to_compact(&items_v)
            );
            return Err(if ata {
                Failure::new(names::QUERY_EVALUATION_ERROR, cause)
            } else {
                Failure::runtime(cause)
            });
        };
        let settings = self.map_settings(m, env, items.len())?;
        self.inspect_map(st, m, env, &settings, items)?;
        self.event("MapStateStarted", || {
            Some((
                "mapStateStartedEventDetails",
                json!({"length": items.len()}),
            ))
        });
        let job = MapJob::whole(m, env, items, &st.name);
        let ctl = Ctl::new(&settings);
        // Only the outermost Map shows a bar.
        let mode = if env.state.map_item.is_some() {
            crate::exec::Progress::Never
        } else {
            self.ex.progress
        };
        let bar = ProgressBar::start(mode, &st.name, items.len(), &ctl.counters);
        let outcomes = self.run_chunk(&job, &ctl, &settings);
        if self.is_suspended() || self.stopped() {
            // A parked or stopped execution unwinds; its items' results are journaled.
            return Err(self.history_full());
        }
        drop(bar);

        let failures = ctl.counters.failures.load(Ordering::Relaxed);
        if (settings.tolerance.tolerant() || settings.distributed)
            && settings.tolerance.exceeded(failures)
        {
            self.event("MapStateFailed", || None);
            return Err(exceeded_threshold());
        }
        let mut results = Vec::with_capacity(outcomes.len());
        if let Err(f) = collect(outcomes, settings.tolerance.tolerant(), &mut results) {
            self.event("MapStateFailed", || None);
            return Err(f);
        }
        self.event("MapStateSucceeded", || None);
        Ok(Value::Array(results))
    }

    /// MaxConcurrency, tolerated failures and the strategy of one Map run.
    pub(super) fn map_settings<'p>(
        &'p self,
        m: &'p Map,
        env: &StateEnv<'_>,
        items: usize,
    ) -> Result<MapSettings<'p>, Failure> {
        let max_concurrency =
            self.map_integer(m.max_concurrency.as_ref(), "MaxConcurrency", env)?;
        let count = self.map_integer(
            m.tolerated_failure_count.as_ref(),
            "ToleratedFailureCount",
            env,
        )?;
        let percentage = self.tolerated_percentage(m, env)?;
        let plan = match self.plan.and_then(|p| p.map_plan(m)) {
            Some(mp) => Cow::Borrowed(mp),
            None => Cow::Owned(crate::plan::decide_with(
                m,
                self.ex.tasks.as_ref(),
                self.ex.columnar,
            )),
        };
        let strategy = match (plan.strategy, max_concurrency) {
            (Strategy::Blocking, _) => Strategy::Blocking,
            (_, Some(1)) => Strategy::Sequential,
            (s, _) => s,
        };
        Ok(MapSettings {
            max_concurrency,
            tolerance: Tolerance {
                count,
                percentage,
                items,
            },
            // A Distributed Map fails as soon as a child fails unless told to tolerate
            // it; an inline Map fails with the child's own error.
            distributed: m.mode == ProcessorMode::Distributed,
            plan,
            strategy,
        })
    }

    /// Runs the items of `job` with the Map's strategy; outcomes in input order.
    pub(super) fn run_chunk(
        &self,
        job: &MapJob<'_>,
        ctl: &Ctl,
        s: &MapSettings<'_>,
    ) -> Vec<Outcome> {
        match s.strategy {
            Strategy::Sequential => self.run_sequential(job, ctl),
            Strategy::Blocking => self.run_blocking(job, ctl, s.max_concurrency),
            Strategy::RowParallel => self.run_rows_parallel(job, ctl, s.max_concurrency),
            Strategy::Columnar => self.run_columnar(job, ctl, &s.plan, s.max_concurrency),
        }
    }

    /// Item `i`'s input: its ItemSelector applied (with `$$.Map.Item`), or the item.
    fn item_input<'j>(&self, job: &'j MapJob<'_>, i: usize) -> Result<Cow<'j, Value>, Failure> {
        let item = &job.items[i];
        let (sel_ata, sel) = if job.selector {
            (
                job.map.item_selector_ata.as_ref(),
                job.map.item_selector.as_ref(),
            )
        } else {
            (None, None)
        };
        Ok(match (sel_ata, sel) {
            (Some(t), _) => {
                let mut facts = job.state;
                facts.map_item = Some((job.base + i, item));
                let context = crate::exec::jsonata_state::context_for(t, &self.info, &facts);
                let b = crate::exec::jsonata_state::AtaBindings::new(
                    job.vars,
                    crate::exec::jsonata_state::input_if_read(t, job.input),
                    context,
                );
                Cow::Owned(t.eval("ItemSelector", &b)?)
            }
            (None, Some(t)) => {
                let mut facts = job.state;
                facts.map_item = Some((job.base + i, item));
                Cow::Owned(t.eval(&StateEnv::new(job.input, &self.info, facts, job.vars))?)
            }
            // Borrowed: copied only if the processor's first state needs its own copy.
            (None, None) => Cow::Borrowed(item),
        })
    }

    /// Runs item `i`: its input (ItemSelector with `$$.Map.Item`), then the processor.
    fn run_item(&self, job: &MapJob<'_>, i: usize, counter: Option<&AtomicU64>) -> Outcome {
        // Its events belong to a Map iteration, or to a child execution of a
        // Distributed Map (see `history`: what the quota counts).
        let _mark = crate::exec::history::ScopeMark::set(match job.map.mode {
            ProcessorMode::Inline => crate::exec::history::Scope::MapIteration,
            ProcessorMode::Distributed => crate::exec::history::Scope::ChildExecution,
        });
        let item = &job.items[i];
        let item_input = match self.item_input(job, i) {
            Ok(v) => v,
            Err(f) => return Outcome::Failed(f),
        };
        self.history
            .event_with(counter, &*self.ex.clock, "MapIterationStarted", || {
                Some((
                    "mapIterationStartedEventDetails",
                    json!({"name": job.name, "index": job.base + i}),
                ))
            });
        let mut vars = Vars::child(job.vars);
        let prefix = job
            .state
            .state_key
            .map(|k| format!("{k}/i{}", job.base + i));
        match self.run_scope(
            &job.map.processor,
            item_input,
            &mut vars,
            ScopeFacts {
                map_item: Some((job.base + i, item)),
                cancel: None,
                counter,
                prefix: prefix.as_deref(),
                state_key: None,
                entered_id: 0,
            },
        ) {
            Ok(v) => {
                self.history
                    .event_with(counter, &*self.ex.clock, "MapIterationSucceeded", || {
                        Some((
                            "mapIterationSucceededEventDetails",
                            json!({"name": job.name, "index": job.base + i}),
                        ))
                    });
                Outcome::Done(v)
            }
            // An iteration unwinding because the execution parked has not failed: it
            // goes on when the execution runs again.
            Err(f) if self.is_suspended() => Outcome::Failed(f),
            Err(f) => {
                self.history
                    .event_with(counter, &*self.ex.clock, "MapIterationFailed", || {
                        Some((
                            "mapIterationFailedEventDetails",
                            json!({"name": job.name, "index": job.base + i}),
                        ))
                    });
                Outcome::Failed(f)
            }
        }
    }

    /// Runs items `range` in order, honouring the stop rules.
    fn run_range(
        &self,
        job: &MapJob<'_>,
        ctl: &Ctl,
        range: std::ops::Range<usize>,
        sequential: bool,
    ) -> Vec<Outcome> {
        let mut out = Vec::with_capacity(range.len());
        let n = range.len() as u64;
        // Partitions running side by side count their events apart (no contention on one
        // atomic); one at a time, they count on the execution's counter, as AWS numbers them.
        let start = self.history.current();
        let local = AtomicU64::new(start);
        let counter = (!sequential).then_some(&local);
        for i in range {
            if ctl.should_skip(job.base + i) {
                out.push(Outcome::Skipped);
                continue;
            }
            let o = self.run_item(job, i, counter);
            ctl.record(job.base + i, &o);
            out.push(o);
        }
        ctl.counters.done.fetch_add(n, Ordering::Relaxed);
        if counter.is_some() && job.map.mode == ProcessorMode::Inline {
            self.history
                .add_counted_apart(local.load(Ordering::Relaxed).saturating_sub(start));
        }
        out
    }

    fn run_sequential(&self, job: &MapJob<'_>, ctl: &Ctl) -> Vec<Outcome> {
        self.run_range(job, ctl, 0..job.items.len(), true)
    }

    /// Partitions on rayon's pool. With MaxConcurrency N below the pool size, N workers
    /// pull partitions so that at most N items are in flight.
    fn run_rows_parallel(
        &self,
        job: &MapJob<'_>,
        ctl: &Ctl,
        max_concurrency: Option<u64>,
    ) -> Vec<Outcome> {
        let n = job.items.len();
        let threads = self.ex.threads();
        let part = self
            .ex
            .partition
            .unwrap_or_else(|| partition_size(n, threads));
        match max_concurrency {
            Some(mc) if mc > 0 && (mc as usize) < threads => self.ex.in_pool(|| {
                pull_partitions(
                    n,
                    part,
                    mc as usize,
                    |r| self.run_range(job, ctl, r, false),
                    |w| {
                        rayon::scope(|s| {
                            for _ in 0..mc {
                                s.spawn(|_| w());
                            }
                        })
                    },
                )
            }),
            _ => self.ex.in_pool(|| {
                let parts: Vec<Vec<Outcome>> = (0..n.div_ceil(part))
                    .into_par_iter()
                    .map(|p| self.run_range(job, ctl, p * part..((p + 1) * part).min(n), false))
                    .collect();
                parts.into_iter().flatten().collect()
            }),
        }
    }

    /// Blocking work: a bounded pool of plain threads (MaxConcurrency, or 64 when
    /// unbounded), so waiting iterations never hold a rayon worker.
    fn run_blocking(
        &self,
        job: &MapJob<'_>,
        ctl: &Ctl,
        max_concurrency: Option<u64>,
    ) -> Vec<Outcome> {
        let n = job.items.len();
        let workers = match max_concurrency {
            Some(mc) if mc > 0 => (mc as usize).min(n.max(1)),
            _ => BLOCKING_POOL.min(n.max(1)),
        };
        if workers <= 1 {
            return self.run_sequential(job, ctl);
        }
        pull_partitions(
            n,
            1,
            workers,
            |r| self.run_range(job, ctl, r, false),
            |w| {
                std::thread::scope(|s| {
                    for _ in 0..workers {
                        s.spawn(w);
                    }
                })
            },
        )
    }

    /// Columnar: each partition becomes a RecordBatch run by the compiled kernels; a
    /// partition the kernels can't take runs through the interpreter instead.
    fn run_columnar(
        &self,
        job: &MapJob<'_>,
        ctl: &Ctl,
        mp: &MapPlan,
        max_concurrency: Option<u64>,
    ) -> Vec<Outcome> {
        let Some(prog) = mp.columnar.as_deref() else {
            return self.run_rows_parallel(job, ctl, max_concurrency);
        };
        if !self.kernels_may_run(job.map) {
            return self.run_rows_parallel(job, ctl, max_concurrency);
        }
        let n = job.items.len();
        let part = self
            .ex
            .partition
            .unwrap_or(COLUMNAR_PARTITION)
            .min(n.max(1));
        self.ex.in_pool(|| {
            let parts: Vec<Vec<Outcome>> = (0..n.div_ceil(part))
                .into_par_iter()
                .map(|p| {
                    let range = p * part..((p + 1) * part).min(n);
                    if ctl.should_skip(job.base + range.start) {
                        return range.map(|_| Outcome::Skipped).collect();
                    }
                    let batch = crate::exec::columnar::items_to_batch(&job.items[range.clone()]);
                    let out = batch.and_then(|b| prog.run(&b).ok());
                    match out {
                        Some(out) => self.columnar_outcomes(job, ctl, &out, range.start),
                        None => self.run_range(job, ctl, range, false),
                    }
                })
                .collect();
            parts.into_iter().flatten().collect()
        })
    }

    /// Whether the kernels may run this Map's items: not when per-item events are
    /// recorded, or counted toward the quota as AWS counts them.
    pub(super) fn kernels_may_run(&self, m: &Map) -> bool {
        let per_item_events = self.history.is_recording()
            || (self.limits.map_iteration_events && m.mode == ProcessorMode::Inline);
        !per_item_events
    }

    /// The outcomes of the kernels' run of the items from `job.items[start]` on,
    /// recorded as run.
    pub(super) fn columnar_outcomes(
        &self,
        job: &MapJob<'_>,
        ctl: &Ctl,
        out: &crate::exec::columnar::ColumnarOutput,
        start: usize,
    ) -> Vec<Outcome> {
        let mut outcomes: Vec<Outcome> = out.to_json().into_iter().map(Outcome::Done).collect();
        for (rows, error, cause) in &out.failures {
            for r in rows.values() {
                if let Some(o) = outcomes.get_mut(*r as usize) {
                    *o = Outcome::Failed(Failure {
                        error: error.clone(),
                        cause: cause.clone(),
                    });
                }
            }
        }
        for (k, o) in outcomes.iter().enumerate() {
            ctl.record(job.base + start + k, o);
        }
        self.columnar_counted(job, ctl, outcomes.len());
        outcomes
    }

    /// Counts `n` items the kernels ran.
    pub(super) fn columnar_counted(&self, job: &MapJob<'_>, ctl: &Ctl, n: usize) {
        ctl.counters.done.fetch_add(n as u64, Ordering::Relaxed);
        if job.map.mode == ProcessorMode::Inline {
            // No per-item events here; AWS records at least four per iteration
            // (iteration started, a state entered and exited, iteration ended), which
            // the quota's warning counts.
            self.history.add_counted_apart(4 * n as u64);
        }
    }

    fn tolerated_percentage(&self, m: &Map, env: &StateEnv<'_>) -> Result<Option<f64>, Failure> {
        let field = "ToleratedFailurePercentage";
        let pct = match &m.tolerated_failure_percentage {
            None => None,
            Some(Dynamic::Value(v)) => Some(*v),
            Some(d) => {
                let v = dynamic_value(d, field, env)?;
                let num = v
                    .as_f64()
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse::<f64>().ok()));
                match num {
                    Some(x) => Some(x),
                    None => {
                        return Err(Failure::runtime(format!(
                            "The {} field refers to value \"{}\" which is not a valid float: {}",
                            dynamic_field_name(d, field),
                            plain(&v),
                            dynamic_source(d)
                        )));
                    }
                }
            }
        };
        if pct.is_some_and(|p| !(0.0..=100.0).contains(&p)) {
            return Err(Failure::runtime(
                "ToleratedFailurePercentage must be between 0 and 100.",
            ));
        }
        Ok(pct)
    }

    fn map_integer(
        &self,
        d: Option<&Dynamic<u64>>,
        field: &str,
        env: &StateEnv<'_>,
    ) -> Result<Option<u64>, Failure> {
        match d {
            None => Ok(None),
            Some(Dynamic::Value(v)) => Ok(Some(*v)),
            Some(d) => {
                let v = dynamic_value(d, field, env)?;
                // Numbers, and strings holding an integer, as Jackson reads them.
                let n = v
                    .as_i64()
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse::<i64>().ok()));
                if n.is_some_and(|n| n < 0) {
                    return Err(Failure::runtime(format!("{field} cannot be negative.")));
                }
                match n.map(|n| n as u64) {
                    Some(n) => Ok(Some(n)),
                    None => Err(Failure::runtime(format!(
                        "The {} field refers to value \"{}\" which is not a valid integer: {}",
                        dynamic_field_name(d, field),
                        plain(&v),
                        dynamic_source(d)
                    ))),
                }
            }
        }
    }
}

/// JSONata `Items`: an array, or an expression that must give one.
fn jsonata_items(
    t: &crate::asl::model::Ata,
    b: &dyn crate::jsonata::Bindings,
) -> Result<Value, Failure> {
    let v = t.eval("Items", b)?;
    if v.is_array() {
        return Ok(v);
    }
    let ty = match &v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Object(_) => "object",
        Value::Array(_) => "array",
    };
    let src = t
        .as_expr()
        .map(|e| e.source().to_string())
        .unwrap_or_default();
    Err(Failure::new(
        names::QUERY_EVALUATION_ERROR,
        format!(
            "The JSONata expression '{src}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '{ty}' for value: {}",
            to_compact(&v)
        ),
    ))
}

/// Threads of the blocking pool when MaxConcurrency leaves it open.
const BLOCKING_POOL: usize = 64;
/// `Items` of the form `{% $states.input.a.b %}` naming an array of non-arrays through
/// objects: that array, borrowed (what JSONata would return, without converting a
/// million-item input to its values and back). None: evaluate the expression.
/// What a Map iterates over: its `Items` (JSONata) or `ItemsPath`, before the check
/// that it is an array.
pub(super) fn map_items<'v>(m: &Map, env: &'v StateEnv<'_>) -> Result<Cow<'v, Value>, Failure> {
    Ok(match (&m.items, env.ata) {
        (Some(t), Some(b)) => match input_array(t, env.input()) {
            Some(v) => Cow::Borrowed(v),
            None => Cow::Owned(jsonata_items(t, b)?),
        },
        _ => match &m.items_path {
            PathField::Default => Cow::Borrowed(env.input()),
            PathField::Null => Cow::Owned(json!({})),
            PathField::Path(p) => select_path(p, env)?,
        },
    })
}

fn input_array<'v>(t: &crate::asl::model::Ata, input: &'v Value) -> Option<&'v Value> {
    let crate::jsonata::Simple::Input(names) = t.as_expr()?.lower().ok()? else {
        return None;
    };
    let mut v = input;
    for n in &names {
        v = v.as_object()?.get(n)?;
    }
    match v {
        Value::Array(items) if !items.iter().any(Value::is_array) => Some(v),
        _ => None,
    }
}

/// Rows per columnar partition (one RecordBatch): small enough that a reader chunk
/// splits into several per thread (measured on a 1M-line JSONL Map: 4096 balanced the
/// two threads better than 8192).
pub(super) const COLUMNAR_PARTITION: usize = 4096;

/// Items per partition: enough partitions for stealing to balance (8 per thread), few
/// enough that per-partition costs vanish.
fn partition_size(n: usize, threads: usize) -> usize {
    (n / (threads.max(1) * 8)).clamp(1, 4096)
}

/// `workers` workers pull partitions of `part` items from a shared counter; results are
/// put back in partition order. `spawn` starts the workers and returns when all ended.
fn pull_partitions<W>(
    n: usize,
    part: usize,
    workers: usize,
    run: impl Fn(std::ops::Range<usize>) -> Vec<Outcome> + Sync,
    spawn: W,
) -> Vec<Outcome>
where
    W: FnOnce(&(dyn Fn() + Sync)),
{
    let parts = n.div_ceil(part.max(1));
    let next = AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Vec<Outcome>>> = (0..parts)
        .map(|_| std::sync::Mutex::new(Vec::new()))
        .collect();
    let worker = || {
        loop {
            let p = next.fetch_add(1, Ordering::Relaxed);
            if p >= parts {
                break;
            }
            let out = run(p * part..((p + 1) * part).min(n));
            *slots[p].lock().unwrap_or_else(|e| e.into_inner()) = out;
        }
    };
    let _ = workers;
    spawn(&worker);
    slots
        .into_iter()
        .flat_map(|m| m.into_inner().unwrap_or_else(|e| e.into_inner()))
        .collect()
}
