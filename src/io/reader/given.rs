//! Items from data given as text instead of read from a bucket: TestState's
//! `stateConfiguration.mapItemReaderData`, "the data read by ItemReader in Distributed
//! Map states as found in its original source". The text goes through the same reader
//! as a real object (CSV headers and delimiters, JSON `ItemsPointer`, JSON lines,
//! `MaxItems`), from a private temporary file that is removed afterwards.
use super::{InputType, Limit, Loc, ReadOptions, ReaderConfig, Source, fail, open_file};
use crate::asl::Failure;
use crate::io::Buckets;
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};

/// A temporary file removed when dropped.
struct TempFile(std::path::PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn temp_file(text: &str) -> Result<TempFile, Failure> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let path = std::env::temp_dir().join(format!(
        "asl-item-reader-data-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, text).map_err(|e| {
        fail(format!(
            "could not hold the given data in {}: {e}",
            path.display()
        ))
    })?;
    Ok(TempFile(path))
}

/// The items `cfg` would read if its object held `text`. A listing's data is the
/// listing itself (a JSON array of objects or JSON lines); Parquet and manifests,
/// which are not text or name other objects, are refused.
pub fn read_given(cfg: &ReaderConfig, text: &str) -> Result<Vec<Value>, Failure> {
    let (bucket, key, ty) = match (&cfg.source, cfg.input_type, cfg.manifest_type) {
        (
            Source::Object { bucket, key },
            Some(ty @ (InputType::Json | InputType::Jsonl | InputType::Csv)),
            None,
        ) => (bucket.clone(), key.clone(), ty),
        (Source::Listing { bucket, prefix }, None, None) => {
            (bucket.clone(), prefix.clone(), listing_type(text))
        }
        (_, ty, manifest) => {
            let what = match manifest {
                Some(super::ManifestType::AthenaData) => "ATHENA_DATA manifest".to_string(),
                Some(super::ManifestType::S3Inventory) => "S3_INVENTORY manifest".to_string(),
                None => format!("{:?}", ty.unwrap_or(InputType::Json)).to_uppercase(),
            };
            return Err(fail(format!(
                "the given data can stand for a JSON, JSONL or CSV object or for a listing, not for a {what} source"
            )));
        }
    };
    let file = temp_file(text)?;
    let loc = Loc {
        bucket,
        key,
        path: file.0.clone(),
    };
    let stream = open_file(cfg, ty, &Buckets::default(), &loc, &ReadOptions::default())?;
    let stream: super::ItemStream = match cfg.max_items {
        Some(n) => Box::new(Limit {
            inner: stream,
            left: n,
        }),
        None => stream,
    };
    let mut items = Vec::new();
    for chunk in stream {
        items.extend(chunk?.into_items()?);
    }
    Ok(items)
}

/// A listing given as text: a JSON array, else JSON lines.
fn listing_type(text: &str) -> InputType {
    match text.trim_start().as_bytes().first() {
        Some(b'[') => InputType::Json,
        _ => InputType::Jsonl,
    }
}
