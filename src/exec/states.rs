//! One attempt at a state: input processing, the state's own work, output processing.

use super::MAX_PAYLOAD_BYTES;
use super::context::{StateEnv, Vars};
use super::dataflow::{apply_result_path, eval_assign, input_path, output_path, plain, set_vars};
use super::history::text;
use super::run::{Run, ScopeFacts, Step, payload_size};
use super::task::{TaskKind, TaskRequest, lambda_invoke_response, task_event_details};
use crate::asl::Failure;
use crate::asl::choice::parse_timestamp;
use crate::asl::failure::names;
use crate::asl::model::PathField;
use crate::asl::model::template::to_compact;
use crate::asl::model::{Dynamic, FailField, State, StateKind, Task, Transition, WaitFor};
use crate::asl::path::Env;
use serde_json::{Value, json};
use std::borrow::Cow;
use std::time::Duration;

/// What a state produced before output processing.
enum Produced {
    /// The effective input itself (Pass without Result/Parameters, Wait, Succeed): kept
    /// unmaterialised so an owned input moves through without a copy.
    EffInput,
    Value(Value),
}

impl Run<'_> {
    /// One attempt. `raw` is owned when no retry or catch can need the raw input again,
    /// so the common path moves the input through the state without copying it.
    pub(crate) fn attempt(
        &self,
        st: &State,
        raw: Cow<'_, Value>,
        vars: &mut Vars<'_>,
        scope: ScopeFacts<'_>,
        entered_time: Option<chrono::DateTime<chrono::Utc>>,
        retry: u32,
    ) -> Result<Step, Failure> {
        if st.ql == crate::asl::model::QueryLanguage::JsonAta {
            return self.attempt_ata(st, raw, vars, scope, entered_time, retry);
        }
        let mut facts = self.facts(st, entered_time, retry, scope);
        let token = self.task_token(st, &facts);
        facts.task_token = token.as_deref();
        let next = match st.transition {
            Transition::Next(n) => Some(n),
            _ => None,
        };
        let input_is_raw = matches!(st.io.input_path, PathField::Default);
        let vars_ro: &Vars<'_> = vars;
        let env0 = StateEnv::new(&raw, &self.info, facts, vars_ro);
        let eff = input_path(&st.io.input_path, &env0)?;
        self.record(st, "afterInputPath", || eff.as_ref().clone());
        let env = env0.with_input(&eff);
        let produced = match &st.kind {
            StateKind::Pass(p) => match (&p.result, &st.io.parameters) {
                (Some(r), _) => Produced::Value(r.clone()),
                (None, Some(t)) => {
                    let v = t.eval(&env)?;
                    self.record(st, "afterParameters", || v.clone());
                    Produced::Value(v)
                }
                (None, None) => Produced::EffInput,
            },
            StateKind::Task(t) => {
                let params = match &st.io.parameters {
                    Some(tpl) => tpl.eval(&env)?,
                    None => eff.as_ref().clone(),
                };
                self.record(st, "afterParameters", || params.clone());
                let result = self.run_task(st, t, params, &env)?;
                self.record(st, "result", || result.clone());
                Produced::Value(result)
            }
            StateKind::Choice(c) => {
                let mut chosen = None;
                for b in &c.choices {
                    if b.rule
                        .as_ref()
                        .map(|r| r.eval(&env))
                        .transpose()?
                        .unwrap_or(false)
                    {
                        chosen = Some(b);
                        break;
                    }
                }
                let target = match (chosen, c.default) {
                    (Some(b), _) => b.next,
                    (None, Some(d)) => d,
                    (None, None) => {
                        return Err(Failure::new(
                            names::NO_CHOICE_MATCHED,
                            format!("No Matches! Input: {}", to_compact(&eff)),
                        ));
                    }
                };
                let mut assigned = Vec::new();
                if let Some(t) = &st.assign {
                    assigned.extend(eval_assign(t, &env)?);
                }
                if let Some(t) = chosen.and_then(|b| b.assign.as_ref()) {
                    assigned.extend(eval_assign(t, &env)?);
                }
                drop(env);
                let output = match (&st.io.output_path, input_is_raw) {
                    (PathField::Default, true) => {
                        drop(eff);
                        drop(env0);
                        raw.into_owned()
                    }
                    (PathField::Default, false) => {
                        let v = eff.into_owned();
                        drop(env0);
                        v
                    }
                    (f, _) => {
                        let o = output_path(f, eff.into_owned(), &env0)?;
                        drop(env0);
                        o
                    }
                };
                set_vars(vars, assigned);
                return Ok(Step {
                    output,
                    next: Some(target),
                });
            }
            StateKind::Wait(w) => {
                // TestState does not wait.
                if !self.is_inspected(st) {
                    self.wait(&w.wait, &env)?;
                }
                Produced::EffInput
            }
            StateKind::Succeed => Produced::EffInput,
            StateKind::Fail(f) => {
                let error = self.fail_field(f.error.as_ref(), "ErrorPath", &env)?;
                let cause = self.fail_field(f.cause.as_ref(), "CausePath", &env)?;
                return Err(Failure { error, cause });
            }
            StateKind::Parallel(p) => {
                let input = match &st.io.parameters {
                    Some(tpl) => tpl.eval(&env)?,
                    None => eff.as_ref().clone(),
                };
                self.record(st, "afterParameters", || input.clone());
                let result = match self.mocked_state(st) {
                    Some(r) => r?,
                    None => self.run_parallel(p, input, &env)?,
                };
                self.record(st, "result", || result.clone());
                Produced::Value(result)
            }
            StateKind::Map(m) => {
                let result = match self.mocked_state(st) {
                    Some(r) => self.tested_map(st, m, &env, r)?,
                    None => self.run_map(st, m, &env)?,
                };
                self.record(st, "result", || result.clone());
                Produced::Value(result)
            }
        };
        // Output processing. Wait and Succeed pass their effective input on:
        // ResultSelector and ResultPath do not apply to them.
        let has_result = !matches!(st.kind, StateKind::Wait(_) | StateKind::Succeed);
        let produced = match (&st.io.result_selector, has_result, produced) {
            (Some(sel), true, Produced::Value(v)) => {
                Produced::Value(sel.eval(&env.with_input(&v))?)
            }
            (Some(sel), true, Produced::EffInput) => Produced::Value(sel.eval(&env)?),
            (_, _, p) => p,
        };
        if let (Some(_), Produced::Value(v)) = (&st.io.result_selector, &produced) {
            self.record(st, "afterResultSelector", || v.clone());
        }
        let assigned = match (&st.assign, &produced) {
            (Some(t), Produced::Value(v)) => Some(eval_assign(t, &env.with_input(v))?),
            (Some(t), Produced::EffInput) => Some(eval_assign(t, &env)?),
            (None, _) => None,
        };
        drop(env);
        let result_path = if has_result {
            &st.io.result_path
        } else {
            &PathField::Default
        };
        let output = match (result_path, produced) {
            (PathField::Default, Produced::EffInput) if input_is_raw => {
                drop(eff);
                drop(env0);
                raw.into_owned()
            }
            (PathField::Default, Produced::EffInput) => {
                let v = eff.into_owned();
                drop(env0);
                v
            }
            (PathField::Default, Produced::Value(v)) => {
                drop(eff);
                drop(env0);
                v
            }
            (f, Produced::Value(v)) => {
                drop(eff);
                drop(env0);
                apply_result_path(f, raw, v)?
            }
            (f, Produced::EffInput) => {
                let v = eff.into_owned();
                drop(env0);
                apply_result_path(f, raw, v)?
            }
        };
        self.record(st, "afterResultPath", || output.clone());
        let output = match &st.io.output_path {
            PathField::Default => output,
            f => {
                // OutputPath reads `$` from the output; `$$` and variables as before.
                let null = Value::Null;
                let facts = self.facts(st, entered_time, retry, scope);
                output_path(f, output, &StateEnv::new(&null, &self.info, facts, vars))?
            }
        };
        if let Some(a) = assigned {
            set_vars(vars, a);
        }
        let next = match &st.kind {
            StateKind::Succeed => None,
            _ => next,
        };
        Ok(Step { output, next })
    }

    pub(crate) fn fail_field(
        &self,
        f: Option<&FailField>,
        field: &str,
        env: &StateEnv<'_>,
    ) -> Result<Option<String>, Failure> {
        Ok(match f {
            None => None,
            Some(FailField::Literal(s)) => Some(s.clone()),
            Some(FailField::Ata(t)) => {
                let name = field.trim_end_matches("Path");
                match env.ata {
                    Some(b) => Some(string_of(t.eval(name, b)?)),
                    None => None,
                }
            }
            Some(FailField::Intrinsic(c)) => Some(string_of(c.eval(env)?)),
            Some(FailField::Path(p)) => match p.select_in(env) {
                Some(v) => Some(string_of(v.into_owned())),
                None => {
                    return Err(Failure::runtime(format!(
                        "The JSONPath '{}' specified for the field '{field}' could not be found in the input '{}'",
                        p.as_str(),
                        to_compact(env.input())
                    )));
                }
            },
        })
    }

    pub(crate) fn wait(&self, w: &WaitFor, env: &StateEnv<'_>) -> Result<(), Failure> {
        let clock = &*self.ex.clock;
        let secs: f64 = match w {
            WaitFor::Seconds(s) => *s,
            WaitFor::Ata { expr, timestamp } => {
                let field = if *timestamp { "Timestamp" } else { "Seconds" };
                let Some(b) = env.ata else { return Ok(()) };
                let v = expr.eval(field, b)?;
                if *timestamp {
                    match v.as_str().and_then(|s| until(clock, s)) {
                        Some(d) => d,
                        None => {
                            return Err(Failure::new(
                                names::QUERY_EVALUATION_ERROR,
                                format!(
                                    "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {}",
                                    plain(&v)
                                ),
                            ));
                        }
                    }
                } else {
                    match v.as_u64() {
                        Some(n) => n as f64,
                        None => {
                            return Err(Failure::new(
                                names::QUERY_EVALUATION_ERROR,
                                format!(
                                    "The Seconds field must be a non-negative integer, but was: {}",
                                    plain(&v)
                                ),
                            ));
                        }
                    }
                }
            }
            WaitFor::SecondsPath(p) => {
                let Some(v) = p.select_in(env) else {
                    return Err(Failure::runtime(format!(
                        "The SecondsPath parameter does not reference an input value: {}",
                        p.as_str()
                    )));
                };
                match v.as_ref() {
                    Value::Number(n) if n.is_i64() || n.is_u64() => {
                        let s = n.as_i64().unwrap_or(i64::MAX);
                        if s < 0 {
                            return Err(Failure::runtime(format!(
                                "The SecondsPath parameter references a negative value: {} == {}",
                                p.as_str(),
                                s
                            )));
                        }
                        s as f64
                    }
                    other => {
                        return Err(Failure::runtime(format!(
                            "The SecondsPath parameter cannot be parsed as a long value: {} == {}",
                            p.as_str(),
                            plain(other)
                        )));
                    }
                }
            }
            WaitFor::Timestamp(ts) => until(clock, ts).unwrap_or(0.0),
            WaitFor::TimestampPath(p) => {
                // A path that finds nothing says so, as SecondsPath does on AWS (the
                // ISO-8601 message would end in "== " with nothing after it).
                let Some(v) = p.select_in(env) else {
                    return Err(Failure::runtime(format!(
                        "The TimestampPath parameter does not reference an input value: {}",
                        p.as_str()
                    )));
                };
                let v = Some(v);
                let s = v.as_ref().and_then(|v| v.as_str());
                match s.and_then(|s| until(clock, s)) {
                    Some(d) => d,
                    None => {
                        return Err(Failure::runtime(format!(
                            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {}",
                            p.as_str(),
                            v.map(|v| plain(&v)).unwrap_or_default()
                        )));
                    }
                }
            }
        };
        // A wait past the execution's deadline (TimeoutSeconds, an Express execution's
        // 5 minutes) lasts until the deadline, where the execution times out.
        if let Some(d) = self.deadline {
            let left = (d - clock.now()).num_milliseconds().max(0) as f64 / 1000.0;
            if secs > left {
                let key = env.state.state_key.map(|k| format!("{k}/wait"));
                self.wait_for(key, env.state.entered_id, Duration::from_secs_f64(left))?;
                return Err(Failure {
                    error: Some(names::TIMEOUT.into()),
                    cause: None,
                });
            }
        }
        if secs > 0.0 {
            let key = env.state.state_key.map(|k| format!("{k}/wait"));
            self.wait_for(
                key,
                env.state.entered_id,
                Duration::from_secs_f64(secs.min(1e9)),
            )?;
        }
        Ok(())
    }

    pub(crate) fn run_task(
        &self,
        st: &State,
        t: &Task,
        params: Value,
        env: &StateEnv<'_>,
    ) -> Result<Value, Failure> {
        let timeout = self.dynamic_seconds(t.timeout_seconds.as_ref(), "TimeoutSeconds", env)?;
        let heartbeat =
            self.dynamic_seconds(t.heartbeat_seconds.as_ref(), "HeartbeatSeconds", env)?;
        if self.history.tripped() || self.stopped() {
            // The history is full or the execution stopped: nothing more is scheduled.
            return Err(self.history_full());
        }
        if let Some(mocked) = self.mocks.as_ref().and_then(|m| m.invoke(&st.name)) {
            return self.run_mocked(t, params, env, mocked);
        }
        if self.waits_for_answer(&t.resource) {
            return self.run_callback(t, params, env, timeout, heartbeat);
        }
        let (handler, kind) = match self.ex.tasks.resolve(&t.resource, &params) {
            Ok(x) => x,
            Err(f) => {
                self.task_events_failed(&t.resource, &params, &f);
                return Err(f);
            }
        };
        let payload = match kind {
            TaskKind::LambdaInvoke => lambda_payload(params.get("Payload")),
            _ => params.clone(),
        };
        let lambda_function = kind == TaskKind::LambdaFunction;
        self.task_started_events(&t.resource, &params, lambda_function);
        let clock = self.ex.clock.clone();
        let invoke = || match timeout {
            Some(secs) if !clock.is_virtual() => {
                let (tx, rx) = std::sync::mpsc::channel();
                let h = handler.clone();
                let resource = t.resource.clone();
                let name = st.name.clone();
                let c2 = clock.clone();
                let input = payload.clone();
                std::thread::spawn(move || {
                    let req = TaskRequest {
                        task_token: None,
                        executor: None,
                        resource: &resource,
                        input: &input,
                        state_name: &name,
                        clock: &*c2,
                    };
                    let _ = tx.send(h.invoke(&req));
                });
                match rx.recv_timeout(Duration::from_secs(secs)) {
                    Ok(r) => r,
                    Err(_) => Err(Failure {
                        error: Some(names::TIMEOUT.into()),
                        cause: None,
                    }),
                }
            }
            _ => {
                let before = clock.now();
                let req = TaskRequest {
                    task_token: None,
                    executor: Some(self.ex),
                    resource: &t.resource,
                    input: &payload,
                    state_name: &st.name,
                    clock: &*clock,
                };
                let r = handler.invoke(&req);
                match timeout {
                    Some(secs)
                        if (clock.now() - before).num_milliseconds()
                            > (secs as i64).saturating_mul(1000) =>
                    {
                        Err(Failure {
                            error: Some(names::TIMEOUT.into()),
                            cause: None,
                        })
                    }
                    _ => r,
                }
            }
        };
        let res = self.journaled_attempt(env, invoke);
        let res = match res {
            Ok(v) if payload_size(&v) > MAX_PAYLOAD_BYTES => Err(Failure::new(
                names::DATA_LIMIT_EXCEEDED,
                format!(
                    "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
                    service_name(&t.resource)
                ),
            )),
            r => r,
        };
        self.task_ended_event(&t.resource, lambda_function, &res);
        res.map(|v| match kind {
            TaskKind::LambdaInvoke => lambda_invoke_response(
                v,
                params.get("LogType").and_then(Value::as_str) == Some("Tail"),
            ),
            _ => v,
        })
    }

    /// A Task attempt's first events: TaskScheduled and TaskStarted (their Lambda
    /// function forms for a function ARN Resource).
    fn task_started_events(&self, resource: &str, params: &Value, lambda_function: bool) {
        if lambda_function {
            self.event("LambdaFunctionScheduled", || {
                Some((
                    "lambdaFunctionScheduledEventDetails",
                    json!({"resource": resource, "input": text(params)}),
                ))
            });
            self.event("LambdaFunctionStarted", || None);
            return;
        }
        self.event("TaskScheduled", || {
            Some((
                "taskScheduledEventDetails",
                task_event_details(resource, json!({"parameters": text(params)})),
            ))
        });
        self.event("TaskStarted", || {
            Some((
                "taskStartedEventDetails",
                task_event_details(resource, json!({})),
            ))
        });
    }

    /// A Task attempt's end: TaskSucceeded or TaskFailed (or their Lambda function
    /// forms).
    fn task_ended_event(
        &self,
        resource: &str,
        lambda_function: bool,
        res: &Result<Value, Failure>,
    ) {
        let details = |d: Value| {
            if lambda_function {
                d
            } else {
                task_event_details(resource, d)
            }
        };
        let (ty, key, d) = match (res, lambda_function) {
            (Ok(v), true) => (
                "LambdaFunctionSucceeded",
                "lambdaFunctionSucceededEventDetails",
                json!({"output": text(v)}),
            ),
            (Ok(v), false) => (
                "TaskSucceeded",
                "taskSucceededEventDetails",
                json!({"output": text(v)}),
            ),
            (Err(f), true) => (
                "LambdaFunctionFailed",
                "lambdaFunctionFailedEventDetails",
                json!({"error": f.error, "cause": f.cause}),
            ),
            (Err(f), false) => (
                "TaskFailed",
                "taskFailedEventDetails",
                json!({"error": f.error, "cause": f.cause}),
            ),
        };
        self.event(ty, || Some((key, details(d))));
    }

    /// A Task attempt's result: with a journal, the recorded one if there is one (an
    /// attempt is not run again on a replay), else `run`'s, recorded.
    fn journaled_attempt(
        &self,
        env: &StateEnv<'_>,
        run: impl FnOnce() -> Result<Value, Failure>,
    ) -> Result<Value, Failure> {
        let key = self.attempt_key(&env.state);
        if let (Some(j), Some(k)) = (&self.journal, &key)
            && let Some(super::journal::Entry::Result(r)) = j.get(k)
        {
            return r;
        }
        self.mark_live(env.state.entered_id);
        let r = run();
        if let (Some(j), Some(k)) = (&self.journal, &key) {
            j.put(k, &super::journal::Entry::Result(r.clone()));
        }
        r
    }

    /// A mocked Task: its next mocked response is its result (a callback or `.sync`
    /// Task returns at once). The invocation counts even when a replay takes the
    /// result from the journal, so numbering stays the same across replays.
    fn run_mocked(
        &self,
        t: &Task,
        params: Value,
        env: &StateEnv<'_>,
        mocked: Result<Value, Failure>,
    ) -> Result<Value, Failure> {
        let res = self.journaled_attempt(env, || mocked);
        let lambda_function =
            t.resource.starts_with("arn:aws:lambda:") && t.resource.contains(":function:");
        self.task_started_events(&t.resource, &params, lambda_function);
        self.task_ended_event(&t.resource, lambda_function, &res);
        res
    }

    fn task_events_failed(&self, resource: &str, params: &Value, f: &Failure) {
        self.task_started_events(resource, params, false);
        self.task_ended_event(resource, false, &Err(f.clone()));
    }

    pub(crate) fn dynamic_seconds(
        &self,
        d: Option<&Dynamic<u64>>,
        field: &str,
        env: &StateEnv<'_>,
    ) -> Result<Option<u64>, Failure> {
        match d {
            None => Ok(None),
            Some(Dynamic::Value(v)) => Ok(Some(*v)),
            Some(d) => {
                let v = super::dataflow::dynamic_value(d, field, env)?;
                match v.as_u64() {
                    Some(n) => Ok(Some(n)),
                    None => Err(Failure::runtime(format!(
                        "The field '{}' refers to value \"{}\" which is not a valid positive integer: {}",
                        super::dataflow::dynamic_field_name(d, field),
                        plain(&v),
                        super::dataflow::dynamic_source(d)
                    ))),
                }
            }
        }
    }
}

fn string_of(v: Value) -> String {
    match v {
        Value::String(s) => s,
        other => to_compact(&other),
    }
}

/// Seconds from now until a timestamp; None when it does not parse.
fn until(clock: &dyn super::Clock, ts: &str) -> Option<f64> {
    let t = parse_timestamp(ts)?;
    let d = t.with_timezone(&chrono::Utc) - clock.now();
    Some((d.num_milliseconds() as f64 / 1000.0).max(0.0))
}

/// How AWS names a resource in causes: a service integration by its service
/// (`arn:aws:states:::lambda:invoke` is `lambda`), anything else by its ARN.
fn service_name(resource: &str) -> &str {
    match resource.strip_prefix("arn:aws:states:::") {
        Some(rest) => rest.split(':').next().unwrap_or(rest),
        None => resource,
    }
}

/// The event a Lambda function receives from `lambda:invoke`: no Payload (or null) is
/// `{}`; a string Payload is the request body itself, so JSON text arrives parsed.
fn lambda_payload(p: Option<&Value>) -> Value {
    match p {
        None | Some(Value::Null) => Value::Object(Default::default()),
        Some(Value::String(s)) => {
            serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.clone()))
        }
        Some(v) => v.clone(),
    }
}
