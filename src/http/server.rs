//! The server: binding, the accept loop, one thread per connection (`conn.rs`), the connection
//! limit, and a graceful stop on SIGINT/SIGTERM (docs/http.md).

use crate::app::App;
use crate::config::{AuthConfig, Mode, ServerConfig};
use crate::error::Error;
use crate::http::conn::{self, Shared};
use crate::http::fds::{self, AcceptBackoff};
use crate::http::gate::Gate;
use crate::http::guard::Guard;
use crate::http::reject::Reject;
use crate::http::request::{Connection, Limits, Socket};
use crate::http::response::Persist;
use crate::throttle::Throttle;
use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Stack of a connection thread, which also runs the handler (store and cache calls included).
const CONN_STACK: usize = 1024 * 1024;

/// How often the warning for connections refused over the limit is logged at most.
const REFUSED_LOG_EVERY: Duration = Duration::from_secs(10);

/// A bound server, not yet serving.
pub(crate) struct Server {
    listener: TcpListener,
    config: ServerConfig,
    guard: Arc<Guard>,
    stop: Arc<AtomicBool>,
}

/// Stops a running server from another thread (or a signal handler).
#[derive(Clone)]
pub(crate) struct StopHandle {
    stop: Arc<AtomicBool>,
    addr: SocketAddr,
}

impl StopHandle {
    /// Asks the server to stop; returns at once.
    pub(crate) fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop, which blocks in `accept`.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
    }
}

/// Open connections, so that stopping can close the idle ones at once.
type Conns = Mutex<HashMap<u64, Arc<Socket>>>;

impl Server {
    /// Checks that the open-file limit can hold `max_connections` (raising it if need be) and
    /// binds the listen address (port 0 picks a free port); `htpasswd` is the text of the
    /// login's file when login is on.
    pub(crate) fn bind(
        config: &ServerConfig,
        auth: &AuthConfig,
        htpasswd: Option<&str>,
    ) -> Result<Server, Error> {
        fds::ensure_limit(config.max_connections, config.workers())?;
        let guard = Arc::new(Guard::new(config, auth, htpasswd)?);
        if guard.login_on() {
            log::info!("login: writes need a user of the htpasswd file");
        }
        let listener = TcpListener::bind(&config.listen)
            .map_err(|e| Error::start(format!("cannot listen on {}", config.listen), e))?;
        Ok(Server {
            listener,
            config: config.clone(),
            guard,
            stop: Arc::new(AtomicBool::new(false)),
        })
    }

    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// A handle whose wake-up connects to the loopback address of the listener's family
    /// (`[::1]` when listening on `[::]`, which may not accept IPv4).
    pub(crate) fn stop_handle(&self) -> StopHandle {
        let mut addr = self.local_addr();
        if addr.ip().is_unspecified() {
            match addr {
                SocketAddr::V4(_) => addr.set_ip(Ipv4Addr::LOCALHOST.into()),
                SocketAddr::V6(_) => addr.set_ip(Ipv6Addr::LOCALHOST.into()),
            }
        }
        StopHandle {
            stop: self.stop.clone(),
            addr,
        }
    }

    /// Serves until stopped; returns once in-flight requests are answered.
    pub(crate) fn run(self, app: Arc<App>) {
        let workers = self.config.workers();
        let mode = match self.config.mode {
            Mode::Debug => "debug",
            Mode::Production => "production",
        };
        log::info!("serving in {mode} mode with {workers} worker(s): requests handled at once");
        let gate = Arc::new(Gate::new(workers, self.config.max_queued));
        let conns = Arc::new(Conns::default());
        self.accept_loop(&conns, &app, &gate);
        self.drain(&conns);
        log::info!("stopped");
    }

    fn accept_loop(&self, conns: &Arc<Conns>, app: &Arc<App>, gate: &Arc<Gate>) {
        let mut backoff = AcceptBackoff::default();
        let mut next_id = 0u64;
        let refused = Throttle::new(REFUSED_LOG_EVERY);
        while !self.stop.load(Ordering::SeqCst) {
            let stream = match self.listener.accept() {
                Ok((stream, _)) => stream,
                Err(err) => {
                    let (sleep, log) = backoff.failed(Instant::now());
                    if let Some(count) = log {
                        log::warn!("accept failed {count} time(s): {err}; backing off");
                    }
                    thread::sleep(sleep);
                    continue;
                }
            };
            backoff.succeeded();
            if self.stop.load(Ordering::SeqCst) {
                break;
            }
            if conns.lock().unwrap().len() >= self.config.max_connections {
                if let Some(count) = refused.hit(Instant::now()) {
                    log::warn!(
                        "connection limit ({}) reached: refused {count} connection(s) since the \
                         last warning",
                        self.config.max_connections
                    );
                }
                refuse(stream, app);
                continue;
            }
            next_id += 1;
            self.spawn_conn(next_id, stream, (conns.clone(), app.clone(), gate.clone()));
        }
    }

    fn spawn_conn(
        &self,
        id: u64,
        stream: TcpStream,
        (conns, app, gate): (Arc<Conns>, Arc<App>, Arc<Gate>),
    ) {
        let _ = stream.set_nodelay(true);
        let socket = Arc::new(Socket::new(stream));
        conns.lock().unwrap().insert(id, socket.clone());
        let (stop, config, guard) = (self.stop.clone(), self.config.clone(), self.guard.clone());
        let done = conns.clone();
        let spawned = thread::Builder::new()
            .name("conn".into())
            .stack_size(CONN_STACK)
            .spawn(move || {
                let shared = Shared {
                    app: &app,
                    gate: &gate,
                    guard: &guard,
                    limits: Limits {
                        max_header_bytes: config.max_header_bytes,
                        max_body_bytes: config.max_body_bytes,
                        read_timeout: config.read_timeout,
                    },
                    queue_timeout: config.queue_timeout,
                    write_timeout: config.write_timeout,
                    stop: &stop,
                };
                conn::serve(Connection::new(socket), &shared);
                done.lock().unwrap().remove(&id);
            });
        if spawned.is_err() {
            log::error!("cannot spawn a connection thread");
            conns.lock().unwrap().remove(&id);
        }
    }

    /// Closes idle connections and waits (bounded) for the busy ones to finish their request:
    /// one whose body is still arriving has the read timeout to complete it.
    fn drain(&self, conns: &Conns) {
        let limit = self.config.read_timeout + self.config.write_timeout + Duration::from_secs(1);
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            let open = conns.lock().unwrap();
            if open.is_empty() {
                return;
            }
            // Wakes readers blocked between requests; shutting only the read half would still
            // let an answer be written. A connection busy with a request is left alone until it
            // comes back between requests (it answers with `Connection: close`).
            for socket in open.values().filter(|s| s.is_idle()) {
                let _ = socket.stream.shutdown(Shutdown::Read);
            }
            drop(open);
            thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Answers a connection over the limit with 503 and closes it.
fn refuse(stream: TcpStream, app: &App) {
    let response = Reject::TooManyConnections.response(None);
    app.metrics().rejected(response.status);
    let bytes = response.encode(Persist::Close, false);
    let limit = Duration::from_millis(100);
    let _ = stream.set_write_timeout(Some(limit));
    let _ = conn::write_all(&stream, &bytes, limit);
    let _ = stream.shutdown(Shutdown::Write);
    // Reads what the client already sent, without waiting (this is the accept thread), so that
    // closing does not reset the connection and destroy the answer.
    if stream.set_nonblocking(true).is_ok() {
        let mut buf = [0u8; 4096];
        for _ in 0..16 {
            if !matches!(std::io::Read::read(&mut &stream, &mut buf), Ok(n) if n > 0) {
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{from_toml, Overrides};

    #[test]
    fn the_stop_wake_up_uses_the_listeners_address_family() {
        for (listen, loopback) in [("0.0.0.0:0", "127.0.0.1"), ("[::]:0", "::1")] {
            let text = format!("[server]\nlisten = \"{listen}\"\n");
            let config = from_toml(&text, &Overrides::default()).unwrap();
            let Ok(server) = Server::bind(&config.server, &config.auth, None) else {
                continue; // No IPv6 on this machine: nothing to wake.
            };
            let handle = server.stop_handle();
            assert_eq!(handle.addr.ip().to_string(), loopback);
            assert_eq!(handle.addr.port(), server.local_addr().port());
        }
    }
}
