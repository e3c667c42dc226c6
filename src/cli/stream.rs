//! `asl run --each-line`: one Express execution per JSON line, one JSON line out per
//! execution, in input order, streaming.
//!
//! The pipeline has three stages joined by bounded channels:
//!
//! 1. a **reader** thread reads lines (skipping blank ones) into a channel of
//!    `threads × BATCH` lines; it blocks when the channel is full (back-pressure);
//! 2. a **dispatcher** thread cuts batches (it waits for one line, then takes whatever
//!    else is already queued, up to `BATCH`, so a slow producer gets batches of one and a
//!    fast one full batches), numbers them, takes one of `2 × threads` in-flight tokens
//!    and hands the batch to the executor's work-stealing pool (`rayon::spawn`, the
//!    lines of a batch as a parallel iterator) — or, when the machine itself blocks
//!    (Wait states, retry intervals, command tasks), to a fixed set of plain threads
//!    so that no rayon worker sleeps;
//! 3. the **writer** (the calling thread) puts finished batches in a reorder buffer,
//!    writes every batch whose number is the next expected one, gives back its token,
//!    and flushes stdout.
//!
//! So at most `threads × BATCH` lines wait in the channel, one batch is being cut, and
//! `2 × threads` batches are running or waiting in the reorder buffer: memory is bounded
//! on endless input, whatever the order in which executions finish.

use super::args::{ExecArgs, RunArgs};
use super::setup::{LOCAL_REGION, build_executor, machine_name, run_limits};
use super::{EXIT_OK, EXIT_USAGE};
use asl_engine::asl::model::StateMachine;
use asl_engine::exec::http_task::{HTTP_INVOKE, HttpTask};
use asl_engine::exec::{Execution, ExecutionMode, Executor, RunOptions, Status, TaskRegistry};
use asl_engine::plan::{Plan, blocking_reason};
use crossbeam::channel::{Receiver, Sender, bounded, unbounded};
use rayon::prelude::*;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::sync::Arc;

/// Most lines in one batch (compute-bound machines).
const BATCH: usize = 64;
/// Plain threads that run executions of a machine that blocks (as the Map's blocking pool).
const BLOCKING_WORKERS: usize = 64;

/// One input line (blank lines never get here), or the I/O error that ended the input.
enum Input {
    Line { no: u64, text: Vec<u8> },
    Error(String),
}

/// The result of one input: the JSON line to write, or the input error to stop at.
enum Output {
    Line(String),
    Fatal(String),
}

/// Where lines come from.
enum Source {
    Stdin,
    File(std::fs::File),
}

/// What every execution shares.
struct Job {
    ex: Executor,
    plan: Plan,
    opts: RunOptions,
}

pub fn run_each_line(given: &Executor, sm: StateMachine, a: &RunArgs) -> i32 {
    let (source, source_name) = match a.input.as_deref() {
        None | Some("-") => (Source::Stdin, "stdin".to_string()),
        Some(p) => match std::fs::File::open(p) {
            Ok(f) => (Source::File(f), p.to_string()),
            Err(e) => {
                eprintln!("asl run: {p}: {e}");
                return EXIT_USAGE;
            }
        },
    };
    let blocking = machine_blocks(&sm, &a.exec);
    let ex = match stream_executor(given, &a.exec) {
        Ok(ex) => ex,
        Err(c) => return c,
    };
    let threads = ex.threads().max(1);
    let job = Arc::new(Job {
        plan: ex.plan(sm),
        ex,
        opts: RunOptions {
            state_machine_name: machine_name(&a.definition),
            mode: ExecutionMode::ExpressAsync,
            limits: run_limits(a),
            ..RunOptions::default()
        },
    });
    let (batch, workers) = if blocking {
        (1, BLOCKING_WORKERS.max(threads))
    } else {
        (BATCH, threads)
    };

    let (lines_tx, lines_rx) = bounded::<Input>(workers * batch);
    let (tokens_tx, tokens_rx) = bounded::<()>(2 * workers);
    let (results_tx, results_rx) = unbounded::<(u64, Vec<Output>)>();

    std::thread::Builder::new()
        .name("asl-reader".into())
        .spawn(move || read_lines(source, lines_tx))
        .expect("the reader thread starts");
    let submit: Box<dyn Fn(u64, Vec<Input>) + Send> = if blocking {
        let (jobs_tx, jobs_rx) = bounded::<(u64, Vec<Input>)>(workers);
        for i in 0..workers {
            let (jobs_rx, results_tx, job) = (jobs_rx.clone(), results_tx.clone(), job.clone());
            std::thread::Builder::new()
                .name(format!("asl-line-{i}"))
                .spawn(move || {
                    for (seq, inputs) in jobs_rx {
                        let out = inputs.into_iter().map(|i| run_one(&job, i)).collect();
                        let _ = results_tx.send((seq, out));
                    }
                })
                .expect("a worker thread starts");
        }
        Box::new(move |seq, inputs| {
            let _ = jobs_tx.send((seq, inputs));
        })
    } else {
        let results_tx = results_tx.clone();
        Box::new(move |seq, inputs: Vec<Input>| {
            let (results_tx, job) = (results_tx.clone(), job.clone());
            rayon::spawn(move || {
                let out = inputs.into_par_iter().map(|i| run_one(&job, i)).collect();
                let _ = results_tx.send((seq, out));
            });
        })
    };
    drop(results_tx);
    std::thread::Builder::new()
        .name("asl-dispatch".into())
        .spawn(move || dispatch(lines_rx, tokens_tx, batch, submit))
        .expect("the dispatcher thread starts");

    write_in_order(results_rx, tokens_rx, &source_name)
}

/// Whether the machine's own states block a thread (so executions don't go on rayon).
fn machine_blocks(sm: &StateMachine, exec: &ExecArgs) -> bool {
    let mut tasks = TaskRegistry::new();
    tasks.register(HTTP_INVOKE, HttpTask::new(None, LOCAL_REGION));
    if let Some(r) = &exec.resources {
        // build_executor reports a bad file; here it only decides where lines run.
        let _ = tasks.load_resources_file(r);
    }
    blocking_reason(sm, &tasks).is_some()
}

/// The executor for streaming: its pool is rayon's global pool (sized by --threads), so
/// that the batches spawned here and the Map partitions of their executions share one
/// work-stealing pool. Progress lines are off unless --progress (many executions run at
/// once).
fn stream_executor(given: &Executor, exec: &ExecArgs) -> Result<Executor, i32> {
    if let Some(n) = exec.threads.filter(|&n| n > 0) {
        let global = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("asl-worker-{i}"))
            .build_global();
        if global.is_err() {
            // The global pool is already set up: executions run there, Maps on the
            // executor's own pool.
            return Ok(given.clone());
        }
    }
    build_executor(
        "run",
        &ExecArgs {
            resources: exec.resources.clone(),
            connections: exec.connections.clone(),
            clock: exec.clock,
            threads: None,
            progress: exec.progress,
            quiet: !exec.progress,
            no_columnar: exec.no_columnar,
            buckets: exec.buckets.clone(),
            data_root: exec.data_root.clone(),
        },
        LOCAL_REGION,
    )
}

fn read_lines(source: Source, tx: Sender<Input>) {
    let stdin = std::io::stdin();
    let mut r: Box<dyn BufRead> = match source {
        Source::Stdin => Box::new(stdin.lock()),
        Source::File(f) => Box::new(BufReader::with_capacity(1 << 16, f)),
    };
    let mut no = 0u64;
    loop {
        let mut text = Vec::new();
        match r.read_until(b'\n', &mut text) {
            Ok(0) => return,
            Ok(_) => {
                no += 1;
                if text.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                if tx.send(Input::Line { no, text }).is_err() {
                    return;
                }
            }
            Err(e) => {
                let _ = tx.send(Input::Error(format!("line {}: {e}", no + 1)));
                return;
            }
        }
    }
}

/// Cuts batches and submits them, holding one in-flight token per batch.
fn dispatch(
    lines: Receiver<Input>,
    tokens: Sender<()>,
    batch: usize,
    submit: Box<dyn Fn(u64, Vec<Input>) + Send>,
) {
    let mut seq = 0u64;
    while let Ok(first) = lines.recv() {
        let mut inputs = vec![first];
        while inputs.len() < batch {
            match lines.try_recv() {
                Ok(i) => inputs.push(i),
                Err(_) => break,
            }
        }
        if tokens.send(()).is_err() {
            return; // the writer stopped
        }
        submit(seq, inputs);
        seq += 1;
    }
}

fn run_one(job: &Job, input: Input) -> Output {
    let (no, text) = match input {
        Input::Line { no, text } => (no, text),
        Input::Error(e) => return Output::Fatal(e),
    };
    let value = match serde_json::from_slice::<Value>(&text) {
        Ok(v) => v,
        Err(e) => {
            return Output::Line(compact(&json!({
                "error": "asl.InvalidInput",
                "cause": format!("line {no}: {e}"),
            })));
        }
    };
    let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        job.ex.run_plan(&job.plan, value, &job.opts)
    }));
    if let Ok(e) = &run {
        warn_once(no, &e.warnings);
    }
    Output::Line(match run {
        Ok(Execution {
            status: Status::Succeeded,
            output,
            output_text,
            ..
        }) => output_text
            .map(|t| t.to_string())
            .unwrap_or_else(|| compact(&output.unwrap_or(Value::Null))),
        Ok(Execution { error, cause, .. }) => compact(&json!({"error": error, "cause": cause})),
        Err(p) => {
            let msg = p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            compact(&json!({
                "error": "asl.InternalError",
                "cause": format!("line {no}: the engine panicked: {msg}"),
            }))
        }
    })
}

/// Prints each distinct limit warning once per run, with the first line that gave it
/// (a stream of a million lines must not print a million warnings).
fn warn_once(no: u64, warnings: &[String]) {
    static GIVEN: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    if warnings.is_empty() {
        return;
    }
    let mut given = GIVEN.lock().unwrap_or_else(|p| p.into_inner());
    for w in warnings {
        if !given.contains(w) {
            eprintln!("asl run: warning: line {no} (and maybe others): {w}");
            given.push(w.clone());
        }
    }
}

fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// The writer: reorders finished batches, writes them, returns their tokens, flushes.
fn write_in_order(
    results: Receiver<(u64, Vec<Output>)>,
    tokens: Receiver<()>,
    source_name: &str,
) -> i32 {
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut pending: BTreeMap<u64, Vec<Output>> = BTreeMap::new();
    let mut next = 0u64;
    for (seq, out) in results {
        pending.insert(seq, out);
        while let Some(out) = pending.remove(&next) {
            for o in out {
                let r = match o {
                    Output::Line(l) => w.write_all(l.as_bytes()).and_then(|_| w.write_all(b"\n")),
                    Output::Fatal(e) => {
                        let _ = w.flush();
                        eprintln!("asl run: {source_name}: {e}");
                        return EXIT_USAGE;
                    }
                };
                if let Err(e) = r {
                    eprintln!("asl run: stdout: {e}");
                    return EXIT_USAGE;
                }
            }
            next += 1;
            let _ = tokens.try_recv();
        }
        if let Err(e) = w.flush() {
            eprintln!("asl run: stdout: {e}");
            return EXIT_USAGE;
        }
    }
    match w.flush() {
        Ok(()) => EXIT_OK,
        Err(e) => {
            eprintln!("asl run: stdout: {e}");
            EXIT_USAGE
        }
    }
}
