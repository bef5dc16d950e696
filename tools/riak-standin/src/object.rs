//! A key's object (its values or tombstone, and the opaque vclock clients get), what names it
//! (bucket type and bucket), and how it changes: a write applied by the coordinating replica,
//! and two replicas' copies merged (a write reaching another replica, read repair, handoff). Causality follows the
//! cluster's write counter (see `db.rs`): a sibling whose writer had seen another replaces it.

/// One stored value (a sibling), or a tombstone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sibling {
    pub value: Vec<u8>,
    pub content_type: Vec<u8>,
    pub vtag: String,
    /// Seconds and microseconds since the Unix epoch.
    pub last_mod: (u32, u32),
    pub deleted: bool,
    /// The write that made it.
    pub(crate) written: u64,
    /// The latest write its writer had seen (the vclock it sent): it replaces those.
    pub(crate) seen: u64,
}

/// A key's state: its latest write and its values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Object {
    pub version: u64,
    pub siblings: Vec<Sibling>,
}

impl Object {
    /// The values that are not tombstones.
    pub fn live(&self) -> Vec<&Sibling> {
        self.siblings.iter().filter(|s| !s.deleted).collect()
    }

    /// The opaque vclock clients get: a tag and the version, big-endian.
    pub fn vclock(&self) -> Vec<u8> {
        let mut out = b"sv".to_vec();
        out.extend_from_slice(&self.version.to_be_bytes());
        out
    }
}

/// Reads a vclock made by [`Object::vclock`]; anything else is not one of ours.
pub fn parse_vclock(bytes: &[u8]) -> Option<u64> {
    let rest = bytes.strip_prefix(b"sv")?;
    Some(u64::from_be_bytes(rest.try_into().ok()?))
}

/// What a request names: a bucket type (`default` when unset) and a bucket.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Bucket {
    pub kind: String,
    pub name: String,
}

impl Bucket {
    pub fn new(kind: Option<&[u8]>, name: &[u8]) -> Bucket {
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        Bucket {
            kind: kind.map(text).unwrap_or_else(|| "default".into()),
            name: text(name),
        }
    }
}

impl Object {
    /// Applies a write as the coordinating replica does: it replaces what its writer saw (with
    /// `allow_mult`), or everything.
    pub(crate) fn write(&mut self, sibling: Sibling, allow_mult: bool) {
        if allow_mult && !sibling.deleted {
            self.siblings
                .retain(|s| s.written > sibling.seen && !s.deleted);
        } else {
            self.siblings.clear();
        }
        self.version = sibling.written;
        self.siblings.push(sibling);
    }

    /// Two replicas' objects made one, as a replica takes another's copy: a sibling stays
    /// unless another one's writer had seen it; without `allow_mult` the newest one stays.
    pub(crate) fn merge(&self, other: &Object, allow_mult: bool) -> Object {
        let mut all: Vec<Sibling> = self.siblings.clone();
        for s in &other.siblings {
            if !all.iter().any(|a| a.written == s.written) {
                all.push(s.clone());
            }
        }
        let newer_seen = |s: &Sibling| {
            all.iter()
                .any(|x| x.seen >= s.written && x.written != s.written)
        };
        let mut kept: Vec<Sibling> = all.iter().filter(|s| !newer_seen(s)).cloned().collect();
        if !allow_mult && kept.len() > 1 {
            kept.sort_by_key(|s| (s.last_mod, s.written));
            kept.drain(..kept.len() - 1);
        }
        kept.sort_by_key(|s| s.written);
        Object {
            version: self.version.max(other.version),
            siblings: kept,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::db::Data;
    use crate::object::Object;

    fn written(data: &mut Data, value: &str, seen: Option<u64>, deleted: bool) -> Object {
        let mut object = Object::default();
        let sibling = data.sibling(value.into(), b"text/plain".to_vec(), seen, deleted);
        object.write(sibling, true);
        object
    }

    #[test]
    fn a_copy_that_saw_another_replaces_it_and_concurrent_ones_stay_or_the_newest_wins() {
        let mut data = Data::default();
        let old = written(&mut data, "old", None, false);
        let tombstone = written(&mut data, "", Some(old.version), true);
        for allow_mult in [true, false] {
            let merged = old.merge(&tombstone, allow_mult);
            assert!(merged.live().is_empty(), "a delete that saw the value wins");
            assert_eq!(tombstone.merge(&old, allow_mult), merged, "in either order");
        }
        let other = written(&mut data, "other", None, false);
        assert_eq!(old.merge(&other, true).live().len(), 2, "siblings");
        let newest = old.merge(&other, false);
        assert_eq!(newest.live()[0].value, b"other", "the newest write");
        assert_eq!(newest.version, other.version);
    }
}
