//! `asl run --each-line`: one Express execution per JSON line (placeholder).

use super::args::RunArgs;
use asl_engine::asl::model::StateMachine;
use asl_engine::exec::Executor;

pub fn run_each_line(_ex: &Executor, _sm: StateMachine, _a: &RunArgs) -> i32 {
    eprintln!("asl run: --each-line is not built yet");
    super::EXIT_USAGE
}
