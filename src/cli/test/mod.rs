//! `asl test [PATH…]`: the workflow test runner. A test file (`*.test.json`,
//! `*.test.yaml`, `*.test.yml`; JSON or YAML) names a definition, optionally a mock
//! configuration in Step Functions Local's format, inline mocks and a resources file,
//! and cases: an input and what to expect (status, output exact or a subset, error,
//! cause, the states entered in order, how often states were entered or their Tasks
//! invoked). Every case of every file runs in parallel on a virtual clock (Waits and
//! Retry intervals take no time); the summary lists failures with what differs, the
//! exit code is 1 when a case failed, and `--junit FILE` writes JUnit XML.

mod report;

use super::args::{ClockKind, ExecArgs, TestArgs};
use super::setup::{LOCAL_REGION, build_executor, load_definition};
use super::{EXIT_FAILED, EXIT_OK, EXIT_USAGE, read_source};
use asl_engine::asl::model::StateMachine;
use asl_engine::exec::mock::{MockConfig, TestCase};
use asl_engine::exec::{Executor, RunOptions, Status};
use rayon::prelude::*;
use report::{CaseResult, json_diff};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// One test file, loaded.
struct Suite {
    path: String,
    machine: Arc<StateMachine>,
    executor: Arc<Executor>,
    cases: Vec<Case>,
}

/// One case: what to run and what to expect.
struct Case {
    name: String,
    input: Value,
    test_case: Option<Arc<TestCase>>,
    expect: Map<String, Value>,
}

const EXPECTATIONS: [&str; 8] = [
    "status",
    "output",
    "outputContains",
    "error",
    "cause",
    "path",
    "stateCounts",
    "invocations",
];

pub fn test(a: TestArgs) -> i32 {
    let files = match discover(&a.paths) {
        Ok(f) if f.is_empty() => {
            eprintln!(
                "asl test: no test files (*.test.json, *.test.yaml, *.test.yml) under {}",
                a.paths.join(", ")
            );
            return EXIT_USAGE;
        }
        Ok(f) => f,
        Err(e) => {
            eprintln!("asl test: {e}");
            return EXIT_USAGE;
        }
    };
    let mut suites = Vec::new();
    for f in &files {
        match load_suite(f) {
            Ok(s) => suites.push(s),
            Err(e) => {
                eprintln!("asl test: {e}");
                return EXIT_USAGE;
            }
        }
    }
    let started = Instant::now();
    let work: Vec<(usize, usize)> = suites
        .iter()
        .enumerate()
        .flat_map(|(s, suite)| (0..suite.cases.len()).map(move |c| (s, c)))
        .collect();
    let results: Vec<CaseResult> = work
        .par_iter()
        .map(|&(s, c)| run_case(&suites[s], &suites[s].cases[c]))
        .collect();
    let elapsed = started.elapsed();
    let by_file: Vec<(String, Vec<CaseResult>)> = suites
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let mine = work
                .iter()
                .zip(&results)
                .filter(|((si, _), _)| *si == i)
                .map(|(_, r)| r.clone())
                .collect();
            (s.path.clone(), mine)
        })
        .collect();
    report::print_summary(&by_file, elapsed, a.verbose);
    if let Some(path) = &a.junit
        && let Err(e) = std::fs::write(path, report::junit(&by_file, elapsed))
    {
        eprintln!("asl test: {path}: {e}");
        return EXIT_USAGE;
    }
    if results.iter().all(|r| r.failures.is_empty()) {
        EXIT_OK
    } else {
        EXIT_FAILED
    }
}

/// The test files under `paths` (files as given, folders searched), sorted.
fn discover(paths: &[String]) -> Result<Vec<PathBuf>, String> {
    let is_test = |p: &Path| {
        p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
            [".test.json", ".test.yaml", ".test.yml"]
                .iter()
                .any(|s| n.ends_with(s))
        })
    };
    let mut out = Vec::new();
    for p in paths {
        let p = PathBuf::from(p);
        if p.is_file() {
            out.push(p);
            continue;
        }
        if !p.is_dir() {
            return Err(format!("{}: no such file or folder", p.display()));
        }
        let mut stack = vec![p];
        while let Some(dir) = stack.pop() {
            let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            for e in entries.flatten() {
                let path = e.path();
                let name = e.file_name();
                let hidden = name
                    .to_str()
                    .is_some_and(|n| n.starts_with('.') || n == "target" || n == "node_modules");
                if path.is_dir() && !hidden {
                    stack.push(path);
                } else if is_test(&path) {
                    out.push(path);
                }
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn load_suite(file: &Path) -> Result<Suite, String> {
    let path = file.display().to_string();
    let text = read_source(&path)?;
    let (v, _) =
        asl_engine::asl::validate::parse_definition(&text).map_err(|d| format!("{path}: {d}"))?;
    let top = v
        .as_object()
        .ok_or_else(|| format!("{path}: a test file is an object with definition and cases"))?;
    let bad = |ptr: &str, what: &str| format!("{path}: {ptr}: {what}");
    for k in top.keys() {
        if ![
            "definition",
            "mockConfig",
            "stateMachine",
            "mocks",
            "resources",
            "buckets",
            "cases",
            "Comment",
        ]
        .contains(&k.as_str())
        {
            return Err(bad(
                &format!("/{k}"),
                "unknown field (a test file has definition, mockConfig, stateMachine, mocks, resources, buckets, cases)",
            ));
        }
    }
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let relative = |field: &str| -> Result<Option<String>, String> {
        match top.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(dir.join(s).display().to_string())),
            Some(_) => Err(bad(
                &format!("/{field}"),
                "must be a path (relative to the test file)",
            )),
        }
    };
    let definition = relative("definition")?.ok_or_else(|| {
        bad(
            "",
            "the field 'definition' is required (the definition's path)",
        )
    })?;
    let machine = load_definition("test", &definition).map_err(|_| {
        format!("{path}: /definition: {definition} is not a valid definition (see above)")
    })?;
    let machine_name = match top.get("stateMachine").and_then(Value::as_str) {
        Some(n) => n.to_string(),
        None => super::setup::machine_name(&definition).unwrap_or_default(),
    };
    let mock_config = match relative("mockConfig")? {
        Some(p) => Some(MockConfig::load(&p).map_err(|e| e.to_string())?),
        None => None,
    };
    // S3 buckets of ItemReaders and ResultWriters as folders: {name: folder}.
    let buckets = match top.get("buckets") {
        None => Vec::new(),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(name, d)| match d.as_str() {
                Some(d) => Ok(format!("{name}={}", dir.join(d).display())),
                None => Err(bad(
                    &format!("/buckets/{name}"),
                    "must be a folder (relative to the test file)",
                )),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(bad(
                "/buckets",
                "must be an object from a bucket's name to a folder",
            ));
        }
    };
    let exec_args = ExecArgs {
        resources: relative("resources")?,
        connections: None,
        clock: ClockKind::Virtual,
        threads: Some(1),
        progress: false,
        quiet: true,
        no_columnar: false,
        buckets,
        data_root: None,
    };
    let executor = build_executor("test", &exec_args, LOCAL_REGION)
        .map_err(|_| format!("{path}: /resources: the resources file can't be used (see above)"))?;
    let file_mocks = top.get("mocks").cloned().unwrap_or(Value::Null);
    let cases = top
        .get("cases")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("/cases", "the field 'cases' is required: a list of cases"))?;
    let mut loaded = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let at = format!("/cases/{i}");
        let c = c
            .as_object()
            .ok_or_else(|| bad(&at, "a case is an object with name, input and expect"))?;
        for k in c.keys() {
            if ![
                "name",
                "input",
                "inputFile",
                "testCase",
                "mocks",
                "expect",
                "Comment",
            ]
            .contains(&k.as_str())
            {
                return Err(bad(
                    &format!("{at}/{k}"),
                    "unknown field (a case has name, input or inputFile, testCase, mocks, expect)",
                ));
            }
        }
        let name = c
            .get("name")
            .and_then(Value::as_str)
            .map_or_else(|| format!("case {i}"), str::to_string);
        let input = match (c.get("input"), c.get("inputFile").and_then(Value::as_str)) {
            (Some(v), None) => v.clone(),
            (None, Some(f)) => {
                let p = dir.join(f).display().to_string();
                let t = read_source(&p)?;
                serde_json::from_str(&t).map_err(|e| {
                    bad(&format!("{at}/inputFile"), &format!("{p} is not JSON: {e}"))
                })?
            }
            (None, None) => json!({}),
            (Some(_), Some(_)) => return Err(bad(&at, "give input or inputFile, not both")),
        };
        let test_case = case_mocks(
            &path,
            &at,
            c,
            &file_mocks,
            mock_config.as_ref(),
            &machine_name,
            &machine,
        )?;
        let expect = match c.get("expect") {
            Some(Value::Object(m)) => m.clone(),
            None => Map::new(),
            Some(_) => return Err(bad(&format!("{at}/expect"), "must be an object")),
        };
        for k in expect.keys() {
            if !EXPECTATIONS.contains(&k.as_str()) {
                return Err(bad(
                    &format!("{at}/expect/{k}"),
                    &format!("unknown expectation (one of {})", EXPECTATIONS.join(", ")),
                ));
            }
        }
        loaded.push(Case {
            name,
            input,
            test_case,
            expect,
        });
    }
    Ok(Suite {
        path,
        machine: Arc::new(machine),
        executor: Arc::new(executor),
        cases: loaded,
    })
}

/// The mocks of a case: the mock configuration's `testCase`, with the file's and the
/// case's inline mocks (state → response in MockedResponses' shape) over it.
fn case_mocks(
    path: &str,
    at: &str,
    c: &Map<String, Value>,
    file_mocks: &Value,
    config: Option<&MockConfig>,
    machine_name: &str,
    machine: &StateMachine,
) -> Result<Option<Arc<TestCase>>, String> {
    let mut case = match c.get("testCase").and_then(Value::as_str) {
        Some(name) => {
            let config = config
                .ok_or_else(|| format!("{path}: {at}/testCase: the test file has no mockConfig"))?;
            let found = match name.split_once('#') {
                Some((m, n)) => config.test_case(m, n),
                None => config
                    .test_case(machine_name, name)
                    .or_else(|| config.only_test_case(name)),
            };
            let found = found.ok_or_else(|| {
                format!(
                    "{path}: {at}/testCase: no test case '{name}' (the mock configuration has: {})",
                    config.case_names().join(", ")
                )
            })?;
            (*found).clone()
        }
        None => TestCase::default(),
    };
    for (source, mocks) in [
        ("/mocks", file_mocks),
        (
            &format!("{at}/mocks")[..],
            c.get("mocks").unwrap_or(&Value::Null),
        ),
    ] {
        let Value::Object(m) = mocks else { continue };
        // The inline mocks as a mock configuration of one test case.
        let states: Map<String, Value> = m.keys().map(|k| (k.clone(), json!(k))).collect();
        let config = json!({"StateMachines": {"inline": {"TestCases": {"inline": states}}},
                            "MockedResponses": m});
        let inline = MockConfig::from_value(&format!("{path} ({source})"), &config)
            .map_err(|e| e.to_string())?;
        if let Some(t) = inline.test_case("inline", "inline") {
            case.states.extend(t.states.clone());
        }
    }
    if case.states.is_empty() {
        return Ok(None);
    }
    let mut tasks = std::collections::HashSet::new();
    machine.for_each_task(&mut |state, _| {
        tasks.insert(state.to_string());
    });
    if let Some(s) = case.unknown_states(|s| tasks.contains(s)).first() {
        return Err(format!(
            "{path}: {at}: the mocked state '{s}' is not a Task state of the definition"
        ));
    }
    case.name = c
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("case")
        .to_string();
    Ok(Some(Arc::new(case)))
}

fn run_case(suite: &Suite, case: &Case) -> CaseResult {
    let started = Instant::now();
    let opts = RunOptions {
        history: true,
        test_case: case.test_case.clone(),
        name: Some(format!("test-{}", uuid::Uuid::new_v4())),
        ..RunOptions::default()
    };
    let out = suite
        .executor
        .run_with(&suite.machine, case.input.clone(), &opts);
    let status = match out.status {
        Status::Succeeded => "SUCCEEDED",
        Status::Failed => "FAILED",
        Status::Aborted => "ABORTED",
        Status::Suspended => "RUNNING",
    };
    let mut failures = Vec::new();
    let e = &case.expect;
    // A case expects success unless it says otherwise.
    let want_status = e.get("status").and_then(Value::as_str).unwrap_or(
        if e.contains_key("error") || e.contains_key("cause") {
            "FAILED"
        } else {
            "SUCCEEDED"
        },
    );
    if want_status != status {
        let why = match (&out.error, &out.cause) {
            (Some(er), Some(c)) => format!(" ({er}: {c})"),
            (Some(er), None) => format!(" ({er})"),
            _ => String::new(),
        };
        failures.push(format!("status: expected {want_status}, got {status}{why}"));
    }
    let output = out.output.clone().unwrap_or(Value::Null);
    if let Some(want) = e.get("output") {
        failures.extend(json_diff("output", want, &output, false));
    }
    if let Some(want) = e.get("outputContains") {
        failures.extend(json_diff("output", want, &output, true));
    }
    for (field, got) in [("error", &out.error), ("cause", &out.cause)] {
        if let Some(want) = e.get(field)
            && want.as_str() != got.as_deref()
        {
            failures.push(format!(
                "{field}: expected {want}, got {}",
                got.as_ref()
                    .map_or("nothing".into(), |g| json!(g).to_string())
            ));
        }
    }
    let entered: Vec<&str> = out
        .history
        .iter()
        .filter(|ev| {
            ev["type"]
                .as_str()
                .is_some_and(|t| t.ends_with("StateEntered"))
        })
        .filter_map(|ev| ev["stateEnteredEventDetails"]["name"].as_str())
        .collect();
    if let Some(want) = e.get("path") {
        let got = json!(entered);
        if *want != got {
            failures.push(format!("path: expected {want}, got {got}"));
        }
    }
    let count = |pred: &dyn Fn(&Value) -> Option<String>| {
        let mut m: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
        for ev in &out.history {
            if let Some(name) = pred(ev) {
                *m.entry(name).or_default() += 1;
            }
        }
        m
    };
    if let Some(Value::Object(want)) = e.get("stateCounts") {
        let got = count(&|ev| {
            ev["type"]
                .as_str()
                .filter(|t| t.ends_with("StateEntered"))?;
            Some(ev["stateEnteredEventDetails"]["name"].as_str()?.to_string())
        });
        for (state, n) in want {
            let g = got.get(state).copied().unwrap_or(0);
            if n.as_u64() != Some(g) {
                failures.push(format!("stateCounts.{state}: expected {n}, got {g}"));
            }
        }
    }
    if let Some(Value::Object(want)) = e.get("invocations") {
        // Task invocations: each Scheduled event, attributed to the state entered last
        // on its path (a Map's iterations each count).
        let mut last = String::new();
        let mut got: std::collections::HashMap<String, u64> = std::collections::HashMap::new();
        for ev in &out.history {
            let t = ev["type"].as_str().unwrap_or("");
            if t == "TaskStateEntered" {
                last = ev["stateEnteredEventDetails"]["name"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
            } else if t.ends_with("Scheduled") && t != "MapIterationScheduled" {
                *got.entry(last.clone()).or_default() += 1;
            }
        }
        for (state, n) in want {
            let g = got.get(state).copied().unwrap_or(0);
            if n.as_u64() != Some(g) {
                failures.push(format!("invocations.{state}: expected {n}, got {g}"));
            }
        }
    }
    CaseResult {
        name: case.name.clone(),
        seconds: started.elapsed().as_secs_f64(),
        failures,
    }
}
