//! The stand-in's data: buckets of objects with versions, siblings and tombstones.
//!
//! Causality is modelled with one counter per cluster instead of real vector clocks: each write
//! gets the next number, and an object's vclock is the number of its latest write. A put that
//! carries vclock `v` has seen every sibling written at or before `v`, so it replaces those and
//! keeps the later ones as siblings, exactly what Riak does for a client that read at `v`.
//! With `allow_mult=false` a write always leaves one value (the newest), as Riak does.
//! Several stand-in nodes share one [`Db`], like the nodes of a cluster share their data.

use crate::cluster::Cluster;
use crate::object::{Bucket, Object, Sibling};
use crate::replicas::Replicas;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

/// A cluster's data, shared by its nodes, with the rest of the cluster's shared state. Cheap to
/// clone.
#[derive(Clone, Default)]
pub struct Db(Arc<Mutex<Data>>, Arc<Cluster>);

#[derive(Default)]
pub(crate) struct Data {
    /// Bucket types besides `default`, with their `allow_mult`.
    types: HashMap<String, bool>,
    /// Buckets of the default type with `allow_mult=true`.
    multi: Vec<String>,
    /// One copy of everything, when the cluster has no ring.
    objects: HashMap<Bucket, BTreeMap<Vec<u8>, Object>>,
    /// Each vnode's own copy, when it has one (see [`Db::replicated`]).
    pub(crate) ring: Option<Replicas>,
    pub(crate) clock: u64,
    /// The last timestamp handed out, so that every write is strictly newer.
    pub(crate) last_stamp: (u32, u32),
}

/// Why a request cannot be served; the text is what Riak would say.
pub type Refusal = String;

impl Db {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Data> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The ring position of a node that starts with this cluster's data, if it has a ring.
    pub(crate) fn join(&self) -> Option<usize> {
        self.lock().ring.as_mut().and_then(Replicas::join)
    }

    /// The cluster's queue and restart state.
    pub(crate) fn cluster(&self) -> &Cluster {
        &self.1
    }

    /// A bucket's `allow_mult`; fails for a bucket type that does not exist.
    pub fn bucket_allow_mult(&self, bucket: &Bucket) -> Result<bool, Refusal> {
        Self::allow_mult(&self.lock(), bucket)
    }

    /// Creates a bucket type (like `riak-admin bucket-type create`); new types default to
    /// `allow_mult=true`, as in Riak.
    pub fn create_type(&self, name: &str, allow_mult: bool) {
        self.lock().types.insert(name.to_string(), allow_mult);
    }

    /// Sets `allow_mult` on a bucket of the default type.
    pub fn set_allow_mult(&self, bucket: &str, allow_mult: bool) {
        let mut data = self.lock();
        data.multi.retain(|b| b != bucket);
        if allow_mult {
            data.multi.push(bucket.to_string());
        }
    }

    /// Fails for a bucket type that does not exist, with Riak's message.
    pub(crate) fn allow_mult(data: &Data, bucket: &Bucket) -> Result<bool, Refusal> {
        if bucket.kind == "default" {
            return Ok(data.multi.contains(&bucket.name));
        }
        data.types
            .get(&bucket.kind)
            .copied()
            .ok_or_else(|| "no_type".to_string())
    }

    /// The object under a key, if it was ever written.
    pub fn get(&self, bucket: &Bucket, key: &[u8]) -> Result<Option<Object>, Refusal> {
        let data = self.lock();
        Self::allow_mult(&data, bucket)?;
        Ok(data.objects.get(bucket).and_then(|b| b.get(key)).cloned())
    }

    /// Writes a value (or a tombstone) as a client that read `seen` would, and returns the
    /// object after the write.
    pub fn put(
        &self,
        bucket: &Bucket,
        key: &[u8],
        value: Vec<u8>,
        content_type: Vec<u8>,
        seen: Option<u64>,
        deleted: bool,
    ) -> Result<Object, Refusal> {
        let mut data = self.lock();
        let allow_mult = Self::allow_mult(&data, bucket)?;
        let sibling = data.sibling(value, content_type, seen, deleted);
        let object = data
            .objects
            .entry(bucket.clone())
            .or_default()
            .entry(key.to_vec())
            .or_default();
        object.write(sibling, allow_mult);
        Ok(object.clone())
    }

    /// Keys of live objects in `min..=max` after `after`, in order, at most `limit` (0: all),
    /// and whether more follow.
    pub fn key_range(
        &self,
        bucket: &Bucket,
        min: &[u8],
        max: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<(Vec<Vec<u8>>, bool), Refusal> {
        let data = self.lock();
        let allow_mult = Self::allow_mult(&data, bucket)?;
        let merged = data.ring.as_ref().map(|r| r.bucket(bucket, allow_mult));
        let Some(objects) = merged.as_ref().or(data.objects.get(bucket)) else {
            return Ok((Vec::new(), false));
        };
        if min > max {
            return Ok((Vec::new(), false));
        }
        let mut keys = objects
            .range(min.to_vec()..=max.to_vec())
            .filter(|(k, o)| !o.live().is_empty() && after.is_none_or(|a| k.as_slice() > a))
            .map(|(k, _)| k.clone());
        let limit = if limit == 0 { usize::MAX } else { limit };
        let out: Vec<_> = keys.by_ref().take(limit).collect();
        let more = keys.next().is_some();
        Ok((out, more))
    }
}

impl Data {
    /// Which buckets keep siblings: (type, bucket), a whole type when the bucket is `None`.
    pub(crate) fn multi_buckets(&self) -> Vec<(String, Option<String>)> {
        let types = self.types.iter().filter(|(_, m)| **m);
        let typed = types.map(|(t, _)| (t.clone(), None));
        let plain = self
            .multi
            .iter()
            .map(|b| ("default".to_string(), Some(b.clone())));
        typed.chain(plain).collect()
    }

    /// A new write: the next number of the cluster's counter and a newer timestamp.
    pub(crate) fn sibling(
        &mut self,
        value: Vec<u8>,
        content_type: Vec<u8>,
        seen: Option<u64>,
        deleted: bool,
    ) -> Sibling {
        self.clock += 1;
        let written = self.clock;
        let last_mod = next_stamp(&mut self.last_stamp);
        Sibling {
            value,
            content_type,
            vtag: format!("{written:x}vt{}", last_mod.1),
            last_mod,
            deleted,
            written,
            seen: seen.unwrap_or(0),
        }
    }
}

/// Now, made strictly later than the previous stamp.
fn next_stamp(last: &mut (u32, u32)) -> (u32, u32) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let mut stamp = (now.as_secs() as u32, now.subsec_micros());
    if stamp <= *last {
        stamp = if last.1 >= 999_999 {
            (last.0 + 1, 0)
        } else {
            (last.0, last.1 + 1)
        };
    }
    *last = stamp;
    stamp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::parse_vclock;

    fn put(db: &Db, bucket: &Bucket, value: &str, seen: Option<u64>) -> Object {
        let json = b"application/json".to_vec();
        db.put(bucket, b"k", value.into(), json, seen, false)
            .unwrap()
    }

    #[test]
    fn stale_writes_make_siblings_only_with_allow_mult() {
        let db = Db::default();
        db.set_allow_mult("multi", true);
        let (plain, multi) = (Bucket::new(None, b"plain"), Bucket::new(None, b"multi"));
        for bucket in [&plain, &multi] {
            let first = put(&db, bucket, "1", None);
            put(&db, bucket, "2", None);
            let live = db.get(bucket, b"k").unwrap().unwrap().live().len();
            assert_eq!(live, if bucket == &multi { 2 } else { 1 });
            let latest = db.get(bucket, b"k").unwrap().unwrap();
            let after = put(&db, bucket, "3", Some(latest.version));
            assert_eq!(
                after.live().len(),
                1,
                "a write that saw everything replaces it"
            );
            assert!(after.siblings[0].last_mod > first.siblings[0].last_mod);
        }
        assert_eq!(parse_vclock(&Object::default().vclock()), Some(0));
        assert!(db.get(&Bucket::new(Some(b"nope"), b"b"), b"k").is_err());
    }
}
