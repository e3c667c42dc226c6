//! The state loop of one scope, with Retry and Catch around each state.

use super::context::{ExecutionInfo, Vars};
use super::history::{EventLimit, History, MAX_HISTORY_EVENTS, text};
use super::limits::{
    EXPRESS_MAX_SECONDS, Limits, Passed, STANDARD_MAX_SECONDS, Warnings, over_payload_limit,
};
use super::{Execution, Executor, MAX_PAYLOAD_BYTES, RunOptions, Status, clock::format_time};
use crate::asl::Failure;
use crate::asl::failure::names;
use crate::asl::model::{Jitter, State, StateId, StateMachine, error_matches};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::borrow::Cow;
use std::time::Duration;

/// Error name of a scope stopped because a sibling failed; never reported: the sibling's
/// failure is.
pub(crate) const CANCELLED: &str = "asl.Cancelled";

/// Error name of a scope stopped by the history quota; never reported (see
/// [`Run::history_full`]).
pub(crate) const HISTORY_FULL: &str = "asl.HistoryFull";

/// Everything one execution shares across its scopes.
pub(crate) struct Run<'e> {
    pub ex: &'e Executor,
    pub plan: Option<&'e crate::plan::Plan>,
    pub info: ExecutionInfo,
    pub history: History,
    pub deadline: Option<DateTime<Utc>>,
    pub limits: Limits,
    pub warnings: Warnings,
    /// Set from outside to stop the execution.
    pub stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Where effects are recorded and replayed from.
    pub journal: Option<std::sync::Arc<dyn super::journal::Journal>>,
    /// Set when a wait parked the execution: the earliest time to wake it.
    pub suspended: std::sync::Mutex<Option<DateTime<Utc>>>,
    /// The entered event of the first state that missed the journal (see
    /// [`super::Execution::first_live_event`]).
    pub first_live: std::sync::OnceLock<u64>,
    /// The Distributed Maps' runs that ended.
    pub map_runs: std::sync::Mutex<Vec<super::MapRunSummary>>,
    /// Told how Distributed Maps are doing.
    pub observer: Option<std::sync::Arc<dyn super::RunObserver>>,
    /// The mocked Task states of a test case, with their invocation counters.
    pub mocks: Option<super::mock::Mocks>,
    /// TestState: the state under test, whose steps are recorded (see
    /// [`super::test_state`]).
    pub inspect: Option<super::test_state::Inspector>,
    /// The first Map's items as text, until that Map takes them.
    pub large_items: std::sync::Mutex<Option<std::sync::Arc<super::LargeItems>>>,
    /// The execution's output as text, when that Map wrote it so.
    pub raw_output: std::sync::Mutex<Option<crate::exec::OutputText>>,
}

/// Where a scope runs: inside a Map iteration it knows its item.
#[derive(Clone, Copy, Default)]
pub(crate) struct ScopeFacts<'a> {
    pub map_item: Option<(usize, &'a Value)>,
    /// Set when a sibling branch failed: the scope stops before its next state.
    pub cancel: Option<&'a std::sync::atomic::AtomicBool>,
    /// Event counter of the Map partition this scope runs in.
    pub counter: Option<&'a std::sync::atomic::AtomicU64>,
    /// With a journal: the key prefix of this scope (`""` for the top scope, then
    /// `/Split#0/b1`, `/Each#0/i37`).
    pub prefix: Option<&'a str>,
    /// With a journal: the key of the state entry being run (`{prefix}/{name}#{k}`).
    pub state_key: Option<&'a str>,
    /// The id of the state's entered event.
    pub entered_id: u64,
}

/// A run of `sm` with its execution's facts (names, ARNs, deadline, limits), before
/// anything ran; and when it started.
pub(crate) fn new_run<'e>(
    ex: &'e Executor,
    sm: &StateMachine,
    plan: Option<&'e crate::plan::Plan>,
    input: std::sync::Arc<Value>,
    opts: &RunOptions,
) -> (Run<'e>, DateTime<Utc>) {
    let name = opts
        .name
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let sm_name = opts
        .state_machine_name
        .clone()
        .unwrap_or_else(|| "StateMachine".to_string());
    let start = opts.started_at.unwrap_or_else(|| ex.clock.now());
    let id = match &opts.execution_arn {
        Some(arn) => arn.clone(),
        None if opts.mode != super::ExecutionMode::Standard => format!(
            "arn:aws:states:us-east-1:111111111111:express:{sm_name}:{name}:{}",
            uuid::Uuid::new_v4()
        ),
        None => format!("arn:aws:states:us-east-1:111111111111:execution:{sm_name}:{name}"),
    };
    let info = ExecutionInfo {
        id,
        mode: opts.mode,
        name,
        input,
        start_time: format_time(start),
        role_arn: opts
            .role_arn
            .clone()
            .unwrap_or_else(|| "arn:aws:iam::111111111111:role/StepFunctionsLocal".to_string()),
        state_machine_id: opts.state_machine_arn.clone().unwrap_or_else(|| {
            format!("arn:aws:states:us-east-1:111111111111:stateMachine:{sm_name}")
        }),
        state_machine_name: sm_name,
        redrive_count: opts.redrive_count,
        context: opts.context.clone().map(std::sync::Arc::new),
    };
    let standard = opts.mode == super::ExecutionMode::Standard;
    let limits = opts.limits;
    // Express executions have no history quota (AWS: "Unlimited").
    let event_limit = match (standard, limits.history_events, limits.map_iteration_events) {
        (true, true, true) => Some(EventLimit::All),
        (true, true, false) => Some(EventLimit::OutsideMapIterations),
        _ => None,
    };
    let mut deadline = sm
        .timeout_seconds
        .map(|s| start + chrono::Duration::seconds(s.min(i64::MAX as u64 / 1000) as i64));
    if !standard && limits.express_duration {
        let express_end = start + chrono::Duration::seconds(EXPRESS_MAX_SECONDS);
        deadline = Some(deadline.map_or(express_end, |d| d.min(express_end)));
    }
    if standard && limits.standard_duration {
        // AWS's quota on a Standard execution: one year.
        let year_end = start + chrono::Duration::seconds(STANDARD_MAX_SECONDS);
        deadline = Some(deadline.map_or(year_end, |d| d.min(year_end)));
    }
    let run = Run {
        ex,
        plan,
        history: History::new(opts.history).with_limit(event_limit),
        deadline,
        info,
        limits,
        warnings: Warnings::default(),
        stop: opts.stop.clone(),
        journal: opts.journal.clone(),
        suspended: std::sync::Mutex::new(None),
        first_live: std::sync::OnceLock::new(),
        map_runs: std::sync::Mutex::new(Vec::new()),
        observer: opts.observer.clone(),
        mocks: opts.test_case.clone().map(super::mock::Mocks::new),
        inspect: None,
        large_items: std::sync::Mutex::new(opts.large_items.clone()),
        raw_output: std::sync::Mutex::new(None),
    };
    (run, start)
}

pub(crate) fn run_execution<'e>(
    ex: &'e Executor,
    sm: &StateMachine,
    plan: Option<&'e crate::plan::Plan>,
    input: std::sync::Arc<Value>,
    opts: &RunOptions,
) -> Execution {
    let (run, start) = new_run(ex, sm, plan, input, opts);
    let standard = opts.mode == super::ExecutionMode::Standard;
    let limits = opts.limits;
    run.history.event(&*ex.clock, "ExecutionStarted", || {
        Some((
            "executionStartedEventDetails",
            json!({"input": text(&run.info.input), "roleArn": run.info.role_arn}),
        ))
    });
    let input_over = match &opts.large_items {
        // The input holds `[]` for the items left out as text: their split knows.
        Some(l) => l.input_over_limit,
        None => over_payload_limit(&run.info.input),
    };
    if input_over && !limits.execution_input {
        run.warnings.once(Passed::ExecutionInput, || {
            format!(
                "AWS would refuse this execution: its input is over StartExecution's limit of {MAX_PAYLOAD_BYTES} bytes. On AWS, keep large data in S3 and read it with a Distributed Map's ItemReader (--aws-limits enforces the limit here)."
            )
        });
    }
    let result = if input_over && limits.execution_input {
        Err(Failure::new(
            names::DATA_LIMIT_EXCEEDED,
            "The state machine input exceeds the maximum size of 262144 bytes.",
        ))
    } else {
        let mut vars = Vars::root();
        run.run_scope(
            sm,
            Cow::Borrowed(&*run.info.input),
            &mut vars,
            ScopeFacts::default(),
        )
    };
    // An execution that ran past its deadline timed out, whatever its last state did.
    let result = match run.deadline {
        Some(d) if result.is_ok() && ex.clock.now() > d => Err(Failure {
            error: Some(names::TIMEOUT.into()),
            cause: None,
        }),
        _ => result,
    };
    let aborted = run.stopped();
    let wake_at = *run.suspended.lock().unwrap_or_else(|p| p.into_inner());
    // The history quota ends the execution whatever the states did since.
    let result = if run.history.tripped() {
        Err(Failure::new(
            names::RUNTIME,
            format!(
                "The execution reached the maximum number of history events ({MAX_HISTORY_EVENTS})."
            ),
        ))
    } else {
        result
    };
    run.warn_at_end(standard, start);
    let (status, output, error, cause) = match result {
        _ if wake_at.is_some() && !aborted && !run.history.tripped() => {
            (Status::Suspended, None, None, None)
        }
        _ if aborted => {
            run.history.event(&*ex.clock, "ExecutionAborted", || None);
            (Status::Aborted, None, None, None)
        }
        Ok(out) => {
            run.history.event(&*ex.clock, "ExecutionSucceeded", || {
                Some((
                    "executionSucceededEventDetails",
                    json!({"output": text(&out)}),
                ))
            });
            (Status::Succeeded, Some(out), None, None)
        }
        Err(f) => {
            run.history.event(&*ex.clock, "ExecutionFailed", || {
                Some((
                    "executionFailedEventDetails",
                    json!({"error": f.error, "cause": f.cause}),
                ))
            });
            (Status::Failed, None, f.error, f.cause)
        }
    };
    let first_live_event = match run.journal {
        Some(_) => run
            .first_live
            .get()
            .copied()
            .or(Some(run.history.current())),
        None => None,
    };
    let (output, output_text) = match (
        output,
        run.raw_output.lock().ok().and_then(|mut t| t.take()),
    ) {
        (Some(_), Some(t)) => (None, Some(t)),
        (o, _) => (o, None),
    };
    let Run {
        info,
        history,
        warnings,
        map_runs,
        ..
    } = run;
    // The last holder of a large input frees it off the critical path, or not at all.
    if let Ok(input) = std::sync::Arc::try_unwrap(info.input) {
        if opts.leak_input {
            std::mem::forget(input);
        } else {
            drop_in_background(input);
        }
    }
    Execution {
        status,
        output,
        error,
        cause,
        history: history.into_events(),
        warnings: warnings.into_texts(),
        wake_at: if status == Status::Suspended {
            wake_at
        } else {
            None
        },
        first_live_event,
        map_runs: map_runs.into_inner().unwrap_or_else(|p| p.into_inner()),
        output_text,
    }
}

/// Frees a large value on another thread: freeing millions of nodes takes a while, and
/// nobody needs to wait for it (a process that exits meanwhile skips it altogether).
pub(crate) fn drop_in_background(v: Value) {
    let large = match &v {
        Value::Array(a) => a.len() > 4096,
        Value::Object(m) => m
            .values()
            .any(|x| matches!(x, Value::Array(a) if a.len() > 4096)),
        _ => false,
    };
    if large
        && let Err(e) = std::thread::Builder::new()
            .name("asl-drop".into())
            .spawn(move || drop(v))
    {
        drop(e);
    }
}

pub(crate) fn payload_size(v: &Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Counter(0);
    let _ = serde_json::to_writer(&mut c, v);
    c.0
}

/// The output of a state and where to go next (None: the scope ends).
pub(crate) struct Step {
    pub output: Value,
    pub next: Option<StateId>,
}

impl Run<'_> {
    /// The warnings for limits only known at the end: the history size counted with
    /// Map iterations, and an Express execution's duration.
    fn warn_at_end(&self, standard: bool, start: DateTime<Utc>) {
        let total = self.history.total();
        if standard
            && !self.limits.map_iteration_events
            && !self.history.tripped()
            && total >= MAX_HISTORY_EVENTS
        {
            self.warnings.once(Passed::HistoryEvents, || {
                format!(
                    "AWS would fail this execution: with the events of its inline Map iterations its history holds at least {total} events, and a Standard execution fails at {MAX_HISTORY_EVENTS} (States.Runtime). On AWS, use a Distributed Map (ItemProcessor.ProcessorConfig.Mode DISTRIBUTED), whose child executions keep histories of their own, or an Express child workflow (--aws-limits counts every event here)."
                )
            });
        }
        let seconds = (self.ex.clock.now() - start).num_milliseconds() as f64 / 1000.0;
        if !standard && !self.limits.express_duration && seconds > EXPRESS_MAX_SECONDS as f64 {
            self.warnings.once(Passed::ExpressDuration, || {
                format!(
                    "AWS would fail this Express execution with States.Timeout: it ran {seconds:.1} s, and an Express execution runs at most {EXPRESS_MAX_SECONDS} s. On AWS, run it as a Standard execution, or split the work (--aws-limits enforces the limit here)."
                )
            });
        }
    }

    /// Notes that the state entered at event `entered_id` does something the journal
    /// does not hold: the run leaves its replay there.
    pub(crate) fn mark_live(&self, entered_id: u64) {
        let _ = self.first_live.set(entered_id);
    }

    /// Whether a wait parked the execution.
    pub(crate) fn is_suspended(&self) -> bool {
        self.journal.is_some()
            && self
                .suspended
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_some()
    }

    /// Waits `d` (a Wait state, a Retry interval). With a journal and a `key`, the end
    /// of the wait is recorded on first reach and honoured on a replay, and a wait the
    /// journal parks suspends the execution (an error no Retry or Catch sees).
    pub(crate) fn wait_for(
        &self,
        key: Option<String>,
        entered_id: u64,
        d: Duration,
    ) -> Result<(), Failure> {
        use super::journal::Entry;
        let (Some(j), Some(key)) = (&self.journal, key) else {
            self.pause(d);
            if self.stopped() {
                return Err(self.history_full());
            }
            return Ok(());
        };
        let now = self.ex.clock.now();
        let until = match j.get(&key) {
            Some(Entry::Until(t)) => t,
            _ => {
                self.mark_live(entered_id);
                let t = now
                    + chrono::Duration::from_std(d)
                        .unwrap_or_else(|_| chrono::Duration::days(3650));
                j.put(&key, &Entry::Until(t));
                t
            }
        };
        let left = (until - now).to_std().unwrap_or_default();
        if left.is_zero() {
            return Ok(());
        }
        if j.park(until) {
            self.suspend_until(until);
            return Err(self.history_full());
        }
        self.pause(left);
        if self.stopped() {
            // Stopped while waiting: the state does not exit.
            return Err(self.history_full());
        }
        Ok(())
    }

    /// With a journal, the key of this attempt of a Task (`/Fetch#0/try1`): where its
    /// result (and a callback's token) is journaled.
    pub(crate) fn attempt_key(&self, facts: &super::context::StateFacts<'_>) -> Option<String> {
        facts
            .state_key
            .filter(|_| self.journal.is_some())
            .map(|k| format!("{k}/try{}", facts.retry_count))
    }

    /// Marks the execution suspended until `until` (the earliest of its waits): the
    /// caller unwinds with [`Self::history_full`].
    pub(crate) fn suspend_until(&self, until: DateTime<Utc>) {
        let mut s = self.suspended.lock().unwrap_or_else(|p| p.into_inner());
        *s = Some(s.map_or(until, |t| t.min(until)));
    }

    /// Whether the execution was stopped from outside.
    pub(crate) fn stopped(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed))
    }

    /// Sleeps `d` on the execution's clock; a stop ends the sleep early (checked every
    /// 50 ms on the real clock).
    pub(crate) fn pause(&self, d: Duration) {
        let clock = &*self.ex.clock;
        if self.stop.is_none() || clock.is_virtual() {
            clock.sleep(d);
            return;
        }
        let end = std::time::Instant::now() + d;
        while !self.stopped() {
            let left = end.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            clock.sleep(left.min(Duration::from_millis(50)));
        }
    }

    /// The failure that stops every scope once the history quota is reached or the
    /// execution is stopped; no Retry or Catch sees it, and the execution reports
    /// `States.Runtime` (or its abort) in its place.
    pub(crate) fn history_full(&self) -> Failure {
        Failure::new(
            HISTORY_FULL,
            "the execution reached the maximum number of history events",
        )
    }

    pub fn event(&self, ty: &str, details: impl FnOnce() -> Option<(&'static str, Value)>) -> u64 {
        self.history.event(&*self.ex.clock, ty, details)
    }

    /// An event of a state in `scope` (counted on the scope's partition counter if any).
    pub fn event_in(
        &self,
        scope: ScopeFacts<'_>,
        ty: &str,
        details: impl FnOnce() -> Option<(&'static str, Value)>,
    ) -> u64 {
        self.history
            .event_with(scope.counter, &*self.ex.clock, ty, details)
    }

    /// Runs a scope from its StartAt to an End, Succeed or Fail.
    /// Runs a scope from its StartAt to an End, Succeed or Fail. A borrowed input is
    /// only copied if a state needs its own copy.
    pub fn run_scope(
        &self,
        sm: &StateMachine,
        input: Cow<'_, Value>,
        vars: &mut Vars<'_>,
        scope: ScopeFacts<'_>,
    ) -> Result<Value, Failure> {
        let mut cur = sm.start_at;
        let mut input = input;
        // With a journal: how often each state of this scope was entered (loops).
        let mut entries: Option<std::collections::HashMap<u32, u32>> = self
            .journal
            .as_ref()
            .map(|_| std::collections::HashMap::new());
        loop {
            if let Some(d) = self.deadline
                && self.ex.clock.now() > d
            {
                return Err(Failure {
                    error: Some(names::TIMEOUT.into()),
                    cause: None,
                });
            }
            if scope
                .cancel
                .is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
            {
                return Err(Failure::new(CANCELLED, "a sibling branch failed"));
            }
            // (A sibling that parked does not stop this scope: it goes on until it
            // parks itself or ends, so that side-by-side waits overlap.)
            if self.history.tripped() || self.stopped() {
                return Err(self.history_full());
            }
            let st = sm.state(cur);
            let key = entries.as_mut().map(|entries| {
                let k = entries.entry(cur.0).or_insert(0);
                let key = format!("{}/{}#{}", scope.prefix.unwrap_or(""), st.name, k);
                *k += 1;
                key
            });
            let scope = ScopeFacts {
                state_key: key.as_deref(),
                ..scope
            };
            let step = self.run_state(st, input, vars, scope)?;
            match step.next {
                Some(n) => {
                    cur = n;
                    input = Cow::Owned(step.output);
                }
                None => return Ok(step.output),
            }
        }
    }

    pub(crate) fn run_state(
        &self,
        st: &State,
        input: Cow<'_, Value>,
        vars: &mut Vars<'_>,
        scope: ScopeFacts<'_>,
    ) -> Result<Step, Failure> {
        let ty = st.type_name();
        // The entered time is read when something asks for it ($$ or history), except
        // where retries could delay that question.
        let eager = self.history.is_recording() || !st.retry.is_empty() || !st.catch.is_empty();
        let entered = eager.then(|| self.ex.clock.now());
        let entered_id = self.event_in(scope, entered_type(ty), || {
            Some((
                "stateEnteredEventDetails",
                json!({"name": st.name, "input": text(&input)}),
            ))
        });
        let scope = ScopeFacts {
            entered_id,
            ..scope
        };
        let mut watch = super::dataflow::AssignWatch::start(self.history.is_recording());
        if st.retry.is_empty() && st.catch.is_empty() {
            // Nothing can need the raw input again: move it through the state.
            let step = self
                .attempt(st, input, vars, scope, entered, 0)
                .map_err(|f| wrap_runtime(f, &st.name, entered_id))?;
            self.check_output(st, &step.output)?;
            self.event_in(scope, exited_type(ty), || {
                Some((
                    "stateExitedEventDetails",
                    super::history::exited_details(&st.name, text(&step.output), watch.finish()),
                ))
            });
            return Ok(step);
        }
        let input = input.into_owned();
        let mut retry_counts = vec![0u32; st.retry.len()];
        let mut retry_total = 0u32;
        loop {
            let res = self.attempt(
                st,
                std::borrow::Cow::Borrowed(&input),
                vars,
                scope,
                entered,
                retry_total,
            );
            let f = match res {
                Ok(step) => {
                    self.check_output(st, &step.output)?;
                    self.event_in(scope, exited_type(ty), || {
                        Some((
                            "stateExitedEventDetails",
                            super::history::exited_details(
                                &st.name,
                                text(&step.output),
                                watch.finish(),
                            ),
                        ))
                    });
                    return Ok(step);
                }
                Err(f) => wrap_runtime(f, &st.name, entered_id),
            };
            if self.history.tripped() || self.stopped() || self.is_suspended() {
                return Err(self.history_full());
            }
            let err = f.error_name().to_string();
            if let Some(i) = st
                .retry
                .iter()
                .position(|r| error_matches(&r.error_equals, &err))
            {
                let r = &st.retry[i];
                // TestState: the retries so far are what the request says.
                let inspected = self.inspect.as_ref().filter(|t| t.state == st.name);
                let done = inspected.map_or(retry_counts[i], |t| t.retrier_retry_count);
                if done < r.max_attempts {
                    let mut delay = r.interval_seconds * r.backoff_rate.powi(done as i32);
                    if let Some(m) = r.max_delay_seconds {
                        delay = delay.min(m);
                    }
                    if let Some(t) = inspected {
                        // TestState reports the retry instead of waiting for it.
                        t.decided(super::test_state::Decision::Retriable { index: i, delay });
                        return Err(f);
                    }
                    if r.jitter == Jitter::Full {
                        delay *= rand::random::<f64>();
                    }
                    retry_counts[i] += 1;
                    retry_total += 1;
                    let key = scope.state_key.map(|k| format!("{k}/retry{retry_total}"));
                    self.wait_for(
                        key,
                        entered_id,
                        Duration::from_secs_f64(delay.clamp(0.0, 1e9)),
                    )?;
                    continue;
                }
            }
            if let Some((index, c)) = st
                .catch
                .iter()
                .enumerate()
                .find(|(_, c)| error_matches(&c.error_equals, &err))
            {
                if let Some(t) = self.inspect.as_ref().filter(|t| t.state == st.name) {
                    t.decided(super::test_state::Decision::Caught {
                        index,
                        error: f.clone(),
                    });
                }
                let mut err_out = serde_json::Map::new();
                err_out.insert(
                    "Error".into(),
                    f.error.clone().map(Value::String).unwrap_or(Value::Null),
                );
                err_out.insert(
                    "Cause".into(),
                    Value::String(f.cause.clone().unwrap_or_default()),
                );
                let err_out = Value::Object(err_out);
                if st.ql == crate::asl::model::QueryLanguage::JsonAta {
                    let facts = self.facts(st, entered, retry_total, scope);
                    let output = self
                        .catch_ata(c, &input, err_out, vars, facts)
                        .map_err(|f| wrap_runtime(f, &st.name, entered_id))?;
                    self.check_output(st, &output)?;
                    self.event_in(scope, exited_type(ty), || {
                        Some((
                            "stateExitedEventDetails",
                            super::history::exited_details(&st.name, text(&output), watch.finish()),
                        ))
                    });
                    return Ok(Step {
                        output,
                        next: Some(c.next),
                    });
                }
                let assigned = match &c.assign {
                    Some(t) => {
                        let facts = self.facts(st, entered, retry_total, scope);
                        let env = super::context::StateEnv::new(&err_out, &self.info, facts, vars);
                        Some(
                            super::dataflow::eval_assign(t, &env)
                                .map_err(|f| wrap_runtime(f, &st.name, entered_id))?,
                        )
                    }
                    None => None,
                };
                let output = super::dataflow::apply_result_path(
                    &c.result_path,
                    std::borrow::Cow::Borrowed(&input),
                    err_out,
                )
                .map_err(|f| wrap_runtime(f, &st.name, entered_id))?;
                if let Some(a) = assigned {
                    super::dataflow::set_vars(vars, a);
                }
                self.check_output(st, &output)?;
                self.event_in(scope, exited_type(ty), || {
                    Some((
                        "stateExitedEventDetails",
                        super::history::exited_details(&st.name, text(&output), watch.finish()),
                    ))
                });
                return Ok(Step {
                    output,
                    next: Some(c.next),
                });
            }
            return Err(f);
        }
    }

    pub fn facts<'a>(
        &'a self,
        st: &'a State,
        entered_time: Option<DateTime<Utc>>,
        retry: u32,
        scope: ScopeFacts<'a>,
    ) -> super::context::StateFacts<'a> {
        super::context::StateFacts {
            name: &st.name,
            entered_time,
            clock: &*self.ex.clock,
            retry_count: retry,
            map_item: scope.map_item,
            state_key: scope.state_key,
            entered_id: scope.entered_id,
            task_token: None,
            is_task: matches!(st.kind, crate::asl::model::StateKind::Task(_)),
        }
    }
}

/// Errors the engine raises while processing a state get AWS's prefix naming the state.
fn wrap_runtime(mut f: Failure, state: &str, entered_id: u64) -> Failure {
    let wrap = matches!(
        f.error.as_deref(),
        Some(names::RUNTIME) | Some(names::QUERY_EVALUATION_ERROR)
    );
    if wrap
        && let Some(c) = &f.cause
        && !c.starts_with("An error occurred while executing the state")
    {
        f.cause = Some(format!(
            "An error occurred while executing the state '{state}' (entered at the event id #{entered_id}). {c}"
        ));
    }
    f
}

fn entered_type(ty: &str) -> &'static str {
    match ty {
        "Pass" => "PassStateEntered",
        "Task" => "TaskStateEntered",
        "Choice" => "ChoiceStateEntered",
        "Wait" => "WaitStateEntered",
        "Succeed" => "SucceedStateEntered",
        "Fail" => "FailStateEntered",
        "Parallel" => "ParallelStateEntered",
        _ => "MapStateEntered",
    }
}

fn exited_type(ty: &str) -> &'static str {
    match ty {
        "Pass" => "PassStateExited",
        "Task" => "TaskStateExited",
        "Choice" => "ChoiceStateExited",
        "Wait" => "WaitStateExited",
        "Succeed" => "SucceedStateExited",
        "Fail" => "FailStateExited",
        "Parallel" => "ParallelStateExited",
        _ => "MapStateExited",
    }
}
