//! Columnar Map strategy (placeholder until the kernels land).

use crate::asl::model::{StateMachine, Template};
use arrow::array::{RecordBatch, UInt32Array};
use serde_json::Value;

#[derive(Debug)]
pub struct ColumnarProgram {
    columns: Vec<String>,
}

pub struct ColumnarOutput {
    pub groups: Vec<(UInt32Array, RecordBatch)>,
    pub failures: Vec<(UInt32Array, Option<String>, Option<String>)>,
    pub rows: usize,
}

impl ColumnarOutput {
    pub fn to_json(&self) -> Vec<Value> {
        Vec::new()
    }
}

impl ColumnarProgram {
    pub fn compile(
        _processor: &StateMachine,
        _sel: Option<&Template>,
    ) -> Result<ColumnarProgram, String> {
        Err("the columnar kernels are not built yet".into())
    }
    pub fn input_columns(&self) -> &[String] {
        &self.columns
    }
    pub fn run(&self, _batch: &RecordBatch) -> Result<ColumnarOutput, String> {
        Err("not built".into())
    }
}

pub fn items_to_batch(_items: &[Value]) -> Option<RecordBatch> {
    None
}
