//! ResultWriter crash safety: a writer killed with SIGKILL mid-run leaves only complete files
//! under their final names, and no manifest unless every file it lists is complete.
//!
//! The test re-runs this test binary as a child (`child_writes_results`, active only when
//! `ASL_WRITER_CHILD_DIR` is set) that writes a large result set slowly through the sink.

mod harness;

use asl_engine::io::Buckets;
use asl_engine::io::writer::{ItemResult, ResultSink, WriterConfig, is_temp_name};
use harness::TempPath;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const ARN: &str =
    "arn:aws:states:us-east-1:123456789012:mapRun:crash/Map:0f0e0d0c-0000-4000-8000-000000000001";
const RUN: &str = "0f0e0d0c-0000-4000-8000-000000000001";
const PER_FILE: usize = 25;

/// The child: writes `ASL_WRITER_CHILD_ITEMS` items (10 a chunk, a pause between chunks).
#[test]
fn child_writes_results() {
    let Ok(dir) = std::env::var("ASL_WRITER_CHILD_DIR") else {
        return;
    };
    let output = std::env::var("ASL_WRITER_CHILD_TYPE").unwrap();
    let total: usize = std::env::var("ASL_WRITER_CHILD_ITEMS")
        .unwrap()
        .parse()
        .unwrap();
    let mut cfg = WriterConfig::from_value(&json!({
        "Resource": "arn:aws:states:::s3:putObject",
        "Parameters": {"Bucket": "out", "Prefix": "runs"},
        "WriterConfig": {"OutputType": output, "Transformation": "COMPACT"}
    }))
    .unwrap();
    cfg.max_file_items = PER_FILE;
    let buckets = Buckets {
        named: Default::default(),
        root: Some(PathBuf::from(dir)),
    };
    let mut sink = ResultSink::create(&cfg, &buckets, ARN).unwrap();
    let pad = "x".repeat(4000);
    let mut i = 0;
    while i < total {
        let items: Vec<ItemResult> = (i..(i + 10).min(total))
            .map(|n| ItemResult {
                index: n,
                input: json!(n),
                output: json!({"n": n, "pad": pad}),
                error: None,
                cause: None,
            })
            .collect();
        i += items.len();
        sink.write_succeeded(&items).unwrap();
        if i % 20 == 0 {
            sink.write_failed(&[ItemResult {
                index: i,
                input: json!(i),
                output: json!({}),
                error: Some("E".into()),
                cause: Some("c".into()),
            }])
            .unwrap();
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    sink.finish().unwrap();
}

fn count_records(path: &Path) -> usize {
    let name = path.file_name().unwrap().to_str().unwrap();
    if name.ends_with(".parquet") {
        let r = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(path).unwrap())
            .unwrap_or_else(|e| panic!("{name} is not a complete Parquet file: {e}"))
            .build()
            .unwrap();
        return r.map(|b| b.unwrap().num_rows()).sum();
    }
    let bytes = std::fs::read(path).unwrap();
    if name.ends_with(".jsonl") {
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.ends_with('\n'), "{name} ends mid-line");
        text.lines()
            .filter(|l| {
                serde_json::from_str::<Value>(l)
                    .map_err(|e| panic!("{name}: {e}"))
                    .is_ok()
            })
            .count()
    } else {
        serde_json::from_slice::<Vec<Value>>(&bytes)
            .unwrap_or_else(|e| panic!("{name} is not complete JSON: {e}"))
            .len()
    }
}

/// Checks the folder of a (possibly killed) run; returns (final files, whether a manifest exists).
fn check_folder(dir: &Path) -> (usize, bool) {
    let mut finals = 0;
    let mut manifest = false;
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        if is_temp_name(&name) {
            continue;
        }
        if name == "manifest.json" {
            manifest = true;
            continue;
        }
        let n = count_records(&dir.join(&name));
        if name.starts_with("SUCCEEDED_") {
            assert!(
                n == PER_FILE || manifest_lists_last(dir, &name),
                "{name} has {n} records"
            );
        }
        assert!(n > 0, "{name} is empty");
        finals += 1;
    }
    if manifest {
        let m: Value =
            serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
        for kind in ["SUCCEEDED", "FAILED"] {
            for f in m["ResultFiles"][kind].as_array().unwrap() {
                let key = f["Key"].as_str().unwrap();
                let path = dir.join(key.rsplit('/').next().unwrap());
                assert_eq!(
                    std::fs::metadata(&path).unwrap().len(),
                    f["Size"].as_u64().unwrap(),
                    "{key}"
                );
                count_records(&path);
            }
        }
    }
    (finals, manifest)
}

/// The last SUCCEEDED file of a finished run may hold fewer records.
fn manifest_lists_last(dir: &Path, name: &str) -> bool {
    let Ok(bytes) = std::fs::read(dir.join("manifest.json")) else {
        return false;
    };
    let m: Value = serde_json::from_slice(&bytes).unwrap();
    let files = m["ResultFiles"]["SUCCEEDED"].as_array().unwrap();
    files
        .last()
        .is_some_and(|f| f["Key"].as_str().unwrap().ends_with(name))
}

fn spawn_child(root: &Path, output: &str, items: usize) -> std::process::Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "child_writes_results",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("ASL_WRITER_CHILD_DIR", root)
        .env("ASL_WRITER_CHILD_TYPE", output)
        .env("ASL_WRITER_CHILD_ITEMS", items.to_string())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// A fresh folder under the temp dir holding an empty `out` bucket; removed on drop.
fn bucket_root(test: &str, output: &str) -> TempPath {
    let root =
        std::env::temp_dir().join(format!("asl-writer-{test}-{}-{output}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("out")).unwrap();
    TempPath::new(root)
}

fn final_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter(|e| !is_temp_name(e.as_ref().unwrap().file_name().to_str().unwrap()))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn sigkill_mid_run_leaves_only_complete_files() {
    for output in ["JSON", "JSONL", "PARQUET"] {
        let root = bucket_root("kill", output);
        let dir = root.join("out/runs").join(RUN);
        let mut child = spawn_child(&root, output, 1_000_000);
        // Wait until some files are complete, then ~200 ms more, then SIGKILL.
        let start = Instant::now();
        while final_files(&dir) < 2 && start.elapsed() < Duration::from_secs(60) {
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(200));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success(), "{output}: the child was killed");
        let (finals, manifest) = check_folder(&dir);
        assert!(finals >= 2, "{output}: {finals} complete files");
        assert!(!manifest, "{output}: no manifest for an unfinished run");
    }
}

#[test]
fn finished_child_has_manifest_and_complete_files() {
    for output in ["JSON", "PARQUET"] {
        let root = bucket_root("done", output);
        let status = spawn_child(&root, output, 120).wait().unwrap();
        assert!(status.success());
        let dir = root.join("out/runs").join(RUN);
        let (finals, manifest) = check_folder(&dir);
        assert!(manifest);
        assert_eq!(
            finals,
            120 / PER_FILE + 1 + 1,
            "{output}: 5 SUCCEEDED files and 1 FAILED"
        );
        assert!(
            !std::fs::read_dir(&dir)
                .unwrap()
                .any(|e| is_temp_name(e.unwrap().file_name().to_str().unwrap()))
        );
    }
}
