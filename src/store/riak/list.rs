//! The list page (`GET /contacts`) on Riak: one `$key` index range query gives the names in
//! key order, then a get per name; keys that are skipped make it read the next index page, so
//! a page is short only at the real end. Why this way and what it needs: docs/riak.md.

use super::Riak;
use crate::contact::Contact;
use crate::error::Error;
use crate::store::Store;

/// Below every name: names are trimmed and hold no control characters.
const KEY_MIN: &[u8] = b" ";

/// Index pages read at most for one list page, when keys had to be skipped.
const MAX_INDEX_ROUNDS: usize = 8;

/// Up to `limit` contacts whose names start with `prefix` and sort after `after`: one index
/// range query, then a get per key; more index pages only when keys had to be skipped.
pub(super) fn page(
    riak: &Riak,
    after: Option<&str>,
    prefix: &str,
    limit: usize,
) -> Result<Vec<Contact>, Error> {
    let start = match after {
        Some(after) if after > prefix => after.as_bytes(),
        _ => prefix.as_bytes(),
    };
    let mut min = if start.is_empty() { KEY_MIN } else { start }.to_vec();
    // No UTF-8 text holds the byte 0xFF: every key starting with `prefix` sorts below this.
    let max = [prefix.as_bytes(), &[0xFF]].concat();
    let mut out = Vec::with_capacity(limit.min(500));
    let mut after = after.map(|a| a.as_bytes().to_vec());
    for _ in 0..MAX_INDEX_ROUNDS {
        if out.len() == limit || min > max {
            break;
        }
        // The range is inclusive: `after` itself may come back, so ask for one more.
        let want = limit - out.len() + usize::from(after.is_some());
        let want = u32::try_from(want).unwrap_or(u32::MAX);
        let (bucket, timeout) = (&riak.settings.bucket, riak.settings.quorums.riak_timeout);
        let keys = riak
            .nodes
            .run(|link| link.key_range(bucket, &min, &max, want, timeout))?;
        let full = keys.len() == want as usize;
        let last = keys.last().cloned();
        contacts_of(riak, keys, after.as_deref(), prefix, limit, &mut out)?;
        // A short index page is the real end; a full one may have more keys behind skips.
        let Some(last) = last.filter(|_| full) else {
            break;
        };
        after = Some(last.clone());
        min = last;
    }
    Ok(out)
}

/// The contacts of one index page of keys, skipping keys that are no names, fall outside
/// the page, or were deleted since the index answered.
fn contacts_of(
    riak: &Riak,
    keys: Vec<Vec<u8>>,
    after: Option<&[u8]>,
    prefix: &str,
    limit: usize,
    out: &mut Vec<Contact>,
) -> Result<(), Error> {
    for key in keys {
        if out.len() == limit {
            break;
        }
        let Ok(name) = String::from_utf8(key) else {
            continue;
        };
        if after.is_some_and(|a| name.as_bytes() <= a) || !name.starts_with(prefix) {
            continue;
        }
        if let Some(contact) = riak.get(&name)? {
            out.push(contact);
        }
    }
    Ok(())
}
