//! Command-line interface. Exit codes: 0 success, 1 the execution failed, 2 usage or
//! I/O error, 3 invalid definition.

/// `println!` that ignores a closed stdout (`asl explain | head`) instead of panicking.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `print!` that ignores a closed stdout.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod args;
mod bench;
mod datasets;
mod graph;
mod jsonata;
mod listen;
mod run;
mod send_task;
mod serve;
mod setup;
mod stream;
mod test;
mod test_state;
mod validate;

use clap::Parser;

pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILED: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_INVALID: i32 = 3;

pub fn main() -> i32 {
    let cli = match args::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    match cli.command {
        args::Command::Run(a) => run::run(a),
        args::Command::Validate(a) => validate::validate(a),
        args::Command::Explain(a) => run::explain(a),
        args::Command::Bench(a) => bench::bench(a),
        args::Command::Jsonata(a) => jsonata::jsonata(a),
        args::Command::Datasets(a) => datasets::datasets(a),
        args::Command::Serve(a) => serve::serve(a),
        args::Command::SendTaskSuccess(a) => send_task::send("SendTaskSuccess", a),
        args::Command::SendTaskFailure(a) => send_task::send("SendTaskFailure", a),
        args::Command::SendTaskHeartbeat(a) => send_task::send("SendTaskHeartbeat", a),
        args::Command::TestState(a) => test_state::test_state(a),
        args::Command::Test(a) => test::test(a),
        args::Command::Graph(a) => graph::graph(a),
    }
}

/// Reads a file, or stdin for `-`.
pub fn read_source(path: &str) -> Result<String, String> {
    if path == "-" {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
            .map_err(|e| format!("stdin: {e}"))?;
        Ok(s)
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))
    }
}
