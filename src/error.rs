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
