//! The Distributed Map data plane: buckets as local folders, ItemReader sources
//! (JSON, JSONL, CSV, Parquet, manifests, object listings) and ResultWriter output.
//!
//! CONTRACT (used by the executor; keep these signatures):
//! - `Buckets` maps an S3 bucket name to a folder (`--bucket NAME=DIR`, `--data-root DIR`).
//! - `reader::ReaderConfig::from_value(&Value) -> Result<ReaderConfig, String>`: the
//!   ItemReader object after its Parameters/Arguments were evaluated.
//! - `reader::open(&ReaderConfig, &Buckets, &ReadOptions) -> Result<ItemStream, Failure>`:
//!   a stream of chunks of items, in order (`Iterator<Item = Result<Chunk, Failure>> + Send`).
//! - `writer::WriterConfig::from_value(&Value) -> Result<WriterConfig, String>`.
//! - `writer::ResultSink::create(&WriterConfig, &Buckets, map_run_arn) -> Result<ResultSink, Failure>`,
//!   `sink.write_succeeded(&[ItemResult])`, `sink.write_failed(&[ItemResult])`,
//!   `sink.finish() -> Result<Value, Failure>` (the Map's output: AWS's ResultWriterDetails).

pub mod json_scan;
pub mod reader;
pub mod writer;

use std::collections::HashMap;
use std::path::PathBuf;

/// S3 buckets as local folders.
#[derive(Debug, Clone, Default)]
pub struct Buckets {
    pub named: HashMap<String, PathBuf>,
    /// A bucket not named explicitly is `root/NAME`.
    pub root: Option<PathBuf>,
}

impl Buckets {
    /// The folder of a bucket, if one is configured.
    pub fn folder(&self, bucket: &str) -> Option<PathBuf> {
        self.named
            .get(bucket)
            .cloned()
            .or_else(|| self.root.as_ref().map(|r| r.join(bucket)))
    }
}
