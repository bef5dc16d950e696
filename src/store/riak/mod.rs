//! The Riak KV backend: the only module that speaks to Riak.
//!
//! Both of Riak's APIs sit behind the small internal `Link` trait (one node, one API:
//! `pbc.rs` or `http.rs`), so the node logic in `nodes.rs` (round-robin, mark-down, backoff,
//! probes, retries) and the data logic here (layout, vclocks, siblings, listing) are written
//! once. A trait object rather than an enum: the two links share no code and a call through a
//! vtable costs nothing next to a network round trip.
//!
//! Data layout, the same through both APIs: bucket `phonebook` (configurable) in the default
//! bucket type; key = the name's UTF-8 bytes; value = the contact's JSON, content type
//! `application/json`.
//!
//! Overwrites leave no siblings: every put first reads the key's vclock (a head-only read) and
//! sends it back, so the write replaces every value it saw, also in buckets with
//! `allow_mult=true`. A read that finds siblings (concurrent writers, or blind writes by other
//! clients) resolves them (newest last-modified wins, ties broken by the larger value) and
//! writes the winner back with the vclock that covers them all.
//!
//! Listing uses the `$key` secondary index: one range query with `max_results` (Riak answers
//! the first keys in key order), then one get per key. So a page costs 1 + limit operations and
//! never lists the bucket; it needs a backend with 2i (leveled or eleveldb, not bitcask).

mod http;
mod multipart;
mod nodes;
mod pbc;
mod proto;
mod replies;

/// The Protocol Buffers wire format, exported on purpose for the codec tests, which check it
/// byte for byte against captured Riak exchanges; nothing outside this module opens a socket
/// to Riak with it.
pub mod wire {
    pub use super::pbc::{decode, empty_frame, frame, read_frame};
    pub use super::proto::*;
    pub use super::replies::*;
}

use crate::contact::Contact;
use crate::error::Error;
use crate::store::{Health, Store};
use nodes::Nodes;
use std::time::Duration;

/// Why one operation on one node failed.
#[derive(Debug)]
pub(crate) enum Fail {
    /// No usable answer (refused, reset, timed out, garbled): the node counts as down.
    Down(String),
    /// The node answered with an error: the node is fine, the request is not retried.
    Riak(String),
    /// No socket to the node came free in time: the node is fine, another one may be less busy.
    Busy(String),
}

/// One value of a key as read: several when the key has siblings.
#[derive(Debug, Clone)]
pub(crate) struct Sibling {
    pub value: Vec<u8>,
    /// Last modified: seconds and microseconds since the Unix epoch.
    pub modified: (u32, u32),
}

/// A key as read: its vclock (also for a tombstone) and its live values.
#[derive(Debug, Default)]
pub(crate) struct Object {
    pub vclock: Option<Vec<u8>>,
    pub siblings: Vec<Sibling>,
}

/// One Riak node reached through one API. Every method is one request (or a short exchange).
pub(crate) trait Link: Send + Sync {
    /// Answers when the node is up.
    fn ping(&self) -> Result<(), Fail>;
    /// Reads a key; `head` asks for the vclock and metadata only (values may be empty).
    fn fetch(&self, bucket: &str, key: &str, head: bool) -> Result<Object, Fail>;
    /// Writes a JSON value, replacing what `vclock` covers.
    fn store(
        &self,
        bucket: &str,
        key: &str,
        value: &[u8],
        vclock: Option<&[u8]>,
    ) -> Result<(), Fail>;
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
}

/// Which API the service speaks to Riak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// Protocol Buffers, port 8087.
    Pbc,
    /// HTTP, port 8098.
    Http,
}

/// The phone book kept in a Riak KV cluster.
pub struct Riak {
    nodes: Nodes,
    bucket: String,
}

/// Below every name: names are trimmed and hold no control characters.
const KEY_MIN: &[u8] = b" ";

impl Riak {
    /// A store on these nodes (`host:port` each). Nothing is connected yet: a node that is down
    /// at start-up is found by the first request and then probed until it returns.
    pub fn open(api: Api, addrs: &[String], bucket: &str, timeout: Duration, pool: usize) -> Riak {
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
        log::info!("riak store: {api:?} on {addrs:?}, bucket {bucket:?}, {pool} sockets per node");
        Riak {
            nodes: Nodes::new(api, links),
            bucket: bucket.to_string(),
        }
    }

    /// Picks the newest sibling and, when there were several, writes it back over all of them.
    fn resolve(&self, name: &str, object: Object) -> Result<Option<Contact>, Error> {
        let Some(newest) = object
            .siblings
            .iter()
            .max_by(|a, b| (a.modified, &a.value).cmp(&(b.modified, &b.value)))
        else {
            return Ok(None);
        };
        let contact = parse_value(name, &newest.value)?;
        if object.siblings.len() > 1 {
            let vclock = object.vclock.as_deref();
            let written = self
                .nodes
                .run(|link| link.store(&self.bucket, name, &newest.value, vclock));
            match written {
                Ok(()) => log::info!("resolved {} siblings of {name:?}", object.siblings.len()),
                // The read itself succeeded: the next read resolves again.
                Err(err) => log::warn!("could not write back the resolved {name:?}: {err}"),
            }
        }
        Ok(Some(contact))
    }
}

/// The contact a stored value holds; the key is the name.
fn parse_value(name: &str, value: &[u8]) -> Result<Contact, Error> {
    let stored: Contact = serde_json::from_slice(value)
        .map_err(|e| Error::Store(format!("value of {name:?} is not a contact: {e}")))?;
    Ok(Contact {
        name: name.to_string(),
        number: stored.number,
    })
}

impl Store for Riak {
    fn get(&self, name: &str) -> Result<Option<Contact>, Error> {
        let object = self
            .nodes
            .run(|link| link.fetch(&self.bucket, name, false))?;
        self.resolve(name, object)
    }

    fn put(&self, contact: &Contact) -> Result<(), Error> {
        let value = contact.to_json();
        self.nodes.run(|link| {
            let current = link.fetch(&self.bucket, &contact.name, true)?;
            let vclock = current.vclock.as_deref();
            link.store(&self.bucket, &contact.name, value.as_bytes(), vclock)
        })
    }

    fn list(&self, after: Option<&str>, prefix: &str, limit: usize) -> Result<Vec<Contact>, Error> {
        let start = match after {
            Some(after) if after > prefix => after.as_bytes(),
            _ => prefix.as_bytes(),
        };
        let min = if start.is_empty() { KEY_MIN } else { start };
        // No UTF-8 text holds the byte 0xFF: every key starting with `prefix` sorts below this.
        let max = [prefix.as_bytes(), &[0xFF]].concat();
        if limit == 0 || min > max.as_slice() {
            return Ok(Vec::new());
        }
        // The range is inclusive: `after` itself may come back, so ask for one more.
        let want = u32::try_from(limit + usize::from(after.is_some())).unwrap_or(u32::MAX);
        let keys = self
            .nodes
            .run(|link| link.key_range(&self.bucket, min, &max, want))?;
        let mut out = Vec::with_capacity(limit.min(keys.len()));
        for key in keys {
            let Ok(name) = String::from_utf8(key) else {
                continue;
            };
            if Some(name.as_str()) == after || !name.starts_with(prefix) {
                continue;
            }
            // A key deleted since the index answered is simply left out.
            if let Some(contact) = self.get(&name)? {
                out.push(contact);
            }
            if out.len() == limit {
                break;
            }
        }
        Ok(out)
    }

    fn health(&self) -> Health {
        self.nodes.health(&self.bucket)
    }

    fn pool_waits(&self) -> u64 {
        self.nodes.pool_waits()
    }
}
