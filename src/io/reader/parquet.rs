//! PARQUET: parquet's arrow reader, native types, projection of top-level columns and
//! row-group filtering (predicate pushdown).
use super::{Chunk, ItemStream, Loc, ReadOptions};
use crate::asl::Failure;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
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
        let roots: Vec<usize> = schema
            .root_schema()
            .get_fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| cols.iter().any(|c| c == f.name()))
            .map(|(i, _)| i)
            .collect();
        builder = builder.with_projection(ProjectionMask::roots(&schema, roots));
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

/// The (min, max) of an integer column in a row group, from its statistics: `column` is a
/// top-level column name (or a dotted path). None when the column is missing, not an integer,
/// or has no min/max statistics.
pub fn column_stats_i64(
    rg: &RowGroupMetaData,
    schema: &SchemaDescriptor,
    column: &str,
) -> Option<(i64, i64)> {
    let idx = (0..schema.num_columns()).find(|&i| {
        let c = schema.column(i);
        c.path().string() == column || (c.path().parts().len() == 1 && c.name() == column)
    })?;
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
