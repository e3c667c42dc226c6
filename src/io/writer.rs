//! ResultWriter (placeholder until the writers land).
use super::Buckets;
use crate::asl::Failure;
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct WriterConfig {
    pub raw: Value,
}

impl WriterConfig {
    pub fn from_value(v: &Value) -> Result<WriterConfig, String> {
        Ok(WriterConfig { raw: v.clone() })
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

pub struct ResultSink {}

impl ResultSink {
    pub fn create(
        _cfg: &WriterConfig,
        _buckets: &Buckets,
        _map_run_arn: &str,
    ) -> Result<ResultSink, Failure> {
        Err(Failure::new(
            "States.ResultWriterFailed",
            "ResultWriter is not supported yet by this engine",
        ))
    }
    pub fn write_succeeded(&mut self, _items: &[ItemResult]) -> Result<(), Failure> {
        Ok(())
    }
    pub fn write_failed(&mut self, _items: &[ItemResult]) -> Result<(), Failure> {
        Ok(())
    }
    pub fn finish(self) -> Result<Value, Failure> {
        Ok(Value::Null)
    }
}
