//! The replicas of a ring cluster: each vnode's own objects, which nodes are up, hung, stopped
//! or returning, and the sloppy quorum that puts a stopped node's replicas on fallbacks.
//!
//! A vnode is a partition on a host node: its owner (a primary) or, while the owner is stopped,
//! the node riak_core's `get_apl_ann` picks as its fallback, which starts empty. A hung node's
//! vnodes keep their place and answer nothing; writes sent to them wait in a mailbox and land
//! when it resumes. A node that comes back serves its old copies at once and takes the
//! fallbacks' data (handoff) only after its handoff delay.

use crate::object::{Bucket, Object};
use crate::ring::Ring;
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// What a node's vnodes do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeState {
    Up,
    /// Sockets open, nothing answered.
    Hung,
    /// Stopped: its replicas are on fallbacks.
    Down,
    /// Restarted: its API serves, its vnodes count as stopped until the first instant (as
    /// before Riak registers the KV service), then it is returning until the second.
    Starting(Instant, Instant),
    /// Back, with old copies until its handoff at this instant.
    Returning(Instant),
}

/// One replica of a key for one request: a partition on a host node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub partition: usize,
    pub host: usize,
    pub primary: bool,
}

type Store = HashMap<(Bucket, Vec<u8>), Object>;

/// A copy on its way to a hung vnode: (partition, host), bucket, key, object.
type Letter = ((usize, usize), Bucket, Vec<u8>, Object);

/// The cluster's vnodes and nodes.
pub struct Replicas {
    pub ring: Ring,
    states: Vec<NodeState>,
    joined: usize,
    vnodes: HashMap<(usize, usize), Store>,
    /// Writes held for hung vnodes: (vnode, bucket, key, object).
    mailbox: Vec<Letter>,
    /// The share of reads in which replicas that hold nothing answer before those that do.
    pub fallbacks_first: f64,
    draws: u64,
}

impl Replicas {
    pub fn new(ring: Ring, fallbacks_first: f64) -> Replicas {
        Replicas {
            states: vec![NodeState::Up; ring.nodes],
            ring,
            joined: 0,
            vnodes: HashMap::new(),
            mailbox: Vec::new(),
            fallbacks_first,
            draws: 0,
        }
    }

    /// The ring position of the next node that starts, if the ring has room.
    pub fn join(&mut self) -> Option<usize> {
        (self.joined < self.ring.nodes).then(|| {
            self.joined += 1;
            self.joined - 1
        })
    }

    pub fn state(&self, node: usize) -> NodeState {
        self.states[node]
    }

    /// Sets a node's state; a node that stops loses its mailbox, one that serves again reads
    /// it.
    pub fn set_state(
        &mut self,
        node: usize,
        state: NodeState,
        allow_mult: &dyn Fn(&Bucket) -> bool,
    ) {
        self.states[node] = state;
        if state == NodeState::Hung {
            return;
        }
        let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut self.mailbox)
            .into_iter()
            .partition(|m| m.0 .1 == node);
        self.mailbox = rest;
        if state != NodeState::Down {
            for (vnode, bucket, key, object) in mine {
                self.merge_into(vnode, &bucket, &key, &object, allow_mult(&bucket));
            }
        }
    }

    /// Hands the fallbacks' data to nodes whose handoff time has come.
    pub fn settle(&mut self, now: Instant, allow_mult: &dyn Fn(&Bucket) -> bool) {
        for node in 0..self.states.len() {
            if let NodeState::Starting(vnodes_at, handoff_at) = self.states[node] {
                if vnodes_at <= now {
                    self.states[node] = NodeState::Returning(handoff_at);
                }
            }
            let NodeState::Returning(at) = self.states[node] else {
                continue;
            };
            if at > now {
                continue;
            }
            let handed: Vec<(usize, usize)> = self
                .vnodes
                .keys()
                .filter(|(p, host)| *host != node && self.ring.owner(*p) == node)
                .copied()
                .collect();
            for vnode in handed {
                let store = self.vnodes.remove(&vnode).unwrap_or_default();
                for ((bucket, key), object) in store {
                    self.merge_into((vnode.0, node), &bucket, &key, &object, allow_mult(&bucket));
                }
            }
            self.states[node] = NodeState::Up;
        }
    }

    /// The replicas of a key: its primaries on nodes that are not stopped, then a fallback for
    /// each stopped one, on the next node up further along the ring (riak_core's sloppy quorum).
    pub fn slots(&self, bucket: &Bucket, key: &[u8]) -> Vec<Slot> {
        let order = self.ring.preference(bucket, key);
        let (primaries, rest) = order.split_at(self.ring.n_val.min(order.len()));
        let up =
            |node: usize| !matches!(self.states[node], NodeState::Down | NodeState::Starting(..));
        let mut slots = Vec::new();
        let mut down = Vec::new();
        for &p in primaries {
            let host = self.ring.owner(p);
            if up(host) {
                slots.push(Slot {
                    partition: p,
                    host,
                    primary: true,
                });
            } else {
                down.push(p);
            }
        }
        let mut spares = rest.iter().map(|&p| self.ring.owner(p)).filter(|&n| up(n));
        for p in down {
            if let Some(host) = spares.next() {
                slots.push(Slot {
                    partition: p,
                    host,
                    primary: false,
                });
            }
        }
        slots
    }

    /// Whether a slot's vnode answers.
    pub fn answers(&self, slot: &Slot) -> bool {
        self.states[slot.host] != NodeState::Hung
    }

    /// A vnode's copy of a key.
    pub fn read(&self, slot: &Slot, bucket: &Bucket, key: &[u8]) -> Option<Object> {
        let store = self.vnodes.get(&(slot.partition, slot.host))?;
        store.get(&(bucket.clone(), key.to_vec())).cloned()
    }

    /// A copy arrives at a vnode (a write, a read repair): it merges with what is there, or
    /// waits in the mailbox of a hung node.
    pub fn deliver(
        &mut self,
        slot: &Slot,
        bucket: &Bucket,
        key: &[u8],
        object: &Object,
        allow_mult: bool,
    ) {
        let vnode = (slot.partition, slot.host);
        if self.answers(slot) {
            self.merge_into(vnode, bucket, key, object, allow_mult);
        } else {
            self.mailbox
                .push((vnode, bucket.clone(), key.to_vec(), object.clone()));
        }
    }

    fn merge_into(
        &mut self,
        vnode: (usize, usize),
        bucket: &Bucket,
        key: &[u8],
        object: &Object,
        allow_mult: bool,
    ) {
        let store = self.vnodes.entry(vnode).or_default();
        let entry = store.entry((bucket.clone(), key.to_vec()));
        let current = entry.or_insert_with(|| object.clone());
        *current = current.merge(object, allow_mult);
    }

    /// Whether this read's empty replicas answer first: a fixed pseudo-random sequence.
    pub fn empty_first(&mut self) -> bool {
        self.draws += 1;
        crate::cluster::unit(self.draws) < self.fallbacks_first
    }

    /// Every copy of a bucket's keys, merged: what a covering query sees.
    pub fn bucket(&self, bucket: &Bucket, allow_mult: bool) -> BTreeMap<Vec<u8>, Object> {
        let mut out: BTreeMap<Vec<u8>, Object> = BTreeMap::new();
        for ((b, key), object) in self.vnodes.values().flatten() {
            if b != bucket {
                continue;
            }
            let merged = match out.get(key) {
                Some(o) => o.merge(object, allow_mult),
                None => object.clone(),
            };
            out.insert(key.clone(), merged);
        }
        out
    }

    /// The nodes holding a replica of a key (primaries first), for tests and tools.
    pub fn owners(&self, bucket: &Bucket, key: &[u8]) -> Vec<usize> {
        let order = self.ring.preference(bucket, key);
        order[..self.ring.n_val]
            .iter()
            .map(|&p| self.ring.owner(p))
            .collect()
    }
}
