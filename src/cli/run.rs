use super::args::{ClockKind, RunArgs};
use super::{EXIT_FAILED, EXIT_INVALID, EXIT_OK, EXIT_USAGE, read_source};
use asl_engine::Error;
use asl_engine::asl::model::load_text;
use asl_engine::exec::{Executor, RunOptions, Status, TaskRegistry};
use serde_json::{Value, json};

pub fn run(a: RunArgs) -> i32 {
    let text = match read_source(&a.definition) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("asl run: {e}");
            return EXIT_USAGE;
        }
    };
    let sm = match load_text(&text) {
        Ok(sm) => sm,
        Err(Error::Invalid(diags)) => {
            eprintln!(
                "asl run: {}: invalid state machine definition:",
                a.definition
            );
            for d in diags {
                eprintln!("  {d}");
            }
            return EXIT_INVALID;
        }
        Err(e) => {
            eprintln!("asl run: {}: {e}", a.definition);
            return EXIT_INVALID;
        }
    };
    let input: Value = match &a.input {
        None => json!({}),
        Some(p) => match read_source(p) {
            Err(e) => {
                eprintln!("asl run: {e}");
                return EXIT_USAGE;
            }
            Ok(t) => match serde_json::from_str(&t) {
                Ok(v) => v,
                Err(e) => {
                    eprintln!(
                        "asl run: {}: the input is not valid JSON: {e}",
                        if p == "-" { "stdin" } else { p }
                    );
                    return EXIT_USAGE;
                }
            },
        },
    };
    let mut tasks = TaskRegistry::new();
    if let Some(r) = &a.resources
        && let Err(e) = tasks.load_resources_file(r)
    {
        eprintln!("asl run: {e}");
        return EXIT_USAGE;
    }
    let mut b = Executor::builder().tasks(tasks);
    if a.clock == ClockKind::Virtual {
        b = b.virtual_clock();
    }
    let ex = b.build();
    let sm_name = std::path::Path::new(&a.definition)
        .file_stem()
        .and_then(|s| s.to_str())
        .map(|s| s.trim_end_matches(".asl").to_string());
    let opts = RunOptions {
        name: a.name.clone(),
        state_machine_name: sm_name,
        history: a.history,
        ..RunOptions::default()
    };
    let out = ex.run_with(&sm, input, &opts);
    let code = match out.status {
        Status::Succeeded => EXIT_OK,
        Status::Failed => EXIT_FAILED,
    };
    if a.report.is_some() {
        let mut r = json!({
            "status": out.status,
            "output": out.output,
            "error": out.error,
            "cause": out.cause,
        });
        if a.history {
            r["history"] = Value::Array(out.history);
        }
        println!("{}", serde_json::to_string(&r).unwrap_or_default());
    } else {
        if a.history {
            for e in &out.history {
                eprintln!("{}", serde_json::to_string(e).unwrap_or_default());
            }
        }
        match out.status {
            Status::Succeeded => {
                println!(
                    "{}",
                    serde_json::to_string(&out.output.unwrap_or(Value::Null)).unwrap_or_default()
                )
            }
            Status::Failed => eprintln!(
                "execution failed: {}{}",
                out.error.as_deref().unwrap_or("(no error)"),
                out.cause.map(|c| format!(": {c}")).unwrap_or_default()
            ),
        }
    }
    code
}
