//! One Riak node through one API: the `Link` trait that `pbc/` and `http/` implement, and
//! what goes through it (a key as read, with its siblings).

use super::Fail;

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
    /// Deletes a key, leaving a tombstone that covers `vclock` (what a read before it saw).
    fn remove(&self, bucket: &str, key: &str, vclock: Option<&[u8]>) -> Result<(), Fail>;
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
