//! Manifests: S3 Inventory (`manifest.json` + CSV files) and Athena data manifests
//! (`s3://bucket/key` lines).
use super::listing::concat;
use super::{
    Chunk, CsvHeaders, CsvOptions, InputType, ItemStream, Loc, ReadOptions, ReaderConfig, fail,
};
use crate::asl::Failure;
use crate::io::Buckets;
use serde_json::Value;
use std::io::Read;

/// S3 Inventory: every row of every CSV file of the manifest, as an object keyed by
/// `fileSchema` (all values strings).
pub(super) fn open_inventory(
    buckets: &Buckets,
    loc: &Loc,
    opts: &ReadOptions,
) -> Result<ItemStream, Failure> {
    let mut text = String::new();
    loc.open()?
        .read_to_string(&mut text)
        .map_err(|e| loc.bad(format!("cannot read the manifest: {e}")))?;
    let m: Value = serde_json::from_str(&text)
        .map_err(|e| loc.bad(format!("the S3 Inventory manifest is not valid JSON: {e}")))?;
    if let Some(fmt) = m.get("fileFormat").and_then(Value::as_str)
        && !fmt.eq_ignore_ascii_case("CSV")
    {
        return Err(loc.bad(format!(
            "S3 Inventory fileFormat {fmt} is not supported (only CSV)"
        )));
    }
    let schema = m
        .get("fileSchema")
        .and_then(Value::as_str)
        .ok_or_else(|| loc.bad("the S3 Inventory manifest has no fileSchema string"))?;
    let headers: Vec<String> = schema.split(',').map(|s| s.trim().to_string()).collect();
    let files = m
        .get("files")
        .and_then(Value::as_array)
        .ok_or_else(|| loc.bad("the S3 Inventory manifest has no files array"))?;
    let keys = files
        .iter()
        .map(|f| f.get("key").and_then(Value::as_str).map(str::to_string))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| loc.bad("every entry of the manifest's files must have a key string"))?;
    // The data files are in the destination bucket when it is configured here, else next to
    // the manifest.
    let data_bucket = m
        .get("destinationBucket")
        .and_then(Value::as_str)
        .map(|b| b.strip_prefix("arn:aws:s3:::").unwrap_or(b).to_string())
        .filter(|b| buckets.folder(b).is_some_and(|d| d.is_dir()))
        .unwrap_or_else(|| loc.bucket.clone());
    let csv = CsvOptions {
        headers: CsvHeaders::Given(headers),
        delimiter: b',',
    };
    let opts = ReadOptions {
        projection: None,
        ..opts.clone()
    };
    let buckets = buckets.clone();
    Ok(concat(keys.into_iter().map(move |key| {
        let loc = Loc::object(&buckets, &data_bucket, &key)?;
        if is_gzip(&loc)? {
            return Err(loc.bad(
                "gzip-compressed S3 Inventory files are not supported: store them uncompressed",
            ));
        }
        let s = super::csv::open(&loc, &csv, &opts)?;
        Ok(Box::new(s.map(|c| c.and_then(|c| c.into_items().map(Chunk::Rows)))) as ItemStream)
    })))
}

fn is_gzip(loc: &Loc) -> Result<bool, Failure> {
    let mut magic = [0u8; 2];
    let mut f = loc.open()?;
    let mut n = 0;
    while n < 2 {
        match f.read(&mut magic[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => return Err(loc.bad(e)),
        }
    }
    Ok(n == 2 && magic == [0x1f, 0x8b])
}

/// Athena data manifest: each `s3://bucket/key` line is a data file read as `InputType`
/// (CSV for MANIFEST).
pub(super) fn open_athena(
    cfg: &ReaderConfig,
    buckets: &Buckets,
    loc: &Loc,
    opts: &ReadOptions,
) -> Result<ItemStream, Failure> {
    let mut text = String::new();
    loc.open()?
        .read_to_string(&mut text)
        .map_err(|e| loc.bad(format!("cannot read the manifest: {e}")))?;
    let mut files = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let parsed = line
            .strip_prefix("s3://")
            .and_then(|r| r.split_once('/'))
            .filter(|(b, k)| !b.is_empty() && !k.is_empty());
        match parsed {
            Some((b, k)) => files.push((b.to_string(), k.to_string())),
            None => {
                return Err(loc.bad(format!(
                    "manifest line {} is not an s3://bucket/key URI: '{line}'",
                    i + 1
                )));
            }
        }
    }
    let ty = match cfg.input_type {
        Some(InputType::Jsonl) => InputType::Jsonl,
        Some(InputType::Parquet) => InputType::Parquet,
        Some(InputType::Csv | InputType::Manifest) | None => InputType::Csv,
        Some(InputType::Json) => {
            return Err(fail(
                "ATHENA_DATA manifests list CSV, JSONL or PARQUET files, not JSON",
            ));
        }
    };
    let (cfg, buckets, opts) = (cfg.clone(), buckets.clone(), opts.clone());
    Ok(concat(files.into_iter().map(move |(b, k)| {
        let loc = Loc::object(&buckets, &b, &k)?;
        super::open_file(&cfg, ty, &buckets, &loc, &opts)
    })))
}
