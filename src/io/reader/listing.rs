//! `s3:listObjectsV2`: the files of a bucket folder whose keys start with a prefix.
use super::{Chunk, InputType, ItemStream, Loc, ReadOptions, ReaderConfig, fail, key_path};
use crate::asl::Failure;
use crate::io::Buckets;
use md5::{Digest, Md5};
use serde_json::{Map, Value};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// The objects under a prefix, sorted by key (byte order, as S3).
pub(super) fn list(
    bucket: &str,
    root: &Path,
    prefix: &str,
) -> Result<Vec<(String, PathBuf)>, Failure> {
    let dir_part = prefix.rfind('/').map_or("", |i| &prefix[..i]);
    let start = key_path(root, bucket, dir_part)?;
    let mut out = Vec::new();
    if start.is_dir() {
        let base = dir_part.trim_matches('/');
        walk(&start, base, prefix, bucket, &mut out)?;
    }
    out.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    Ok(out)
}

fn walk(
    dir: &Path,
    key_dir: &str,
    prefix: &str,
    bucket: &str,
    out: &mut Vec<(String, PathBuf)>,
) -> Result<(), Failure> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        fail(format!(
            "Unable to list the objects (Bucket: {bucket}, Prefix: {prefix}, local folder: {}): {e}",
            dir.display()
        ))
    })?;
    for entry in entries {
        let entry = entry.map_err(|e| {
            fail(format!(
                "Unable to list the objects (Bucket: {bucket}, Prefix: {prefix}): {e}"
            ))
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let key = if key_dir.is_empty() {
            name
        } else {
            format!("{key_dir}/{name}")
        };
        let path = entry.path();
        let ft = entry.file_type().map_err(|e| {
            fail(format!(
                "Unable to list {} (Bucket: {bucket}): {e}",
                path.display()
            ))
        })?;
        let is_file = ft.is_file() || (ft.is_symlink() && path.is_file());
        if ft.is_dir() {
            // Only descend where keys can still match the prefix.
            let sub = format!("{key}/");
            if sub.starts_with(prefix) || prefix.starts_with(&sub) {
                walk(&path, &key, prefix, bucket, out)?;
            }
        } else if is_file && key.starts_with(prefix) {
            out.push((key, path));
        }
    }
    Ok(())
}

fn md5_hex(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Md5::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// One listing item: `Etag` (the MD5 of the content, quoted, as S3 gives it for objects not
/// uploaded in parts; only when `with_etag`), `Key`, `LastModified` (epoch seconds),
/// `Size`, `StorageClass`.
fn item(bucket: &str, key: &str, path: &Path, with_etag: bool) -> Result<Value, Failure> {
    let io = |e: std::io::Error| {
        fail(format!(
            "Unable to read the object (Bucket: {bucket}, Key: {key}, local path: {}): {e}",
            path.display()
        ))
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    let mut m = Map::new();
    if with_etag {
        m.insert(
            "Etag".into(),
            Value::String(format!("\"{}\"", md5_hex(path).map_err(io)?)),
        );
    }
    m.insert("Key".into(), Value::String(key.to_string()));
    m.insert("LastModified".into(), modified.into());
    m.insert("Size".into(), meta.len().into());
    m.insert("StorageClass".into(), "STANDARD".into());
    Ok(Value::Object(m))
}

pub(super) fn open(
    bucket: &str,
    root: &Path,
    prefix: &str,
    opts: &ReadOptions,
) -> Result<ItemStream, Failure> {
    let objects = list(bucket, root, prefix)?;
    let with_etag = opts
        .projection
        .as_ref()
        .is_none_or(|p| p.iter().any(|c| c == "Etag"));
    let rows = opts.rows();
    let bucket = bucket.to_string();
    let mut it = objects.into_iter();
    let mut failed = false;
    Ok(Box::new(std::iter::from_fn(move || {
        if failed {
            return None;
        }
        let mut chunk = Vec::new();
        for (key, path) in it.by_ref().take(rows) {
            match item(&bucket, &key, &path, with_etag) {
                Ok(v) => chunk.push(v),
                Err(e) => {
                    failed = true;
                    return Some(Err(e));
                }
            }
        }
        (!chunk.is_empty()).then_some(Ok(Chunk::Rows(chunk)))
    })))
}

/// `Transformation: LOAD_AND_FLATTEN`: the items of every listed object, in key order.
pub(super) fn open_flatten(
    cfg: &ReaderConfig,
    buckets: &Buckets,
    bucket: &str,
    root: &Path,
    prefix: &str,
    opts: &ReadOptions,
) -> Result<ItemStream, Failure> {
    let objects = list(bucket, root, prefix)?;
    let ty = cfg.input_type.unwrap_or(InputType::Json);
    let (cfg, buckets, opts, bucket) = (
        cfg.clone(),
        buckets.clone(),
        opts.clone(),
        bucket.to_string(),
    );
    Ok(concat(objects.into_iter().map(move |(key, path)| {
        let loc = Loc {
            bucket: bucket.clone(),
            key,
            path,
        };
        super::open_file(&cfg, ty, &buckets, &loc, &opts)
    })))
}

/// Chains streams, stopping after the first failure.
pub(super) fn concat(
    streams: impl Iterator<Item = Result<ItemStream, Failure>> + Send + 'static,
) -> ItemStream {
    let mut streams = streams;
    let mut cur: Option<ItemStream> = None;
    let mut failed = false;
    Box::new(std::iter::from_fn(move || {
        loop {
            if failed {
                return None;
            }
            if let Some(s) = cur.as_mut() {
                match s.next() {
                    Some(Ok(c)) => return Some(Ok(c)),
                    Some(Err(e)) => {
                        failed = true;
                        return Some(Err(e));
                    }
                    None => cur = None,
                }
            }
            match streams.next()? {
                Ok(s) => cur = Some(s),
                Err(e) => {
                    failed = true;
                    return Some(Err(e));
                }
            }
        }
    }))
}
