//! The columnar data plane: a columnar item processor over Parquet rows (reader →
//! kernels → writer), JSONata states in the kernels, projection and predicate pushdown,
//! and the fallback to rows. Every case compares with the row interpreter
//! (`columnar(false)`), which is the reference.

mod harness;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use asl_engine::asl::model::{StateKind, load_text};
use asl_engine::exec::columnar::ColumnarProgram;
use asl_engine::exec::{Executor, Status};
use asl_engine::io::reader::{ReadOptions, ReaderConfig, batch_to_items, parquet_units};
use harness::TempPath;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A fresh, empty folder under the temp dir, removed on drop.
fn dir(name: &str) -> TempPath {
    let d = std::env::temp_dir().join(format!("asl-colplane-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    TempPath::new(d)
}

/// Access-log rows `0..n`: status 500+ on every 9th row, latency over 1000 on every
/// 13th; `status` ascending by row when `sorted` (so early row groups hold no errors).
/// `null_at`: a row whose `latency_ms` is null.
fn logs(path: &Path, n: usize, group: usize, sorted: bool, null_at: Option<usize>) {
    let status: Vec<i64> = (0..n)
        .map(|i| match sorted {
            true => 200 + (i * 400 / n) as i64,
            false if i % 9 == 0 => 503,
            false => 200,
        })
        .collect();
    let latency: Vec<Option<i64>> = (0..n)
        .map(|i| match (null_at == Some(i), i % 13 == 0 && !sorted) {
            (true, _) => None,
            (_, true) => Some(1500 + i as i64),
            _ => Some((i % 900) as i64),
        })
        .collect();
    let ts: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "2024-03-01T{:02}:{:02}:{:02}.{:03}Z",
                i / 3600 % 24,
                i / 60 % 60,
                i % 60,
                i % 1000
            )
        })
        .collect();
    let path_col: Vec<String> = (0..n).map(|i| format!("/api/items/{}", i % 17)).collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new("timestamp", DataType::Utf8, false),
        Field::new("path", DataType::Utf8, false),
        Field::new("status", DataType::Int64, false),
        Field::new("latency_ms", DataType::Int64, true),
    ]));
    let cols: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from(ts)),
        Arc::new(StringArray::from(path_col)),
        Arc::new(Int64Array::from(status)),
        Arc::new(Int64Array::from(latency)),
    ];
    let batch = RecordBatch::try_new(schema.clone(), cols).unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(group))
        .build();
    let mut w =
        ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// The ETL example (datasets/logs/etl.asl.json) with another writer config.
fn etl(output_type: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/logs/etl.asl.json");
    let mut def: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
    def["States"]["FilterLogs"]["ResultWriter"]["WriterConfig"]["OutputType"] = json!(output_type);
    def.to_string()
}

/// Runs `def` with and without the columnar strategy; returns the result rows of each
/// (the SUCCEEDED files read back as JSON, in order), and the two output folders
/// (`<name>-out-true` and `<name>-out-false`), removed when those are dropped.
fn both(def: &str, logs_dir: &Path, name: &str) -> (Vec<Value>, Vec<Value>, [TempPath; 2]) {
    let sm = load_text(def).unwrap();
    let run = |columnar: bool| {
        let out = dir(&format!("{name}-out-{columnar}"));
        let ex = Executor::builder()
            .bucket("logs", logs_dir)
            .bucket("out", &out)
            .threads(2)
            .columnar(columnar)
            .build();
        let r = ex.run(&sm, json!({}));
        assert_eq!(r.status, Status::Succeeded, "{:?}", r.cause);
        (read_results(&out), out)
    };
    let ((columnar, columnar_out), (rows, rows_out)) = (run(true), run(false));
    (columnar, rows, [columnar_out, rows_out])
}

fn read_results(out: &Path) -> Vec<Value> {
    let mut files: Vec<PathBuf> = walk(out)
        .into_iter()
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("SUCCEEDED_")
        })
        .collect();
    files.sort_by_key(|p| {
        let n = p.file_stem().unwrap().to_string_lossy();
        n.trim_start_matches("SUCCEEDED_").parse::<usize>().unwrap()
    });
    let mut rows = Vec::new();
    for f in files {
        if f.extension().is_some_and(|e| e == "parquet") {
            let file = std::fs::File::open(&f).unwrap();
            let r = parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(file, 1024)
                .unwrap();
            for b in r {
                rows.extend(batch_to_items(&b.unwrap()));
            }
        } else {
            let text = std::fs::read_to_string(&f).unwrap();
            rows.extend(
                text.lines()
                    .map(|l| serde_json::from_str::<Value>(l).unwrap()),
            );
        }
    }
    rows
}

fn walk(d: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(d).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn expected_rows(n: usize) -> usize {
    (0..n).filter(|i| i % 9 == 0 || i % 13 == 0).count()
}

#[test]
fn parquet_etl_columnar_equals_rows_parquet_and_jsonl_out() {
    let d = dir("etl");
    logs(&d.join("access.parquet"), 30_000, 4096, false, None);
    for ty in ["PARQUET", "JSONL"] {
        let (col, rows, _outputs) = both(&etl(ty), &d, &format!("etl-{ty}"));
        assert_eq!(col.len(), expected_rows(30_000), "{ty}");
        assert_eq!(col, rows, "{ty}: columnar and row results differ");
        // The derived fields, and the key order of $merge (input fields, then new ones).
        let first = col[0].as_object().unwrap();
        let keys: Vec<&str> = first.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "timestamp",
                "path",
                "status",
                "latency_ms",
                "slow",
                "minute"
            ],
            "{ty}"
        );
        assert_eq!(first["minute"], json!("2024-03-01T00:00"));
    }
}

#[test]
fn a_batch_the_kernels_refuse_runs_as_rows_with_the_same_results() {
    // A null latency in the third row group: that group runs through the interpreter,
    // where `null > 1000` is a JSONata error (T2010): the item fails, and with
    // tolerated failures it goes to the FAILED files while every other item's result
    // is kept.
    let d = dir("nulls");
    logs(&d.join("access.parquet"), 20_000, 4096, false, Some(9001));
    let mut def: Value = serde_json::from_str(&etl("PARQUET")).unwrap();
    def["States"]["FilterLogs"]["ToleratedFailureCount"] = json!(1);
    let (col, rows, _outputs) = both(&def.to_string(), &d, "nulls");
    assert_eq!(col, rows);
    assert_eq!(col.len(), expected_rows(20_000));
    for name in ["nulls-out-true", "nulls-out-false"] {
        let failed: Vec<PathBuf> =
            walk(&std::env::temp_dir().join(format!("asl-colplane-{}-{name}", std::process::id())))
                .into_iter()
                .filter(|p| p.to_string_lossy().contains("FAILED_"))
                .collect();
        assert_eq!(failed.len(), 1, "{name}");
        let file = std::fs::File::open(&failed[0]).unwrap();
        let r = parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(file, 16).unwrap();
        let records: Vec<Value> = r.flat_map(|b| batch_to_items(&b.unwrap())).collect();
        assert_eq!(records.len(), 1, "{name}");
        assert_eq!(
            records[0]["Error"],
            json!("States.QueryEvaluationError"),
            "{name}"
        );
    }
}

fn etl_program(def: &str) -> ColumnarProgram {
    let sm = load_text(def).unwrap();
    let StateKind::Map(m) = &sm.states[0].kind else {
        panic!("not a Map")
    };
    ColumnarProgram::compile(&m.processor, None).unwrap()
}

#[test]
fn predicate_pushdown_skips_row_groups_the_statistics_rule_out() {
    let d = dir("sorted");
    // Status rises from 200 to 599 over the rows; latency stays under 900: only row
    // groups holding status >= 500 can have results.
    logs(&d.join("access.parquet"), 40_000, 2000, true, None);
    let def = etl("PARQUET");
    let program = etl_program(&def);
    let cfg = ReaderConfig::from_value(&json!({
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"InputType": "PARQUET"},
        "Parameters": {"Bucket": "logs", "Key": "access.parquet"}
    }))
    .unwrap();
    let buckets = asl_engine::io::Buckets {
        named: [("logs".to_string(), d.to_path_buf())].into(),
        root: None,
    };
    let opts = ReadOptions {
        row_group_filter: program.row_group_filter(),
        ..Default::default()
    };
    let units = parquet_units(&cfg, &buckets, &opts).unwrap().unwrap();
    // 20 row groups; status >= 500 starts at row 30,000 (group 15).
    assert_eq!(units.units().len(), 5);
    assert_eq!(units.skipped_rows(), 30_000);
    assert_eq!(units.units()[0].first_row, 30_000);
    // And the run over the skipping reader gives the row interpreter's results.
    let (col, rows, _outputs) = both(&def, &d, "sorted");
    assert_eq!(col.len(), 10_000);
    assert_eq!(col, rows);
}

/// An inline Map over JSON items with a JSONata item processor, columnar vs rows.
fn inline(items: &Value, output: &str, condition: &str) -> (Value, Value) {
    let def = json!({
        "QueryLanguage": "JSONata",
        "StartAt": "M",
        "States": {"M": {"Type": "Map", "Items": "{% $states.input %}", "End": true,
            "ItemProcessor": {"StartAt": "C", "States": {
                "C": {"Type": "Choice", "Choices": [{"Condition": condition, "Next": "Y"}], "Default": "N"},
                "Y": {"Type": "Pass", "Output": output, "End": true},
                "N": {"Type": "Pass", "Output": {"no": "{% $states.input.k %}"}, "End": true}
            }}}}
    });
    let sm = load_text(&def.to_string()).unwrap();
    let run = |columnar: bool| {
        let r = Executor::builder()
            .threads(2)
            .columnar(columnar)
            .build()
            .run(&sm, items.clone());
        json!({"status": format!("{:?}", r.status), "output": r.output, "error": r.error})
    };
    (run(true), run(false))
}

#[test]
fn jsonata_kernels_match_the_evaluator() {
    let items: Vec<Value> = (0..300)
        .map(|i| json!({"k": i, "s": format!("name-{i}"), "big": i, "f": (i as f64) + 0.5, "b": i % 2 == 0}))
        .collect();
    let items = Value::Array(items);
    let cases = [
        (
            "{% $states.input.k >= 100 and $states.input.k < 200 %}",
            "{% $states.input %}",
        ),
        (
            "{% $states.input.k = 5 or $not($states.input.b) %}",
            "{% [$merge([$states.input, {'x': $states.input.k > 3}])] %}",
        ),
        (
            "{% $states.input.s = 'name-7' %}",
            "{% {'t': $substring($states.input.s, -2), 'u': $substring($states.input.s, 1, 3)} %}",
        ),
        // Different types: `=` is false, `!=` true.
        ("{% $states.input.s = 5 %}", "{% $states.input %}"),
        ("{% $states.input.k != 'x' %}", "{% $states.input.f %}"),
        ("{% $states.input.s > 'name-5' %}", "{% [$states.input] %}"),
        (
            "{% $states.input.f > 10.5 %}",
            "{% {'f': $states.input.f, 'k': $states.input.k} %}",
        ),
        (
            "{% $states.input.k + 7 > 100 %}",
            "{% {'sum': $states.input.k + $states.input.big, 'l': $states.input.s & ' #' & $states.input.k & $states.input.b} %}",
        ),
    ];
    for (cond, out) in cases {
        let (col, rows) = inline(&items, out, cond);
        assert_eq!(col, rows, "{cond} / {out}");
        assert_eq!(col["status"], json!("Succeeded"), "{cond} / {out}: {col}");
    }
    // Values the kernels can't reproduce exactly run as rows: an integral double
    // (JSONata writes 2.0 as 2), integers beyond 2^53, non-ASCII ordering, type errors.
    let odd = json!([
        {"k": 1, "s": "é", "f": 2.0, "big": 9007199254740993_i64, "b": true},
        {"k": 2, "s": "z", "f": 3.0, "big": 1, "b": false}
    ]);
    for (cond, out) in [
        ("{% $states.input.k > 0 %}", "{% $states.input %}"),
        ("{% $states.input.s > 'a' %}", "{% $states.input.k %}"),
        ("{% $states.input.s > 1 %}", "{% $states.input.k %}"),
        ("{% $states.input.k > 0 %}", "{% $states.input.big + 1 %}"),
        (
            "{% $states.input.k > 0 %}",
            "{% $states.input.s & $states.input.f %}",
        ),
    ] {
        let (col, rows) = inline(&odd, out, cond);
        assert_eq!(col, rows, "{cond} / {out}");
    }
}

/// CSV rows (values as strings, as on AWS) straight into the kernels: a JSONPath Choice
/// on string values keeps some rows (FLATTEN drops the others) and a Pass reshapes them;
/// written as Parquet (record batches all the way) and as JSONL, equal to the row
/// interpreter's results. Rows reaching a Fail state send their chunk to rows: same
/// results, the failed items in the FAILED files.
#[test]
fn csv_rows_run_through_the_kernels_with_the_row_interpreters_results() {
    let d = dir("csv");
    let mut text = String::from("timestamp,method,path,status\n");
    for i in 0..20_000 {
        let status = match i % 11 {
            0 => "503",
            5 if i > 15_000 => "404",
            _ => "200",
        };
        text.push_str(&format!(
            "2024-03-01T00:00:{:02}Z,GET,/api/{},{status}\n",
            i % 60,
            i % 7
        ));
    }
    std::fs::write(d.join("access.csv"), text).unwrap();
    let def = |output_type: &str, fail_404: bool| {
        // Without the rule, NotFound is still reached (from no item): a Choice rule that
        // never matches.
        let fail = if fail_404 {
            r#"{"Variable":"$.status","StringEquals":"404","Next":"NotFound"},"#
        } else {
            r#"{"Variable":"$.status","StringEquals":"none","Next":"NotFound"},"#
        };
        format!(
            r#"{{"StartAt":"M","States":{{"M":{{"Type":"Map","End":true,
            "ToleratedFailurePercentage":50,
            "ItemReader":{{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{{"InputType":"CSV","CSVHeaderLocation":"FIRST_ROW"}},"Parameters":{{"Bucket":"logs","Key":"access.csv"}}}},
            "ResultWriter":{{"Resource":"arn:aws:states:::s3:putObject","Parameters":{{"Bucket":"out","Prefix":"r"}},"WriterConfig":{{"OutputType":"{output_type}","Transformation":"FLATTEN"}}}},
            "ItemProcessor":{{"ProcessorConfig":{{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"}},"StartAt":"C","States":{{
              "C":{{"Type":"Choice","Choices":[{fail}{{"Variable":"$.status","StringEquals":"503","Next":"Keep"}}],"Default":"Drop"}},
              "NotFound":{{"Type":"Fail","Error":"NotFound","Cause":"404"}},
              "Keep":{{"Type":"Pass","Parameters":{{"ts.$":"$.timestamp","path.$":"$.path","kind":"error"}},"End":true}},
              "Drop":{{"Type":"Pass","Result":[],"End":true}}}}}}}}}}}}"#
        )
    };
    let plan = asl_engine::plan::Plan::new(
        load_text(&def("PARQUET", false)).unwrap(),
        &asl_engine::exec::TaskRegistry::default(),
    )
    .explain();
    assert!(plan.contains("CSV record batches"), "{plan}");
    for ty in ["PARQUET", "JSONL"] {
        for fail_404 in [false, true] {
            let name = format!("csv-{ty}-{fail_404}");
            let (col, rows, _outputs) = both(&def(ty, fail_404), &d, &name);
            assert_eq!(
                col.len(),
                (0..20_000).filter(|i| i % 11 == 0).count(),
                "{name}"
            );
            assert_eq!(col, rows, "{name}: columnar and row results differ");
            assert_eq!(
                col[1],
                json!({"ts": "2024-03-01T00:00:11Z", "path": "/api/4", "kind": "error"})
            );
            if fail_404 {
                let failed = |columnar: bool| {
                    let out = std::env::temp_dir().join(format!(
                        "asl-colplane-{}-{name}-out-{columnar}",
                        std::process::id()
                    ));
                    walk(&out)
                        .into_iter()
                        .filter(|p| p.to_string_lossy().contains("FAILED_"))
                        .map(|p| match p.extension().is_some_and(|e| e == "parquet") {
                            true => {
                                parquet::arrow::arrow_reader::ParquetRecordBatchReader::try_new(
                                    std::fs::File::open(&p).unwrap(),
                                    1024,
                                )
                                .unwrap()
                                .map(|b| b.unwrap().num_rows())
                                .sum::<usize>()
                            }
                            false => std::fs::read_to_string(p).unwrap().lines().count(),
                        })
                        .sum::<usize>()
                };
                let expected = (15_001..20_000).filter(|i| i % 11 == 5).count();
                assert_eq!(failed(true), expected, "{name}");
                assert_eq!(failed(false), expected, "{name}");
            }
        }
    }
}
