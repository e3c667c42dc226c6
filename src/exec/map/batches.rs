//! The columnar data plane: a Map whose item processor is columnar and whose items are
//! the rows of a Parquet file (or of a CSV file, values as strings as on AWS) runs
//! reader → kernels → writer on Arrow record batches.
//!
//! - The file's row groups are decoded in parallel, a window of them at a time
//!   (`2 × threads`), each by its own reader; outputs are drained in row order, so
//!   memory holds a window, not the file.
//! - Projection pushdown: only the columns the processor reads are decoded, unless an
//!   output carries the whole item or the NONE transformation records each input.
//! - Predicate pushdown: when the processor starts with a Choice whose dropping branches
//!   (an `[]` output under FLATTEN) take every row a row group can hold, as its min/max
//!   statistics tell, that row group is not read ([`crate::exec::columnar::ColumnarProgram::row_group_filter`]).
//! - Outputs go to a Parquet ResultWriter as record batches (COMPACT and FLATTEN; the
//!   rows are the outputs, FLATTEN splices `[x]` and drops `[]`); to other writers and
//!   inline results as JSON values.
//! - A batch the kernels refuse (a type they don't take, a value they could get wrong,
//!   a row reaching a Fail state) sends its whole row group, every column read, through
//!   the row interpreter: same results, same failure handling as any other Map.

use super::checkpoint::Checkpoints;
use super::drain::{ChunkCtx, Drain};
use crate::asl::Failure;
use crate::exec::columnar::{CONST_KEY, ColumnarOutput, ColumnarProgram, SCALAR_KEY};
use crate::exec::run::Run;
use crate::io::reader::{self, ParquetUnits, ReadOptions, ReaderConfig, RowPredicate, Unit};
use crate::io::writer::{Transformation, WriterConfig};
use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch, RecordBatchOptions};
use arrow::compute::{CastOptions, cast_with_options, interleave_record_batch};
use arrow::datatypes::{DataType, Field, Schema};
use rayon::prelude::*;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// Rows per decoded Parquet batch (parallelism comes from row groups, not batches).
const PARQUET_BATCH_ROWS: usize = 8192;

/// How a columnar Map reads its Parquet items.
pub(super) struct ReadPlan {
    pub options: ReadOptions,
    /// The transformation, when a ResultWriter exports (None: inline results).
    transformation: Option<Transformation>,
}

impl ReadPlan {
    /// Whether a unit read with pushdown lacks columns or rows.
    pub fn pushed(&self) -> bool {
        self.options.projection.is_some() || self.options.row_predicate.is_some()
    }
}

/// Projection and row-group filter for `p` reading `cfg`, writing through `writer`.
pub(super) fn read_plan(
    p: &Arc<ColumnarProgram>,
    cfg: &ReaderConfig,
    writer: Option<&WriterConfig>,
) -> ReadPlan {
    let exporting = writer.filter(|w| w.exports());
    let transformation = exporting.map(|w| w.transformation);
    // FLATTEN drops `[]` outputs, exported or inline.
    let flatten = writer.is_some_and(|w| w.transformation == Transformation::Flatten);
    let records_inputs = transformation == Some(Transformation::None);
    let projection = (!p.needs_whole_item() && !records_inputs && !p.input_columns().is_empty())
        .then(|| p.input_columns().to_vec());
    // Skipped rows would shift which items MaxItems takes.
    let limited = cfg.max_items.is_some_and(|n| n > 0);
    let pushdown = flatten && !limited && !records_inputs;
    let row_group_filter = pushdown.then(|| p.row_group_filter()).flatten();
    let row_predicate = match (pushdown, p.row_drop()) {
        (true, Some(d)) => {
            let prog = p.clone();
            Some(RowPredicate {
                columns: d.columns.clone(),
                keep: Arc::new(move |b: &RecordBatch| {
                    normalize(b)
                        .and_then(|b| prog.keep_rows(&d, &b).ok())
                        .unwrap_or_else(|| BooleanArray::from(vec![true; b.num_rows()]))
                }),
            })
        }
        _ => None,
    };
    ReadPlan {
        options: ReadOptions {
            projection,
            batch_rows: PARQUET_BATCH_ROWS,
            row_group_filter,
            row_predicate,
            raw_lines: false,
        },
        transformation,
    }
}

/// One decoded batch's part of the results.
enum Piece {
    /// Output rows for a Parquet writer (FLATTEN or COMPACT applied).
    Batch(RecordBatch),
    /// Outputs in item order, and the items when the NONE transformation needs them.
    Values {
        outputs: Vec<Value>,
        inputs: Option<Vec<Value>>,
    },
}

enum UnitOut {
    Pieces(Vec<Piece>),
    /// The kernels refused a batch: the unit's items, every column, to run as rows.
    Rows(Vec<RecordBatch>),
}

impl Run<'_> {
    /// Runs the row groups of `units` (up to MaxItems) in windows decoded in parallel;
    /// drains in order.
    pub(super) fn run_units(
        &self,
        (units, max_items): (&ParquetUnits, Option<u64>),
        program: &ColumnarProgram,
        plan: &ReadPlan,
        c: &ChunkCtx<'_, '_>,
        drain: &mut Drain,
        (skip, checkpoints): (usize, &mut Option<Checkpoints>),
    ) -> Result<(), Failure> {
        let limit = max_items.filter(|n| *n > 0);
        drain.settle()?;
        let parquet_out = drain.sink.as_ref().is_some_and(|s| s.writes_parquet());
        let flatten = plan.transformation == Some(Transformation::Flatten);
        let want_batch = parquet_out && plan.transformation != Some(Transformation::None);
        let needs_inputs = plan.transformation == Some(Transformation::None);
        let window = self.ex.threads().max(1);
        let todo: Vec<(Unit, Option<usize>)> = units
            .units()
            .iter()
            // Units a checkpoint says are done (checkpoints fall between windows, so
            // between units).
            .filter(|u| u.first_row >= skip as u64)
            .filter_map(|u| match limit {
                Some(n) if u.first_row >= n => None,
                Some(n) if u.first_row + u.rows > n => Some((*u, Some((n - u.first_row) as usize))),
                _ => Some((*u, None)),
            })
            .collect();
        let opts = UnitOpts {
            pushed: plan.pushed(),
            want_batch,
            flatten,
            needs_inputs,
        };
        for w in todo.chunks(window) {
            let outs: Vec<Result<UnitOut, Failure>> = self.ex.in_pool(|| {
                w.par_iter()
                    .map(|(u, rows)| unit(units, u, *rows, program, &opts))
                    .collect()
            });
            for ((u, rows), out) in w.iter().zip(outs) {
                drain.base = u.first_row as usize;
                match out? {
                    UnitOut::Pieces(pieces) => {
                        self.ex.in_pool(|| {
                            pieces.into_iter().try_for_each(|p| drain_piece(p, drain))
                        })?;
                        let n = rows.map_or(u.rows, |r| r as u64);
                        c.ctl.counters.done.fetch_add(n, Ordering::Relaxed);
                        drain.base = (u.first_row + n) as usize;
                    }
                    UnitOut::Rows(batches) => {
                        for b in batches {
                            if !self.run_rows(c, drain, reader::batch_to_items(&b), true)? {
                                return Ok(());
                            }
                        }
                    }
                }
            }
            if let Some(cp) = checkpoints {
                let read = drain.base;
                cp.maybe(drain, c.ctl, read, false)?;
            }
        }
        // Items after the last unit (skipped row groups) still count.
        let end = units.total_rows().min(limit.unwrap_or(u64::MAX));
        drain.base = drain.base.max(end as usize);
        Ok(())
    }

    /// A chunk of items read as one record batch (CSV rows, values as strings) straight
    /// through the kernels, in slices run in parallel and drained in order; a slice the
    /// kernels refuse (or a row that fails) sends the whole chunk through the row
    /// interpreter. Returns false when the Map must stop.
    pub(super) fn run_batch_chunk(
        &self,
        b: RecordBatch,
        program: &ColumnarProgram,
        plan: &ReadPlan,
        c: &ChunkCtx<'_, '_>,
        drain: &mut Drain,
    ) -> Result<bool, Failure> {
        drain.settle()?;
        let parquet_out = drain.sink.as_ref().is_some_and(|s| s.writes_parquet());
        let opts = UnitOpts {
            pushed: false,
            want_batch: parquet_out && plan.transformation != Some(Transformation::None),
            flatten: plan.transformation == Some(Transformation::Flatten),
            needs_inputs: plan.transformation == Some(Transformation::None),
        };
        let n = b.num_rows();
        let part = super::COLUMNAR_PARTITION;
        let slices: Vec<RecordBatch> = (0..n)
            .step_by(part)
            .map(|at| b.slice(at, part.min(n - at)))
            .collect();
        let pieces: Vec<Option<Piece>> = self.ex.in_pool(|| {
            slices
                .par_iter()
                .map(|s| batch_piece(s, program, &opts))
                .collect()
        });
        let Some(pieces) = pieces.into_iter().collect::<Option<Vec<Piece>>>() else {
            return self.run_rows(c, drain, reader::batch_to_items(&b), true);
        };
        let start = drain.base;
        // On the Map's pool: a JSON writer serializes in parallel on the current pool.
        self.ex
            .in_pool(|| pieces.into_iter().try_for_each(|p| drain_piece(p, drain)))?;
        c.ctl.counters.done.fetch_add(n as u64, Ordering::Relaxed);
        drain.base = start + n;
        Ok(true)
    }
}

/// Writes one piece's outputs (item indices are set per unit by the caller).
fn drain_piece(p: Piece, drain: &mut Drain) -> Result<(), Failure> {
    match p {
        Piece::Batch(batch) => match &mut drain.sink {
            Some(s) if s.takes_batches(&batch.schema()) => s.write_succeeded_batch(&batch),
            // The files so far have another schema: these rows as JSON.
            _ => drain.succeeded(reader::batch_to_items(&batch), None),
        },
        Piece::Values { outputs, inputs } => drain.succeeded(outputs, inputs),
    }
}

struct UnitOpts {
    pushed: bool,
    want_batch: bool,
    flatten: bool,
    needs_inputs: bool,
}

fn unit(
    units: &ParquetUnits,
    u: &Unit,
    rows: Option<usize>,
    program: &ColumnarProgram,
    o: &UnitOpts,
) -> Result<UnitOut, Failure> {
    let mut pieces = Vec::new();
    for b in units.read(u, o.pushed, rows)? {
        let b = b?;
        let Some(piece) = batch_piece(&b, program, o) else {
            let all = units.read(u, false, rows)?.collect::<Result<_, _>>()?;
            return Ok(UnitOut::Rows(all));
        };
        pieces.push(piece);
    }
    Ok(UnitOut::Pieces(pieces))
}

/// One batch through the kernels: its outputs as rows for a Parquet writer or as JSON
/// values; None when the kernels refuse it or a row fails.
fn batch_piece(b: &RecordBatch, program: &ColumnarProgram, o: &UnitOpts) -> Option<Piece> {
    let out = normalize(b)
        .and_then(|nb| program.run(&nb).ok())
        .filter(|out| out.failures.is_empty())?;
    let assembled = if o.want_batch {
        assemble(&out, o.flatten)
    } else {
        None
    };
    Some(match assembled {
        Some(batch) => Piece::Batch(batch),
        None => Piece::Values {
            outputs: out.to_json(),
            inputs: o.needs_inputs.then(|| reader::batch_to_items(b)),
        },
    })
}

/// A Parquet batch in the kernels' types, with the values `batch_to_items` would give:
/// narrower integers and floats widened, dictionaries and other string layouts as Utf8.
/// None when a column can't be (an unsigned value beyond i64).
fn normalize(b: &RecordBatch) -> Option<RecordBatch> {
    let schema = b.schema();
    if schema.fields().iter().all(|f| {
        matches!(
            f.data_type(),
            DataType::Int64 | DataType::Float64 | DataType::Utf8 | DataType::Boolean
        )
    }) {
        return Some(b.clone());
    }
    let mut fields = Vec::with_capacity(b.num_columns());
    let mut cols = Vec::with_capacity(b.num_columns());
    for (f, c) in schema.fields().iter().zip(b.columns()) {
        let c = widen(c)?;
        fields.push(Field::new(f.name(), c.data_type().clone(), f.is_nullable()));
        cols.push(c);
    }
    let opts = RecordBatchOptions::new().with_row_count(Some(b.num_rows()));
    RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), cols, &opts).ok()
}

fn widen(c: &ArrayRef) -> Option<ArrayRef> {
    let to = match c.data_type() {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => DataType::Int64,
        DataType::Float16 | DataType::Float32 => DataType::Float64,
        DataType::LargeUtf8 | DataType::Utf8View => DataType::Utf8,
        DataType::Dictionary(_, v) => match v.as_ref() {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => DataType::Utf8,
            _ => return Some(c.clone()),
        },
        _ => return Some(c.clone()),
    };
    // Safe casts: an unsigned value beyond i64 is an error, not a wrapped number.
    cast_with_options(c, &to, &CastOptions::default()).ok()
}

/// The outputs of one batch as rows for a Parquet writer, in item order, or None when
/// they are not rows of one schema (scalars, arrays under COMPACT, literal columns,
/// paths of different shapes).
fn assemble(out: &ColumnarOutput, flatten: bool) -> Option<RecordBatch> {
    let mut parts: Vec<(&arrow::array::UInt32Array, RecordBatch)> = Vec::new();
    for (idx, b) in &out.groups {
        let schema = b.schema();
        if schema.metadata().contains_key(SCALAR_KEY) {
            let (f, c) = (schema.fields().first()?, b.columns().first()?);
            if let Some(text) = f.metadata().get(CONST_KEY) {
                // `[]` under FLATTEN: the items contribute nothing.
                match serde_json::from_str::<Value>(text).ok()? {
                    Value::Array(a) if a.is_empty() && flatten => continue,
                    _ => return None,
                }
            }
            // `[x]` under FLATTEN: the rows are the x.
            let list = c.as_list_opt::<i32>().filter(|_| flatten)?;
            let offsets = list.value_offsets();
            let first = *offsets.first()?;
            if offsets
                .iter()
                .enumerate()
                .any(|(i, o)| i64::from(*o - first) != i as i64)
            {
                return None;
            }
            let values = list.values().slice(first as usize, list.len());
            let s = values.as_struct_opt()?;
            parts.push((idx, RecordBatch::from(s.clone())));
        } else {
            parts.push((idx, b.clone()));
        }
    }
    let rows: Vec<RecordBatch> = parts.iter().map(|(_, b)| plain(b)).collect::<Option<_>>()?;
    match rows.len() {
        0 => Some(RecordBatch::new_empty(Arc::new(Schema::empty()))),
        1 => rows.into_iter().next(),
        _ => {
            let schema = rows[0].schema();
            if rows.iter().any(|r| r.schema() != schema) {
                return None;
            }
            // Merge the groups back into item order.
            let mut order: Vec<(u32, usize, usize)> = parts
                .iter()
                .enumerate()
                .flat_map(|(g, (idx, _))| {
                    idx.values()
                        .iter()
                        .enumerate()
                        .map(move |(r, i)| (*i, g, r))
                })
                .collect();
            order.sort_unstable();
            let indices: Vec<(usize, usize)> = order.into_iter().map(|(_, g, r)| (g, r)).collect();
            let refs: Vec<&RecordBatch> = rows.iter().collect();
            interleave_record_batch(&refs, &indices).ok()
        }
    }
}

/// A batch with nullable, metadata-free fields (the schema a JSON-inferred writer would
/// have), or None when a column is a literal or null column somewhere inside.
fn plain(b: &RecordBatch) -> Option<RecordBatch> {
    let mut fields = Vec::with_capacity(b.num_columns());
    for (f, c) in b.schema().fields().iter().zip(b.columns()) {
        if has_null_type(c.data_type()) {
            return None;
        }
        fields.push(Field::new(f.name(), c.data_type().clone(), true));
    }
    let opts = RecordBatchOptions::new().with_row_count(Some(b.num_rows()));
    RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), b.columns().to_vec(), &opts)
        .ok()
}

fn has_null_type(t: &DataType) -> bool {
    match t {
        DataType::Null => true,
        DataType::Struct(fs) => fs.iter().any(|f| has_null_type(f.data_type())),
        DataType::List(f) | DataType::LargeList(f) => has_null_type(f.data_type()),
        _ => false,
    }
}
