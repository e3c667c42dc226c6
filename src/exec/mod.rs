//! The interpreter: runs a [`StateMachine`] on an input and reports the outcome.
//!
//! ```no_run
//! use asl_engine::asl::model::load_text;
//! use asl_engine::exec::Executor;
//! let sm = load_text(r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#).unwrap();
//! let out = Executor::builder().build().run(&sm, serde_json::json!({"x": 1}));
//! assert_eq!(out.output, Some(serde_json::json!({"x": 1})));
//! ```

mod clock;
pub mod columnar;
mod context;
mod dataflow;
mod history;
mod map;
mod run;
mod states;
pub mod task;

pub use clock::{Clock, RealClock, VirtualClock, format_time};
pub use context::{ExecutionInfo, Vars};
pub use history::History;
pub use task::{TaskHandler, TaskRegistry, TaskRequest};

use crate::asl::Failure;
use crate::asl::model::StateMachine;
use serde_json::Value;
use std::sync::Arc;

/// Largest state input/output AWS accepts (256 KiB).
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Succeeded,
    Failed,
}

/// The outcome of one execution.
#[derive(Debug, Clone)]
pub struct Execution {
    pub status: Status,
    pub output: Option<Value>,
    pub error: Option<String>,
    pub cause: Option<String>,
    /// Events in the shape of GetExecutionHistory; empty unless history was asked for.
    pub history: Vec<Value>,
}

impl Execution {
    pub fn failure(&self) -> Option<Failure> {
        match self.status {
            Status::Failed => Some(Failure {
                error: self.error.clone(),
                cause: self.cause.clone(),
            }),
            Status::Succeeded => None,
        }
    }
}

/// The kind of execution, as AWS starts them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExecutionMode {
    #[default]
    Standard,
    /// StartExecution on an Express state machine.
    ExpressAsync,
    /// StartSyncExecution on an Express state machine.
    ExpressSync,
}

/// Options of one run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Execution name; a UUID when absent.
    pub name: Option<String>,
    /// State machine name, used in ARNs and `$$.StateMachine.Name`.
    pub state_machine_name: Option<String>,
    /// Record the execution history.
    pub history: bool,
    /// Standard or Express: the execution ARN and context object take that shape.
    pub mode: ExecutionMode,
}

/// Runs state machines. Cheap to share between threads.
#[derive(Clone)]
pub struct Executor {
    pub(crate) tasks: Arc<TaskRegistry>,
    pub(crate) clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("tasks", &self.tasks)
            .field("virtual_clock", &self.clock.is_virtual())
            .finish()
    }
}

#[derive(Default)]
pub struct ExecutorBuilder {
    tasks: TaskRegistry,
    clock: Option<Arc<dyn Clock>>,
}

impl ExecutorBuilder {
    pub fn tasks(mut self, tasks: TaskRegistry) -> Self {
        self.tasks = tasks;
        self
    }
    /// Registers a handler for a Task `Resource` (a trailing `*` makes a prefix pattern).
    pub fn task(mut self, resource: &str, h: impl TaskHandler + 'static) -> Self {
        self.tasks.register(resource, h);
        self
    }
    /// Registers a Lambda function by name.
    pub fn lambda(mut self, name: &str, h: impl TaskHandler + 'static) -> Self {
        self.tasks.register_lambda(name, h);
        self
    }
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }
    /// Wait states and retry intervals take no real time.
    pub fn virtual_clock(self) -> Self {
        self.clock(Arc::new(VirtualClock::new()))
    }
    pub fn build(self) -> Executor {
        Executor {
            tasks: Arc::new(self.tasks),
            clock: self.clock.unwrap_or_else(|| Arc::new(RealClock)),
        }
    }
}

impl Executor {
    pub fn builder() -> ExecutorBuilder {
        ExecutorBuilder::default()
    }

    /// Runs one execution with default options.
    pub fn run(&self, sm: &StateMachine, input: Value) -> Execution {
        self.run_with(sm, input, &RunOptions::default())
    }

    pub fn run_with(&self, sm: &StateMachine, input: Value, opts: &RunOptions) -> Execution {
        run::run_execution(self, sm, input, opts)
    }
}
