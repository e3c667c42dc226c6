//! ResultWriter: the Distributed Map's results exported to a bucket (a local folder), laid out as
//! AWS Step Functions lays them out in S3.
//!
//! Under `<Prefix>/<map-run-id>/` (the map run id is the last `:` field of the Map Run ARN):
//! - `SUCCEEDED_<n>.json`, `FAILED_<n>.json` (and `PENDING_<n>.json`, never written here: a local
//!   run leaves no item pending), numbered from 0 per status; `.jsonl` for JSONL and `.parquet`
//!   for PARQUET. A file is closed and the next one opened when it would pass
//!   [`WriterConfig::max_file_bytes`] (default [`DEFAULT_MAX_FILE_BYTES`], 5 GB: S3's largest
//!   single PutObject) or [`WriterConfig::max_file_items`] (default unlimited).
//! - `manifest.json`, written last: `{"DestinationBucket", "MapRunArn", "ResultFiles":
//!   {"FAILED": [{"Key", "Size"}], "PENDING": [], "SUCCEEDED": [{"Key", "Size"}]}}`.
//!
//! Records (<https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html>):
//! - `NONE` (the default when exporting without a WriterConfig): one record per child execution,
//!   `{"ExecutionArn", "Input" (JSON text), "InputDetails": {"Included": true}, "Name",
//!   "Output" (JSON text), "OutputDetails": {"Included": true}, "RedriveCount": 0,
//!   "RedriveStatus": "NOT_REDRIVABLE", "RedriveStatusReason", "StartDate", "StateMachineArn",
//!   "Status": "SUCCEEDED", "StopDate"}`; a failed one has `"Cause"`, `"Error"`, no Output,
//!   `"RedriveStatus": "REDRIVABLE_BY_MAP_RUN"` and `"Status": "FAILED"`.
//! - `COMPACT`: the outputs only.
//! - `FLATTEN`: the outputs, an array output contributing its elements (so `[]` drops the item).
//! - Failed executions are written unchanged (as `NONE`) whatever the transformation, as AWS does.
//!
//! Every file is written under a hidden temporary name in the same folder
//! (`.SUCCEEDED_0.json.tmp-<uuid>`), fsynced and renamed into place when complete; the manifest is
//! renamed into place last. A reader that sees the manifest sees complete files; a crash never
//! leaves a partial file under its final name; a sink dropped without [`ResultSink::finish`]
//! removes its temporary file.

mod atomic;
mod json;
mod parquet;
#[cfg(test)]
mod tests;

pub use self::parquet::VALUE_COLUMN;
pub use atomic::{AtomicFile, is_temp_name};

use self::json::JsonPart;
use self::parquet::ParquetPart;
use super::Buckets;
use crate::asl::Failure;
use crate::asl::failure::names;
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

/// The only Resource a ResultWriter accepts.
pub const PUT_OBJECT_RESOURCE: &str = "arn:aws:states:::s3:putObject";
/// Result files are split at 5 GB (the largest object a single S3 PutObject writes).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 5 * 1024 * 1024 * 1024;

/// How result files are formatted (`WriterConfig.OutputType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputType {
    /// A JSON array per file (AWS's default).
    Json,
    /// JSON Lines.
    Jsonl,
    /// Apache Parquet (snappy). A local extension, not an AWS value: rows are the records as
    /// objects (a non-object output becomes `{"value": v}`), the schema inferred from the first
    /// chunk written to each status's files.
    Parquet,
}

impl OutputType {
    /// The result files' extension.
    pub fn extension(self) -> &'static str {
        match self {
            OutputType::Json => "json",
            OutputType::Jsonl => "jsonl",
            OutputType::Parquet => "parquet",
        }
    }
}

/// What is written per child execution (`WriterConfig.Transformation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transformation {
    /// The full execution record (the default when exporting without a WriterConfig).
    None,
    /// The outputs only (the default without a ResultWriter).
    Compact,
    /// The outputs, array outputs flattened into their elements.
    Flatten,
}

/// A ResultWriter, its Parameters/Arguments already evaluated.
#[derive(Debug, Clone)]
pub struct WriterConfig {
    pub raw: Value,
    /// `Parameters.Bucket`; None when only a WriterConfig is given (results are not exported,
    /// the transformation applies to the state's output: see [`WriterConfig::transform_outputs`]).
    pub bucket: Option<String>,
    /// `Parameters.Prefix` without leading or trailing `/` ("" when absent).
    pub prefix: String,
    pub output_type: OutputType,
    pub transformation: Transformation,
    /// A result file is closed before it would pass this many bytes.
    pub max_file_bytes: u64,
    /// A result file holds at most this many records.
    pub max_file_items: usize,
}

fn str_field<'a>(o: &'a Map<String, Value>, k: &str) -> Result<Option<&'a str>, String> {
    match o.get(k) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!(
            "ResultWriter field '{k}' must be a string, got {other}"
        )),
    }
}

impl WriterConfig {
    /// Parses `{"Resource", "Parameters"|"Arguments": {"Bucket", "Prefix"}, "WriterConfig":
    /// {"OutputType", "Transformation"}}`. Without a WriterConfig an export writes JSON with the
    /// NONE transformation; a WriterConfig alone (no Resource) defaults to JSON and COMPACT.
    pub fn from_value(v: &Value) -> Result<WriterConfig, String> {
        let o = v
            .as_object()
            .ok_or_else(|| format!("ResultWriter must be an object, got {v}"))?;
        for k in o.keys() {
            if !matches!(
                k.as_str(),
                "Resource" | "Parameters" | "Arguments" | "WriterConfig"
            ) {
                return Err(format!("ResultWriter has an unknown field '{k}'"));
            }
        }
        let resource = str_field(o, "Resource")?;
        if let Some(r) = resource
            && r != PUT_OBJECT_RESOURCE
        {
            return Err(format!(
                "ResultWriter Resource must be '{PUT_OBJECT_RESOURCE}', got '{r}'"
            ));
        }
        let params = match (o.get("Parameters"), o.get("Arguments")) {
            (Some(_), Some(_)) => {
                return Err("ResultWriter has both Parameters and Arguments".into());
            }
            (Some(p), None) | (None, Some(p)) => Some(
                p.as_object()
                    .ok_or_else(|| format!("ResultWriter Parameters must be an object, got {p}"))?,
            ),
            (None, None) => None,
        };
        let wc = match o.get("WriterConfig") {
            None => None,
            Some(Value::Object(m)) => Some(m),
            Some(other) => {
                return Err(format!(
                    "ResultWriter WriterConfig must be an object, got {other}"
                ));
            }
        };
        if resource.is_some() != params.is_some() {
            return Err("ResultWriter needs both Resource and Parameters (or Arguments)".into());
        }
        if resource.is_none() && wc.is_none() {
            return Err(
                "ResultWriter must have Resource and Parameters, a WriterConfig, or all three"
                    .into(),
            );
        }
        let (bucket, prefix) = match params {
            Some(p) => {
                let b =
                    str_field(p, "Bucket")?.ok_or("ResultWriter Parameters must have a Bucket")?;
                if b.is_empty() {
                    return Err("ResultWriter Bucket must not be empty".into());
                }
                let prefix = str_field(p, "Prefix")?
                    .unwrap_or("")
                    .trim_matches('/')
                    .to_string();
                (Some(b.to_string()), prefix)
            }
            None => (None, String::new()),
        };
        let exporting = bucket.is_some();
        let mut output_type = OutputType::Json;
        let mut transformation = if exporting && wc.is_none() {
            Transformation::None
        } else {
            Transformation::Compact
        };
        if let Some(wc) = wc {
            for k in wc.keys() {
                if !matches!(k.as_str(), "OutputType" | "Transformation") {
                    return Err(format!("WriterConfig has an unknown field '{k}'"));
                }
            }
            if let Some(t) = str_field(wc, "OutputType")? {
                output_type = match t {
                    "JSON" => OutputType::Json,
                    "JSONL" => OutputType::Jsonl,
                    "PARQUET" => OutputType::Parquet,
                    other => {
                        return Err(format!(
                            "WriterConfig OutputType must be JSON or JSONL, got '{other}'"
                        ));
                    }
                };
            }
            if let Some(t) = str_field(wc, "Transformation")? {
                transformation = match t {
                    "NONE" => Transformation::None,
                    "COMPACT" => Transformation::Compact,
                    "FLATTEN" => Transformation::Flatten,
                    other => {
                        return Err(format!(
                            "WriterConfig Transformation must be NONE, COMPACT or FLATTEN, got '{other}'"
                        ));
                    }
                };
            }
        }
        Ok(WriterConfig {
            raw: v.clone(),
            bucket,
            prefix,
            output_type,
            transformation,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_file_items: usize::MAX,
        })
    }

    /// Whether results are exported to a bucket (Resource and Parameters given).
    pub fn exports(&self) -> bool {
        self.bucket.is_some()
    }

    /// The Map's inline output for a WriterConfig without export: COMPACT and NONE keep the
    /// outputs, FLATTEN splices array outputs into the result.
    pub fn transform_outputs(&self, outputs: Vec<Value>) -> Vec<Value> {
        match self.transformation {
            Transformation::Flatten => {
                let mut out = Vec::with_capacity(outputs.len());
                for v in outputs {
                    flatten_into(v, &mut out);
                }
                out
            }
            _ => outputs,
        }
    }
}

fn flatten_into(v: Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(a) => out.extend(a),
        other => out.push(other),
    }
}

/// Serializes the records of JSON and JSONL result files: thread-safe, so that records
/// are made where the items run.
#[derive(Debug, Clone)]
pub struct RecordSerializer {
    arn_head: String,
    sm_path: String,
    transformation: Transformation,
}

fn to_vec(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("a JSON value serializes")
}

impl RecordSerializer {
    /// The succeeded records of one item: its full record (NONE), its output (COMPACT),
    /// or its output's elements when it is an array (FLATTEN).
    pub fn succeeded(&self, item: &ItemResult) -> Vec<Vec<u8>> {
        match self.transformation {
            Transformation::None => vec![to_vec(&ResultSink::full_record(
                &self.arn_head,
                &self.sm_path,
                Kind::Succeeded,
                item,
            ))],
            Transformation::Flatten => match &item.output {
                Value::Array(a) => a.iter().map(to_vec).collect(),
                other => vec![to_vec(other)],
            },
            Transformation::Compact => vec![to_vec(&item.output)],
        }
    }

    /// The record of a failed item (always the full record, as AWS writes it).
    pub fn failed(&self, item: &ItemResult) -> Vec<u8> {
        to_vec(&ResultSink::full_record(
            &self.arn_head,
            &self.sm_path,
            Kind::Failed,
            item,
        ))
    }
}

/// One child execution's record.
#[derive(Debug, Clone)]
pub struct ItemResult {
    pub index: usize,
    pub input: Value,
    /// The output, or `{"Error", "Cause"}` for a failed item.
    pub output: Value,
    pub error: Option<String>,
    pub cause: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Succeeded,
    Failed,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Succeeded => "SUCCEEDED",
            Kind::Failed => "FAILED",
        }
    }
}

enum Part {
    Json(JsonPart),
    Parquet(Box<ParquetPart>),
}

impl Part {
    fn path(&self) -> &Path {
        match self {
            Part::Json(p) => p.path(),
            Part::Parquet(p) => p.path(),
        }
    }
}

/// The files of one status: at most one open at a time.
struct KindFiles {
    open: Option<Part>,
    next: usize,
    done: Vec<(String, u64)>,
    schema: Option<SchemaRef>,
}

impl KindFiles {
    fn new() -> KindFiles {
        KindFiles {
            open: None,
            next: 0,
            done: Vec::new(),
            schema: None,
        }
    }
}

/// Writes a Map Run's results: create, write chunks (in index order per status), finish.
pub struct ResultSink {
    cfg: WriterConfig,
    bucket: String,
    dir: PathBuf,
    key_prefix: String,
    map_run_arn: String,
    arn_head: String,
    sm_path: String,
    succeeded: KindFiles,
    failed: KindFiles,
}

fn now_iso() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

impl ResultSink {
    /// Checks the bucket's folder and creates `<Prefix>/<map-run-id>/` in it.
    pub fn create(
        cfg: &WriterConfig,
        buckets: &Buckets,
        map_run_arn: &str,
    ) -> Result<ResultSink, Failure> {
        let bucket = cfg.bucket.clone().ok_or_else(|| {
            Failure::new(
                names::RESULT_WRITER_FAILED,
                "ResultWriter has no Bucket: results are not exported",
            )
        })?;
        let root = buckets.folder(&bucket).ok_or_else(|| {
            Failure::new(
                names::RESULT_WRITER_FAILED,
                format!("No folder for bucket '{bucket}' (give --bucket {bucket}=DIR or --data-root DIR)"),
            )
        })?;
        if !root.is_dir() {
            return Err(Failure::new(
                names::RESULT_WRITER_FAILED,
                format!(
                    "Bucket '{bucket}' does not exist: no folder at '{}'",
                    root.display()
                ),
            ));
        }
        if cfg.prefix.split('/').any(|c| c == ".." || c == ".") {
            return Err(Failure::new(
                names::RESULT_WRITER_FAILED,
                format!(
                    "ResultWriter Prefix '{}' for bucket '{bucket}' has a '.' or '..' segment",
                    cfg.prefix
                ),
            ));
        }
        let run_id = map_run_arn
            .rsplit(':')
            .next()
            .filter(|s| !s.is_empty())
            .unwrap_or("map-run")
            .to_string();
        let key_prefix = if cfg.prefix.is_empty() {
            format!("{run_id}/")
        } else {
            format!("{}/{run_id}/", cfg.prefix)
        };
        let dir = root.join(&key_prefix);
        std::fs::create_dir_all(&dir).map_err(|e| {
            Failure::new(
                names::RESULT_WRITER_FAILED,
                format!(
                    "Cannot create '{key_prefix}' in bucket '{bucket}' (folder '{}'): {e}",
                    dir.display()
                ),
            )
        })?;
        // arn:aws:states:REGION:ACCOUNT:mapRun:STATE_MACHINE/MAP_LABEL:RUN_ID
        let parts: Vec<&str> = map_run_arn.splitn(7, ':').collect();
        let (arn_head, sm_path) = if parts.len() == 7 && parts[5] == "mapRun" {
            let rest = parts[6];
            let sm = rest.rsplit_once(':').map_or(rest, |(a, _)| a);
            (parts[..5].join(":"), sm.to_string())
        } else {
            (
                "arn:aws:states:local:000000000000".to_string(),
                "local/Map".to_string(),
            )
        };
        Ok(ResultSink {
            cfg: cfg.clone(),
            bucket,
            dir,
            key_prefix,
            map_run_arn: map_run_arn.to_string(),
            arn_head,
            sm_path,
            succeeded: KindFiles::new(),
            failed: KindFiles::new(),
        })
    }

    /// The folder the files go to (`<bucket folder>/<Prefix>/<map-run-id>/`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn fail(&self, path: &Path, what: &str, e: impl std::fmt::Display) -> Failure {
        let key = path
            .file_name()
            .and_then(|n| n.to_str())
            .map(|n| format!("{}{n}", self.key_prefix));
        Failure::new(
            names::RESULT_WRITER_FAILED,
            format!(
                "Failed to {what} '{}' in bucket '{}' (file '{}'): {e}",
                key.unwrap_or_default(),
                self.bucket,
                path.display()
            ),
        )
    }

    /// The full (NONE) record of one child execution.
    fn full_record(arn_head: &str, sm_path: &str, kind: Kind, item: &ItemResult) -> Value {
        let name = uuid::Uuid::new_v4().to_string();
        let now = now_iso();
        let mut m = Map::new();
        if kind == Kind::Failed {
            let field = |k: &str| {
                item.output
                    .get(k)
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            if let Some(c) = item.cause.clone().or_else(|| field("Cause")) {
                m.insert("Cause".into(), Value::String(c));
            }
            if let Some(e) = item.error.clone().or_else(|| field("Error")) {
                m.insert("Error".into(), Value::String(e));
            }
        }
        m.insert(
            "ExecutionArn".into(),
            json!(format!("{}:execution:{}:{name}", arn_head, sm_path)),
        );
        m.insert("Input".into(), Value::String(item.input.to_string()));
        m.insert("InputDetails".into(), json!({"Included": true}));
        m.insert("Name".into(), Value::String(name));
        if kind == Kind::Succeeded {
            m.insert("Output".into(), Value::String(item.output.to_string()));
            m.insert("OutputDetails".into(), json!({"Included": true}));
        }
        m.insert("RedriveCount".into(), json!(0));
        if kind == Kind::Succeeded {
            m.insert("RedriveStatus".into(), json!("NOT_REDRIVABLE"));
            m.insert(
                "RedriveStatusReason".into(),
                json!("Execution is SUCCEEDED and cannot be redriven"),
            );
        } else {
            m.insert("RedriveStatus".into(), json!("REDRIVABLE_BY_MAP_RUN"));
        }
        m.insert("StartDate".into(), Value::String(now.clone()));
        m.insert(
            "StateMachineArn".into(),
            json!(format!("{arn_head}:stateMachine:{sm_path}")),
        );
        m.insert("Status".into(), json!(kind.name()));
        m.insert("StopDate".into(), Value::String(now));
        Value::Object(m)
    }

    fn records(&self, kind: Kind, items: &[ItemResult]) -> Vec<Value> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match (kind, self.cfg.transformation) {
                (Kind::Failed, _) | (_, Transformation::None) => {
                    out.push(Self::full_record(&self.arn_head, &self.sm_path, kind, item))
                }
                (_, Transformation::Compact) => out.push(item.output.clone()),
                (_, Transformation::Flatten) => flatten_into(item.output.clone(), &mut out),
            }
        }
        out
    }

    fn files(&mut self, kind: Kind) -> &mut KindFiles {
        match kind {
            Kind::Succeeded => &mut self.succeeded,
            Kind::Failed => &mut self.failed,
        }
    }

    fn next_path(&self, kind: Kind) -> PathBuf {
        let f = match kind {
            Kind::Succeeded => &self.succeeded,
            Kind::Failed => &self.failed,
        };
        self.dir.join(format!(
            "{}_{}.{}",
            kind.name(),
            f.next,
            self.cfg.output_type.extension()
        ))
    }

    /// Commits the open file of `kind`, if any.
    fn close(&mut self, kind: Kind) -> Result<(), Failure> {
        let Some(part) = self.files(kind).open.take() else {
            return Ok(());
        };
        let path = part.path().to_path_buf();
        let size = match part {
            Part::Json(p) => p.commit(),
            Part::Parquet(p) => p.commit(),
        }
        .map_err(|e| self.fail(&path, "write", e))?;
        let key = format!(
            "{}{}",
            self.key_prefix,
            path.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
        );
        self.files(kind).done.push((key, size));
        Ok(())
    }

    fn open_json(&mut self, kind: Kind) -> Result<(), Failure> {
        let path = self.next_path(kind);
        let part = JsonPart::create(&path, self.cfg.output_type == OutputType::Jsonl)
            .map_err(|e| self.fail(&path, "create", e))?;
        let f = self.files(kind);
        f.next += 1;
        f.open = Some(Part::Json(part));
        Ok(())
    }

    fn open_parquet(&mut self, kind: Kind, schema: SchemaRef) -> Result<(), Failure> {
        let path = self.next_path(kind);
        let part = ParquetPart::create(&path, schema).map_err(|e| self.fail(&path, "create", e))?;
        let f = self.files(kind);
        f.next += 1;
        f.open = Some(Part::Parquet(Box::new(part)));
        Ok(())
    }

    /// Appends serialized JSON records (one value each, no newline), splitting files.
    fn push_json<'a>(
        &mut self,
        kind: Kind,
        records: impl Iterator<Item = &'a [u8]>,
    ) -> Result<(), Failure> {
        let (max_bytes, max_items) = (self.cfg.max_file_bytes, self.cfg.max_file_items);
        for rec in records {
            let full = match &self.files(kind).open {
                Some(Part::Json(p)) => {
                    p.items() > 0 && (p.items() >= max_items || p.size_with(rec.len()) > max_bytes)
                }
                _ => true,
            };
            if full {
                self.close(kind)?;
                self.open_json(kind)?;
            }
            let Some(Part::Json(p)) = &mut self.files(kind).open else {
                unreachable!()
            };
            if let Err(e) = p.push(rec) {
                let path = p.path().to_path_buf();
                return Err(self.fail(&path, "write", e));
            }
        }
        Ok(())
    }

    /// Appends a batch of rows to the Parquet files of `kind`, splitting files.
    fn push_batch(&mut self, kind: Kind, batch: &RecordBatch) -> Result<(), Failure> {
        let (max_bytes, max_items) = (self.cfg.max_file_bytes, self.cfg.max_file_items);
        let mut offset = 0;
        while offset < batch.num_rows() {
            let room = match &self.files(kind).open {
                Some(Part::Parquet(p))
                    if p.items() < max_items && (p.items() == 0 || p.size() < max_bytes) =>
                {
                    max_items - p.items()
                }
                _ => {
                    self.close(kind)?;
                    self.open_parquet(kind, batch.schema())?;
                    max_items
                }
            };
            let n = room.min(batch.num_rows() - offset);
            let slice = batch.slice(offset, n);
            let Some(Part::Parquet(p)) = &mut self.files(kind).open else {
                unreachable!()
            };
            if let Err(e) = p.write(&slice) {
                let path = p.path().to_path_buf();
                return Err(self.fail(&path, "write", e));
            }
            offset += n;
        }
        Ok(())
    }

    fn write_kind(&mut self, kind: Kind, items: &[ItemResult]) -> Result<(), Failure> {
        match self.cfg.output_type {
            OutputType::Json | OutputType::Jsonl => {
                use rayon::prelude::*;
                // Serialized straight from the outputs (no copy of them), in parallel on
                // the current rayon pool (the Map's, when called from the executor).
                let ser = self.record_serializer();
                let bytes: Vec<Vec<Vec<u8>>> = items
                    .par_iter()
                    .with_min_len(256)
                    .map(|item| match kind {
                        Kind::Succeeded => ser.succeeded(item),
                        Kind::Failed => vec![ser.failed(item)],
                    })
                    .collect();
                self.push_json(kind, bytes.iter().flatten().map(Vec::as_slice))
            }
            OutputType::Parquet => {
                let records = self.records(kind, items);
                if records.is_empty() {
                    return Ok(());
                }
                let rows: Vec<Value> = records.into_iter().map(self::parquet::as_row).collect();
                let schema = match self.files(kind).schema.clone() {
                    Some(s) => s,
                    None => {
                        let s = self::parquet::infer_schema(&rows)
                            .map_err(|e| self.fail(&self.next_path(kind), "write", e))?;
                        self.files(kind).schema = Some(s.clone());
                        s
                    }
                };
                let batch = self::parquet::decode_rows(&schema, &rows)
                    .map_err(|e| self.fail(&self.next_path(kind), "write", e))?;
                self.push_batch(kind, &batch)
            }
        }
    }

    /// Writes succeeded items (called with chunks in index order).
    pub fn write_succeeded(&mut self, items: &[ItemResult]) -> Result<(), Failure> {
        self.write_kind(Kind::Succeeded, items)
    }

    /// Writes failed items (called with chunks in index order).
    pub fn write_failed(&mut self, items: &[ItemResult]) -> Result<(), Failure> {
        self.write_kind(Kind::Failed, items)
    }

    fn record_serializer(&self) -> RecordSerializer {
        RecordSerializer {
            arn_head: self.arn_head.clone(),
            sm_path: self.sm_path.clone(),
            transformation: self.cfg.transformation,
        }
    }

    /// For JSON and JSONL result files: what serializes records on any thread, for
    /// [`Self::write_serialized`]; None for Parquet.
    pub fn serializer(&self) -> Option<RecordSerializer> {
        (self.cfg.output_type != OutputType::Parquet).then(|| self.record_serializer())
    }

    /// Appends records a [`RecordSerializer`] made (succeeded ones, then failed ones, each
    /// in item order), splitting files as [`Self::write_succeeded`] does.
    pub fn write_serialized<'a>(
        &mut self,
        succeeded: impl Iterator<Item = &'a [u8]>,
        failed: impl Iterator<Item = &'a [u8]>,
    ) -> Result<(), Failure> {
        self.push_json(Kind::Succeeded, succeeded)?;
        self.push_json(Kind::Failed, failed)
    }

    /// Whether succeeded records hold each item's input (the NONE transformation).
    pub fn records_inputs(&self) -> bool {
        self.cfg.transformation == Transformation::None
    }

    /// Whether the result files are Parquet.
    pub fn writes_parquet(&self) -> bool {
        self.cfg.output_type == OutputType::Parquet
    }

    /// Whether [`Self::write_succeeded_batch`] writes batches of `schema` with no JSON in
    /// between: Parquet output, COMPACT or FLATTEN, and the schema of the files so far.
    pub fn takes_batches(&self, schema: &arrow::datatypes::Schema) -> bool {
        self.cfg.output_type == OutputType::Parquet
            && self.cfg.transformation != Transformation::None
            && self
                .succeeded
                .schema
                .as_ref()
                .is_none_or(|s| s.fields() == schema.fields())
    }

    /// Writes the rows of `batch` as succeeded outputs, with no JSON in between for PARQUET
    /// (arrow's JSON writer for JSON and JSONL). The rows are the outputs, so this is for the
    /// COMPACT and FLATTEN transformations (rows are never arrays, so FLATTEN keeps them);
    /// NONE needs per-item records: use [`ResultSink::write_succeeded`].
    pub fn write_succeeded_batch(&mut self, batch: &RecordBatch) -> Result<(), Failure> {
        if self.cfg.transformation == Transformation::None {
            return Err(Failure::new(
                names::RESULT_WRITER_FAILED,
                "Record batches hold outputs only: the NONE transformation needs write_succeeded",
            ));
        }
        if batch.num_rows() == 0 {
            return Ok(());
        }
        match self.cfg.output_type {
            OutputType::Parquet => {
                if self.succeeded.schema.is_none() {
                    self.succeeded.schema = Some(batch.schema());
                }
                self.push_batch(Kind::Succeeded, batch)
            }
            OutputType::Json | OutputType::Jsonl => {
                let mut w = arrow::json::LineDelimitedWriter::new(Vec::new());
                w.write(batch)
                    .and_then(|_| w.finish())
                    .map_err(|e| self.fail(&self.next_path(Kind::Succeeded), "write", e))?;
                let buf = w.into_inner();
                self.push_json(
                    Kind::Succeeded,
                    buf.split(|b| *b == b'\n').filter(|l| !l.is_empty()),
                )
            }
        }
    }

    /// Commits the open files, then writes `manifest.json`; returns the Map state's output:
    /// `{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key": "<Prefix>/<run>/manifest.json"}}`.
    pub fn finish(mut self) -> Result<Value, Failure> {
        self.close(Kind::Succeeded)?;
        self.close(Kind::Failed)?;
        let list = |f: &KindFiles| -> Vec<Value> {
            f.done
                .iter()
                .map(|(k, s)| json!({"Key": k, "Size": s}))
                .collect()
        };
        let manifest = json!({
            "DestinationBucket": self.bucket,
            "MapRunArn": self.map_run_arn,
            "ResultFiles": {
                "FAILED": list(&self.failed),
                "PENDING": [],
                "SUCCEEDED": list(&self.succeeded),
            }
        });
        let path = self.dir.join("manifest.json");
        let bytes = serde_json::to_vec(&manifest).expect("a JSON value serializes");
        AtomicFile::write_all_to(&path, &bytes).map_err(|e| self.fail(&path, "write", e))?;
        Ok(json!({
            "MapRunArn": self.map_run_arn,
            "ResultWriterDetails": {
                "Bucket": self.bucket,
                "Key": format!("{}manifest.json", self.key_prefix),
            }
        }))
    }
}

/// Writes record batches to a Parquet file (snappy), atomically (temporary name in the same
/// folder, fsync, rename). The schema is the first batch's (`schema` when there are none).
/// Returns the file's size.
pub fn write_batches_parquet(
    path: &Path,
    schema: SchemaRef,
    batches: &[RecordBatch],
) -> Result<u64, Failure> {
    self::parquet::write_batches(path, schema, batches).map_err(|e| {
        Failure::new(
            names::RESULT_WRITER_FAILED,
            format!("Failed to write Parquet file '{}': {e}", path.display()),
        )
    })
}
