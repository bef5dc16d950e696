//! The storage contract, `[store]`'s settings, and the one place that names the backends:
//! parsing a store URL (each backend reads what follows its scheme) and opening the store.
//!
//! A trait rather than an enum: the backends (the embedded file, Riak over Protocol Buffers,
//! Riak over HTTP) share no code, each owns its connection pool, and tests and `tools/` can hand
//! the app any of them as `Box<dyn Store>`. One virtual call per request costs nothing next to
//! a disk or network round trip.

mod dbfile;
pub mod embedded;
pub mod riak;

use crate::contact::Contact;
use crate::error::Error;
use riak::{Api, Quorums, Riak, Settings, WriteMode};
use std::path::PathBuf;
use std::time::Duration;

/// Where contacts are kept: `store.url`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// `embedded:PATH`: a database file on local disk.
    Embedded(PathBuf),
    /// `pbc://host:port[,host:port...]`: Riak over Protocol Buffers (default port 8087).
    RiakPbc(Vec<String>),
    /// `http://host:port[,host:port...]`: Riak over HTTP (default port 8098).
    RiakHttp(Vec<String>),
}

/// The `[store]` settings, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    pub url: StoreUrl,
    pub bucket: String,
    /// The deadline of one store request: connecting, sending and the whole answer.
    pub timeout: Duration,
    /// Sockets kept per Riak node (0: as many as worker threads).
    pub pool_size: usize,
    /// How Riak writes go: blind, read-first, or blind when the bucket allows it.
    pub write: WriteMode,
    /// Riak's `notfound_ok` for reads.
    pub notfound_ok: bool,
    /// Riak's quorum values, its own timeout, and the second try.
    pub quorums: Quorums,
}

/// What every backend offers (get, put, delete, list, health). All methods are safe to call from many threads at once.
pub trait Store: Send + Sync {
    /// The contact stored under exactly this (already validated) name, if any.
    fn get(&self, name: &str) -> Result<Option<Contact>, Error>;

    /// Stores the contact, replacing any older number for the same name. When this returns
    /// `Ok`, the write is durable (on disk, or acknowledged by the Riak cluster).
    fn put(&self, contact: &Contact) -> Result<(), Error>;

    /// Removes the contact stored under exactly this name; `Ok(false)` when there was none.
    /// When this returns `Ok`, the removal is as durable as a put.
    fn delete(&self, name: &str) -> Result<bool, Error>;

    /// Up to `limit` contacts whose names start with `prefix` and sort after `after` (byte order
    /// of the UTF-8 names), in that order. Reads a bounded number of records: never the whole set.
    fn list(&self, after: Option<&str>, prefix: &str, limit: usize) -> Result<Vec<Contact>, Error>;

    /// Whether the store answers right now, with backend details for `GET /healthz`.
    fn health(&self) -> Health;

    /// How often a request waited for a pooled connection (0 for backends without a pool).
    fn pool_waits(&self) -> u64 {
        0
    }
}

/// The answer of [`Store::health`].
#[derive(Debug, Clone)]
pub struct Health {
    /// True when a request would be served now.
    pub ok: bool,
    /// Backend-specific details (e.g. the state of each Riak node), shown as JSON.
    pub detail: serde_json::Value,
}

/// Parses `embedded:PATH`, `pbc://host:port,...` or `http://host:port,...`: the scheme names
/// the backend, which reads the rest.
pub fn parse_url(url: &str) -> Result<StoreUrl, Error> {
    if let Some(path) = url.strip_prefix("embedded:") {
        return embedded::parse_path(path).map(StoreUrl::Embedded);
    }
    if let Some(hosts) = url.strip_prefix("pbc://") {
        return riak::parse_nodes(url, hosts, Api::Pbc).map(StoreUrl::RiakPbc);
    }
    if let Some(hosts) = url.strip_prefix("http://") {
        return riak::parse_nodes(url, hosts, Api::Http).map(StoreUrl::RiakHttp);
    }
    Err(Error::Config(format!(
        "store URL {url:?} must start with embedded:, pbc:// or http://"
    )))
}

/// Opens the store a URL names. Fails with [`Error::Config`] or [`Error::Io`] at start-up,
/// never later. `workers` (the server's worker threads) sizes a Riak node's socket pool when
/// `pool_size` is 0: one socket per worker, so no worker ever waits for one.
pub fn open(config: &StoreConfig, workers: usize) -> Result<Box<dyn Store>, Error> {
    let pool = if config.pool_size == 0 {
        workers
    } else {
        config.pool_size
    };
    let settings = Settings {
        write: config.write,
        notfound_ok: config.notfound_ok,
        quorums: config.quorums,
        ..Settings::new(&config.bucket, config.timeout, pool)
    };
    let riak = |api, addrs: &[String]| {
        let store = Riak::open(api, addrs, &settings);
        Ok(Box::new(store) as Box<dyn Store>)
    };
    match &config.url {
        StoreUrl::Embedded(path) => Ok(Box::new(embedded::Embedded::open(path)?)),
        StoreUrl::RiakPbc(addrs) => riak(Api::Pbc, addrs),
        StoreUrl::RiakHttp(addrs) => riak(Api::Http, addrs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_with_default_ports() {
        assert_eq!(
            parse_url("pbc://a,b:9000").unwrap(),
            StoreUrl::RiakPbc(vec!["a:8087".into(), "b:9000".into()])
        );
        assert_eq!(
            parse_url("http://127.0.0.1").unwrap(),
            StoreUrl::RiakHttp(vec!["127.0.0.1:8098".into()])
        );
        assert_eq!(
            parse_url("embedded:data/x.redb").unwrap(),
            StoreUrl::Embedded("data/x.redb".into())
        );
    }

    #[test]
    fn bad_urls_are_refused_with_what_is_wrong() {
        for (bad, why) in [
            ("riak://x", "must start with embedded:, pbc:// or http://"),
            (
                "memcache://a",
                "must start with embedded:, pbc:// or http://",
            ),
            ("pbc://", "each node must be host[:port]"),
            ("pbc://a:99999", "bad port"),
            ("http://a,,b", "each node must be host[:port]"),
            ("embedded:", "embedded: needs a file path"),
        ] {
            let err = parse_url(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
