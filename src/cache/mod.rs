//! The memcached cache: the only module that speaks to memcached. It owns the key scheme
//! (`keys.rs`), which server holds a key, the text protocol (`memcached.rs`), and failing open:
//! any error is a miss answered from the store, and the server is skipped for [`BACKOFF`]
//! (`server.rs`). The cache-aside policy is `app.rs`'s; why and how: docs/cache.md.

use crate::contact::Contact;
use crate::error::Error;
use crate::pool::Connect;
use keys::{key, server_index};
use memcached::Maker;
use server::McServer;
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

mod keys;
mod memcached;
mod server;
mod settings;
mod stream;

pub use settings::{parse_url, CacheConfig, CacheUrl};

/// How long a server that failed is skipped before one request tries it again.
pub const BACKOFF: Duration = Duration::from_secs(1);
/// Cache warnings are logged at most this often; the others are counted.
pub const WARN_EVERY: Duration = Duration::from_secs(10);

/// What a cache operation came to. Failures are logged here; the caller counts them.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome<T> {
    Done(T),
    /// memcached failed or timed out; the server is skipped for a while.
    Failed,
    /// Not tried: the server failed recently.
    Skipped,
}

/// A client for one or more memcached servers, shared by all workers.
pub struct Cache {
    servers: Vec<McServer>,
    ttl_secs: u32,
    timeout: Duration,
    clock: Instant,
    /// When the last warning was logged (ms on `clock`, plus one; 0: never).
    warned_at: AtomicU64,
    /// Failures not logged since the last warning.
    unlogged: AtomicU64,
}

impl Cache {
    /// The cache the configuration names, or `None` when it is off. Connects lazily: a
    /// memcached that is down at start-up is only a warning, later.
    pub fn open(config: &CacheConfig, workers: usize) -> Option<Cache> {
        let CacheUrl::Memcache(addrs) = &config.url else {
            return None;
        };
        let size = match config.pool_size {
            0 => workers,
            n => n,
        };
        let servers = addrs
            .iter()
            .map(|addr| McServer::new(addr, size, config.timeout))
            .collect();
        Some(Cache {
            servers,
            ttl_secs: config.ttl_secs,
            timeout: config.timeout,
            clock: Instant::now(),
            warned_at: AtomicU64::new(0),
            unlogged: AtomicU64::new(0),
        })
    }

    /// The cached contact with this name; `Done(None)` on a miss.
    pub fn get(&self, name: &str) -> Outcome<Option<Contact>> {
        let key = key(name);
        match self.with_conn(&key, |conn| conn.get(&key)) {
            Outcome::Done(value) => Outcome::Done(value.and_then(|v| decode(name, &v))),
            Outcome::Failed => Outcome::Failed,
            Outcome::Skipped => Outcome::Skipped,
        }
    }

    /// Caches a contact just read from the store, unless an entry exists already: a writer's
    /// newer entry set meanwhile must not be replaced by this older read.
    pub fn fill(&self, contact: &Contact) -> Outcome<()> {
        self.store("add", contact)
    }

    /// Caches a contact just written to the store, replacing any entry.
    pub fn put(&self, contact: &Contact) -> Outcome<()> {
        self.store("set", contact)
    }

    /// Marks a contact just deleted from the store: its entry is replaced by a tombstone (a
    /// value no read takes for a contact) for `ttl_secs`, so that a reader's `add` of the old
    /// value, read from the store just before the delete, finds an entry and stores nothing.
    pub fn forget(&self, name: &str) -> Outcome<()> {
        let key = key(name);
        let set =
            |conn: &mut memcached::McSocket| conn.store("set", &key, TOMBSTONE, self.ttl_secs);
        match self.with_conn(&key, set) {
            Outcome::Done(_) => Outcome::Done(()),
            Outcome::Failed => Outcome::Failed,
            Outcome::Skipped => Outcome::Skipped,
        }
    }

    /// How often a worker waited for a memcached connection, over all servers.
    pub fn pool_waits(&self) -> u64 {
        self.servers.iter().map(|s| s.pool.waits()).sum()
    }

    fn store(&self, verb: &str, contact: &Contact) -> Outcome<()> {
        let key = key(&contact.name);
        let value = contact.to_json();
        match self.with_conn(&key, |conn| conn.store(verb, &key, &value, self.ttl_secs)) {
            Outcome::Done(_) => Outcome::Done(()),
            Outcome::Failed => Outcome::Failed,
            Outcome::Skipped => Outcome::Skipped,
        }
    }

    /// Runs one command on a pooled connection to the key's server, failing open.
    fn with_conn<T>(
        &self,
        key: &str,
        op: impl FnOnce(&mut memcached::McSocket) -> io::Result<T>,
    ) -> Outcome<T> {
        let addrs = self.servers.iter().map(|s| s.addr.as_str());
        // A server that is down stays this key's server: its keys go to the store meanwhile,
        // rather than to another server that may hold an older copy from before it went down.
        let server = &self.servers[server_index(key, addrs)];
        let now = self.now_ms();
        if !server.usable(now) {
            return Outcome::Skipped;
        }
        // One deadline for the whole operation: waiting for a connection, connecting, the
        // command and its whole answer.
        let deadline = Instant::now() + self.timeout;
        let result = server.pool.get(self.timeout).and_then(|mut conn| {
            // After any error the socket may hold half a reply: never reuse it.
            op(conn.until(deadline)).inspect_err(|_| conn.mark_broken())
        });
        match result {
            Ok(value) => {
                server.up();
                Outcome::Done(value)
            }
            Err(err) => {
                server.down(now);
                self.warn(&server.addr, &err, now);
                Outcome::Failed
            }
        }
    }

    /// Logs a warning unless one was logged within [`WARN_EVERY`]; when it logs, returns how
    /// many failures went unlogged since the last one.
    fn warn(&self, addr: &str, err: &io::Error, now: u64) -> Option<u64> {
        let last = self.warned_at.load(Ordering::Relaxed);
        let due = last == 0 || now >= last + WARN_EVERY.as_millis() as u64;
        if due
            && self
                .warned_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            let unlogged = self.unlogged.swap(0, Ordering::Relaxed);
            log::warn!(
                "cache: memcached {addr} failed ({err}); answering from the store, retrying in \
                 {BACKOFF:?} ({unlogged} more cache failures since the last warning)"
            );
            Some(unlogged)
        } else {
            self.unlogged.fetch_add(1, Ordering::Relaxed);
            None
        }
    }

    /// Milliseconds on the cache's clock, never 0.
    fn now_ms(&self) -> u64 {
        self.clock.elapsed().as_millis() as u64 + 1
    }
}

/// Empties every configured memcached server (`flush_all`). For tools and operators.
pub fn flush_all(config: &CacheConfig) -> Result<Vec<String>, Error> {
    let CacheUrl::Memcache(addrs) = &config.url else {
        return Err(Error::Config(
            "no cache configured: give --cache memcache://host:port".into(),
        ));
    };
    // A person or a script waits here, not a request: allow a slow network.
    let timeout = config.timeout.max(Duration::from_secs(2));
    for addr in addrs {
        Maker::new(addr, timeout)
            .connect()
            .and_then(|mut conn| conn.until(Instant::now() + timeout).flush_all())
            .map_err(|e| io::Error::new(e.kind(), format!("memcached {addr}: {e}")))?;
    }
    Ok(addrs.clone())
}

/// The value of a deleted contact's entry: not a contact, so a read of it is a miss.
const TOMBSTONE: &str = "deleted";

/// The cached contact, if the value is one and is for this very name.
fn decode(name: &str, value: &[u8]) -> Option<Contact> {
    serde_json::from_slice::<Contact>(value)
        .ok()
        .filter(|c| c.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;
    use std::sync::Barrier;
    use std::thread;

    /// A cache on one memcached at `addr`. It connects lazily: tests that only look at its
    /// state need nothing listening there.
    fn cache_on(addr: &str, pool_size: usize, timeout: Duration) -> Cache {
        let config = CacheConfig {
            url: CacheUrl::Memcache(vec![addr.to_string()]),
            ttl_secs: 10,
            timeout,
            pool_size,
        };
        Cache::open(&config, 4).expect("a cache")
    }

    #[test]
    fn warnings_are_logged_once_per_interval_counting_the_others() {
        let cache = cache_on("127.0.0.1:9", 1, Duration::from_millis(100));
        let err = io::Error::other("refused");
        let every = WARN_EVERY.as_millis() as u64;
        assert_eq!(cache.warn("a", &err, 5_000), Some(0), "the first is logged");
        assert_eq!(cache.warn("a", &err, 5_001), None);
        assert_eq!(cache.warn("a", &err, 5_000 + every - 1), None);
        assert_eq!(
            cache.warn("a", &err, 5_000 + every),
            Some(2),
            "with the count"
        );
        assert_eq!(cache.warn("a", &err, 5_000 + every), None);
    }

    #[test]
    fn the_clock_never_reads_zero() {
        // 0 means "up" in `down_until` and "never" in `warned_at`.
        let cache = cache_on("127.0.0.1:9", 1, Duration::from_millis(100));
        assert!(cache.now_ms() >= 1);
    }

    #[test]
    fn a_worker_that_waits_for_a_connection_is_counted() {
        // One connection, held 200 ms by each `get` (the server answers a miss that late).
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        thread::spawn(move || {
            let (conn, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(conn.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                thread::sleep(Duration::from_millis(200));
                if (&conn).write_all(b"END\r\n").is_err() {
                    return;
                }
                line.clear();
            }
        });
        let cache = cache_on(&addr, 1, Duration::from_secs(5));
        assert_eq!(cache.pool_waits(), 0);
        let start = Barrier::new(2);
        thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    start.wait();
                    assert_eq!(cache.get("Anna"), Outcome::Done(None));
                });
            }
        });
        assert!(
            cache.pool_waits() >= 1,
            "the second get waited for the first"
        );
    }

    #[test]
    fn a_value_for_another_name_is_a_miss() {
        let contact = Contact::parse("Anna", "123").unwrap();
        let json = contact.to_json();
        assert_eq!(decode("Anna", json.as_bytes()), Some(contact));
        assert_eq!(decode("Anne", json.as_bytes()), None);
        assert_eq!(decode("Anna", b"garbage"), None);
    }
}
