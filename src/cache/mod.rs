//! The memcached cache: the only module that speaks to memcached.
//!
//! The cache-aside policy (what is read and written when) lives in `app.rs`; this module owns
//! the wire protocol, the key scheme, which server holds a key, and failing open.
//!
//! **Wire.** A few lines of the memcached text protocol (`get`, `set`, `add`, `flush_all`, in
//! the private `memcached` submodule) over TCP or Unix sockets from the FIFO pool, one command
//! per `write`, each operation (connection, command and whole answer) within one deadline.
//! The `memcache` crate was measured and left out: it has no TCP connect timeout, checks every
//! connection out with an extra `version` round trip, writes each header field with its own
//! syscall, runs three r2d2 threads per connection, and logs every failed connect at error
//! level; a `get` took 3 to 9 times as long as with these few lines.
//!
//! **Keys.** `pb:` + the name with spaces, control characters, `%` and every non-ASCII byte
//! percent-encoded: readable, and one-to-one. When that is longer than memcached's 250 bytes
//! (long non-ASCII names), the key is `pb#` + the 128-bit FNV-1a hash of the name in hex. No
//! scheme can be both bounded and one-to-one here (there are more valid names than 250-byte
//! keys), so the value holds the whole contact and a read whose name differs is a miss: a
//! hash collision costs a store read, never a wrong number.
//!
//! **Failing open.** Any error or timeout closes the socket, counts as a failed operation, and
//! marks that server down for [`BACKOFF`]: requests skip it (answered from the store) until one
//! request probes it again, so a dead memcached costs one timeout per second, not one per
//! request. A warning is logged at most once per [`WARN_EVERY`].

use crate::config::{CacheConfig, CacheUrl};
use crate::contact::Contact;
use crate::error::Error;
use crate::pool::{Connect, Pool};
use memcached::Maker;
use percent_encoding::{percent_encode, AsciiSet, CONTROLS};
use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

mod memcached;

/// How long a server that failed is skipped before one request tries it again.
pub const BACKOFF: Duration = Duration::from_secs(1);
/// Cache warnings are logged at most this often; the others are counted.
pub const WARN_EVERY: Duration = Duration::from_secs(10);
/// memcached's key length limit.
const MAX_KEY: usize = 250;
/// Bytes that may not appear in a key as they are (the text protocol splits on spaces).
const UNSAFE: &AsciiSet = &CONTROLS.add(b' ').add(b'%');

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

struct McServer {
    addr: String,
    pool: Pool<Maker>,
    /// 0 when up; else skipped until this time (ms on the cache's clock).
    down_until: AtomicU64,
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
            .map(|addr| McServer {
                addr: addr.clone(),
                pool: Pool::new(Maker::new(addr, config.timeout), size),
                down_until: AtomicU64::new(0),
            })
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
        let server = &self.servers[server_index(key, self.servers.len())];
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

impl McServer {
    /// Whether to try this server now: yes when up; when down, only for the one request that
    /// claims the probe once the backoff is over.
    fn usable(&self, now: u64) -> bool {
        let until = self.down_until.load(Ordering::Relaxed);
        until == 0
            || (now >= until
                && self
                    .down_until
                    .compare_exchange(
                        until,
                        now + backoff_ms(),
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    )
                    .is_ok())
    }

    /// Marks the server up; true when it was down (and that is logged).
    fn up(&self) -> bool {
        // Load first: a write on every operation would bounce the cache line between cores.
        let back = self.down_until.load(Ordering::Relaxed) != 0
            && self.down_until.swap(0, Ordering::Relaxed) != 0;
        if back {
            log::info!("cache: memcached {} answers again", self.addr);
        }
        back
    }

    fn down(&self, now: u64) {
        self.down_until.store(now + backoff_ms(), Ordering::Relaxed);
        // The idle sockets most likely point at the same dead or restarted process.
        self.pool.clear();
    }
}

fn backoff_ms() -> u64 {
    BACKOFF.as_millis() as u64
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

/// The memcached key of a (validated) name; see the module documentation.
pub fn key(name: &str) -> String {
    let plain = format!("pb:{}", percent_encode(name.as_bytes(), UNSAFE));
    if plain.len() <= MAX_KEY {
        plain
    } else {
        format!("pb#{:032x}", fnv1a_128(name.as_bytes()))
    }
}

/// FNV-1a, 128 bits: a fixed, documented function, so every phonebook process (of any build)
/// derives the same keys.
fn fnv1a_128(bytes: &[u8]) -> u128 {
    const OFFSET: u128 = 0x6c62272e07bb014262b821756295c58d;
    const PRIME: u128 = 0x0000000001000000000000000000013b;
    bytes
        .iter()
        .fold(OFFSET, |h, &b| (h ^ b as u128).wrapping_mul(PRIME))
}

/// Which server holds a key: stable across processes, so all instances agree.
fn server_index(key: &str, servers: usize) -> usize {
    (fnv1a_128(key.as_bytes()) % servers as u128) as usize
}

/// The cached contact, if the value is one and is for this very name.
fn decode(name: &str, value: &[u8]) -> Option<Contact> {
    serde_json::from_slice::<Contact>(value)
        .ok()
        .filter(|c| c.name == name)
}

#[cfg(test)]
mod tests;
