//! What the nodes of one stand-in cluster share besides the data: the server queue of the real
//! profile, and which nodes are away or restarting.
//!
//! While a node restarts, a real cluster reads from fallback replicas that start empty, and a
//! replica answering "not found" counts toward the read quorum under Riak's default
//! `notfound_ok=true`: a read of a key that exists sometimes answers not found (a few in 10,000
//! on the recorded cluster). With `notfound_ok=false` only real values satisfy the quorum: such a
//! read finds the value, except the first few, which fail because the quorum cannot be met (HTTP
//! 503, PBC `timeout`). Which reads are hit is a fixed pseudo-random sequence, so a run repeats.

use crate::model::Queue;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// What a read of a key that exists answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// The value, as usual.
    Value,
    /// Not found: fallbacks answered first (only with `notfound_ok=true`).
    NotFound,
    /// The read quorum could not be met (only with `notfound_ok=false`, early in a restart).
    Unavailable,
}

/// The shared state of one cluster. Cheap to share behind an `Arc`.
#[derive(Default)]
pub struct Cluster {
    pub queue: Queue,
    /// Signalled when a ring node changes state: coordinators waiting for it look again.
    pub changed: Condvar,
    state: Mutex<State>,
    draws: AtomicU64,
}

#[derive(Default)]
struct State {
    /// Nodes away (`None`) or settling until an instant after their restart.
    restarting: HashMap<u64, Option<Instant>>,
    /// Quorum failures still to give in this restart.
    errors_left: u32,
}

impl Cluster {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Node `id` went away; the first `errors` strict reads of existing keys will fail.
    pub fn node_away(&self, id: u64, errors: u32) {
        let mut state = self.state();
        state.restarting.insert(id, None);
        state.errors_left = errors;
    }

    /// Node `id` is back; its replicas catch up within `settle`.
    pub fn node_back(&self, id: u64, settle: Duration) {
        self.state()
            .restarting
            .insert(id, Some(Instant::now() + settle));
    }

    /// Whether some node is away or still catching up.
    pub fn degraded(&self) -> bool {
        let mut state = self.state();
        let now = Instant::now();
        state
            .restarting
            .retain(|_, until| until.is_none_or(|t| t > now));
        !state.restarting.is_empty()
    }

    /// The answer to a read of a key that exists, on a node whose reads are hit at `rate`.
    pub fn read(&self, rate: f64, notfound_ok: bool) -> Read {
        if rate <= 0.0 || !self.degraded() {
            return Read::Value;
        }
        let n = self.draws.fetch_add(1, Ordering::Relaxed);
        if unit(n) >= rate {
            return Read::Value;
        }
        if notfound_ok {
            return Read::NotFound;
        }
        let mut state = self.state();
        if state.errors_left > 0 {
            state.errors_left -= 1;
            return Read::Unavailable;
        }
        Read::Value
    }
}

/// The `n`th number of a fixed sequence, spread evenly over `0..1` (splitmix64).
pub(crate) fn unit(n: u64) -> f64 {
    let mut z = n.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_hit_only_while_degraded_and_strict_reads_never_miss() {
        let cluster = Cluster::default();
        assert!((0..1000).all(|_| cluster.read(0.5, true) == Read::Value));
        cluster.node_away(1, 2);
        let loose: Vec<Read> = (0..1000).map(|_| cluster.read(0.1, true)).collect();
        let misses = loose.iter().filter(|r| **r == Read::NotFound).count();
        assert!((60..140).contains(&misses), "about 10 %: {misses}");
        let strict: Vec<Read> = (0..1000).map(|_| cluster.read(0.1, false)).collect();
        assert!(!strict.contains(&Read::NotFound));
        let failed = strict.iter().filter(|r| **r == Read::Unavailable).count();
        assert_eq!(failed, 2, "only the first hits of a restart fail");
        cluster.node_back(1, Duration::ZERO);
        assert!(!cluster.degraded());
        assert_eq!(cluster.read(1.0, true), Read::Value);
    }
}
