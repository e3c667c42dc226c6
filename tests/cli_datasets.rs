//! `asl datasets logs`: determinism, row counts and schema of every format, `--files`
//! splitting, the bundled samples, and usage errors (exit 2).

mod harness;

use arrow::array::{Array, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::DataType;
use harness::TempPath;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

const COLUMNS: [&str; 8] = [
    "timestamp",
    "method",
    "path",
    "status",
    "bytes",
    "latency_ms",
    "user_agent",
    "client_ip",
];

/// A fresh path under the temp dir (nothing there yet), removed on drop.
fn temp_dir(name: &str) -> TempPath {
    static N: AtomicU32 = AtomicU32::new(0);
    let p = std::env::temp_dir().join(format!(
        "asl-cli-datasets-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&p);
    TempPath::new(p)
}

fn asl(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_asl"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the asl binary runs")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("asl exits normally")
}

/// Generates into a fresh folder and returns it (removed on drop).
fn generate(name: &str, rows: u64, format: &str, extra: &[&str]) -> TempPath {
    let dir = temp_dir(name);
    let rows = rows.to_string();
    let mut args = vec!["datasets", "logs", "--rows", &rows, "--format", format];
    let d = dir.to_str().unwrap().to_string();
    args.extend(["--out", &d]);
    args.extend(extra);
    let o = asl(&args);
    assert_eq!(
        code(&o),
        0,
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    dir
}

fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    let f = std::fs::File::open(path).expect("parquet file");
    let reader = ParquetRecordBatchReaderBuilder::try_new(f)
        .expect("parquet")
        .build()
        .expect("reader");
    reader.map(|b| b.expect("batch")).collect()
}

/// Parquet rows as JSON objects (the shape JSONL has).
fn parquet_rows(path: &Path) -> Vec<Value> {
    let mut out = Vec::new();
    for b in read_parquet(path) {
        for i in 0..b.num_rows() {
            let mut o = serde_json::Map::new();
            for (k, name) in COLUMNS.iter().enumerate() {
                let col = b.column(k);
                let v = if let Some(s) = col.as_any().downcast_ref::<StringArray>() {
                    Value::from(s.value(i))
                } else {
                    Value::from(
                        col.as_any()
                            .downcast_ref::<Int64Array>()
                            .expect("Int64")
                            .value(i),
                    )
                };
                o.insert(name.to_string(), v);
            }
            out.push(Value::Object(o));
        }
    }
    out
}

fn jsonl_rows(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// A minimal RFC 4180 reader for one line (fields may be quoted, no embedded newlines).
fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    out.push(cur);
    out
}

fn csv_rows(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("csv");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(COLUMNS.join(",").as_str()), "header row");
    lines
        .map(|l| {
            let f = csv_fields(l);
            assert_eq!(f.len(), 8, "8 fields in {l}");
            let mut o = serde_json::Map::new();
            for (k, name) in COLUMNS.iter().enumerate() {
                let v = if matches!(*name, "status" | "bytes" | "latency_ms") {
                    Value::from(f[k].parse::<i64>().expect("an integer"))
                } else {
                    Value::from(f[k].clone())
                };
                o.insert(name.to_string(), v);
            }
            Value::Object(o)
        })
        .collect()
}

#[test]
fn parquet_schema_and_row_count() {
    let dir = generate("pq", 70_000, "parquet", &[]);
    let path = dir.join("access.parquet");
    let f = std::fs::File::open(&path).unwrap();
    let b = ParquetRecordBatchReaderBuilder::try_new(f).unwrap();
    assert_eq!(b.metadata().file_metadata().num_rows(), 70_000);
    let schema = b.schema().clone();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(names, COLUMNS);
    for f in schema.fields() {
        let want = if matches!(f.name().as_str(), "status" | "bytes" | "latency_ms") {
            DataType::Int64
        } else {
            DataType::Utf8
        };
        assert_eq!(f.data_type(), &want, "type of {}", f.name());
        assert!(!f.is_nullable(), "{} is not nullable", f.name());
    }
    let batches = read_parquet(&path);
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 70_000);
    assert!(
        batches
            .iter()
            .all(|b| b.columns().iter().all(|c| c.null_count() == 0))
    );
}

#[test]
fn every_format_holds_the_same_rows() {
    let pq = parquet_rows(&generate("same-pq", 3_000, "parquet", &[]).join("access.parquet"));
    let js = jsonl_rows(&generate("same-js", 3_000, "jsonl", &[]).join("access.jsonl"));
    let cs = csv_rows(&generate("same-csv", 3_000, "csv", &[]).join("access.csv"));
    assert_eq!(js.len(), 3_000);
    assert_eq!(pq, js);
    assert_eq!(cs, js);
    for r in &js {
        let o = r.as_object().unwrap();
        assert_eq!(o.keys().map(String::as_str).collect::<Vec<_>>(), COLUMNS);
        assert!(o["status"].is_i64() && o["bytes"].is_i64() && o["latency_ms"].is_i64());
    }
}

#[test]
fn deterministic_for_a_seed() {
    for format in ["jsonl", "csv", "parquet"] {
        let a = generate("det-a", 5_000, format, &["--seed", "7"]);
        let b = generate("det-b", 5_000, format, &["--seed", "7"]);
        let c = generate("det-c", 5_000, format, &["--seed", "8"]);
        let file = format!("access.{format}");
        let read = |d: &Path| std::fs::read(d.join(&file)).unwrap();
        assert_eq!(read(&a), read(&b), "{format}: same seed, same bytes");
        assert_ne!(read(&a), read(&c), "{format}: another seed, other rows");
    }
}

#[test]
fn files_split_the_same_rows() {
    let whole = generate("split-1", 10_001, "jsonl", &[]);
    let parts = generate("split-3", 10_001, "jsonl", &["--files", "3"]);
    let mut names: Vec<String> = std::fs::read_dir(&parts)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["part-00000.jsonl", "part-00001.jsonl", "part-00002.jsonl"]
    );
    let mut joined = Vec::new();
    let mut counts = Vec::new();
    for n in &names {
        let bytes = std::fs::read(parts.join(n)).unwrap();
        counts.push(bytes.iter().filter(|&&b| b == b'\n').count());
        joined.extend(bytes);
    }
    assert_eq!(counts, [3_333, 3_334, 3_334]);
    assert_eq!(joined, std::fs::read(whole.join("access.jsonl")).unwrap());

    let pq = generate("split-pq", 10_001, "parquet", &["--files", "4"]);
    let mut total = 0;
    for k in 0..4 {
        let rows = parquet_rows(&pq.join(format!("part-{k:05}.parquet")));
        assert!(!rows.is_empty());
        total += rows.len();
    }
    assert_eq!(total, 10_001);

    let csv = generate("split-csv", 10, "csv", &["--files", "2"]);
    for k in 0..2 {
        assert_eq!(csv_rows(&csv.join(format!("part-{k:05}.csv"))).len(), 5);
    }
}

#[test]
fn distributions_look_like_access_logs() {
    let rows = jsonl_rows(&generate("dist", 50_000, "jsonl", &[]).join("access.jsonl"));
    let n = rows.len() as f64;
    let frac = |f: &dyn Fn(&Value) -> bool| rows.iter().filter(|r| f(r)).count() as f64 / n;
    let server = frac(&|r| r["status"].as_i64().unwrap() >= 500);
    let slow = frac(&|r| r["latency_ms"].as_i64().unwrap() > 1000);
    let ok = frac(&|r| r["status"].as_i64().unwrap() == 200);
    let get = frac(&|r| r["method"] == "GET");
    assert!((0.015..0.025).contains(&server), "5xx: {server}");
    assert!((0.025..0.04).contains(&slow), "slow: {slow}");
    assert!(ok > 0.75, "200: {ok}");
    assert!((0.7..0.85).contains(&get), "GET: {get}");
    let mut last = String::new();
    for r in &rows {
        let t = r["timestamp"].as_str().unwrap();
        assert_eq!(t.len(), 24);
        assert!(
            t.starts_with("2024-03-0") && t.ends_with('Z') && &t[10..11] == "T",
            "{t}"
        );
        assert!(t > last.as_str(), "timestamps increase: {t} after {last}");
        last = t.to_string();
        assert!(["GET", "POST", "PUT", "DELETE"].contains(&r["method"].as_str().unwrap()));
        assert!(r["path"].as_str().unwrap().starts_with('/'));
        let ip: Vec<u32> = r["client_ip"]
            .as_str()
            .unwrap()
            .split('.')
            .map(|o| o.parse().unwrap())
            .collect();
        assert!(ip.len() == 4 && ip.iter().all(|&o| o <= 255));
        assert!(r["bytes"].as_i64().unwrap() >= 0 && r["latency_ms"].as_i64().unwrap() >= 1);
    }
    let paths: std::collections::HashSet<&str> =
        rows.iter().map(|r| r["path"].as_str().unwrap()).collect();
    let agents: std::collections::HashSet<&str> = rows
        .iter()
        .map(|r| r["user_agent"].as_str().unwrap())
        .collect();
    assert!(paths.len() > 200, "{} paths", paths.len());
    assert!(agents.len() >= 24, "{} user agents", agents.len());
}

#[test]
fn bundled_samples_are_the_generator_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("datasets/logs");
    let js = generate("sample-js", 1_000, "jsonl", &["--seed", "42"]);
    let cs = generate("sample-csv", 1_000, "csv", &["--seed", "42"]);
    let parts = generate(
        "sample-parts",
        1_000,
        "jsonl",
        &["--seed", "42", "--files", "4"],
    );
    let read = |p: PathBuf| std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    assert_eq!(
        read(root.join("access.jsonl")),
        read(js.join("access.jsonl"))
    );
    assert_eq!(read(root.join("access.csv")), read(cs.join("access.csv")));
    for k in 0..4 {
        let n = format!("part-{k:05}.jsonl");
        assert_eq!(read(root.join("parts").join(&n)), read(parts.join(&n)));
    }
    assert_eq!(
        parquet_rows(&root.join("access.parquet")),
        jsonl_rows(&root.join("access.jsonl"))
    );
    for f in ["access.parquet", "access.jsonl", "access.csv"] {
        let len = std::fs::metadata(root.join(f)).unwrap().len();
        assert!(len < 300 * 1024, "{f}: {len} bytes");
    }
    for w in ["etl.asl.json", "classify.asl.json", "per_file.asl.json"] {
        let p = root.join(w);
        let o = asl(&["validate", p.to_str().unwrap()]);
        assert_eq!(code(&o), 0, "{w}: {}", String::from_utf8_lossy(&o.stdout));
        // AWS-only rules: the ETL sample writes Parquet results, a local extension.
        let o = asl(&["validate", "--strict-aws", p.to_str().unwrap()]);
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        if w == "etl.asl.json" {
            assert_eq!(code(&o), 3, "{w}: {text}");
            assert!(
                text.contains("/WriterConfig/OutputType") && text.contains("PARQUET"),
                "{text}"
            );
            assert_eq!(text.lines().count(), 1, "{text}");
        } else {
            assert_eq!(code(&o), 0, "{w}: {text}");
        }
    }
}

#[test]
fn bad_arguments_exit_2() {
    let dir = temp_dir("bad");
    let d = dir.to_str().unwrap();
    let cases: Vec<Vec<&str>> = vec![
        vec!["datasets"],
        vec![
            "datasets", "weather", "--rows", "1", "--format", "csv", "--out", d,
        ],
        vec!["datasets", "logs", "--format", "csv", "--out", d],
        vec!["datasets", "logs", "--rows", "10", "--out", d],
        vec!["datasets", "logs", "--rows", "10", "--format", "csv"],
        vec![
            "datasets", "logs", "--rows", "10", "--format", "xml", "--out", d,
        ],
        vec![
            "datasets", "logs", "--rows", "-5", "--format", "csv", "--out", d,
        ],
        vec![
            "datasets", "logs", "--rows", "ten", "--format", "csv", "--out", d,
        ],
        vec![
            "datasets", "logs", "--rows", "10", "--format", "csv", "--out", d, "--files", "0",
        ],
        vec![
            "datasets", "logs", "--rows", "10", "--format", "csv", "--out", d, "--seed", "x",
        ],
    ];
    for args in &cases {
        let o = asl(args);
        assert_eq!(
            code(&o),
            2,
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    // An output folder that cannot be created is an I/O error: exit 2 too.
    let file = temp_dir("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let under = file.join("sub");
    let o = asl(&[
        "datasets",
        "logs",
        "--rows",
        "10",
        "--format",
        "jsonl",
        "--out",
        under.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("asl datasets logs"));
}

#[test]
fn zero_rows_give_empty_files() {
    let dir = generate("zero", 0, "parquet", &["--files", "2"]);
    for k in 0..2 {
        assert!(parquet_rows(&dir.join(format!("part-{k:05}.parquet"))).is_empty());
    }
    let dir = generate("zero-csv", 0, "csv", &[]);
    assert!(csv_rows(&dir.join("access.csv")).is_empty());
}
