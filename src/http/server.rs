//! The request loop: accepting connections, reading requests, and the worker pool.
//!
//! Each connection gets a small reader thread that reads requests within the limits of
//! `request.rs`; the requests themselves are handled, and answered on the connection, by a fixed
//! pool of workers (one in debug mode, `threads` in production), so the worker count bounds how many
//! requests touch the store at once, while a slow or idle client only ever holds its own reader.
//! On SIGINT/SIGTERM the server stops accepting, finishes the requests in flight and returns.

use crate::app::App;
use crate::config::{Mode, ServerConfig};
use crate::error::Error;
use crate::http::request::{Connection, Limits, Request};
use crate::http::response::Response;
use crate::http::routes;
use std::collections::HashMap;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// A request handed to a worker, who answers it on the connection itself.
struct Job {
    request: Request,
    /// When the request was read: latency counts the wait for a worker.
    received: Instant,
    /// The connection's write half, shared with its reader thread.
    out: Arc<TcpStream>,
    keep_alive: bool,
    /// Tells the reader the answer is written (true) or could not be (false).
    written: SyncSender<bool>,
}

/// A bound server, not yet serving.
pub struct Server {
    listener: TcpListener,
    config: ServerConfig,
    stop: Arc<AtomicBool>,
}

/// Stops a running server from another thread (or a signal handler).
#[derive(Clone)]
pub struct StopHandle {
    stop: Arc<AtomicBool>,
    addr: SocketAddr,
}

impl StopHandle {
    /// Asks the server to stop; returns at once.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop, which blocks in `accept`.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

/// Open connections, so that stopping can close the idle ones at once.
#[derive(Default)]
struct Conns {
    /// Each connection's write half, shared with the workers that answer on it.
    open: Mutex<HashMap<u64, Arc<TcpStream>>>,
    count: AtomicUsize,
}

impl Conns {
    /// A connection ended (or never started serving).
    fn forget(&self, id: u64) {
        self.open.lock().unwrap().remove(&id);
        self.count.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Server {
    /// Binds the listen address (port 0 picks a free port).
    pub fn bind(config: &ServerConfig) -> Result<Server, Error> {
        let listener = TcpListener::bind(&config.listen)
            .map_err(|e| Error::Config(format!("cannot listen on {}: {e}", config.listen)))?;
        Ok(Server {
            listener,
            config: config.clone(),
            stop: Arc::new(AtomicBool::new(false)),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn stop_handle(&self) -> StopHandle {
        let mut addr = self.local_addr();
        if addr.ip().is_unspecified() {
            addr.set_ip([127, 0, 0, 1].into());
        }
        StopHandle {
            stop: self.stop.clone(),
            addr,
        }
    }

    /// Serves until stopped; returns once in-flight requests are answered.
    pub fn run(self, app: Arc<App>) {
        let workers = self.config.workers();
        let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
        let jobs_rx = Arc::new(Mutex::new(jobs_rx));
        let pool: Vec<_> = (0..workers)
            .map(|i| {
                let (rx, app) = (jobs_rx.clone(), app.clone());
                thread::Builder::new()
                    .name(format!("worker-{i}"))
                    .spawn(move || work(&rx, &app))
                    .expect("spawning a worker thread")
            })
            .collect();
        let mode = match self.config.mode {
            Mode::Debug => "debug",
            Mode::Production => "production",
        };
        log::info!("serving in {mode} mode with {workers} worker thread(s)");
        let conns = Arc::new(Conns::default());
        self.accept_loop(&jobs_tx, &conns, &app);
        self.drain(&conns);
        drop(jobs_tx);
        for worker in pool {
            let _ = worker.join();
        }
        log::info!("stopped");
    }

    fn accept_loop(&self, jobs: &Sender<Job>, conns: &Arc<Conns>, app: &Arc<App>) {
        let limits = Limits {
            max_header_bytes: self.config.max_header_bytes,
            max_body_bytes: self.config.max_body_bytes,
            read_timeout: self.config.read_timeout,
        };
        let mut next_id = 0u64;
        for stream in self.listener.incoming() {
            if self.stop.load(Ordering::SeqCst) {
                break;
            }
            let Ok(stream) = stream else { continue };
            if conns.count.load(Ordering::SeqCst) >= self.config.max_connections {
                log::warn!(
                    "connection limit ({}) reached: refusing one",
                    self.config.max_connections
                );
                refuse(stream, app);
                continue;
            }
            next_id += 1;
            let shared = (jobs.clone(), conns.clone(), app.clone());
            self.spawn_conn(next_id, stream, limits, shared);
        }
    }

    fn spawn_conn(
        &self,
        id: u64,
        stream: TcpStream,
        limits: Limits,
        (jobs, conns, app): (Sender<Job>, Arc<Conns>, Arc<App>),
    ) {
        let _ = stream.set_nodelay(true);
        let _ = stream.set_write_timeout(Some(limits.read_timeout));
        let Ok(out) = stream.try_clone().map(Arc::new) else {
            return;
        };
        conns.open.lock().unwrap().insert(id, out.clone());
        conns.count.fetch_add(1, Ordering::SeqCst);
        let stop = self.stop.clone();
        let done = conns.clone();
        let spawned = thread::Builder::new()
            .name("conn".into())
            .stack_size(256 * 1024)
            .spawn(move || {
                serve_conn(Connection::new(stream), out, &limits, (&jobs, &app), &stop);
                done.forget(id);
            });
        if spawned.is_err() {
            log::error!("cannot spawn a connection thread");
            conns.forget(id);
        }
    }

    /// Closes idle connections and waits (bounded) for the busy ones to answer.
    fn drain(&self, conns: &Conns) {
        for stream in conns.open.lock().unwrap().values() {
            // Wakes readers blocked on an idle keep-alive connection; responses can still be
            // written, since only the read half is shut.
            let _ = stream.shutdown(Shutdown::Read);
        }
        let deadline = Instant::now() + self.config.read_timeout + Duration::from_secs(5);
        while conns.count.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Reads requests off one connection, has a worker answer each, writes the answers.
fn serve_conn(
    mut conn: Connection,
    out: Arc<TcpStream>,
    limits: &Limits,
    (jobs, app): (&Sender<Job>, &App),
    stop: &AtomicBool,
) {
    // The worker writes the answer itself, so the reader goes straight back to reading: one
    // thread hand-off per request instead of two. The next request is dispatched only once the
    // previous answer is written, which keeps pipelined answers in order; for a client that
    // waits for each answer the signal is already there and costs no wait.
    let (written_tx, written) = mpsc::sync_channel(1);
    let mut pending = false;
    loop {
        let read = conn.read_request(limits);
        if pending && !matches!(written.recv(), Ok(true)) {
            return;
        }
        let request = match read {
            Ok(Some(request)) => request,
            Ok(None) => return,
            Err(err) => {
                // The rest of the stream cannot be trusted to be at a request boundary: answer
                // and close.
                log::debug!("bad request: {err}");
                let response = Response::from_error(&err);
                app.metrics().rejected(response.status);
                let _ = response.write_to(&mut conn.stream, false, false);
                linger_close(&mut conn.stream);
                return;
            }
        };
        let keep_alive = request.keep_alive && !stop.load(Ordering::SeqCst);
        let job = Job {
            request,
            received: Instant::now(),
            out: out.clone(),
            keep_alive,
            written: written_tx.clone(),
        };
        if jobs.send(job).is_err() {
            return;
        }
        pending = true;
        if !keep_alive {
            let _ = written.recv();
            return;
        }
    }
}

/// Closes a connection whose client may still be sending (e.g. a body over the limit).
///
/// Closing a socket with unread input makes the kernel send a reset, which can destroy the
/// error response before the client reads it. So: stop writing, then read and discard for a
/// short, bounded while (at most 256 KiB or 500 ms), then close.
fn linger_close(stream: &mut TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let deadline = Instant::now() + Duration::from_millis(500);
    let mut buf = [0u8; 16 * 1024];
    let mut left = 256 * 1024usize;
    while left > 0 {
        let wait = deadline.saturating_duration_since(Instant::now());
        if wait.is_zero() || stream.set_read_timeout(Some(wait)).is_err() {
            break;
        }
        match std::io::Read::read(stream, &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => left = left.saturating_sub(n),
        }
    }
}

/// A worker: takes requests off the shared queue until the queue closes.
fn work(jobs: &Mutex<Receiver<Job>>, app: &App) {
    loop {
        let job = jobs.lock().unwrap().recv();
        let Ok(job) = job else {
            return;
        };
        let request = &job.request;
        let response = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            routes::handle(app, request, job.received)
        }))
        .unwrap_or_else(|_| {
            log::error!("handler panicked on {} {}", request.method, request.path);
            let elapsed = job.received.elapsed();
            app.metrics().request("none", &request.method, 500, elapsed);
            Response::json(500, r#"{"error":"internal error"}"#.into())
        });
        let head_only = request.method == "HEAD";
        let written = response
            .write_to(&mut &*job.out, job.keep_alive, head_only)
            .is_ok();
        if !written {
            // Wakes the reader if it is blocked reading a connection that is gone.
            let _ = job.out.shutdown(Shutdown::Both);
        }
        let _ = job.written.send(written);
    }
}

/// Answers a connection over the limit with 503 and closes it.
fn refuse(mut stream: TcpStream, app: &App) {
    let _ = stream.set_write_timeout(Some(Duration::from_millis(100)));
    let response = Response::from_error(&Error::TooManyConnections);
    app.metrics().rejected(response.status);
    let _ = response.write_to(&mut stream, false, false);
}
