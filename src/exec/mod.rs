//! The interpreter: runs a [`StateMachine`] on an input and reports the outcome.
//!
//! ```no_run
//! use asl_engine::asl::model::load_text;
//! use asl_engine::exec::Executor;
//! let sm = load_text(r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#).unwrap();
//! let out = Executor::builder().build().run(&sm, serde_json::json!({"x": 1}));
//! assert_eq!(out.output, Some(serde_json::json!({"x": 1})));
//! ```

pub mod callback;
mod clock;
pub mod columnar;
mod context;
mod dataflow;
mod history;
pub mod http_task;
pub mod journal;
mod jsonata_state;
pub mod limits;
mod map;
pub mod mock;
pub mod mock_shapes;
pub mod nested;
mod parallel;
mod progress;
mod run;
pub mod sfn_sdk;
mod states;
pub mod task;
pub mod test_state;

pub use clock::{Clock, RealClock, VirtualClock, format_time};
pub use context::{ExecutionInfo, Vars};
pub use history::{EventLimit, History, MAX_HISTORY_EVENTS};
pub use limits::Limits;
pub use map::large_input::{LARGE_INPUT_BYTES, LargeItems, split_input};
pub use task::{TaskHandler, TaskRegistry, TaskRequest};

use crate::asl::Failure;
use crate::asl::model::StateMachine;
use crate::plan::Plan;
use serde_json::Value;
use std::sync::Arc;

/// Largest state input/output AWS accepts (256 KiB).
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Succeeded,
    Failed,
    /// Stopped from outside ([`RunOptions::stop`]), as StopExecution does.
    Aborted,
    /// Parked by its [`journal::Journal`] in a long wait: run it again with the same
    /// journal at [`Execution::wake_at`] to go on.
    Suspended,
}

/// What a Distributed Map's run did (AWS's Map Run: DescribeMapRun's figures).
#[derive(Debug, Clone, PartialEq)]
pub struct MapRunSummary {
    pub arn: String,
    /// `RUNNING`, `SUCCEEDED` or `FAILED`.
    pub status: &'static str,
    pub started: chrono::DateTime<chrono::Utc>,
    pub stopped: chrono::DateTime<chrono::Utc>,
    /// Items read.
    pub total: u64,
    pub succeeded: u64,
    pub failed: u64,
    /// Items whose results went to the ResultWriter's files.
    pub results_written: u64,
    /// 0: no limit.
    pub max_concurrency: u64,
    pub tolerated_failure_percentage: f64,
    pub tolerated_failure_count: u64,
}

/// Told how an execution's Distributed Maps are doing while they run (a server shows
/// it in DescribeMapRun): at the start, after each chunk of items, and at the end.
pub trait RunObserver: Send + Sync + std::fmt::Debug {
    fn map_run(&self, run: &MapRunSummary);
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
    /// AWS limits this execution passed that the run's [`Limits`] did not enforce: AWS
    /// would have failed it. Each says which limit and what to change.
    pub warnings: Vec<String>,
    /// When a [`Status::Suspended`] execution is to go on.
    pub wake_at: Option<chrono::DateTime<chrono::Utc>>,
    /// With a journal: the id of the entered event of the first state that did
    /// something the journal did not hold (where this run left the replay), or of the
    /// closing event when every effect was replayed.
    pub first_live_event: Option<u64>,
    /// The Distributed Maps' runs, in the order they ended.
    pub map_runs: Vec<MapRunSummary>,
    /// The output as compact JSON text instead of `output`, when a Map over items
    /// given as text wrote its results straight into it (see [`split_input`]).
    pub output_text: Option<OutputText>,
}

/// An output as JSON text in pieces, in order, never joined: a large output is
/// written piece by piece, so it is never copied into one buffer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutputText {
    pieces: Vec<String>,
    len: usize,
}

impl OutputText {
    /// Appends a piece.
    pub fn push(&mut self, piece: String) {
        self.len += piece.len();
        if !piece.is_empty() {
            self.pieces.push(piece);
        }
    }

    /// The length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Writes the text, piece by piece.
    pub fn write_to(&self, w: &mut impl std::io::Write) -> std::io::Result<()> {
        self.pieces
            .iter()
            .try_for_each(|p| w.write_all(p.as_bytes()))
    }
}

impl std::fmt::Display for OutputText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.pieces.iter().try_for_each(|p| f.write_str(p))
    }
}

impl Execution {
    pub fn failure(&self) -> Option<Failure> {
        match self.status {
            Status::Failed | Status::Aborted => Some(Failure {
                error: self.error.clone(),
                cause: self.cause.clone(),
            }),
            Status::Succeeded | Status::Suspended => None,
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
    /// Which of AWS's limits to enforce (see [`Limits`]). By default a local run takes
    /// inputs of any size (Maps over millions of items) and warns where AWS would fail.
    pub limits: Limits,
    /// Don't free the execution input when the run ends (for a process that exits right
    /// after: freeing millions of nodes would only delay the exit).
    pub leak_input: bool,
    /// Standard or Express: the execution ARN and context object take that shape.
    pub mode: ExecutionMode,
    /// Set from outside to stop the execution (StopExecution): it ends `Aborted` before
    /// its next state, and Waits and Retry intervals end early.
    pub stop: Option<Arc<std::sync::atomic::AtomicBool>>,
    /// The execution ARN to use instead of one made from the names (a server's).
    pub execution_arn: Option<String>,
    /// The state machine ARN to use instead of one made from its name.
    pub state_machine_arn: Option<String>,
    /// The IAM role the execution runs as (`$$.Execution.RoleArn`).
    pub role_arn: Option<String>,
    /// Where the execution's effects are recorded and replayed from (a server's
    /// durable store); None runs every effect (see [`journal`]).
    pub journal: Option<Arc<dyn journal::Journal>>,
    /// When the execution started, if before this run (a replay): `$$.Execution.StartTime`
    /// and the TimeoutSeconds deadline count from it.
    pub started_at: Option<chrono::DateTime<chrono::Utc>>,
    /// How often the execution was redriven (`$$.Execution.RedriveCount`).
    pub redrive_count: u32,
    /// Told how Distributed Maps are doing while they run.
    pub observer: Option<Arc<dyn RunObserver>>,
    /// A test case of a mock configuration: its Task states answer with their mocked
    /// responses instead of running their resources (see [`mock`]).
    pub test_case: Option<Arc<mock::TestCase>>,
    /// TestState's context object: its fields replace the run's own in `$$`.
    pub context: Option<Value>,
    /// The first Map's items, left out of the input and still text (see
    /// [`split_input`]); the input holds `[]` in their place.
    pub large_items: Option<Arc<LargeItems>>,
}

/// Runs state machines. Cheap to share between threads.
#[derive(Clone)]
pub struct Executor {
    pub(crate) tasks: Arc<TaskRegistry>,
    pub(crate) clock: Arc<dyn Clock>,
    /// The work-stealing pool that runs Map partitions (rayon's global pool when None).
    pub(crate) pool: Option<Arc<rayon::ThreadPool>>,
    pub(crate) progress: Progress,
    /// Items per Map partition; None: the engine picks (see `exec::map`).
    pub(crate) partition: Option<usize>,
    /// Whether Maps may run as Arrow kernels.
    pub(crate) columnar: bool,
    /// S3 buckets as local folders, for ItemReader and ResultWriter.
    pub(crate) buckets: Arc<crate::io::Buckets>,
    /// The callback tokens its runs without a journal wait on.
    pub(crate) callbacks: Arc<callback::Callbacks>,
}

/// Progress bar for long Maps on stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Progress {
    /// When stderr is a terminal.
    #[default]
    Auto,
    Always,
    Never,
}

impl std::fmt::Debug for Executor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Executor")
            .field("tasks", &self.tasks)
            .field("virtual_clock", &self.clock.is_virtual())
            .field("threads", &self.threads())
            .finish()
    }
}

#[derive(Default)]
pub struct ExecutorBuilder {
    tasks: TaskRegistry,
    clock: Option<Arc<dyn Clock>>,
    threads: Option<usize>,
    progress: Progress,
    partition: Option<usize>,
    no_columnar: bool,
    buckets: crate::io::Buckets,
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
    /// Size of the work-stealing pool for Map partitions; 0 or unset: one per core.
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = Some(n);
        self
    }
    pub fn progress(mut self, p: Progress) -> Self {
        self.progress = p;
        self
    }
    /// Items per Map partition (a row-parallel task, or one RecordBatch for the columnar
    /// strategy). Unset or 0: n / (8 × threads) items clamped to 1..=4096 for rows,
    /// 8192 rows for columnar partitions.
    pub fn partition_size(mut self, n: usize) -> Self {
        self.partition = (n > 0).then_some(n);
        self
    }
    /// A bucket of ItemReader/ResultWriter as a local folder.
    pub fn bucket(mut self, name: &str, dir: impl Into<std::path::PathBuf>) -> Self {
        self.buckets.named.insert(name.to_string(), dir.into());
        self
    }
    /// Buckets not named with [`ExecutorBuilder::bucket`] are `root/NAME`.
    pub fn data_root(mut self, root: impl Into<std::path::PathBuf>) -> Self {
        self.buckets.root = Some(root.into());
        self
    }
    /// `false` keeps every Map on the row interpreter (default: columnar where possible).
    pub fn columnar(mut self, on: bool) -> Self {
        self.no_columnar = !on;
        self
    }
    pub fn build(self) -> Executor {
        // A pool that can't be created leaves rayon's global pool in charge.
        let pool = match self.threads {
            Some(n) if n > 0 => rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .thread_name(|i| format!("asl-worker-{i}"))
                .build()
                .ok()
                .map(Arc::new),
            _ => None,
        };
        // Workflows answer tokens on this executor through the sfn SDK integration
        // (unless a handler of the caller's answers them).
        let callbacks: Arc<callback::Callbacks> = Arc::default();
        let mut tasks = self.tasks;
        for (resource, send) in sfn_sdk::Send::ALL {
            if !tasks.has_exact(resource) {
                tasks.register(
                    resource,
                    sfn_sdk::SendTask {
                        callbacks: Arc::clone(&callbacks),
                        send,
                    },
                );
            }
        }
        Executor {
            tasks: Arc::new(tasks),
            clock: self.clock.unwrap_or_else(|| Arc::new(RealClock)),
            pool,
            progress: self.progress,
            partition: self.partition,
            columnar: !self.no_columnar,
            buckets: Arc::new(self.buckets),
            callbacks,
        }
    }
}

impl Executor {
    pub fn builder() -> ExecutorBuilder {
        ExecutorBuilder::default()
    }

    /// Gives the executor state machines that `states:startExecution` Tasks (request-
    /// response, `.sync`, `.sync:2`) start by name (the last part of their ARN); see
    /// [`nested`].
    pub fn register_state_machines(
        &mut self,
        machines: std::collections::HashMap<String, Arc<StateMachine>>,
    ) {
        let machines: nested::Machines = Arc::new(machines);
        for (suffix, sync) in [
            ("", None),
            (".waitForTaskToken", None),
            (".sync", Some(false)),
            (".sync:2", Some(true)),
        ] {
            self.register_task(
                &format!("{}{suffix}", nested::START_EXECUTION),
                nested::StartChild {
                    machines: Arc::clone(&machines),
                    sync,
                },
            );
        }
    }

    /// Registers a handler for a Task `Resource` on a built executor (a service adds
    /// the integrations it answers itself, such as nested executions).
    pub fn register_task(&mut self, resource: &str, h: impl TaskHandler + 'static) {
        Arc::make_mut(&mut self.tasks).register(resource, h);
    }

    /// Hands a worker the oldest task of the activity `activity_arn` that a run of
    /// this executor (without a journal) waits on, waiting at most `wait` for one:
    /// `(taskToken, input)`; the worker answers with [`Executor::send_task_success`].
    pub fn get_activity_task(
        &self,
        activity_arn: &str,
        worker_name: Option<&str>,
        wait: std::time::Duration,
    ) -> Option<(String, String)> {
        self.callbacks
            .take_activity_task(activity_arn, worker_name, wait)
    }

    /// Answers the callback token of a Task waiting in a run of this executor without
    /// a journal (`.waitForTaskToken`): its result is `output`.
    pub fn send_task_success(
        &self,
        token: &str,
        output: Value,
    ) -> Result<(), callback::CallbackError> {
        self.callbacks
            .answer(token, callback::Answer::Success(output))
    }

    /// Fails the Task waiting on `token` with `error` and `cause` (Retry and Catch see
    /// them as any task error).
    pub fn send_task_failure(
        &self,
        token: &str,
        error: Option<&str>,
        cause: Option<&str>,
    ) -> Result<(), callback::CallbackError> {
        self.callbacks.answer(
            token,
            callback::Answer::Failure(Failure {
                error: error.map(str::to_string),
                cause: cause.map(str::to_string),
            }),
        )
    }

    /// Tells the Task waiting on `token` that its worker is alive (`HeartbeatSeconds`).
    pub fn send_task_heartbeat(&self, token: &str) -> Result<(), callback::CallbackError> {
        self.callbacks.answer(token, callback::Answer::Heartbeat)
    }

    /// Runs one execution with default options.
    pub fn run(&self, sm: &StateMachine, input: Value) -> Execution {
        self.run_with(sm, input, &RunOptions::default())
    }

    /// Runs a state machine; each Map's strategy is decided when it runs. To plan once
    /// and run many times, use [`Executor::plan`] and [`Executor::run_plan`].
    pub fn run_with(&self, sm: &StateMachine, input: Value, opts: &RunOptions) -> Execution {
        run::run_execution(self, sm, None, Arc::new(input), opts)
    }

    /// Plans a state machine for this executor (its task registry tells which tasks block).
    pub fn plan(&self, sm: StateMachine) -> Plan {
        Plan::with_options(sm, &self.tasks, self.columnar)
    }

    pub fn run_plan(&self, plan: &Plan, input: Value, opts: &RunOptions) -> Execution {
        run::run_execution(self, &plan.machine, Some(plan), Arc::new(input), opts)
    }

    /// Runs on a shared input, which is not copied (benchmarks, many executions of one
    /// input). The run's first state borrows it; states copy only what they change.
    pub fn run_shared(&self, plan: &Plan, input: Arc<Value>, opts: &RunOptions) -> Execution {
        run::run_execution(self, &plan.machine, Some(plan), input, opts)
    }

    /// Number of threads Map partitions run on.
    pub fn threads(&self) -> usize {
        match &self.pool {
            Some(p) => p.current_num_threads(),
            None => rayon::current_num_threads(),
        }
    }

    /// Runs `f` inside this executor's pool, so rayon's parallel iterators in `f` (and
    /// the executions `f` starts) share its work-stealing workers.
    pub fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        self.in_pool(f)
    }

    pub(crate) fn in_pool<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        match &self.pool {
            Some(p) => p.install(f),
            None => f(),
        }
    }
}
