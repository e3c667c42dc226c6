//! Parallel state over data-parallel Maps: a Parallel with 4 branches, each a Map over
//! `$.items` with the item processor of `datasets/map/workflow.asl.json` (Pass with
//! States.MathAdd and States.Format → Choice on the sum → Pass tagging the size).
//!
//! Benchmarks are named `parallel/items=N/threads=T`, N being the items of each branch
//! Map; throughput is counted in items processed (4 × N). Sizes: 4,000 and 10,000 per
//! branch. Threads: 1 and 2.
//!
//! The input is built once and shared with every run (`Executor::run_shared`, no copy);
//! outputs are dropped outside the timer; the plan is made once per executor; virtual
//! clock. Each case is run and checked once before timing.
//!
//! Run: `cargo bench --bench parallel` (add `-- --quick` for a short run).

/// The allocator of the `asl` binary, so the figures match what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use asl_engine::asl::model::load_text;
use asl_engine::exec::{Executor, Progress, RunOptions, Status};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use std::hint::black_box;

#[path = "common.rs"]
mod common;
use common::{expected, make_input};

const BRANCHES: usize = 4;
const WORKFLOW: &str = include_str!("../datasets/map/workflow.asl.json");

/// The Parallel definition: each branch is the benchmark workflow's Map state, its
/// states renamed with the branch number (state names must be unique machine-wide).
fn definition() -> String {
    let wf: Value = serde_json::from_str(WORKFLOW).expect("the workflow is JSON");
    let map_state = &wf["States"]["ProcessItems"];
    let branches: Vec<Value> = (0..BRANCHES)
        .map(|b| {
            let mut m = map_state.clone();
            let proc_ = &mut m["ItemProcessor"];
            let states = proc_["States"].as_object().expect("states").clone();
            let renamed: serde_json::Map<String, Value> = states
                .into_iter()
                .map(|(name, mut st)| {
                    if let Some(next) = st.get("Next").and_then(Value::as_str) {
                        st["Next"] = json!(format!("{next}{b}"));
                    }
                    if let Some(choices) = st.get_mut("Choices").and_then(Value::as_array_mut) {
                        for c in choices {
                            let next = c["Next"].as_str().unwrap().to_owned();
                            c["Next"] = json!(format!("{next}{b}"));
                        }
                    }
                    if let Some(d) = st.get("Default").and_then(Value::as_str) {
                        st["Default"] = json!(format!("{d}{b}"));
                    }
                    (format!("{name}{b}"), st)
                })
                .collect();
            let start = proc_["StartAt"].as_str().unwrap().to_owned();
            proc_["StartAt"] = json!(format!("{start}{b}"));
            proc_["States"] = Value::Object(renamed);
            json!({ "StartAt": format!("ProcessItems{b}"), "States": { format!("ProcessItems{b}"): m } })
        })
        .collect();
    json!({
        "StartAt": "FanOut",
        "States": { "FanOut": { "Type": "Parallel", "Branches": branches, "End": true } }
    })
    .to_string()
}

fn bench(c: &mut Criterion) {
    let sm = load_text(&definition()).expect("the benchmark definition is valid");
    let opts = RunOptions::default();
    let mut g = c.benchmark_group("parallel");
    for n in [4_000usize, 10_000] {
        let input = make_input(n);
        let items = input["items"].as_array().unwrap();
        g.throughput(Throughput::Elements((BRANCHES * n) as u64));
        for t in [1usize, 2] {
            let ex = Executor::builder()
                .threads(t)
                .virtual_clock()
                .progress(Progress::Never)
                .build();
            let plan = ex.plan(sm.clone());
            let check = ex.run_plan(&plan, input.clone(), &opts);
            if check.status != Status::Succeeded {
                eprintln!(
                    "\n*** SKIPPED parallel/items={n}/threads={t}: the execution failed: {:?}: {:?}\n",
                    check.error, check.cause
                );
                continue;
            }
            let out = check
                .output
                .as_ref()
                .and_then(Value::as_array)
                .expect("an array");
            assert_eq!(out.len(), BRANCHES);
            for branch in out {
                let r = branch
                    .as_array()
                    .expect("each branch outputs the Map's array");
                assert_eq!(r.len(), n);
                for i in [0, n - 1] {
                    assert_eq!(r[i], expected(&items[i]), "item {i}");
                }
            }
            let id = BenchmarkId::new(format!("items={n}"), format!("threads={t}"));
            let shared = std::sync::Arc::new(input.clone());
            g.bench_function(id, |b| {
                b.iter_with_large_drop(|| black_box(ex.run_shared(&plan, shared.clone(), &opts)))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
