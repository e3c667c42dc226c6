//! The Distributed Map data plane end to end through the executor: ItemReader sources,
//! ItemBatcher, MaxItems, tolerated failures, and errors naming bucket and path.

use asl_engine::asl::model::load_text;
use asl_engine::exec::{Executor, Status};
use serde_json::{Value, json};
use std::path::PathBuf;

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("asl-dataplane-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn map(reader: &str, extra: &str, processor: &str) -> String {
    format!(
        r#"{{"StartAt":"M","States":{{"M":{{"Type":"Map","End":true,"ItemReader":{reader},{extra}
        "ItemProcessor":{{"ProcessorConfig":{{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"}},{processor}}}}}}}}}"#
    )
}

fn jsonl(d: &PathBuf, n: usize) {
    let lines: Vec<String> = (0..n)
        .map(|i| json!({"i": i, "status": if i % 7 == 0 { 500 } else { 200 }}).to_string())
        .collect();
    std::fs::write(d.join("log.jsonl"), lines.join("\n")).unwrap();
}

const PASS_I: &str =
    r#""StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"i.$":"$.i"},"End":true}}"#;

#[test]
fn jsonl_reader_streams_items_in_order_with_max_items() {
    let d = dir("jsonl");
    jsonl(&d, 20_000);
    let reader = r#"{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSONL","MaxItemsPath":"$.max"},"Parameters":{"Bucket":"logs","Key.$":"$.key"}}"#;
    let sm = load_text(&map(reader, "", PASS_I)).unwrap();
    let ex = Executor::builder().bucket("logs", &d).threads(2).build();
    let out = ex.run(&sm, json!({"key": "log.jsonl", "max": 12_345}));
    assert_eq!(out.status, Status::Succeeded, "{:?}", out.cause);
    let items = out.output.unwrap();
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 12_345);
    for (k, v) in items.iter().enumerate() {
        assert_eq!(v, &json!({"i": k}));
    }
}

#[test]
fn item_batcher_groups_across_reader_chunks() {
    let d = dir("batch");
    jsonl(&d, 20_000);
    let reader = r#"{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSONL","MaxItems":10000},"Parameters":{"Bucket":"logs","Key":"log.jsonl"}}"#;
    let batcher = r#""ItemBatcher":{"MaxItemsPerBatch":1000,"BatchInput":{"tag":"x"}},"#;
    let p = r#""StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"n.$":"States.ArrayLength($.Items)","first.$":"$.Items[0].i","tag.$":"$.BatchInput.tag"},"End":true}}"#;
    let sm = load_text(&map(reader, batcher, p)).unwrap();
    let out = Executor::builder()
        .bucket("logs", &d)
        .build()
        .run(&sm, json!({}));
    assert_eq!(out.status, Status::Succeeded, "{:?}", out.cause);
    let expected: Vec<Value> = (0..10)
        .map(|b| json!({"n": 1000, "first": b * 1000, "tag": "x"}))
        .collect();
    assert_eq!(out.output.unwrap(), Value::Array(expected));
}

#[test]
fn csv_items_are_objects_of_strings() {
    let d = dir("csv");
    std::fs::write(d.join("t.csv"), "id|name|n\n1|a|10\n2|\"b|c\"|20\n").unwrap();
    let reader = r#"{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW","CSVDelimiter":"PIPE"},"Parameters":{"Bucket":"b","Key":"t.csv"}}"#;
    let p = r#""StartAt":"P","States":{"P":{"Type":"Pass","End":true}}"#;
    let sm = load_text(&map(reader, "", p)).unwrap();
    let out = Executor::builder()
        .data_root(d.parent().unwrap())
        .bucket("b", &d)
        .build()
        .run(&sm, json!({}));
    assert_eq!(
        out.output,
        Some(json!([{"id": "1", "name": "a", "n": "10"}, {"id": "2", "name": "b|c", "n": "20"}])),
        "{:?}",
        out.cause
    );
}

#[test]
fn a_distributed_map_fails_past_the_tolerated_failures() {
    let d = dir("tolerance");
    jsonl(&d, 700);
    let reader = r#"{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSONL"},"Parameters":{"Bucket":"logs","Key":"log.jsonl"}}"#;
    let p = r#""StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.status","NumericEquals":500,"Next":"F"}],"Default":"Ok"},
        "F":{"Type":"Fail","Error":"ServerError","Cause":"500"},"Ok":{"Type":"Pass","End":true}}"#;
    // 100 of 700 items fail (every 7th).
    let ok = load_text(&map(reader, r#""ToleratedFailureCount":100,"#, p)).unwrap();
    let ex = Executor::builder().bucket("logs", &d).build();
    let out = ex.run(&ok, json!({}));
    assert_eq!(out.status, Status::Succeeded, "{:?}", out.cause);
    let res = out.output.unwrap();
    assert_eq!(res[0], json!({"Error": "ServerError", "Cause": "500"}));
    assert_eq!(res[1], json!({"i": 1, "status": 200}));
    let over = load_text(&map(reader, r#""ToleratedFailureCount":99,"#, p)).unwrap();
    let out = ex.run(&over, json!({}));
    assert_eq!(
        out.error.as_deref(),
        Some("States.ExceedToleratedFailureThreshold")
    );
    let none = load_text(&map(reader, "", p)).unwrap();
    assert_eq!(
        ex.run(&none, json!({})).error.as_deref(),
        Some("States.ExceedToleratedFailureThreshold")
    );
}

#[test]
fn missing_bucket_and_key_name_the_place() {
    let d = dir("missing");
    let reader = r#"{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSONL"},"Parameters":{"Bucket":"logs","Key":"nope.jsonl"}}"#;
    let sm = load_text(&map(reader, "", PASS_I)).unwrap();
    let out = Executor::builder().build().run(&sm, json!({}));
    assert_eq!(out.error.as_deref(), Some("States.ItemReaderFailed"));
    assert!(
        out.cause.as_deref().unwrap().contains("logs"),
        "{:?}",
        out.cause
    );
    let out = Executor::builder()
        .bucket("logs", &d)
        .build()
        .run(&sm, json!({}));
    assert_eq!(out.error.as_deref(), Some("States.ItemReaderFailed"));
    assert!(
        out.cause.as_deref().unwrap().contains("nope.jsonl"),
        "{:?}",
        out.cause
    );
}
