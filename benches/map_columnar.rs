//! Row interpreter vs columnar execution of one Map item processor over 100,000 items.
//!
//! `row`: every item through the processor with `Executor::run_with`, items in
//! parallel with rayon (a Map over 100,000 items is past AWS's 256 KiB input limit,
//! so the whole machine can't take them as one input). `columnar`: the items already
//! in Arrow form, partitions of 8192 rows run in parallel; `to_json` is not timed.

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

fn processor() -> StateMachine {
    let sm = load_text(MACHINE).expect("the benchmark machine is valid");
    match sm.states.into_iter().next().map(|s| s.kind) {
        Some(StateKind::Map(m)) => m.processor,
        _ => panic!("the benchmark machine starts with its Map"),
    }
}

fn bench(c: &mut Criterion) {
    let items = items();
    let proc_sm = processor();
    let program = ColumnarProgram::compile(&proc_sm, None).expect("columnar form");
    let batches: Vec<_> = items
        .chunks(PARTITION)
        .map(|c| items_to_batch(c).expect("one shape"))
        .collect();
    let ex = Executor::builder().virtual_clock().build();
    let opts = RunOptions {
        name: Some("bench".into()),
        ..RunOptions::default()
    };

    // Both paths give the same outputs.
    let row_out: Vec<Value> = items
        .par_iter()
        .map(|it| {
            ex.run_with(&proc_sm, it.clone(), &opts)
                .output
                .unwrap_or(Value::Null)
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
    g.bench_function("row", |b| {
        b.iter(|| {
            let out: Vec<Option<Value>> = items
                .par_iter()
                .map(|it| ex.run_with(&proc_sm, it.clone(), &opts).output)
                .collect();
            black_box(out)
        })
    });
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
