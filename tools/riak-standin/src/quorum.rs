//! Riak's coordination rules for one request: the quorum values a request names (r, pr, w, dw,
//! pw, with `notfound_ok`, `basic_quorum` and `timeout`), when the replies of the replicas are
//! enough, and what the coordinator answers then, written from riak_kv's get and put cores.
//!
//! A read counts a value as ok, and a "not found" as ok only with `notfound_ok`; it answers once
//! `r` replies are ok (and `pr` of them from primaries), and gives up once `n - r + 1` replies
//! are not found (with `basic_quorum`, at most a majority). A write needs `w` and `dw` replicas
//! (and `pw` primaries) to have it. What is not decided when the request's timeout (60 s
//! unless it names one) runs out answers `timeout`.

pub use crate::failure::Failure;
use crate::object::Object;
use std::time::Duration;

/// Riak's request timeout when a request names none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// A quorum value as a request names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Quorum {
    /// The bucket's value (unset, or `default`).
    #[default]
    Default,
    One,
    /// `quorum`: `n / 2 + 1`.
    Majority,
    All,
    Count(u32),
}

impl Quorum {
    /// From a PBC field: the special values of riak_pb, or a count.
    pub fn from_pbc(value: Option<u64>) -> Quorum {
        match value {
            None | Some(4_294_967_291) => Quorum::Default,
            Some(4_294_967_294) => Quorum::One,
            Some(4_294_967_293) => Quorum::Majority,
            Some(4_294_967_292) => Quorum::All,
            Some(n) => Quorum::Count(n.min(u64::from(u32::MAX)) as u32),
        }
    }

    /// From an HTTP query parameter: `one`, `quorum`, `all`, `default` or a count.
    pub fn from_http(value: Option<&str>) -> Quorum {
        match value {
            None | Some("default") => Quorum::Default,
            Some("one") => Quorum::One,
            Some("quorum") => Quorum::Majority,
            Some("all") => Quorum::All,
            Some(n) => n.parse().map_or(Quorum::Default, Quorum::Count),
        }
    }

    /// The number of replicas it means for `n` replicas, given the bucket's default.
    pub fn resolve(self, n: u32, default: Quorum) -> u32 {
        match self {
            Quorum::Default if default == Quorum::Default => 0,
            Quorum::Default => default.resolve(n, Quorum::Default),
            Quorum::One => 1,
            Quorum::Majority => n / 2 + 1,
            Quorum::All => n,
            Quorum::Count(c) => c,
        }
    }
}

/// The options of a read.
#[derive(Debug, Clone, Copy, Default)]
pub struct GetOptions {
    pub r: Quorum,
    pub pr: Quorum,
    pub notfound_ok: Option<bool>,
    pub basic_quorum: Option<bool>,
    pub timeout: Option<Duration>,
}

/// The options of a write or a delete.
#[derive(Debug, Clone, Copy, Default)]
pub struct PutOptions {
    pub w: Quorum,
    pub dw: Quorum,
    pub pw: Quorum,
    pub timeout: Option<Duration>,
}

/// One replica's reply to a read: its object (`None`: not found) and whether it is a primary.
#[derive(Debug, Clone)]
pub struct Reply {
    pub object: Option<Object>,
    pub primary: bool,
}

/// What a read's coordinator knows after some replies.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict<T> {
    /// Not enough replies yet.
    Pending,
    Done(Result<T, Failure>),
}

/// A read's quorum values, resolved for its `n` replicas.
#[derive(Debug, Clone, Copy)]
pub struct ReadRules {
    pub n: u32,
    pub r: u32,
    pub pr: u32,
    /// Not-found replies after which the read gives up.
    pub fail_threshold: u32,
    pub notfound_ok: bool,
}

impl ReadRules {
    /// The rules for `n` replicas: a read gives up after `n - r + 1` not-found replies, or
    /// with `basic_quorum` after a majority of them if that is fewer.
    pub fn new(n: u32, r: u32, pr: u32, notfound_ok: bool, basic_quorum: bool) -> ReadRules {
        let all = n.saturating_sub(r) + 1;
        let fail_threshold = if basic_quorum {
            (n / 2 + 1).min(all)
        } else {
            all
        };
        ReadRules {
            n,
            r,
            pr,
            fail_threshold,
            notfound_ok,
        }
    }
}

/// The rules of a read for replies in the order they came; `all_in` when no more will come.
/// `Done(Ok(merged))` gives the merged object of the replies counted (`None`: not found).
pub fn read_verdict(
    rules: ReadRules,
    replies: &[Reply],
    all_in: bool,
    merge: impl Fn(&[&Object]) -> Option<Object>,
) -> Verdict<Option<Object>> {
    let ReadRules {
        n,
        r,
        pr,
        fail_threshold,
        notfound_ok,
    } = rules;
    let (mut ok, mut pok, mut notfound, mut deleted) = (0, 0, 0, 0);
    let mut counted = Vec::new();
    for reply in replies {
        match &reply.object {
            Some(object) => {
                ok += 1;
                pok += u32::from(reply.primary);
                deleted += u32::from(object.live().is_empty());
                counted.push(object);
            }
            None if notfound_ok => {
                ok += 1;
                pok += u32::from(reply.primary);
            }
            None => notfound += 1,
        }
        let enough = (ok >= r && pok >= pr) || notfound >= fail_threshold || ok + notfound >= n;
        if enough {
            return Verdict::Done(respond(r, pr, ok, pok, notfound, deleted, || {
                merge(&counted)
            }));
        }
    }
    if all_in {
        return Verdict::Done(respond(r, pr, ok, pok, notfound, deleted, || {
            merge(&counted)
        }));
    }
    Verdict::Pending
}

fn respond(
    r: u32,
    pr: u32,
    ok: u32,
    pok: u32,
    notfound: u32,
    deleted: u32,
    merged: impl FnOnce() -> Option<Object>,
) -> Result<Option<Object>, Failure> {
    if ok >= r && pok >= pr {
        return Ok(merged());
    }
    if notfound + deleted > 0 && ok == deleted {
        return Ok(None);
    }
    if pr > 0 && pok < pr && (ok >= r || pr >= r) {
        return Err(Failure::PrVal(pr, pok));
    }
    Err(Failure::RVal(r, ok))
}

/// The rules of a write: `acks` replicas have it, `primary_acks` of them primaries.
pub fn write_verdict(
    w: u32,
    dw: u32,
    pw: u32,
    acks: u32,
    primary_acks: u32,
    all_in: bool,
) -> Verdict<()> {
    if acks >= w && acks >= dw && primary_acks >= pw {
        return Verdict::Done(Ok(()));
    }
    if !all_in {
        return Verdict::Pending;
    }
    Verdict::Done(Err(if acks < w {
        Failure::WVal(w, acks)
    } else if acks < dw {
        Failure::DwVal(dw, acks)
    } else {
        Failure::PwVal(pw, primary_acks)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found() -> Reply {
        let mut object = Object::default();
        let mut data = crate::db::Data::default();
        object.write(data.sibling(b"v".to_vec(), Vec::new(), None, false), false);
        Reply {
            object: Some(object),
            primary: true,
        }
    }

    fn missing(primary: bool) -> Reply {
        Reply {
            object: None,
            primary,
        }
    }

    fn rules(r: u32, notfound_ok: bool) -> ReadRules {
        ReadRules::new(3, r, 0, notfound_ok, false)
    }

    fn first(objects: &[&Object]) -> Option<Object> {
        objects.first().map(|o| (*o).clone())
    }

    #[test]
    fn a_quorum_read_of_one_value_and_two_empty_fallbacks() {
        let (value, empty) = (found(), missing(false));
        let ordered = |replies: &[&Reply]| replies.iter().map(|r| (*r).clone()).collect::<Vec<_>>();
        // notfound_ok=true, r=2: the first two replies decide.
        let late = ordered(&[&empty, &empty, &value]);
        let read =
            |nf_ok, replies: &[Reply], r| read_verdict(rules(r, nf_ok), replies, true, first);
        assert_eq!(read(true, &late, 2), Verdict::Done(Ok(None)));
        let early = ordered(&[&value, &empty, &empty]);
        assert!(matches!(read(true, &early, 2), Verdict::Done(Ok(Some(_)))));
        // notfound_ok=false: unsatisfied when the value came among the first two, else not found.
        assert_eq!(
            read(false, &early, 2),
            Verdict::Done(Err(Failure::RVal(2, 1)))
        );
        assert_eq!(read(false, &late, 2), Verdict::Done(Ok(None)));
        // r=1 with notfound_ok=false finds it in any order; r=all finds it too.
        assert!(matches!(read(false, &late, 1), Verdict::Done(Ok(Some(_)))));
        assert!(matches!(read(true, &late, 3), Verdict::Done(Ok(Some(_)))));
        // A replica that never answers keeps a quorum read pending.
        assert_eq!(
            read_verdict(rules(2, true), &early[..1], false, first),
            Verdict::Pending
        );
    }

    #[test]
    fn basic_quorum_gives_up_after_a_majority_of_not_found() {
        let late = [missing(false), missing(false), found()];
        let patient = ReadRules::new(3, 1, 0, false, false);
        assert!(matches!(
            read_verdict(patient, &late, true, first),
            Verdict::Done(Ok(Some(_)))
        ));
        let basic = ReadRules::new(3, 1, 0, false, true);
        assert_eq!(
            read_verdict(basic, &late, true, first),
            Verdict::Done(Ok(None))
        );
    }

    #[test]
    fn quorum_values_resolve_like_riak() {
        assert_eq!(
            Quorum::from_pbc(Some(4_294_967_292)).resolve(3, Quorum::Majority),
            3
        );
        assert_eq!(Quorum::from_http(Some("quorum")).resolve(3, Quorum::One), 2);
        assert_eq!(Quorum::from_http(None).resolve(3, Quorum::Majority), 2);
        assert_eq!(Quorum::from_pbc(None).resolve(3, Quorum::Default), 0);
        assert_eq!(Failure::RVal(2, 1).pbc(), "{r_val_unsatisfied,2,1}");
        assert_eq!(write_verdict(2, 2, 0, 1, 1, false), Verdict::Pending);
        assert_eq!(
            write_verdict(1, 1, 2, 3, 1, true),
            Verdict::Done(Err(Failure::PwVal(2, 1)))
        );
    }
}
