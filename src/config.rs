//! Configuration: `phonebook.toml`, its defaults, and the command-line overrides on top.
//!
//! The file is parsed into plain "raw" structs that reject unknown keys (a typo must not be
//! silently ignored), then checked and turned into typed values here, so that every invalid
//! value stops start-up with one clear message and the rest of the program never re-checks.

use crate::error::Error;
pub use crate::store::riak::WriteMode;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The configuration file read when `--config` is not given (if it exists).
pub const DEFAULT_FILE: &str = "phonebook.toml";

/// How requests are handled: the single-thread/parallel split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One worker thread, every request logged.
    Debug,
    /// `threads` worker threads, logging at info.
    Production,
}

/// Where contacts are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// `embedded:PATH`: a database file on local disk.
    Embedded(PathBuf),
    /// `pbc://host:port[,host:port...]`: Riak over Protocol Buffers (default port 8087).
    RiakPbc(Vec<String>),
    /// `http://host:port[,host:port...]`: Riak over HTTP (default port 8098).
    RiakHttp(Vec<String>),
}

/// Which cache sits in front of the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheUrl {
    /// `off`: every read goes to the store.
    Off,
    /// `memcache://host:port[,host:port...]` (default port 11211), each as `host:port`; or
    /// `memcache+unix:///path/to/memcached.sock`, one server, as its absolute path (a
    /// `host:port` never starts with `/`, so the two cannot be confused).
    Memcache(Vec<String>),
}

/// The whole configuration, checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub server: ServerConfig,
    pub store: StoreConfig,
    pub cache: CacheConfig,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub mode: Mode,
    /// Worker threads in production mode (debug mode always uses one).
    pub threads: usize,
    pub listen: String,
    pub max_body_bytes: usize,
    pub max_header_bytes: usize,
    pub read_timeout: Duration,
    /// How long writing one whole answer may take before the connection is dropped.
    pub write_timeout: Duration,
    pub max_connections: usize,
    /// Requests that may wait for a worker; one more is answered 503 at once.
    pub max_queued: usize,
    /// How long a request may wait for a worker before it is answered 503.
    pub queue_timeout: Duration,
}

impl ServerConfig {
    /// The number of worker threads the mode implies.
    pub fn workers(&self) -> usize {
        match self.mode {
            Mode::Debug => 1,
            Mode::Production => self.threads,
        }
    }
}

#[derive(Debug, Clone)]
pub struct StoreConfig {
    pub url: StoreUrl,
    pub bucket: String,
    /// The deadline of one store request: connecting, sending and the whole answer.
    pub timeout: Duration,
    /// Sockets kept per Riak node (0: as many as worker threads).
    pub pool_size: usize,
    /// How Riak writes go: blind, read-first, or blind when the bucket allows it.
    pub write: WriteMode,
    /// Riak's `notfound_ok` for reads (false: no false "not found" while a node restarts).
    pub notfound_ok: bool,
}

#[derive(Debug, Clone)]
pub struct CacheConfig {
    pub url: CacheUrl,
    pub ttl_secs: u32,
    /// Connect, read and write timeout for one cache operation.
    pub timeout: Duration,
    /// Connections kept per memcached server (0: as many as worker threads).
    pub pool_size: usize,
}

/// Values given on the command line; each one replaces the file's.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub mode: Option<String>,
    pub threads: Option<usize>,
    pub listen: Option<String>,
    pub store: Option<String>,
    pub cache: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct RawFile {
    server: RawServer,
    store: RawStore,
    cache: RawCache,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawServer {
    mode: String,
    threads: usize,
    listen: String,
    max_body_bytes: usize,
    max_header_bytes: usize,
    read_timeout_ms: u64,
    write_timeout_ms: u64,
    max_connections: usize,
    max_queued: usize,
    queue_timeout_ms: u64,
}

impl Default for RawServer {
    fn default() -> Self {
        RawServer {
            mode: "debug".into(),
            threads: 16,
            listen: "127.0.0.1:8080".into(),
            max_body_bytes: 16 * 1024,
            max_header_bytes: 8 * 1024,
            read_timeout_ms: 5_000,
            write_timeout_ms: 5_000,
            max_connections: 1_000,
            max_queued: 64,
            queue_timeout_ms: 1_000,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawStore {
    url: String,
    bucket: String,
    timeout_ms: u64,
    pool_size: usize,
    write: String,
    notfound_ok: bool,
}

impl Default for RawStore {
    fn default() -> Self {
        RawStore {
            url: "embedded:data/phonebook.redb".into(),
            bucket: "phonebook".into(),
            timeout_ms: 2_000,
            pool_size: 0,
            write: "auto".into(),
            notfound_ok: false,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RawCache {
    url: String,
    ttl_secs: u32,
    timeout_ms: u64,
    pool_size: usize,
}

impl Default for RawCache {
    fn default() -> Self {
        RawCache {
            url: "off".into(),
            ttl_secs: 10,
            timeout_ms: 150,
            pool_size: 0,
        }
    }
}

/// Reads the configuration file (the `--config` one, else `phonebook.toml` if present, else the
/// built-in defaults) and applies the overrides.
pub fn load(over: &Overrides) -> Result<Config, Error> {
    let raw = match &over.config {
        Some(path) => read_file(path)?,
        None if Path::new(DEFAULT_FILE).exists() => read_file(Path::new(DEFAULT_FILE))?,
        None => RawFile::default(),
    };
    build(raw, over)
}

/// Parses configuration text (the file's contents) and applies the overrides.
pub fn from_toml(text: &str, over: &Overrides) -> Result<Config, Error> {
    let raw = toml::from_str(text).map_err(|e| Error::Config(e.to_string()))?;
    build(raw, over)
}

fn read_file(path: &Path) -> Result<RawFile, Error> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
    toml::from_str(&text).map_err(|e| Error::Config(format!("{}: {e}", path.display())))
}

fn build(raw: RawFile, over: &Overrides) -> Result<Config, Error> {
    let s = raw.server;
    let server = ServerConfig {
        mode: parse_mode(over.mode.as_deref().unwrap_or(&s.mode))?,
        threads: positive("server.threads", over.threads.unwrap_or(s.threads), 1024)?,
        listen: over.listen.clone().unwrap_or(s.listen),
        max_body_bytes: positive("server.max_body_bytes", s.max_body_bytes, 1 << 20)?,
        max_header_bytes: positive("server.max_header_bytes", s.max_header_bytes, 1 << 20)?,
        read_timeout: millis("server.read_timeout_ms", s.read_timeout_ms)?,
        write_timeout: millis("server.write_timeout_ms", s.write_timeout_ms)?,
        max_connections: positive("server.max_connections", s.max_connections, 100_000)?,
        max_queued: positive("server.max_queued", s.max_queued, 100_000)?,
        queue_timeout: millis("server.queue_timeout_ms", s.queue_timeout_ms)?,
    };
    let store = StoreConfig {
        url: parse_store_url(over.store.as_deref().unwrap_or(&raw.store.url))?,
        bucket: parse_bucket(&raw.store.bucket)?,
        timeout: millis("store.timeout_ms", raw.store.timeout_ms)?,
        pool_size: raw.store.pool_size,
        write: parse_write(&raw.store.write)?,
        notfound_ok: raw.store.notfound_ok,
    };
    let cache = CacheConfig {
        url: parse_cache_url(over.cache.as_deref().unwrap_or(&raw.cache.url))?,
        ttl_secs: positive("cache.ttl_secs", raw.cache.ttl_secs as usize, 30 * 86_400)? as u32,
        timeout: millis("cache.timeout_ms", raw.cache.timeout_ms)?,
        pool_size: raw.cache.pool_size,
    };
    Ok(Config {
        server,
        store,
        cache,
    })
}

fn parse_write(text: &str) -> Result<WriteMode, Error> {
    match text {
        "auto" => Ok(WriteMode::Auto),
        "blind" => Ok(WriteMode::Blind),
        "read-first" => Ok(WriteMode::ReadFirst),
        other => Err(Error::Config(format!(
            "store.write must be \"auto\", \"blind\" or \"read-first\", not {other:?}"
        ))),
    }
}

fn parse_mode(text: &str) -> Result<Mode, Error> {
    match text {
        "debug" => Ok(Mode::Debug),
        "production" => Ok(Mode::Production),
        other => Err(Error::Config(format!(
            "mode must be \"debug\" or \"production\", not {other:?}"
        ))),
    }
}

fn positive(key: &str, value: usize, max: usize) -> Result<usize, Error> {
    if value == 0 || value > max {
        return Err(Error::Config(format!(
            "{key} must be 1 to {max}, not {value}"
        )));
    }
    Ok(value)
}

fn millis(key: &str, ms: u64) -> Result<Duration, Error> {
    positive(key, ms as usize, 600_000)?;
    Ok(Duration::from_millis(ms))
}

fn parse_bucket(bucket: &str) -> Result<String, Error> {
    let ok = !bucket.is_empty()
        && bucket.len() <= 100
        && bucket
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if !ok {
        return Err(Error::Config(format!(
            "store.bucket must be 1-100 of A-Z a-z 0-9 - _ ., not {bucket:?}"
        )));
    }
    Ok(bucket.to_string())
}

/// Parses `embedded:PATH`, `pbc://host:port,...` or `http://host:port,...`.
pub fn parse_store_url(url: &str) -> Result<StoreUrl, Error> {
    if let Some(path) = url.strip_prefix("embedded:") {
        if path.is_empty() {
            return Err(Error::Config("embedded: needs a file path".into()));
        }
        return Ok(StoreUrl::Embedded(PathBuf::from(path)));
    }
    if let Some(hosts) = url.strip_prefix("pbc://") {
        return Ok(StoreUrl::RiakPbc(parse_hosts(url, hosts, 8087)?));
    }
    if let Some(hosts) = url.strip_prefix("http://") {
        return Ok(StoreUrl::RiakHttp(parse_hosts(url, hosts, 8098)?));
    }
    Err(Error::Config(format!(
        "store URL {url:?} must start with embedded:, pbc:// or http://"
    )))
}

/// Parses `off`, `memcache://host:port,...` or `memcache+unix:///path`.
pub fn parse_cache_url(url: &str) -> Result<CacheUrl, Error> {
    if url == "off" {
        return Ok(CacheUrl::Off);
    }
    if let Some(hosts) = url.strip_prefix("memcache://") {
        return Ok(CacheUrl::Memcache(parse_hosts(url, hosts, 11211)?));
    }
    if let Some(path) = url.strip_prefix("memcache+unix://") {
        return Ok(CacheUrl::Memcache(vec![parse_socket_path(url, path)?]));
    }
    Err(Error::Config(format!(
        "cache URL {url:?} must be off, memcache://host:port or memcache+unix:///path"
    )))
}

/// Longest Unix socket path Linux takes (`sun_path` is 108 bytes, with the final NUL).
const MAX_SOCKET_PATH: usize = 107;

/// Checks the path of a `memcache+unix://` URL: absolute, one socket, short enough.
fn parse_socket_path(url: &str, path: &str) -> Result<String, Error> {
    let bad = |why: &str| {
        Error::Config(format!(
            "{url:?}: {why} (e.g. memcache+unix:///run/memcached/memcached.sock)"
        ))
    };
    if !path.starts_with('/') || path.ends_with('/') {
        return Err(bad("needs the absolute path of memcached's socket"));
    }
    if path.contains([',', '\0']) {
        return Err(bad("takes one socket path"));
    }
    if path.len() > MAX_SOCKET_PATH {
        return Err(bad(&format!(
            "a socket path is at most {MAX_SOCKET_PATH} bytes"
        )));
    }
    Ok(path.to_string())
}

/// Splits `host[:port],host[:port]` into `host:port` strings, filling in the default port.
fn parse_hosts(url: &str, hosts: &str, default_port: u16) -> Result<Vec<String>, Error> {
    let bad = |why: &str| Error::Config(format!("{url:?}: {why}"));
    let mut out = Vec::new();
    for item in hosts.trim_end_matches('/').split(',') {
        let item = item.trim();
        let (host, port) = match item.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(':') => {
                (h, p.parse::<u16>().map_err(|_| bad("bad port"))?)
            }
            _ => (item, default_port),
        };
        if host.is_empty() || port == 0 || host.contains(['/', '@', '?', ' ']) {
            return Err(bad("each node must be host[:port]"));
        }
        out.push(format!("{host}:{port}"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_with_default_ports() {
        assert_eq!(
            parse_store_url("pbc://a,b:9000").unwrap(),
            StoreUrl::RiakPbc(vec!["a:8087".into(), "b:9000".into()])
        );
        assert_eq!(
            parse_store_url("http://127.0.0.1").unwrap(),
            StoreUrl::RiakHttp(vec!["127.0.0.1:8098".into()])
        );
        assert_eq!(
            parse_cache_url("memcache://localhost").unwrap(),
            CacheUrl::Memcache(vec!["localhost:11211".into()])
        );
        assert_eq!(
            parse_cache_url("memcache+unix:///run/memcached/memcached.sock").unwrap(),
            CacheUrl::Memcache(vec!["/run/memcached/memcached.sock".into()])
        );
        let long = format!("memcache+unix:///{}", "s".repeat(107));
        for bad in [
            "memcache+unix://",
            "memcache+unix://run/memcached.sock",
            "memcache+unix:///run/",
            "memcache+unix:///a.sock,/b.sock",
            long.as_str(),
            "memcache+tcp://a",
        ] {
            let err = parse_cache_url(bad).unwrap_err().to_string();
            assert!(err.contains("memcache+unix:///"), "{bad}: {err}");
        }
        for bad in [
            "riak://x",
            "pbc://",
            "pbc://a:99999",
            "http://a,,b",
            "embedded:",
            "memcache:",
        ] {
            assert!(
                parse_store_url(bad).is_err() || parse_cache_url(bad).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_shipped_file_is_valid_and_overrides_win() {
        let text = include_str!("../phonebook.toml");
        let over = Overrides {
            mode: Some("production".into()),
            threads: Some(4),
            ..Overrides::default()
        };
        let config = from_toml(text, &over).unwrap();
        assert_eq!(config.server.workers(), 4);
        assert_eq!(config.cache.ttl_secs, 10);
        assert!(from_toml("[server]\nthreds = 3\n", &Overrides::default()).is_err());
        assert!(from_toml("[server]\nthreads = 0\n", &Overrides::default()).is_err());
    }

    #[test]
    fn riak_write_modes_and_notfound_ok_parse() {
        let none = Overrides::default();
        let store = |text: &str| from_toml(&format!("[store]\n{text}"), &none).map(|c| c.store);
        let defaults = store("").unwrap();
        assert_eq!(
            (defaults.write, defaults.notfound_ok),
            (WriteMode::Auto, false)
        );
        assert_eq!(store("write = \"blind\"").unwrap().write, WriteMode::Blind);
        let first = store("write = \"read-first\"\nnotfound_ok = true").unwrap();
        assert_eq!(
            (first.write, first.notfound_ok),
            (WriteMode::ReadFirst, true)
        );
        let err = store("write = \"sometimes\"").unwrap_err().to_string();
        assert!(err.contains("store.write"), "{err}");
    }
}
