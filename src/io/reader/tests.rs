use super::values::value_at;
use super::*;
use arrow::array::*;
use arrow::datatypes::*;
use serde_json::json;

fn get(rc: Value) -> Result<ReaderConfig, String> {
    ReaderConfig::from_value(&json!({
        "Resource": "arn:aws:states:::s3:getObject",
        "ReaderConfig": rc,
        "Parameters": {"Bucket": "b", "Key": "k.csv"}
    }))
}

#[test]
fn parses_csv_config() {
    let c = get(json!({"InputType": "CSV", "CSVHeaderLocation": "GIVEN", "CSVHeaders": ["a", "b"], "CSVDelimiter": "TAB", "MaxItems": 7})).unwrap();
    assert_eq!(c.input_type, Some(InputType::Csv));
    assert_eq!(
        c.csv.headers,
        CsvHeaders::Given(vec!["a".into(), "b".into()])
    );
    assert_eq!(c.csv.delimiter, b'\t');
    assert_eq!(c.max_items, Some(7));
    assert_eq!(
        c.source,
        Source::Object {
            bucket: "b".into(),
            key: "k.csv".into()
        }
    );
}

#[test]
fn defaults() {
    let c = get(json!({})).unwrap();
    assert_eq!(c.input_type, Some(InputType::Json));
    assert_eq!(c.csv, CsvOptions::default());
    assert_eq!(c.max_items, None);
    assert_eq!(get(json!({"MaxItems": 0})).unwrap().max_items, None);
    let l = ReaderConfig::from_value(
        &json!({"Resource": "arn:aws:states:::s3:listObjectsV2", "Arguments": {"Bucket": "b"}}),
    )
    .unwrap();
    assert_eq!(
        l.source,
        Source::Listing {
            bucket: "b".into(),
            prefix: String::new()
        }
    );
    assert_eq!(l.input_type, None);
    assert_eq!(ReadOptions::default().rows(), 8192);
}

#[test]
fn rejects_inconsistent_configs() {
    assert!(
        get(json!({"CSVHeaders": ["a"]}))
            .unwrap_err()
            .contains("GIVEN")
    );
    assert!(
        get(json!({"InputType": "CSV", "ManifestType": "S3_INVENTORY"}))
            .unwrap_err()
            .contains("MANIFEST")
    );
    assert!(
        get(json!({"ItemsPointer": "rows"}))
            .unwrap_err()
            .contains("ItemsPointer")
    );
    assert!(
        get(json!({"Transformation": "LOAD_AND_FLATTEN", "InputType": "JSON"}))
            .unwrap_err()
            .contains("listObjectsV2")
    );
    assert!(
        get(json!({"MaxItems": 1.5}))
            .unwrap_err()
            .contains("MaxItems")
    );
    assert!(
        ReaderConfig::from_value(&json!("x"))
            .unwrap_err()
            .contains("object")
    );
    let list = |rc: Value| {
        ReaderConfig::from_value(
            &json!({"Resource": "arn:aws:states:::s3:listObjectsV2", "ReaderConfig": rc, "Parameters": {"Bucket": "b"}}),
        )
    };
    assert!(
        list(json!({"InputType": "CSV"}))
            .unwrap_err()
            .contains("LOAD_AND_FLATTEN")
    );
    assert!(
        list(json!({"Transformation": "LOAD_AND_FLATTEN"}))
            .unwrap_err()
            .contains("InputType")
    );
    assert!(
        list(json!({"Transformation": "LOAD_AND_FLATTEN", "InputType": "CSV"}))
            .unwrap()
            .load_and_flatten
    );
}

#[test]
fn key_paths_stay_in_the_bucket() {
    let root = std::path::Path::new("/data/b");
    assert_eq!(
        key_path(root, "b", "a/b/c.json").unwrap(),
        root.join("a").join("b").join("c.json")
    );
    assert_eq!(
        key_path(root, "b", "/a//c").unwrap(),
        root.join("a").join("c")
    );
    assert!(key_path(root, "b", "a/../../etc").is_err());
    assert!(key_path(root, "b", "./a").is_err());
}

fn rows(n: usize) -> ItemStream {
    let mut i = 0;
    Box::new(std::iter::from_fn(move || {
        if i >= n {
            return None;
        }
        i += 3;
        Some(Ok(Chunk::Rows(
            (i - 3..i.min(n)).map(|x| json!(x)).collect(),
        )))
    }))
}

#[test]
fn limit_truncates_and_stops() {
    let l = Limit {
        inner: rows(10),
        left: 4,
    };
    let lens: Vec<usize> = l.map(|c| c.unwrap().len()).collect();
    assert_eq!(lens, vec![3, 1]);
    let l = Limit {
        inner: rows(10),
        left: 100,
    };
    assert_eq!(l.map(|c| c.unwrap().len()).sum::<usize>(), 10);
    let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int32, false)]));
    let b = RecordBatch::try_new(schema, vec![Arc::new(Int32Array::from(vec![1, 2, 3]))]).unwrap();
    let mut l = Limit {
        inner: Box::new(std::iter::once(Ok(Chunk::Batch(b)))),
        left: 2,
    };
    assert_eq!(
        l.next().unwrap().unwrap().into_items().unwrap(),
        vec![json!({"a":1}), json!({"a":2})]
    );
    assert!(l.next().is_none());
}

#[test]
fn empty_strings_not_nulls() {
    let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Utf8, true)]));
    let b = RecordBatch::try_new(
        schema,
        vec![Arc::new(StringArray::from(vec![Some("x"), None]))],
    )
    .unwrap();
    assert_eq!(
        batch_to_items(&csv::empty_not_null(b)),
        vec![json!({"a":"x"}), json!({"a":""})]
    );
}

#[test]
fn natural_json_of_arrow_types() {
    let v = |a: &dyn Array| (0..a.len()).map(|i| value_at(a, i)).collect::<Vec<_>>();
    assert_eq!(
        v(&BooleanArray::from(vec![Some(true), None])),
        vec![json!(true), Value::Null]
    );
    assert_eq!(v(&UInt64Array::from(vec![u64::MAX])), vec![json!(u64::MAX)]);
    assert_eq!(
        v(&Float64Array::from(vec![1.25, f64::NAN])),
        vec![json!(1.25), Value::Null]
    );
    assert_eq!(v(&Float32Array::from(vec![0.5f32])), vec![json!(0.5)]);
    assert_eq!(v(&LargeStringArray::from(vec!["s"])), vec![json!("s")]);
    assert_eq!(
        v(&Date32Array::from(vec![19723])),
        vec![json!("2024-01-01")]
    );
    assert_eq!(
        v(&TimestampSecondArray::from(vec![0])),
        vec![json!("1970-01-01T00:00:00")]
    );
    assert_eq!(
        v(&TimestampMicrosecondArray::from(vec![1_500_000]).with_timezone("+02:00")),
        vec![json!("1970-01-01T02:00:01.500+02:00")]
    );
    assert_eq!(
        v(&TimestampNanosecondArray::from(vec![0]).with_timezone("UTC")),
        vec![json!("1970-01-01T00:00:00Z")]
    );
    let d = Decimal128Array::from(vec![12345])
        .with_precision_and_scale(10, 2)
        .unwrap();
    assert_eq!(v(&d), vec![json!(123.45)]);
    assert_eq!(
        v(&BinaryArray::from(vec![&b"\x01\xff"[..]])),
        vec![json!("01ff")]
    );
    let list =
        ListArray::from_iter_primitive::<Int32Type, _, _>(vec![Some(vec![Some(1), None]), None]);
    assert_eq!(v(&list), vec![json!([1, null]), Value::Null]);
    let s = StructArray::from(vec![(
        Arc::new(Field::new("x", DataType::Int32, false)),
        Arc::new(Int32Array::from(vec![7])) as ArrayRef,
    )]);
    assert_eq!(v(&s), vec![json!({"x": 7})]);
    let dict: DictionaryArray<Int32Type> = vec!["a", "b", "a"].into_iter().collect();
    assert_eq!(v(&dict), vec![json!("a"), json!("b"), json!("a")]);
    let schema = Arc::new(Schema::new(vec![Field::new(
        "d",
        dict.data_type().clone(),
        false,
    )]));
    let b = RecordBatch::try_new(schema, vec![Arc::new(dict)]).unwrap();
    assert_eq!(batch_to_items(&b)[2], json!({"d":"a"}));
}
