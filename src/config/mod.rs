//! Configuration: `phonebook.toml`, its defaults, and the command-line overrides on top.
//!
//! The file is parsed into "raw" structs that reject unknown keys (a typo must not be silently
//! ignored) and whose `Default`s are the defaults, the one place they are written; then each
//! value is checked once (the URLs by their backends' parsers), so an invalid one stops
//! start-up with one clear message.

use crate::cache::{self, CacheConfig};
use crate::error::Error;
use crate::store::riak::{Quorum, Quorums, WriteMode};
use crate::store::{self, StoreConfig};
use crate::url::{allowed_hosts, trusted_origins};
use raw::{RawFile, RawStore};
use std::path::{Path, PathBuf};
use std::time::Duration;

mod raw;

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

/// The whole configuration, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub server: ServerConfig,
    pub store: StoreConfig,
    pub cache: CacheConfig,
    pub auth: AuthConfig,
}

#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// The `Host` values served (a name matches with any port); empty: any host.
    pub allowed_hosts: Vec<String>,
    /// Origins (`scheme://host[:port]`) whose pages may write here.
    pub trusted_origins: Vec<String>,
}

/// The `[auth]` settings: the optional login for writes (and reads).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthConfig {
    /// The htpasswd file (bcrypt entries) whose users may write; `None`: no login.
    pub htpasswd: Option<PathBuf>,
    /// Whether reads need the login too.
    pub reads: bool,
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
        allowed_hosts: Vec::new(),
        trusted_origins: trusted_origins(&s.trusted_origins)?,
    };
    let server = ServerConfig {
        allowed_hosts: allowed_hosts(&s.allowed_hosts, &server.listen)?,
        ..server
    };
    let store = StoreConfig {
        url: store::parse_url(over.store.as_deref().unwrap_or(&raw.store.url))?,
        bucket: parse_bucket(&raw.store.bucket)?,
        timeout: millis("store.timeout_ms", raw.store.timeout_ms)?,
        pool_size: raw.store.pool_size,
        write: WriteMode::parse(&raw.store.write)?,
        notfound_ok: raw.store.notfound_ok,
        quorums: quorums(&raw.store)?,
    };
    let cache = CacheConfig {
        url: cache::parse_url(over.cache.as_deref().unwrap_or(&raw.cache.url))?,
        ttl_secs: positive("cache.ttl_secs", raw.cache.ttl_secs as usize, 30 * 86_400)? as u32,
        timeout: millis("cache.timeout_ms", raw.cache.timeout_ms)?,
        pool_size: raw.cache.pool_size,
    };
    let auth = AuthConfig {
        htpasswd: Some(PathBuf::from(&raw.auth.htpasswd)).filter(|p| !p.as_os_str().is_empty()),
        reads: raw.auth.reads,
    };
    Ok(Config {
        server,
        store,
        cache,
        auth,
    })
}

/// The quorum values and Riak's own timeout, which must end before the store's deadline, so
/// that a node waiting for a silent replica answers "timeout" instead of looking dead.
fn quorums(raw: &RawStore) -> Result<Quorums, Error> {
    let riak_timeout = match raw.riak_timeout_ms {
        0 => None,
        ms if ms < raw.timeout_ms => Some(Duration::from_millis(ms)),
        ms => {
            return Err(Error::Config(format!(
                "store.riak_timeout_ms ({ms}) must be below store.timeout_ms ({}), or 0",
                raw.timeout_ms
            )))
        }
    };
    Ok(Quorums {
        r: Quorum::parse("r", &raw.r)?,
        pr: Quorum::parse("pr", &raw.pr)?,
        basic_quorum: raw.basic_quorum,
        w: Quorum::parse("w", &raw.w)?,
        dw: Quorum::parse("dw", &raw.dw)?,
        pw: Quorum::parse("pw", &raw.pw)?,
        riak_timeout,
        second_try: raw.second_try,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_is_valid_and_overrides_win() {
        let text = include_str!("../../phonebook.toml");
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
    fn the_shipped_file_spells_out_the_defaults_key_for_key() {
        let shipped = include_str!("../../phonebook.toml");
        let none = Overrides::default();
        let empty = from_toml("", &none).unwrap();
        assert_eq!(from_toml(shipped, &none).unwrap(), empty);
        // And it names every key the code knows, each with the code's default.
        let file: toml::Table = toml::from_str(shipped).unwrap();
        assert_eq!(
            serde_json::to_value(file).unwrap(),
            serde_json::to_value(RawFile::default()).unwrap()
        );
    }

    #[test]
    fn each_url_is_read_by_its_backends_parser() {
        let over = |store: &str, cache: &str| Overrides {
            store: Some(store.into()),
            cache: Some(cache.into()),
            ..Overrides::default()
        };
        let config = from_toml("", &over("pbc://a", "memcache+unix:///m.sock")).unwrap();
        assert_eq!(config.store.url, store::parse_url("pbc://a").unwrap());
        assert_eq!(
            config.cache.url,
            cache::parse_url("memcache+unix:///m.sock").unwrap()
        );
        let err = from_toml("", &over("memcache://a", "off")).unwrap_err();
        assert!(err.to_string().contains("store URL"), "{err}");
        let err = from_toml("", &over("pbc://a", "pbc://a")).unwrap_err();
        assert!(err.to_string().contains("cache URL"), "{err}");
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
        // The Riak store's own defaults, for tools and tests that build it directly, agree.
        let riak = crate::store::riak::Settings::new("b", Duration::from_secs(1), 1);
        assert_eq!(
            (riak.write, riak.notfound_ok),
            (defaults.write, defaults.notfound_ok)
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

    #[test]
    fn quorum_values_and_riak_timeout_parse_and_agree_with_the_store() {
        let none = Overrides::default();
        let store = |text: &str| from_toml(&format!("[store]\n{text}"), &none).map(|c| c.store);
        let defaults = store("").unwrap();
        assert_eq!(defaults.quorums, Quorums::default());
        let set = store("r = \"one\"\npw = \"2\"\nriak_timeout_ms = 0\nsecond_try = false");
        let set = set.unwrap().quorums;
        assert_eq!((set.r, set.pw), (Quorum::One, Quorum::Count(2)));
        assert_eq!((set.riak_timeout, set.second_try), (None, false));
        let err = store("w = \"most\"").unwrap_err().to_string();
        assert!(err.contains("store.w"), "{err}");
        let err = store("timeout_ms = 300\nriak_timeout_ms = 300").unwrap_err();
        assert!(err.to_string().contains("below store.timeout_ms"), "{err}");
    }
}
