//! HTTP dates (IMF-fixdate, RFC 9110 §5.6.7), both ways, in one place: the front formats the
//! `Date` of every answer, and the Riak HTTP client parses `Last-Modified` to pick between
//! siblings. One calendar (proleptic Gregorian, days counted from 1970-01-01, after Howard
//! Hinnant's `days_from_civil` and `civil_from_days`) serves both, so the two cannot disagree.

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Sun, 06 Nov 1994 08:49:37 GMT` is 29 bytes.
pub const LEN: usize = 29;

/// Formats seconds since the Unix epoch as an IMF-fixdate.
pub fn format(secs: u64) -> [u8; LEN] {
    let days = secs / 86_400;
    let (year, month, day) = civil_from_days(days);
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

/// Seconds since the Unix epoch of an HTTP date (`Fri, 27 Nov 2026 10:03:46 GMT`).
pub fn parse(text: &str) -> Option<u32> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let month = MONTHS.iter().position(|m| m == month)? as i64 + 1;
    let (day, year): (i64, i64) = (day.parse().ok()?, year.parse().ok()?);
    let hms: Vec<i64> = time
        .split(':')
        .map(|t| t.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, s] = hms.as_slice() else {
        return None;
    };
    let days = days_from_civil(year, month, day);
    u32::try_from(days * 86_400 + h * 3600 + m * 60 + s).ok()
}

/// Days since 1970-01-01 of a civil date (month 1-12).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month 1-12, day 1-31) of a day count since 1970-01-01, for days on or
/// after the epoch.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
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
    fn dates_parse() {
        assert_eq!(parse("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse("Fri, 27 Nov 2026 10:03:46 GMT"), Some(1_795_773_826));
        assert_eq!(parse("Sun, 29 Feb 2004 12:00:01 GMT"), Some(1_078_056_001));
        assert_eq!(parse("yesterday"), None);
    }

    #[test]
    fn parse_reads_back_what_format_writes() {
        for secs in [0, 784_111_777, 951_782_400, 1_795_773_826, 4_133_980_799u64] {
            let text = String::from_utf8(format(secs).to_vec()).unwrap();
            assert_eq!(
                parse(&text).map(u64::from),
                u32::try_from(secs).ok().map(u64::from)
            );
        }
    }
}
