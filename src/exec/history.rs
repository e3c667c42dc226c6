//! Execution history in the shape of GetExecutionHistory events. Event ids are always
//! counted (error causes quote them); events are only built and kept when asked for.

use crate::exec::Clock;
use crate::exec::clock::format_time;
use serde_json::{Map, Value, json};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct History {
    next_id: AtomicU64,
    events: Option<Mutex<Vec<Value>>>,
}

impl History {
    pub fn new(record: bool) -> Self {
        History {
            next_id: AtomicU64::new(0),
            events: record.then(|| Mutex::new(Vec::new())),
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
        let counter = match local {
            Some(c) if self.events.is_none() => c,
            _ => &self.next_id,
        };
        let id = counter.fetch_add(1, Ordering::Relaxed) + 1;
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
