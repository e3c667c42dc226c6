//! Data-parallel Map throughput: the benchmark workflow `datasets/map/workflow.asl.json`
//! (a Map over `$.items`; per item a Pass with States.MathAdd and States.Format, a
//! Choice on the sum and a Pass tagging the size) with its items already in memory.
//!
//! Benchmarks are named `map/items=N/threads=T` and report items/s. Sizes: 4,000
//! (the largest round size whose execution input fits AWS's 256 KiB payload quota),
//! 10,000 and 100,000; 1,000,000 too with `ASL_BENCH_LARGE=1`. Threads: 1, 2 and the
//! core count when larger.
//!
//! The input `Value` is built once; each iteration gets a fresh clone outside the timer
//! (`iter_batched`, `BatchSize::LargeInput`) and runs one execution of the plan (planned
//! once per executor) on a virtual clock. The definition is parsed once.
//!
//! Partition ("batch") size is not a dimension here: the engine's API exposes no knob
//! for it; the engine picks it itself (`partition_size` in src/exec/map.rs: n / (8 ×
//! threads), clamped to 1..=4096 items).
//!
//! Every case is run once before timing and its output checked against the expected
//! result. A case the engine rejects with States.DataLimitExceeded (the execution input
//! is over 256 KiB, which AWS refuses and so does the engine) is reported on stderr and
//! skipped, so that no time is spent measuring the failure path.
//!
//! Run: `cargo bench --bench map` (add `-- --quick` for a short run, and a filter such
//! as `-- --quick items=100000` to pick cases).

use asl_engine::asl::model::load_text;
use asl_engine::exec::{Executor, Progress, RunOptions, Status};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use std::hint::black_box;

const DEFINITION: &str = include_str!("../datasets/map/workflow.asl.json");
const CATEGORIES: [&str; 5] = ["books", "garden", "toys", "tools", "music"];

/// `{"items": [...]}` with `n` items shaped like datasets/gen_map_input.py's (a
/// deterministic xorshift instead of Python's generator).
pub fn make_input(n: usize) -> Value {
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let items: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "a": next() % 1000,
                "b": next() % 1000,
                "name": format!("item-{i}"),
                "category": CATEGORIES[(next() % CATEGORIES.len() as u64) as usize],
            })
        })
        .collect();
    json!({ "items": items })
}

/// What the workflow outputs for one item (the hand-written program's computation).
fn expected(item: &Value) -> Value {
    let sum = item["a"].as_i64().unwrap() + item["b"].as_i64().unwrap();
    json!({
        "sum": sum,
        "label": format!("{} of {}", item["name"].as_str().unwrap(), item["category"].as_str().unwrap()),
        "a": item["a"],
        "name": item["name"],
        "size": if sum > 1000 { "big" } else { "small" },
    })
}

fn sizes() -> Vec<usize> {
    let mut v = vec![4_000, 10_000, 100_000];
    if std::env::var("ASL_BENCH_LARGE").is_ok_and(|s| s == "1") {
        v.push(1_000_000);
    }
    v
}

fn thread_counts() -> Vec<usize> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut v = vec![1, 2];
    if cores > 2 {
        v.push(cores);
    }
    v
}

fn bench(c: &mut Criterion) {
    let sm = load_text(DEFINITION).expect("the benchmark definition is valid");
    let opts = RunOptions::default();
    let mut g = c.benchmark_group("map");
    for n in sizes() {
        let input = make_input(n);
        let items = input["items"].as_array().unwrap();
        g.throughput(Throughput::Elements(n as u64));
        if n >= 100_000 {
            g.sample_size(10);
        }
        for t in thread_counts() {
            let ex = Executor::builder()
                .threads(t)
                .virtual_clock()
                .progress(Progress::Never)
                .build();
            let plan = ex.plan(sm.clone());
            let id = BenchmarkId::new(format!("items={n}"), format!("threads={t}"));

            let check = ex.run_plan(&plan, input.clone(), &opts);
            if check.status != Status::Succeeded {
                eprintln!(
                    "\n*** SKIPPED map/items={n}/threads={t}: the execution failed: {:?}: {:?}\n",
                    check.error, check.cause
                );
                continue;
            }
            let out = check.output.as_ref().and_then(Value::as_array).expect("an array");
            assert_eq!(out.len(), n);
            for i in [0, n / 2, n - 1] {
                assert_eq!(out[i], expected(&items[i]), "item {i}");
            }

            g.bench_with_input(id, &input, |b, input| {
                b.iter_batched(
                    || input.clone(),
                    |inp| black_box(ex.run_plan(&plan, inp, &opts)),
                    BatchSize::LargeInput,
                )
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
