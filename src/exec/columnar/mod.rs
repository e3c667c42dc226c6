//! The kernels that run a Map's item processor in its columnar form (compiled at plan
//! time: [`crate::plan::columnar`]) over one partition of items as an Arrow
//! [`RecordBatch`]. The row interpreter stays the reference: [`ColumnarProgram::run`]
//! refuses (with `Err`) any batch where it could not give the row interpreter's exact
//! output; the caller then runs those items as rows.

mod convert;
mod jsonata_kernels;
mod kernels;
#[cfg(test)]
mod tests;
mod text_in;
mod text_out;
#[cfg(test)]
mod text_tests;

pub use crate::plan::columnar::{ColumnarProgram, RowDrop};
pub use convert::items_to_batch;
pub use text_in::text_items_to_batch;

use arrow::array::{BooleanArray, RecordBatch, UInt32Array};
use serde_json::Value;

/// One field's values for the rows of a group: a column, or one value for every row.
#[derive(Debug, Clone)]
enum Col {
    Arr(arrow::array::ArrayRef),
    Const(Value),
}

/// Field metadata key of a column whose value is the same JSON value on every row.
pub const CONST_KEY: &str = "asl.const";
/// Schema metadata key of an output batch whose single column is the whole output.
pub const SCALAR_KEY: &str = "asl.scalar";

/// Per-row outputs grouped by the path they took.
#[derive(Debug, Clone)]
pub struct ColumnarOutput {
    /// (row indices into the input batch, that group's outputs, columns in key order).
    pub groups: Vec<(UInt32Array, RecordBatch)>,
    /// Rows that reached a Fail state: (row indices, Error, Cause).
    pub failures: Vec<(UInt32Array, Option<String>, Option<String>)>,
    /// Rows in the input batch.
    pub rows: usize,
}

impl ColumnarProgram {
    /// The rows of `batch` (holding at least `d.columns`) the leading Choice doesn't
    /// drop. Err when the kernels can't decide; the caller then keeps every row.
    pub fn keep_rows(&self, d: &RowDrop, batch: &RecordBatch) -> Result<BooleanArray, String> {
        kernels::keep_mask(self, batch, &d.drops, d.default_drops)
    }

    /// Runs the processor over one partition of items in Arrow form. Err(reason) when
    /// this batch can't be done columnar; the caller then runs those items as rows.
    pub fn run(&self, batch: &RecordBatch) -> Result<ColumnarOutput, String> {
        kernels::run(self, batch)
    }
}

impl ColumnarOutput {
    /// The outputs in input order. A row that reached a Fail state gives
    /// `{"Error": ..., "Cause": ...}`, as a Map with tolerated failures reports it.
    pub fn to_json(&self) -> Vec<Value> {
        convert::output_to_json(self)
    }
}
