//! The Distributed Map data plane end to end through the executor: ItemReader sources,
//! ItemBatcher, MaxItems, tolerated failures, and errors naming bucket and path.

mod harness;

use asl_engine::asl::model::load_text;
use asl_engine::exec::{Executor, Status};
use harness::TempPath;
use serde_json::{Value, json};
use std::path::PathBuf;

/// A fresh, empty folder under the temp dir, removed on drop.
fn dir(name: &str) -> TempPath {
    let d = std::env::temp_dir().join(format!("asl-dataplane-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    TempPath::new(d)
}

fn map(reader: &str, extra: &str, processor: &str) -> String {
    format!(
        r#"{{"StartAt":"M","States":{{"M":{{"Type":"Map","End":true,"ItemReader":{reader},{extra}
        "ItemProcessor":{{"ProcessorConfig":{{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"}},{processor}}}}}}}}}"#
    )
}

fn jsonl(d: &std::path::Path, n: usize) {
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

const WRITER: &str = r#""ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out","Prefix":"run"},"WriterConfig":{"OutputType":"JSONL","Transformation":"FLATTEN"}},"#;

#[test]
fn result_writer_writes_manifest_and_flattened_results() {
    let d = dir("writer-in");
    let out_dir = dir("writer-out");
    jsonl(&d, 1000);
    let reader = r#"{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSONL"},"Parameters":{"Bucket":"logs","Key":"log.jsonl"}}"#;
    // Keep the 500s (every 7th item), drop the rest with [] (FLATTEN).
    let p = r#""StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.status","NumericEquals":500,"Next":"Keep"}],"Default":"Drop"},
        "Keep":{"Type":"Pass","Parameters":{"i.$":"$.i"},"End":true},"Drop":{"Type":"Pass","Result":[],"End":true}}"#;
    let sm = load_text(&map(reader, WRITER, p)).unwrap();
    let ex = Executor::builder()
        .bucket("logs", &d)
        .bucket("out", &out_dir)
        .build();
    let out = ex.run(&sm, json!({}));
    assert_eq!(out.status, Status::Succeeded, "{:?}", out.cause);
    let o = out.output.unwrap();
    assert_eq!(o["ResultWriterDetails"]["Bucket"], "out");
    let key = o["ResultWriterDetails"]["Key"].as_str().unwrap();
    assert!(
        key.starts_with("run/") && key.ends_with("/manifest.json"),
        "{key}"
    );
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join(key)).unwrap()).unwrap();
    let files = manifest["ResultFiles"]["SUCCEEDED"].as_array().unwrap();
    let mut kept = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(out_dir.join(f["Key"].as_str().unwrap())).unwrap();
        kept.extend(
            text.lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap()),
        );
    }
    let expected: Vec<Value> = (0..1000)
        .filter(|i| i % 7 == 0)
        .map(|i| json!({"i": i}))
        .collect();
    assert_eq!(kept, expected);
}

/// Killing `asl run` while a ResultWriter writes leaves no file under its final name that
/// is incomplete, and no manifest unless everything was written.
#[test]
fn killing_the_process_never_leaves_a_partial_result_file() {
    let d = dir("kill-in");
    let out_dir = dir("kill-out");
    jsonl(&d, 200_000);
    let reader = r#"{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSONL"},"Parameters":{"Bucket":"logs","Key":"log.jsonl"}}"#;
    let def = d.join("wf.json");
    std::fs::write(&def, map(reader, WRITER, PASS_I)).unwrap();
    for delay_ms in [50u64, 150, 400] {
        let _ = std::fs::remove_dir_all(&out_dir);
        std::fs::create_dir_all(&out_dir).unwrap();
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_asl"))
            .arg("run")
            .arg(&def)
            .arg("--bucket")
            .arg(format!("logs={}", d.display()))
            .arg("--bucket")
            .arg(format!("out={}", out_dir.display()))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let mut manifest = None;
        let mut finals = Vec::new();
        let mut stack = vec![out_dir.to_path_buf()];
        while let Some(p) = stack.pop() {
            for e in std::fs::read_dir(&p).unwrap() {
                let e = e.unwrap().path();
                let name = e.file_name().unwrap().to_string_lossy().to_string();
                if e.is_dir() {
                    stack.push(e);
                } else if name == "manifest.json" {
                    manifest = Some(e);
                } else if !name.starts_with('.') {
                    finals.push(e);
                }
            }
        }
        // Every file under its final name is complete JSONL.
        for f in &finals {
            let text = std::fs::read_to_string(f).unwrap();
            assert!(
                text.ends_with('\n') || text.is_empty(),
                "{f:?} is cut short"
            );
            for l in text.lines() {
                serde_json::from_str::<Value>(l)
                    .unwrap_or_else(|e| panic!("{f:?}: partial line: {e}"));
            }
        }
        // A manifest only exists when the run finished, and then lists complete files.
        if let Some(m) = manifest {
            let m: Value = serde_json::from_str(&std::fs::read_to_string(m).unwrap()).unwrap();
            let n: usize = m["ResultFiles"]["SUCCEEDED"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    std::fs::read_to_string(out_dir.join(f["Key"].as_str().unwrap()))
                        .unwrap()
                        .lines()
                        .count()
                })
                .sum();
            assert_eq!(n, 200_000);
        }
    }
}

/// Runs `sm` on `threads` with buckets `logs` (`d`) and `out` (`out_dir`).
fn run_in(
    sm: &asl_engine::asl::model::StateMachine,
    d: &std::path::Path,
    out_dir: &std::path::Path,
    threads: usize,
) -> asl_engine::exec::Execution {
    Executor::builder()
        .bucket("logs", d)
        .bucket("out", out_dir)
        .threads(threads)
        .build()
        .run(sm, json!({}))
}

/// The lines of the result files of one kind listed in a run's manifest, in order.
fn result_lines(out_dir: &std::path::Path, output: &Value, kind: &str) -> Vec<Value> {
    let key = output["ResultWriterDetails"]["Key"].as_str().unwrap();
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join(key)).unwrap()).unwrap();
    let mut lines = Vec::new();
    for f in manifest["ResultFiles"][kind].as_array().unwrap() {
        let text = std::fs::read_to_string(out_dir.join(f["Key"].as_str().unwrap())).unwrap();
        lines.extend(
            text.lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap()),
        );
    }
    lines
}

/// Many chunks of many tasks, each serializing its own items, and the appending of one
/// chunk's records overlapping the next chunk: the result files hold every record once,
/// in item order, whatever the pool size and the strategy (MaxConcurrency 1 runs the
/// items one at a time and serializes after).
#[test]
fn result_files_keep_item_order_across_tasks_chunks_and_pool_sizes() {
    let d = dir("order-in");
    let n = 40_000;
    let lines: Vec<String> = (0..n)
        .map(|i| json!({"i": i, "status": if i % 7 == 3 { 500 } else { 200 }}).to_string())
        .collect();
    std::fs::write(d.join("log.jsonl"), lines.join("\n")).unwrap();
    let reader = r#"{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSONL"},"Parameters":{"Bucket":"logs","Key":"log.jsonl"}}"#;
    let writer = r#""ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out","Prefix":"run"},"WriterConfig":{"OutputType":"JSONL","Transformation":"COMPACT"}},"#;
    let p = r#""StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.status","NumericEquals":500,"Next":"F"}],"Default":"Ok"},
        "F":{"Type":"Fail","Error":"ServerError","Cause":"500"},"Ok":{"Type":"Pass","Parameters":{"i.$":"$.i"},"End":true}}"#;
    let failing = (0..n).filter(|i| i % 7 == 3).count();
    for (threads, extra) in [(1, ""), (2, ""), (4, ""), (2, r#""MaxConcurrency":1,"#)] {
        let out_dir = dir(&format!("order-out-{threads}-{}", extra.len()));
        let sm = load_text(&map(
            reader,
            &format!("{writer}{extra}\"ToleratedFailurePercentage\":50,"),
            p,
        ))
        .unwrap();
        let out = run_in(&sm, &d, &out_dir, threads);
        assert_eq!(
            out.status,
            Status::Succeeded,
            "{threads} {extra}: {:?}",
            out.cause
        );
        let output = out.output.unwrap();
        let ok = result_lines(&out_dir, &output, "SUCCEEDED");
        let expected: Vec<Value> = (0..n)
            .filter(|i| i % 7 != 3)
            .map(|i| json!({"i": i}))
            .collect();
        assert_eq!(ok.len(), expected.len(), "{threads} {extra}");
        assert!(ok == expected, "{threads} {extra}: records out of order");
        let bad = result_lines(&out_dir, &output, "FAILED");
        assert_eq!(bad.len(), failing, "{threads} {extra}");
        for (k, rec) in bad.iter().enumerate() {
            let input: Value = serde_json::from_str(rec["Input"].as_str().unwrap()).unwrap();
            assert_eq!(input["i"], json!(7 * k + 3), "{threads} {extra}");
            assert_eq!(rec["Error"], "ServerError");
        }
    }
    // One item in seven fails: over a 10% threshold, known only once every item is read.
    let out_dir = dir("order-out-over");
    let sm = load_text(&map(
        reader,
        &format!("{writer}\"ToleratedFailurePercentage\":10,"),
        p,
    ))
    .unwrap();
    let out = run_in(&sm, &d, &out_dir, 2);
    assert_eq!(
        out.error.as_deref(),
        Some("States.ExceedToleratedFailureThreshold")
    );
}

/// A line that is not JSON, deep in a large file read as raw lines by tasks that parse
/// their own pieces: the Map fails with States.ItemReaderFailed naming the file and the
/// line, whatever the pool size, and no result file is committed.
#[test]
fn a_bad_line_among_raw_lines_fails_the_map_naming_the_line() {
    let d = dir("badline-in");
    let mut lines: Vec<String> = (0..40_000).map(|i| json!({"i": i}).to_string()).collect();
    lines[25_000] = "{\"i\": 25000,".into();
    std::fs::write(d.join("log.jsonl"), lines.join("\n")).unwrap();
    let reader = r#"{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSONL"},"Parameters":{"Bucket":"logs","Key":"log.jsonl"}}"#;
    let writer = r#""ResultWriter":{"Resource":"arn:aws:states:::s3:putObject","Parameters":{"Bucket":"out","Prefix":"run"},"WriterConfig":{"OutputType":"JSONL","Transformation":"COMPACT"}},"#;
    let sm = load_text(&map(reader, writer, PASS_I)).unwrap();
    for threads in [1, 2] {
        let out_dir = dir(&format!("badline-out-{threads}"));
        let out = run_in(&sm, &d, &out_dir, threads);
        assert_eq!(out.error.as_deref(), Some("States.ItemReaderFailed"));
        let cause = out.cause.unwrap();
        assert!(
            cause.contains("line 25001") && cause.contains("log.jsonl"),
            "{cause}"
        );
        let manifests = walk(&out_dir)
            .into_iter()
            .filter(|p| p.ends_with("manifest.json"))
            .count();
        assert_eq!(manifests, 0, "{threads}");
    }
}

fn walk(d: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// A RunObserver hears how a Distributed Map is doing: RUNNING counts that grow chunk
/// by chunk, then the final figures (what `asl serve` shows in DescribeMapRun).
#[test]
fn an_observer_hears_map_run_progress() {
    #[derive(Debug, Default)]
    struct Heard(std::sync::Mutex<Vec<asl_engine::exec::MapRunSummary>>);
    impl asl_engine::exec::RunObserver for Heard {
        fn map_run(&self, run: &asl_engine::exec::MapRunSummary) {
            self.0.lock().unwrap().push(run.clone());
        }
    }
    let d = dir("observer");
    // Enough lines for several reader blocks (a few MB each).
    jsonl(&d, 600_000);
    let reader = r#"{"Resource":"arn:aws:states:::s3:getObject","ReaderConfig":{"InputType":"JSONL"},"Parameters":{"Bucket":"logs","Key":"log.jsonl"}}"#;
    let sm = load_text(&map(reader, r#""ToleratedFailurePercentage":100,"#, r#""StartAt":"C","States":{"C":{"Type":"Choice","Choices":[{"Variable":"$.status","NumericEquals":500,"Next":"Bad"}],"Default":"Ok"},"Ok":{"Type":"Succeed"},"Bad":{"Type":"Fail","Error":"E500"}}"#)).unwrap();
    let ex = Executor::builder().bucket("logs", &d).threads(2).build();
    let heard = std::sync::Arc::new(Heard::default());
    let opts = asl_engine::exec::RunOptions {
        observer: Some(heard.clone()),
        ..Default::default()
    };
    let out = ex.run_with(&sm, json!({}), &opts);
    assert_eq!(out.status, Status::Succeeded, "{:?}", out.error);
    let heard = heard.0.lock().unwrap();
    let (last, running) = heard.split_last().expect("something was heard");
    assert!(
        running.len() >= 2,
        "RUNNING after each chunk: {}",
        running.len()
    );
    assert!(running.iter().all(|r| r.status == "RUNNING"));
    assert!(
        running.windows(2).all(|w| w[0].total <= w[1].total),
        "totals grow"
    );
    // Every 7th line has status 500 and fails (tolerated).
    assert_eq!(
        (last.status, last.total, last.failed),
        ("SUCCEEDED", 600_000, 85_715)
    );
    assert_eq!(out.map_runs.len(), 1);
    assert_eq!(out.map_runs[0].succeeded, 600_000 - 85_715);
}
