//! Interpreter overhead: one execution of a loop of Pass and Choice states.
//!
//! `Init` → (`Increment` → `Check`) × 9 → `Done`: 20 states per execution. The
//! definition is loaded once; each iteration runs one execution on a virtual clock.
//! The first group reports executions/s, the second state transitions/s (its time per
//! element is the cost of one state transition).
//!
//! Run: `cargo bench --bench workflow` (add `-- --quick` for a short run).

/// The allocator of the `asl` binary, so the figures match what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use asl_engine::asl::model::load_text;
use asl_engine::exec::{Executor, Status};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use std::hint::black_box;

/// States entered by one execution.
const TRANSITIONS: u64 = 20;

const DEFINITION: &str = r#"{
  "StartAt": "Init",
  "States": {
    "Init": {
      "Type": "Pass",
      "Parameters": { "counter": 0, "order.$": "$.order" },
      "Next": "Increment"
    },
    "Increment": {
      "Type": "Pass",
      "Parameters": {
        "counter.$": "States.MathAdd($.counter, 1)",
        "order.$": "$.order"
      },
      "Next": "Check"
    },
    "Check": {
      "Type": "Choice",
      "Choices": [
        { "Variable": "$.counter", "NumericLessThan": 9, "Next": "Increment" }
      ],
      "Default": "Done"
    },
    "Done": { "Type": "Succeed" }
  }
}"#;

fn bench(c: &mut Criterion) {
    let sm = load_text(DEFINITION).expect("the benchmark definition is valid");
    let ex = Executor::builder().virtual_clock().build();
    let input = json!({"order": {"id": "ord-1", "items": [1, 2, 3]}});

    let check = ex.run(&sm, input.clone());
    assert_eq!(
        check.status,
        Status::Succeeded,
        "{:?} {:?}",
        check.error,
        check.cause
    );
    assert_eq!(
        check.output.as_ref().and_then(|o| o.get("counter")),
        Some(&json!(9))
    );

    let mut g = c.benchmark_group("pass_choice_loop");
    g.throughput(Throughput::Elements(1));
    g.bench_function("executions", |b| {
        b.iter(|| black_box(ex.run(&sm, black_box(input.clone()))))
    });
    g.throughput(Throughput::Elements(TRANSITIONS));
    g.bench_function("transitions", |b| {
        b.iter(|| black_box(ex.run(&sm, black_box(input.clone()))))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
