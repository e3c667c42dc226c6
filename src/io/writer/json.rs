//! JSON and JSON Lines result files, written record by record.

use super::atomic::AtomicFile;
use std::io::{self, Write};
use std::path::Path;

/// One result file in progress: a JSON array (`[r1,r2]`) or JSON Lines (`r1\nr2\n`).
pub(crate) struct JsonPart {
    file: AtomicFile,
    items: usize,
    lines: bool,
}

impl JsonPart {
    pub(crate) fn create(path: &Path, lines: bool) -> io::Result<JsonPart> {
        let mut file = AtomicFile::create(path)?;
        if !lines {
            file.write_all(b"[")?;
        }
        Ok(JsonPart {
            file,
            items: 0,
            lines,
        })
    }

    pub(crate) fn items(&self) -> usize {
        self.items
    }

    /// The size the file would have with one more record of `len` bytes.
    pub(crate) fn size_with(&self, len: usize) -> u64 {
        self.file.written() + len as u64 + 2
    }

    /// Appends one serialized record (a single JSON value, no newline in it).
    pub(crate) fn push(&mut self, record: &[u8]) -> io::Result<()> {
        let out = self.file.writer();
        if self.lines {
            out.write_all(record)?;
            out.write_all(b"\n")?;
        } else {
            if self.items > 0 {
                out.write_all(b",")?;
            }
            out.write_all(record)?;
        }
        self.items += 1;
        Ok(())
    }

    pub(crate) fn path(&self) -> &Path {
        self.file.path()
    }

    /// Closes the array, then fsyncs and renames into place. Returns the size.
    pub(crate) fn commit(mut self) -> io::Result<u64> {
        if !self.lines {
            self.file.write_all(b"]")?;
        }
        self.file.commit()
    }
}
