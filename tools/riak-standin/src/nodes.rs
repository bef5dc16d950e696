//! A cluster of stand-in nodes that keep replicas on one ring, and the controls a test needs:
//! stop a node, hang it, bring it back with a handoff delay.
//!
//! The nodes are in one process: one [`Db`] made by [`Db::with_ring`] holds every vnode's
//! copy and every node's state, and each [`Standin`] started with it serves its own two
//! listeners and takes the next place in the ring (node 0, node 1, …). Whichever node a client
//! asks coordinates the request over the key's replicas, as every Riak node does.

use crate::object::Bucket;
use crate::replicas::NodeState;
use crate::replicas::Replicas;
use crate::ring::Ring;
use crate::{Db, Standin, StandinOptions};
use std::io;
use std::time::{Duration, Instant};

/// The shape of a ring cluster; the defaults are those of the recorded cluster.
#[derive(Debug, Clone)]
pub struct RingOptions {
    /// Nodes in the cluster.
    pub nodes: usize,
    /// Partitions in the ring (a power of two).
    pub ring_size: usize,
    /// Replicas of each key.
    pub n_val: usize,
    /// The share of reads in which replicas holding no copy (fresh fallbacks) answer before
    /// those holding one: drawn from a fixed pseudo-random sequence. The recorded cluster did
    /// it in 8 of 47 first reads of keys with two replicas on a stopped node (0.17, the
    /// default); 0 or 1 fixes the order.
    pub fallbacks_first: f64,
}

impl Default for RingOptions {
    fn default() -> Self {
        RingOptions {
            nodes: 2,
            ring_size: 16,
            n_val: 3,
            fallbacks_first: 0.17,
        }
    }
}

/// How a stopped node's vnodes come back, counted from its restart.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rejoin {
    /// Until then its vnodes count as stopped: fallbacks serve its replicas (on the recorded
    /// cluster, 14 s after `riak daemon`).
    pub vnodes_after: Duration,
    /// Until then its vnodes serve the copies they had when it stopped; then they take what the
    /// fallbacks got meanwhile (recorded: within a second of the vnodes' return).
    pub handoff: Duration,
}

/// Stand-in nodes sharing one ring. Dropping it stops them.
pub struct StandinCluster {
    /// The nodes, by their place in the ring.
    pub nodes: Vec<Standin>,
    db: Db,
}

impl Db {
    /// A new cluster whose nodes keep replicas on a ring (see [`StandinCluster`]).
    pub fn with_ring(options: &RingOptions) -> Db {
        let ring = Ring {
            size: options.ring_size,
            n_val: options.n_val,
            nodes: options.nodes,
        };
        let db = Db::default();
        db.lock().ring = Some(Replicas::new(ring, options.fallbacks_first));
        db
    }
}

impl StandinCluster {
    /// Starts `ring.nodes` nodes with these options (their `db` is replaced by the ring's).
    pub fn start(ring: RingOptions, options: StandinOptions) -> io::Result<StandinCluster> {
        let db = Db::with_ring(&ring);
        let mut nodes = Vec::new();
        for _ in 0..ring.nodes {
            nodes.push(Standin::start(StandinOptions {
                db: Some(db.clone()),
                ..options.clone()
            })?);
        }
        Ok(StandinCluster { nodes, db })
    }

    /// Node `i`.
    pub fn node(&self, i: usize) -> &Standin {
        &self.nodes[i]
    }

    /// Stops node `i`: its sockets close, connections are refused, its replicas move to
    /// fallbacks on the other nodes.
    pub fn stop(&self, i: usize) {
        self.nodes[i].stop();
    }

    /// Hangs node `i`: its sockets stay open and it answers nothing; the other nodes wait for
    /// its replicas until each request's timeout.
    pub fn hang(&self, i: usize) {
        self.nodes[i].hang();
    }

    /// Brings node `i` back: a hung node answers what it held back; a stopped one listens again
    /// (after its start-up phase, if any) and its vnodes serve their old copies for `handoff`.
    pub fn restart(&self, i: usize, handoff: Duration) -> io::Result<()> {
        let rejoin = Rejoin {
            vnodes_after: Duration::ZERO,
            handoff,
        };
        self.restart_with(i, rejoin)
    }

    /// Brings a stopped node `i` back with both phases of its return timed.
    pub fn restart_with(&self, i: usize, rejoin: Rejoin) -> io::Result<()> {
        let node = &self.nodes[i];
        node.restart(node.shared.startup, rejoin)
    }

    /// Ends the wait of returning node `i` for its vnodes now: they serve their old copies.
    pub fn join_vnodes(&self, i: usize) {
        self.advance(i, false);
    }

    /// Ends the handoff of returning node `i` now: its vnodes take the fallbacks' data.
    pub fn hand_off(&self, i: usize) {
        self.advance(i, true);
    }

    fn advance(&self, i: usize, handoff: bool) {
        let state = {
            let data = self.db.lock();
            data.ring.as_ref().expect("a ring cluster").state(i)
        };
        let now = Instant::now();
        let next = match state {
            NodeState::Starting(_, at) if !handoff => NodeState::Starting(now, at),
            NodeState::Starting(..) | NodeState::Returning(_) if handoff => {
                NodeState::Starting(now, now)
            }
            _ => return,
        };
        self.db.set_node_state(i, next);
    }

    /// The nodes holding a key's replicas (its preference list), for a bucket of the default
    /// type.
    pub fn preflist(&self, bucket: &str, key: &[u8]) -> Vec<usize> {
        let data = self.db.lock();
        let ring = data.ring.as_ref().expect("a ring cluster");
        ring.owners(&Bucket::new(None, bucket.as_bytes()), key)
    }

    /// The owner of each partition, in ring order.
    pub fn owners(&self) -> Vec<usize> {
        let data = self.db.lock();
        let ring = &data.ring.as_ref().expect("a ring cluster").ring;
        (0..ring.size).map(|p| ring.owner(p)).collect()
    }

    /// Sets the share of reads in which empty replicas answer first (see [`RingOptions`]).
    pub fn set_fallbacks_first(&self, share: f64) {
        if let Some(ring) = self.db.lock().ring.as_mut() {
            ring.fallbacks_first = share;
        }
    }

    /// The cluster's data, to start more listeners on it.
    pub fn db(&self) -> Db {
        self.db.clone()
    }
}
