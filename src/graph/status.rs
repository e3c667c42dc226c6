//! What happened to each state of an execution, read from its history events (in
//! GetExecutionHistory's shape): the colours of the console's and the report's graph,
//! and what clicking a state shows.
use serde_json::{Value, json};
use std::collections::HashMap;

/// A state's status, as the console colours it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Status {
    #[default]
    NotReached,
    InProgress,
    Succeeded,
    Failed,
    /// Failed, and a Catcher took the error.
    Caught,
}

impl Status {
    /// The CSS class of a node with this status.
    pub fn class(self) -> &'static str {
        match self {
            Status::NotReached => "not-reached",
            Status::InProgress => "in-progress",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Caught => "caught",
        }
    }
}

/// What the history says of one state: its status and its last input, output and error.
#[derive(Debug, Clone, Default)]
pub struct StateRecord {
    pub status: Status,
    /// Times entered (Map iterations and loops enter a state many times).
    pub entered: u64,
    pub input: Option<String>,
    pub output: Option<String>,
    pub error: Option<String>,
    pub cause: Option<String>,
    /// Variables assigned when it exited (`assignedVariables`), as JSON texts.
    pub variables: Option<Value>,
}

impl StateRecord {
    pub fn to_json(&self) -> Value {
        json!({
            "status": self.status.class(),
            "entered": self.entered,
            "input": self.input,
            "output": self.output,
            "error": self.error,
            "cause": self.cause,
            "variables": self.variables,
        })
    }
}

/// The statuses of the states (by name) of an execution with these events.
pub fn statuses_from_history(events: &[Value]) -> HashMap<String, StateRecord> {
    let mut t = Tracker::default();
    for e in events {
        t.feed(e);
    }
    t.states
}

/// Reads a history one event at a time (a long history need not be held whole).
#[derive(Debug, Default)]
pub struct Tracker {
    pub states: HashMap<String, StateRecord>,
    /// States entered and not yet exited (name, type), innermost last.
    open: Vec<(String, String)>,
}

impl Tracker {
    /// Takes the next event into account.
    pub fn feed(&mut self, e: &Value) {
        let states = &mut self.states;
        let open = &mut self.open;
        let ty = e.get("type").and_then(Value::as_str).unwrap_or("");
        if let Some(d) = e.get("stateEnteredEventDetails") {
            let name = d
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            let r = states.entry(name.clone()).or_default();
            r.entered += 1;
            r.input = d.get("input").and_then(Value::as_str).map(str::to_string);
            r.status = if ty == "FailStateEntered" {
                Status::Failed
            } else {
                Status::InProgress
            };
            open.retain(|(n, _)| *n != name);
            open.push((
                name,
                ty.strip_suffix("StateEntered").unwrap_or(ty).to_string(),
            ));
            return;
        }
        if let Some(d) = e.get("stateExitedEventDetails") {
            let name = d.get("name").and_then(Value::as_str).unwrap_or("");
            let r = states.entry(name.to_string()).or_default();
            r.output = d.get("output").and_then(Value::as_str).map(str::to_string);
            if let Some(v) = d.get("assignedVariables") {
                r.variables = Some(v.clone());
            }
            // Exited after a failure: a Catcher took it.
            r.status = if r.status == Status::Failed {
                Status::Caught
            } else {
                Status::Succeeded
            };
            // It and what it held (a Map's or Parallel's inner states) are done.
            if let Some(i) = open.iter().position(|(n, _)| n == name) {
                open.truncate(i);
            }
            return;
        }
        let details = e.as_object().and_then(|o| {
            o.iter()
                .find(|(k, _)| k.ends_with("EventDetails"))
                .map(|(_, v)| v)
        });
        if ty.starts_with("Execution") {
            let ended = matches!(
                ty,
                "ExecutionFailed" | "ExecutionTimedOut" | "ExecutionAborted"
            );
            if ended {
                // What was still running ends with the execution.
                for (n, _) in open.drain(..) {
                    let r = states.entry(n).or_default();
                    if r.status != Status::Failed || r.error.is_none() {
                        r.status = Status::Failed;
                        set_error(r, details, ty);
                    }
                }
            }
            return;
        }
        let failed = ty.ends_with("Failed") || ty.ends_with("TimedOut");
        let running =
            ty.ends_with("Scheduled") || ty.ends_with("Started") || ty.ends_with("Submitted");
        if ty.starts_with("MapIteration") || ty.starts_with("MapRun") {
            return;
        }
        // A Map's or Parallel's own events are its; the others the innermost state's.
        let owner = ["Map", "Parallel"]
            .into_iter()
            .find(|k| ty.starts_with(k) && ty.contains("State"))
            .map_or_else(|| open.last(), |k| open.iter().rev().find(|(_, t)| *t == k));
        let Some((current, _)) = owner else { return };
        let r = states.entry(current.clone()).or_default();
        if failed {
            r.status = Status::Failed;
            set_error(r, details, ty);
        } else if running && r.status == Status::Failed {
            // A Retrier's next attempt.
            r.status = Status::InProgress;
        }
    }
}

fn set_error(r: &mut StateRecord, details: Option<&Value>, ty: &str) {
    let field = |k: &str| {
        details
            .and_then(|d| d.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    r.error = field("error").or_else(|| Some(ty.to_string()));
    r.cause = field("cause");
}
