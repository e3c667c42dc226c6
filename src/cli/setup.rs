//! What the commands that run a definition share: the definition and input they read,
//! and the executor and limits their flags describe.

use super::args::{ClockKind, ExecArgs, RunArgs};
use super::{EXIT_INVALID, EXIT_USAGE, read_source};
use asl_engine::Error;
use asl_engine::asl::model::{StateMachine, load_text};
use asl_engine::exec::http_task::connections::Connections;
use asl_engine::exec::http_task::{HTTP_INVOKE, HttpTask};
use asl_engine::exec::mock::{MockConfig, TestCase};
use asl_engine::exec::{Executor, Limits, Progress, TaskRegistry};
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

/// The region of `asl run` and the other one-process commands.
pub const LOCAL_REGION: &str = "us-east-1";

/// Builds the executor the execution flags describe (HTTP Tasks name `region` in
/// their User-Agent).
pub fn build_executor(cmd: &str, a: &ExecArgs, region: &str) -> Result<Executor, i32> {
    let mut tasks = TaskRegistry::new();
    let connections = match &a.connections {
        Some(path) => Some(Connections::load(path).map_err(|e| {
            eprintln!("asl {cmd}: {e}");
            EXIT_USAGE
        })?),
        None => None,
    };
    // A resources file may answer http:invoke itself (it is loaded after).
    tasks.register(HTTP_INVOKE, HttpTask::new(connections, region));
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

/// The test case `name` (`CASE` or `MACHINE#CASE`) of the mock configuration `path`
/// for the state machine `sm` (named `machine`); Err is the exit code, the problem
/// printed: a file that can't be read, a case it doesn't have, a mocked state that is
/// no Task state of the definition.
pub fn test_case(
    cmd: &str,
    path: &str,
    name: &str,
    machine: Option<&str>,
    sm: &StateMachine,
) -> Result<std::sync::Arc<TestCase>, i32> {
    let config = MockConfig::load(path).map_err(|e| {
        eprintln!("asl {cmd}: {e}");
        EXIT_USAGE
    })?;
    let found = match name.split_once('#') {
        Some((m, c)) => config.test_case(m, c),
        None => machine
            .and_then(|m| config.test_case(m, name))
            .or_else(|| config.only_test_case(name)),
    };
    let Some(case) = found else {
        eprintln!(
            "asl {cmd}: {path}: no test case '{name}'{} (it has: {})",
            machine
                .map(|m| format!(" for the state machine '{m}'"))
                .unwrap_or_default(),
            config.case_names().join(", ")
        );
        return Err(EXIT_USAGE);
    };
    let mut tasks = std::collections::HashSet::new();
    sm.for_each_task(&mut |state, _| {
        tasks.insert(state.to_string());
    });
    let unknown = case.unknown_states(|s| tasks.contains(s));
    if !unknown.is_empty() {
        for s in unknown {
            eprintln!(
                "asl {cmd}: {path}: /StateMachines/{}/TestCases/{}/{s}: the definition has no Task state named '{s}'",
                case.state_machine, case.name
            );
        }
        return Err(EXIT_USAGE);
    }
    Ok(case)
}
