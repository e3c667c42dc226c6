use super::args::{ExplainArgs, ReportFormat, RunArgs};
use super::setup::{
    LOCAL_REGION, build_executor, load_definition, machine_name, read_input, run_limits,
};
use super::{EXIT_FAILED, EXIT_INVALID, EXIT_OK, EXIT_USAGE};
use asl_engine::exec::{
    Execution, ExecutionMode, LARGE_INPUT_BYTES, LargeItems, RunOptions, Status, split_input,
};
use asl_engine::graph::report::{ExecutionReport, execution_page};
use serde_json::{Value, json};

/// What `--report` asked for.
enum Report {
    Json,
    /// The HTML page, written to this file.
    Html(String),
}

/// `--report json` or `--report html FILE`.
fn report_of(a: &RunArgs) -> Result<Option<Report>, i32> {
    let Some(v) = &a.report else {
        return Ok(None);
    };
    let first = v.first().map(String::as_str).unwrap_or_default();
    let Ok(format) = <ReportFormat as clap::ValueEnum>::from_str(first, true) else {
        eprintln!("asl run: --report takes json, or html FILE; got '{first}'");
        return Err(EXIT_USAGE);
    };
    match (format, v.get(1)) {
        (ReportFormat::Json, None) => Ok(Some(Report::Json)),
        (ReportFormat::Json, Some(extra)) => {
            eprintln!(
                "asl run: --report json prints to stdout and takes no FILE (got '{extra}'); give the definition before --report"
            );
            Err(EXIT_USAGE)
        }
        (ReportFormat::Html, Some(file)) => Ok(Some(Report::Html(file.clone()))),
        (ReportFormat::Html, None) => {
            eprintln!("asl run: --report html needs the FILE to write: --report html report.html");
            Err(EXIT_USAGE)
        }
    }
}

/// The definition's JSON (an HTML report draws it) and the state machine, from one
/// read of the file (or of stdin).
fn load_with_json(path: &str) -> Result<(asl_engine::asl::model::StateMachine, Value), i32> {
    let text = super::read_source(path).map_err(|e| {
        eprintln!("asl run: {e}");
        EXIT_USAGE
    })?;
    let sm = asl_engine::asl::model::load_text(&text).map_err(|e| {
        match e {
            asl_engine::Error::Invalid(diags) => {
                eprintln!("asl run: {path}: invalid state machine definition:");
                for d in diags {
                    eprintln!("  {d}");
                }
            }
            e => eprintln!("asl run: {path}: {e}"),
        }
        EXIT_INVALID
    })?;
    let (json, _) = asl_engine::asl::validate::parse_definition(&text).map_err(|d| {
        eprintln!("asl run: {path}: {d}");
        EXIT_INVALID
    })?;
    Ok((sm, json))
}

/// Writes the HTML report of `out`; Err is the exit code, the message printed.
fn write_html(
    file: &str,
    definition: &Value,
    opts: &RunOptions,
    out: &Execution,
) -> Result<(), i32> {
    let status = serde_json::to_value(out.status).unwrap_or(Value::Null);
    let page = execution_page(&ExecutionReport {
        definition,
        state_machine: opts.state_machine_name.as_deref().unwrap_or("StateMachine"),
        execution: opts.name.as_deref().unwrap_or(""),
        status: status.as_str().unwrap_or("UNKNOWN"),
        output: out.output.as_ref(),
        error: out.error.as_deref(),
        cause: out.cause.as_deref(),
        history: &out.history,
    })
    .map_err(|e| {
        eprintln!("asl run: the report could not be drawn: {e}");
        EXIT_USAGE
    })?;
    std::fs::write(file, page).map_err(|e| {
        eprintln!("asl run: {file}: {e}");
        EXIT_USAGE
    })?;
    eprintln!("asl run: report written to {file}");
    Ok(())
}

pub fn run(a: RunArgs) -> i32 {
    match run_inner(a) {
        Ok(c) | Err(c) => c,
    }
}

/// The execution input. A large one whose first state is a Map over one of its arrays
/// comes without that array, whose items stay text until the Map parses them a chunk
/// at a time (see `asl_engine::exec::split_input`); anything else is parsed whole.
fn read_run_input(
    a: &RunArgs,
    sm: &asl_engine::asl::model::StateMachine,
    ex: &asl_engine::exec::Executor,
) -> Result<(Value, Option<std::sync::Arc<LargeItems>>), i32> {
    let started = std::time::Instant::now();
    // The history, reports and AWS's input limit want the input as it is.
    let plain = !a.history && a.report.is_none() && !run_limits(a).execution_input;
    if let Some(path) = a.input.as_deref().filter(|p| *p != "-" && plain)
        && std::fs::metadata(path).is_ok_and(|m| m.len() >= LARGE_INPUT_BYTES as u64)
        && let (Ok(definition), Ok(bytes)) =
            (super::read_source(&a.definition), std::fs::read(path))
    {
        let read = started.elapsed();
        // On the run's pool: `--threads` bounds the scan and the checks too.
        if let Ok((input, items)) = ex.install(|| split_input(sm, &definition, bytes)) {
            // Where the time goes, with ASL_PHASES=1 (the Map says the rest).
            if std::env::var_os("ASL_PHASES").is_some() {
                eprintln!(
                    "asl: large input: reading {:.3} s, splitting and checking {:.3} s",
                    read.as_secs_f64(),
                    (started.elapsed() - read).as_secs_f64()
                );
            }
            return Ok((input, Some(std::sync::Arc::new(items))));
        }
    }
    Ok((read_input("run", a.input.as_deref())?, None))
}

fn run_inner(mut a: RunArgs) -> Result<i32, i32> {
    if a.definition.is_empty() {
        // `asl run --report json DEF`: clap gave DEF to --report (it takes up to two
        // values, for `--report html FILE`).
        match a.report.as_mut() {
            Some(v) if v.len() == 2 && v[0].eq_ignore_ascii_case("json") => {
                a.definition = v.pop().unwrap_or_default();
            }
            _ => {
                eprintln!(
                    "asl run: the DEFINITION to run is missing (asl run DEFINITION --report html FILE)"
                );
                return Err(EXIT_USAGE);
            }
        }
    }
    let report = report_of(&a)?;
    let (sm, definition) = match &report {
        Some(Report::Html(_)) => {
            let (sm, json) = load_with_json(&a.definition)?;
            (sm, Some(json))
        }
        _ => (load_definition("run", &a.definition)?, None),
    };
    let mut ex = build_executor("run", &a.exec, LOCAL_REGION)?;
    if !a.state_machines.is_empty() {
        let mut children = std::collections::HashMap::new();
        for spec in &a.state_machines {
            let Some((name, file)) = spec
                .split_once('=')
                .filter(|(n, f)| !n.is_empty() && !f.is_empty())
            else {
                eprintln!("asl run: --state-machine expects NAME=FILE, got '{spec}'");
                return Err(super::EXIT_USAGE);
            };
            children.insert(
                name.to_string(),
                std::sync::Arc::new(load_definition("run", file)?),
            );
        }
        ex.register_state_machines(children);
    }
    let ex = std::sync::Arc::new(ex);
    let listening = match &a.listen {
        Some(addr) => match super::listen::start(addr, std::sync::Arc::clone(&ex)) {
            Ok((listening, bound)) => {
                eprintln!(
                    "asl run: listening on http://{bound} for SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat and GetActivityTask"
                );
                Some(listening)
            }
            Err(e) => {
                eprintln!("asl run: {e}");
                return Err(super::EXIT_USAGE);
            }
        },
        None => None,
    };
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
    let test_case = match &a.test_case {
        Some(name) => Some(super::setup::test_case(
            "run",
            a.mock_config.as_deref().unwrap_or_default(),
            name,
            machine_name(&a.definition).as_deref(),
            &sm,
        )?),
        None => None,
    };
    let (input, large_items) = read_run_input(&a, &sm, &ex)?;
    let plan = ex.plan(sm);
    let html = definition.is_some();
    let opts = RunOptions {
        // The report names the execution: the default name is made here.
        name: a
            .name
            .clone()
            .or_else(|| html.then(|| uuid::Uuid::new_v4().to_string())),
        state_machine_name: machine_name(&a.definition),
        history: a.history || html,
        leak_input: true,
        limits: run_limits(&a),
        mode: if a.express {
            ExecutionMode::ExpressSync
        } else {
            ExecutionMode::Standard
        },
        test_case,
        large_items,
        ..RunOptions::default()
    };
    let mut out = ex.run_plan(&plan, input, &opts);
    // The answer that ended the run is sent before the process ends.
    if let Some(l) = listening {
        l.finish();
    }
    for w in &out.warnings {
        eprintln!("asl run: warning: {w}");
    }
    let mut code = match out.status {
        Status::Succeeded => EXIT_OK,
        Status::Failed | Status::Aborted | Status::Suspended => EXIT_FAILED,
    };
    if let (Some(Report::Html(file)), Some(def)) = (&report, &definition)
        && let Err(c) = write_html(file, def, &opts, &out)
    {
        code = c;
    }
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    if matches!(report, Some(Report::Json)) {
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
                match &out.output_text {
                    Some(t) => {
                        let clock = std::time::Instant::now();
                        let _ = t.write_to(&mut w);
                        let _ = std::io::Write::flush(&mut w);
                        if std::env::var_os("ASL_PHASES").is_some() {
                            eprintln!(
                                "asl: large input: printing the output {:.3} s",
                                clock.elapsed().as_secs_f64()
                            );
                        }
                    }
                    None => {
                        let _ = serde_json::to_writer(
                            &mut w,
                            out.output.as_ref().unwrap_or(&Value::Null),
                        );
                    }
                }
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

pub fn explain(a: ExplainArgs) -> i32 {
    let sm = match load_definition("explain", &a.definition) {
        Ok(sm) => sm,
        Err(c) => return c,
    };
    let ex = match build_executor("explain", &a.exec, LOCAL_REGION) {
        Ok(ex) => ex,
        Err(c) => return c,
    };
    let plan = ex.plan(sm);
    out!("{}", plan.explain());
    outln!("threads: {}", ex.threads());
    EXIT_OK
}
