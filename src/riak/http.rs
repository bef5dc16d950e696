//! One Riak node over its HTTP API, through one `ureq` agent shared by all nodes.
//!
//! The agent keeps connections alive (up to the pool size per node) and bounds every call by the
//! store timeout. Objects live at `/buckets/{bucket}/keys/{key}` with the key percent-encoded.
//! A 404 is "not found", also for a tombstone (`X-Riak-Deleted`), whose vclock is still kept for
//! the next put. A 300 (siblings) is asked for as `multipart/mixed`, one part per sibling. The
//! vclock travels as the `X-Riak-Vclock` header text, sent back unchanged.

use super::{Fail, Link, Object, Sibling};
use percent_encoding::{percent_encode, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::time::Duration;
use ureq::http::{HeaderMap, Response};
use ureq::Body;

/// Bytes left as they are in a path segment; everything else is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The largest answer body read (siblings included).
const MAX_BODY: u64 = 16 * 1024 * 1024;

/// Siblings as one multipart answer, and a plain value otherwise.
const ACCEPT: &str = "multipart/mixed, */*;q=0.5";

/// The agent all nodes of one store share: it keeps up to `per_host` idle connections to each
/// node and bounds every call by `timeout`.
pub(crate) fn agent(timeout: Duration, per_host: usize, hosts: usize) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        // Riak answers siblings with 300 Multiple Choices: an answer to read, not a redirect.
        .max_redirects(0)
        .timeout_global(Some(timeout))
        .timeout_connect(Some(timeout))
        .max_idle_connections_per_host(per_host.max(1))
        .max_idle_connections(per_host.max(1) * hosts.max(1))
        .build()
        .into()
}

/// One node over HTTP.
pub(crate) struct HttpNode {
    addr: String,
    base: String,
    agent: ureq::Agent,
}

impl HttpNode {
    /// A node at `host:port`, reached through the store's shared agent.
    pub fn new(addr: &str, agent: ureq::Agent) -> HttpNode {
        HttpNode {
            addr: addr.to_string(),
            base: format!("http://{addr}"),
            agent,
        }
    }

    fn key_url(&self, bucket: &str, key: &str) -> String {
        format!(
            "{}/buckets/{}/keys/{}",
            self.base,
            utf8_percent_encode(bucket, SEGMENT),
            utf8_percent_encode(key, SEGMENT)
        )
    }

    fn down(&self, err: impl std::fmt::Display) -> Fail {
        Fail::Down(format!("{}: {err}", self.addr))
    }

    /// Reads the whole (bounded) body; a body cut short means the node broke mid-answer.
    fn body(&self, resp: &mut Response<Body>) -> Result<Vec<u8>, Fail> {
        resp.body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_vec()
            .map_err(|e| self.down(e))
    }

    /// An answer with an unexpected status: Riak's error text becomes the message.
    fn riak_error(&self, mut resp: Response<Body>) -> Fail {
        let status = resp.status();
        let text = self.body(&mut resp).unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        Fail::Riak(format!("HTTP {status}: {}", text.trim()))
    }
}

impl Link for HttpNode {
    fn ping(&self) -> Result<(), Fail> {
        let mut resp = self
            .agent
            .get(format!("{}/ping", self.base))
            .call()
            .map_err(|e| self.down(e))?;
        match resp.status().as_u16() {
            200 => self.body(&mut resp).map(drop),
            _ => Err(self.riak_error(resp)),
        }
    }

    fn fetch(&self, bucket: &str, key: &str, head: bool) -> Result<Object, Fail> {
        let url = self.key_url(bucket, key);
        let req = if head {
            self.agent.head(url)
        } else {
            self.agent.get(url)
        };
        let mut resp = req
            .header("Accept", ACCEPT)
            .call()
            .map_err(|e| self.down(e))?;
        let vclock = header(resp.headers(), "x-riak-vclock").map(|v| v.as_bytes().to_vec());
        let status = resp.status().as_u16();
        let siblings = match status {
            404 => Vec::new(),
            200 => {
                let modified = last_modified(resp.headers());
                let value = self.body(&mut resp)?;
                vec![Sibling { value, modified }]
            }
            300 => {
                let content_type = header(resp.headers(), "content-type").unwrap_or_default();
                let body = self.body(&mut resp)?;
                match boundary(&content_type) {
                    Some(b) => multipart(&body, &b),
                    None if head => Vec::new(),
                    None => {
                        let why = "300 Multiple Choices without a multipart body";
                        return Err(Fail::Riak(why.into()));
                    }
                }
            }
            _ => return Err(self.riak_error(resp)),
        };
        Ok(Object { vclock, siblings })
    }

    fn store(
        &self,
        bucket: &str,
        key: &str,
        value: &[u8],
        vclock: Option<&[u8]>,
    ) -> Result<(), Fail> {
        let mut req = self
            .agent
            .put(self.key_url(bucket, key))
            .header("Content-Type", "application/json");
        if let Some(vclock) = vclock {
            req = req.header("X-Riak-Vclock", vclock);
        }
        let mut resp = req.send(value).map_err(|e| self.down(e))?;
        match resp.status().as_u16() {
            200 | 204 => self.body(&mut resp).map(drop),
            _ => Err(self.riak_error(resp)),
        }
    }

    fn key_range(
        &self,
        bucket: &str,
        min: &[u8],
        max: &[u8],
        limit: u32,
    ) -> Result<Vec<Vec<u8>>, Fail> {
        let url = format!(
            "{}/buckets/{}/index/$key/{}/{}?max_results={limit}",
            self.base,
            utf8_percent_encode(bucket, SEGMENT),
            percent_encode(min, SEGMENT),
            percent_encode(max, SEGMENT),
        );
        let mut resp = self.agent.get(url).call().map_err(|e| self.down(e))?;
        if resp.status() != 200 {
            return Err(self.riak_error(resp));
        }
        #[derive(serde::Deserialize)]
        struct Keys {
            keys: Vec<String>,
        }
        let body = self.body(&mut resp)?;
        let keys: Keys = serde_json::from_slice(&body).map_err(|e| self.down(e))?;
        Ok(keys.keys.into_iter().map(String::into_bytes).collect())
    }

    fn reset(&self) {
        // The agent's pool checks a connection before reusing it; nothing to drop here.
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn last_modified(headers: &HeaderMap) -> (u32, u32) {
    let secs = header(headers, "last-modified").and_then(|d| http_date(&d));
    (secs.unwrap_or(0), 0)
}

/// The `boundary` parameter of a `multipart/mixed` content type.
fn boundary(content_type: &str) -> Option<String> {
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
        let mut modified = (0, 0);
        let mut deleted = false;
        for line in head.lines() {
            let Some((name, v)) = line.split_once(':') else {
                continue;
            };
            match name.trim().to_ascii_lowercase().as_str() {
                "last-modified" => modified = (http_date(v.trim()).unwrap_or(0), 0),
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
