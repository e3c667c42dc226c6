//! AWS's execution limits, and the warnings a local run gives when it passes one that
//! is off here. A definition that runs locally must also run on AWS: where a local run
//! goes past a limit AWS would enforce (a 2 MB input, a Map that fills the history), it
//! still runs, but says on stderr that AWS would fail it, which limit, and what to change.
//!
//! The limits (AWS's "Step Functions service quotas" page):
//! - 262,144 bytes (UTF-8 JSON) for the execution input, a state's output and a task's
//!   result (`States.DataLimitExceeded`). Task results are always held to it here, as
//!   the services themselves do.
//! - 25,000 history events for a Standard execution (see [`super::history`]), inline Map
//!   iterations included; Express executions have no such quota.
//! - 5 minutes for an Express execution, one year for a Standard one (`States.Timeout`).

use super::MAX_PAYLOAD_BYTES;
use crate::asl::Failure;
use crate::asl::failure::names;
use crate::asl::model::State;
use serde_json::Value;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};

/// Which of AWS's limits a run enforces. The default is the local one: the history
/// quota counts events outside Map iterations only, and the input, state payloads and
/// Express duration are not enforced (a run that passes them warns). [`Limits::aws`]
/// enforces every limit as AWS does (`asl run --aws-limits`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Fail a Standard execution whose history reaches 25,000 events outside inline Map
    /// iterations. On by default: it stops a loop that never exits, as AWS would.
    pub history_events: bool,
    /// Count the events of inline Map iterations toward the quota too, as AWS does.
    pub map_iteration_events: bool,
    /// The execution input is at most 262,144 bytes (StartExecution's limit).
    pub execution_input: bool,
    /// A state's output is at most 262,144 bytes.
    pub state_payloads: bool,
    /// An Express execution runs at most 5 minutes.
    pub express_duration: bool,
    /// A Standard execution runs at most a year.
    pub standard_duration: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            history_events: true,
            map_iteration_events: false,
            execution_input: false,
            state_payloads: false,
            express_duration: false,
            standard_duration: false,
        }
    }
}

impl Limits {
    /// Every limit, as AWS enforces them.
    pub fn aws() -> Limits {
        Limits {
            history_events: true,
            map_iteration_events: true,
            execution_input: true,
            state_payloads: true,
            express_duration: true,
            standard_duration: true,
        }
    }
}

/// The longest an Express execution may run, in seconds.
pub const EXPRESS_MAX_SECONDS: i64 = 300;

/// The longest a Standard execution may run (one year), in seconds; enforced with the
/// other AWS limits ([`Limits::aws`]).
pub const STANDARD_MAX_SECONDS: i64 = 365 * 24 * 3600;

/// Whether `v`, serialized as JSON, is longer than `limit` bytes. Stops serializing as
/// soon as it is, so a check on a large value costs no more than `limit` bytes' worth.
pub(crate) fn exceeds(v: &Value, limit: usize) -> bool {
    // Most payloads are far below the limit: a walk that bounds their length from above
    // without looking at the bytes of strings settles them (serializing every state's
    // output to count it was a quarter of the time of a small Parallel of Pass states).
    if within(v, limit).is_some() {
        return false;
    }
    struct Counter {
        n: usize,
        limit: usize,
    }
    impl std::io::Write for Counter {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.n += b.len();
            if self.n > self.limit {
                return Err(std::io::Error::other("over the limit"));
            }
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Counter { n: 0, limit };
    serde_json::to_writer(&mut c, v).is_err() && c.n > limit
}

/// An upper bound of the length of `v` serialized as JSON, if it is at most `budget`:
/// a string's bytes may each take 6 when escaped (`\u001f`), a number at most 24.
fn within(v: &Value, budget: usize) -> Option<usize> {
    let n = match v {
        Value::Null | Value::Bool(_) => 5,
        Value::Number(_) => 24,
        Value::String(s) => 2 + 6 * s.len(),
        Value::Array(a) => {
            let mut n = 1 + a.len();
            for x in a {
                n += within(x, budget.checked_sub(n)?)?;
            }
            n
        }
        Value::Object(m) => {
            let mut n = 1 + m.len();
            for (k, x) in m {
                n += 3 + 6 * k.len();
                n += within(x, budget.checked_sub(n)?)?;
            }
            n
        }
    };
    (n <= budget).then_some(n)
}

/// Whether a payload is over AWS's 256 KiB limit.
pub(crate) fn over_payload_limit(v: &Value) -> bool {
    exceeds(v, MAX_PAYLOAD_BYTES)
}

/// The kinds of warning, each given once per execution.
#[derive(Debug, Clone, Copy)]
#[repr(u8)]
pub(crate) enum Passed {
    ExecutionInput = 1,
    StatePayload = 2,
    HistoryEvents = 4,
    ExpressDuration = 8,
}

/// The warnings of one execution.
#[derive(Debug, Default)]
pub(crate) struct Warnings {
    given: AtomicU8,
    texts: Mutex<Vec<String>>,
}

impl Warnings {
    /// Adds the warning of kind `kind` unless one was given already.
    pub(crate) fn once(&self, kind: Passed, text: impl FnOnce() -> String) {
        let bit = kind as u8;
        if self.given.fetch_or(bit, Ordering::Relaxed) & bit == 0 {
            self.texts
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(text());
        }
    }

    pub(crate) fn into_texts(self) -> Vec<String> {
        self.texts.into_inner().unwrap_or_else(|p| p.into_inner())
    }
}

impl super::run::Run<'_> {
    /// A state's output over 256 KiB: a failure under AWS's limits, else a warning.
    pub(crate) fn check_output(&self, st: &State, output: &Value) -> Result<(), Failure> {
        // Outputs inside Map iterations are left to the Map's own output (which holds
        // them) unless the limit is enforced: the check would cost every item.
        if !self.limits.state_payloads && super::history::in_map_iteration() {
            return Ok(());
        }
        if !over_payload_limit(output) {
            return Ok(());
        }
        self.output_over_limit(st)
    }

    /// A state's output is over the payload limit: the failure when the limit is
    /// enforced, else the warning (once).
    pub(crate) fn output_over_limit(&self, st: &State) -> Result<(), Failure> {
        let cause = format!(
            "The state/task '{}' returned a result with a size exceeding the maximum number of bytes service limit.",
            st.name
        );
        if self.limits.state_payloads {
            return Err(Failure::new(names::DATA_LIMIT_EXCEEDED, cause));
        }
        self.warnings.once(Passed::StatePayload, || {
            format!(
                "AWS would fail this execution with States.DataLimitExceeded: the output of state '{}' is over the limit of {MAX_PAYLOAD_BYTES} bytes. On AWS, keep large data in S3 (a Distributed Map's ResultWriter writes results there) and pass references (--aws-limits enforces the limit here).",
                st.name
            )
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn exceeds_agrees_with_the_serialized_length() {
        let v = json!({"a": "x".repeat(100), "b": [1, 2, 3]});
        let len = serde_json::to_string(&v).unwrap().len();
        assert!(!exceeds(&v, len));
        assert!(exceeds(&v, len - 1));
        assert!(!exceeds(&json!(null), 4));
        assert!(exceeds(&json!(null), 3));
        // Strings that escape to six bytes a byte, numbers of 24 characters, deep nesting:
        // the exact length decides near the limit, whatever the bound says.
        let v =
            json!({"\u{1}k": ["\u{1f}\u{2}\n", -1.2345678901234567e-300, [[[{"x": null}]]], true]});
        let len = serde_json::to_string(&v).unwrap().len();
        assert!(!exceeds(&v, len));
        assert!(exceeds(&v, len - 1));
        for limit in 0..len + 200 {
            assert_eq!(exceeds(&v, limit), len > limit, "limit {limit}");
        }
        if let Some(bound) = within(&v, usize::MAX) {
            assert!(bound >= len);
        }
    }

    #[test]
    fn a_warning_is_given_once_per_kind() {
        let w = Warnings::default();
        w.once(Passed::StatePayload, || "first".into());
        w.once(Passed::StatePayload, || "second".into());
        w.once(Passed::HistoryEvents, || "events".into());
        assert_eq!(w.into_texts(), vec!["first", "events"]);
    }
}
