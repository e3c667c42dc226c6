//! The `asl` command: run and validate Step Functions state machines locally.

mod cli;

use mimalloc::MiMalloc;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

fn main() {
    std::process::exit(cli::main());
}
