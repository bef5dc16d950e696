//! Progress on stderr for long-running commands: one line a second while work goes on.
//!
//! Workers only bump an atomic counter; a watcher thread turns it into a line, so reporting
//! never slows the work. On a terminal the line is rewritten in place.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Prints `label: N done (R/s)` every second until `stop` is set, then ends the line.
pub fn watch(label: &str, done: &AtomicU64, total: Option<u64>, stop: &AtomicBool) {
    let tty = std::io::stderr().is_terminal();
    let start = Instant::now();
    let mut next = start + Duration::from_secs(1);
    let mut printed = false;
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(50));
        if Instant::now() < next {
            continue;
        }
        next += Duration::from_secs(1);
        let n = done.load(Ordering::Relaxed);
        let rate = n as f64 / start.elapsed().as_secs_f64();
        let of = total.map(|t| format!(" of {t}")).unwrap_or_default();
        let line = format!("{label}: {n}{of} done, {rate:.0}/s");
        let mut err = std::io::stderr().lock();
        let _ = if tty {
            write!(err, "\r{line}\x1b[K")
        } else {
            writeln!(err, "{line}")
        };
        printed = true;
    }
    if printed && tty {
        eprintln!();
    }
}
