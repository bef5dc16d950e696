//! The coordinator of a ring cluster's reads and writes: it asks a key's replicas, counts
//! their replies by the rules of `quorum.rs`, waits for silent (hung) replicas until the
//! request's timeout, and repairs the replicas that answered with an older copy.
//!
//! Replies come from the coordinating node's own replicas first (they answer fastest: after a
//! restart the recorded cluster gave stale values from the restarted node's replicas through that
//! node), then the others, each group in replica order with the replicas holding a copy first;
//! in a share of reads (`RingOptions::fallbacks_first`) the empty ones come first, as they did
//! now and then on the recorded cluster.

use crate::db::{Data, Db, Refusal};
use crate::object::{Bucket, Object};
use crate::quorum::{self, Failure, GetOptions, PutOptions, Quorum, ReadRules, Reply, Verdict};
use crate::replicas::{NodeState, Replicas, Slot};
use std::time::Instant;

/// A write to coordinate: a value, or a tombstone.
pub struct Write {
    pub value: Vec<u8>,
    pub content_type: Vec<u8>,
    pub seen: Option<u64>,
    pub deleted: bool,
}

impl Db {
    /// Whether this cluster keeps replicas on a ring.
    pub fn replicated(&self) -> bool {
        self.lock().ring.is_some()
    }

    /// A coordinated read on node `node`: the merged object of the replies counted
    /// (`None`: not found), or why the cluster could not answer.
    pub fn fetch(
        &self,
        node: usize,
        bucket: &Bucket,
        key: &[u8],
        options: &GetOptions,
    ) -> Result<Result<Option<Object>, Failure>, Refusal> {
        let deadline = Instant::now() + options.timeout.unwrap_or(quorum::DEFAULT_TIMEOUT);
        let mut data = self.lock();
        let allow_mult = Db::allow_mult(&data, bucket)?;
        let empty_first = ring(&mut data).empty_first();
        loop {
            let replicas = settled(&mut data);
            let slots = replicas.slots(bucket, key);
            let n = replicas.ring.n_val as u32;
            let r = options.r.resolve(n, Quorum::Majority);
            let pr = options.pr.resolve(n, Quorum::Default);
            if let Err(failure) = check(n, &[r, pr], &slots, pr, r, Failure::PrVal) {
                return Ok(Err(failure));
            }
            let notfound_ok = options.notfound_ok.unwrap_or(true);
            let basic = options.basic_quorum.unwrap_or(false);
            let rules = ReadRules::new(n, r, pr, notfound_ok, basic);
            let answering: Vec<&Slot> = slots.iter().filter(|s| replicas.answers(s)).collect();
            let mut replies: Vec<(Slot, Reply)> = answering
                .iter()
                .map(|s| {
                    let object = replicas.read(s, bucket, key);
                    (
                        **s,
                        Reply {
                            object,
                            primary: s.primary,
                        },
                    )
                })
                .collect();
            // A stable sort: the coordinating node's own replicas first, and among each, those
            // holding a copy first (or last), in replica order.
            replies.sort_by_key(|(slot, reply)| {
                (slot.host != node, reply.object.is_none() != empty_first)
            });
            let ordered: Vec<Reply> = replies.iter().map(|(_, r)| r.clone()).collect();
            let all_in = answering.len() == slots.len();
            let merge = |objects: &[&Object]| merge_all(objects, allow_mult);
            match quorum::read_verdict(rules, &ordered, all_in, merge) {
                Verdict::Done(answer) => {
                    repair(replicas, &replies, bucket, key, allow_mult);
                    return Ok(answer);
                }
                Verdict::Pending => match self.wait(data, deadline) {
                    Some(next) => data = next,
                    None => return Ok(Err(Failure::Timeout)),
                },
            }
        }
    }

    /// A coordinated write (or delete) on node `node`: the object the coordinating replica
    /// made, or why the cluster could not take it.
    pub fn store(
        &self,
        node: usize,
        bucket: &Bucket,
        key: &[u8],
        write: Write,
        options: &PutOptions,
    ) -> Result<Result<Object, Failure>, Refusal> {
        let deadline = Instant::now() + options.timeout.unwrap_or(quorum::DEFAULT_TIMEOUT);
        let mut data = self.lock();
        let allow_mult = Db::allow_mult(&data, bucket)?;
        let mut written: Option<Object> = None;
        let mut sent: Vec<Slot> = Vec::new();
        let mut write = Some(write);
        loop {
            let slots = settled(&mut data).slots(bucket, key);
            let n = data.ring.as_ref().map_or(3, |r| r.ring.n_val) as u32;
            let w = options.w.resolve(n, Quorum::Majority);
            let dw = options.dw.resolve(n, Quorum::Majority);
            let pw = options.pw.resolve(n, Quorum::Default);
            if let Err(failure) = check(n, &[w, dw, pw], &slots, pw, w.max(dw), Failure::PwVal) {
                return Ok(Err(failure));
            }
            // The coordinator: this node's replica if it has one, else the first.
            let coordinator = slots
                .iter()
                .find(|s| s.host == node)
                .or(slots.first())
                .copied();
            if let (None, Some(slot), Some(w)) = (&written, coordinator, write.take()) {
                let replicas = ring(&mut data);
                if replicas.answers(&slot) {
                    let object = coordinate(&mut data, bucket, key, &slot, w, allow_mult);
                    written = Some(object);
                } else {
                    write = Some(w);
                }
            }
            // Sent to every replica at once; a hung one's copy waits in its mailbox, and it
            // acknowledges once it answers again.
            if let Some(object) = &written {
                let replicas = ring(&mut data);
                for slot in &slots {
                    if !sent.contains(slot) {
                        replicas.deliver(slot, bucket, key, object, allow_mult);
                        sent.push(*slot);
                    }
                }
            }
            let replicas = ring(&mut data);
            let acked: Vec<&Slot> = slots
                .iter()
                .filter(|s| sent.contains(s) && replicas.answers(s))
                .collect();
            let acks = acked.len() as u32;
            let primary_acks = acked.iter().filter(|s| s.primary).count() as u32;
            let all_in = acks as usize == slots.len();
            match quorum::write_verdict(w, dw, pw, acks, primary_acks, all_in) {
                Verdict::Done(Ok(())) => return Ok(Ok(written.expect("acknowledged"))),
                Verdict::Done(Err(failure)) => return Ok(Err(failure)),
                Verdict::Pending => {}
            }
            match self.wait(data, deadline) {
                Some(next) => data = next,
                None => return Ok(Err(Failure::Timeout)),
            }
        }
    }

    /// Sets a ring node's state and wakes the coordinators waiting for it.
    pub(crate) fn set_node_state(&self, node: usize, state: NodeState) {
        let mut data = self.lock();
        let allow = allow_mult_of(&data);
        if let Some(replicas) = data.ring.as_mut() {
            replicas.set_state(node, state, &|b| allow(b));
        }
        drop(data);
        self.cluster().changed.notify_all();
    }

    /// Waits for a change of the nodes until `deadline`; `None` when it passed.
    fn wait<'a>(
        &'a self,
        data: std::sync::MutexGuard<'a, Data>,
        deadline: Instant,
    ) -> Option<std::sync::MutexGuard<'a, Data>> {
        let left = deadline.checked_duration_since(Instant::now())?;
        let (data, _) = self
            .cluster()
            .changed
            .wait_timeout(data, left)
            .unwrap_or_else(|e| e.into_inner());
        Some(data)
    }
}

/// The checks a coordinator makes before asking anyone: quorum values within `n_val`, enough
/// primaries, enough replicas.
fn check(
    n: u32,
    values: &[u32],
    slots: &[Slot],
    primaries_needed: u32,
    needed: u32,
    primary_failure: fn(u32, u32) -> Failure,
) -> Result<(), Failure> {
    if values.iter().any(|v| *v > n) {
        return Err(Failure::NValViolation(n));
    }
    let primaries = slots.iter().filter(|s| s.primary).count() as u32;
    if primaries < primaries_needed {
        return Err(primary_failure(primaries_needed, primaries));
    }
    if (slots.len() as u32) < needed {
        return Err(Failure::Insufficient(slots.len() as u32, needed));
    }
    Ok(())
}

/// The coordinating replica applies the write to its own copy.
fn coordinate(
    data: &mut Data,
    bucket: &Bucket,
    key: &[u8],
    slot: &Slot,
    w: Write,
    allow_mult: bool,
) -> Object {
    let ring = data.ring.as_ref().expect("a ring");
    let mut object = ring.read(slot, bucket, key).unwrap_or_default();
    let seen = w.seen.or((w.deleted).then_some(object.version));
    let sibling = data.sibling(w.value, w.content_type, seen, w.deleted);
    object.write(sibling, allow_mult);
    object
}

/// Read repair: every replica that answered gets the merge of all the replies.
fn repair(
    replicas: &mut Replicas,
    replies: &[(Slot, Reply)],
    bucket: &Bucket,
    key: &[u8],
    allow_mult: bool,
) {
    let objects: Vec<&Object> = replies
        .iter()
        .filter_map(|(_, r)| r.object.as_ref())
        .collect();
    let Some(merged) = merge_all(&objects, allow_mult) else {
        return;
    };
    for (slot, reply) in replies {
        if reply.object.as_ref() != Some(&merged) {
            replicas.deliver(slot, bucket, key, &merged, allow_mult);
        }
    }
}

fn merge_all(objects: &[&Object], allow_mult: bool) -> Option<Object> {
    let (first, rest) = objects.split_first()?;
    Some(
        rest.iter()
            .fold((*first).clone(), |a, b| a.merge(b, allow_mult)),
    )
}

fn ring(data: &mut Data) -> &mut Replicas {
    data.ring.as_mut().expect("a ring cluster")
}

/// The ring after the handoffs that are due.
fn settled(data: &mut Data) -> &mut Replicas {
    let allow = allow_mult_of(data);
    let replicas = ring(data);
    replicas.settle(Instant::now(), &|b| allow(b));
    replicas
}

/// A bucket's `allow_mult`, read once for the handoff of many keys.
fn allow_mult_of(data: &Data) -> impl Fn(&Bucket) -> bool {
    let multi = data.multi_buckets();
    move |b: &Bucket| {
        multi
            .iter()
            .any(|(kind, name)| *kind == b.kind && name.as_ref().is_none_or(|n| *n == b.name))
    }
}
