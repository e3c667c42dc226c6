//! Real AWS clients (boto3 and the aws CLI) against `asl serve`.
//!
//! The Python tests live in tests/clients/ and run in `.venv`, which
//! `bash tests/setup.sh` creates. Without `.venv` they are skipped with a notice.

use std::path::Path;
use std::process::{Command, exit};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = root.join(".venv/bin/python");
    if !python.is_file() {
        println!("NOTICE: .venv not found (run bash tests/setup.sh); real-client tests skipped");
        return;
    }
    let status = Command::new(&python)
        .args([
            "-m",
            "pytest",
            "tests/clients",
            "-q",
            "-p",
            "no:cacheprovider",
        ])
        .current_dir(root)
        .env("ASL_BIN", env!("CARGO_BIN_EXE_asl"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .status()
        .unwrap_or_else(|e| panic!("failed to run {}: {e}", python.display()));
    // pytest exit codes: 0 passed, 1 failed, 2 interrupted, 3 internal error,
    // 4 usage error, 5 no tests collected (a failure here, never a silent pass).
    let code = match status.code() {
        Some(0) => 0,
        Some(5) => {
            eprintln!("pytest collected no tests in tests/clients");
            1
        }
        Some(code) => code,
        None => {
            eprintln!("pytest was killed by a signal: {status}");
            1
        }
    };
    exit(code);
}
