//! CSV: streamed with arrow-csv into all-Utf8 record batches (values exactly as written;
//! empty fields are `""`, as AWS gives them).
use super::{Chunk, CsvHeaders, CsvOptions, ItemStream, Loc, ReadOptions};
use crate::asl::Failure;
use arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow::csv::ReaderBuilder;
use arrow::csv::reader::Format;
use arrow::datatypes::{DataType, Field, Schema};
use std::io::BufReader;
use std::sync::Arc;

/// The header names of a CSV object.
pub(super) fn header_names(loc: &Loc, csv: &CsvOptions) -> Result<Vec<String>, Failure> {
    match &csv.headers {
        CsvHeaders::Given(h) => Ok(h.clone()),
        CsvHeaders::FirstRow => {
            let file = loc.open()?;
            let (schema, _) = Format::default()
                .with_header(true)
                .with_delimiter(csv.delimiter)
                .infer_schema(BufReader::new(file), Some(0))
                .map_err(|e| loc.bad(format!("cannot read the CSV header: {e}")))?;
            let mut names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
            if let Some(first) = names.first_mut()
                && let Some(s) = first.strip_prefix('\u{feff}')
            {
                *first = s.to_string();
            }
            Ok(names)
        }
    }
}

/// Streams a CSV object as batches of strings, keeping only the projected columns (in file
/// order) when a projection is given.
pub(super) fn open(loc: &Loc, csv: &CsvOptions, opts: &ReadOptions) -> Result<ItemStream, Failure> {
    let names = header_names(loc, csv)?;
    if names.is_empty() {
        return Ok(Box::new(std::iter::empty()));
    }
    let schema = Arc::new(Schema::new(
        names
            .iter()
            .map(|n| Field::new(n, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let mut builder = ReaderBuilder::new(schema)
        .with_header(matches!(csv.headers, CsvHeaders::FirstRow))
        .with_delimiter(csv.delimiter)
        .with_batch_size(opts.rows());
    if let Some(cols) = &opts.projection {
        let idx: Vec<usize> = names
            .iter()
            .enumerate()
            .filter(|(_, n)| cols.iter().any(|c| c == *n))
            .map(|(i, _)| i)
            .collect();
        builder = builder.with_projection(idx);
    }
    let reader = builder
        .build(loc.open()?)
        .map_err(|e| loc.bad(format!("cannot read the CSV content: {e}")))?;
    let loc = loc.clone();
    let mut failed = false;
    Ok(Box::new(reader.map_while(move |r| {
        if failed {
            return None;
        }
        Some(match r {
            Ok(b) => Ok(Chunk::Batch(empty_not_null(b))),
            Err(e) => {
                failed = true;
                Err(loc.bad(format!("invalid CSV content: {e}")))
            }
        })
    })))
}

/// arrow-csv reads empty fields as nulls: AWS gives `""`.
pub(super) fn empty_not_null(b: RecordBatch) -> RecordBatch {
    if b.columns().iter().all(|c| c.null_count() == 0) {
        return b;
    }
    let cols: Vec<ArrayRef> = b
        .columns()
        .iter()
        .map(|c| match c.as_any().downcast_ref::<StringArray>() {
            Some(s) if s.null_count() > 0 => Arc::new(
                s.iter()
                    .map(|v| Some(v.unwrap_or("")))
                    .collect::<StringArray>(),
            ) as ArrayRef,
            _ => c.clone(),
        })
        .collect();
    RecordBatch::try_new(b.schema(), cols).unwrap_or(b)
}
