//! A Distributed Map in `asl serve` killed mid-run (`kill -9`) and restarted: it resumes
//! from its last checkpoint and writes each item once.

mod harness;

use harness::*;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// A Distributed Map over 1,000,000 JSONL lines with a ResultWriter, the server killed
/// (SIGKILL) mid-run: after a restart the execution succeeds, its result files hold
/// every item exactly once and the manifest lists exactly the files there are; the Map
/// Run resumed from its last checkpoint (the files committed before it are kept as
/// they were, not written again).
#[test]
fn a_distributed_map_killed_mid_run_writes_each_item_once() {
    const ROWS: usize = 1_000_000;
    let dir = Dir::new();
    let logs = dir.0.join("logs");
    let out = dir.0.join("out");
    std::fs::create_dir_all(&out).expect("out dir");
    let made = Command::new(env!("CARGO_BIN_EXE_asl"))
        .args([
            "datasets",
            "logs",
            "--rows",
            &ROWS.to_string(),
            "--format",
            "jsonl",
            "--out",
        ])
        .arg(&logs)
        .output()
        .expect("asl datasets runs");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let buckets = [
        format!("logs={}", logs.display()),
        format!("out={}", out.display()),
    ];
    let args = ["--bucket", &buckets[0], "--bucket", &buckets[1]];
    let s = Server::start_with(&dir.db(), &args);
    let def = json!({"StartAt": "Each", "States": {"Each": {"Type": "Map",
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSONL"},
                       "Parameters": {"Bucket": "logs", "Key": "access.jsonl"}},
        "ItemSelector": {"i.$": "$$.Map.Item.Index", "status.$": "$$.Map.Item.Value.status"},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "Keep", "States": {"Keep": {"Type": "Pass", "End": true}}},
        "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "out", "Prefix": "run"},
                         "WriterConfig": {"OutputType": "JSONL", "Transformation": "COMPACT"}},
        "End": true}}});
    let arn = s
        .ok(
            "CreateStateMachine",
            json!({"name": "dmap", "definition": def.to_string(), "roleArn": ROLE}),
        )
        .field("stateMachineArn");
    let exec = s
        .ok(
            "StartExecution",
            json!({"stateMachineArn": arn, "name": "big"}),
        )
        .field("executionArn");
    // Kill it once its second checkpoint committed a result file (so the first one is
    // journaled).
    let deadline = Instant::now() + Duration::from_secs(60);
    let named = |p: &std::path::Path, name: &str| {
        walk(p)
            .iter()
            .any(|f| f.file_name().is_some_and(|n| n == name))
    };
    while !(named(&out, "SUCCEEDED_1.jsonl") || named(&out, "manifest.json"))
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    s.kill9();
    // The committed files as the killed server left them.
    let identity = |f: &std::path::Path| {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(f).expect("a result file");
        (m.ino(), m.len(), m.mtime_nsec(), m.mtime())
    };
    let before: Vec<(PathBuf, (u64, u64, i64, i64))> = walk(&out)
        .into_iter()
        .filter(|f| !f.file_name().unwrap().to_string_lossy().starts_with('.'))
        .map(|f| {
            let id = identity(&f);
            (f, id)
        })
        .collect();
    let finished = before.iter().any(|(f, _)| f.ends_with("manifest.json"));
    let s = Server::start_with(&dir.db(), &args);
    let done = wait_done(&s, &exec);
    assert_eq!(done["status"], "SUCCEEDED", "{done}");
    // A checkpoint every 100,000 items: the second file is committed a fifth of the way
    // through, so the kill came mid-run.
    assert!(
        !finished,
        "the Map Run finished before the kill: {before:?}"
    );
    // The first checkpoint's file is kept as it was, not written again.
    let first = before
        .iter()
        .find(|(f, _)| f.ends_with("SUCCEEDED_0.jsonl"))
        .expect("the first checkpoint's file");
    assert!(first.0.exists(), "{} was removed", first.0.display());
    assert_eq!(
        identity(&first.0),
        first.1,
        "{} was written again after the restart",
        first.0.display()
    );
    println!("result files committed before the kill: {}", before.len());
    let result: Value = serde_json::from_str(done["output"].as_str().unwrap()).unwrap();
    let manifest_key = result["ResultWriterDetails"]["Key"]
        .as_str()
        .expect("a manifest key");
    let folder = out
        .join(manifest_key)
        .parent()
        .expect("a run folder")
        .to_path_buf();
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join(manifest_key)).expect("the manifest"))
            .expect("manifest JSON");
    let mut listed: Vec<String> = manifest["ResultFiles"]["SUCCEEDED"]
        .as_array()
        .expect("SUCCEEDED files")
        .iter()
        .map(|f| f["Key"].as_str().expect("a key").to_string())
        .collect();
    listed.sort();
    let mut present: Vec<String> = walk(&out)
        .iter()
        .filter(|f| !f.ends_with("manifest.json"))
        .map(|f| {
            f.strip_prefix(&out)
                .expect("under out")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    present.sort();
    assert_eq!(listed, present, "the manifest lists the files there are");
    let mut seen = vec![0u8; ROWS];
    for f in walk(&out) {
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        if name == "manifest.json" {
            continue;
        }
        assert!(
            f.starts_with(&folder),
            "a result file outside the run's folder: {}",
            f.display()
        );
        for line in std::fs::read_to_string(&f).expect("a result file").lines() {
            let v: Value = serde_json::from_str(line).expect("a JSON line");
            let i = v["i"].as_u64().expect("an index") as usize;
            seen[i] += 1;
        }
    }
    // The Map Run, as DescribeMapRun and ListMapRuns show it.
    let map_run = result["MapRunArn"].as_str().expect("a Map Run ARN");
    assert!(
        map_run.starts_with("arn:aws:states:us-east-1:123456789012:mapRun:dmap/Each:"),
        "{map_run}"
    );
    let listed = s.ok("ListMapRuns", json!({"executionArn": exec}));
    assert_eq!(
        listed["mapRuns"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    assert_eq!(listed["mapRuns"][0]["mapRunArn"], map_run);
    let d = s.ok("DescribeMapRun", json!({"mapRunArn": map_run}));
    assert_eq!(d["status"], "SUCCEEDED");
    assert_eq!(d["itemCounts"]["total"], ROWS);
    assert_eq!(d["itemCounts"]["succeeded"], ROWS);
    assert_eq!(d["itemCounts"]["resultsWritten"], ROWS);
    s.ok(
        "UpdateMapRun",
        json!({"mapRunArn": map_run, "toleratedFailurePercentage": 5}),
    );
    assert_eq!(
        s.ok("DescribeMapRun", json!({"mapRunArn": map_run}))["toleratedFailurePercentage"],
        5.0
    );
    let wrong: Vec<usize> = (0..ROWS).filter(|i| seen[*i] != 1).take(5).collect();
    assert!(
        wrong.is_empty(),
        "items not written exactly once, e.g. {wrong:?} ({:?})",
        wrong.iter().map(|i| seen[*i]).collect::<Vec<_>>()
    );
}
