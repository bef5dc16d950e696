//! The `Date` header every answer carries, formatted once a second (a per-thread copy of a
//! shared text) rather than per request; the format itself is `crate::httpdate`.

use crate::httpdate::{format, LEN};
use std::cell::RefCell;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// A second and its date text.
type Dated = (u64, [u8; LEN]);

/// The date of the latest second any thread asked for.
static SHARED: Mutex<Dated> = Mutex::new((u64::MAX, [0; LEN]));

thread_local! {
    static COPY: RefCell<Dated> = const { RefCell::new((u64::MAX, [0; LEN])) };
}

/// Appends the current date in the IMF-fixdate format.
pub(crate) fn append(out: &mut Vec<u8>) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    COPY.with(|copy| {
        let mut copy = copy.borrow_mut();
        if copy.0 != now {
            let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
            if shared.0 != now {
                *shared = (now, format(now));
            }
            *copy = *shared;
        }
        out.extend_from_slice(&copy.1);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_the_current_second() {
        let mut out = Vec::new();
        append(&mut out);
        append(&mut out);
        assert_eq!(out.len(), 2 * LEN);
        assert!(out.ends_with(b" GMT"));
    }
}
