use clap::{Args, Parser, Subcommand, ValueEnum};

/// Run AWS Step Functions workflows (Amazon States Language) on this machine.
///
/// Examples:
///   asl validate workflow.asl.json
///   asl run workflow.asl.json --input input.json
///   asl run workflow.asl.json --input - --resources resources.json --report json
///   asl run workflow.asl.json --input input.json --report html report.html
///   asl run workflow.asl.json --each-line --input events.jsonl > outputs.jsonl
///   asl bench workflow.asl.json --input input.json --threads 1,2,4 --runs 5 --plot scaling.svg
#[derive(Debug, Parser)]
#[command(name = "asl", version, about, long_about, verbatim_doc_comment)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a state machine once and print its output (exit 0 succeeded, 1 failed,
    /// 2 usage or I/O error, 3 invalid definition); with --each-line, once per input
    /// line, streaming JSON lines.
    Run(RunArgs),
    /// Check definitions and report every problem with its JSON Pointer (exit 0 valid, 3
    /// invalid, 2 unreadable).
    Validate(ValidateArgs),
    /// Print the execution plan: every state, and for each Map the strategy chosen
    /// (columnar, row-parallel, blocking, sequential) and why.
    Explain(ExplainArgs),
    /// Time whole executions at several pool sizes: median and fastest wall time,
    /// Map items/s, state transitions/s and speed-up over 1 thread (exit 0 done,
    /// 1 an execution failed, 2 usage or I/O error, 3 invalid definition).
    Bench(BenchArgs),
    /// Evaluate a JSONata expression as Step Functions does (JSONata 2.0.6 plus
    /// $partition, $range, $hash, $random, $uuid, $parse), like jq: prints the result as
    /// JSON, nothing for undefined (exit 0), or the error (exit 1 evaluation or syntax
    /// error, 2 usage or I/O error).
    Jsonata(JsonataArgs),
    /// Generate sample datasets (deterministic for a seed) for Distributed Map
    /// examples and benchmarks.
    Datasets(DatasetsArgs),
    /// Serve the Step Functions API (AWS JSON 1.0) for the aws CLI, boto3 and the SDKs
    /// (`--endpoint-url http://127.0.0.1:8083`), with state kept in SQLite.
    Serve(ServeArgs),
    /// Answer a callback token (`$$.Task.Token` of a `.waitForTaskToken` Task) with the
    /// task's result, through the Step Functions API of `asl serve` (exit 0 accepted, 1
    /// refused, with AWS's error code, 2 usage or no answer).
    SendTaskSuccess(SendTaskArgs),
    /// Fail the task waiting on a callback token with an error and a cause (Retry and
    /// Catch see them as any task error).
    SendTaskFailure(SendTaskArgs),
    /// Tell the task waiting on a callback token that its worker is alive
    /// (HeartbeatSeconds counts again from now).
    SendTaskHeartbeat(SendTaskArgs),
    /// Run one state alone, as the TestState API does, and print its answer (output,
    /// error, cause, nextState, status, inspectionData): exit 0 SUCCEEDED or
    /// CAUGHT_ERROR, 1 FAILED or RETRIABLE, 2 usage or I/O error, 3 invalid definition.
    TestState(TestStateArgs),
    /// Run workflow tests: every case of the test files (*.test.json, *.test.yaml)
    /// under PATHs, in parallel on a virtual clock, with mocks; prints a summary and
    /// exits 1 when a case failed (2 for a bad test file).
    Test(TestArgs),
    /// Draw a state machine as the console does (top to bottom, Choice branches, Catch
    /// and Retry edges, Map and Parallel as boxes holding their sub-graphs): SVG, DOT,
    /// Mermaid or a self-contained HTML page (exit 0 drawn, 2 usage or I/O error, 3
    /// invalid definition).
    Graph(GraphArgs),
}

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The definition (JSON or YAML).
    pub definition: String,
    /// What to write.
    #[arg(long, value_enum, default_value = "svg")]
    pub format: GraphFormat,
    /// Write here instead of stdout.
    #[arg(long, short)]
    pub out: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// An SVG drawing, laid out in the binary.
    Svg,
    /// Graphviz DOT (Map and Parallel as clusters).
    Dot,
    /// A Mermaid flowchart (Map and Parallel as subgraphs).
    Mermaid,
    /// A self-contained HTML page holding the SVG.
    Html,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Test files, or folders to search for them (default: the current folder).
    #[arg(default_value = ".")]
    pub paths: Vec<String>,
    /// Write JUnit XML here (for CI).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<String>,
    /// List passing cases too.
    #[arg(long, short)]
    pub verbose: bool,
}

#[derive(Debug, Args)]
pub struct TestStateArgs {
    /// A state (JSON or YAML with Type), or a whole definition (with States).
    pub definition: String,
    /// The state to run in a whole definition (default: its StartAt).
    #[arg(long)]
    pub state_name: Option<String>,
    /// The state's input (a JSON file, or - for stdin). Without it the input is {}.
    #[arg(long, short)]
    pub input: Option<String>,
    /// Variables in scope, as a JSON object.
    #[arg(long, value_name = "JSON")]
    pub variables: Option<String>,
    /// Fields of the context object (`$$`), as a JSON object: {"Execution": {"Id": …}}.
    #[arg(long, value_name = "JSON")]
    pub context: Option<String>,
    /// INFO (the answer), DEBUG (each step's value) or TRACE (also an HTTP Task's
    /// request and response).
    #[arg(long, default_value = "INFO")]
    pub inspection_level: String,
    /// Mock the Task's result (JSON) instead of running its resource.
    #[arg(long, value_name = "JSON", conflicts_with = "mock_error")]
    pub mock_result: Option<String>,
    /// How --mock-result is checked against the API's response shape: STRICT, PRESENT
    /// or NONE.
    #[arg(long, default_value = "STRICT")]
    pub field_validation: String,
    /// Mock the Task's error instead of running its resource.
    #[arg(long, value_name = "ERROR")]
    pub mock_error: Option<String>,
    /// The cause of --mock-error.
    #[arg(long, value_name = "CAUSE", requires = "mock_error")]
    pub mock_cause: Option<String>,
    /// The retries so far of the Retrier that matches the error.
    #[arg(long, value_name = "N")]
    pub retrier_retry_count: Option<u32>,
    /// A Map's failed iterations, checked against its tolerated failures.
    #[arg(long, value_name = "N")]
    pub map_iteration_failure_count: Option<u32>,
    /// A file holding what a Distributed Map's ItemReader would read (JSON, JSON lines
    /// or CSV, as in its source).
    #[arg(long, value_name = "FILE")]
    pub map_item_reader_data: Option<String>,
    /// The state inside a Map or Parallel that the mocked error comes from.
    #[arg(long, value_name = "STATE", requires = "mock_error")]
    pub error_caused_by_state: Option<String>,
    /// Show what a connection adds to an HTTP Task's request (TRACE).
    #[arg(long)]
    pub reveal_secrets: bool,
    #[command(flatten)]
    pub exec: ExecArgs,
}

#[derive(Debug, Args)]
pub struct SendTaskArgs {
    /// The task token.
    #[arg(long)]
    pub token: String,
    /// The task's result (JSON text; send-task-success).
    #[arg(long)]
    pub output: Option<String>,
    /// The error name (send-task-failure).
    #[arg(long)]
    pub error: Option<String>,
    /// The cause (send-task-failure).
    #[arg(long)]
    pub cause: Option<String>,
    /// The Step Functions endpoint.
    #[arg(long, default_value = "http://127.0.0.1:8083")]
    pub endpoint: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogLevel {
    /// The start line and errors.
    Info,
    /// Also one line per request.
    Debug,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free one (printed at start).
    #[arg(long, default_value = "127.0.0.1:8083")]
    pub listen: String,
    /// A mock configuration file in Step Functions Local's format: an execution started
    /// on `stateMachineArn#TestCase` runs that test case (default: the file named by
    /// SFN_MOCK_CONFIG, as Step Functions Local reads it).
    #[arg(long, value_name = "FILE", env = "SFN_MOCK_CONFIG")]
    pub mock_config: Option<String>,
    /// SQLite database file (created if missing), or :memory: to keep nothing.
    #[arg(long, default_value = ".asl/state.db")]
    pub db: String,
    /// Account id in the ARNs the server makes.
    #[arg(long, default_value = "123456789012")]
    pub account: String,
    /// Region in the ARNs the server makes.
    #[arg(long, default_value = "us-east-1")]
    pub region: String,
    /// Log level.
    #[arg(long, value_enum, default_value = "info")]
    pub log: LogLevel,
    /// Allow listening on an address other than loopback without --auth.
    #[arg(long)]
    pub allow_remote: bool,
    /// Require Signature V4 with these keys: ACCESS_KEY:SECRET, or a file of such lines
    /// (the console then asks for one of them).
    #[arg(long, value_name = "KEY:SECRET|FILE")]
    pub auth: Option<String>,
    /// Don't serve the console (the web page at `/`).
    #[arg(long)]
    pub no_console: bool,
    #[command(flatten)]
    pub exec: ExecArgs,
}

#[derive(Debug, Args)]
pub struct JsonataArgs {
    /// The JSONata expression.
    pub expression: String,
    /// Input document (a JSON file, or - for stdin). Without it the input is undefined.
    #[arg(long, short)]
    pub input: Option<String>,
    /// A JSON file holding an object of variables to bind (names without `$`).
    #[arg(long, short)]
    pub bindings: Option<String>,
    /// Print one JSON object: {"result": ...}, {"undefined": true} or
    /// {"error": {"code", "message"}}.
    #[arg(long, value_enum)]
    pub report: Option<JsonataReport>,
    /// Print the result on one line.
    #[arg(long, short)]
    pub compact: bool,
    /// Stop the evaluation after this many milliseconds (error U1001).
    #[arg(long)]
    pub timeout_ms: Option<u64>,
    /// Most nested evaluation levels (error U1001 beyond).
    #[arg(long)]
    pub max_depth: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum JsonataReport {
    /// One JSON object: {"result"}, {"undefined": true} or {"error": {"code", "message"}}.
    Json,
}

#[derive(Debug, Args)]
pub struct DatasetsArgs {
    #[command(subcommand)]
    pub kind: DatasetKind,
}

#[derive(Debug, Subcommand)]
pub enum DatasetKind {
    /// Web-server access logs: timestamp (ISO-8601 UTC string), method, path, status,
    /// bytes, latency_ms, user_agent, client_ip. Row i depends only on the seed and i,
    /// so every format and every --files split holds the same rows in the same order.
    /// Writes DIR/access.EXT, or with --files K, DIR/part-00000.EXT ... part-(K-1).EXT.
    Logs(LogsArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DataFormat {
    /// Parquet, snappy-compressed, row groups of 1,000,000 rows.
    Parquet,
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header row.
    Csv,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Number of rows.
    #[arg(long, value_parser = clap::value_parser!(u64))]
    pub rows: u64,
    /// File format.
    #[arg(long, value_enum)]
    pub format: DataFormat,
    /// Output folder (created if missing).
    #[arg(long)]
    pub out: String,
    /// Split the rows into this many files, part-00000.EXT, ... (contiguous ranges).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub files: Option<u64>,
    /// Seed of the generator.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// Flags that shape how executions run.
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// JSON file mapping Task resources (or Lambda function names) to local commands.
    #[arg(long)]
    pub resources: Option<String>,
    /// JSON file of the EventBridge connections HTTP Tasks name (ARN or name ->
    /// AuthorizationType and AuthParameters, as CreateConnection takes them).
    #[arg(long, value_name = "FILE")]
    pub connections: Option<String>,
    /// Real time, or virtual time in which waits and retry intervals take no time.
    #[arg(long, value_enum, default_value = "real")]
    pub clock: ClockKind,
    /// Threads of the work-stealing pool that runs Map partitions (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Show a progress line for long Maps even when stderr is not a terminal.
    #[arg(long, conflicts_with = "quiet")]
    pub progress: bool,
    /// Never show the progress line.
    #[arg(long)]
    pub quiet: bool,
    /// Run every Map on the row interpreter, never as Arrow kernels.
    #[arg(long)]
    pub no_columnar: bool,
    /// An S3 bucket of ItemReader/ResultWriter as a local folder: NAME=DIR (repeatable).
    #[arg(long = "bucket", value_name = "NAME=DIR")]
    pub buckets: Vec<String>,
    /// Buckets not given with --bucket are the folders DIR/NAME.
    #[arg(long)]
    pub data_root: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The definition (JSON or YAML).
    pub definition: String,
    #[command(flatten)]
    pub exec: ExecArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClockKind {
    /// Wait states and retry intervals really wait.
    Real,
    /// Wait states and retry intervals take no time (for tests).
    Virtual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// One JSON object: {"status", "output", "error", "cause"}.
    Json,
    /// A self-contained HTML page written to FILE (`--report html FILE`).
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The definition (JSON or YAML).
    // Not required with --report: `asl run --report json DEF` gives DEF to --report
    // (it takes up to two values, for `--report html FILE`), and `asl run` takes it
    // back from there.
    #[arg(
        default_value = "",
        hide_default_value = true,
        required_unless_present = "report"
    )]
    pub definition: String,
    /// Execution input (a JSON file, or - for stdin). Without it the input is {}.
    #[arg(long, short)]
    pub input: Option<String>,
    /// A mock configuration file in Step Functions Local's format (MockConfigFile.json;
    /// default: the file named by SFN_MOCK_CONFIG, as Step Functions Local reads it).
    #[arg(long, value_name = "FILE", env = "SFN_MOCK_CONFIG")]
    pub mock_config: Option<String>,
    /// The test case of the mock configuration to run: CASE (of this state machine,
    /// or of the only one that has a case of that name) or MACHINE#CASE.
    #[arg(long, value_name = "NAME", requires = "mock_config")]
    pub test_case: Option<String>,
    #[command(flatten)]
    pub exec: ExecArgs,
    /// Run one Express execution per JSON line of the input (a file, or - or nothing for
    /// stdin) and write one JSON line per execution, in input order: its output, or
    /// {"error","cause"} when it failed (a line that is not JSON gives
    /// asl.InvalidInput). Blank lines are skipped. Streams: output starts before the
    /// input ends and memory stays bounded. Exit 0 when every line ran, 2 on I/O errors.
    #[arg(long, conflicts_with_all = ["history", "report", "name"])]
    pub each_line: bool,
    /// Enforce AWS's 256 KiB limit on the execution input (off by default: a local run
    /// takes inputs of any size). --aws-limits includes it.
    #[arg(long)]
    pub aws_input_limit: bool,
    /// Enforce every AWS limit as AWS does: execution input and state outputs of at most
    /// 256 KiB, 25,000 history events counting inline Map iterations, 5 minutes for an
    /// Express execution. Without it a run that passes one of them warns on stderr.
    #[arg(long)]
    pub aws_limits: bool,
    /// A state machine that `states:startExecution` Tasks (request-response, .sync,
    /// .sync:2, .waitForTaskToken) may start, by the name their StateMachineArn ends with (repeatable).
    #[arg(long = "state-machine", value_name = "NAME=FILE")]
    pub state_machines: Vec<String>,
    /// Answer SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat for this run's
    /// callback tokens, and GetActivityTask for its activity tasks, on this address
    /// (AWS JSON 1.0; port 0 picks a free one, printed).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Run as an Express execution (as StartSyncExecution does): its ARN and context
    /// object, no history quota, at most 5 minutes (enforced with --aws-limits), and no
    /// .sync, .waitForTaskToken or activity tasks.
    #[arg(long)]
    pub express: bool,
    /// Record the execution history (GetExecutionHistory events); printed in the JSON
    /// report, or as JSON lines on stderr.
    #[arg(long)]
    pub history: bool,
    /// `--report json` prints one JSON report object instead of the bare output;
    /// `--report html FILE` writes one self-contained HTML page for the execution (its
    /// graph coloured by what ran, its events, the progress of its Maps, its output or
    /// error; nothing loaded from the network) and records the history for it.
    #[arg(long, num_args = 1..=2, value_names = ["json|html", "FILE"])]
    pub report: Option<Vec<String>>,
    /// Execution name (default: a UUID).
    #[arg(long)]
    pub name: Option<String>,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Definitions to check (JSON or YAML).
    #[arg(required = true)]
    pub files: Vec<String>,
    /// Also apply AWS-only rules: Resource must be an ARN, Label characters, limits.
    #[arg(long)]
    pub strict_aws: bool,
    /// Output format of the diagnostics.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The definition (JSON or YAML).
    pub definition: String,
    /// Execution input (a JSON file, or - for stdin). Without it the input is {}.
    #[arg(long, short)]
    pub input: Option<String>,
    /// Pool sizes to time, comma-separated (default: 1, 2, 4, ... up to the number of
    /// cores, always including 1 and the core count).
    #[arg(long, value_delimiter = ',', value_parser = clap::value_parser!(u32).range(1..))]
    pub threads: Option<Vec<u32>>,
    /// Timed runs per pool size (after one untimed warm-up run).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    pub runs: u32,
    /// Output format: a table, or one JSON object.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Also write the scaling curve as an SVG file: items/s (state transitions/s
    /// without Map items) and the speed-up over 1 thread, per pool size.
    #[arg(long, value_name = "FILE.svg")]
    pub plot: Option<String>,
    /// JSON file mapping Task resources (or Lambda function names) to local commands.
    #[arg(long)]
    pub resources: Option<String>,
    /// JSON file of the EventBridge connections HTTP Tasks name (ARN or name ->
    /// AuthorizationType and AuthParameters, as CreateConnection takes them).
    #[arg(long, value_name = "FILE")]
    pub connections: Option<String>,
    /// Real time, or virtual time in which waits and retry intervals take no time.
    #[arg(long, value_enum, default_value = "real")]
    pub clock: ClockKind,
    /// Show a progress line for long Maps even when stderr is not a terminal.
    #[arg(long, conflicts_with = "quiet")]
    pub progress: bool,
    /// Never show the progress line.
    #[arg(long)]
    pub quiet: bool,
    /// Run every Map on the row interpreter, never as Arrow kernels.
    #[arg(long)]
    pub no_columnar: bool,
    /// An S3 bucket of ItemReader/ResultWriter as a local folder: NAME=DIR (repeatable).
    #[arg(long = "bucket", value_name = "NAME=DIR")]
    pub buckets: Vec<String>,
    /// Buckets not given with --bucket are the folders DIR/NAME.
    #[arg(long)]
    pub data_root: Option<String>,
}
