//! A Distributed Map's progress in the execution's journal, so that a Map Run that a
//! crash (or a stop) interrupted resumes with the items whose results are not yet
//! written, instead of running them all again.
//!
//! Between two chunks of items, every [`CHECKPOINT_ITEMS`] items or
//! [`CHECKPOINT_SECONDS`] seconds, the ResultWriter's open files are committed (renamed
//! into place) and a checkpoint is journaled under `{state key}/maprun/progress`: the
//! items done, the reader's items consumed, the success and failure counts, and the
//! result files so far. A replay of the Map (same Map Run, its id is journaled too)
//! keeps those files as they are, removes what the interrupted run wrote after them,
//! skips the items done and goes on. So in `asl serve` a long Map Run's results come in
//! several files (one or more per checkpoint), each item in exactly one of them.
//!
//! Only a Map that exports its results has checkpoints (inline results would have to be
//! journaled themselves). A Map Run that fails forgets its checkpoint: a redrive runs it
//! again from its first item.

use super::Ctl;
use super::drain::Drain;
use crate::asl::Failure;
use crate::exec::journal::{Entry, Journal};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Items between two checkpoints.
pub(super) const CHECKPOINT_ITEMS: usize = 100_000;
/// Longest time between two checkpoints while items complete (slow items).
pub(super) const CHECKPOINT_SECONDS: u64 = 10;

/// Where a Map Run is, as a checkpoint records it.
#[derive(Debug, Default, Clone, PartialEq)]
pub(super) struct Checkpoint {
    /// Items (or batches, with an ItemBatcher) done: the index of the next one.
    pub items: usize,
    /// Items of the reader consumed (with an ItemBatcher, those of whole batches).
    pub read: usize,
    pub done: u64,
    pub failures: u64,
    /// The committed result files (see [`crate::io::writer::ResultSink::commit_open`]).
    pub files: Value,
}

impl Checkpoint {
    fn to_json(&self) -> Value {
        json!({"items": self.items, "read": self.read, "done": self.done,
               "failures": self.failures, "files": self.files})
    }

    fn from_json(v: &Value) -> Option<Checkpoint> {
        Some(Checkpoint {
            items: v["items"].as_u64()? as usize,
            read: v["read"].as_u64()? as usize,
            done: v["done"].as_u64()?,
            failures: v["failures"].as_u64()?,
            files: v["files"].clone(),
        })
    }
}

/// The checkpoints of one Map Run.
pub(super) struct Checkpoints {
    journal: Arc<dyn Journal>,
    key: String,
    /// Items done at the last checkpoint, and when it was taken.
    last_items: usize,
    last_at: Instant,
}

impl Checkpoints {
    /// The checkpoints of the Map whose state entry has journal key `state_key`, and the
    /// last one recorded (a default one when there is none).
    pub fn open(journal: Arc<dyn Journal>, state_key: &str) -> (Checkpoints, Checkpoint) {
        let key = format!("{state_key}/maprun/progress");
        let last = match journal.get(&key) {
            Some(Entry::Result(Ok(v))) => Checkpoint::from_json(&v).unwrap_or_default(),
            _ => Checkpoint::default(),
        };
        let c = Checkpoints {
            journal,
            key,
            last_items: last.items,
            last_at: Instant::now(),
        };
        (c, last)
    }

    /// Takes a checkpoint when enough items (or time) passed since the last one, or
    /// when `now` and any item has been done since. `read` is the reader's items
    /// consumed whose results are drained.
    pub fn maybe(
        &mut self,
        drain: &mut Drain,
        ctl: &Ctl,
        read: usize,
        now: bool,
    ) -> Result<(), Failure> {
        let items = drain.base.saturating_sub(self.last_items);
        if items == 0
            || (!now
                && items < CHECKPOINT_ITEMS
                && self.last_at.elapsed() < Duration::from_secs(CHECKPOINT_SECONDS))
        {
            return Ok(());
        }
        drain.settle()?;
        let Some(sink) = drain.sink.as_mut() else {
            return Ok(());
        };
        let files = sink.commit_open()?;
        let c = Checkpoint {
            items: drain.base,
            read,
            done: ctl.counters.done.load(Ordering::Relaxed),
            failures: ctl.counters.failures.load(Ordering::Relaxed),
            files,
        };
        self.journal.put(&self.key, &Entry::Result(Ok(c.to_json())));
        self.last_items = drain.base;
        self.last_at = Instant::now();
        Ok(())
    }

    /// Forgets the progress (a failed Map Run runs all its items again when redriven).
    pub fn forget(journal: &dyn Journal, state_key: &str) {
        let key = format!("{state_key}/maprun/progress");
        if journal.get(&key).is_some() {
            journal.put(&key, &Entry::Result(Ok(Checkpoint::default().to_json())));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_reads_back_what_it_wrote() {
        let c = Checkpoint {
            items: 200_000,
            read: 200_000,
            done: 200_000,
            failures: 3,
            files: json!({"SUCCEEDED": [{"Key": "run/x/SUCCEEDED_0.json", "Size": 10}], "FAILED": []}),
        };
        assert_eq!(Checkpoint::from_json(&c.to_json()), Some(c));
        assert_eq!(Checkpoint::from_json(&json!({"items": 1})), None);
    }
}
