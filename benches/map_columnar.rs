//! Row interpreter vs columnar execution of one Map item processor over 100,000 items.
//!
//! `row`: the whole Map state on the row-parallel interpreter (`columnar(false)`), the
//! items already parsed in memory (shared with every run, not copied). `columnar`: the
//! items already in Arrow form, partitions of 8192 rows run in parallel; `to_json` is
//! not timed. Both are checked to give identical outputs first.

/// The allocator of the `asl` binary, so the figures match what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use asl_engine::asl::model::{StateKind, StateMachine, load_text};
use asl_engine::exec::columnar::{ColumnarOutput, ColumnarProgram, items_to_batch};
use asl_engine::exec::{Executor, RunOptions};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;
use serde_json::{Value, json};
use std::hint::black_box;

const N: usize = 100_000;
const PARTITION: usize = 8192;

const MACHINE: &str = r#"{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.items",
  "ItemProcessor": {"StartAt": "P", "States": {
    "P": {"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.a, $.b)",
          "label.$": "States.Format('{} of {}', $.name, $.category)", "a.$": "$.a", "name.$": "$.name"},
          "Next": "C"},
    "C": {"Type": "Choice", "Choices": [{"Variable": "$.sum", "NumericGreaterThan": 1000, "Next": "Big"}],
          "Default": "Small"},
    "Big": {"Type": "Pass", "Result": "big", "ResultPath": "$.size", "End": true},
    "Small": {"Type": "Pass", "Result": "small", "ResultPath": "$.size", "End": true}}},
  "End": true}}}"#;

fn items() -> Vec<Value> {
    let cats = ["red", "green", "blue", "ünïcode"];
    (0..N)
        .map(|i| {
            json!({"a": (i * 7919) % 1500, "b": (i * 104_729) % 1000,
                   "name": format!("item-{i}"), "category": cats[i % cats.len()]})
        })
        .collect()
}

fn processor(sm: &StateMachine) -> &StateMachine {
    match sm.states.first().map(|s| &s.kind) {
        Some(StateKind::Map(m)) => &m.processor,
        _ => panic!("the benchmark machine starts with its Map"),
    }
}

fn bench(c: &mut Criterion) {
    let items = items();
    let sm = load_text(MACHINE).expect("the benchmark machine is valid");
    let program = ColumnarProgram::compile(processor(&sm), None).expect("columnar form");
    let batches: Vec<_> = items
        .chunks(PARTITION)
        .map(|c| items_to_batch(c).expect("one shape"))
        .collect();
    // The row side: the whole Map state on the row interpreter (columnar turned off),
    // over the same items already in memory (shared, not copied per run).
    let ex = Executor::builder().virtual_clock().columnar(false).build();
    let plan = ex.plan(sm.clone());
    let input = std::sync::Arc::new(json!({ "items": items }));
    let opts = RunOptions::default();
    let run_rows = || ex.run_shared(&plan, input.clone(), &opts).output;

    // Both paths give the same outputs.
    let row_out: Vec<Value> = match run_rows() {
        Some(Value::Array(a)) => a,
        other => panic!("the Map failed: {other:?}"),
    };
    let col_out: Vec<Value> = batches
        .iter()
        .flat_map(|b| program.run(b).expect("columnar run").to_json())
        .collect();
    assert_eq!(row_out, col_out);

    let mut g = c.benchmark_group("map_columnar");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(10);
    g.bench_function("row", |b| b.iter_with_large_drop(|| black_box(run_rows())));
    g.bench_function("columnar", |b| {
        b.iter_with_large_drop(|| {
            let out: Vec<Result<ColumnarOutput, String>> =
                batches.par_iter().map(|b| program.run(b)).collect();
            black_box(out)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
