//! ItemReader: the Distributed Map's item sources, read from local folders.
//!
//! A bucket is a folder (`Buckets::folder(name)`), a key is a path under it (split on `/`;
//! `.` and `..` segments are refused). What is supported:
//!
//! - `arn:aws:states:::s3:getObject` with `ReaderConfig.InputType`:
//!   - `JSON` (the default when `InputType` is absent): the object holds a JSON array
//!     (streamed, parsed item by item on a thread of its own); with `ItemsPointer` (a JSON
//!     Pointer) the array is found inside the document (parsed whole).
//!   - `JSONL`: one item per non-empty line, streamed.
//!   - `CSV`: streamed with arrow-csv, every value a string exactly as written (empty fields are
//!     `""`), items keyed by the header (`CSVHeaderLocation` `FIRST_ROW`, the default, or `GIVEN`
//!     with `CSVHeaders`); `CSVDelimiter` `COMMA` (default), `PIPE`, `SEMICOLON`, `SPACE`, `TAB`.
//!     A row whose field count differs from the header fails the read.
//!   - `PARQUET`: parquet's arrow reader, native types, projection and row-group filtering.
//!   - `MANIFEST` (`ManifestType` `S3_INVENTORY`, the default): an S3 Inventory `manifest.json`
//!     whose `files[].key` are uncompressed CSV files (gzip is not supported) in the manifest's
//!     `destinationBucket` (when that bucket is configured locally) or else the manifest's own
//!     bucket; each row becomes an object keyed by `fileSchema`, all values strings.
//!   - `ManifestType: ATHENA_DATA`: the object lists `s3://bucket/key` data files, one a line;
//!     each is read as `InputType` (`CSV`, `JSONL` or `PARQUET`; `MANIFEST` means `CSV`), with
//!     the CSV options of the ReaderConfig (Athena UNLOAD writes no header: use `GIVEN`).
//! - `arn:aws:states:::s3:listObjectsV2` (`Bucket`, optional `Prefix`): one item per file whose
//!   key starts with the prefix (a string prefix, as S3), recursively, sorted by key (byte
//!   order): `{"Etag": "\"<md5 hex of the content>\"", "Key", "LastModified": <epoch seconds of
//!   the file's mtime>, "Size", "StorageClass": "STANDARD"}`. The MD5 is only computed when the
//!   projection asks for `Etag` (or there is no projection). With `Transformation:
//!   LOAD_AND_FLATTEN` each listed object is read as `InputType` and its items are streamed.
//! - `MaxItems` (in ReaderConfig; 0 means no limit) stops after that many items.
//!
//! Failures are `States.ItemReaderFailed` with a cause naming the bucket, key and local path.

mod csv;
mod given;
mod json;
mod jsonl;
mod listing;
mod manifest;
mod parquet;
mod values;

#[cfg(test)]
mod tests;

use super::Buckets;
use crate::asl::Failure;
use arrow::array::RecordBatch;
use serde_json::Value;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

pub use self::parquet::{ParquetUnits, Unit, column_range_i64, column_stats_i64};

pub use self::given::read_given;
pub use self::jsonl::LineBlock;
pub use self::values::batch_to_items;

/// The error name of every reader failure.
pub const ITEM_READER_FAILED: &str = "States.ItemReaderFailed";

const GET_OBJECT: &str = "s3:getObject";
const LIST_OBJECTS: &str = "s3:listObjectsV2";

/// What the ItemReader reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `s3:getObject`: one object.
    Object { bucket: String, key: String },
    /// `s3:listObjectsV2`: the objects under a prefix.
    Listing { bucket: String, prefix: String },
}

/// `ReaderConfig.InputType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputType {
    Json,
    Jsonl,
    Csv,
    Parquet,
    Manifest,
}

/// `ReaderConfig.ManifestType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestType {
    AthenaData,
    S3Inventory,
}

/// `ReaderConfig.CSVHeaderLocation` (+ `CSVHeaders`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsvHeaders {
    FirstRow,
    Given(Vec<String>),
}

/// CSV options of a ReaderConfig.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvOptions {
    pub headers: CsvHeaders,
    /// The delimiter byte (`,` `|` `;` ` ` `\t`).
    pub delimiter: u8,
}

impl Default for CsvOptions {
    fn default() -> Self {
        CsvOptions {
            headers: CsvHeaders::FirstRow,
            delimiter: b',',
        }
    }
}

/// A parsed ItemReader.
#[derive(Debug, Clone)]
pub struct ReaderConfig {
    /// The ItemReader object as given.
    pub raw: Value,
    pub source: Source,
    /// `InputType`; `None` for a plain listing.
    pub input_type: Option<InputType>,
    pub manifest_type: Option<ManifestType>,
    pub csv: CsvOptions,
    /// `MaxItems` (None: no limit).
    pub max_items: Option<u64>,
    /// `ItemsPointer` (JSON input): where the array is inside the document.
    pub items_pointer: Option<String>,
    /// `Transformation: LOAD_AND_FLATTEN` (listings).
    pub load_and_flatten: bool,
}

fn str_field<'a>(
    obj: &'a serde_json::Map<String, Value>,
    at: &str,
    name: &str,
) -> Result<Option<&'a str>, String> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(format!("{at}.{name} must be a string, got {v}")),
    }
}

impl ReaderConfig {
    /// Parses an ItemReader whose Parameters/Arguments were already evaluated.
    pub fn from_value(v: &Value) -> Result<ReaderConfig, String> {
        let obj = v
            .as_object()
            .ok_or_else(|| format!("ItemReader must be an object, got {v}"))?;
        let resource =
            str_field(obj, "ItemReader", "Resource")?.ok_or("ItemReader.Resource is required")?;
        let api = resource
            .strip_prefix("arn:")
            .and_then(|r| r.split_once(":states:::"))
            .map(|(_, api)| api)
            .ok_or_else(|| {
                format!(
                    "ItemReader.Resource must be arn:aws:states:::s3:getObject or arn:aws:states:::s3:listObjectsV2, got '{resource}'"
                )
            })?;
        let empty = serde_json::Map::new();
        let (pname, params) = match (obj.get("Parameters"), obj.get("Arguments")) {
            (Some(_), Some(_)) => {
                return Err("ItemReader: only one of Parameters, Arguments may be set".into());
            }
            (Some(p), None) => ("Parameters", p),
            (None, Some(a)) => ("Arguments", a),
            (None, None) => {
                return Err("ItemReader.Parameters (or Arguments) with Bucket is required".into());
            }
        };
        let params = match params {
            Value::Object(m) => m,
            Value::Null => &empty,
            other => return Err(format!("ItemReader.{pname} must be an object, got {other}")),
        };
        let at = format!("ItemReader.{pname}");
        let bucket =
            str_field(params, &at, "Bucket")?.ok_or_else(|| format!("{at}.Bucket is required"))?;
        if bucket.is_empty() {
            return Err(format!("{at}.Bucket must not be empty"));
        }
        let rc = match obj.get("ReaderConfig") {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(m)) => m,
            Some(other) => {
                return Err(format!(
                    "ItemReader.ReaderConfig must be an object, got {other}"
                ));
            }
        };
        let at_rc = "ItemReader.ReaderConfig";
        let input_type = match str_field(rc, at_rc, "InputType")? {
            None => None,
            Some("JSON") => Some(InputType::Json),
            Some("JSONL") => Some(InputType::Jsonl),
            Some("CSV") => Some(InputType::Csv),
            Some("PARQUET") => Some(InputType::Parquet),
            Some("MANIFEST") => Some(InputType::Manifest),
            Some(o) => {
                return Err(format!(
                    "{at_rc}.InputType must be one of JSON, JSONL, CSV, PARQUET, MANIFEST, got '{o}'"
                ));
            }
        };
        let manifest_type = match str_field(rc, at_rc, "ManifestType")? {
            None => None,
            Some("ATHENA_DATA") => Some(ManifestType::AthenaData),
            Some("S3_INVENTORY") => Some(ManifestType::S3Inventory),
            Some(o) => {
                return Err(format!(
                    "{at_rc}.ManifestType must be ATHENA_DATA or S3_INVENTORY, got '{o}'"
                ));
            }
        };
        let delimiter = match str_field(rc, at_rc, "CSVDelimiter")? {
            None | Some("COMMA") => b',',
            Some("PIPE") => b'|',
            Some("SEMICOLON") => b';',
            Some("SPACE") => b' ',
            Some("TAB") => b'\t',
            Some(o) => {
                return Err(format!(
                    "{at_rc}.CSVDelimiter must be one of COMMA, PIPE, SEMICOLON, SPACE, TAB, got '{o}'"
                ));
            }
        };
        let given = match rc.get("CSVHeaders") {
            None | Some(Value::Null) => None,
            Some(Value::Array(a)) => Some(
                a.iter()
                    .map(|h| h.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| format!("{at_rc}.CSVHeaders must be an array of strings"))?,
            ),
            Some(_) => return Err(format!("{at_rc}.CSVHeaders must be an array of strings")),
        };
        let headers = match str_field(rc, at_rc, "CSVHeaderLocation")? {
            None | Some("FIRST_ROW") => {
                if given.is_some() {
                    return Err(format!(
                        "{at_rc}.CSVHeaders requires CSVHeaderLocation GIVEN"
                    ));
                }
                CsvHeaders::FirstRow
            }
            Some("GIVEN") => match given {
                Some(h) if !h.is_empty() => CsvHeaders::Given(h),
                _ => {
                    return Err(format!(
                        "{at_rc}.CSVHeaders (a non-empty array) is required when CSVHeaderLocation is GIVEN"
                    ));
                }
            },
            Some(o) => {
                return Err(format!(
                    "{at_rc}.CSVHeaderLocation must be FIRST_ROW or GIVEN, got '{o}'"
                ));
            }
        };
        let max_items = match rc.get("MaxItems") {
            None | Some(Value::Null) => None,
            Some(n) => match n.as_u64() {
                Some(0) => None,
                Some(n) => Some(n),
                None => {
                    return Err(format!(
                        "{at_rc}.MaxItems must be a non-negative integer, got {n}"
                    ));
                }
            },
        };
        let items_pointer = str_field(rc, at_rc, "ItemsPointer")?.map(str::to_string);
        if let Some(p) = &items_pointer
            && !p.is_empty()
            && !p.starts_with('/')
        {
            return Err(format!(
                "{at_rc}.ItemsPointer must be a JSON Pointer (starting with '/'), got '{p}'"
            ));
        }
        let load_and_flatten = match str_field(rc, at_rc, "Transformation")? {
            None | Some("NONE") => false,
            Some("LOAD_AND_FLATTEN") => true,
            Some(o) => {
                return Err(format!(
                    "{at_rc}.Transformation must be NONE or LOAD_AND_FLATTEN, got '{o}'"
                ));
            }
        };
        let source = match api {
            GET_OBJECT => {
                let key = str_field(params, &at, "Key")?
                    .ok_or_else(|| format!("{at}.Key is required for s3:getObject"))?;
                if key.is_empty() {
                    return Err(format!("{at}.Key must not be empty"));
                }
                Source::Object {
                    bucket: bucket.to_string(),
                    key: key.to_string(),
                }
            }
            LIST_OBJECTS => Source::Listing {
                bucket: bucket.to_string(),
                prefix: str_field(params, &at, "Prefix")?.unwrap_or("").to_string(),
            },
            _ => {
                return Err(format!(
                    "ItemReader.Resource must be arn:aws:states:::s3:getObject or arn:aws:states:::s3:listObjectsV2, got '{resource}'"
                ));
            }
        };
        let input_type = match (&source, input_type) {
            (Source::Object { .. }, None) => Some(InputType::Json),
            (Source::Listing { .. }, Some(t)) if !load_and_flatten => {
                return Err(format!(
                    "{at_rc}.InputType ({t:?}) is only allowed with s3:listObjectsV2 when Transformation is LOAD_AND_FLATTEN"
                ));
            }
            (Source::Listing { .. }, None) if load_and_flatten => {
                return Err(format!(
                    "{at_rc}.InputType is required with Transformation LOAD_AND_FLATTEN"
                ));
            }
            (_, t) => t,
        };
        if load_and_flatten && matches!(source, Source::Object { .. }) {
            return Err(format!(
                "{at_rc}.Transformation LOAD_AND_FLATTEN requires s3:listObjectsV2"
            ));
        }
        if manifest_type == Some(ManifestType::S3Inventory)
            && input_type != Some(InputType::Manifest)
        {
            return Err(format!(
                "{at_rc}.ManifestType S3_INVENTORY requires InputType MANIFEST"
            ));
        }
        if manifest_type == Some(ManifestType::AthenaData) && input_type == Some(InputType::Json) {
            return Err(format!(
                "{at_rc}.ManifestType ATHENA_DATA requires InputType CSV, JSONL, PARQUET or MANIFEST"
            ));
        }
        Ok(ReaderConfig {
            raw: v.clone(),
            source,
            input_type,
            manifest_type,
            csv: CsvOptions { headers, delimiter },
            max_items,
            items_pointer,
            load_and_flatten,
        })
    }
}

/// A row-group predicate (true = keep the row group).
pub type RowGroupFilter = Arc<
    dyn Fn(
            &::parquet::file::metadata::RowGroupMetaData,
            &::parquet::schema::types::SchemaDescriptor,
        ) -> bool
        + Send
        + Sync,
>;

/// A row predicate for late materialization: the reader decodes `columns` first, then
/// the other columns only for the rows `keep` returns true for.
#[derive(Clone)]
pub struct RowPredicate {
    pub columns: Vec<String>,
    pub keep: Arc<dyn Fn(&RecordBatch) -> arrow::array::BooleanArray + Send + Sync>,
}

/// How to read: the columns the item processor needs (None: all), rows per chunk
/// (0: 8192), and for Parquet an optional row-group filter (predicate pushdown) and row
/// predicate (used by [`ParquetUnits`] when asked).
#[derive(Clone, Default)]
pub struct ReadOptions {
    pub projection: Option<Vec<String>>,
    pub batch_rows: usize,
    pub row_group_filter: Option<RowGroupFilter>,
    pub row_predicate: Option<RowPredicate>,
    /// JSONL: hand out blocks of lines unparsed ([`Chunk::Lines`]).
    pub raw_lines: bool,
}

impl std::fmt::Debug for ReadOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadOptions")
            .field("projection", &self.projection)
            .field("batch_rows", &self.batch_rows)
            .field(
                "row_group_filter",
                &self.row_group_filter.as_ref().map(|_| "<fn>"),
            )
            .field(
                "row_predicate",
                &self.row_predicate.as_ref().map(|p| &p.columns),
            )
            .finish()
    }
}

impl ReadOptions {
    /// Rows per chunk (the default 8192 when `batch_rows` is 0).
    pub fn rows(&self) -> usize {
        if self.batch_rows == 0 {
            8192
        } else {
            self.batch_rows
        }
    }
}

/// A chunk of items, in input order.
#[derive(Debug)]
pub enum Chunk {
    /// Items as JSON values (JSON, JSONL, manifests, listings).
    Rows(Vec<Value>),
    /// Items as one record batch (CSV, Parquet): each row is an item, values as AWS gives them.
    Batch(RecordBatch),
    /// Items as lines of a JSONL file not yet parsed ([`ReadOptions::raw_lines`]).
    Lines(LineBlock),
}

impl Chunk {
    /// The number of items.
    pub fn len(&self) -> usize {
        match self {
            Chunk::Rows(r) => r.len(),
            Chunk::Batch(b) => b.num_rows(),
            Chunk::Lines(l) => l.len(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The chunk without its first `n` items (a Map resuming after the items it has done).
    pub fn skip(self, n: usize) -> Chunk {
        match self {
            Chunk::Rows(mut r) => {
                r.drain(..n.min(r.len()));
                Chunk::Rows(r)
            }
            Chunk::Batch(b) => {
                let n = n.min(b.num_rows());
                Chunk::Batch(b.slice(n, b.num_rows() - n))
            }
            Chunk::Lines(mut l) => {
                l.skip(n);
                Chunk::Lines(l)
            }
        }
    }
    /// The items as JSON values (an error for a line of a [`Chunk::Lines`] that is not
    /// JSON).
    pub fn into_items(self) -> Result<Vec<Value>, Failure> {
        Ok(match self {
            Chunk::Rows(r) => r,
            Chunk::Batch(b) => batch_to_items(&b),
            Chunk::Lines(l) => l.into_items()?,
        })
    }
}

pub type ItemStream = Box<dyn Iterator<Item = Result<Chunk, Failure>> + Send>;

/// Opens the ItemReader's source as a stream of chunks.
pub fn open(
    cfg: &ReaderConfig,
    buckets: &Buckets,
    opts: &ReadOptions,
) -> Result<ItemStream, Failure> {
    let stream: ItemStream = match &cfg.source {
        Source::Object { bucket, key } => {
            let loc = Loc::object(buckets, bucket, key)?;
            match cfg.manifest_type {
                Some(ManifestType::AthenaData) => manifest::open_athena(cfg, buckets, &loc, opts)?,
                _ => open_file(
                    cfg,
                    cfg.input_type.unwrap_or(InputType::Json),
                    buckets,
                    &loc,
                    opts,
                )?,
            }
        }
        Source::Listing { bucket, prefix } => {
            let root = bucket_folder(buckets, bucket)?;
            if cfg.load_and_flatten {
                listing::open_flatten(cfg, buckets, bucket, &root, prefix, opts)?
            } else {
                listing::open(bucket, &root, prefix, opts)?
            }
        }
    };
    Ok(match cfg.max_items {
        Some(n) => Box::new(Limit {
            inner: stream,
            left: n,
        }),
        None => Box::new(stream.filter(|c| !matches!(c, Ok(c) if c.is_empty()))),
    })
}

/// The ItemReader's source as Parquet row groups to decode in parallel, when it is one
/// Parquet object (`getObject` with `InputType` `PARQUET`), else None.
pub fn parquet_units(
    cfg: &ReaderConfig,
    buckets: &Buckets,
    opts: &ReadOptions,
) -> Result<Option<ParquetUnits>, Failure> {
    match (&cfg.source, cfg.input_type, cfg.manifest_type) {
        (Source::Object { bucket, key }, Some(InputType::Parquet), None) => {
            let loc = Loc::object(buckets, bucket, key)?;
            ParquetUnits::open(&loc, opts).map(Some)
        }
        _ => Ok(None),
    }
}

/// Opens one object in a given format.
pub(crate) fn open_file(
    cfg: &ReaderConfig,
    ty: InputType,
    buckets: &Buckets,
    loc: &Loc,
    opts: &ReadOptions,
) -> Result<ItemStream, Failure> {
    match ty {
        InputType::Json => json::open(loc, cfg.items_pointer.as_deref(), opts),
        InputType::Jsonl => jsonl::open(loc, opts),
        InputType::Csv => csv::open(loc, &cfg.csv, opts),
        InputType::Parquet => parquet::open(loc, opts),
        InputType::Manifest => manifest::open_inventory(buckets, loc, opts),
    }
}

/// Stops after `left` items.
struct Limit {
    inner: ItemStream,
    left: u64,
}

impl Iterator for Limit {
    type Item = Result<Chunk, Failure>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.left == 0 {
                return None;
            }
            let chunk = match self.inner.next()? {
                Ok(c) => c,
                Err(e) => {
                    self.left = 0;
                    return Some(Err(e));
                }
            };
            let n = chunk.len() as u64;
            if n == 0 {
                continue;
            }
            if n <= self.left {
                self.left -= n;
                return Some(Ok(chunk));
            }
            let keep = self.left as usize;
            self.left = 0;
            return Some(Ok(match chunk {
                Chunk::Rows(mut r) => {
                    r.truncate(keep);
                    Chunk::Rows(r)
                }
                Chunk::Batch(b) => Chunk::Batch(b.slice(0, keep)),
                Chunk::Lines(mut l) => {
                    l.truncate(keep);
                    Chunk::Lines(l)
                }
            }));
        }
    }
}

/// One object: its bucket, key and local path.
#[derive(Debug, Clone)]
pub(crate) struct Loc {
    pub bucket: String,
    pub key: String,
    pub path: PathBuf,
}

pub(crate) fn fail(cause: impl Into<String>) -> Failure {
    Failure::new(ITEM_READER_FAILED, cause)
}

pub(crate) fn bucket_folder(buckets: &Buckets, bucket: &str) -> Result<PathBuf, Failure> {
    let dir = buckets.folder(bucket).ok_or_else(|| {
        fail(format!(
            "The specified bucket does not exist (Bucket: {bucket}): no local folder is configured for it (use --bucket {bucket}=DIR or --data-root DIR)"
        ))
    })?;
    if !dir.is_dir() {
        return Err(fail(format!(
            "The specified bucket does not exist (Bucket: {bucket}, local folder: {})",
            dir.display()
        )));
    }
    Ok(dir)
}

/// The local path of a key under a bucket folder (`.`/`..` segments refused).
pub(crate) fn key_path(root: &Path, bucket: &str, key: &str) -> Result<PathBuf, Failure> {
    let mut p = root.to_path_buf();
    for seg in key.split('/').filter(|s| !s.is_empty()) {
        let mut comps = Path::new(seg).components();
        match (comps.next(), comps.next()) {
            (Some(Component::Normal(c)), None) => p.push(c),
            _ => {
                return Err(fail(format!(
                    "Invalid key (Bucket: {bucket}, Key: {key}): the segment '{seg}' cannot be mapped to a local path"
                )));
            }
        }
    }
    Ok(p)
}

impl Loc {
    /// Resolves an object that must exist as a file.
    pub(crate) fn object(buckets: &Buckets, bucket: &str, key: &str) -> Result<Loc, Failure> {
        let root = bucket_folder(buckets, bucket)?;
        let path = key_path(&root, bucket, key)?;
        if !path.is_file() {
            return Err(fail(format!(
                "The specified key does not exist (Bucket: {bucket}, Key: {key}, local path: {})",
                path.display()
            )));
        }
        Ok(Loc {
            bucket: bucket.to_string(),
            key: key.to_string(),
            path,
        })
    }

    /// `Bucket: b, Key: k` for messages.
    pub(crate) fn describe(&self) -> String {
        format!(
            "Bucket: {}, Key: {}, local path: {}",
            self.bucket,
            self.key,
            self.path.display()
        )
    }

    pub(crate) fn open(&self) -> Result<std::fs::File, Failure> {
        std::fs::File::open(&self.path).map_err(|e| {
            let what = match e.kind() {
                std::io::ErrorKind::NotFound => "The specified key does not exist",
                std::io::ErrorKind::PermissionDenied => "Access Denied",
                _ => "Unable to read the object",
            };
            fail(format!("{what} ({}): {e}", self.describe()))
        })
    }

    /// A failure while reading the content.
    pub(crate) fn bad(&self, what: impl std::fmt::Display) -> Failure {
        fail(format!(
            "Failed to read the object ({}): {what}",
            self.describe()
        ))
    }
}
