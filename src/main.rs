//! The `asl` command: run and validate Step Functions state machines locally.

mod cli;

use mimalloc::MiMalloc;

#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

/// mimalloc's `mi_option_purge_delay` (v3's `mi_option_e`; the crate names no constant).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

fn main() {
    // mimalloc gives freed pages back to the OS after 10 ms by default; a data plane that
    // frees and allocates batch buffers all the time then spends a third of its time in
    // the kernel zeroing pages again (`perf`: clear_page_erms). A second keeps them.
    // SAFETY: setting an option is a plain store mimalloc allows at any time.
    // MIMALLOC_PURGE_DELAY, when set, is the user's choice and stands.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 100) };
    }
    std::process::exit(cli::main());
}
