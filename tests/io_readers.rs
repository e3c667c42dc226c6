//! ItemReader over local folders: every format, headers, delimiters, projection, Parquet
//! row-group filtering, MaxItems, listings and failures.
mod harness;

use arrow::array::{
    Array, ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray,
};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use asl_engine::asl::Failure;
use asl_engine::io::Buckets;
use asl_engine::io::reader::{
    Chunk, ReadOptions, ReaderConfig, batch_to_items, column_stats_i64, open,
};
use harness::TempPath;
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;

/// A fresh bucket root for a test: `root/<bucket>` folders; removed on drop.
fn root(name: &str) -> TempPath {
    let d = std::env::temp_dir().join(format!("asl_io_readers_{}_{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    TempPath::new(d)
}

fn put(root: &Path, bucket: &str, key: &str, content: &[u8]) {
    let p = root.join(bucket).join(key);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, content).unwrap();
}

fn buckets(root: &Path) -> Buckets {
    Buckets {
        root: Some(root.to_path_buf()),
        ..Default::default()
    }
}

fn get(input: &str, bucket: &str, key: &str, extra: Value) -> ReaderConfig {
    let mut rc = json!({"InputType": input});
    for (k, v) in extra.as_object().unwrap() {
        rc[k] = v.clone();
    }
    ReaderConfig::from_value(&json!({
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": rc,
        "Parameters": {"Bucket": bucket, "Key": key}
    }))
    .unwrap()
}

fn chunks(cfg: &ReaderConfig, b: &Buckets, opts: &ReadOptions) -> Result<Vec<Chunk>, Failure> {
    open(cfg, b, opts)?.collect()
}

fn items(cfg: &ReaderConfig, b: &Buckets, opts: &ReadOptions) -> Result<Vec<Value>, Failure> {
    let mut out = Vec::new();
    for c in chunks(cfg, b, opts)? {
        out.extend(c.into_items()?);
    }
    Ok(out)
}

fn all(cfg: &ReaderConfig, b: &Buckets) -> Vec<Value> {
    items(cfg, b, &ReadOptions::default()).unwrap()
}

fn err(r: Result<ItemsOrStream, Failure>) -> Failure {
    match r {
        Ok(_) => panic!("expected a failure"),
        Err(e) => e,
    }
}
type ItemsOrStream = Vec<Value>;

fn opts(batch_rows: usize) -> ReadOptions {
    ReadOptions {
        batch_rows,
        ..Default::default()
    }
}

#[test]
fn json_array_in_chunks() {
    let r = root("json");
    put(
        &r,
        "b",
        "data/items.json",
        br#"[{"a":1},{"a":2},3,"four",null]"#,
    );
    let cfg = get("JSON", "b", "data/items.json", json!({}));
    let cs = chunks(&cfg, &buckets(&r), &opts(2)).unwrap();
    assert_eq!(cs.iter().map(Chunk::len).collect::<Vec<_>>(), vec![2, 2, 1]);
    assert!(cs.iter().all(|c| matches!(c, Chunk::Rows(_))));
    assert_eq!(
        all(&cfg, &buckets(&r)),
        vec![
            json!({"a":1}),
            json!({"a":2}),
            json!(3),
            json!("four"),
            Value::Null
        ]
    );
}

#[test]
fn json_default_input_type_and_items_pointer() {
    let r = root("json_ptr");
    put(
        &r,
        "b",
        "doc.json",
        br#"{"meta":{"n":2},"data":{"rows":[1,2]}}"#,
    );
    let cfg = ReaderConfig::from_value(&json!({
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": {"ItemsPointer": "/data/rows"},
        "Arguments": {"Bucket": "b", "Key": "doc.json"}
    }))
    .unwrap();
    assert_eq!(all(&cfg, &buckets(&r)), vec![json!(1), json!(2)]);
    // Without a pointer, an object is not an item array.
    let cfg = get("JSON", "b", "doc.json", json!({}));
    let e = err(items(&cfg, &buckets(&r), &ReadOptions::default()));
    assert_eq!(e.error.as_deref(), Some("States.ItemReaderFailed"));
    assert!(e.cause.unwrap().contains("array"));
}

#[test]
fn json_invalid_is_a_failure() {
    let r = root("json_bad");
    put(&r, "b", "bad.json", b"[1, 2,");
    let e = err(items(
        &get("JSON", "b", "bad.json", json!({})),
        &buckets(&r),
        &ReadOptions::default(),
    ));
    assert_eq!(e.error_name(), "States.ItemReaderFailed");
    assert!(e.cause.unwrap().contains("bad.json"));
}

#[test]
fn jsonl_lines_and_blank_lines() {
    let r = root("jsonl");
    put(
        &r,
        "b",
        "x.jsonl",
        b"{\"a\":1}\n\n  \r\n{\"a\":2}\r\n[3]\n\"s\"",
    );
    let cfg = get("JSONL", "b", "x.jsonl", json!({}));
    let cs = chunks(&cfg, &buckets(&r), &opts(3)).unwrap();
    assert_eq!(cs.iter().map(Chunk::len).collect::<Vec<_>>(), vec![3, 1]);
    assert_eq!(
        all(&cfg, &buckets(&r)),
        vec![json!({"a":1}), json!({"a":2}), json!([3]), json!("s")]
    );
}

#[test]
fn jsonl_bad_line_names_the_line() {
    let r = root("jsonl_bad");
    put(&r, "b", "x.jsonl", b"{\"a\":1}\n\n{\"a\":\n{\"a\":3}\n");
    let e = err(items(
        &get("JSONL", "b", "x.jsonl", json!({})),
        &buckets(&r),
        &ReadOptions::default(),
    ));
    assert_eq!(e.error_name(), "States.ItemReaderFailed");
    let cause = e.cause.unwrap();
    assert!(cause.contains("line 3"), "{cause}");
    // The items before the bad line come first.
    let mut s = open(
        &get("JSONL", "b", "x.jsonl", json!({})),
        &buckets(&r),
        &opts(1),
    )
    .unwrap();
    assert_eq!(
        s.next().unwrap().unwrap().into_items().unwrap(),
        vec![json!({"a":1})]
    );
    assert!(s.next().unwrap().is_err());
    assert!(s.next().is_none());
}

#[test]
fn csv_first_row_values_are_strings() {
    let r = root("csv_first");
    put(&r, "b", "t.csv", b"id,name,score\n1,alice,9.5\n2,,10\n");
    let cfg = get(
        "CSV",
        "b",
        "t.csv",
        json!({"CSVHeaderLocation": "FIRST_ROW"}),
    );
    let cs = chunks(&cfg, &buckets(&r), &ReadOptions::default()).unwrap();
    assert!(
        matches!(&cs[0], Chunk::Batch(b) if b.schema().fields().iter().all(|f| f.data_type() == &DataType::Utf8))
    );
    assert_eq!(
        all(&cfg, &buckets(&r)),
        vec![
            json!({"id":"1","name":"alice","score":"9.5"}),
            json!({"id":"2","name":"","score":"10"})
        ]
    );
}

#[test]
fn csv_given_headers_first_row_is_data() {
    let r = root("csv_given");
    put(&r, "b", "t.csv", b"1,alice\n2,bob\n");
    let cfg = get(
        "CSV",
        "b",
        "t.csv",
        json!({"CSVHeaderLocation": "GIVEN", "CSVHeaders": ["id", "name"]}),
    );
    assert_eq!(
        all(&cfg, &buckets(&r)),
        vec![
            json!({"id":"1","name":"alice"}),
            json!({"id":"2","name":"bob"})
        ]
    );
}

#[test]
fn csv_every_delimiter() {
    let r = root("csv_delims");
    for (name, d) in [
        ("COMMA", ','),
        ("PIPE", '|'),
        ("SEMICOLON", ';'),
        ("SPACE", ' '),
        ("TAB", '\t'),
    ] {
        let text = format!("k{d}v\na{d}1\nb{d}\"x{d}y\"\n");
        let key = format!("{name}.csv");
        put(&r, "b", &key, text.as_bytes());
        let cfg = get("CSV", "b", &key, json!({"CSVDelimiter": name}));
        assert_eq!(
            all(&cfg, &buckets(&r)),
            vec![
                json!({"k":"a","v":"1"}),
                json!({"k":"b","v":format!("x{d}y")})
            ],
            "{name}"
        );
    }
}

#[test]
fn csv_quoted_fields_with_commas_newlines_and_quotes() {
    let r = root("csv_quoted");
    put(
        &r,
        "b",
        "q.csv",
        b"a,b\n\"1,2\",\"line1\nline2\"\n\"say \"\"hi\"\"\",  spaced  \n",
    );
    let cfg = get("CSV", "b", "q.csv", json!({}));
    assert_eq!(
        all(&cfg, &buckets(&r)),
        vec![
            json!({"a":"1,2","b":"line1\nline2"}),
            json!({"a":"say \"hi\"","b":"  spaced  "})
        ]
    );
}

#[test]
fn csv_projection_keeps_file_order_and_chunks() {
    let r = root("csv_proj");
    let mut text = String::from("a,b,c,d\n");
    for i in 0..10 {
        text.push_str(&format!("{i},b{i},c{i},d{i}\n"));
    }
    put(&r, "b", "p.csv", text.as_bytes());
    let cfg = get("CSV", "b", "p.csv", json!({}));
    let o = ReadOptions {
        projection: Some(vec!["d".into(), "b".into(), "missing".into()]),
        batch_rows: 4,
        ..Default::default()
    };
    let cs = chunks(&cfg, &buckets(&r), &o).unwrap();
    assert_eq!(cs.iter().map(Chunk::len).collect::<Vec<_>>(), vec![4, 4, 2]);
    let Chunk::Batch(b) = &cs[0] else { panic!() };
    let names: Vec<_> = b
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(names, vec!["b", "d"]);
    assert_eq!(batch_to_items(b)[1], json!({"b":"b1","d":"d1"}));
}

#[test]
fn csv_wrong_field_count_is_a_failure() {
    let r = root("csv_bad");
    put(&r, "b", "bad.csv", b"a,b\n1,2\n1,2,3\n");
    let e = err(items(
        &get("CSV", "b", "bad.csv", json!({})),
        &buckets(&r),
        &ReadOptions::default(),
    ));
    assert_eq!(e.error_name(), "States.ItemReaderFailed");
    assert!(e.cause.unwrap().contains("bad.csv"));
}

#[test]
fn csv_empty_file_has_no_items() {
    let r = root("csv_empty");
    put(&r, "b", "e.csv", b"");
    assert!(all(&get("CSV", "b", "e.csv", json!({})), &buckets(&r)).is_empty());
    put(&r, "b", "h.csv", b"a,b\n");
    assert!(all(&get("CSV", "b", "h.csv", json!({})), &buckets(&r)).is_empty());
}

fn write_parquet(path: &Path) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("name", DataType::Utf8, true),
        Field::new("score", DataType::Float64, true),
        Field::new(
            "at",
            DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())),
            true,
        ),
    ]));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(10))
        .build();
    let mut w = ArrowWriter::try_new(file, schema.clone(), Some(props)).unwrap();
    let ids: Vec<i64> = (0..35).collect();
    let cols: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(ids.clone())),
        Arc::new(StringArray::from(
            ids.iter()
                .map(|i| (i % 5 != 0).then(|| format!("n{i}")))
                .collect::<Vec<_>>(),
        )),
        Arc::new(Float64Array::from(
            ids.iter().map(|&i| i as f64 / 2.0).collect::<Vec<_>>(),
        )),
        Arc::new(
            TimestampMillisecondArray::from(
                ids.iter()
                    .map(|&i| 1_700_000_000_000 + i * 1000)
                    .collect::<Vec<_>>(),
            )
            .with_timezone("UTC"),
        ),
    ];
    w.write(&RecordBatch::try_new(schema, cols).unwrap())
        .unwrap();
    w.close().unwrap();
}

#[test]
fn parquet_native_types_and_items() {
    let r = root("parquet");
    write_parquet(&r.join("b/p/data.parquet"));
    let cfg = get("PARQUET", "b", "p/data.parquet", json!({}));
    let cs = chunks(&cfg, &buckets(&r), &opts(16)).unwrap();
    assert_eq!(cs.iter().map(Chunk::len).sum::<usize>(), 35);
    let Chunk::Batch(b) = &cs[0] else { panic!() };
    assert_eq!(b.schema().field(0).data_type(), &DataType::Int64);
    let it = batch_to_items(b);
    assert_eq!(
        it[0],
        json!({"id":0,"name":null,"score":0.0,"at":"2023-11-14T22:13:20Z"})
    );
    assert_eq!(
        it[3],
        json!({"id":3,"name":"n3","score":1.5,"at":"2023-11-14T22:13:23Z"})
    );
}

#[test]
fn parquet_projection_and_row_group_filter() {
    let r = root("parquet_filter");
    write_parquet(&r.join("b/data.parquet"));
    let cfg = get("PARQUET", "b", "data.parquet", json!({}));
    // Keep row groups that may hold ids in 12..=22: groups [10..19] and [20..29].
    let o = ReadOptions {
        projection: Some(vec!["name".into(), "id".into()]),
        batch_rows: 100,
        row_group_filter: Some(Arc::new(|rg, schema| {
            let (min, max) = column_stats_i64(rg, schema, "id").expect("stats");
            max >= 12 && min <= 22
        })),
        row_predicate: None,
        raw_lines: false,
    };
    let cs = chunks(&cfg, &buckets(&r), &o).unwrap();
    let mut ids = Vec::new();
    for c in &cs {
        let Chunk::Batch(b) = c else { panic!() };
        let names: Vec<_> = b
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names, vec!["id", "name"]);
        let col = b.column(0).as_any().downcast_ref::<Int64Array>().unwrap();
        ids.extend(col.values().iter().copied());
    }
    assert_eq!(ids, (10..30).collect::<Vec<i64>>());
}

#[test]
fn parquet_column_stats() {
    let r = root("parquet_stats");
    let p = r.join("b/data.parquet");
    write_parquet(&p);
    let reader = parquet::file::serialized_reader::SerializedFileReader::new(
        std::fs::File::open(&p).unwrap(),
    )
    .unwrap();
    use parquet::file::reader::FileReader;
    let meta = reader.metadata();
    let schema = meta.file_metadata().schema_descr();
    let stats: Vec<_> = meta
        .row_groups()
        .iter()
        .map(|rg| column_stats_i64(rg, schema, "id"))
        .collect();
    assert_eq!(
        stats,
        vec![Some((0, 9)), Some((10, 19)), Some((20, 29)), Some((30, 34))]
    );
    assert_eq!(
        column_stats_i64(&meta.row_groups()[0], schema, "name"),
        None
    );
    assert_eq!(
        column_stats_i64(&meta.row_groups()[0], schema, "nope"),
        None
    );
}

#[test]
fn parquet_garbage_is_a_failure() {
    let r = root("parquet_bad");
    put(&r, "b", "x.parquet", b"not parquet at all");
    let e = err(items(
        &get("PARQUET", "b", "x.parquet", json!({})),
        &buckets(&r),
        &ReadOptions::default(),
    ));
    assert_eq!(e.error_name(), "States.ItemReaderFailed");
}

#[test]
fn max_items_truncates() {
    let r = root("max_items");
    let lines: String = (0..10).map(|i| format!("{i}\n")).collect();
    put(&r, "b", "n.jsonl", lines.as_bytes());
    let cfg = get("JSONL", "b", "n.jsonl", json!({"MaxItems": 5}));
    let cs = chunks(&cfg, &buckets(&r), &opts(3)).unwrap();
    assert_eq!(cs.iter().map(Chunk::len).collect::<Vec<_>>(), vec![3, 2]);
    write_parquet(&r.join("b/d.parquet"));
    let cfg = get("PARQUET", "b", "d.parquet", json!({"MaxItems": 12}));
    let cs = chunks(&cfg, &buckets(&r), &opts(10)).unwrap();
    assert_eq!(cs.iter().map(Chunk::len).collect::<Vec<_>>(), vec![10, 2]);
    put(&r, "b", "c.csv", b"a\n1\n2\n3\n");
    let cfg = get("CSV", "b", "c.csv", json!({"MaxItems": 2}));
    assert_eq!(
        all(&cfg, &buckets(&r)),
        vec![json!({"a":"1"}), json!({"a":"2"})]
    );
}

#[test]
fn missing_bucket_and_key() {
    let r = root("missing");
    put(&r, "b", "present.json", b"[]");
    let e = err(items(
        &get("JSON", "nobucket", "k.json", json!({})),
        &buckets(&r),
        &ReadOptions::default(),
    ));
    assert_eq!(e.error_name(), "States.ItemReaderFailed");
    let c = e.cause.unwrap();
    assert!(
        c.contains("bucket does not exist") && c.contains("nobucket"),
        "{c}"
    );
    let e = err(items(
        &get("JSON", "b", "dir/absent.json", json!({})),
        &buckets(&r),
        &ReadOptions::default(),
    ));
    let c = e.cause.unwrap();
    assert!(
        c.contains("key does not exist")
            && c.contains("dir/absent.json")
            && c.contains("Bucket: b"),
        "{c}"
    );
    // No folder configured at all.
    let e = err(items(
        &get("JSON", "b", "present.json", json!({})),
        &Buckets::default(),
        &ReadOptions::default(),
    ));
    assert!(e.cause.unwrap().contains("--bucket b=DIR"));
    // Keys cannot leave the bucket.
    let e = err(items(
        &get("JSON", "b", "../b/present.json", json!({})),
        &buckets(&r),
        &ReadOptions::default(),
    ));
    assert_eq!(e.error_name(), "States.ItemReaderFailed");
}

#[cfg(unix)]
#[test]
fn permission_denied_is_a_failure() {
    use std::os::unix::fs::PermissionsExt;
    let r = root("perm");
    put(&r, "b", "secret.json", b"[1]");
    let p = r.join("b/secret.json");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&p).is_ok() {
        return; // running as root: permissions are not enforced
    }
    let e = err(items(
        &get("JSON", "b", "secret.json", json!({})),
        &buckets(&r),
        &ReadOptions::default(),
    ));
    assert!(e.cause.unwrap().contains("Access Denied"));
}

fn list_cfg(bucket: &str, prefix: Option<&str>, rc: Value) -> ReaderConfig {
    let mut params = json!({"Bucket": bucket});
    if let Some(p) = prefix {
        params["Prefix"] = json!(p);
    }
    ReaderConfig::from_value(&json!({
        "Resource": "arn:aws:states:::s3:listObjectsV2",
        "ReaderConfig": rc,
        "Parameters": params
    }))
    .unwrap()
}

#[test]
fn listing_fields_and_order() {
    let r = root("listing");
    put(&r, "b", "logs/b.txt", b"hello");
    put(&r, "b", "logs/a/z.txt", b"");
    put(&r, "b", "logs/a.txt", b"x");
    put(&r, "b", "logsX.txt", b"y");
    put(&r, "b", "other/c.txt", b"z");
    let its = all(&list_cfg("b", Some("logs"), json!({})), &buckets(&r));
    let keys: Vec<_> = its
        .iter()
        .map(|i| i["Key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        keys,
        vec!["logs/a.txt", "logs/a/z.txt", "logs/b.txt", "logsX.txt"]
    );
    let b = its.iter().find(|i| i["Key"] == "logs/b.txt").unwrap();
    assert_eq!(b["Etag"], json!("\"5d41402abc4b2a76b9719d911017c592\""));
    assert_eq!(b["Size"], json!(5));
    assert_eq!(b["StorageClass"], json!("STANDARD"));
    let lm = b["LastModified"].as_u64().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(lm <= now && lm + 3600 > now);
    let fields: Vec<_> = b.as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        fields,
        vec!["Etag", "Key", "LastModified", "Size", "StorageClass"]
    );
    // Folder prefix, whole bucket, MaxItems, chunking.
    let keys = |cfg: &ReaderConfig| -> Vec<String> {
        all(cfg, &buckets(&r))
            .iter()
            .map(|i| i["Key"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        keys(&list_cfg("b", Some("logs/a/"), json!({}))),
        vec!["logs/a/z.txt"]
    );
    assert_eq!(keys(&list_cfg("b", None, json!({}))).len(), 5);
    assert_eq!(
        keys(&list_cfg("b", None, json!({"MaxItems": 2}))),
        vec!["logs/a.txt", "logs/a/z.txt"]
    );
    assert!(keys(&list_cfg("b", Some("nothing/"), json!({}))).is_empty());
    let cs = chunks(&list_cfg("b", None, json!({})), &buckets(&r), &opts(2)).unwrap();
    assert_eq!(cs.iter().map(Chunk::len).collect::<Vec<_>>(), vec![2, 2, 1]);
    // Without Etag in the projection, no checksum is computed.
    let o = ReadOptions {
        projection: Some(vec!["Key".into()]),
        ..Default::default()
    };
    let its = items(&list_cfg("b", Some("other"), json!({})), &buckets(&r), &o).unwrap();
    assert!(its[0].get("Etag").is_none() && its[0]["Key"] == "other/c.txt");
    // A missing bucket fails.
    let e = err(items(
        &list_cfg("zz", None, json!({})),
        &buckets(&r),
        &ReadOptions::default(),
    ));
    assert!(e.cause.unwrap().contains("zz"));
}

#[test]
fn listing_load_and_flatten() {
    let r = root("flatten");
    put(&r, "b", "in/1.jsonl", b"1\n2\n");
    put(&r, "b", "in/2.jsonl", b"3\n");
    let cfg = list_cfg(
        "b",
        Some("in/"),
        json!({"Transformation": "LOAD_AND_FLATTEN", "InputType": "JSONL"}),
    );
    assert_eq!(all(&cfg, &buckets(&r)), vec![json!(1), json!(2), json!(3)]);
}

#[test]
fn athena_manifest_reads_each_csv() {
    let r = root("athena");
    put(&r, "data", "out/part-1.csv", b"1,a\n2,b\n");
    put(&r, "data", "out/part-2.csv", b"3,\"c,d\"\n");
    put(
        &r,
        "b",
        "out/manifest.csv",
        b"s3://data/out/part-1.csv\n\ns3://data/out/part-2.csv\n",
    );
    let cfg = get(
        "CSV",
        "b",
        "out/manifest.csv",
        json!({"ManifestType": "ATHENA_DATA", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["n", "s"]}),
    );
    assert_eq!(
        all(&cfg, &buckets(&r)),
        vec![
            json!({"n":"1","s":"a"}),
            json!({"n":"2","s":"b"}),
            json!({"n":"3","s":"c,d"})
        ]
    );
    put(
        &r,
        "b",
        "bad.csv",
        b"s3://data/out/part-1.csv\nhttp://nope\n",
    );
    let cfg = get(
        "CSV",
        "b",
        "bad.csv",
        json!({"ManifestType": "ATHENA_DATA"}),
    );
    assert!(
        err(items(&cfg, &buckets(&r), &ReadOptions::default()))
            .cause
            .unwrap()
            .contains("line 2")
    );
    put(&r, "b", "missing.csv", b"s3://data/out/none.csv\n");
    let cfg = get(
        "CSV",
        "b",
        "missing.csv",
        json!({"ManifestType": "ATHENA_DATA"}),
    );
    assert!(
        err(items(&cfg, &buckets(&r), &ReadOptions::default()))
            .cause
            .unwrap()
            .contains("out/none.csv")
    );
}

#[test]
fn s3_inventory_manifest() {
    let r = root("inventory");
    put(
        &r,
        "inv",
        "src/config/2024-01-01T00-00Z/manifest.json",
        br#"{"sourceBucket":"src","destinationBucket":"arn:aws:s3:::inv","fileFormat":"CSV",
            "fileSchema":"Bucket, Key, Size, LastModifiedDate",
            "files":[{"key":"src/config/data/one.csv","size":1,"MD5checksum":"x"},
                     {"key":"src/config/data/two.csv","size":1,"MD5checksum":"y"}]}"#,
    );
    put(
        &r,
        "inv",
        "src/config/data/one.csv",
        b"\"src\",\"a.txt\",\"3\",\"2024-01-01T00:00:00.000Z\"\n",
    );
    put(
        &r,
        "inv",
        "src/config/data/two.csv",
        b"\"src\",\"b/c.txt\",\"10\",\"2024-01-02T00:00:00.000Z\"\n",
    );
    let cfg = get(
        "MANIFEST",
        "inv",
        "src/config/2024-01-01T00-00Z/manifest.json",
        json!({"ManifestType": "S3_INVENTORY"}),
    );
    let cs = chunks(&cfg, &buckets(&r), &ReadOptions::default()).unwrap();
    assert!(cs.iter().all(|c| matches!(c, Chunk::Rows(_))));
    assert_eq!(
        cs.into_iter()
            .flat_map(|c| c.into_items().unwrap())
            .collect::<Vec<_>>(),
        vec![
            json!({"Bucket":"src","Key":"a.txt","Size":"3","LastModifiedDate":"2024-01-01T00:00:00.000Z"}),
            json!({"Bucket":"src","Key":"b/c.txt","Size":"10","LastModifiedDate":"2024-01-02T00:00:00.000Z"})
        ]
    );
    // Gzipped data files are refused with a clear cause.
    put(
        &r,
        "inv",
        "gz/manifest.json",
        br#"{"fileSchema":"Bucket, Key","files":[{"key":"gz/d.csv.gz"}]}"#,
    );
    put(&r, "inv", "gz/d.csv.gz", &[0x1f, 0x8b, 8, 0]);
    let cfg = get("MANIFEST", "inv", "gz/manifest.json", json!({}));
    assert!(
        err(items(&cfg, &buckets(&r), &ReadOptions::default()))
            .cause
            .unwrap()
            .contains("gzip")
    );
}

#[test]
fn config_errors_name_the_field() {
    let bad = |v: Value| ReaderConfig::from_value(&v).unwrap_err();
    let get = |rc: Value| json!({"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": rc, "Parameters": {"Bucket": "b", "Key": "k"}});
    assert!(bad(json!({"Resource": "arn:aws:states:::s3:putObject", "Parameters": {"Bucket": "b", "Key": "k"}})).contains("Resource"));
    assert!(bad(json!({"Parameters": {"Bucket": "b"}})).contains("Resource"));
    assert!(bad(get(json!({"InputType": "XML"}))).contains("InputType"));
    assert!(
        bad(get(json!({"InputType": "CSV", "CSVDelimiter": "COLON"}))).contains("CSVDelimiter")
    );
    assert!(
        bad(get(
            json!({"InputType": "CSV", "CSVHeaderLocation": "GIVEN"})
        ))
        .contains("CSVHeaders")
    );
    assert!(
        bad(get(
            json!({"InputType": "CSV", "CSVHeaderLocation": "LAST"})
        ))
        .contains("CSVHeaderLocation")
    );
    assert!(bad(get(json!({"MaxItems": -1}))).contains("MaxItems"));
    assert!(
        bad(get(json!({"InputType": "MANIFEST", "ManifestType": "ORC"}))).contains("ManifestType")
    );
    assert!(
        bad(json!({"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": "b"}}))
            .contains("Key")
    );
    assert!(
        bad(
            json!({"Resource": "arn:aws:states:::s3:listObjectsV2", "Parameters": {"Prefix": "p"}})
        )
        .contains("Bucket")
    );
    assert!(bad(json!({"Resource": "arn:aws:states:::s3:getObject", "Parameters": {"Bucket": 3, "Key": "k"}})).contains("Bucket"));
}

#[test]
fn projection_of_no_known_column_keeps_the_item_count() {
    let r = root("proj_none");
    put(&r, "b", "c.csv", b"a,b\n1,2\n3,4\n5,6\n");
    write_parquet(&r.join("b/d.parquet"));
    let o = ReadOptions {
        projection: Some(vec!["zzz".into()]),
        batch_rows: 2,
        ..Default::default()
    };
    let n = |cfg: &ReaderConfig| {
        chunks(cfg, &buckets(&r), &o)
            .unwrap()
            .iter()
            .map(Chunk::len)
            .sum::<usize>()
    };
    assert_eq!(n(&get("CSV", "b", "c.csv", json!({}))), 3);
    assert_eq!(n(&get("PARQUET", "b", "d.parquet", json!({}))), 35);
}

/// Raw lines (what the data plane asks for): blocks of unparsed lines in pieces whose
/// items are counted (blank lines are not items), MaxItems cutting inside a piece, and a
/// line that is not JSON named by its line number, the items before it kept.
#[test]
fn jsonl_raw_lines_count_parse_and_truncate() {
    let r = root("jsonl_raw");
    let mut text = String::new();
    for i in 0..5000 {
        // 60 bytes a line: the file is several of the reader's smallest blocks (64 KiB).
        text.push_str(&format!("{{\"i\":{i},\"pad\":\"{:044}\"}}\n", 0));
        if i % 100 == 0 {
            text.push_str("  \r\n");
        }
    }
    put(&r, "b", "x.jsonl", text.as_bytes());
    let raw = |batch_rows| ReadOptions {
        batch_rows,
        raw_lines: true,
        ..Default::default()
    };
    let cfg = get("JSONL", "b", "x.jsonl", json!({}));
    let cs = chunks(&cfg, &buckets(&r), &raw(1024)).unwrap();
    assert!(cs.len() > 1);
    let mut all = Vec::new();
    for c in cs {
        let Chunk::Lines(lines) = c else {
            panic!("raw lines expected")
        };
        let counts: Vec<usize> = lines.piece_items().collect();
        assert_eq!(counts.iter().sum::<usize>(), lines.len());
        for (k, n) in counts.iter().enumerate() {
            let items = lines.parse(k).unwrap();
            assert_eq!(items.len(), *n);
            all.extend(items);
        }
    }
    let expect = |n| {
        (0..n)
            .map(|i| json!({"i": i, "pad": format!("{:044}", 0)}))
            .collect::<Vec<_>>()
    };
    assert_eq!(all, expect(5000));
    // MaxItems cuts the pieces.
    let cfg = get("JSONL", "b", "x.jsonl", json!({"MaxItems": 1234}));
    let got = items(&cfg, &buckets(&r), &raw(1024)).unwrap();
    assert_eq!(got, expect(1234));
    // A bad line: its number counts blank lines; the piece's items before it come back.
    put(
        &r,
        "b",
        "bad.jsonl",
        b"{\"a\":1}\n\n{\"a\":2}\n{\"a\":\n{\"a\":3}\n",
    );
    let cfg = get("JSONL", "b", "bad.jsonl", json!({}));
    let mut cs = chunks(&cfg, &buckets(&r), &raw(8)).unwrap();
    let Some(Chunk::Lines(lines)) = cs.pop() else {
        panic!("raw lines expected")
    };
    let (before, e) = (0..lines.piece_items().count())
        .find_map(|k| lines.parse(k).err())
        .unwrap();
    assert_eq!(before.last(), Some(&json!({"a": 2})));
    let cause = e.cause.unwrap();
    assert!(
        cause.contains("line 4") && cause.contains("bad.jsonl"),
        "{cause}"
    );
}

/// A JSON array is streamed: chunks come as the file is parsed, the items before a
/// syntax error come out before the error, and a reader dropped early (MaxItems) stops.
#[test]
fn json_array_streams_items_before_an_error_and_stops_when_dropped() {
    let r = root("json_stream");
    let mut text = String::from("[");
    for i in 0..10_000 {
        text.push_str(&format!("{{\"i\":{i}}},"));
    }
    let good = format!("{}]", text.trim_end_matches(','));
    text.push_str("{\"i\": oops}]");
    put(&r, "b", "bad.json", text.as_bytes());
    put(&r, "b", "good.json", good.as_bytes());
    let mut s = open(
        &get("JSON", "b", "bad.json", json!({})),
        &buckets(&r),
        &opts(1000),
    )
    .unwrap();
    let mut seen = 0;
    let e = loop {
        match s.next().expect("an error before the end") {
            Ok(c) => seen += c.len(),
            Err(e) => break e,
        }
    };
    assert_eq!(seen, 10_000);
    let cause = e.cause.unwrap();
    assert!(
        cause.contains("bad.json") && cause.contains("not valid JSON"),
        "{cause}"
    );
    let cfg = get("JSON", "b", "good.json", json!({"MaxItems": 1500}));
    let got = items(&cfg, &buckets(&r), &opts(1000)).unwrap();
    assert_eq!(got, (0..1500).map(|i| json!({"i": i})).collect::<Vec<_>>());
}

/// A Map resuming after a checkpoint drops the items it has done from a chunk: whole
/// pieces and part of one (blank lines are not items), and a bad line after the cut is
/// still named by its line number in the file.
#[test]
fn chunks_skip_the_items_done() {
    let r = root("jsonl_skip");
    let mut text = String::new();
    for i in 0..3000 {
        text.push_str(&format!("{{\"i\":{i},\"pad\":\"{:044}\"}}\n", 0));
        if i % 7 == 0 {
            text.push('\n');
        }
    }
    put(&r, "b", "x.jsonl", text.as_bytes());
    let opts = ReadOptions {
        batch_rows: 100_000,
        raw_lines: true,
        ..Default::default()
    };
    let cfg = get("JSONL", "b", "x.jsonl", json!({}));
    for n in [0, 1, 7, 8, 999, 2999, 3000] {
        let mut got = Vec::new();
        let mut left = n;
        for c in chunks(&cfg, &buckets(&r), &opts).unwrap() {
            let k = c.len().min(left);
            left -= k;
            let c = c.skip(k);
            let Chunk::Lines(lines) = c else {
                panic!("raw lines expected")
            };
            got.extend(lines.into_items().unwrap());
        }
        let want: Vec<Value> = (n..3000)
            .map(|i| json!({"i": i, "pad": format!("{:044}", 0)}))
            .collect();
        assert_eq!(got, want, "skipping {n}");
    }
    // Rows and batches skip too.
    let rows = Chunk::Rows(vec![json!(1), json!(2), json!(3)]).skip(2);
    assert_eq!(rows.into_items().unwrap(), vec![json!(3)]);
    put(
        &r,
        "b",
        "bad.jsonl",
        b"{\"a\":1}\n\n{\"a\":2}\n{\"a\":3}\n{\"a\":\n",
    );
    let cfg = get("JSONL", "b", "bad.jsonl", json!({}));
    let mut cs = chunks(&cfg, &buckets(&r), &opts).unwrap();
    let Some(Chunk::Lines(lines)) = cs.pop().map(|c| c.skip(2)) else {
        panic!("raw lines expected")
    };
    let (items, e) = lines.items_until_error();
    assert_eq!(items, vec![json!({"a": 3})]);
    let cause = e.expect("the bad line").cause.unwrap();
    assert!(cause.contains("line 5"), "{cause}");
}
