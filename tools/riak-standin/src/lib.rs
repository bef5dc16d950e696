//! riak-standin: a Riak KV node for tests, speaking the Protocol Buffers and HTTP APIs for the
//! subset phonebook uses (ping, server info, get with `notfound_ok`, put with vclocks, delete,
//! bucket properties, `$key` index ranges, key listing, error answers), with per-bucket
//! `allow_mult` and what a real cluster does that a test may need:
//! - faults: [`Standin::stop`] (listeners and connections closed, new ones refused),
//!   [`Standin::hang`] (requests read but not answered, like a paused process),
//!   [`Standin::resume`] (on the same ports), [`Standin::inject`] (error answers);
//! - a start-up phase after a start or resume (`StandinOptions::startup`): PBC ping answers,
//!   everything else gets "Unknown message code", and HTTP answers every path with the web
//!   server's HTML 404, as recorded on a real node;
//! - fallback reads while a node of the cluster is away or settling (`fallback_rate`);
//! - the real profile ([`Profile::Real`]): answers paced like a real 2-node cluster on 2 cores;
//! - replicas ([`StandinCluster`]): nodes that share one ring, as riak_core builds it (ring
//!   size 16, n_val 3, the recorded claim and preference lists), each vnode with its own copy,
//!   fallbacks for a stopped node, Riak's quorum rules per request (r, pr, w, dw, pw,
//!   `notfound_ok`, `basic_quorum`, `timeout` through both APIs), read repair, tombstones, and a
//!   returning node that serves stale copies until its handoff.
//!
//! Nodes started on one [`Db`] form a cluster. A plain `Db` (what [`Standin::start`] makes, or
//! another node's [`Standin::db`]) keeps one copy of everything: a stopped node costs no data.
//! A `Db` made by [`Db::with_ring`] (what [`StandinCluster::start`] does) is a ring: each node
//! started on it takes the next place (0, 1, …), serves its own listeners on threads of this
//! process, and coordinates every request over the key's replicas; stopping, hanging and
//! restarting a node ([`StandinCluster::stop`], [`StandinCluster::hang`],
//! [`StandinCluster::restart`]) changes what the others' coordinators find.
//!
//! Written from Riak's published protocol, independently of phonebook's client, so that the two
//! cannot share a misreading. It uses std only: a thread per connection, loopback, bounded
//! frames, heads and bodies, and at most [`MAX_CONNECTIONS`] open connections.

#![forbid(unsafe_code)]

mod cluster;
mod coordinator;
mod db;
mod encoding;
mod failure;
mod http_ring;
mod model;
mod nodes;
mod object;
mod options;
mod pb;
mod presentation;
mod protobuf;
mod quorum;
mod replicas;
mod request;
mod response;
mod ring;
mod serve;
mod web;

pub use db::Db;
pub use model::Profile;
pub use nodes::{Rejoin, RingOptions, StandinCluster};
pub use options::StandinOptions;

use replicas::NodeState;
use std::collections::HashMap;
use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Open connections at most; later ones are closed at once.
pub const MAX_CONNECTIONS: usize = 512;

/// An error answer to inject: Riak's message over PBC, and the HTTP status with it.
#[derive(Debug, Clone)]
pub struct Fault {
    pub message: String,
    pub http_status: u16,
    /// Answer this many requests so (`None`: every request until cleared).
    pub count: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Running,
    Hung,
    Stopped,
}

#[derive(Clone, Copy)]
enum Api {
    Pbc,
    Http,
}

/// Tells the nodes of all clusters apart.
static NODE_IDS: AtomicU64 = AtomicU64::new(0);

/// What the acceptors and connection threads share.
struct Shared {
    id: u64,
    db: Db,
    /// This node's place in the ring, when the cluster has one.
    ring_node: Option<usize>,
    node: String,
    no_2i: bool,
    profile: Profile,
    fallback_rate: f64,
    quorum_errors: u32,
    settle: Duration,
    startup: Duration,
    mode: Mutex<Mode>,
    changed: Condvar,
    starting_until: Mutex<Option<Instant>>,
    starting_log: Mutex<Vec<String>>,
    fault: Mutex<Option<Fault>>,
    conns: Mutex<HashMap<u64, TcpStream>>,
    next_conn: AtomicU64,
    served: AtomicU64,
}

/// A running stand-in node. Dropping it stops it.
pub struct Standin {
    /// Where the Protocol Buffers API listens.
    pub pbc_addr: SocketAddr,
    /// Where the HTTP API listens.
    pub http_addr: SocketAddr,
    shared: Arc<Shared>,
    acceptors: Mutex<Vec<JoinHandle<()>>>,
}

impl Standin {
    /// Binds both APIs and starts serving (after the start-up phase, if any).
    pub fn start(options: StandinOptions) -> io::Result<Standin> {
        let db = options.db.clone().unwrap_or_default();
        for bucket in &options.allow_mult {
            db.set_allow_mult(bucket, true);
        }
        for kind in &options.bucket_types {
            db.create_type(kind, true);
        }
        let (pbc, http) = (
            TcpListener::bind(&options.pbc)?,
            TcpListener::bind(&options.http)?,
        );
        let pbc_addr = pbc.local_addr()?;
        let ring_node = db.join();
        let shared = Arc::new(Shared {
            id: NODE_IDS.fetch_add(1, Ordering::SeqCst),
            db,
            ring_node,
            node: format!("standin@{pbc_addr}"),
            no_2i: options.no_2i,
            profile: options.profile,
            fallback_rate: options.fallback_rate,
            quorum_errors: options.quorum_errors,
            settle: options.settle,
            startup: options.startup,
            mode: Mutex::new(Mode::Running),
            changed: Condvar::new(),
            starting_until: Mutex::new(Some(Instant::now() + options.startup)),
            starting_log: Mutex::new(Vec::new()),
            fault: Mutex::new(None),
            conns: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(0),
            served: AtomicU64::new(0),
        });
        let standin = Standin {
            pbc_addr,
            http_addr: http.local_addr()?,
            shared,
            acceptors: Mutex::new(Vec::new()),
        };
        standin.spawn_acceptors(pbc, http);
        Ok(standin)
    }

    /// This node's data, to start another node of the same cluster.
    pub fn db(&self) -> Db {
        self.shared.db.clone()
    }

    /// Requests answered so far (through both APIs).
    pub fn served(&self) -> u64 {
        self.shared.served.load(Ordering::SeqCst)
    }

    /// The requests answered as a starting node: `pbc CODE KEY` or `http METHOD PATH`.
    pub fn starting_requests(&self) -> Vec<String> {
        lock(&self.shared.starting_log).clone()
    }

    /// Answers every request but ping with this Riak error (HTTP 500), or normally again.
    pub fn fail_with(&self, error: Option<&str>) {
        self.inject(error.map(|message| Fault {
            message: message.to_string(),
            http_status: 500,
            count: None,
        }));
    }

    /// Answers requests but ping with this error answer (`None`: answer normally again).
    pub fn inject(&self, fault: Option<Fault>) {
        *lock(&self.shared.fault) = fault;
    }

    /// Closes the listeners and every open connection: new connections are refused. The
    /// cluster counts the node as away until it resumes and settles.
    pub fn stop(&self) {
        if !self.shared.set_mode(Mode::Stopped) {
            return;
        }
        let shared = &self.shared;
        shared
            .db
            .cluster()
            .node_away(shared.id, shared.quorum_errors);
        self.set_ring_state(NodeState::Down);
        // Wake the acceptors out of `accept`; they see the mode and close their listeners.
        for addr in [self.pbc_addr, self.http_addr] {
            let _ = TcpStream::connect_timeout(&addr, Duration::from_secs(1));
        }
        for handle in lock(&self.acceptors).drain(..) {
            let _ = handle.join();
        }
        for (_, conn) in lock(&shared.conns).drain() {
            let _ = conn.shutdown(Shutdown::Both);
        }
    }

    /// Keeps accepting and reading, but answers nothing until [`Standin::resume`].
    pub fn hang(&self) {
        let mode = *lock(&self.shared.mode);
        if mode == Mode::Running {
            self.shared.set_mode(Mode::Hung);
            self.set_ring_state(NodeState::Hung);
        }
    }

    /// Serves again: a hung node answers what it held back; a stopped one listens again on the
    /// same ports and goes through its start-up phase.
    pub fn resume(&self) -> io::Result<()> {
        self.resume_starting(self.shared.startup)
    }

    /// Like [`Standin::resume`], with a start-up phase of `startup` after a stop.
    pub fn resume_starting(&self, startup: Duration) -> io::Result<()> {
        self.restart(startup, Rejoin::default())
    }

    /// Like [`Standin::resume_starting`]; in a ring cluster a stopped node's vnodes rejoin as
    /// `rejoin` says: stale copies from `vnodes_after` until `handoff` (both from this call).
    pub fn restart(&self, startup: Duration, rejoin: Rejoin) -> io::Result<()> {
        let mode = *lock(&self.shared.mode);
        match mode {
            Mode::Running => {}
            Mode::Hung => {
                self.shared.set_mode(Mode::Running);
                self.set_ring_state(NodeState::Up);
            }
            Mode::Stopped => {
                let pbc = TcpListener::bind(self.pbc_addr)?;
                let http = TcpListener::bind(self.http_addr)?;
                let shared = &self.shared;
                *lock(&shared.starting_until) = Some(Instant::now() + startup);
                let cluster = shared.db.cluster();
                cluster.node_back(shared.id, startup + shared.settle);
                let now = Instant::now();
                let vnodes_at = now + rejoin.vnodes_after;
                let handoff_at = now + rejoin.handoff.max(rejoin.vnodes_after);
                self.set_ring_state(NodeState::Starting(vnodes_at, handoff_at));
                shared.set_mode(Mode::Running);
                self.spawn_acceptors(pbc, http);
            }
        }
        Ok(())
    }

    /// This node's place in the ring cluster (`None` without a ring).
    pub fn ring_node(&self) -> Option<usize> {
        self.shared.ring_node
    }

    fn set_ring_state(&self, state: NodeState) {
        if let Some(node) = self.shared.ring_node {
            self.shared.db.set_node_state(node, state);
        }
    }

    fn spawn_acceptors(&self, pbc: TcpListener, http: TcpListener) {
        let mut acceptors = lock(&self.acceptors);
        for (listener, api) in [(pbc, Api::Pbc), (http, Api::Http)] {
            let shared = self.shared.clone();
            acceptors.push(std::thread::spawn(move || {
                serve::accept_loop(&shared, listener, api)
            }));
        }
    }
}

impl Drop for Standin {
    fn drop(&mut self) {
        self.stop();
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
