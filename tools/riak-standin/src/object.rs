//! How a key's object changes: a write applied by the coordinating replica, and two replicas'
//! copies merged (a write reaching another replica, read repair, handoff). Causality follows the
//! cluster's write counter (see `db.rs`): a sibling whose writer had seen another replaces it.

use crate::db::{Object, Sibling};

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
