//! The Riak KV backend: the only module that speaks to Riak.
//!
//! Both of Riak's APIs sit behind the small internal `Link` trait (one node, one API:
//! `pbc.rs` or `http.rs`), so the node logic in `nodes.rs` (round-robin, readiness, backoff,
//! probes, retries) and the data logic here (layout, writes, siblings, listing) are written
//! once. A trait object rather than an enum: the two links share no code and a call through a
//! vtable costs nothing next to a network round trip. What an error answer means (retry
//! elsewhere, or final) is decided in one place, `answers.rs`.
//!
//! Data layout, the same through both APIs: bucket `phonebook` (configurable) in the default
//! bucket type; key = the name's UTF-8 bytes; value = the contact's JSON, content type
//! `application/json`. A read checks that the stored name is the key.
//!
//! Reads use `notfound_ok=false` by default (`store.notfound_ok`): while a node restarts, empty
//! fallback replicas then cannot make a contact that exists look missing; names that truly do
//! not exist cost a slightly slower answer (every replica is asked).
//!
//! Writes (`store.write`): with `allow_mult=false` (the default bucket type) Riak resolves a
//! write without a vclock by timestamp, newest wins, which is the phone book's overwrite rule:
//! such a *blind* write is one request. With `allow_mult=true` every blind write would become a
//! sibling, so the write first reads the key's vclock (a head-only read) and sends it back,
//! replacing every value it saw. `auto` (the default) reads the bucket's properties at start-up
//! and whenever a node comes back, and writes blind only once it knows `allow_mult=false`.
//!
//! A read that finds siblings resolves them (newest last-modified wins, in whole seconds as both
//! APIs give it; ties go to the larger value; a sibling that is not a valid contact is skipped)
//! and writes the winner back with the vclock that covers them all.
//!
//! Listing (`list.rs`) uses the `$key` secondary index, then one get per key.

mod answers;
mod frame;
mod http;
mod list;
mod multipart;
mod nodes;
mod pbc;
mod proto;
mod replies;

/// The Protocol Buffers wire format, exported on purpose for the codec tests, which check it
/// byte for byte against captured Riak exchanges; nothing outside this module opens a socket
/// to Riak with it.
pub mod wire {
    pub use super::frame::{decode, empty_frame, frame, read_frame};
    pub use super::proto::*;
    pub use super::replies::*;
}

use crate::contact::Contact;
use crate::error::Error;
use crate::store::{Health, Store};
use nodes::Nodes;
pub use nodes::RETRY_PAUSE;
use std::time::Duration;

/// Why one operation on one node failed; `answers.rs` sorts Riak's error answers into these.
#[derive(Debug)]
pub(crate) enum Fail {
    /// No usable answer (refused, reset, timed out, garbled): the node counts as down.
    Down(String),
    /// The node answers but does not serve data yet (it is starting): down until a probe get
    /// succeeds; the request goes to another node.
    NotReady(String),
    /// The cluster cannot serve this request now (quorum, overload): retried, node stays up.
    Unavailable(String),
    /// The node answered with a final error: the request is not retried.
    Riak(String),
    /// No socket to the node came free in time: the node is fine, another one may be less busy.
    Busy(String),
}

/// One value of a key as read: several when the key has siblings.
#[derive(Debug, Clone)]
pub(crate) struct Sibling {
    pub value: Vec<u8>,
    /// Last modified, in whole seconds since the Unix epoch: the precision both APIs give.
    pub modified: u32,
}

/// A key as read: its vclock (also for a tombstone) and its live values.
#[derive(Debug, Default)]
pub(crate) struct Object {
    pub vclock: Option<Vec<u8>>,
    pub siblings: Vec<Sibling>,
}

/// How to read a key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Read {
    /// The vclock and metadata only (values may be empty).
    pub head: bool,
    /// Riak's `notfound_ok`: whether a replica's "not found" counts toward the read quorum.
    pub notfound_ok: bool,
}

/// The key a readiness probe reads: any key will do, a get proves the KV service answers.
const PROBE_KEY: &str = "phonebook-readiness-probe";

/// One Riak node reached through one API. Every method is one request (or a short exchange).
pub(crate) trait Link: Send + Sync {
    /// Reads a key.
    fn fetch(&self, bucket: &str, key: &str, read: Read) -> Result<Object, Fail>;
    /// Writes a JSON value, replacing what `vclock` covers (a blind write without one).
    fn store(
        &self,
        bucket: &str,
        key: &str,
        value: &[u8],
        vclock: Option<&[u8]>,
    ) -> Result<(), Fail>;
    /// The bucket's `allow_mult` property.
    fn allow_mult(&self, bucket: &str) -> Result<bool, Fail>;
    /// At most `limit` keys in `min..=max`, in key order (a `$key` index range query).
    fn key_range(
        &self,
        bucket: &str,
        min: &[u8],
        max: &[u8],
        limit: u32,
    ) -> Result<Vec<Vec<u8>>, Fail>;
    /// Forgets idle connections (after the node was found down).
    fn reset(&self);
    /// How often a request waited for one of this node's pooled sockets (HTTP: not counted,
    /// ureq's agent pools its own).
    fn pool_waits(&self) -> u64 {
        0
    }
    /// Whether the node serves data: a real get (a ping answers long before that).
    fn probe(&self, bucket: &str) -> Result<(), Fail> {
        let read = Read {
            head: true,
            notfound_ok: true,
        };
        self.fetch(bucket, PROBE_KEY, read).map(drop)
    }
}

/// Which API the service speaks to Riak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// Protocol Buffers, port 8087.
    Pbc,
    /// HTTP, port 8098.
    Http,
}

/// How a put reaches Riak (`store.write`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// Blind when the bucket is known to have `allow_mult=false`, read-first otherwise.
    Auto,
    /// One request, no vclock: newest timestamp wins (siblings if `allow_mult=true`).
    Blind,
    /// Read the vclock first, then write with it: two requests, never a sibling.
    ReadFirst,
}

/// How the store talks to the cluster.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bucket: String,
    /// One deadline per Riak request: connect, send and the whole answer.
    pub timeout: Duration,
    /// Sockets per node.
    pub pool: usize,
    pub write: WriteMode,
    /// Riak's `notfound_ok` for reads.
    pub notfound_ok: bool,
}

impl Settings {
    /// The defaults: `auto` writes, reads with `notfound_ok=false`.
    pub fn new(bucket: &str, timeout: Duration, pool: usize) -> Settings {
        Settings {
            bucket: bucket.to_string(),
            timeout,
            pool,
            write: WriteMode::Auto,
            notfound_ok: false,
        }
    }
}

/// The phone book kept in a Riak KV cluster.
pub struct Riak {
    nodes: Nodes,
    settings: Settings,
}

impl Riak {
    /// A store on these nodes (`host:port` each). With `auto` writes it reads the bucket's
    /// properties from the first node that answers, marking down the nodes met on the way that
    /// cannot serve; otherwise a node that is down at start-up is found by the first request.
    /// Either way a down node is then probed until it serves a get.
    pub fn open(api: Api, addrs: &[String], settings: &Settings) -> Riak {
        let (timeout, pool) = (settings.timeout, settings.pool);
        let agent = (api == Api::Http).then(|| http::agent(timeout, pool, addrs.len()));
        let links = addrs
            .iter()
            .map(|addr| {
                let link: Box<dyn Link> = match &agent {
                    None => Box::new(pbc::PbcNode::new(addr, timeout, pool)),
                    Some(agent) => Box::new(http::HttpNode::new(addr, agent.clone())),
                };
                (addr.clone(), link)
            })
            .collect();
        let bucket = &settings.bucket;
        log::info!(
            "riak store: {api:?} on {addrs:?}, bucket {bucket:?}, {pool} sockets per node, \
             writes {:?}, notfound_ok={}",
            settings.write,
            settings.notfound_ok
        );
        let nodes = Nodes::new(api, links, bucket);
        if settings.write == WriteMode::Auto {
            nodes.read_props();
        }
        Riak {
            nodes,
            settings: settings.clone(),
        }
    }

    /// Whether a put goes without reading the vclock first.
    fn blind(&self) -> bool {
        match self.settings.write {
            WriteMode::Blind => true,
            WriteMode::ReadFirst => false,
            WriteMode::Auto => self.nodes.allow_mult() == Some(false),
        }
    }

    fn read(&self, head: bool) -> Read {
        Read {
            head,
            notfound_ok: self.settings.notfound_ok,
        }
    }

    /// Picks the newest valid sibling and, when there were several, writes it back over all.
    fn resolve(&self, name: &str, object: Object) -> Result<Option<Contact>, Error> {
        let mut newest: Option<(&Sibling, Contact)> = None;
        let mut bad = None;
        for sibling in &object.siblings {
            match parse_value(name, &sibling.value) {
                Ok(contact) => {
                    if newest.as_ref().is_none_or(|(n, _)| newer(sibling, n)) {
                        newest = Some((sibling, contact));
                    }
                }
                Err(err) => bad = Some(err),
            }
        }
        let Some((winner, contact)) = newest else {
            // No value at all is "not found"; only bad values is an error.
            return bad.map_or(Ok(None), Err);
        };
        if let Some(err) = bad {
            log::warn!("skipped a sibling: {err}");
        }
        if object.siblings.len() > 1 {
            let vclock = object.vclock.as_deref();
            let bucket = &self.settings.bucket;
            let written = self
                .nodes
                .run(|link| link.store(bucket, name, &winner.value, vclock));
            match written {
                Ok(()) => log::info!("resolved {} siblings of {name:?}", object.siblings.len()),
                // The read itself succeeded: the next read resolves again.
                Err(err) => log::warn!("could not write back the resolved {name:?}: {err}"),
            }
        }
        Ok(Some(contact))
    }
}

/// Whether `a` wins over `b`: newer, or as new with the larger value.
fn newer(a: &Sibling, b: &Sibling) -> bool {
    (a.modified, &a.value) > (b.modified, &b.value)
}

/// The contact a stored value holds; its name must be the key.
fn parse_value(name: &str, value: &[u8]) -> Result<Contact, Error> {
    let stored: Contact = serde_json::from_slice(value)
        .map_err(|e| Error::store(format!("value of {name:?} is not a contact: {e}")))?;
    if stored.name != name {
        let found = &stored.name;
        return Err(Error::store(format!("value of {name:?} names {found:?}")));
    }
    Ok(stored)
}

impl Store for Riak {
    fn get(&self, name: &str) -> Result<Option<Contact>, Error> {
        let (bucket, read) = (&self.settings.bucket, self.read(false));
        let object = self.nodes.run(|link| link.fetch(bucket, name, read))?;
        self.resolve(name, object)
    }

    fn put(&self, contact: &Contact) -> Result<(), Error> {
        let (bucket, key) = (&self.settings.bucket, &contact.name);
        let value = contact.to_json();
        if self.blind() {
            return self
                .nodes
                .run(|link| link.store(bucket, key, value.as_bytes(), None));
        }
        let read = self.read(true);
        self.nodes.run(|link| {
            let current = link.fetch(bucket, key, read)?;
            link.store(bucket, key, value.as_bytes(), current.vclock.as_deref())
        })
    }

    fn list(&self, after: Option<&str>, prefix: &str, limit: usize) -> Result<Vec<Contact>, Error> {
        list::page(self, after, prefix, limit)
    }

    fn health(&self) -> Health {
        self.nodes.health()
    }

    fn pool_waits(&self) -> u64 {
        self.nodes.pool_waits()
    }
}
