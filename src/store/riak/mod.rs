//! The Riak KV backend: the only module that speaks to Riak.
//!
//! One node through one API is a `Link` (`link.rs`; `pbc/` or `http/`), so the node logic (`nodes.rs`:
//! round-robin, readiness, backoff, retries) and the data logic here (layout, write modes,
//! siblings; the listing in `list.rs`) are written once; `errors.rs` says what an error answer
//! means. A trait object rather than an enum: the two links share no code. The data layout,
//! write modes, `notfound_ok` and sibling rule: docs/riak.md and docs/riak-cluster.md.

mod errors;
mod http;
mod link;
mod list;
mod nodes;
mod pbc;
mod policy;

pub use pbc::wire;

use crate::contact::Contact;
use crate::error::Error;
use crate::store::{Health, Store};
pub use link::Quorum;
use link::{Link, Object, Read, Sibling, Write};
use nodes::Nodes;
pub use nodes::RETRY_PAUSE;
pub use policy::Quorums;
use std::time::Duration;

/// Why one operation on one node failed; `errors.rs` sorts Riak's error answers into these.
#[derive(Debug)]
pub(crate) enum Fail {
    /// No usable answer (refused, reset, timed out, garbled), or the node does not serve data
    /// yet (it is starting): the node counts as down until a probe get succeeds, and the
    /// request goes to another node.
    Down(String),
    /// The cluster cannot serve this request now (quorum, overload): retried, node stays up.
    Unavailable(String),
    /// The node answered with a final error: the request is not retried.
    Riak(String),
    /// No socket to the node came free in time: the node is fine, another one may be less busy.
    Busy(String),
}

/// Which API the service speaks to Riak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// Protocol Buffers, port 8087.
    Pbc,
    /// HTTP, port 8098.
    Http,
}

impl Api {
    fn default_port(self) -> u16 {
        match self {
            Api::Pbc => 8087,
            Api::Http => 8098,
        }
    }
}

/// The nodes of a `pbc://` or `http://` store URL (`hosts` is what follows the scheme), each as
/// `host:port`, with the API's default port where none is given.
pub(crate) fn parse_nodes(url: &str, hosts: &str, api: Api) -> Result<Vec<String>, Error> {
    crate::url::parse_hosts(url, hosts, api.default_port())
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

impl WriteMode {
    /// Parses `store.write`: `auto`, `blind` or `read-first`.
    pub fn parse(text: &str) -> Result<WriteMode, Error> {
        match text {
            "auto" => Ok(WriteMode::Auto),
            "blind" => Ok(WriteMode::Blind),
            "read-first" => Ok(WriteMode::ReadFirst),
            other => Err(Error::Config(format!(
                "store.write must be \"auto\", \"blind\" or \"read-first\", not {other:?}"
            ))),
        }
    }
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
    /// The quorum values, Riak's own timeout, and the second try (`policy.rs`).
    pub quorums: Quorums,
}

impl Settings {
    /// The defaults: `auto` writes, reads with `notfound_ok=false`, the policy's defaults.
    pub fn new(bucket: &str, timeout: Duration, pool: usize) -> Settings {
        Settings {
            bucket: bucket.to_string(),
            timeout,
            pool,
            write: WriteMode::Auto,
            notfound_ok: false,
            quorums: Quorums::default(),
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
             writes {:?}, notfound_ok={}, {:?}",
            settings.write,
            settings.notfound_ok,
            settings.quorums
        );
        let probe = Riak::probe_read(&settings.quorums);
        let nodes = Nodes::new(api, links, bucket, probe);
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
            let (vclock, write) = (object.vclock.as_deref(), self.first_write());
            let bucket = &self.settings.bucket;
            let written = self
                .nodes
                .run(|link| link.store(bucket, name, &winner.value, vclock, write));
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
        let object = self.fetch_by_policy(name)?;
        self.resolve(name, object)
    }

    fn put(&self, contact: &Contact) -> Result<(), Error> {
        let (bucket, key) = (&self.settings.bucket, &contact.name);
        let value = contact.to_json();
        let blind = self.blind();
        self.store_by_policy(|link: &dyn Link, read: Read, write: Write| {
            if blind {
                return link.store(bucket, key, value.as_bytes(), None, write);
            }
            let current = link.fetch(bucket, key, read)?;
            link.store(
                bucket,
                key,
                value.as_bytes(),
                current.vclock.as_deref(),
                write,
            )
        })
    }

    /// Reads the key by the read policy (its whole value: a head read of siblings over HTTP
    /// shows none; and no false "not found" while a node fails), then deletes it by the write
    /// policy with the vclock read, as Riak's documentation asks of a client: a write this read
    /// did not see becomes a sibling of the tombstone instead of being removed.
    fn delete(&self, name: &str) -> Result<bool, Error> {
        let current = self.fetch_by_policy(name)?;
        if current.siblings.is_empty() {
            return Ok(false);
        }
        let (bucket, vclock) = (&self.settings.bucket, current.vclock.as_deref());
        self.store_by_policy(|link: &dyn Link, _, write: Write| {
            link.remove(bucket, name, vclock, write)
        })?;
        Ok(true)
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
