//! Runs the AWS-recorded conformance corpus in `../shared/conformance/cases` (when it
//! exists) and reports the pass rate per group. A failing case must be listed in
//! `tests/conformance/known_failures.txt` with its reason; a listed case that passes
//! fails the run too, so the list stays honest.

#[path = "conformance/harness.rs"]
mod harness;

use asl_engine::asl::model::load_value;
use asl_engine::exec::{ExecutionMode, Executor, RunOptions, Status};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// Groups of the JSONata query language (reported apart in the summary).
const JSONATA_GROUPS: &[&str] = &[
    "jsonata_eval",
    "intrinsic_jsonata",
    "outputdecl",
    "query_language",
    "lambda_jsonata_eval",
    "lambda_outputdecl",
    "lambda_query_language",
];

fn cases_dir() -> Option<PathBuf> {
    let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/cases");
    d.is_dir().then_some(d)
}

fn known_failures() -> HashMap<String, String> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/known_failures.txt");
    let text = std::fs::read_to_string(p).unwrap_or_default();
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once(char::is_whitespace) {
            Some((n, r)) => (n.to_string(), r.trim().to_string()),
            None => (l.to_string(), String::new()),
        })
        .collect()
}

fn is_jsonata(case: &Value, group: &str) -> bool {
    JSONATA_GROUPS.contains(&group)
        || case["features"]
            .as_array()
            .is_some_and(|f| f.iter().any(|x| x == "JSONata"))
}

/// Runs one case; Err(reason) when it does not match the recording.
fn run_case(case: &Value) -> Result<(), String> {
    let tokens: Vec<String> = case["placeholder_tokens"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let sm = load_value(&case["definition"]).map_err(|e| format!("not loaded: {e}"))?;
    let ex = harness::register_lambdas(Executor::builder().virtual_clock()).build();
    let mode = match case["execution_mode"].as_str() {
        Some("EXPRESS_SYNC") => ExecutionMode::ExpressSync,
        Some("EXPRESS_ASYNC") => ExecutionMode::ExpressAsync,
        _ => ExecutionMode::Standard,
    };
    let opts = RunOptions {
        mode,
        ..RunOptions::default()
    };
    let input = case["input"].clone();
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        ex.run_with(&sm, input, &opts)
    }))
    .map_err(|p| {
        format!(
            "panicked: {:?}",
            p.downcast_ref::<String>()
                .map(String::as_str)
                .or(p.downcast_ref::<&str>().copied())
        )
    })?;
    let exp = &case["expected"];
    let status = match out.status {
        Status::Succeeded => "SUCCEEDED",
        Status::Failed => "FAILED",
        Status::Aborted => "ABORTED",
        Status::Suspended => "SUSPENDED",
    };
    if exp["status"] != status {
        return Err(format!(
            "status {status} (error {:?}, cause {:?}, output {:?}), expected {}",
            out.error,
            out.cause
                .as_deref()
                .map(|c| c.chars().take(300).collect::<String>()),
            out.output
                .as_ref()
                .map(|o| o.to_string().chars().take(300).collect::<String>()),
            exp["status"]
        ));
    }
    if status == "SUCCEEDED" {
        let actual = out.output.unwrap_or(Value::Null);
        if !harness::matches(&exp["output"], &actual, &tokens) {
            return Err(format!("output {actual}, expected {}", exp["output"]));
        }
        return Ok(());
    }
    let err = out.error.map(Value::String).unwrap_or(Value::Null);
    if !harness::matches(&exp["error"], &err, &tokens) {
        return Err(format!("error {err}, expected {}", exp["error"]));
    }
    let cause = out.cause.map(Value::String).unwrap_or(Value::Null);
    let cause_ok = if exp["cause_is_json"] == true {
        let parse = |v: &Value| {
            v.as_str()
                .and_then(|s| serde_json::from_str::<Value>(s).ok())
        };
        match (parse(&exp["cause"]), parse(&cause)) {
            (Some(e), Some(a)) => harness::matches(&e, &a, &tokens),
            _ => harness::matches(&exp["cause"], &cause, &tokens),
        }
    } else {
        harness::matches(&exp["cause"], &cause, &tokens)
    };
    if !cause_ok {
        return Err(format!("cause {cause}, expected {}", exp["cause"]));
    }
    Ok(())
}

/// A plain binary (harness = false in Cargo.toml), so the pass rates are printed on
/// every `cargo test`, not only when a test fails.
fn main() {
    if let Err(msg) = conformance_corpus() {
        eprintln!("{msg}");
        std::process::exit(1);
    }
}

fn conformance_corpus() -> Result<(), String> {
    let Some(dir) = cases_dir() else {
        println!("NOTICE: ../shared/conformance/cases not found; conformance corpus skipped");
        return Ok(());
    };
    let known = known_failures();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("cases folder is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    // group -> (passed, failed); and the same split by query language.
    let mut groups: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    let mut by_ql: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    let mut unexpected = Vec::new();
    let mut stale = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("case is readable");
        let case: Value = serde_json::from_str(&text).expect("case is JSON");
        let name = case["name"].as_str().unwrap_or_default().to_string();
        let group = name.split("__").next().unwrap_or_default().to_string();
        let ql = if is_jsonata(&case, &group) {
            "JSONata"
        } else {
            "JSONPath"
        };
        let g = groups.entry(group.clone()).or_default();
        let q = by_ql.entry(ql).or_default();
        match run_case(&case) {
            Ok(()) => {
                g.0 += 1;
                q.0 += 1;
                if known.contains_key(&name) {
                    stale.push(name);
                }
            }
            Err(why) => {
                g.1 += 1;
                q.1 += 1;
                if !known.contains_key(&name) {
                    unexpected.push(format!("{name}: {why}"));
                }
            }
        }
    }
    let (mut p, mut t) = (0, 0);
    println!("conformance (cases recorded on AWS Step Functions):");
    for (g, (pass, fail)) in &groups {
        println!("  {g:<28} {pass:>4}/{:<4} passed", pass + fail);
        p += pass;
        t += pass + fail;
    }
    for (ql, (pass, fail)) in &by_ql {
        println!(
            "  {ql} cases: {pass}/{} passed ({:.1}%)",
            pass + fail,
            100.0 * *pass as f64 / (pass + fail).max(1) as f64
        );
    }
    println!(
        "  TOTAL {p}/{t} passed ({:.1}%)",
        100.0 * p as f64 / t.max(1) as f64
    );
    if !unexpected.is_empty() {
        println!("unexpected failures ({}):", unexpected.len());
        for u in &unexpected {
            println!("  {u}");
        }
    }
    if !stale.is_empty() {
        println!(
            "listed in known_failures.txt but passing ({}): {}",
            stale.len(),
            stale.join(", ")
        );
    }
    let known_failing = (t - p) as usize - unexpected.len();
    println!(
        "{known_failing} known failures (tests/conformance/known_failures.txt) are counted as skipped"
    );
    println!(
        "conformance: {p} passed, {} failed, {known_failing} skipped",
        unexpected.len()
    );
    if unexpected.is_empty() && stale.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "conformance: {} unexpected failures, {} stale known failures",
            unexpected.len(),
            stale.len()
        ))
    }
}
