//! File descriptors: the open-file limit raised to hold `max_connections` (or start-up stops),
//! and the accept loop's back-off when accepting fails all the same.

use crate::config::ServerConfig;
use crate::error::Error;
use std::time::{Duration, Instant};

/// Descriptors kept for everything but client connections: the listener, the store file or
/// Riak sockets, memcached sockets, standard streams, and a margin (4 per worker thread covers
/// three Riak nodes and a cache server, each pooled per worker).
pub(crate) fn reserve(workers: usize) -> u64 {
    64 + 4 * workers as u64
}

/// The open files a server with this configuration needs: one per connection, and the reserve.
pub fn open_files_needed(config: &ServerConfig) -> u64 {
    config.max_connections as u64 + reserve(config.workers())
}

/// Raises the soft limit to what `max_connections` needs (or the hard limit) and checks it.
pub(crate) fn ensure_limit(max_connections: usize, workers: usize) -> Result<u64, Error> {
    let needed = max_connections as u64 + reserve(workers);
    let soft = rlimit::increase_nofile_limit(needed)
        .map_err(|e| Error::start("cannot read the open-file limit", e))?;
    if soft < needed {
        return Err(Error::Config(format!(
            "server.max_connections = {max_connections} needs {needed} open files but the \
             limit is {soft} (raise it with `ulimit -n`, or lower max_connections to {})",
            soft.saturating_sub(reserve(workers))
        )));
    }
    Ok(soft)
}

/// How the accept loop waits after a failed `accept`, and when it may log about it.
pub(crate) struct AcceptBackoff {
    delay: Duration,
    last_log: Option<Instant>,
    /// Failures since the last log line.
    failures: u64,
}

const FIRST_DELAY: Duration = Duration::from_millis(5);
const MAX_DELAY: Duration = Duration::from_millis(500);
/// At most one log line per this interval, however often accepting fails.
pub(crate) const LOG_INTERVAL: Duration = Duration::from_secs(10);

impl Default for AcceptBackoff {
    fn default() -> Self {
        AcceptBackoff {
            delay: FIRST_DELAY,
            last_log: None,
            failures: 0,
        }
    }
}

impl AcceptBackoff {
    /// A failure at `now`: how long to sleep, and the failure count to log (`None`: stay quiet).
    pub(crate) fn failed(&mut self, now: Instant) -> (Duration, Option<u64>) {
        self.failures += 1;
        let sleep = self.delay;
        self.delay = (self.delay * 2).min(MAX_DELAY);
        let due = self
            .last_log
            .is_none_or(|last| now.duration_since(last) >= LOG_INTERVAL);
        if !due {
            return (sleep, None);
        }
        self.last_log = Some(now);
        let count = std::mem::take(&mut self.failures);
        (sleep, Some(count))
    }

    /// An accept succeeded: the next failure sleeps briefly again.
    pub(crate) fn succeeded(&mut self) {
        self.delay = FIRST_DELAY;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_back_off_and_log_once_per_interval() {
        let mut backoff = AcceptBackoff::default();
        let start = Instant::now();
        let (first, log) = backoff.failed(start);
        assert_eq!((first, log), (FIRST_DELAY, Some(1)));
        let mut slept = first;
        for i in 1..200u32 {
            let (sleep, log) = backoff.failed(start + Duration::from_millis(i.into()));
            assert!(log.is_none(), "quiet within the interval");
            assert!(
                sleep >= slept && sleep <= MAX_DELAY,
                "never shorter, bounded"
            );
            slept = sleep;
        }
        assert_eq!(slept, MAX_DELAY);
        let (_, log) = backoff.failed(start + LOG_INTERVAL);
        assert_eq!(log, Some(200), "the failures since the last line");
        backoff.succeeded();
        assert_eq!(backoff.failed(start + LOG_INTERVAL).0, FIRST_DELAY);
    }

    #[test]
    fn the_limit_covers_the_connections() {
        let soft = ensure_limit(10, 1).unwrap();
        assert!(soft >= 10 + reserve(1));
        let err = ensure_limit(usize::MAX / 2, 1).unwrap_err().to_string();
        assert!(err.contains("max_connections"), "{err}");
    }
}
