//! Columnar execution of a Map state's item processor: the items of one partition
//! are an Arrow [`RecordBatch`]; Pass states become column expressions, Choice
//! states selection masks, and each path through the processor one group of rows.
//!
//! The row interpreter stays the reference: [`ColumnarProgram::compile`] accepts only
//! processors whose every state has a columnar form, and [`ColumnarProgram::run`]
//! refuses (with `Err`) any batch where it could not give the row interpreter's exact
//! output (a missing field, a value an intrinsic would fail on, a type the kernels do
//! not handle); the caller then runs those items as rows.
//!
//! What qualifies (anything else is a compile error naming the state and field):
//! - `Pass` with `Result`, or `Parameters` made of literals, field references
//!   (`$`, `$.a`, `$.a.b`), nested objects of those, `States.MathAdd(path|num,
//!   path|num)` and `States.Format('template', path|literal...)`; `ResultPath`
//!   absent, `$`, `$.x` or `null`; no InputPath, OutputPath or ResultSelector.
//! - `Choice` whose rules compare a field (`$.a`, `$.a.b`) with a literal (any
//!   operator but the `...Path` forms), combined with And/Or/Not; no Assign.
//! - `Succeed`, and `Fail` with a literal Error and Cause.
//! - No Assign, Retry, Catch, `$$` or variables; JSONPath query language only.
//! - An ItemSelector of literals and `$$.Map.Item.Value[.field...]` references.
//!
//! Values: a batch column is Int64 (JSON integers), Float64 (JSON numbers written
//! with a fraction or exponent), Utf8, Boolean or Struct (objects of one shape),
//! without nulls. [`items_to_batch`] builds only such batches. Outputs that are the
//! same for every row of a group (literals) are a [`arrow::array::NullArray`] column
//! whose field metadata [`CONST_KEY`] holds the value as JSON text; an output that is
//! not an object is one column under schema metadata [`SCALAR_KEY`].

mod compile;
mod convert;
mod jsonata_kernels;
mod kernels;
mod pushdown;
#[cfg(test)]
mod tests;

pub use convert::items_to_batch;
pub use pushdown::RowDrop;

use crate::asl::model::{StateMachine, Template};
use arrow::array::{BooleanArray, RecordBatch, UInt32Array};
use serde_json::Value;

/// Field metadata key of a column whose value is the same JSON value on every row.
pub const CONST_KEY: &str = "asl.const";
/// Schema metadata key of an output batch whose single column is the whole output.
pub const SCALAR_KEY: &str = "asl.scalar";

/// A Map item processor compiled to column operations.
#[derive(Debug, Clone)]
pub struct ColumnarProgram {
    states: Vec<compile::CState>,
    start: usize,
    selector: Option<compile::CTpl>,
    input_columns: Vec<String>,
    whole_item: bool,
    /// Some state is JSONata: numbers follow JSONata's doubles (see `kernels::run`).
    ata: bool,
}

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
    /// Ok when the Map's item processor (and its ItemSelector, if any) only uses states
    /// that have a columnar form; Err(reason) names the first state/field that doesn't.
    pub fn compile(
        processor: &StateMachine,
        item_selector: Option<&Template>,
    ) -> Result<ColumnarProgram, String> {
        compile::compile(processor, item_selector)
    }

    /// The top-level item fields the program reads (projection), in first-use order.
    /// When [`Self::needs_whole_item`] is true, some output carries the whole item and
    /// the batch must not be projected.
    pub fn input_columns(&self) -> &[String] {
        &self.input_columns
    }

    /// True when some path through the processor outputs the item itself (or a part
    /// of it that grows with the item), so every column of the item is needed.
    pub fn needs_whole_item(&self) -> bool {
        self.whole_item
    }

    /// Predicate pushdown for a Parquet ItemReader whose results go through FLATTEN:
    /// a row-group filter that rules out row groups every row of which the leading
    /// Choice would drop, or None when the program has no such Choice.
    pub fn row_group_filter(&self) -> Option<crate::io::reader::RowGroupFilter> {
        pushdown::Pushdown::of(self).map(pushdown::Pushdown::filter)
    }

    /// Row-level pushdown from the same leading Choice (see [`RowDrop`]).
    pub fn row_drop(&self) -> Option<RowDrop> {
        pushdown::Pushdown::of(self).map(|p| p.row_drop())
    }

    /// The rows of `batch` (holding at least `d.columns`) the leading Choice doesn't
    /// drop. Err when the kernels can't decide; the caller then keeps every row.
    pub fn keep_rows(&self, d: &RowDrop, batch: &RecordBatch) -> Result<BooleanArray, String> {
        kernels::keep_mask(self, batch, &d.drops, d.default_drops)
    }

    /// [`Self::row_group_filter`] in words (for `asl explain`).
    pub fn pushdown_description(&self) -> Option<String> {
        pushdown::Pushdown::of(self).map(|p| p.describe())
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
