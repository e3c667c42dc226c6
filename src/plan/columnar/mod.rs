//! The columnar form of a Map state's item processor, compiled at plan time: the items
//! of one partition are an Arrow `RecordBatch`; Pass states become column
//! expressions, Choice states selection masks, and each path through the processor one
//! group of rows. The kernels that run it are in `exec::columnar`.
//!
//! The row interpreter stays the reference: [`ColumnarProgram::compile`] accepts only
//! processors whose every state has a columnar form, and `ColumnarProgram::run` (in `exec::columnar`)
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
//! without nulls. `exec::columnar::items_to_batch` builds only such batches. Outputs that are the
//! same for every row of a group (literals) are an `arrow::array::NullArray` column
//! whose field metadata `CONST_KEY` holds the value as JSON text; an output that is
//! not an object is one column under schema metadata `SCALAR_KEY`.

pub(crate) mod compile;
mod pushdown;

pub use pushdown::RowDrop;

use crate::asl::model::{StateMachine, Template};

/// A Map item processor compiled to column operations.
#[derive(Debug, Clone)]
pub struct ColumnarProgram {
    pub(crate) states: Vec<compile::CState>,
    pub(crate) start: usize,
    pub(crate) selector: Option<compile::CTpl>,
    pub(crate) input_columns: Vec<String>,
    pub(crate) whole_item: bool,
    /// Some state is JSONata: numbers follow JSONata's doubles (see the kernels).
    pub(crate) ata: bool,
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

    /// [`Self::row_group_filter`] in words (for `asl explain`).
    pub fn pushdown_description(&self) -> Option<String> {
        pushdown::Pushdown::of(self).map(|p| p.describe())
    }
}
