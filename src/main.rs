//! The `asl` command: run and validate Step Functions state machines locally.

mod cli;

use mimalloc::MiMalloc;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

/// mimalloc's `mi_option_purge_delay` (index 15 of `mi_option_e` in both mimalloc v2,
/// which the binary uses, and v3; the crate names no constant).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // mimalloc v2: v3 held more memory for the same runs (1M-row Parquet ETL on 2
    // threads: about 220 against 150 MiB peak). It gives freed pages back to the OS after
    // 10 ms by default; a data plane that frees and allocates batch buffers all the time
    // then spent up to a third of its time in the kernel zeroing pages again (`perf`:
    // clear_page_erms). 100 ms keeps them across batches. MIMALLOC_PURGE_DELAY, when
    // set, is the user's choice and stands.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: setting an option is a plain store mimalloc allows at any time.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 100) };
    }
    std::process::exit(cli::main());
}
