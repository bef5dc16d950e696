//! The nodes of a Riak cluster: which are up, which one serves the next request, and retries.
//!
//! Round-robin over the nodes that are up; a node that fails or does not serve yet is marked
//! down at once and the request moves on (up to [`ATTEMPTS`]); a background prober brings it
//! back once a get succeeds, so requests never pay for probing. The rules and their worst
//! cases: docs/riak.md and docs/riak-cluster.md.

use super::link::Read;
use super::{Api, Fail, Link};
use crate::error::Error;
use crate::store::Health;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// Tries of one request, each on a different node.
pub const ATTEMPTS: usize = 3;
/// The first wait before a down node is probed again.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// The longest wait between two probes of a down node.
pub const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// The pause before a request the cluster could not serve is retried on a node it already
/// tried (times the attempts so far).
pub const RETRY_PAUSE: Duration = Duration::from_millis(25);
/// How often the prober looks for down nodes whose backoff has passed.
const TICK: Duration = Duration::from_millis(50);

/// All nodes; cheap to share with the prober thread.
pub(crate) struct Nodes {
    shared: Arc<Shared>,
}

struct Shared {
    api: Api,
    bucket: String,
    /// How a probe reads.
    probe: Read,
    nodes: Vec<Node>,
    /// The bucket's `allow_mult`: 0 not known yet, 1 false, 2 true.
    allow_mult: AtomicU8,
    /// Round-robin position.
    next: AtomicUsize,
}

struct Node {
    addr: String,
    link: Box<dyn Link>,
    /// Read on every request, so kept outside the mutex.
    up: AtomicBool,
    state: Mutex<State>,
}

/// What `GET /healthz` shows, and when to probe.
struct State {
    last_error: Option<String>,
    down_since: Option<Instant>,
    backoff: Duration,
    next_probe: Instant,
    failures: u64,
}

impl Nodes {
    /// Takes the links (one per node, with its address) and starts the prober, which stops by
    /// itself once these nodes are dropped.
    pub fn new(api: Api, links: Vec<(String, Box<dyn Link>)>, bucket: &str, probe: Read) -> Nodes {
        let nodes = links
            .into_iter()
            .map(|(addr, link)| Node {
                addr,
                link,
                up: AtomicBool::new(true),
                state: Mutex::new(State {
                    last_error: None,
                    down_since: None,
                    backoff: FIRST_BACKOFF,
                    next_probe: Instant::now(),
                    failures: 0,
                }),
            })
            .collect();
        let shared = Arc::new(Shared {
            api,
            bucket: bucket.to_string(),
            probe,
            nodes,
            allow_mult: AtomicU8::new(0),
            next: AtomicUsize::new(0),
        });
        let weak = Arc::downgrade(&shared);
        std::thread::Builder::new()
            .name("riak-prober".into())
            .spawn(move || probe_loop(weak))
            .expect("spawn the riak prober");
        Nodes { shared }
    }

    /// Runs `op` on an up node. A node that is down (or does not serve yet) is marked down and the request
    /// moves to another node; an "unavailable" answer moves it too, or (no other node left)
    /// repeats it after a pause. A final Riak error is returned as [`Error::Store`] at once.
    pub fn run<T>(&self, op: impl Fn(&dyn Link) -> Result<T, Fail>) -> Result<T, Error> {
        let mut tried = Vec::with_capacity(ATTEMPTS);
        let mut last = None;
        for attempt in 0..ATTEMPTS {
            let i = match (self.pick(&tried), &last) {
                (Some(i), _) => i,
                (None, Some(Fail::Unavailable(_))) => {
                    let Some(i) = self.pick(&[]) else { break };
                    std::thread::sleep(RETRY_PAUSE * attempt as u32);
                    i
                }
                (None, _) => break,
            };
            tried.push(i);
            let node = &self.shared.nodes[i];
            match op(node.link.as_ref()) {
                Ok(value) => return Ok(value),
                Err(Fail::Riak(msg)) => return Err(Error::store(msg)),
                Err(Fail::Down(msg)) => {
                    node.mark_down(&msg);
                    last = Some(Fail::Down(msg));
                }
                Err(other) => last = Some(other),
            }
        }
        let why = match last {
            Some(Fail::Down(m) | Fail::Unavailable(m) | Fail::Busy(m)) => m,
            _ => "no Riak node is up".into(),
        };
        Err(Error::StoreUnavailable(why))
    }

    /// Runs `op` once on an up node, moving on (to [`ATTEMPTS`] nodes at most) only from a node
    /// that does not answer (marked down) or has no free socket. Any answer, a cluster's "not now" included, is returned as
    /// it is: every node answers for the same replicas, so the caller decides what to ask
    /// next (`policy.rs`). With no node left: `Fail::Down` (or `Busy`).
    pub fn ask<T>(&self, op: impl Fn(&dyn Link) -> Result<T, Fail>) -> Result<T, Fail> {
        let mut tried = Vec::with_capacity(ATTEMPTS);
        let mut last = Fail::Down("no Riak node is up".into());
        while let Some(i) = self.pick(&tried).filter(|_| tried.len() < ATTEMPTS) {
            tried.push(i);
            let node = &self.shared.nodes[i];
            match op(node.link.as_ref()) {
                Err(Fail::Down(msg)) => {
                    node.mark_down(&msg);
                    last = Fail::Down(msg);
                }
                Err(Fail::Busy(msg)) => last = Fail::Busy(msg),
                answer => return answer,
            }
        }
        Err(last)
    }

    /// The bucket's `allow_mult`, once a node has told it.
    pub fn allow_mult(&self) -> Option<bool> {
        match self.shared.allow_mult.load(Ordering::Relaxed) {
            1 => Some(false),
            2 => Some(true),
            _ => None,
        }
    }

    /// Reads the bucket's properties from the first node that answers (at start-up). A node
    /// that cannot be reached or does not serve yet is marked down here, so no request is sent
    /// to it before a probe get succeeds.
    pub fn read_props(&self) {
        for node in &self.shared.nodes {
            match self.shared.read_props(node.link.as_ref()) {
                Ok(()) => return,
                Err(Fail::Down(msg)) => node.mark_down(&msg),
                Err(_) => {}
            }
        }
    }

    /// The next up node in round-robin order that this request has not tried yet.
    fn pick(&self, tried: &[usize]) -> Option<usize> {
        let nodes = &self.shared.nodes;
        let start = self.shared.next.fetch_add(1, Ordering::Relaxed);
        (0..nodes.len())
            .map(|k| (start + k) % nodes.len())
            .find(|i| !tried.contains(i) && nodes[*i].up.load(Ordering::Relaxed))
    }

    /// Waits for a pooled socket, over all nodes.
    pub fn pool_waits(&self) -> u64 {
        self.shared.nodes.iter().map(|n| n.link.pool_waits()).sum()
    }

    /// Probes every up node with a get (a failure marks it down) and reports each node's state.
    /// Down nodes are left to the prober, so this never waits on a node known to be dead.
    pub fn health(&self) -> Health {
        let bucket = &self.shared.bucket;
        for node in &self.shared.nodes {
            if node.up.load(Ordering::Relaxed) {
                if let Err(Fail::Down(msg)) = node.link.probe(bucket, self.shared.probe) {
                    node.mark_down(&msg);
                }
            }
        }
        let nodes: Vec<_> = self.shared.nodes.iter().map(Node::detail).collect();
        let ok = self
            .shared
            .nodes
            .iter()
            .any(|n| n.up.load(Ordering::Relaxed));
        let api = match self.shared.api {
            Api::Pbc => "pbc",
            Api::Http => "http",
        };
        let allow_mult = self.allow_mult();
        Health {
            ok,
            detail: serde_json::json!({
                "backend": "riak",
                "api": api,
                "bucket": bucket,
                "allow_mult": allow_mult,
                "nodes": nodes,
            }),
        }
    }
}

impl Shared {
    /// Reads the bucket's `allow_mult` through `link`.
    fn read_props(&self, link: &dyn Link) -> Result<(), Fail> {
        let allow_mult = link.allow_mult(&self.bucket)?;
        let value = if allow_mult { 2 } else { 1 };
        self.allow_mult.store(value, Ordering::Relaxed);
        Ok(())
    }
}

impl Node {
    fn mark_down(&self, why: &str) {
        let mut state = self.state.lock().unwrap();
        state.last_error = Some(why.to_string());
        state.failures += 1;
        if self.up.swap(false, Ordering::SeqCst) {
            log::warn!("riak node {} is down: {why}", self.addr);
            state.down_since = Some(Instant::now());
            state.backoff = FIRST_BACKOFF;
            state.next_probe = Instant::now() + FIRST_BACKOFF;
            drop(state);
            self.link.reset();
        }
    }

    /// Reads a key from the node if it is down and its backoff has passed; true when it
    /// answered (the caller then marks it up).
    fn probe_if_due(&self, bucket: &str, read: Read) -> bool {
        if self.up.load(Ordering::Relaxed) || Instant::now() < self.state.lock().unwrap().next_probe
        {
            return false;
        }
        let result = self.link.probe(bucket, read);
        let mut state = self.state.lock().unwrap();
        match result {
            Ok(()) => true,
            Err(Fail::Down(msg) | Fail::Unavailable(msg) | Fail::Riak(msg) | Fail::Busy(msg)) => {
                state.last_error = Some(msg);
                state.backoff = (state.backoff * 2).min(MAX_BACKOFF);
                state.next_probe = Instant::now() + state.backoff;
                false
            }
        }
    }

    /// Takes requests again, after a probe passed.
    fn mark_up(&self) {
        let down_for = self.state.lock().unwrap().down_since.take();
        let down_for = down_for.map(|t| t.elapsed());
        log::info!("riak node {} serves again (down {down_for:?})", self.addr);
        self.up.store(true, Ordering::SeqCst);
    }

    fn detail(&self) -> serde_json::Value {
        let state = self.state.lock().unwrap();
        let up = self.up.load(Ordering::Relaxed);
        serde_json::json!({
            "address": self.addr,
            "state": if up { "up" } else { "down" },
            "last_error": state.last_error,
            "down_ms": state.down_since.map(|t| t.elapsed().as_millis() as u64),
            "failures": state.failures,
        })
    }
}

/// Probes down nodes until the nodes are dropped.
fn probe_loop(shared: Weak<Shared>) {
    loop {
        std::thread::sleep(TICK);
        let Some(shared) = shared.upgrade() else {
            return;
        };
        for node in &shared.nodes {
            // A node that comes back may come back with other bucket properties.
            // Read before the node takes requests again, so that no write goes out by
            // properties it may have changed. Failing, they stay as they were; the next
            // comeback reads again.
            if node.probe_if_due(&shared.bucket, shared.probe) {
                let _ = shared.read_props(node.link.as_ref());
                node.mark_up();
            }
        }
    }
}
