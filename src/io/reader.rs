//! ItemReader (placeholder until the readers land).
use super::Buckets;
use crate::asl::Failure;
use arrow::array::RecordBatch;
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct ReaderConfig {
    pub raw: Value,
}

impl ReaderConfig {
    pub fn from_value(v: &Value) -> Result<ReaderConfig, String> {
        Ok(ReaderConfig { raw: v.clone() })
    }
}

/// How to read: the columns the item processor needs (None: all), rows per chunk.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub projection: Option<Vec<String>>,
    pub batch_rows: usize,
}

/// A chunk of items, in input order.
#[derive(Debug)]
pub enum Chunk {
    /// Items as JSON values (JSON, JSONL, manifests, listings).
    Rows(Vec<Value>),
    /// Items as one record batch (CSV, Parquet): each row is an item, values as AWS gives them.
    Batch(RecordBatch),
}

pub type ItemStream = Box<dyn Iterator<Item = Result<Chunk, Failure>> + Send>;

pub fn open(
    _cfg: &ReaderConfig,
    _buckets: &Buckets,
    _opts: &ReadOptions,
) -> Result<ItemStream, Failure> {
    Err(Failure::new(
        "States.ItemReaderFailed",
        "ItemReader is not supported yet by this engine",
    ))
}

/// Rows of a record batch as JSON objects (placeholder).
pub fn batch_to_items(_b: &RecordBatch) -> Vec<Value> {
    Vec::new()
}
