//! The data-parallel runtime: Map partitions on the work-stealing pool, MaxConcurrency,
//! deterministic failures, tolerated failures, Parallel branches, and nesting at any
//! depth with small pools (no deadlock).

use asl_engine::asl::Failure;
use asl_engine::asl::model::load_text;
use asl_engine::exec::{Executor, Status, TaskRequest};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

fn map_def(processor: &str, extra: &str) -> String {
    format!(
        r#"{{"StartAt":"M","States":{{"M":{{"Type":"Map","ItemsPath":"$.items",{extra}
            "ItemProcessor":{processor},"End":true}}}}}}"#
    )
}

fn items(n: usize) -> Value {
    json!({"items": (0..n).map(|i| json!({"i": i, "a": i % 7, "b": i % 13})).collect::<Vec<_>>()})
}

const COMPUTE: &str = r#"{"StartAt":"P","States":{
    "P":{"Type":"Pass","Parameters":{"i.$":"$.i","sum.$":"States.MathAdd($.a, $.b)"},"Next":"C"},
    "C":{"Type":"Choice","Choices":[{"Variable":"$.sum","NumericGreaterThan":10,"Next":"Big"}],"Default":"Small"},
    "Big":{"Type":"Pass","Result":"big","ResultPath":"$.size","End":true},
    "Small":{"Type":"Pass","Result":"small","ResultPath":"$.size","End":true}}}"#;

fn expected(n: usize) -> Value {
    Value::Array(
        (0..n)
            .map(|i| {
                let sum = i % 7 + i % 13;
                json!({"i": i, "sum": sum, "size": if sum > 10 { "big" } else { "small" }})
            })
            .collect(),
    )
}

#[test]
fn results_keep_input_order_on_any_pool_size() {
    let sm = load_text(&map_def(COMPUTE, "")).unwrap();
    for threads in [1, 2, 4] {
        let ex = Executor::builder().threads(threads).build();
        let out = ex.run(&sm, items(10_000));
        assert_eq!(out.status, Status::Succeeded, "{:?}", out.cause);
        assert_eq!(out.output.unwrap(), expected(10_000), "threads={threads}");
    }
}

/// A task that records which items ran and how many ran at once.
#[derive(Default)]
struct Probe {
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    order: Mutex<Vec<u64>>,
}

fn probe_executor(threads: usize, probe: Arc<Probe>) -> Executor {
    Executor::builder()
        .threads(threads)
        .task(
            "arn:aws:states:::aws-sdk:test:probe",
            move |r: &TaskRequest<'_>| {
                let now = probe.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                probe.max_in_flight.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_micros(300));
                probe
                    .order
                    .lock()
                    .unwrap()
                    .push(r.input["i"].as_u64().unwrap());
                probe.in_flight.fetch_sub(1, Ordering::SeqCst);
                Ok(r.input.clone())
            },
        )
        .build()
}

const PROBE: &str = r#"{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:test:probe","End":true}}}"#;

#[test]
fn max_concurrency_one_runs_items_one_at_a_time_in_order() {
    let sm = load_text(&map_def(PROBE, r#""MaxConcurrency":1,"#)).unwrap();
    let probe = Arc::new(Probe::default());
    let out = probe_executor(4, probe.clone()).run(&sm, items(200));
    assert_eq!(out.status, Status::Succeeded);
    assert_eq!(probe.max_in_flight.load(Ordering::SeqCst), 1);
    assert_eq!(*probe.order.lock().unwrap(), (0..200).collect::<Vec<u64>>());
}

#[test]
fn max_concurrency_n_bounds_iterations_in_flight() {
    let sm = load_text(&map_def(PROBE, r#""MaxConcurrency":2,"#)).unwrap();
    let probe = Arc::new(Probe::default());
    let out = probe_executor(4, probe.clone()).run(&sm, items(200));
    assert_eq!(out.status, Status::Succeeded);
    assert!(probe.max_in_flight.load(Ordering::SeqCst) <= 2);
    let mut seen = probe.order.lock().unwrap().clone();
    seen.sort();
    assert_eq!(seen, (0..200).collect::<Vec<u64>>());
    // Results stay in input order.
    let ids: Vec<u64> = out
        .output
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["i"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, (0..200).collect::<Vec<u64>>());
}

const FAIL_SOME: &str = r#"{"StartAt":"C","States":{
    "C":{"Type":"Choice","Choices":[
        {"Variable":"$.i","NumericEquals":5,"Next":"F5"},
        {"Variable":"$.i","NumericEquals":5000,"Next":"F5000"}],"Default":"Ok"},
    "F5":{"Type":"Fail","Error":"Item5","Cause":"five"},
    "F5000":{"Type":"Fail","Error":"Item5000","Cause":"five thousand"},
    "Ok":{"Type":"Pass","End":true}}}"#;

#[test]
fn an_unhandled_failure_fails_the_map_with_the_lowest_index_error() {
    let sm = load_text(&map_def(FAIL_SOME, "")).unwrap();
    for threads in [1, 2, 4] {
        for _ in 0..5 {
            let out = Executor::builder()
                .threads(threads)
                .build()
                .run(&sm, items(10_000));
            assert_eq!(out.status, Status::Failed);
            assert_eq!(out.error.as_deref(), Some("Item5"), "threads={threads}");
            assert_eq!(out.cause.as_deref(), Some("five"));
        }
    }
}

#[test]
fn tolerated_failures_keep_the_other_results() {
    let sm = load_text(&map_def(FAIL_SOME, r#""ToleratedFailureCount":2,"#)).unwrap();
    let out = Executor::builder()
        .threads(2)
        .build()
        .run(&sm, items(10_000));
    assert_eq!(out.status, Status::Succeeded, "{:?}", out.cause);
    let res = out.output.unwrap();
    let res = res.as_array().unwrap();
    assert_eq!(res.len(), 10_000);
    assert_eq!(res[5], json!({"Error": "Item5", "Cause": "five"}));
    assert_eq!(res[4], json!({"i": 4, "a": 4, "b": 4}));
    assert_eq!(res[9_999]["i"], 9_999);

    let sm = load_text(&map_def(FAIL_SOME, r#""ToleratedFailureCount":1,"#)).unwrap();
    let out = Executor::builder()
        .threads(2)
        .build()
        .run(&sm, items(10_000));
    assert_eq!(
        out.error.as_deref(),
        Some("States.ExceedToleratedFailureThreshold")
    );

    // 2 failures of 10,000 items are 0.02%.
    let sm = load_text(&map_def(FAIL_SOME, r#""ToleratedFailurePercentage":0.05,"#)).unwrap();
    let out = Executor::builder()
        .threads(2)
        .build()
        .run(&sm, items(10_000));
    assert_eq!(out.status, Status::Succeeded, "{:?}", out.error);
    let sm = load_text(&map_def(FAIL_SOME, r#""ToleratedFailurePercentage":0.01,"#)).unwrap();
    let out = Executor::builder()
        .threads(2)
        .build()
        .run(&sm, items(10_000));
    assert_eq!(
        out.error.as_deref(),
        Some("States.ExceedToleratedFailureThreshold")
    );
}

#[test]
fn caught_item_failures_never_lose_other_results() {
    let processor = r#"{"StartAt":"T","States":{
        "T":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:test:odd","Catch":[{"ErrorEquals":["Odd"],"ResultPath":"$.err","Next":"Caught"}],"End":true},
        "Caught":{"Type":"Pass","Result":"caught","ResultPath":"$.status","End":true}}}"#;
    let sm = load_text(&map_def(processor, "")).unwrap();
    let ex = Executor::builder()
        .threads(2)
        .task(
            "arn:aws:states:::aws-sdk:test:odd",
            |r: &TaskRequest<'_>| {
                if r.input["i"].as_u64().unwrap() % 2 == 1 {
                    Err(Failure::new("Odd", "odd item"))
                } else {
                    Ok(json!({"even": r.input["i"]}))
                }
            },
        )
        .build();
    let out = ex.run(&sm, items(1_000));
    assert_eq!(out.status, Status::Succeeded);
    let res = out.output.unwrap();
    for (i, r) in res.as_array().unwrap().iter().enumerate() {
        if i % 2 == 0 {
            assert_eq!(r, &json!({"even": i}));
        } else {
            assert_eq!(r["status"], "caught");
            assert_eq!(r["err"], json!({"Error": "Odd", "Cause": "odd item"}));
        }
    }
}

#[test]
fn a_failing_parallel_branch_stops_the_others() {
    let def = r#"{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
        {"StartAt":"F","States":{"F":{"Type":"Fail","Error":"BranchZero","Cause":"boom"}}},
        {"StartAt":"Count","States":{
            "Count":{"Type":"Task","Resource":"arn:aws:states:::aws-sdk:test:count","Next":"Loop"},
            "Loop":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericLessThan":1000000,"Next":"Count"}],"Default":"Done"},
            "Done":{"Type":"Succeed"}}}]}}}"#;
    let sm = load_text(def).unwrap();
    let counter = Arc::new(AtomicUsize::new(0));
    let c = counter.clone();
    let ex = Executor::builder()
        .task(
            "arn:aws:states:::aws-sdk:test:count",
            move |_: &TaskRequest<'_>| {
                let n = c.fetch_add(1, Ordering::SeqCst) + 1;
                std::thread::sleep(std::time::Duration::from_micros(50));
                Ok(json!({"n": n}))
            },
        )
        .build();
    let out = ex.run(&sm, json!({}));
    assert_eq!(out.error.as_deref(), Some("BranchZero"));
    assert!(
        counter.load(Ordering::SeqCst) < 1_000_000,
        "the looping branch was stopped"
    );
}

#[test]
fn parallel_output_is_branch_outputs_in_branch_order() {
    let def = r#"{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
        {"StartAt":"A","States":{"A":{"Type":"Pass","Result":"a","End":true}}},
        {"StartAt":"B","States":{"B":{"Type":"Wait","Seconds":1,"Next":"B2"},"B2":{"Type":"Pass","Result":"b","End":true}}},
        {"StartAt":"C","States":{"C":{"Type":"Pass","Parameters":{"x.$":"$.x"},"End":true}}}]}}}"#;
    let sm = load_text(def).unwrap();
    let out = Executor::builder()
        .virtual_clock()
        .build()
        .run(&sm, json!({"x": 1}));
    assert_eq!(out.output, Some(json!(["a", "b", {"x": 1}])));
}

/// Map inside Parallel inside Map, with compute and blocking (Wait) work, on pools of
/// one and two threads: no deadlock, right results.
#[test]
fn nested_map_parallel_map_with_small_pools() {
    let def = r#"{"StartAt":"Outer","States":{"Outer":{"Type":"Map","ItemsPath":"$.groups","End":true,
        "ItemProcessor":{"StartAt":"Par","States":{"Par":{"Type":"Parallel","End":true,"Branches":[
            {"StartAt":"Inner","States":{"Inner":{"Type":"Map","ItemsPath":"$.items","End":true,
                "ItemProcessor":{"StartAt":"Sq","States":{"Sq":{"Type":"Pass","Parameters":{"v.$":"States.MathAdd($.v, 1)"},"End":true}}}}}},
            {"StartAt":"W","States":{"W":{"Type":"Map","ItemsPath":"$.items","End":true,
                "ItemProcessor":{"StartAt":"Wt","States":{"Wt":{"Type":"Wait","Seconds":1,"Next":"Id"},"Id":{"Type":"Pass","End":true}}}}}}
        ]}}}}}}"#;
    let sm = load_text(def).unwrap();
    let groups: Vec<Value> = (0..20)
        .map(|g| json!({"items": (0..50).map(|v| json!({"v": g * 100 + v})).collect::<Vec<_>>()}))
        .collect();
    let expect: Vec<Value> = (0..20)
        .map(|g| {
            json!([
                (0..50)
                    .map(|v| json!({"v": g * 100 + v + 1}))
                    .collect::<Vec<_>>(),
                (0..50)
                    .map(|v| json!({"v": g * 100 + v}))
                    .collect::<Vec<_>>()
            ])
        })
        .collect();
    for threads in [1, 2] {
        let ex = Executor::builder().threads(threads).virtual_clock().build();
        let out = ex.run(&sm, json!({"groups": groups}));
        assert_eq!(out.status, Status::Succeeded, "{:?}", out.cause);
        assert_eq!(
            out.output.unwrap(),
            Value::Array(expect.clone()),
            "threads={threads}"
        );
    }
}
