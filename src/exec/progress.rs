//! A progress line for long Maps on stderr: items done, items/s, failures.

use super::Progress;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Counters a Map updates (per partition, not per item) and the bar reads.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub done: AtomicU64,
    pub failures: AtomicU64,
}

/// Prints while alive; the last line is printed when dropped.
pub(crate) struct ProgressBar {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

/// Maps smaller than this show no bar unless asked (`--progress`).
const MIN_ITEMS: usize = 10_000;

impl ProgressBar {
    pub fn start(
        mode: Progress,
        name: &str,
        total: usize,
        counters: &Arc<Counters>,
    ) -> ProgressBar {
        let show = match mode {
            Progress::Never => false,
            Progress::Always => true,
            Progress::Auto => total >= MIN_ITEMS && std::io::stderr().is_terminal(),
        };
        let stop = Arc::new(AtomicBool::new(false));
        if !show {
            return ProgressBar { stop, handle: None };
        }
        let (c, s, name) = (counters.clone(), stop.clone(), name.to_string());
        let handle = std::thread::Builder::new()
            .name("asl-progress".into())
            .spawn(move || {
                let start = Instant::now();
                loop {
                    let last = s.load(Ordering::Relaxed);
                    let done = c.done.load(Ordering::Relaxed);
                    let secs = start.elapsed().as_secs_f64().max(1e-9);
                    let mut err = std::io::stderr().lock();
                    let _ = write!(
                        err,
                        "\r[{name}] {done}/{total} items, {:.0} items/s, {} failures",
                        done as f64 / secs,
                        c.failures.load(Ordering::Relaxed)
                    );
                    if last {
                        let _ = writeln!(err);
                        break;
                    }
                    drop(err);
                    std::thread::sleep(Duration::from_millis(200));
                }
            })
            .ok();
        ProgressBar { stop, handle }
    }
}

impl Drop for ProgressBar {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}
