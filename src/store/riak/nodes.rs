//! The nodes of a Riak cluster: which are up, which one serves the next request, and retries.
//!
//! Requests go round-robin over the nodes that are up. A node that fails to connect, breaks
//! mid-request or times out is marked down at once (its idle sockets are dropped) and the
//! request is retried on another node, up to [`ATTEMPTS`] in all. A background prober pings a
//! down node after a backoff (doubling from [`FIRST_BACKOFF`] to [`MAX_BACKOFF`]) and marks it up
//! when it answers, so requests never pay for probing and the service recovers by itself. When
//! no node is up, a request fails at once with `StoreUnavailable` (503) instead of waiting.
//! A node whose sockets are all in use is only skipped for that request, never marked down.
//!
//! Worst cases, with `T` the store timeout: a dead node (refused or reset) costs a request
//! almost nothing, since it moves on to the next node; a hung node costs the requests already
//! sent to it one `T` each before they move on, and none after it is marked down; with every
//! node hung, a request waits at most `min(nodes, ATTEMPTS) × T` before its 503.

use super::{Api, Fail, Link};
use crate::error::Error;
use crate::store::Health;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// Tries of one request, each on a different node.
pub const ATTEMPTS: usize = 3;
/// The first wait before a down node is pinged again.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// The longest wait between two pings of a down node.
pub const MAX_BACKOFF: Duration = Duration::from_secs(2);
/// How often the prober looks for down nodes whose backoff has passed.
const TICK: Duration = Duration::from_millis(50);

/// All nodes; cheap to share with the prober thread.
pub(crate) struct Nodes {
    shared: Arc<Shared>,
}

struct Shared {
    api: Api,
    nodes: Vec<Node>,
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
    pub fn new(api: Api, links: Vec<(String, Box<dyn Link>)>) -> Nodes {
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
            nodes,
            next: AtomicUsize::new(0),
        });
        let weak = Arc::downgrade(&shared);
        std::thread::Builder::new()
            .name("riak-prober".into())
            .spawn(move || probe_loop(weak))
            .expect("spawn the riak prober");
        Nodes { shared }
    }

    /// Runs `op` on an up node; on a transport failure marks that node down and retries on
    /// another one. A Riak error answer is returned as [`Error::Store`] without retrying.
    pub fn run<T>(&self, op: impl Fn(&dyn Link) -> Result<T, Fail>) -> Result<T, Error> {
        let mut tried = Vec::with_capacity(ATTEMPTS);
        let mut last = None;
        while tried.len() < ATTEMPTS {
            let Some(i) = self.pick(&tried) else { break };
            tried.push(i);
            let node = &self.shared.nodes[i];
            match op(node.link.as_ref()) {
                Ok(value) => return Ok(value),
                Err(Fail::Riak(msg)) => return Err(Error::Store(msg)),
                Err(Fail::Down(msg)) => {
                    node.mark_down(&msg);
                    last = Some(msg);
                }
                Err(Fail::Busy(msg)) => last = Some(msg),
            }
        }
        let why = last.unwrap_or_else(|| "no Riak node is up".into());
        Err(Error::StoreUnavailable(why))
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

    /// Pings every up node (a failure marks it down) and reports each node's state. Down nodes
    /// are left to the prober, so this never waits on a node known to be dead.
    pub fn health(&self, bucket: &str) -> Health {
        for node in &self.shared.nodes {
            if node.up.load(Ordering::Relaxed) {
                if let Err(Fail::Down(msg)) = node.link.ping() {
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
        Health {
            ok,
            detail: serde_json::json!({
                "backend": "riak",
                "api": api,
                "bucket": bucket,
                "nodes": nodes,
            }),
        }
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

    /// Pings the node if it is down and its backoff has passed.
    fn probe_if_due(&self) {
        if self.up.load(Ordering::Relaxed) || Instant::now() < self.state.lock().unwrap().next_probe
        {
            return;
        }
        let result = self.link.ping();
        let mut state = self.state.lock().unwrap();
        match result {
            Ok(()) => {
                let down_for = state.down_since.take().map(|t| t.elapsed());
                log::info!("riak node {} is up again (down {down_for:?})", self.addr);
                self.up.store(true, Ordering::SeqCst);
            }
            Err(Fail::Down(msg) | Fail::Riak(msg) | Fail::Busy(msg)) => {
                state.last_error = Some(msg);
                state.backoff = (state.backoff * 2).min(MAX_BACKOFF);
                state.next_probe = Instant::now() + state.backoff;
            }
        }
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
            node.probe_if_due();
        }
    }
}
