//! Data-parallel Map throughput: the benchmark workflow `datasets/map/workflow.asl.json`
//! (a Map over `$.items`; per item a Pass with States.MathAdd and States.Format, a
//! Choice on the sum and a Pass tagging the size) with its items already in memory.
//!
//! Benchmarks are named `map/items=N/threads=T/batch=B` and report items/s. Sizes:
//! 10,000 and 100,000; 1,000,000 too with `ASL_BENCH_LARGE=1`. Threads: 1, 2 and the
//! core count when larger. Batch: items per partition (`ExecutorBuilder::partition_size`;
//! the Map runs columnar here, so one partition is one RecordBatch): the engine's own
//! choice (`auto`, 8192) and 1024.
//!
//! The input is built once and shared with every run (`Executor::run_shared`, no copy);
//! outputs are dropped outside the timer: what is measured is the Map state over items
//! already in memory. The plan is made once per executor; virtual clock.
//!
//! Every case is run once before timing and its output checked against the expected
//! result. A case the engine rejects with States.DataLimitExceeded (the execution input
//! is over 256 KiB, which AWS refuses and so does the engine) is reported on stderr and
//! skipped, so that no time is spent measuring the failure path.
//!
//! Run: `cargo bench --bench map` (add `-- --quick` for a short run, and a filter such
//! as `-- --quick items=100000` to pick cases).

/// The allocator of the `asl` binary, so the figures match what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use asl_engine::asl::model::load_text;
use asl_engine::exec::{Executor, Progress, RunOptions, Status};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;
use std::hint::black_box;

#[path = "common.rs"]
mod common;
use common::{expected, make_input};

const DEFINITION: &str = include_str!("../datasets/map/workflow.asl.json");

fn sizes() -> Vec<usize> {
    let mut v = vec![10_000, 100_000];
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
        let shared = std::sync::Arc::new(input.clone());
        g.throughput(Throughput::Elements(n as u64));
        if n >= 100_000 {
            g.sample_size(10);
        }
        for t in thread_counts() {
            for batch in [0usize, 1024] {
                let ex = Executor::builder()
                    .threads(t)
                    .partition_size(batch)
                    .virtual_clock()
                    .progress(Progress::Never)
                    .build();
                let plan = ex.plan(sm.clone());
                let b = if batch == 0 {
                    "auto".to_string()
                } else {
                    batch.to_string()
                };
                let id = BenchmarkId::new(format!("items={n}"), format!("threads={t}/batch={b}"));

                let check = ex.run_shared(&plan, shared.clone(), &opts);
                assert_eq!(
                    check.status,
                    Status::Succeeded,
                    "{:?}: {:?}",
                    check.error,
                    check.cause
                );
                let out = check
                    .output
                    .as_ref()
                    .and_then(Value::as_array)
                    .expect("an array");
                assert_eq!(out.len(), n);
                for i in [0, n / 2, n - 1] {
                    assert_eq!(out[i], expected(&items[i]), "item {i}");
                }
                g.bench_function(id, |b| {
                    b.iter_with_large_drop(|| {
                        black_box(ex.run_shared(&plan, shared.clone(), &opts))
                    })
                });
            }
        }
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
