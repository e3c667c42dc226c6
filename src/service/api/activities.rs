//! Activities: CreateActivity, DescribeActivity, DeleteActivity, ListActivities, and
//! GetActivityTask for workers. A Task whose Resource is an activity ARN waits as a
//! callback does (parked, no thread); its token and input wait in the store until one
//! worker takes them (a long poll of up to 60 s, as on AWS); the worker answers with
//! SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat. HeartbeatSeconds counts from
//! when the worker took the task, TimeoutSeconds from when it was scheduled.

use super::{Req, list_page, now};
use crate::asl::Failure;
use crate::exec::callback::Token;
use crate::exec::journal::Entry;
use crate::exec::{Executor, TaskHandler, TaskRequest};
use crate::service::Service;
use crate::service::arn::{check_name, parse_activity};
use crate::service::error::{ApiError, ApiResult, Code};
use crate::service::store::{Activity, ActivityTask};
use serde_json::{Value, json};
use std::sync::{Condvar, Mutex, Weak};
use std::time::{Duration, Instant};

/// How long GetActivityTask waits for a task (AWS: 60 seconds).
const LONG_POLL: Duration = Duration::from_secs(60);

/// Wakes the workers polling when a task is queued.
#[derive(Default)]
pub struct Posted {
    generation: Mutex<u64>,
    changed: Condvar,
}

impl Posted {
    fn notify(&self) {
        *self.generation.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        self.changed.notify_all();
    }
}

/// Queues the tasks of activity Resources for their workers.
struct Schedule {
    service: Weak<Service>,
}

/// Registers the handler of every activity ARN on the server's executor.
pub fn register(executor: &mut Executor, service: Weak<Service>) {
    executor.register_task("arn:aws:states:*:*:activity:*", Schedule { service });
}

impl TaskHandler for Schedule {
    fn answers_later(&self) -> bool {
        true
    }

    fn invoke(&self, req: &TaskRequest<'_>) -> Result<Value, Failure> {
        let s = self
            .service
            .upgrade()
            .ok_or_else(|| Failure::new("States.Runtime", "the server is shutting down"))?;
        let missing = || {
            Failure::new(
                "ActivityDoesNotExist",
                format!("Activity Does Not Exist: '{}'", req.resource),
            )
        };
        if !matches!(s.store.activity(req.resource), Ok(Some(_))) {
            return Err(missing());
        }
        let token = req
            .task_token
            .and_then(|t| Token::decode(t).map(|d| (t, d)))
            .ok_or_else(|| Failure::new("States.Runtime", "an activity task needs a token"))?;
        let task = ActivityTask {
            token: token.0.to_string(),
            input: req.input.to_string(),
            execution_arn: token.1.execution.clone(),
            task_key: token.1.key.clone(),
        };
        s.store
            .add_activity_task(req.resource, &task, now())
            .map_err(|e| {
                Failure::new("States.Runtime", format!("could not queue the task: {e}"))
            })?;
        s.activity_posted.notify();
        Ok(json!({}))
    }
}

fn activity_json(a: &Activity) -> Value {
    json!({"activityArn": a.arn, "name": a.name, "creationDate": a.created})
}

fn find(s: &Service, arn: &str) -> ApiResult<Activity> {
    parse_activity(arn)?;
    s.store.activity(arn)?.ok_or_else(|| {
        ApiError::new(
            Code::ActivityDoesNotExist,
            format!("Activity Does Not Exist: '{arn}'"),
        )
    })
}

pub(super) fn create(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let name = r.str("name")?;
    check_name(name, "activity")?;
    let a = Activity {
        arn: s.place.activity(name),
        name: name.to_string(),
        created: now(),
    };
    // An existing activity of that name is that activity (AWS: idempotent).
    if !s.store.insert_activity(&a)? {
        let old = find(s, &a.arn)?;
        return Ok(json!({"activityArn": old.arn, "creationDate": old.created}));
    }
    if let Some(tags) = r.get("tags").and_then(Value::as_array) {
        let pairs: Vec<(String, String)> = tags
            .iter()
            .filter_map(|t| Some((t["key"].as_str()?.into(), t["value"].as_str()?.into())))
            .collect();
        s.store.set_tags(&a.arn, &pairs)?;
    }
    Ok(json!({"activityArn": a.arn, "creationDate": a.created}))
}

pub(super) fn describe(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    Ok(activity_json(&find(s, r.str("activityArn")?)?))
}

pub(super) fn delete(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let arn = r.str("activityArn")?;
    parse_activity(arn)?;
    s.store.delete_activity(arn)?;
    Ok(json!({}))
}

pub(super) fn list(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    list_page(
        r,
        "activities",
        |offset, limit| s.store.activities(offset, limit),
        |rows| rows.iter().map(activity_json).collect(),
    )
}

/// Whether the task a worker would get is still waiting for its token (its execution
/// runs and has no answer for it), as SendTaskSuccess would find it.
fn still_waiting(s: &Service, t: &ActivityTask) -> ApiResult<bool> {
    match super::callbacks::waiting(s, &t.token) {
        Ok(_) => Ok(true),
        Err(e) if e.code == Code::InternalFailure => Err(e),
        Err(_) => Ok(false),
    }
}

pub(super) fn get_task(s: &Service, r: &Req<'_>) -> ApiResult<Value> {
    let arn = r.str("activityArn")?;
    find(s, arn)?;
    let worker = r.opt_str("workerName")?.unwrap_or("");
    if worker.chars().count() > 80 {
        return Err(ApiError::new(
            Code::ValidationException,
            "1 validation error detected: Value at 'workerName' failed to satisfy constraint: Member must have length less than or equal to 80",
        ));
    }
    let deadline = Instant::now() + LONG_POLL;
    loop {
        let seen = *s
            .activity_posted
            .generation
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        while let Some(t) = s.store.take_activity_task(arn, worker, now())? {
            if !still_waiting(s, &t)? {
                s.store.remove_activity_task(&t.token)?;
                continue;
            }
            // The worker has it: the heartbeat counts from now, and the history says who.
            let put = |key: String, e: Entry| {
                s.store
                    .put_journal(&t.execution_arn, &key, &e.to_json().to_string())
            };
            put(
                format!("{}/started", t.task_key),
                Entry::Result(Ok(json!({"workerName": worker}))),
            )?;
            put(
                format!("{}/beat", t.task_key),
                Entry::Until(chrono::Utc::now()),
            )?;
            return Ok(json!({"taskToken": t.token, "input": t.input}));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            // No task: AWS answers with neither token nor input.
            return Ok(json!({}));
        }
        let g = s
            .activity_posted
            .generation
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if *g == seen {
            let _ = s
                .activity_posted
                .changed
                .wait_timeout(g, left.min(Duration::from_secs(1)))
                .unwrap_or_else(|p| p.into_inner());
        }
    }
}
