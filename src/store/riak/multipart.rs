//! Reading Riak's HTTP answers for siblings: the `multipart/mixed` body of a 300 Multiple
//! Choices (one part per sibling, each with its own headers) and the HTTP dates of
//! `Last-Modified`, which decide which sibling is newest.
//!
//! Hand-written because it is small and exact: a part is headers, a blank line and the value,
//! between `--boundary` lines; tombstone parts (`X-Riak-Deleted`) are left out.

use super::Sibling;

/// The `boundary` parameter of a `multipart/mixed` content type.
pub(crate) fn boundary(content_type: &str) -> Option<String> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/mixed") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// The live siblings of a multipart body: each part is headers, a blank line, the value.
pub(crate) fn multipart(body: &[u8], boundary: &str) -> Vec<Sibling> {
    let delimiter = format!("--{boundary}");
    let mut out = Vec::new();
    // The first piece is the preamble; a piece starting with "--" follows the last part.
    for part in split(body, delimiter.as_bytes()).skip(1) {
        if part.starts_with(b"--") {
            break;
        }
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let Some(blank) = find(part, b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&part[..blank]);
        let value = &part[blank + 4..];
        let value = value.strip_suffix(b"\r\n").unwrap_or(value);
        let mut modified = 0;
        let mut deleted = false;
        for line in head.lines() {
            let Some((name, v)) = line.split_once(':') else {
                continue;
            };
            match name.trim().to_ascii_lowercase().as_str() {
                "last-modified" => modified = http_date(v.trim()).unwrap_or(0),
                "x-riak-deleted" => deleted = v.trim() == "true",
                _ => {}
            }
        }
        if !deleted {
            out.push(Sibling {
                value: value.to_vec(),
                modified,
            });
        }
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn split<'a>(mut hay: &'a [u8], sep: &'a [u8]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        match find(hay, sep) {
            Some(at) => {
                let piece = &hay[..at];
                hay = &hay[at + sep.len()..];
                Some(piece)
            }
            None => {
                done = true;
                Some(hay)
            }
        }
    })
}

/// Seconds since the Unix epoch of an HTTP date (`Fri, 27 Nov 2026 10:03:46 GMT`).
pub(crate) fn http_date(text: &str) -> Option<u32> {
    let parts: Vec<&str> = text.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| m == month)? as i64 + 1;
    let (day, year): (i64, i64) = (day.parse().ok()?, year.parse().ok()?);
    let hms: Vec<i64> = time
        .split(':')
        .map(|t| t.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, s] = hms.as_slice() else {
        return None;
    };
    // Days from the civil date (proleptic Gregorian), counting from 1970-01-01.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u32::try_from(days * 86_400 + h * 3600 + m * 60 + s).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse() {
        assert_eq!(http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            http_date("Fri, 27 Nov 2026 10:03:46 GMT"),
            Some(1_795_773_826)
        );
        assert_eq!(
            http_date("Sun, 29 Feb 2004 12:00:01 GMT"),
            Some(1_078_056_001)
        );
        assert_eq!(http_date("yesterday"), None);
    }

    #[test]
    fn boundaries_parse() {
        let ct = "multipart/mixed; boundary=KmVQ02EREdnTwSfr0WHlZg4Skue";
        assert_eq!(boundary(ct).as_deref(), Some("KmVQ02EREdnTwSfr0WHlZg4Skue"));
        assert_eq!(boundary("text/plain"), None);
    }
}
