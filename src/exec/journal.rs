//! The seam between the interpreter and a durable store: a journal of what an
//! execution's effects gave, keyed by where they happened.
//!
//! A run with a journal ([`super::RunOptions::journal`]) asks it before each effect:
//! - a Task attempt: recorded → its result, without running the task again; not
//!   recorded → run it and record the result before going on;
//! - a Wait or a Retry interval: the time it ends is recorded on first reach; a replay
//!   waits only for what is left, and a wait the journal says to [`Journal::park`]
//!   suspends the execution instead of holding a thread: the run unwinds (no Retry or
//!   Catch sees it) and ends [`super::Status::Suspended`] with the time to wake it.
//!
//! Re-running a suspended or crashed execution from its start with the same journal
//! replays it: pure steps are computed again, effects come from the journal, so it goes
//! on from the last recorded point. Keys are structural, so a replay meets the same keys
//! in the same places: `/Fetch#0` (the first entry into state Fetch of the top scope),
//! `/Split#0/b1/Work#0` (branch 1 of a Parallel), `/Each#0/i37/Call#2` (item 37 of a
//! Map, the third entry into Call), then `/try1` (the second attempt of a Task), `/wait`,
//! `/retry0`.
//!
//! Not journaled (recomputed on a replay): `$$.State.EnteredTime`, `$$` timestamps of
//! states, `States.UUID`, `$uuid`, `$random`, `$now`, retry jitter.

use crate::asl::Failure;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// What the journal holds for one key.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// A Task attempt's result.
    Result(Result<Value, Failure>),
    /// When a Wait or a Retry interval ends.
    Until(DateTime<Utc>),
}

impl Entry {
    /// The entry as JSON, for a store.
    pub fn to_json(&self) -> Value {
        match self {
            Entry::Result(Ok(v)) => json!({"ok": v}),
            Entry::Result(Err(f)) => json!({"error": f.error, "cause": f.cause}),
            Entry::Until(t) => json!({"until": t.timestamp_millis()}),
        }
    }

    /// An entry from [`Entry::to_json`]'s JSON.
    pub fn from_json(v: &Value) -> Option<Entry> {
        if let Some(ok) = v.get("ok") {
            return Some(Entry::Result(Ok(ok.clone())));
        }
        if let Some(ms) = v.get("until").and_then(Value::as_i64) {
            return DateTime::from_timestamp_millis(ms).map(Entry::Until);
        }
        if v.get("error").is_some() || v.get("cause").is_some() {
            return Some(Entry::Result(Err(Failure {
                error: v["error"].as_str().map(str::to_string),
                cause: v["cause"].as_str().map(str::to_string),
            })));
        }
        None
    }
}

/// A durable record of an execution's effects (see the module doc).
pub trait Journal: Send + Sync + std::fmt::Debug {
    /// The entry recorded under `key`, if any.
    fn get(&self, key: &str) -> Option<Entry>;
    /// Records `entry` under `key`; returns once it is durable.
    fn put(&self, key: &str, entry: &Entry);
    /// Whether a wait until `until` should suspend the execution (free its thread)
    /// rather than sleep.
    fn park(&self, until: DateTime<Utc>) -> bool;
}
