//! Parquet result files (a local extension: AWS writes only JSON and JSON Lines).

use super::atomic::AtomicFile;
use ::parquet::arrow::ArrowWriter;
use ::parquet::basic::Compression;
use ::parquet::file::properties::WriterProperties;
use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::error::ArrowError;
use arrow::json::reader::{ReaderBuilder, infer_json_schema_from_iterator};
use serde_json::Value;
use std::io;
use std::path::Path;
use std::sync::Arc;

/// The column a non-object output is written to (Parquet rows are objects).
pub const VALUE_COLUMN: &str = "value";

/// Parquet rows are objects: a value that is not one becomes `{"value": v}`.
pub(crate) fn as_row(v: Value) -> Value {
    match v {
        Value::Object(_) => v,
        other => {
            let mut m = serde_json::Map::new();
            m.insert(VALUE_COLUMN.to_string(), other);
            Value::Object(m)
        }
    }
}

/// The schema of rows, inferred from `rows` (the first chunk). A column that is null
/// throughout becomes a nullable string, so later chunks can fill it.
pub(crate) fn infer_schema(rows: &[Value]) -> Result<SchemaRef, ArrowError> {
    let schema = infer_json_schema_from_iterator(rows.iter().map(Ok::<_, ArrowError>))?;
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            DataType::Null => Field::new(f.name(), DataType::Utf8, true),
            _ => f.as_ref().clone(),
        })
        .collect();
    Ok(Arc::new(Schema::new(fields)))
}

/// Decodes JSON rows into one record batch of `schema` (arrow's JSON decoder: fields not in
/// the schema are ignored, missing ones are null, scalars are coerced to string columns).
pub(crate) fn decode_rows(schema: &SchemaRef, rows: &[Value]) -> Result<RecordBatch, ArrowError> {
    let mut decoder = ReaderBuilder::new(schema.clone())
        .with_batch_size(rows.len().max(1))
        .with_coerce_primitive(true)
        .build_decoder()?;
    decoder.serialize(rows)?;
    Ok(decoder
        .flush()?
        .unwrap_or_else(|| RecordBatch::new_empty(schema.clone())))
}

/// Rows per row group of a result file: the writer holds a row group's pages in memory
/// until it is complete, so this bounds the writer's memory (and matches what readers
/// decode in parallel, as `asl datasets` writes).
const ROW_GROUP_ROWS: usize = 128 * 1024;

fn props() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build()
}

fn to_io(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// One Parquet result file in progress.
pub(crate) struct ParquetPart {
    writer: ArrowWriter<AtomicFile>,
    items: usize,
    path: std::path::PathBuf,
}

impl ParquetPart {
    pub(crate) fn create(path: &Path, schema: SchemaRef) -> io::Result<ParquetPart> {
        let file = AtomicFile::create(path)?;
        let writer = ArrowWriter::try_new(file, schema, Some(props())).map_err(to_io)?;
        Ok(ParquetPart {
            writer,
            items: 0,
            path: path.to_path_buf(),
        })
    }

    pub(crate) fn items(&self) -> usize {
        self.items
    }

    /// Bytes written plus the buffered row group's estimate.
    pub(crate) fn size(&self) -> u64 {
        (self.writer.bytes_written() + self.writer.in_progress_size()) as u64
    }

    pub(crate) fn write(&mut self, batch: &RecordBatch) -> io::Result<()> {
        self.writer.write(batch).map_err(to_io)?;
        self.items += batch.num_rows();
        Ok(())
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the footer, then fsyncs and renames into place. Returns the size.
    pub(crate) fn commit(self) -> io::Result<u64> {
        let file = self.writer.into_inner().map_err(to_io)?;
        file.commit()
    }
}

/// Writes record batches to a Parquet file (snappy) atomically: a temporary name in the same
/// folder, fsync, rename. Returns the file's size. The schema is the first batch's (`schema`
/// when there are none).
pub(crate) fn write_batches(
    path: &Path,
    schema: SchemaRef,
    batches: &[RecordBatch],
) -> io::Result<u64> {
    let schema = batches.first().map(|b| b.schema()).unwrap_or(schema);
    let mut part = ParquetPart::create(path, schema)?;
    for b in batches {
        part.write(b)?;
    }
    part.commit()
}
