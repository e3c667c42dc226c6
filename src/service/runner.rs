//! Runs executions in the background and records how they go.
//!
//! A Standard execution runs on a thread of its own (never on the server's reactor)
//! with every AWS limit on, and a [`StoreJournal`]: each Task result and the end of each
//! Wait or Retry interval is committed to SQLite as it happens. A wait of more than
//! [`PARK_AFTER`] parks the execution: its run unwinds, its thread ends, and a timer
//! (one thread for all, [`Timers`]) runs it again when the wait is over. Running it again
//! replays it: the journal gives back every recorded effect, so it goes on from where
//! it was. At start the server does the same for every execution left RUNNING, parked
//! or cut off by a crash: a Task whose result was journaled does not run again (one in
//! flight at the crash does: at least once, as with AWS's retries).

use super::Service;
use super::error::ApiResult;
use super::store::ExecutionRow;
use crate::asl::model::StateMachine;
use crate::exec::journal::{Entry, Journal};
use crate::exec::{ExecutionMode, Limits, RunOptions, Status};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Condvar, Mutex};

/// Waits longer than this park the execution instead of holding its thread.
pub const PARK_AFTER: std::time::Duration = std::time::Duration::from_secs(1);

/// An execution's journal in the store, read once when a run starts.
pub struct StoreJournal {
    service: Arc<Service>,
    arn: String,
    entries: Mutex<HashMap<String, Entry>>,
}

impl StoreJournal {
    pub fn load(service: &Arc<Service>, arn: &str) -> Result<StoreJournal, String> {
        let rows = service.store.journal(arn).map_err(|e| e.to_string())?;
        let entries = rows
            .into_iter()
            .filter_map(|(k, v)| {
                let v: Value = serde_json::from_str(&v).ok()?;
                Some((k, Entry::from_json(&v)?))
            })
            .collect();
        Ok(StoreJournal {
            service: Arc::clone(service),
            arn: arn.to_string(),
            entries: Mutex::new(entries),
        })
    }
}

impl std::fmt::Debug for StoreJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreJournal")
            .field("arn", &self.arn)
            .finish()
    }
}

impl Journal for StoreJournal {
    fn get(&self, key: &str) -> Option<Entry> {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned()
    }

    fn put(&self, key: &str, entry: &Entry) {
        // Committed before the run goes on: what happened next depends on it.
        if let Err(e) = self
            .service
            .store
            .put_journal(&self.arn, key, &entry.to_json().to_string())
        {
            eprintln!("asl serve: could not journal {key} of {}: {e}", self.arn);
        }
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_string(), entry.clone());
    }

    fn park(&self, until: DateTime<Utc>) -> bool {
        (until - Utc::now())
            .to_std()
            .is_ok_and(|left| left > PARK_AFTER)
    }
}

/// The parked executions' wake-up times; one thread sleeps until the next.
#[derive(Default)]
pub struct Timers {
    due: Mutex<BinaryHeap<Reverse<(i64, String)>>>,
    changed: Condvar,
}

impl Timers {
    /// Wakes execution `arn` at `at` (epoch milliseconds).
    pub fn schedule(&self, at: i64, arn: String) {
        self.due
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Reverse((at, arn)));
        self.changed.notify_all();
    }

    /// Starts the thread that wakes parked executions.
    pub fn start(service: &Arc<Service>) {
        let service = Arc::clone(service);
        let spawned = std::thread::Builder::new()
            .name("asl-timers".into())
            .spawn(move || {
                loop {
                    let arn = {
                        let mut due = service.timers.due.lock().unwrap_or_else(|p| p.into_inner());
                        loop {
                            let now = Utc::now().timestamp_millis();
                            match due.peek() {
                                Some(Reverse((at, _))) if *at <= now => {
                                    break due.pop().map(|Reverse((_, arn))| arn);
                                }
                                Some(Reverse((at, _))) => {
                                    let wait = std::time::Duration::from_millis((*at - now) as u64);
                                    due = service
                                        .timers
                                        .changed
                                        .wait_timeout(due, wait)
                                        .unwrap_or_else(|p| p.into_inner())
                                        .0;
                                }
                                None => {
                                    due = service
                                        .timers
                                        .changed
                                        .wait(due)
                                        .unwrap_or_else(|p| p.into_inner());
                                }
                            }
                        }
                    };
                    if let Some(arn) = arn {
                        wake(&service, &arn);
                    }
                }
            });
        if let Err(e) = spawned {
            eprintln!("asl serve: the timer thread did not start: {e}");
        }
    }
}

/// Runs a parked execution again (a timer fired, a callback was answered). One that is
/// running now runs again as soon as its run ends, so that a callback answered while
/// its task was being submitted is not missed.
pub fn wake(s: &Arc<Service>, arn: &str) {
    {
        let mut running = s.running.lock().unwrap_or_else(|p| p.into_inner());
        if running.contains_key(arn) {
            s.woken
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(arn.to_string());
            return;
        }
        // Reserved under the lock: a second wake meanwhile waits for this run (two
        // runs of one execution at once would hand out two tokens for one task).
        running.insert(arn.to_string(), Arc::new(AtomicBool::new(false)));
    }
    resume(s, arn);
}

/// Runs a RUNNING execution again from its journal; its entry in `running` is
/// reserved, and released here when it does not run.
fn resume(s: &Arc<Service>, arn: &str) {
    let release = || {
        s.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(arn);
    };
    let row = match s.store.execution(arn) {
        Ok(Some(r)) if r.status == "RUNNING" => r,
        Ok(_) => return release(),
        Err(e) => {
            eprintln!("asl serve: could not read {arn}: {e}");
            return release();
        }
    };
    let Ok((machine, _)) = super::arn::parse_execution(arn) else {
        return release();
    };
    match s.load(&row.definition) {
        Ok(sm) => start_standard(s, row, sm, machine),
        Err(e) => {
            release();
            let _ = s.store.finish_execution(
                arn,
                "FAILED",
                None,
                Some("States.Runtime"),
                Some(&format!("the definition no longer loads: {e}")),
                super::now(),
                &[],
                false,
            );
        }
    }
}

/// An engine event in GetExecutionHistory's shape: epoch-second timestamps,
/// `previousEventId`, and `inputDetails`/`outputDetails` beside payloads.
pub fn api_event(e: &Value) -> Value {
    let mut out = Map::new();
    let id = e["id"].as_u64().unwrap_or(0);
    let ts = e["timestamp"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp_millis() as f64 / 1000.0)
        .unwrap_or_else(super::now);
    out.insert("timestamp".into(), json!(ts));
    out.insert("type".into(), e["type"].clone());
    out.insert("id".into(), json!(id));
    out.insert("previousEventId".into(), json!(id.saturating_sub(1)));
    if let Some(m) = e.as_object() {
        for (k, v) in m {
            if let (true, Value::Object(d)) = (k.ends_with("EventDetails"), v) {
                let mut d = d.clone();
                if d.contains_key("input") {
                    d.insert("inputDetails".into(), json!({"truncated": false}));
                }
                if d.contains_key("output") {
                    d.insert("outputDetails".into(), json!({"truncated": false}));
                }
                out.insert(k.clone(), Value::Object(d));
            }
        }
    }
    Value::Object(out)
}

/// Gives events that were stored before (the same type and details) their stored
/// time: a replayed event happened when it was first recorded.
fn carry_timestamps(s: &Service, arn: &str, events: &mut [(u64, String)]) {
    let Ok(stored) = s.store.events(arn, false, 0, usize::MAX / 2) else {
        return;
    };
    if stored.is_empty() {
        return;
    }
    let identity = |v: &mut Value| -> Option<(String, Value)> {
        let m = v.as_object_mut()?;
        let ts = m.remove("timestamp")?;
        m.remove("id");
        m.remove("previousEventId");
        Some((v.to_string(), ts))
    };
    let mut times: HashMap<String, std::collections::VecDeque<Value>> = HashMap::new();
    for body in stored {
        if let Ok(mut v) = serde_json::from_str::<Value>(&body)
            && let Some((key, ts)) = identity(&mut v)
        {
            times.entry(key).or_default().push_back(ts);
        }
    }
    for (_, body) in events.iter_mut() {
        let Ok(mut v) = serde_json::from_str::<Value>(body) else {
            continue;
        };
        let mut bare = v.clone();
        if let Some((key, _)) = identity(&mut bare)
            && let Some(ts) = times.get_mut(&key).and_then(|q| q.pop_front())
        {
            v["timestamp"] = ts;
            *body = v.to_string();
        }
    }
}

fn event_rows(events: &[Value]) -> Vec<(u64, String)> {
    events
        .iter()
        .map(|e| (e["id"].as_u64().unwrap_or(0), api_event(e).to_string()))
        .collect()
}

/// Records an execution's Map Runs as they go (DescribeMapRun reads them).
struct MapRunRecorder {
    service: Arc<Service>,
    execution_arn: String,
}

impl std::fmt::Debug for MapRunRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MapRunRecorder")
            .field("execution_arn", &self.execution_arn)
            .finish()
    }
}

impl crate::exec::RunObserver for MapRunRecorder {
    fn map_run(&self, m: &crate::exec::MapRunSummary) {
        let ms = |t: DateTime<Utc>| t.timestamp_millis() as f64 / 1000.0;
        let row = super::store::MapRunRow {
            arn: m.arn.clone(),
            execution_arn: self.execution_arn.clone(),
            status: m.status.to_string(),
            started: ms(m.started),
            stopped: (m.status != "RUNNING").then(|| ms(m.stopped)),
            total: m.total as i64,
            succeeded: m.succeeded as i64,
            failed: m.failed as i64,
            results_written: m.results_written as i64,
            max_concurrency: m.max_concurrency as i64,
            tolerated_failure_percentage: m.tolerated_failure_percentage,
            tolerated_failure_count: m.tolerated_failure_count as i64,
        };
        if let Err(e) = self.service.store.put_map_runs(&[row]) {
            eprintln!("asl serve: could not record Map Run {}: {e}", m.arn);
        }
    }
}

/// The stored id of engine event `id`: after the last segment that starts at or before
/// it (a redrive's new events), or itself.
fn map_id(segments: &[(u64, u64)], id: u64) -> u64 {
    segments
        .iter()
        .rev()
        .find(|(from, _)| *from <= id)
        .map_or(id, |(from, stored)| stored + (id - from))
}

/// Options of a run the server starts.
pub fn run_options(
    row: &ExecutionRow,
    machine_name: &str,
    mode: ExecutionMode,
    stop: Option<Arc<AtomicBool>>,
) -> RunOptions {
    RunOptions {
        name: Some(row.name.clone()),
        state_machine_name: Some(machine_name.to_string()),
        history: mode == ExecutionMode::Standard,
        limits: Limits::aws(),
        mode,
        stop,
        execution_arn: Some(row.arn.clone()),
        state_machine_arn: Some(row.machine_arn.clone()),
        role_arn: Some(row.role_arn.clone()),
        ..RunOptions::default()
    }
}

/// The test case an execution runs, if any: looked up again on each run (a restart
/// reads the same file).
pub fn test_case_of(
    s: &Service,
    row: &ExecutionRow,
    machine_name: &str,
) -> Option<Arc<crate::exec::mock::TestCase>> {
    let case = row.test_case.as_deref()?;
    s.mock_config.as_ref()?.test_case(machine_name, case)
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Succeeded => "SUCCEEDED",
        Status::Failed => "FAILED",
        Status::Aborted => "ABORTED",
        // Never written: a suspended execution stays RUNNING.
        Status::Suspended => "RUNNING",
    }
}

/// Starts (or resumes) a Standard execution recorded as RUNNING.
pub fn start_standard(
    s: &Arc<Service>,
    row: ExecutionRow,
    sm: Arc<StateMachine>,
    machine_name: String,
) {
    // The stop flag of a reserved entry (see `wake`), or a new one.
    let stop = Arc::clone(
        s.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(row.arn.clone())
            .or_insert_with(|| Arc::new(AtomicBool::new(false))),
    );
    let service = Arc::clone(s);
    let spawned = std::thread::Builder::new()
        .name("asl-execution".into())
        .spawn(move || {
            run_standard(&service, &row, &sm, &machine_name, stop);
            let woken = {
                let mut running = service.running.lock().unwrap_or_else(|p| p.into_inner());
                running.remove(&row.arn);
                let woken = service
                    .woken
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&row.arn);
                if woken {
                    running.insert(row.arn.clone(), Arc::new(AtomicBool::new(false)));
                }
                woken
            };
            if woken {
                resume(&service, &row.arn);
            }
        });
    if let Err(e) = spawned {
        eprintln!("asl serve: could not start an execution thread: {e}");
    }
}

fn run_standard(
    s: &Arc<Service>,
    row: &ExecutionRow,
    sm: &StateMachine,
    machine: &str,
    stop: Arc<AtomicBool>,
) {
    let journal = match StoreJournal::load(s, &row.arn) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("asl serve: could not read the journal of {}: {e}", row.arn);
            return;
        }
    };
    // A first run (nothing journaled yet) has no stored events to replace but the start.
    let ran_before = !journal
        .entries
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .is_empty();
    let input: Value = serde_json::from_str(&row.input).unwrap_or(Value::Null);
    let mut opts = run_options(row, machine, ExecutionMode::Standard, Some(stop));
    opts.test_case = test_case_of(s, row, machine);
    opts.journal = Some(Arc::new(journal));
    opts.redrive_count = row.redrive_count.max(0) as u32;
    opts.observer = Some(Arc::new(MapRunRecorder {
        service: Arc::clone(s),
        execution_arn: row.arn.clone(),
    }));
    opts.started_at = DateTime::from_timestamp_millis((row.started * 1000.0).round() as i64);
    let mut out = s.executor.run_with(sm, input, &opts);
    if out.status == Status::Aborted {
        // StopExecution's error and cause go into the execution and its last event.
        let (error, cause) = s
            .stop_reasons
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&row.arn)
            .unwrap_or_default();
        let mut details = Map::new();
        if let Some(e) = &error {
            details.insert("error".into(), json!(e));
        }
        if let Some(c) = &cause {
            details.insert("cause".into(), json!(c));
        }
        if let Some(last) = out.history.last_mut() {
            last["executionAbortedEventDetails"] = Value::Object(details);
        }
        out.error = error;
        out.cause = cause;
    }
    // Event ids: a redriven run numbers its new events after the stored ones.
    let mut segments: Vec<(u64, u64)> = serde_json::from_str(&row.segments).unwrap_or_default();
    if let (Some(from), Some(first)) = (row.pending_from, out.first_live_event) {
        segments.push((first, from.max(0) as u64));
        let text = serde_json::to_string(&segments).unwrap_or_else(|_| "[]".into());
        if let Err(e) = s.store.set_segments(&row.arn, &text) {
            eprintln!(
                "asl serve: could not record the event ids of {}: {e}",
                row.arn
            );
        }
    }
    for e in &mut out.history {
        if let Some(id) = e["id"].as_u64() {
            e["id"] = json!(map_id(&segments, id));
        }
    }
    let mut events = event_rows(&out.history);
    // A run re-emits the whole history (a replay repeats what the journal holds), so,
    // unless redriven (whose earlier events stand), its events replace the stored ones:
    // concurrent Map iterations that parked may come in another order than last time.
    // Events that were stored keep their time.
    let replace = ran_before && segments.is_empty() && row.pending_from.is_none();
    if replace {
        carry_timestamps(s, &row.arn, &mut events);
    }
    let recorded = match (out.status, out.wake_at) {
        (Status::Suspended, Some(at)) => {
            let at_ms = at.timestamp_millis();
            let r = s
                .store
                .park_execution(&row.arn, at_ms as f64 / 1000.0, &events, replace);
            s.timers.schedule(at_ms, row.arn.clone());
            r
        }
        _ => {
            let output = out.output.as_ref().map(Value::to_string);
            s.store
                .finish_execution(
                    &row.arn,
                    status_name(out.status),
                    output.as_deref(),
                    out.error.as_deref(),
                    out.cause.as_deref(),
                    super::now(),
                    &events,
                    replace,
                )
                .map(|_| ())
        }
    };
    if let Err(e) = recorded {
        eprintln!("asl serve: could not record the state of {}: {e}", row.arn);
        return;
    }
    // A parent whose `.sync` Task waits for this execution hears of its end.
    if out.status != Status::Suspended
        && let Ok(Some(ended)) = s.store.execution(&row.arn)
    {
        super::api::nested::child_ended(s, &ended);
    }
}

/// Runs an Express execution on the calling thread (StartSyncExecution).
pub fn run_express(
    s: &Service,
    row: &ExecutionRow,
    sm: &StateMachine,
    machine_name: &str,
) -> crate::exec::Execution {
    let input: Value = serde_json::from_str(&row.input).unwrap_or(Value::Null);
    let mut opts = run_options(row, machine_name, ExecutionMode::ExpressSync, None);
    opts.test_case = test_case_of(s, row, machine_name);
    s.executor.run_with(sm, input, &opts)
}

/// Goes on with the executions left RUNNING (parked, or cut off by a crash): parked
/// ones wake at their time, the others are replayed now. Returns how many.
pub fn recover(s: &Arc<Service>) -> Result<usize, String> {
    let rows = s.store.running().map_err(|e| format!("recovery: {e}"))?;
    let n = rows.len();
    let now = Utc::now().timestamp_millis();
    for row in rows {
        let wake = s
            .store
            .wake_at(&row.arn)
            .map_err(|e| format!("recovery: {e}"))?;
        let at = wake.map_or(now, |w| (w * 1000.0).round() as i64);
        s.timers.schedule(at.max(now), row.arn);
    }
    Ok(n)
}

/// Stops a running execution: its run ends before its next state (Waits end early).
/// Returns whether this process was running it.
pub fn stop(s: &Service, arn: &str, error: Option<&str>, cause: Option<&str>) -> ApiResult<bool> {
    let flag = s
        .running
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(arn)
        .cloned();
    let Some(flag) = flag else { return Ok(false) };
    s.stop_reasons
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(
            arn.to_string(),
            (error.map(str::to_string), cause.map(str::to_string)),
        );
    flag.store(true, std::sync::atomic::Ordering::Relaxed);
    // The run records its own end (with its history) within a state; a Task that is
    // still working is not waited for.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while std::time::Instant::now() < deadline {
        match s.store.execution(arn)? {
            Some(e) if e.status != "RUNNING" => return Ok(true),
            _ => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    }
    Ok(true)
}
