//! The read and write policy: which quorum values and Riak `timeout` each try of a request
//! sends, and when a weaker try follows. Every node answers for the same replicas, so a
//! cluster's "not now" is met by asking for less, not by asking another node. The rules and
//! what each setting promises: docs/riak-cluster.md, "Reads and writes while a node fails".

use super::link::{Object, Quorum, Read, Write};
use super::{Fail, Riak};
use crate::error::Error;
use std::time::Duration;

/// The first try's quorum values and what follows when it cannot be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quorums {
    pub r: Quorum,
    pub pr: Quorum,
    pub basic_quorum: bool,
    pub w: Quorum,
    pub dw: Quorum,
    pub pw: Quorum,
    /// Riak's own `timeout`, sent with every get, put and index query (`None`: Riak's 60 s).
    pub riak_timeout: Option<Duration>,
    /// After a cluster's "not now" (or a read's "not found"), a second try with r=1 (w=1,
    /// dw=1); `false` is the previous policy: the first try's answer, retried on other nodes.
    pub second_try: bool,
}

impl Default for Quorums {
    /// The defaults `[store]` documents (config/raw.rs holds them; a test checks they agree).
    fn default() -> Quorums {
        Quorums {
            r: Quorum::Quorum,
            pr: Quorum::Default,
            basic_quorum: false,
            w: Quorum::Quorum,
            dw: Quorum::Quorum,
            pw: Quorum::Default,
            riak_timeout: Some(Duration::from_millis(200)),
            second_try: true,
        }
    }
}

impl Quorums {
    /// The policy before quorum tries: one try with Riak's defaults and no Riak timeout,
    /// retried on other nodes (`second_try = false`, nothing sent).
    pub fn previous() -> Quorums {
        Quorums {
            r: Quorum::Default,
            w: Quorum::Default,
            dw: Quorum::Default,
            riak_timeout: None,
            second_try: false,
            ..Quorums::default()
        }
    }
}

impl Riak {
    /// The read of the first try: the configured quorum, strict or not as `store.notfound_ok`.
    pub(super) fn first_read(&self, head: bool) -> Read {
        let q = &self.settings.quorums;
        Read {
            head,
            notfound_ok: self.settings.notfound_ok,
            r: q.r,
            pr: q.pr,
            basic_quorum: q.basic_quorum,
            timeout: q.riak_timeout,
        }
    }

    /// One replica's value is enough; "not found" only once every replica said so.
    fn one_strict(&self, head: bool) -> Read {
        Read {
            notfound_ok: false,
            // A count, as the recorded requests sent it (`r=1`); Riak reads it as `one`.
            r: Quorum::Count(1),
            pr: Quorum::Default,
            basic_quorum: false,
            ..self.first_read(head)
        }
    }

    /// The first replica's answer, "not found" included: only after the strict read timed out,
    /// that is, when every replica that answers said "not found" and another is silent.
    fn one_loose(&self, head: bool) -> Read {
        Read {
            notfound_ok: true,
            ..self.one_strict(head)
        }
    }

    /// What a readiness probe asks: any one replica's answer, within Riak's timeout (the
    /// previous policy: Riak's defaults), so that a probe of a node whose peer hangs succeeds.
    pub(super) fn probe_read(quorums: &Quorums) -> Read {
        let r = match quorums.second_try {
            true => Quorum::Count(1),
            false => Quorum::Default,
        };
        Read {
            head: true,
            notfound_ok: true,
            r,
            pr: Quorum::Default,
            basic_quorum: false,
            timeout: quorums.riak_timeout,
        }
    }

    /// The write of the first try: the configured quorum.
    pub(super) fn first_write(&self) -> Write {
        let q = &self.settings.quorums;
        Write {
            w: q.w,
            dw: q.dw,
            pw: q.pw,
            timeout: q.riak_timeout,
        }
    }

    /// Acknowledged once one replica has it durably.
    fn one_write(&self) -> Write {
        Write {
            w: Quorum::Count(1),
            dw: Quorum::Count(1),
            pw: Quorum::Default,
            ..self.first_write()
        }
    }

    /// Reads a key by the policy: the quorum read; then, after a "not now" or a "not found"
    /// (which empty fallback replicas give for a key that exists), one replica's value; then,
    /// if that timed out, the first replica's answer.
    pub(super) fn fetch_by_policy(&self, key: &str) -> Result<Object, Error> {
        let bucket = &self.settings.bucket;
        let fetch = |read: Read| self.nodes.ask(|link| link.fetch(bucket, key, read));
        if !self.settings.quorums.second_try {
            let read = self.first_read(false);
            return self.nodes.run(|link| link.fetch(bucket, key, read));
        }
        match fetch(self.first_read(false)) {
            Ok(object) if !object.siblings.is_empty() => return Ok(object),
            Ok(_) => {}
            Err(fail) => again(fail)?,
        }
        match fetch(self.one_strict(false)) {
            Ok(object) => return Ok(object),
            Err(fail) => again(fail)?,
        }
        fetch(self.one_loose(false)).map_err(final_error)
    }

    /// Writes by the policy: the quorum write; after a "not now", the write acknowledged by
    /// one replica. `write` does one try (a read-first write reads with the `Read` it gets).
    pub(super) fn store_by_policy(
        &self,
        write: impl Fn(&dyn super::Link, Read, Write) -> Result<(), Fail>,
    ) -> Result<(), Error> {
        let (read, quorum) = (self.first_read(true), self.first_write());
        if !self.settings.quorums.second_try {
            return self.nodes.run(|link| write(link, read, quorum));
        }
        match self.nodes.ask(|link| write(link, read, quorum)) {
            Ok(()) => return Ok(()),
            Err(fail) => again(fail)?,
        }
        // The vclock of the weaker try: any replica's (a missing one costs a sibling at worst,
        // resolved by the next read).
        let (read, one) = (self.one_loose(true), self.one_write());
        self.nodes
            .ask(|link| write(link, read, one))
            .map_err(final_error)
    }
}

/// Whether a try's failure leads to the next try (`Ok`): a cluster's "not now" does; a final
/// answer ends the request, and so does finding no node to ask (a weaker try would find none
/// either).
fn again(fail: Fail) -> Result<(), Error> {
    match fail {
        Fail::Unavailable(_) => Ok(()),
        other => Err(final_error(other)),
    }
}

/// The error of the last try.
fn final_error(fail: Fail) -> Error {
    match fail {
        Fail::Riak(msg) => Error::store(msg),
        Fail::Down(msg) | Fail::Unavailable(msg) | Fail::Busy(msg) => Error::StoreUnavailable(msg),
    }
}
