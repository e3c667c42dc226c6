//! The callback pattern (`.waitForTaskToken`): a Task hands out a token
//! (`$$.Task.Token`), runs its resource, and waits until the token comes back with
//! `SendTaskSuccess` or `SendTaskFailure`, until `HeartbeatSeconds` pass without a
//! `SendTaskHeartbeat` (`States.HeartbeatTimeout`), until `TimeoutSeconds` pass
//! (`States.Timeout`), or until the execution is stopped.
//!
//! A token is opaque to its holder: the URL-safe base64 of `[execution ARN, attempt
//! key, secret]`, where the secret is 128 random bits. The attempt key names the
//! attempt of the state (`/Approve#0/try1`), so a token from an attempt that a Retry
//! replaced, or from a task that has ended, is refused (`TaskTimedOut`).
//!
//! Two ways to wait:
//! - with a journal (`asl serve`): the token, the resource's answer and when the task
//!   was submitted are journaled under the attempt's key; the execution is parked
//!   (no thread) until the deadline, and whoever answers the token journals the
//!   result under the attempt's key and wakes the execution, whose replay finds it;
//! - without one (`asl run`, library users): the run's thread waits on the executor's
//!   [`Callbacks`], which [`crate::exec::Executor::send_task_success`] and its siblings
//!   answer.

use super::context::{StateEnv, StateFacts};
use super::history::text;
use super::journal::{Entry, Journal};
use super::run::Run;
use super::task::TaskRequest;
use super::task::task_event_details;
use crate::asl::Failure;
use crate::asl::failure::names;
use crate::asl::model::{State, StateKind, Task};
use base64::Engine as _;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// Whether a Task resource uses the callback pattern.
pub fn is_callback(resource: &str) -> bool {
    resource.ends_with(".waitForTaskToken")
}

/// Whether a Task resource is an activity (`arn:aws:states:REGION:ACCOUNT:activity:NAME`):
/// its events are `Activity*` rather than `Task*`.
pub fn is_activity(resource: &str) -> bool {
    resource.starts_with("arn:aws:states:") && resource.split(':').nth(5) == Some("activity")
}

/// A task token's parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The execution's ARN (empty for an execution without one).
    pub execution: String,
    /// The attempt's key (see `exec::journal`); for a run without a journal, unique.
    pub key: String,
    /// 128 random bits, hex.
    pub secret: String,
}

impl Token {
    /// A new token for attempt `key` of `execution`.
    pub fn mint(execution: &str, key: &str) -> Token {
        Token {
            execution: execution.to_string(),
            key: key.to_string(),
            secret: format!("{:032x}", rand::random::<u128>()),
        }
    }

    /// The token as its holder sees it.
    pub fn encode(&self) -> String {
        let parts = json!([self.execution, self.key, self.secret]).to_string();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(parts)
    }

    /// A token's parts; None for text that is not a token.
    pub fn decode(text: &str) -> Option<Token> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text.trim())
            .ok()?;
        let v: Value = serde_json::from_slice(&bytes).ok()?;
        let [execution, key, secret] = v.as_array()?.as_slice() else {
            return None;
        };
        let (execution, key, secret) = (execution.as_str()?, key.as_str()?, secret.as_str()?);
        (secret.len() == 32 && secret.bytes().all(|b| b.is_ascii_hexdigit())).then(|| Token {
            execution: execution.to_string(),
            key: key.to_string(),
            secret: secret.to_string(),
        })
    }
}

/// How a callback ends, as its sender gives it.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    Success(Value),
    Failure(Failure),
    Heartbeat,
}

/// Why an answer to a token is refused (the API's error codes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// Not a token at all.
    #[error("Invalid Token: '{0}'")]
    InvalidToken(String),
    /// A token of a task that has ended, or that this executor never handed out.
    #[error("Task Timed Out: '{0}'")]
    TaskTimedOut(String),
}

/// One task waiting for its token, in a run without a journal.
#[derive(Default)]
struct Waiting {
    answer: Option<Result<Value, Failure>>,
    last_beat: Option<Instant>,
    /// An activity task taken by a worker: the worker's name.
    taken_by: Option<String>,
}

/// An activity task of a run without a journal, waiting for a worker to take it.
struct PendingActivity {
    activity: String,
    token: String,
    input: String,
}

/// A waiting task's state, and how its thread hears of a change.
type Slot = (Mutex<Waiting>, Condvar);

/// The tokens that runs without a journal wait on.
#[derive(Default)]
pub struct Callbacks {
    waiting: Mutex<HashMap<String, Arc<Slot>>>,
    /// Activity tasks no worker has taken yet, oldest first.
    activities: Mutex<Vec<PendingActivity>>,
    posted: Condvar,
}

impl std::fmt::Debug for Callbacks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.waiting.lock().map_or(0, |w| w.len());
        f.debug_struct("Callbacks").field("waiting", &n).finish()
    }
}

/// How a wait for a token ended without an answer.
pub(crate) enum Unanswered {
    Timeout,
    Heartbeat,
    Stopped,
}

impl Callbacks {
    /// Answers `token`.
    pub fn answer(&self, token: &str, answer: Answer) -> Result<(), CallbackError> {
        if Token::decode(token).is_none() {
            return Err(CallbackError::InvalidToken(token.to_string()));
        }
        let slot = self
            .waiting
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(token)
            .cloned()
            .ok_or_else(|| CallbackError::TaskTimedOut(token.to_string()))?;
        let (lock, changed) = &*slot;
        let mut w = lock.lock().unwrap_or_else(|p| p.into_inner());
        if w.answer.is_some() {
            return Err(CallbackError::TaskTimedOut(token.to_string()));
        }
        match answer {
            Answer::Success(v) => w.answer = Some(Ok(v)),
            Answer::Failure(f) => w.answer = Some(Err(f)),
            Answer::Heartbeat => w.last_beat = Some(Instant::now()),
        }
        changed.notify_all();
        Ok(())
    }

    /// Registers `token` before its resource runs (an answer may come at once).
    pub(crate) fn expect(&self, token: &str) {
        self.waiting
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(token.to_string(), Arc::default());
    }

    /// Forgets `token`: later answers get `TaskTimedOut` (and an activity task not
    /// taken yet leaves its queue).
    pub(crate) fn forget(&self, token: &str) {
        self.waiting
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(token);
        self.activities
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|a| a.token != token);
    }

    /// Queues an activity task for a worker (after [`Callbacks::expect`]).
    pub(crate) fn post_activity(&self, activity: &str, token: &str, input: String) {
        self.activities
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(PendingActivity {
                activity: activity.to_string(),
                token: token.to_string(),
                input,
            });
        self.posted.notify_all();
    }

    /// Hands the oldest task of `activity` to a worker, waiting at most `wait` for one:
    /// `(taskToken, input)`. Each task is handed out once.
    pub fn take_activity_task(
        &self,
        activity: &str,
        worker: Option<&str>,
        wait: Duration,
    ) -> Option<(String, String)> {
        let until = Instant::now() + wait;
        let mut queue = self.activities.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(i) = queue.iter().position(|a| a.activity == activity) {
                let task = queue.remove(i);
                drop(queue);
                let slot = self
                    .waiting
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get(&task.token)
                    .cloned();
                if let Some(slot) = slot {
                    let (lock, changed) = &*slot;
                    let mut w = lock.lock().unwrap_or_else(|p| p.into_inner());
                    w.taken_by = Some(worker.unwrap_or_default().to_string());
                    // The heartbeat counts from here (as in `asl serve`).
                    w.last_beat = Some(Instant::now());
                    changed.notify_all();
                }
                return Some((task.token, task.input));
            }
            let now = Instant::now();
            if now >= until {
                return None;
            }
            queue = self
                .posted
                .wait_timeout(queue, until - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Waits for `token`'s answer, the deadlines, or `stopped`.
    pub(crate) fn wait(
        &self,
        token: &str,
        timeout: Option<Duration>,
        heartbeat: Option<Duration>,
        stopped: &dyn Fn() -> bool,
        on_taken: &dyn Fn(&str),
    ) -> Result<Result<Value, Failure>, Unanswered> {
        let slot = self
            .waiting
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(token)
            .cloned();
        let Some(slot) = slot else {
            return Err(Unanswered::Stopped);
        };
        let start = Instant::now();
        let (lock, changed) = &*slot;
        let mut w = lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut taken_seen = false;
        loop {
            if let (false, Some(worker)) = (taken_seen, &w.taken_by) {
                taken_seen = true;
                on_taken(worker);
            }
            if let Some(a) = &w.answer {
                return Ok(a.clone());
            }
            if stopped() {
                return Err(Unanswered::Stopped);
            }
            let now = Instant::now();
            let timeout_at = timeout.map(|t| start + t);
            let beat_at = heartbeat.map(|h| w.last_beat.unwrap_or(start) + h);
            if timeout_at.is_some_and(|t| now >= t) {
                return Err(Unanswered::Timeout);
            }
            if beat_at.is_some_and(|t| now >= t) {
                return Err(Unanswered::Heartbeat);
            }
            // Wake for the nearest deadline, and now and then to see a stop.
            let mut left = Duration::from_millis(100);
            for at in [timeout_at, beat_at].into_iter().flatten() {
                left = left.min(at - now);
            }
            w = changed
                .wait_timeout(w, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }
}

/// The most a callback waits without a deadline before its execution is replayed
/// (and parked again): a Standard execution's own limit.
const LONGEST_WAIT_DAYS: i64 = 366;

impl Run<'_> {
    /// Whether a Task with this resource waits for the answer to its token.
    pub(crate) fn waits_for_answer(&self, resource: &str) -> bool {
        is_callback(resource) || is_activity(resource) || self.ex.tasks.answers_later(resource)
    }

    /// The token of this attempt of `st`, when it is a callback Task: journaled (a
    /// replay hands out the same token), or new.
    pub(crate) fn task_token(&self, st: &State, facts: &StateFacts<'_>) -> Option<String> {
        let StateKind::Task(t) = &st.kind else {
            return None;
        };
        if !self.waits_for_answer(&t.resource) {
            return None;
        }
        let (Some(j), Some(key)) = (&self.journal, self.attempt_key(facts)) else {
            let key = format!("/{}#{:016x}", st.name, rand::random::<u64>());
            return Some(Token::mint(&self.info.id, &key).encode());
        };
        if let Some(Entry::Result(Ok(Value::String(t)))) = j.get(&format!("{key}/token")) {
            return Some(t);
        }
        self.mark_live(facts.entered_id);
        let token = Token::mint(&self.info.id, &key).encode();
        j.put(
            &format!("{key}/token"),
            &Entry::Result(Ok(Value::String(token.clone()))),
        );
        Some(token)
    }

    /// A callback Task: runs the resource (a registered handler; none: nothing to run,
    /// the token reaches its holder another way), then waits for the token's answer.
    pub(crate) fn run_callback(
        &self,
        t: &Task,
        params: Value,
        env: &StateEnv<'_>,
        timeout: Option<u64>,
        heartbeat: Option<u64>,
    ) -> Result<Value, Failure> {
        let token = env.state.task_token.unwrap_or_default().to_string();
        let activity = is_activity(&t.resource);
        let scheduled = if activity {
            (
                "ActivityScheduled",
                "activityScheduledEventDetails",
                "input",
            )
        } else {
            ("TaskScheduled", "taskScheduledEventDetails", "parameters")
        };
        self.event(scheduled.0, || {
            let mut d = if activity {
                json!({"resource": t.resource})
            } else {
                task_event_details(&t.resource, json!({}))
            };
            d[scheduled.2] = json!(text(&params));
            if let Some(h) = heartbeat {
                d["heartbeatInSeconds"] = json!(h);
            }
            if let Some(s) = timeout {
                d["timeoutInSeconds"] = json!(s);
            }
            Some((scheduled.1, d))
        });
        if !activity {
            // An activity starts when a worker takes it (see `callback_journaled`).
            self.event("TaskStarted", || {
                Some((
                    "taskStartedEventDetails",
                    task_event_details(&t.resource, json!({})),
                ))
            });
        }
        let submit = || -> Result<Value, Failure> {
            match self.ex.tasks.resolve(&t.resource, &params) {
                Ok((handler, _)) => handler.invoke(&TaskRequest {
                    task_token: Some(&token),
                    executor: Some(self.ex),
                    resource: &t.resource,
                    input: &params,
                    state_name: env.state.name,
                    clock: &*self.ex.clock,
                }),
                Err(_) => Ok(json!({})),
            }
        };
        let answer = match (&self.journal, self.attempt_key(&env.state)) {
            (Some(j), Some(key)) => {
                match self.callback_journaled(j.as_ref(), &key, t, env, submit, timeout, heartbeat)
                {
                    Some(r) => r,
                    None => return Err(self.history_full()),
                }
            }
            _ => {
                let callbacks = &self.ex.callbacks;
                callbacks.expect(&token);
                if activity {
                    callbacks.post_activity(&t.resource, &token, params.to_string());
                }
                let submitted = submit();
                let r = submitted.and_then(|out| {
                    self.submitted_event(t, &out);
                    let secs = |s: Option<u64>| s.map(Duration::from_secs);
                    let started = |worker: &str| {
                        self.event("ActivityStarted", || {
                            Some(("activityStartedEventDetails", json!({"workerName": worker})))
                        });
                    };
                    match callbacks.wait(
                        &token,
                        secs(timeout),
                        secs(heartbeat),
                        &|| self.stopped(),
                        &started,
                    ) {
                        Ok(r) => r,
                        Err(Unanswered::Timeout) => Err(self.timed_out(t, names::TIMEOUT)),
                        Err(Unanswered::Heartbeat) => {
                            Err(self.timed_out(t, names::HEARTBEAT_TIMEOUT))
                        }
                        Err(Unanswered::Stopped) => Err(self.history_full()),
                    }
                });
                callbacks.forget(&token);
                r
            }
        };
        self.callback_end(t, answer)
    }

    /// The journaled wait: None when the execution parks until the answer or a deadline.
    #[allow(clippy::too_many_arguments)]
    fn callback_journaled(
        &self,
        j: &dyn Journal,
        key: &str,
        t: &Task,
        env: &StateEnv<'_>,
        submit: impl FnOnce() -> Result<Value, Failure>,
        timeout: Option<u64>,
        heartbeat: Option<u64>,
    ) -> Option<Result<Value, Failure>> {
        let submitted_key = format!("{key}/submitted");
        let (output, at) = match j.get(&submitted_key) {
            Some(Entry::Result(Ok(v))) => {
                let at = v["at"]
                    .as_i64()
                    .and_then(chrono::DateTime::from_timestamp_millis)
                    .unwrap_or_else(|| self.ex.clock.now());
                (v["output"].clone(), at)
            }
            _ => {
                self.mark_live(env.state.entered_id);
                let out = match submit() {
                    Ok(out) => out,
                    Err(f) => {
                        j.put(key, &Entry::Result(Err(f.clone())));
                        return Some(Err(f));
                    }
                };
                let at = self.ex.clock.now();
                j.put(
                    &submitted_key,
                    &Entry::Result(Ok(json!({"output": out, "at": at.timestamp_millis()}))),
                );
                (out, at)
            }
        };
        self.submitted_event(t, &output);
        if let (true, Some(Entry::Result(Ok(w)))) =
            (is_activity(&t.resource), j.get(&format!("{key}/started")))
        {
            self.event("ActivityStarted", || {
                Some((
                    "activityStartedEventDetails",
                    json!({"workerName": w["workerName"]}),
                ))
            });
        }
        if let Some(Entry::Result(r)) = j.get(key) {
            if let Err(f) = &r
                && matches!(
                    f.error.as_deref(),
                    Some(names::TIMEOUT) | Some(names::HEARTBEAT_TIMEOUT)
                )
            {
                return Some(Err(self.timed_out(t, f.error.as_deref().unwrap_or(""))));
            }
            return Some(r);
        }
        let now = self.ex.clock.now();
        let secs = |s: u64| chrono::Duration::seconds(s.min(i64::MAX as u64 / 1000) as i64);
        let timeout_at = timeout.map(|s| at + secs(s));
        let beat_at = heartbeat.map(|h| {
            let last = match j.get(&format!("{key}/beat")) {
                Some(Entry::Until(b)) => b.max(at),
                _ => at,
            };
            last + secs(h)
        });
        for (deadline, error) in [
            (timeout_at, names::TIMEOUT),
            (beat_at, names::HEARTBEAT_TIMEOUT),
        ] {
            if deadline.is_some_and(|d| now >= d) {
                self.mark_live(env.state.entered_id);
                let f = Failure::new(error, "");
                j.put(key, &Entry::Result(Err(f)));
                return Some(Err(self.timed_out(t, error)));
            }
        }
        if self.stopped() {
            return None;
        }
        let mut until = now + chrono::Duration::days(LONGEST_WAIT_DAYS);
        for d in [timeout_at, beat_at].into_iter().flatten() {
            until = until.min(d);
        }
        self.suspend_until(until);
        None
    }

    fn submitted_event(&self, t: &Task, output: &Value) {
        if is_activity(&t.resource) {
            return;
        }
        self.event("TaskSubmitted", || {
            Some((
                "taskSubmittedEventDetails",
                task_event_details(&t.resource, json!({"output": text(output)})),
            ))
        });
    }

    /// A callback that timed out: its event, and the failure Retry and Catch see.
    fn timed_out(&self, t: &Task, error: &str) -> Failure {
        let f = Failure {
            error: Some(error.to_string()),
            cause: None,
        };
        if is_activity(&t.resource) {
            self.event("ActivityTimedOut", || {
                Some(("activityTimedOutEventDetails", json!({"error": error})))
            });
        } else {
            self.event("TaskTimedOut", || {
                Some((
                    "taskTimedOutEventDetails",
                    task_event_details(&t.resource, json!({"error": error})),
                ))
            });
        }
        f
    }

    /// The task's end from its answer: TaskSucceeded or TaskFailed (a timeout has its
    /// event already).
    fn callback_end(&self, t: &Task, answer: Result<Value, Failure>) -> Result<Value, Failure> {
        match answer {
            Ok(v) => {
                if is_activity(&t.resource) {
                    self.event("ActivitySucceeded", || {
                        Some(("activitySucceededEventDetails", json!({"output": text(&v)})))
                    });
                } else {
                    self.event("TaskSucceeded", || {
                        Some((
                            "taskSucceededEventDetails",
                            task_event_details(&t.resource, json!({"output": text(&v)})),
                        ))
                    });
                }
                Ok(v)
            }
            Err(f)
                if matches!(
                    f.error.as_deref(),
                    Some(names::TIMEOUT)
                        | Some(names::HEARTBEAT_TIMEOUT)
                        | Some(super::run::HISTORY_FULL)
                ) =>
            {
                Err(f)
            }
            Err(f) => {
                if is_activity(&t.resource) {
                    self.event("ActivityFailed", || {
                        Some((
                            "activityFailedEventDetails",
                            json!({"error": f.error, "cause": f.cause}),
                        ))
                    });
                } else {
                    self.event("TaskFailed", || {
                        Some((
                            "taskFailedEventDetails",
                            task_event_details(
                                &t.resource,
                                json!({"error": f.error, "cause": f.cause}),
                            ),
                        ))
                    });
                }
                Err(f)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_other_text_is_no_token() {
        let t = Token::mint("arn:aws:states:us-east-1:1:execution:m:e", "/Ask#0/try1");
        let text = t.encode();
        assert_eq!(Token::decode(&text), Some(t.clone()));
        assert_ne!(Token::mint("a", "k").secret, Token::mint("a", "k").secret);
        assert_eq!(Token::decode("not a token"), None);
        assert_eq!(Token::decode(""), None);
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"["a","k","xyz"]"#);
        assert_eq!(Token::decode(&forged), None);
    }

    #[test]
    fn an_answer_reaches_the_waiting_task_once() {
        let c = Arc::new(Callbacks::default());
        let token = Token::mint("", "k").encode();
        c.expect(&token);
        let c2 = Arc::clone(&c);
        let t2 = token.clone();
        let waiter = std::thread::spawn(move || {
            c2.wait(&t2, None, None, &|| false, &|_| {})
                .ok()
                .map(|r| r.ok())
        });
        c.answer(&token, Answer::Success(json!({"ok": 1})))
            .expect("answered");
        assert_eq!(waiter.join().unwrap(), Some(Some(json!({"ok": 1}))));
        assert_eq!(
            c.answer(&token, Answer::Success(json!(2))),
            Err(CallbackError::TaskTimedOut(token.clone()))
        );
        c.forget(&token);
        assert!(matches!(
            c.answer(&token, Answer::Heartbeat),
            Err(CallbackError::TaskTimedOut(_))
        ));
        assert!(matches!(
            c.answer("garbage", Answer::Heartbeat),
            Err(CallbackError::InvalidToken(_))
        ));
    }

    #[test]
    fn an_unanswered_token_times_out_by_heartbeat() {
        let c = Callbacks::default();
        let token = Token::mint("", "k").encode();
        c.expect(&token);
        let r = c.wait(
            &token,
            None,
            Some(Duration::from_millis(20)),
            &|| false,
            &|_| {},
        );
        assert!(matches!(r, Err(Unanswered::Heartbeat)));
    }
}
