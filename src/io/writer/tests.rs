use super::*;
use ::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use arrow::array::{Int64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use std::sync::Arc;

const ARN: &str = "arn:aws:states:us-east-2:123456789012:mapRun:csvProcess/Map:ad9b5f27-090b-3ac6-9beb-243cd77144a7";
const RUN: &str = "ad9b5f27-090b-3ac6-9beb-243cd77144a7";

fn tmp() -> PathBuf {
    let d = std::env::temp_dir().join(format!("asl-writer-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(d.join("bucket")).unwrap();
    d
}

fn buckets(root: &Path) -> Buckets {
    Buckets {
        named: Default::default(),
        root: Some(root.to_path_buf()),
    }
}

fn cfg(output: &str, transformation: &str) -> WriterConfig {
    WriterConfig::from_value(&json!({
        "Resource": PUT_OBJECT_RESOURCE,
        "Parameters": {"Bucket": "bucket", "Prefix": "jobs/"},
        "WriterConfig": {"OutputType": output, "Transformation": transformation}
    }))
    .unwrap()
}

fn ok(index: usize, output: Value) -> ItemResult {
    ItemResult {
        index,
        input: json!({"i": index}),
        output,
        error: None,
        cause: None,
    }
}

fn failed(index: usize) -> ItemResult {
    ItemResult {
        index,
        input: json!({"i": index}),
        output: json!({"Error": "Boom", "Cause": format!("item {index}")}),
        error: Some("Boom".into()),
        cause: Some(format!("item {index}")),
    }
}

/// The records of a result file, whatever its type.
fn read_records(path: &Path) -> Vec<Value> {
    let name = path.to_str().unwrap();
    if name.ends_with(".parquet") {
        let f = std::fs::File::open(path).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(f)
            .unwrap()
            .build()
            .unwrap();
        let mut w = arrow::json::ArrayWriter::new(Vec::new());
        for b in reader {
            w.write(&b.unwrap()).unwrap();
        }
        w.finish().unwrap();
        let buf = w.into_inner();
        if buf.is_empty() {
            vec![]
        } else {
            serde_json::from_slice(&buf).unwrap()
        }
    } else if name.ends_with(".jsonl") {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    } else {
        serde_json::from_slice::<Vec<Value>>(&std::fs::read(path).unwrap()).unwrap()
    }
}

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn parses_config_and_defaults() {
    let c = WriterConfig::from_value(
        &json!({"Resource": PUT_OBJECT_RESOURCE, "Parameters": {"Bucket": "b", "Prefix": "p"}}),
    )
    .unwrap();
    assert_eq!(
        (c.output_type, c.transformation),
        (OutputType::Json, Transformation::None)
    );
    assert_eq!((c.bucket.as_deref(), c.prefix.as_str()), (Some("b"), "p"));
    let c = WriterConfig::from_value(
        &json!({"Resource": PUT_OBJECT_RESOURCE, "Arguments": {"Bucket": "b"}}),
    )
    .unwrap();
    assert_eq!(c.prefix, "");
    let c = WriterConfig::from_value(
        &json!({"WriterConfig": {"OutputType": "JSON", "Transformation": "FLATTEN"}}),
    )
    .unwrap();
    assert!(!c.exports());
    assert_eq!(
        c.transform_outputs(vec![json!([1, 2]), json!([]), json!(3)]),
        vec![json!(1), json!(2), json!(3)]
    );
    let c = WriterConfig::from_value(&json!({"WriterConfig": {"OutputType": "JSONL"}})).unwrap();
    assert_eq!(c.transformation, Transformation::Compact);
    for bad in [
        json!({}),
        json!({"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b"}}),
        json!({"Resource": PUT_OBJECT_RESOURCE}),
        json!({"Resource": PUT_OBJECT_RESOURCE, "Parameters": {"Prefix": "p"}}),
        json!({"Resource": PUT_OBJECT_RESOURCE, "Parameters": {"Bucket": "b"}, "WriterConfig": {"OutputType": "CSV"}}),
        json!({"Resource": PUT_OBJECT_RESOURCE, "Parameters": {"Bucket": "b"}, "WriterConfig": {"Transformation": "X"}}),
        json!({"Resource": PUT_OBJECT_RESOURCE, "Parameters": {"Bucket": "b"}, "Extra": 1}),
    ] {
        assert!(WriterConfig::from_value(&bad).is_err(), "{bad}");
    }
}

/// Every OutputType x Transformation: 3 successes, 2 failures.
#[test]
fn each_output_type_and_transformation() {
    for output in ["JSON", "JSONL", "PARQUET"] {
        for tr in ["NONE", "COMPACT", "FLATTEN"] {
            let root = tmp();
            let c = cfg(output, tr);
            let mut sink = ResultSink::create(&c, &buckets(&root), ARN).unwrap();
            sink.write_succeeded(&[ok(0, json!({"a": 1})), ok(1, json!({"a": 2}))])
                .unwrap();
            sink.write_failed(&[failed(2)]).unwrap();
            sink.write_succeeded(&[ok(3, json!({"a": 3}))]).unwrap();
            sink.write_failed(&[failed(4)]).unwrap();
            let out = sink.finish().unwrap();
            let key = format!("jobs/{RUN}/manifest.json");
            assert_eq!(
                out,
                json!({"MapRunArn": ARN, "ResultWriterDetails": {"Bucket": "bucket", "Key": key}})
            );
            let dir = root.join("bucket/jobs").join(RUN);
            let ext = c.output_type.extension();
            assert_eq!(
                listing(&dir),
                vec![
                    format!("FAILED_0.{ext}"),
                    format!("SUCCEEDED_0.{ext}"),
                    "manifest.json".to_string()
                ]
            );
            let manifest: Value =
                serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
            assert_eq!(manifest["DestinationBucket"], json!("bucket"));
            assert_eq!(manifest["MapRunArn"], json!(ARN));
            assert_eq!(manifest["ResultFiles"]["PENDING"], json!([]));
            for kind in ["SUCCEEDED", "FAILED"] {
                let files = manifest["ResultFiles"][kind].as_array().unwrap();
                assert_eq!(files.len(), 1);
                assert_eq!(files[0]["Key"], json!(format!("jobs/{RUN}/{kind}_0.{ext}")));
                let size = std::fs::metadata(dir.join(format!("{kind}_0.{ext}")))
                    .unwrap()
                    .len();
                assert_eq!(files[0]["Size"], json!(size));
            }
            let succ = read_records(&dir.join(format!("SUCCEEDED_0.{ext}")));
            if tr == "NONE" {
                assert_eq!(succ.len(), 3);
                let r = &succ[1];
                assert_eq!(r["Status"], json!("SUCCEEDED"));
                assert_eq!(r["Input"], json!("{\"i\":1}"));
                assert_eq!(r["Output"], json!("{\"a\":2}"));
                assert_eq!(r["InputDetails"], json!({"Included": true}));
                assert_eq!(r["OutputDetails"], json!({"Included": true}));
                assert_eq!(r["RedriveCount"], json!(0));
                assert_eq!(r["RedriveStatus"], json!("NOT_REDRIVABLE"));
                assert_eq!(
                    r["StateMachineArn"],
                    json!("arn:aws:states:us-east-2:123456789012:stateMachine:csvProcess/Map")
                );
                let name = r["Name"].as_str().unwrap();
                assert_eq!(
                    r["ExecutionArn"],
                    json!(format!(
                        "arn:aws:states:us-east-2:123456789012:execution:csvProcess/Map:{name}"
                    ))
                );
                assert!(r["StartDate"].as_str().unwrap().ends_with('Z'));
                assert!(r["StopDate"].is_string());
                if output != "PARQUET" {
                    let keys: Vec<&String> = r.as_object().unwrap().keys().collect();
                    let mut sorted = keys.clone();
                    sorted.sort();
                    assert_eq!(keys, sorted, "fields in AWS's (alphabetical) order");
                }
            } else {
                assert_eq!(
                    succ,
                    vec![json!({"a": 1}), json!({"a": 2}), json!({"a": 3})],
                    "{output} {tr}"
                );
            }
            // Failures are written unchanged (as NONE) whatever the transformation.
            let fail = read_records(&dir.join(format!("FAILED_0.{ext}")));
            assert_eq!(fail.len(), 2);
            assert_eq!(fail[0]["Status"], json!("FAILED"));
            assert_eq!(fail[0]["Error"], json!("Boom"));
            assert_eq!(fail[1]["Cause"], json!("item 4"));
            assert_eq!(fail[0]["Input"], json!("{\"i\":2}"));
            assert_eq!(fail[0]["RedriveStatus"], json!("REDRIVABLE_BY_MAP_RUN"));
            assert!(fail[0].get("Output").is_none());
            std::fs::remove_dir_all(&root).unwrap();
        }
    }
}

#[test]
fn flatten_drops_empty_arrays_and_splices() {
    for output in ["JSON", "JSONL", "PARQUET"] {
        let root = tmp();
        let mut sink = ResultSink::create(&cfg(output, "FLATTEN"), &buckets(&root), ARN).unwrap();
        sink.write_succeeded(&[
            ok(0, json!([{"k": 1}, {"k": 2}])),
            ok(1, json!([])),
            ok(2, json!({"k": 3})),
            ok(3, json!([])),
        ])
        .unwrap();
        sink.finish().unwrap();
        let dir = root.join("bucket/jobs").join(RUN);
        let ext = cfg(output, "FLATTEN").output_type.extension();
        let recs = read_records(&dir.join(format!("SUCCEEDED_0.{ext}")));
        assert_eq!(
            recs,
            vec![json!({"k": 1}), json!({"k": 2}), json!({"k": 3})]
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}

#[test]
fn no_items_means_no_files_and_an_empty_manifest() {
    let root = tmp();
    let c = WriterConfig::from_value(
        &json!({"Resource": PUT_OBJECT_RESOURCE, "Parameters": {"Bucket": "bucket"}}),
    )
    .unwrap();
    let sink = ResultSink::create(&c, &buckets(&root), ARN).unwrap();
    let out = sink.finish().unwrap();
    assert_eq!(
        out["ResultWriterDetails"]["Key"],
        json!(format!("{RUN}/manifest.json"))
    );
    let dir = root.join("bucket").join(RUN);
    assert_eq!(listing(&dir), vec!["manifest.json"]);
    let m: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        m["ResultFiles"],
        json!({"FAILED": [], "PENDING": [], "SUCCEEDED": []})
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn splits_files_by_items_and_bytes() {
    for output in ["JSON", "JSONL", "PARQUET"] {
        let root = tmp();
        let mut c = cfg(output, "COMPACT");
        c.max_file_items = 4;
        let mut sink = ResultSink::create(&c, &buckets(&root), ARN).unwrap();
        for chunk in 0..5 {
            let items: Vec<ItemResult> = (0..3)
                .map(|i| ok(chunk * 3 + i, json!({"n": chunk * 3 + i})))
                .collect();
            sink.write_succeeded(&items).unwrap();
        }
        sink.finish().unwrap();
        let dir = root.join("bucket/jobs").join(RUN);
        let ext = c.output_type.extension();
        let m: Value =
            serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
        let files = m["ResultFiles"]["SUCCEEDED"].as_array().unwrap();
        assert_eq!(files.len(), 4, "{output}: 15 items, 4 a file");
        let mut all = Vec::new();
        for (n, f) in files.iter().enumerate() {
            assert_eq!(f["Key"], json!(format!("jobs/{RUN}/SUCCEEDED_{n}.{ext}")));
            let recs = read_records(&dir.join(format!("SUCCEEDED_{n}.{ext}")));
            assert_eq!(recs.len(), if n < 3 { 4 } else { 3 });
            all.extend(recs);
        }
        let expect: Vec<Value> = (0..15).map(|n| json!({"n": n})).collect();
        assert_eq!(all, expect, "order kept across files");
        std::fs::remove_dir_all(&root).unwrap();
    }
    // By bytes: each JSON record is ~10 bytes; 32 bytes a file.
    let root = tmp();
    let mut c = cfg("JSON", "COMPACT");
    c.max_file_bytes = 32;
    let mut sink = ResultSink::create(&c, &buckets(&root), ARN).unwrap();
    let items: Vec<ItemResult> = (0..10).map(|i| ok(i, json!({"n": i}))).collect();
    sink.write_succeeded(&items).unwrap();
    sink.finish().unwrap();
    let dir = root.join("bucket/jobs").join(RUN);
    let m: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let files = m["ResultFiles"]["SUCCEEDED"].as_array().unwrap();
    assert!(files.len() >= 3, "{m}");
    let mut total = 0;
    for f in files {
        assert!(f["Size"].as_u64().unwrap() <= 32, "{f}");
        let k = f["Key"].as_str().unwrap().rsplit('/').next().unwrap();
        total += read_records(&dir.join(k)).len();
    }
    assert_eq!(total, 10);
    std::fs::remove_dir_all(&root).unwrap();
}

/// A run that stops mid-way (the sink dropped without finish): the files under their final
/// names are complete, there is no manifest, and no temporary file is left behind.
#[test]
fn dropped_sink_leaves_only_complete_files_and_no_manifest() {
    for output in ["JSON", "JSONL", "PARQUET"] {
        let root = tmp();
        let mut c = cfg(output, "COMPACT");
        c.max_file_items = 7;
        let mut sink = ResultSink::create(&c, &buckets(&root), ARN).unwrap();
        let dir = sink.dir().to_path_buf();
        for chunk in 0..4 {
            let items: Vec<ItemResult> = (0..5)
                .map(|i| ok(chunk * 5 + i, json!({"n": chunk * 5 + i})))
                .collect();
            sink.write_succeeded(&items).unwrap();
        }
        // A temporary file is open, holding the partial third file.
        let names = listing(&dir);
        assert!(names.iter().any(|n| is_temp_name(n)), "{names:?}");
        drop(sink);
        let names = listing(&dir);
        assert!(!names.iter().any(|n| n == "manifest.json"));
        assert!(
            !names.iter().any(|n| is_temp_name(n)),
            "temporary files removed: {names:?}"
        );
        let ext = c.output_type.extension();
        assert_eq!(
            names,
            vec![format!("SUCCEEDED_0.{ext}"), format!("SUCCEEDED_1.{ext}")]
        );
        for n in names {
            assert_eq!(read_records(&dir.join(n)).len(), 7);
        }
        std::fs::remove_dir_all(&root).unwrap();
    }
}

#[test]
fn errors_name_the_bucket_and_path() {
    let root = tmp();
    let c = WriterConfig::from_value(
        &json!({"Resource": PUT_OBJECT_RESOURCE, "Parameters": {"Bucket": "missing"}}),
    )
    .unwrap();
    let e = ResultSink::create(&c, &buckets(&root), ARN).err().unwrap();
    assert_eq!(e.error.as_deref(), Some("States.ResultWriterFailed"));
    let cause = e.cause.unwrap();
    assert!(
        cause.contains("'missing'") && cause.contains(root.join("missing").to_str().unwrap()),
        "{cause}"
    );
    let e = ResultSink::create(&c, &Buckets::default(), ARN)
        .err()
        .unwrap();
    assert!(e.cause.unwrap().contains("'missing'"));
    let only_config =
        WriterConfig::from_value(&json!({"WriterConfig": {"OutputType": "JSON"}})).unwrap();
    assert!(ResultSink::create(&only_config, &buckets(&root), ARN).is_err());
    // A prefix that cannot be a folder (a file is in the way).
    std::fs::write(root.join("bucket/blocked"), b"x").unwrap();
    let c = WriterConfig::from_value(&json!({"Resource": PUT_OBJECT_RESOURCE, "Parameters": {"Bucket": "bucket", "Prefix": "blocked"}}))
        .unwrap();
    let e = ResultSink::create(&c, &buckets(&root), ARN).err().unwrap();
    assert_eq!(e.error.as_deref(), Some("States.ResultWriterFailed"));
    assert!(
        e.cause.as_deref().unwrap().contains("bucket 'bucket'"),
        "{e:?}"
    );
    std::fs::remove_dir_all(&root).unwrap();
}

fn batch(from: i64, n: i64) -> RecordBatch {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("s", DataType::Utf8, true),
    ]));
    let ids: Vec<i64> = (from..from + n).collect();
    let ss: Vec<String> = ids.iter().map(|i| format!("s{i}")).collect();
    RecordBatch::try_new(
        schema,
        vec![
            Arc::new(Int64Array::from(ids)),
            Arc::new(StringArray::from(ss)),
        ],
    )
    .unwrap()
}

#[test]
fn record_batches_are_written_directly() {
    for output in ["PARQUET", "JSONL", "JSON"] {
        let root = tmp();
        let mut c = cfg(output, "COMPACT");
        c.max_file_items = 5;
        let mut sink = ResultSink::create(&c, &buckets(&root), ARN).unwrap();
        sink.write_succeeded_batch(&batch(0, 3)).unwrap();
        sink.write_succeeded_batch(&batch(3, 4)).unwrap();
        sink.write_failed(&[failed(7)]).unwrap();
        sink.finish().unwrap();
        let dir = root.join("bucket/jobs").join(RUN);
        let ext = c.output_type.extension();
        let a = read_records(&dir.join(format!("SUCCEEDED_0.{ext}")));
        let b = read_records(&dir.join(format!("SUCCEEDED_1.{ext}")));
        assert_eq!((a.len(), b.len()), (5, 2), "{output}");
        assert_eq!(a[0], json!({"id": 0, "s": "s0"}));
        assert_eq!(b[1], json!({"id": 6, "s": "s6"}));
        assert_eq!(
            read_records(&dir.join(format!("FAILED_0.{ext}")))[0]["Status"],
            json!("FAILED")
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
    let root = tmp();
    let mut sink = ResultSink::create(&cfg("PARQUET", "NONE"), &buckets(&root), ARN).unwrap();
    assert!(
        sink.write_succeeded_batch(&batch(0, 1)).is_err(),
        "NONE needs per-item records"
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn write_batches_parquet_is_atomic_and_readable() {
    let root = tmp();
    let path = root.join("bucket/out.parquet");
    let size =
        write_batches_parquet(&path, batch(0, 1).schema(), &[batch(0, 2), batch(2, 3)]).unwrap();
    assert_eq!(size, std::fs::metadata(&path).unwrap().len());
    assert_eq!(read_records(&path).len(), 5);
    assert_eq!(listing(&root.join("bucket")), vec!["out.parquet"]);
    let e = write_batches_parquet(
        &root.join("nope/x.parquet"),
        batch(0, 1).schema(),
        &[batch(0, 1)],
    )
    .unwrap_err();
    assert!(e.cause.unwrap().contains("nope/x.parquet"));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn parquet_wraps_scalars_and_keeps_later_fields() {
    let root = tmp();
    let mut sink = ResultSink::create(&cfg("PARQUET", "COMPACT"), &buckets(&root), ARN).unwrap();
    sink.write_succeeded(&[ok(0, json!({"a": 1, "b": null}))])
        .unwrap();
    sink.write_succeeded(&[ok(1, json!({"a": 2, "b": "x", "c": true}))])
        .unwrap();
    sink.finish().unwrap();
    let dir = root.join("bucket/jobs").join(RUN);
    assert_eq!(
        read_records(&dir.join("SUCCEEDED_0.parquet")),
        vec![json!({"a": 1}), json!({"a": 2, "b": "x"})]
    );
    let root2 = tmp();
    let mut sink = ResultSink::create(&cfg("PARQUET", "COMPACT"), &buckets(&root2), ARN).unwrap();
    sink.write_succeeded(&[ok(0, json!(5)), ok(1, json!(6))])
        .unwrap();
    sink.finish().unwrap();
    let dir = root2.join("bucket/jobs").join(RUN);
    assert_eq!(
        read_records(&dir.join("SUCCEEDED_0.parquet")),
        vec![json!({"value": 5}), json!({"value": 6})]
    );
    std::fs::remove_dir_all(&root).unwrap();
    std::fs::remove_dir_all(&root2).unwrap();
}
