//! The real profile: how long a real 2-node Riak KV 3.2.3 cluster on a 2-core machine takes to
//! answer, per API and operation, and how much of the machine each answer uses.
//!
//! Every answer has a service time (cluster work: it occupies the one queue all nodes of a
//! cluster share, since the real nodes share two cores) and a latency (waiting that occupies
//! nothing: network hops, fsync, quorum round trips). The queue is virtual, so the model burns no
//! CPU: `start = max(now, free_at); free_at = start + service`, then the connection sleeps until
//! `start + service + latency`. One client sees `service + latency`; many clients together see
//! at most `1 / service` answers per second: the cluster's capacity.
//!
//! The figures were fitted to the recorded `riak-bench` runs (1, 4 and 16 clients, PBC and HTTP
//! GET, read-first PUT, blind PUT over PBC); blind PUT over HTTP was not recorded and uses the
//! PBC split (a head read is cheap, the write carries the cost). Names that do not exist, read
//! with `notfound_ok=false`, wait for every replica: an assumed extra latency, not recorded.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How fast the stand-in answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// As fast as it can: for unit and integration tests.
    #[default]
    Fast,
    /// Like the recorded real cluster: per-operation latency and a shared capacity.
    Real,
}

/// Which API answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Pbc,
    Http,
}

/// What an answer did, as far as its cost goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Ping, server info, an error answer: next to nothing.
    Trivial,
    /// A read of a value.
    Get,
    /// A read of a vclock and metadata only (the read before a write).
    Head,
    /// A read of a name that does not exist, with `notfound_ok=false`: every replica answers.
    AbsentStrict,
    /// A write (or delete).
    Put,
    /// Bucket properties, key listings and index ranges.
    Meta,
}

/// Microseconds of (service, latency) for one answer, fitted to `performance.md`.
pub fn cost(via: Via, op: Op) -> (u64, u64) {
    match (via, op) {
        (_, Op::Trivial) => (10, 40),
        (Via::Pbc, Op::Get) => (610, 200),
        (Via::Pbc, Op::Head) => (110, 150),
        (Via::Pbc, Op::AbsentStrict) => (610, 450),
        (Via::Pbc, Op::Put) => (1_500, 740),
        (Via::Pbc, Op::Meta) => (300, 300),
        (Via::Http, Op::Get) => (860, 350),
        (Via::Http, Op::Head) => (200, 250),
        (Via::Http, Op::AbsentStrict) => (860, 600),
        (Via::Http, Op::Put) => (2_000, 1_000),
        (Via::Http, Op::Meta) => (400, 400),
    }
}

/// The one server queue of a cluster, shared by its nodes.
#[derive(Default)]
pub struct Queue {
    free_at: Mutex<Option<Instant>>,
}

impl Queue {
    /// Takes `service` of the cluster's time, in arrival order, and returns when the answer may
    /// leave: the end of that service plus `latency`.
    pub fn book(&self, service: Duration, latency: Duration) -> Instant {
        let now = Instant::now();
        let mut free_at = self.free_at.lock().unwrap_or_else(|e| e.into_inner());
        let start = free_at.map_or(now, |f| f.max(now));
        *free_at = Some(start + service);
        start + service + latency
    }
}

/// Sleeps until `at` (at once when it has passed).
pub fn wait_until(at: Instant) {
    let left = at.saturating_duration_since(Instant::now());
    if !left.is_zero() {
        std::thread::sleep(left);
    }
}

/// Holds an answer back as long as the real cluster would have taken for it.
pub fn pace(profile: Profile, queue: &Queue, via: Via, op: Op) {
    if profile == Profile::Fast {
        return;
    }
    let (service, latency) = cost(via, op);
    let at = queue.book(
        Duration::from_micros(service),
        Duration::from_micros(latency),
    );
    wait_until(at);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queue_serves_one_at_a_time_and_latency_overlaps() {
        let queue = Queue::default();
        let ms = Duration::from_millis;
        let t0 = Instant::now();
        let a = queue.book(ms(10), ms(5));
        let b = queue.book(ms(10), ms(5));
        // The second waits for the first one's service, not for its latency.
        let gap = b - a;
        assert!(gap >= ms(10) && gap < ms(11), "{gap:?}");
        assert!(a - t0 >= ms(15));
        // An idle queue starts at once.
        std::thread::sleep(ms(30));
        let c = queue.book(ms(1), ms(0));
        assert!(c - Instant::now() <= ms(1));
    }
}
