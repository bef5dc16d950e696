//! riak-standin: a Riak KV node for tests, speaking the Protocol Buffers and HTTP APIs for the
//! subset phonebook uses (ping, server info, get, put with vclocks, delete, `$key` index ranges,
//! key listing, error answers), with per-bucket `allow_mult` and faults a test can trigger:
//! [`Standin::stop`] (listeners and connections closed, new ones refused), [`Standin::hang`]
//! (requests read but not answered, like a paused process) and [`Standin::resume`] (on the same
//! ports).
//!
//! Written from Riak's published protocol, independently of phonebook's client, so that the two
//! cannot share a misreading. It uses std only: a thread per connection, loopback, bounded
//! frames, heads and bodies, and at most [`MAX_CONNECTIONS`] open connections.

#![forbid(unsafe_code)]

mod db;
mod encoding;
mod pb;
mod web;

pub use db::Db;

use std::collections::HashMap;
use std::io::{self, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

/// Open connections at most; later ones are closed at once.
pub const MAX_CONNECTIONS: usize = 512;

/// How to start a node.
#[derive(Clone)]
pub struct StandinOptions {
    /// Address of the Protocol Buffers API; port 0 picks a free port.
    pub pbc: String,
    /// Address of the HTTP API; port 0 picks a free port.
    pub http: String,
    /// Buckets of the default type that keep siblings (`allow_mult=true`).
    pub allow_mult: Vec<String>,
    /// Bucket types to create; like Riak's new types they have `allow_mult=true`.
    pub bucket_types: Vec<String>,
    /// Another node's data ([`Standin::db`]) to form a cluster with it; `None`: a new cluster.
    pub db: Option<Db>,
    /// Refuse index queries the way a node on the bitcask backend does.
    pub no_2i: bool,
}

impl Default for StandinOptions {
    fn default() -> Self {
        StandinOptions {
            pbc: "127.0.0.1:0".into(),
            http: "127.0.0.1:0".into(),
            allow_mult: Vec::new(),
            bucket_types: Vec::new(),
            db: None,
            no_2i: false,
        }
    }
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

/// What the acceptors and connection threads share.
struct Shared {
    db: Db,
    node: String,
    no_2i: bool,
    mode: Mutex<Mode>,
    changed: Condvar,
    error: Mutex<Option<String>>,
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
    /// Binds both APIs and starts serving.
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
        let shared = Arc::new(Shared {
            db,
            node: format!("standin@{pbc_addr}"),
            no_2i: options.no_2i,
            mode: Mutex::new(Mode::Running),
            changed: Condvar::new(),
            error: Mutex::new(None),
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

    /// Answers every request but ping with this Riak error (`None`: answer normally again).
    pub fn fail_with(&self, error: Option<&str>) {
        *lock(&self.shared.error) = error.map(str::to_string);
    }

    /// Closes the listeners and every open connection: new connections are refused.
    pub fn stop(&self) {
        if !self.shared.set_mode(Mode::Stopped) {
            return;
        }
        // Wake the acceptors out of `accept`; they see the mode and close their listeners.
        for addr in [self.pbc_addr, self.http_addr] {
            let _ = TcpStream::connect_timeout(&addr, Duration::from_secs(1));
        }
        for handle in lock(&self.acceptors).drain(..) {
            let _ = handle.join();
        }
        for (_, conn) in lock(&self.shared.conns).drain() {
            let _ = conn.shutdown(Shutdown::Both);
        }
    }

    /// Keeps accepting and reading, but answers nothing until [`Standin::resume`].
    pub fn hang(&self) {
        let mode = *lock(&self.shared.mode);
        if mode == Mode::Running {
            self.shared.set_mode(Mode::Hung);
        }
    }

    /// Serves again: a hung node answers what it held back; a stopped one listens again on the
    /// same ports.
    pub fn resume(&self) -> io::Result<()> {
        let mode = *lock(&self.shared.mode);
        match mode {
            Mode::Running => {}
            Mode::Hung => {
                self.shared.set_mode(Mode::Running);
            }
            Mode::Stopped => {
                let pbc = TcpListener::bind(self.pbc_addr)?;
                let http = TcpListener::bind(self.http_addr)?;
                self.shared.set_mode(Mode::Running);
                self.spawn_acceptors(pbc, http);
            }
        }
        Ok(())
    }

    fn spawn_acceptors(&self, pbc: TcpListener, http: TcpListener) {
        let mut acceptors = lock(&self.acceptors);
        for (listener, api) in [(pbc, Api::Pbc), (http, Api::Http)] {
            let shared = self.shared.clone();
            acceptors.push(std::thread::spawn(move || {
                accept_loop(&shared, listener, api)
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

impl Shared {
    /// Sets the mode and wakes waiting connections; false when it was already that.
    fn set_mode(&self, mode: Mode) -> bool {
        let old = std::mem::replace(&mut *lock(&self.mode), mode);
        self.changed.notify_all();
        old != mode
    }

    /// Waits while hung; true when the request may be answered.
    fn may_answer(&self) -> bool {
        let mut mode = lock(&self.mode);
        while *mode == Mode::Hung {
            mode = self.changed.wait(mode).unwrap_or_else(|e| e.into_inner());
        }
        *mode == Mode::Running
    }

    fn injected_error(&self) -> Option<String> {
        lock(&self.error).clone()
    }
}

fn accept_loop(shared: &Arc<Shared>, listener: TcpListener, api: Api) {
    for stream in listener.incoming() {
        if *lock(&shared.mode) == Mode::Stopped {
            return;
        }
        let Ok(stream) = stream else {
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        // Answers are single writes; never hold one back waiting for an acknowledgement.
        let _ = stream.set_nodelay(true);
        let id = shared.next_conn.fetch_add(1, Ordering::SeqCst);
        {
            let mut conns = lock(&shared.conns);
            let Ok(copy) = stream.try_clone() else {
                continue;
            };
            if conns.len() >= MAX_CONNECTIONS {
                continue;
            }
            conns.insert(id, copy);
        }
        let shared = shared.clone();
        std::thread::spawn(move || {
            let _ = match api {
                Api::Pbc => serve_pbc(&shared, stream),
                Api::Http => serve_http(&shared, stream),
            };
            lock(&shared.conns).remove(&id);
        });
    }
}

const NO_2I: &str = "{error,{indexes_not_supported,riak_kv_bitcask_backend}}";

fn serve_pbc(shared: &Shared, stream: TcpStream) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    while let Some((code, body)) = pb::read_frame(&mut reader)? {
        if !shared.may_answer() {
            return Ok(());
        }
        let frames = match shared.injected_error() {
            Some(msg) if code != 1 => vec![pb::error_frame(&msg)],
            _ if shared.no_2i && code == 25 => vec![pb::error_frame(NO_2I)],
            _ => pb::answer(&shared.db, &shared.node, code, &body),
        };
        shared.served.fetch_add(1, Ordering::SeqCst);
        writer.write_all(&frames.concat())?;
    }
    Ok(())
}

fn serve_http(shared: &Shared, stream: TcpStream) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    while let Some(req) = web::read_request(&mut reader)? {
        if !shared.may_answer() {
            return Ok(());
        }
        let response = match shared.injected_error() {
            Some(msg) if req.path != "/ping" => web::Response::error(&msg),
            _ if shared.no_2i && req.path.contains("/index/") => web::Response::error(NO_2I),
            _ => web::answer(&shared.db, &req),
        };
        shared.served.fetch_add(1, Ordering::SeqCst);
        response.write(&mut writer, req.method == "HEAD")?;
        if req.wants_close() {
            return Ok(());
        }
    }
    Ok(())
}
