//! The typed, resolved state machine: names are [`StateId`]s, paths are parsed,
//! `Next`/`End` is a [`Transition`]. Built from a definition that the validator
//! accepted (see [`load`]); later stages never see invalid shapes.

pub mod jsonata;
mod load;
pub mod template;

pub use jsonata::Ata;
pub use load::{load_text, load_value};
pub use template::Template;

use crate::asl::choice::Rule;
use crate::asl::intrinsic::Call;
use crate::asl::path::JsonPath;
use serde_json::Value;
use std::collections::HashMap;

/// Index of a state inside its [`StateMachine`] (a scope: the top level, a Parallel
/// branch or a Map item processor).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StateId(pub u32);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryLanguage {
    JsonPath,
    JsonAta,
}

/// One scope of states.
#[derive(Debug, Clone)]
pub struct StateMachine {
    pub comment: Option<String>,
    pub start_at: StateId,
    pub states: Vec<State>,
    pub by_name: HashMap<String, StateId>,
    pub timeout_seconds: Option<u64>,
    pub query_language: QueryLanguage,
}

/// How a Task with `resource` waits for an answer from outside its execution (a
/// token, a job, a worker), in the words of AWS's refusals; None for one that doesn't.
pub fn waiting_pattern(resource: &str) -> Option<&'static str> {
    if resource.ends_with(".waitForTaskToken") {
        Some("'.waitForTaskToken' service integration")
    } else if resource.contains(".sync") {
        Some("'.sync' service integration")
    } else if resource.starts_with("arn:") && resource.split(':').nth(5) == Some("activity") {
        Some("Activity ARN")
    } else {
        None
    }
}

impl StateMachine {
    pub fn state(&self, id: StateId) -> &State {
        &self.states[id.0 as usize]
    }
    pub fn id_of(&self, name: &str) -> Option<StateId> {
        self.by_name.get(name).copied()
    }

    /// What an Express state machine can't run (AWS: "Express Workflows do not support
    /// Job-run (.sync) or Callback (.waitForTaskToken) service integration patterns",
    /// nor activities): one line per Task, naming its state.
    pub fn express_refusals(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.for_each_task(&mut |state, resource| {
            if let Some(p) = waiting_pattern(resource) {
                out.push(format!(
                    "state '{state}': Express state machine does not support {p} ({resource})"
                ));
            }
        });
        out
    }

    /// Calls `f(state name, resource)` for every Task, nested branches and item
    /// processors included.
    pub fn for_each_task(&self, f: &mut dyn FnMut(&str, &str)) {
        for st in &self.states {
            match &st.kind {
                StateKind::Task(t) => f(&st.name, &t.resource),
                StateKind::Parallel(p) => p.branches.iter().for_each(|b| b.for_each_task(f)),
                StateKind::Map(m) => m.processor.for_each_task(f),
                _ => {}
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Next(StateId),
    End,
    /// Choice, Succeed and Fail decide for themselves.
    None,
}

/// A path field that may be absent (the default, `$`), `null`, or a path.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum PathField {
    #[default]
    Default,
    Null,
    Path(JsonPath),
}

/// The input/output processing fields shared by most state types.
#[derive(Debug, Clone, Default)]
pub struct Io {
    pub input_path: PathField,
    pub parameters: Option<Template>,
    pub result_selector: Option<Template>,
    pub result_path: PathField,
    pub output_path: PathField,
}

#[derive(Debug, Clone)]
pub struct State {
    pub name: String,
    pub comment: Option<String>,
    /// The state's query language (its own, or inherited from the machine).
    pub ql: QueryLanguage,
    /// The JSONata fields of a JSONata state.
    pub ata: Option<Box<AtaFields>>,
    pub kind: StateKind,
    pub io: Io,
    pub assign: Option<Template>,
    pub transition: Transition,
    pub retry: Vec<Retrier>,
    pub catch: Vec<Catcher>,
}

impl State {
    pub fn type_name(&self) -> &'static str {
        match &self.kind {
            StateKind::Pass(_) => "Pass",
            StateKind::Task(_) => "Task",
            StateKind::Choice(_) => "Choice",
            StateKind::Wait(_) => "Wait",
            StateKind::Succeed => "Succeed",
            StateKind::Fail(_) => "Fail",
            StateKind::Parallel(_) => "Parallel",
            StateKind::Map(_) => "Map",
        }
    }
}

/// Arguments, Output and Assign of a JSONata state.
#[derive(Debug, Clone, Default)]
pub struct AtaFields {
    pub arguments: Option<Ata>,
    pub output: Option<Ata>,
    pub assign: Option<Ata>,
}

#[derive(Debug, Clone)]
pub enum StateKind {
    Pass(Pass),
    Task(Box<Task>),
    Choice(Choice),
    Wait(Wait),
    Succeed,
    Fail(Fail),
    Parallel(Parallel),
    Map(Box<Map>),
}

#[derive(Debug, Clone)]
pub struct Pass {
    pub result: Option<Value>,
}

/// A number given literally or read from a path at run time.
#[derive(Debug, Clone)]
pub enum Dynamic<T> {
    Value(T),
    Path(JsonPath),
    /// A JSONata expression (`{% … %}`), in JSONata states.
    Ata(Ata),
}

#[derive(Debug, Clone)]
pub struct Task {
    pub resource: String,
    pub timeout_seconds: Option<Dynamic<u64>>,
    pub heartbeat_seconds: Option<Dynamic<u64>>,
    pub credentials: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct ChoiceBranch {
    /// A JSONPath rule, or a JSONata `Condition`.
    pub rule: Option<Rule>,
    pub condition: Option<Ata>,
    pub next: StateId,
    pub assign: Option<Template>,
    /// JSONata Assign and Output of the rule.
    pub ata: Option<Box<AtaFields>>,
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub choices: Vec<ChoiceBranch>,
    pub default: Option<StateId>,
}

#[derive(Debug, Clone)]
pub enum WaitFor {
    Seconds(f64),
    Timestamp(String),
    SecondsPath(JsonPath),
    TimestampPath(JsonPath),
    /// JSONata `Seconds` or `Timestamp` (`timestamp` true).
    Ata {
        expr: Ata,
        timestamp: bool,
    },
}

#[derive(Debug, Clone)]
pub struct Wait {
    pub wait: WaitFor,
}

/// Error or Cause of a Fail state: literal, from a path, or from an intrinsic call.
#[derive(Debug, Clone)]
pub enum FailField {
    Literal(String),
    Path(JsonPath),
    Intrinsic(Call),
    Ata(Ata),
}

#[derive(Debug, Clone, Default)]
pub struct Fail {
    pub error: Option<FailField>,
    pub cause: Option<FailField>,
}

#[derive(Debug, Clone)]
pub struct Parallel {
    pub branches: Vec<StateMachine>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessorMode {
    Inline,
    Distributed,
}

#[derive(Debug, Clone)]
pub struct Map {
    pub processor: StateMachine,
    pub mode: ProcessorMode,
    pub items_path: PathField,
    /// ItemSelector, or the legacy Parameters of a Map.
    pub item_selector: Option<Template>,
    /// JSONata `Items` and `ItemSelector`.
    pub items: Option<Ata>,
    pub item_selector_ata: Option<Ata>,
    pub max_concurrency: Option<Dynamic<u64>>,
    pub tolerated_failure_percentage: Option<Dynamic<f64>>,
    pub tolerated_failure_count: Option<Dynamic<u64>>,
    pub label: Option<String>,
    /// Distributed Map data-plane fields, kept raw until the data-plane issue runs them.
    pub item_reader: Option<Value>,
    pub item_batcher: Option<Value>,
    pub result_writer: Option<Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    Full,
    None,
}

#[derive(Debug, Clone)]
pub struct Retrier {
    pub error_equals: Vec<String>,
    pub interval_seconds: f64,
    pub max_attempts: u32,
    pub backoff_rate: f64,
    pub max_delay_seconds: Option<f64>,
    pub jitter: Jitter,
}

#[derive(Debug, Clone)]
pub struct Catcher {
    pub error_equals: Vec<String>,
    pub next: StateId,
    pub result_path: PathField,
    pub assign: Option<Template>,
    /// JSONata Output and Assign of the catcher.
    pub ata: Option<Box<AtaFields>>,
}

/// Does an error name match a Retry/Catch `ErrorEquals` list, as AWS matches it?
/// `States.Runtime` is terminal: nothing catches or retries it (AWS's recorded
/// behaviour, also for an explicit `States.Runtime` in ErrorEquals). `States.ALL`
/// matches every other error; `States.TaskFailed` every other error but `States.Timeout`.
pub fn error_matches(error_equals: &[String], error: &str) -> bool {
    use crate::asl::failure::names;
    if error == names::RUNTIME {
        return false;
    }
    error_equals.iter().any(|e| {
        e == error || e == names::ALL || (e == names::TASK_FAILED && error != names::TIMEOUT)
    })
}
