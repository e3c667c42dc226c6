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
mod config;
mod json;
mod parquet;
mod records;
#[cfg(test)]
mod tests;

pub use self::parquet::VALUE_COLUMN;
pub use atomic::{AtomicFile, is_temp_name};
pub use config::{
    DEFAULT_MAX_FILE_BYTES, OutputType, PUT_OBJECT_RESOURCE, Transformation, WriterConfig,
};
pub use records::{ItemResult, RecordBuf, RecordSerializer};

use records::Kind;

use self::json::JsonPart;
use self::parquet::ParquetPart;
use super::Buckets;
use crate::asl::Failure;
use crate::asl::failure::names;
use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

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
    records: RecordSerializer,
    succeeded: KindFiles,
    failed: KindFiles,
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
        // A Map Run that starts again in its folder (a replay after a crash) finds the
        // temporary files its first run was writing: they were never results.
        for e in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if e.file_name().to_str().is_some_and(is_temp_name) {
                let _ = std::fs::remove_file(e.path());
            }
        }
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
            records: RecordSerializer {
                arn_head,
                sm_path,
                transformation: cfg.transformation,
            },
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

    fn records(&self, kind: Kind, items: &[ItemResult]) -> Vec<Value> {
        items
            .iter()
            .flat_map(|item| self.records.records(kind, item))
            .map(std::borrow::Cow::into_owned)
            .collect()
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
                let ser = &self.records;
                let bufs: Vec<RecordBuf> = items
                    .par_chunks(1024)
                    .map(|items| {
                        let mut buf = RecordBuf::default();
                        for item in items {
                            match kind {
                                Kind::Succeeded => ser.succeeded(item, &mut buf),
                                Kind::Failed => ser.failed(item, &mut buf),
                            }
                        }
                        buf
                    })
                    .collect();
                self.push_json(kind, bufs.iter().flat_map(RecordBuf::iter))
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

    /// For JSON and JSONL result files: what serializes records on any thread, for
    /// [`Self::write_serialized`]; None for Parquet.
    pub fn serializer(&self) -> Option<RecordSerializer> {
        (self.cfg.output_type != OutputType::Parquet).then(|| self.records.clone())
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

    /// Commits the open files, so that every record written so far is in a file under
    /// its final name, and returns the files so far (`{"SUCCEEDED": [{"Key", "Size"}],
    /// "FAILED": [...]}`): what [`Self::resume`] takes back after a crash.
    pub fn commit_open(&mut self) -> Result<Value, Failure> {
        self.close(Kind::Succeeded)?;
        self.close(Kind::Failed)?;
        let list = |f: &KindFiles| -> Vec<Value> {
            f.done
                .iter()
                .map(|(k, s)| json!({"Key": k, "Size": s}))
                .collect()
        };
        Ok(json!({"SUCCEEDED": list(&self.succeeded), "FAILED": list(&self.failed)}))
    }

    /// Goes on from files that [`Self::commit_open`] listed (a Map Run resuming after a
    /// crash): they stay as they are and the next files are numbered after them; result
    /// files of the same run that are not listed (written after that point, before the
    /// crash) are removed, since their items run again.
    pub fn resume(&mut self, files: &Value) -> Result<(), Failure> {
        for kind in [Kind::Succeeded, Kind::Failed] {
            let done: Vec<(String, u64)> = files[kind.name()]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| Some((f["Key"].as_str()?.to_string(), f["Size"].as_u64()?)))
                .collect();
            let f = self.files(kind);
            f.next = done.len();
            f.done = done;
        }
        for e in std::fs::read_dir(&self.dir).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let stale = [Kind::Succeeded, Kind::Failed].into_iter().any(|kind| {
                let next = match kind {
                    Kind::Succeeded => self.succeeded.next,
                    Kind::Failed => self.failed.next,
                };
                name.strip_prefix(kind.name())
                    .and_then(|rest| rest.strip_prefix('_'))
                    .and_then(|rest| rest.split('.').next())
                    .and_then(|n| n.parse::<usize>().ok())
                    .is_some_and(|n| n >= next)
            });
            if stale || name == "manifest.json" {
                std::fs::remove_file(e.path())
                    .map_err(|err| self.fail(&e.path(), "remove", err))?;
            }
        }
        Ok(())
    }

    /// Commits the open files, then writes `manifest.json`; returns the Map state's output:
    /// `{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key": "<Prefix>/<run>/manifest.json"}}`.
    pub fn finish(mut self) -> Result<Value, Failure> {
        let mut files = self.commit_open()?;
        let manifest = json!({
            "DestinationBucket": self.bucket,
            "MapRunArn": self.map_run_arn,
            "ResultFiles": {
                "FAILED": files["FAILED"].take(),
                "PENDING": [],
                "SUCCEEDED": files["SUCCEEDED"].take(),
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
