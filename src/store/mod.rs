//! The storage contract, and the one function that opens a store from its URL.
//!
//! A trait rather than an enum: the backends (the embedded file, Riak over Protocol Buffers,
//! Riak over HTTP) share no code, each owns its connection pool, and tests and `tools/` can hand
//! the app any of them as `Box<dyn Store>`. One virtual call per request costs nothing next to
//! a disk or network round trip.

pub mod embedded;
pub mod riak;

use crate::config::{StoreConfig, StoreUrl};
use crate::contact::Contact;
use crate::error::Error;
use riak::{Api, Riak, Settings};

/// What every backend offers. All methods are safe to call from many threads at once.
pub trait Store: Send + Sync {
    /// The contact stored under exactly this (already validated) name, if any.
    fn get(&self, name: &str) -> Result<Option<Contact>, Error>;

    /// Stores the contact, replacing any older number for the same name. When this returns
    /// `Ok`, the write is durable (on disk, or acknowledged by the Riak cluster).
    fn put(&self, contact: &Contact) -> Result<(), Error>;

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
