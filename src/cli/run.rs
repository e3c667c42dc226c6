use super::args::{ExplainArgs, RunArgs};
use super::setup::{
    LOCAL_REGION, build_executor, load_definition, machine_name, read_input, run_limits,
};
use super::{EXIT_FAILED, EXIT_INVALID, EXIT_OK};
use asl_engine::exec::{ExecutionMode, RunOptions, Status};
use serde_json::{Value, json};

pub fn run(a: RunArgs) -> i32 {
    match run_inner(a) {
        Ok(c) | Err(c) => c,
    }
}

fn run_inner(a: RunArgs) -> Result<i32, i32> {
    let sm = load_definition("run", &a.definition)?;
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
        test_case,
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
