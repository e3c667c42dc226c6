//! Execution history in the shape of GetExecutionHistory events. Event ids are always
//! counted (error causes quote them); events are only built and kept when asked for.
//!
//! The history also keeps AWS's quota on its size: a Standard execution fails when its
//! history reaches 25,000 events (`States.Runtime`, "The execution reached the maximum
//! number of history events (25000)."), the failure itself being event 25,000. AWS counts
//! inline Map iterations' events too; locally only the events outside Map iterations
//! count unless every AWS limit is on (`Limits::aws`), so that a local Map over
//! millions of items still runs (the run then warns that AWS would fail it).

use crate::exec::Clock;
use crate::exec::clock::format_time;
use serde_json::{Map, Value, json};
use std::cell::Cell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// AWS's quota on a Standard execution's history.
pub const MAX_HISTORY_EVENTS: u64 = 25_000;

/// Whose events the current thread records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// The execution's own states (Parallel branches included).
    Execution,
    /// An inline Map iteration: in the execution's history on AWS.
    MapIteration,
    /// A Distributed Map's child execution: a history of its own on AWS.
    ChildExecution,
}

thread_local! {
    /// Whose events this thread records now.
    static SCOPE: Cell<Scope> = const { Cell::new(Scope::Execution) };
}

/// Marks the current thread as recording the events of `scope` until dropped; the
/// previous mark comes back then, so marks nest as rayon's stolen jobs do.
pub(crate) struct ScopeMark(Scope);

impl ScopeMark {
    pub(crate) fn set(scope: Scope) -> ScopeMark {
        ScopeMark(SCOPE.replace(scope))
    }
}

impl Drop for ScopeMark {
    fn drop(&mut self) {
        SCOPE.set(self.0);
    }
}

/// Whose events the current thread records.
pub(crate) fn current_scope() -> Scope {
    SCOPE.get()
}

/// Whether the current thread runs an inline Map iteration or a child execution.
pub(crate) fn in_map_iteration() -> bool {
    current_scope() != Scope::Execution
}

/// Which events count toward the history quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventLimit {
    /// Events outside inline Map iterations (the local default).
    OutsideMapIterations,
    /// Every event, as AWS counts them.
    All,
}

#[derive(Debug, Default)]
pub struct History {
    next_id: AtomicU64,
    events: Option<Mutex<Vec<Value>>>,
    limit: Option<EventLimit>,
    /// Events outside Map iterations.
    outside_map: AtomicU64,
    /// Events outside Distributed Map child executions (what AWS counts).
    in_history: AtomicU64,
    /// Events of inline Map iterations counted on their partitions' own counters (not
    /// in `next_id`).
    counted_apart: AtomicU64,
    /// Events of Distributed Map child executions counted in `next_id`.
    child_events: AtomicU64,
    /// The quota was reached: nothing more is recorded, the execution fails.
    tripped: AtomicBool,
}

/// The events that end an execution, which the quota leaves room for.
fn is_closing(ty: &str) -> bool {
    ty.starts_with("Execution")
}

impl History {
    pub fn new(record: bool) -> Self {
        History {
            events: record.then(|| Mutex::new(Vec::new())),
            ..History::default()
        }
    }

    /// A history that trips at [`MAX_HISTORY_EVENTS`] events of the kind `limit` counts.
    pub fn with_limit(mut self, limit: Option<EventLimit>) -> Self {
        self.limit = limit;
        self
    }

    /// Whether the history quota was reached.
    pub fn tripped(&self) -> bool {
        self.tripped.load(Ordering::Relaxed)
    }

    /// The events AWS would hold in this execution's history: its own and its inline
    /// Map iterations' (a Distributed Map's children keep histories of their own).
    pub fn total(&self) -> u64 {
        (self.next_id.load(Ordering::Relaxed) + self.counted_apart.load(Ordering::Relaxed))
            .saturating_sub(self.child_events.load(Ordering::Relaxed))
    }

    /// An inline Map partition that counted `n` events on its own counter reports them.
    pub fn add_counted_apart(&self, n: u64) {
        if n > 0 {
            self.counted_apart.fetch_add(n, Ordering::Relaxed);
        }
    }

    pub fn is_recording(&self) -> bool {
        self.events.is_some()
    }

    /// Counts one event and, when recording, stores it. `details` is only called when
    /// recording, so a run without history builds no event.
    /// The id of the last event counted.
    pub fn current(&self) -> u64 {
        self.next_id.load(Ordering::Relaxed)
    }

    pub fn event(
        &self,
        clock: &dyn Clock,
        ty: &str,
        details: impl FnOnce() -> Option<(&'static str, Value)>,
    ) -> u64 {
        self.event_with(None, clock, ty, details)
    }

    /// Counts on `local` instead of the shared counter when not recording: parallel Map
    /// partitions then don't contend on one atomic (their ids are approximate anyway, as
    /// concurrent iterations' events interleave on AWS too).
    pub fn event_with(
        &self,
        local: Option<&AtomicU64>,
        clock: &dyn Clock,
        ty: &str,
        details: impl FnOnce() -> Option<(&'static str, Value)>,
    ) -> u64 {
        let closing = is_closing(ty);
        if !closing && self.tripped() {
            // The quota was reached: AWS records nothing more but the execution's end.
            return self.next_id.load(Ordering::Relaxed);
        }
        let counter = match local {
            Some(c) if self.events.is_none() && self.limit != Some(EventLimit::All) => c,
            _ => &self.next_id,
        };
        let id = counter.fetch_add(1, Ordering::Relaxed) + 1;
        let scope = current_scope();
        if scope == Scope::ChildExecution && std::ptr::eq(counter, &self.next_id) {
            self.child_events.fetch_add(1, Ordering::Relaxed);
        }
        let counted = match (self.limit, scope) {
            (_, Scope::ChildExecution) => 0,
            (Some(EventLimit::All), _) => self.in_history.fetch_add(1, Ordering::Relaxed) + 1,
            (_, Scope::Execution) => self.outside_map.fetch_add(1, Ordering::Relaxed) + 1,
            (_, Scope::MapIteration) => 0,
        };
        if !closing && self.limit.is_some() && counted >= MAX_HISTORY_EVENTS {
            // This event would be the 25,000th: the execution's failure takes its place.
            self.tripped.store(true, Ordering::Relaxed);
            counter.fetch_sub(1, Ordering::Relaxed);
            return id - 1;
        }
        if let Some(ev) = &self.events {
            let mut e = Map::new();
            e.insert("id".into(), json!(id));
            e.insert("timestamp".into(), Value::String(format_time(clock.now())));
            e.insert("type".into(), Value::String(ty.to_string()));
            if let Some((k, v)) = details() {
                e.insert(k.into(), v);
            }
            ev.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(Value::Object(e));
        }
        id
    }

    pub fn into_events(self) -> Vec<Value> {
        self.events
            .map(|m| m.into_inner().unwrap_or_else(|p| p.into_inner()))
            .unwrap_or_default()
    }
}

/// JSON text of a value, as history events carry payloads.
pub fn text(v: &Value) -> Value {
    Value::String(serde_json::to_string(v).unwrap_or_default())
}
/// A StateExited event's details: with the variables the state assigned, as AWS
/// records them (`assignedVariables`, name → JSON text).
pub(crate) fn exited_details(
    name: &str,
    output: Value,
    assigned: Option<serde_json::Map<String, Value>>,
) -> Value {
    let mut d = json!({"name": name, "output": output});
    if let Some(a) = assigned {
        d["assignedVariables"] = Value::Object(a);
        d["assignedVariablesDetails"] = json!({"truncated": false});
    }
    d
}
