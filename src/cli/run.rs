use super::args::{ClockKind, ExecArgs, ExplainArgs, RunArgs};
use super::{EXIT_FAILED, EXIT_INVALID, EXIT_OK, EXIT_USAGE, read_source};
use asl_engine::Error;
use asl_engine::asl::model::{StateMachine, load_text};
use asl_engine::exec::{
    ExecutionMode, Executor, Limits, Progress, RunOptions, Status, TaskRegistry,
};
use serde_json::{Value, json};

/// Reads, validates and loads a definition; Err is the exit code, the message printed.
pub fn load_definition(cmd: &str, path: &str) -> Result<StateMachine, i32> {
    let text = read_source(path).map_err(|e| {
        eprintln!("asl {cmd}: {e}");
        EXIT_USAGE
    })?;
    load_text(&text).map_err(|e| {
        match e {
            Error::Invalid(diags) => {
                eprintln!("asl {cmd}: {path}: invalid state machine definition:");
                for d in diags {
                    eprintln!("  {d}");
                }
            }
            e => eprintln!("asl {cmd}: {path}: {e}"),
        }
        EXIT_INVALID
    })
}

/// Builds the executor the execution flags describe.
pub fn build_executor(cmd: &str, a: &ExecArgs) -> Result<Executor, i32> {
    let mut tasks = TaskRegistry::new();
    if let Some(r) = &a.resources {
        tasks.load_resources_file(r).map_err(|e| {
            eprintln!("asl {cmd}: {e}");
            EXIT_USAGE
        })?;
    }
    let mut b = Executor::builder()
        .tasks(tasks)
        .threads(a.threads.unwrap_or(0))
        .columnar(!a.no_columnar);
    for spec in &a.buckets {
        let Some((name, dir)) = spec
            .split_once('=')
            .filter(|(n, d)| !n.is_empty() && !d.is_empty())
        else {
            eprintln!("asl {cmd}: --bucket expects NAME=DIR, got '{spec}'");
            return Err(EXIT_USAGE);
        };
        b = b.bucket(name, dir);
    }
    if let Some(root) = &a.data_root {
        b = b.data_root(root);
    }
    if a.clock == ClockKind::Virtual {
        b = b.virtual_clock();
    }
    let progress = if a.quiet {
        Progress::Never
    } else if a.progress {
        Progress::Always
    } else {
        Progress::Auto
    };
    Ok(b.progress(progress).build())
}

/// Reads a JSON input file (or stdin for `-`); no file means `{}`.
pub fn read_input(cmd: &str, input: Option<&str>) -> Result<Value, i32> {
    let Some(p) = input else { return Ok(json!({})) };
    let text = read_source(p).map_err(|e| {
        eprintln!("asl {cmd}: {e}");
        EXIT_USAGE
    })?;
    serde_json::from_str(&text).map_err(|e| {
        eprintln!(
            "asl {cmd}: {}: the input is not valid JSON: {e}",
            if p == "-" { "stdin" } else { p }
        );
        EXIT_USAGE
    })
}

/// `workflow.asl.json` → `workflow`.
pub fn machine_name(path: &str) -> Option<String> {
    std::path::Path::new(path)
        .file_stem()
        .and_then(|s| s.to_str())
        .map(|s| s.trim_end_matches(".asl").to_string())
}

pub fn run(a: RunArgs) -> i32 {
    match run_inner(a) {
        Ok(c) | Err(c) => c,
    }
}

fn run_inner(a: RunArgs) -> Result<i32, i32> {
    let sm = load_definition("run", &a.definition)?;
    let ex = build_executor("run", &a.exec)?;
    if a.each_line {
        return Ok(super::stream::run_each_line(&ex, sm, &a));
    }
    if a.express {
        let refused = sm.express_refusals();
        if !refused.is_empty() {
            eprintln!(
                "asl run: {}: an Express state machine can't run this definition (AWS refuses it at CreateStateMachine):",
                a.definition
            );
            for r in refused {
                eprintln!("  {r}");
            }
            return Err(EXIT_INVALID);
        }
    }
    let input = read_input("run", a.input.as_deref())?;
    let plan = ex.plan(sm);
    let opts = RunOptions {
        name: a.name.clone(),
        state_machine_name: machine_name(&a.definition),
        history: a.history,
        leak_input: true,
        limits: run_limits(&a),
        mode: if a.express {
            ExecutionMode::ExpressSync
        } else {
            ExecutionMode::Standard
        },
        ..RunOptions::default()
    };
    let mut out = ex.run_plan(&plan, input, &opts);
    for w in &out.warnings {
        eprintln!("asl run: warning: {w}");
    }
    let code = match out.status {
        Status::Succeeded => EXIT_OK,
        Status::Failed | Status::Aborted | Status::Suspended => EXIT_FAILED,
    };
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    if a.report.is_some() {
        // Built by moving the output in: json!() would copy it.
        let mut r = serde_json::Map::new();
        r.insert("status".into(), json!(out.status));
        r.insert("output".into(), out.output.take().unwrap_or(Value::Null));
        r.insert("error".into(), json!(out.error));
        r.insert("cause".into(), json!(out.cause));
        let mut r = Value::Object(r);
        if a.history {
            r["history"] = Value::Array(std::mem::take(&mut out.history));
        }
        let _ = serde_json::to_writer(&mut w, &r);
        let _ = std::io::Write::write_all(&mut w, b"\n");
        std::mem::forget(r);
    } else {
        if a.history {
            for e in &out.history {
                eprintln!("{}", serde_json::to_string(e).unwrap_or_default());
            }
        }
        match out.status {
            Status::Succeeded => {
                let _ = serde_json::to_writer(&mut w, out.output.as_ref().unwrap_or(&Value::Null));
                let _ = std::io::Write::write_all(&mut w, b"\n");
            }
            Status::Failed | Status::Aborted | Status::Suspended => eprintln!(
                "execution failed: {}{}",
                out.error.as_deref().unwrap_or("(no error)"),
                out.cause
                    .as_deref()
                    .map(|c| format!(": {c}"))
                    .unwrap_or_default()
            ),
        }
    }
    let _ = std::io::Write::flush(&mut w);
    // The process ends now: freeing the output would only delay it.
    std::mem::forget(out.output);
    Ok(code)
}

/// The limits the flags ask for.
pub fn run_limits(a: &RunArgs) -> Limits {
    if a.aws_limits {
        Limits::aws()
    } else {
        Limits {
            execution_input: a.aws_input_limit,
            ..Limits::default()
        }
    }
}

pub fn explain(a: ExplainArgs) -> i32 {
    let sm = match load_definition("explain", &a.definition) {
        Ok(sm) => sm,
        Err(c) => return c,
    };
    let ex = match build_executor("explain", &a.exec) {
        Ok(ex) => ex,
        Err(c) => return c,
    };
    let plan = ex.plan(sm);
    out!("{}", plan.explain());
    outln!("threads: {}", ex.threads());
    EXIT_OK
}
