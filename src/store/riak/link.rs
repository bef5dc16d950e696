//! One Riak node through one API: the `Link` trait that `pbc/` and `http/` implement, and
//! what goes through it (a key as read, with its siblings; how to read and write it, with
//! Riak's quorum values).

use super::Fail;
use crate::error::Error;
use std::time::Duration;

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

/// A quorum value as Riak takes it per request (`store.r`, `store.w`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quorum {
    /// Not sent: the bucket's own value.
    Default,
    One,
    /// A majority of the replicas.
    Quorum,
    All,
    Count(u32),
}

impl Quorum {
    /// Parses `"default"`, `"one"`, `"quorum"`, `"all"` or a count; `key` names the setting.
    pub fn parse(key: &str, text: &str) -> Result<Quorum, Error> {
        match text {
            "default" => Ok(Quorum::Default),
            "one" => Ok(Quorum::One),
            "quorum" => Ok(Quorum::Quorum),
            "all" => Ok(Quorum::All),
            n => match n.parse() {
                Ok(n) if n < 1_000 => Ok(Quorum::Count(n)),
                _ => Err(Error::Config(format!(
                    "store.{key} must be \"default\", \"one\", \"quorum\", \"all\" or a count, \
                     not {text:?}"
                ))),
            },
        }
    }

    /// The PBC field's value (riak_pb's special values), `None` when not sent.
    pub(crate) fn pbc(self) -> Option<u32> {
        match self {
            Quorum::Default => None,
            Quorum::One => Some(u32::MAX - 1),
            Quorum::Quorum => Some(u32::MAX - 2),
            Quorum::All => Some(u32::MAX - 3),
            Quorum::Count(n) => Some(n),
        }
    }

    /// The HTTP query parameter's value, `None` when not sent.
    pub(crate) fn http(self) -> Option<String> {
        match self {
            Quorum::Default => None,
            Quorum::One => Some("one".into()),
            Quorum::Quorum => Some("quorum".into()),
            Quorum::All => Some("all".into()),
            Quorum::Count(n) => Some(n.to_string()),
        }
    }
}

/// How to read a key.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Read {
    /// The vclock and metadata only (values may be empty).
    pub head: bool,
    /// Riak's `notfound_ok`: whether a replica's "not found" counts toward the read quorum
    /// (sent only when false).
    pub notfound_ok: bool,
    /// Riak's `r`, `pr` and `basic_quorum` (each sent only when set).
    pub r: Quorum,
    pub pr: Quorum,
    pub basic_quorum: bool,
    /// Riak's own `timeout` for the request.
    pub timeout: Option<Duration>,
}

/// How to write a key: Riak's `w`, `dw`, `pw` and `timeout` (each sent only when set).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Write {
    pub w: Quorum,
    pub dw: Quorum,
    pub pw: Quorum,
    pub timeout: Option<Duration>,
}

impl Read {
    /// A read with no option set: Riak's defaults, the bytes of the captured requests.
    #[cfg(test)]
    pub fn plain(head: bool) -> Read {
        Read {
            head,
            notfound_ok: true,
            r: Quorum::Default,
            pr: Quorum::Default,
            basic_quorum: false,
            timeout: None,
        }
    }
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
        write: Write,
    ) -> Result<(), Fail>;
    /// Deletes a key, leaving a tombstone that covers `vclock` (what a read before it saw).
    fn remove(
        &self,
        bucket: &str,
        key: &str,
        vclock: Option<&[u8]>,
        write: Write,
    ) -> Result<(), Fail>;
    /// The bucket's `allow_mult` property.
    fn allow_mult(&self, bucket: &str) -> Result<bool, Fail>;
    /// At most `limit` keys in `min..=max`, in key order (a `$key` index range query), with
    /// Riak's own `timeout` if set.
    fn key_range(
        &self,
        bucket: &str,
        min: &[u8],
        max: &[u8],
        limit: u32,
        timeout: Option<Duration>,
    ) -> Result<Vec<Vec<u8>>, Fail>;
    /// Forgets idle connections (after the node was found down).
    fn reset(&self);
    /// How often a request waited for one of this node's pooled sockets (HTTP: not counted,
    /// ureq's agent pools its own).
    fn pool_waits(&self) -> u64 {
        0
    }
    /// Whether the node serves data: a real get (a ping answers long before that), read as
    /// `read` says (one replica's answer is enough).
    fn probe(&self, bucket: &str, read: Read) -> Result<(), Fail> {
        self.fetch(bucket, PROBE_KEY, read).map(drop)
    }
}
