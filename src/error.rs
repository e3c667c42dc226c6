//! Library errors: things that stop the engine before or around an execution.
//! A failing *execution* is not an error here; it is an [`crate::asl::Failure`].

use crate::asl::validate::Diagnostic;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The definition is not valid ASL; every problem found is listed.
    #[error("invalid state machine definition:\n{}", format_diagnostics(.0))]
    Invalid(Vec<Diagnostic>),
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Input that is not JSON, a bad resources file, and other user input problems.
    #[error("{0}")]
    Input(String),
}

fn format_diagnostics(d: &[Diagnostic]) -> String {
    d.iter()
        .map(|d| format!("  {d}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads a JSON file (a resources or connections file); errors name the file.
pub fn read_json_file(path: &str) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
        path: path.to_string(),
        source: e,
    })?;
    serde_json::from_str(&text).map_err(|e| Error::Input(format!("{path}: not valid JSON: {e}")))
}
