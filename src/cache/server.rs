//! One memcached server as the cache sees it: its pool of connections, and whether it is up
//! or skipped until its backoff ends, when one request (and only one) probes it again.

use super::memcached::Maker;
use super::BACKOFF;
use crate::pool::Pool;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub(super) struct McServer {
    pub addr: String,
    pub pool: Pool<Maker>,
    /// 0 when up; else skipped until this time (ms on the cache's clock).
    down_until: AtomicU64,
}

impl McServer {
    /// A server at `addr` (`host:port` or a socket path) with at most `pool_size` connections,
    /// up; none is opened yet.
    pub fn new(addr: &str, pool_size: usize, timeout: Duration) -> McServer {
        McServer {
            addr: addr.to_string(),
            pool: Pool::new(Maker::new(addr, timeout), pool_size),
            down_until: AtomicU64::new(0),
        }
    }

    /// Whether to try this server now: yes when up; when down, only for the one request that
    /// claims the probe once the backoff is over.
    pub fn usable(&self, now: u64) -> bool {
        let until = self.down_until.load(Ordering::Relaxed);
        until == 0
            || (now >= until
                && self
                    .down_until
                    .compare_exchange(
                        until,
                        now + backoff_ms(),
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    )
                    .is_ok())
    }

    /// Marks the server up; true when it was down (and that is logged).
    pub fn up(&self) -> bool {
        // Load first: a write on every operation would bounce the cache line between cores.
        let back = self.down_until.load(Ordering::Relaxed) != 0
            && self.down_until.swap(0, Ordering::Relaxed) != 0;
        if back {
            log::info!("cache: memcached {} answers again", self.addr);
        }
        back
    }

    pub fn down(&self, now: u64) {
        self.down_until.store(now + backoff_ms(), Ordering::Relaxed);
        // The idle sockets most likely point at the same dead or restarted process.
        self.pool.clear();
    }
}

fn backoff_ms() -> u64 {
    BACKOFF.as_millis() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_server_is_skipped_for_the_backoff_then_probed_by_one_request() {
        let server = McServer::new("127.0.0.1:9", 1, Duration::from_millis(100));
        let backoff = BACKOFF.as_millis() as u64;
        assert!(server.usable(5_000), "up");
        server.down(5_000);
        assert!(
            !server.usable(5_000 + backoff - 1),
            "skipped during the backoff"
        );
        assert!(server.usable(5_000 + backoff), "then one request probes it");
        assert!(
            !server.usable(5_000 + backoff),
            "while the others still skip it"
        );
        assert!(!server.usable(5_000 + 2 * backoff - 1));
        assert!(
            server.usable(5_000 + 2 * backoff),
            "the next probe a backoff later"
        );
        assert!(server.up(), "the probe succeeded: back");
        assert!(!server.up(), "already up");
        assert!(server.usable(5_000 + 2 * backoff + 1));
    }
}
