//! PARQUET: parquet's arrow reader, native types, projection of top-level columns and
//! row-group filtering (predicate pushdown).
use super::{Chunk, ItemStream, Loc, ReadOptions};
use crate::asl::Failure;
use arrow::array::RecordBatch;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{
    ArrowPredicateFn, ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
    RowFilter, RowSelectionPolicy,
};
use parquet::basic::ConvertedType;
use parquet::file::metadata::RowGroupMetaData;
use parquet::file::statistics::Statistics;
use parquet::schema::types::SchemaDescriptor;

pub(super) fn open(loc: &Loc, opts: &ReadOptions) -> Result<ItemStream, Failure> {
    let file = loc.open()?;
    let mut builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| loc.bad(format!("not a readable Parquet file: {e}")))?
        .with_batch_size(opts.rows());
    let meta = builder.metadata().clone();
    let schema = meta.file_metadata().schema_descr_ptr();
    if let Some(cols) = &opts.projection {
        builder = builder.with_projection(roots_mask(&schema, cols));
    }
    if let Some(keep) = &opts.row_group_filter {
        let groups: Vec<usize> = meta
            .row_groups()
            .iter()
            .enumerate()
            .filter(|(_, rg)| keep(rg, &schema))
            .map(|(i, _)| i)
            .collect();
        builder = builder.with_row_groups(groups);
    }
    let reader = builder
        .build()
        .map_err(|e| loc.bad(format!("cannot read the Parquet file: {e}")))?;
    let loc = loc.clone();
    let mut failed = false;
    Ok(Box::new(reader.map_while(move |r| {
        if failed {
            return None;
        }
        Some(match r {
            Ok(b) => Ok(Chunk::Batch(b)),
            Err(e) => {
                failed = true;
                Err(loc.bad(format!("invalid Parquet content: {e}")))
            }
        })
    })))
}

/// The top-level columns named `cols` (projection pushdown).
fn roots_mask(schema: &SchemaDescriptor, cols: &[String]) -> ProjectionMask {
    let roots: Vec<usize> = schema
        .root_schema()
        .get_fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| cols.iter().any(|c| c == f.name()))
        .map(|(i, _)| i)
        .collect();
    ProjectionMask::roots(schema, roots)
}

/// The leaf column named `column` at the top level, or (`dotted`) by its dotted path.
fn column_index(schema: &SchemaDescriptor, column: &str, dotted: bool) -> Option<usize> {
    (0..schema.num_columns()).find(|&i| {
        let c = schema.column(i);
        (dotted && c.path().string() == column)
            || (c.path().parts().len() == 1 && c.name() == column)
    })
}

/// The (min, max) of an integer column in a row group, from its statistics: `column` is a
/// top-level column name (or a dotted path). None when the column is missing, not an integer,
/// or has no min/max statistics.
pub fn column_stats_i64(
    rg: &RowGroupMetaData,
    schema: &SchemaDescriptor,
    column: &str,
) -> Option<(i64, i64)> {
    let idx = column_index(schema, column, true)?;
    let unsigned = matches!(
        schema.column(idx).converted_type(),
        ConvertedType::UINT_8
            | ConvertedType::UINT_16
            | ConvertedType::UINT_32
            | ConvertedType::UINT_64
    );
    let stats = rg.columns().get(idx)?.statistics()?;
    match stats {
        Statistics::Int32(s) if unsigned => Some((
            i64::from(*s.min_opt()? as u32),
            i64::from(*s.max_opt()? as u32),
        )),
        Statistics::Int32(s) => Some((i64::from(*s.min_opt()?), i64::from(*s.max_opt()?))),
        Statistics::Int64(s) if unsigned => Some((
            i64::try_from(*s.min_opt()? as u64).ok()?,
            i64::try_from(*s.max_opt()? as u64).ok()?,
        )),
        Statistics::Int64(s) => Some((*s.min_opt()?, *s.max_opt()?)),
        _ => None,
    }
}

/// A Parquet object as units (row groups) that decode independently, so that a caller
/// can decode several at once. Row groups the filter rules out are not units; their rows
/// still count for item indices ([`Unit::first_row`]).
pub struct ParquetUnits {
    loc: Loc,
    meta: ArrowReaderMetadata,
    units: Vec<Unit>,
    projection: Option<ProjectionMask>,
    predicate: Option<(ProjectionMask, super::RowPredicate)>,
    batch_rows: usize,
    skipped_rows: u64,
}

/// One row group to read.
#[derive(Debug, Clone, Copy)]
pub struct Unit {
    pub row_group: usize,
    /// Index (in the whole object) of the unit's first row.
    pub first_row: u64,
    pub rows: u64,
}

impl ParquetUnits {
    /// Reads the footer and decides the units (`opts.row_group_filter` applied).
    pub(super) fn open(loc: &Loc, opts: &ReadOptions) -> Result<ParquetUnits, Failure> {
        let file = loc.open()?;
        let meta = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
            .map_err(|e| loc.bad(format!("not a readable Parquet file: {e}")))?;
        let md = meta.metadata().clone();
        let schema = md.file_metadata().schema_descr_ptr();
        let mask = |cols: &[String]| roots_mask(&schema, cols);
        let projection = opts.projection.as_deref().map(mask);
        let predicate = opts
            .row_predicate
            .as_ref()
            .map(|p| (mask(&p.columns), p.clone()));
        let mut units = Vec::new();
        let (mut first_row, mut skipped_rows) = (0u64, 0u64);
        for (i, rg) in md.row_groups().iter().enumerate() {
            let rows = rg.num_rows().max(0) as u64;
            let keep = opts
                .row_group_filter
                .as_ref()
                .is_none_or(|f| f(rg, &schema));
            if keep {
                units.push(Unit {
                    row_group: i,
                    first_row,
                    rows,
                });
            } else {
                skipped_rows += rows;
            }
            first_row += rows;
        }
        Ok(ParquetUnits {
            loc: loc.clone(),
            meta,
            units,
            projection,
            predicate,
            batch_rows: opts.rows(),
            skipped_rows,
        })
    }

    pub fn units(&self) -> &[Unit] {
        &self.units
    }

    /// Rows in the row groups the filter ruled out.
    pub fn skipped_rows(&self) -> u64 {
        self.skipped_rows
    }

    /// All rows of the object.
    pub fn total_rows(&self) -> u64 {
        self.meta.metadata().file_metadata().num_rows().max(0) as u64
    }

    /// Decodes one unit, at most `limit` rows of it, with the projection and only the rows
    /// the row predicate keeps (`pushed`), or every column and row: the batches one at a
    /// time. A failure names the file and the row group.
    pub fn read(
        &self,
        unit: &Unit,
        pushed: bool,
        limit: Option<usize>,
    ) -> Result<impl Iterator<Item = Result<RecordBatch, Failure>> + use<'_>, Failure> {
        let file = self.loc.open()?;
        let unit = *unit;
        let bad = move |e: &dyn std::fmt::Display| {
            self.loc.bad(format!(
                "invalid Parquet content in row group {} (rows {} to {}): {e}",
                unit.row_group,
                unit.first_row + 1,
                unit.first_row + unit.rows
            ))
        };
        let mut builder =
            ParquetRecordBatchReaderBuilder::new_with_metadata(file, self.meta.clone())
                .with_batch_size(self.batch_rows)
                .with_row_groups(vec![unit.row_group]);
        if let (true, Some(p)) = (pushed, &self.projection) {
            builder = builder.with_projection(p.clone());
        }
        if let (true, Some((mask, p))) = (pushed, &self.predicate) {
            let keep = p.keep.clone();
            let f = ArrowPredicateFn::new(mask.clone(), move |b: RecordBatch| Ok(keep(&b)));
            // Skip the rows the filter drops rather than decode them all and mask them
            // out (parquet's default for selections as scattered as a filter's): the
            // other columns are then decoded for the kept rows only.
            builder = builder
                .with_row_filter(RowFilter::new(vec![Box::new(f)]))
                .with_row_selection_policy(RowSelectionPolicy::Selectors);
        }
        if let Some(n) = limit {
            builder = builder.with_limit(n);
        }
        let reader = builder.build().map_err(|e| bad(&e))?;
        Ok(reader.map(move |r| r.map_err(|e| bad(&e))))
    }
}

/// [`column_stats_i64`] of a column whose statistics say it has no nulls in the row group.
pub fn column_range_i64(
    rg: &RowGroupMetaData,
    schema: &SchemaDescriptor,
    column: &str,
) -> Option<(i64, i64)> {
    let idx = column_index(schema, column, false)?;
    let stats = rg.columns().get(idx)?.statistics()?;
    if stats.null_count_opt() != Some(0) {
        return None;
    }
    column_stats_i64(rg, schema, column)
}
