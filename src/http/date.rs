//! The `Date` header every answer carries (RFC 9110 §6.6.1), formatted once per second.
//!
//! Formatting a date per request would cost more than the rest of the head, so the text of the
//! current second is formatted once, when the second changes, into a shared cache; each thread
//! keeps a copy and looks at the shared one (under a lock) only when its copy is from an older
//! second, so a short-lived connection thread does not format a date of its own. Written by
//! hand: the IMF-fixdate format is one line of arithmetic.

use std::cell::RefCell;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// `Sun, 06 Nov 1994 08:49:37 GMT` is 29 bytes.
const LEN: usize = 29;

/// A second and its date text.
type Dated = (u64, [u8; LEN]);

/// The date of the latest second any thread asked for.
static SHARED: Mutex<Dated> = Mutex::new((u64::MAX, [0; LEN]));

thread_local! {
    static COPY: RefCell<Dated> = const { RefCell::new((u64::MAX, [0; LEN])) };
}

/// Appends the current date in the IMF-fixdate format.
pub fn append(out: &mut Vec<u8>) {
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

/// Formats seconds since the Unix epoch as an IMF-fixdate.
fn format(secs: u64) -> [u8; LEN] {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs / 86_400;
    let (year, month, day) = civil(days);
    let time = secs % 86_400;
    let text = std::format!(
        "{}, {day:02} {} {year:04} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        MONTHS[month as usize - 1],
        time / 3600,
        time / 60 % 60,
        time % 60
    );
    let mut out = [b' '; LEN];
    out.copy_from_slice(&text.as_bytes()[..LEN]);
    out
}

/// The civil date (year, month 1-12, day 1-31) of a day count since 1970-01-01 (Howard
/// Hinnant's `civil_from_days`, for days on or after the epoch).
fn civil(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_imf_fixdates() {
        let text = |secs| String::from_utf8(format(secs).to_vec()).unwrap();
        assert_eq!(text(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(text(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(text(951_782_400), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(text(4_133_980_799), "Fri, 31 Dec 2100 23:59:59 GMT");
    }

    #[test]
    fn appends_the_current_second() {
        let mut out = Vec::new();
        append(&mut out);
        append(&mut out);
        assert_eq!(out.len(), 2 * LEN);
        assert!(out.ends_with(b" GMT"));
    }
}
