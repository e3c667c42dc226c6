//! Row interpreter vs columnar execution of one Map item processor over 100,000 items.
//!
//! `row`: the whole state machine run with `Executor::run` on `{"items": [...]}`, the
//! items in chunks of 1000 (100,000 items are past AWS's 256 KiB input limit), the
//! chunks in parallel with rayon. `columnar`: the items already in Arrow form,
//! partitions of 8192 rows run in parallel; `to_json` is not timed.

/// The allocator of the `asl` binary, so the figures match what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use asl_engine::asl::model::{StateKind, StateMachine, load_text};
use asl_engine::exec::Executor;
use asl_engine::exec::columnar::{ColumnarOutput, ColumnarProgram, items_to_batch};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rayon::prelude::*;
use serde_json::{Value, json};
use std::hint::black_box;

const N: usize = 100_000;
const PARTITION: usize = 8192;
const ROW_CHUNK: usize = 1000;

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
    let inputs: Vec<Value> = items
        .chunks(ROW_CHUNK)
        .map(|c| json!({ "items": c }))
        .collect();
    let ex = Executor::builder().virtual_clock().build();
    let run_rows = || -> Vec<Option<Value>> {
        inputs
            .par_iter()
            .map(|input| ex.run(&sm, input.clone()).output)
            .collect()
    };

    // Both paths give the same outputs.
    let row_out: Vec<Value> = run_rows()
        .into_iter()
        .flat_map(|o| match o {
            Some(Value::Array(a)) => a,
            other => panic!("the Map failed: {other:?}"),
        })
        .collect();
    let col_out: Vec<Value> = batches
        .iter()
        .flat_map(|b| program.run(b).expect("columnar run").to_json())
        .collect();
    assert_eq!(row_out, col_out);

    let mut g = c.benchmark_group("map_columnar");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(10);
    g.bench_function("row", |b| b.iter(|| black_box(run_rows())));
    g.bench_function("columnar", |b| {
        b.iter(|| {
            let out: Vec<Result<ColumnarOutput, String>> =
                batches.par_iter().map(|b| program.run(b)).collect();
            black_box(out)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
