//! One Riak node over its HTTP API, through one `ureq` agent that all nodes share (it keeps the
//! connections alive, and its global timeout is the one deadline of a request). A 404 is "not
//! found" only when Riak says so; any other answer it did not expect goes to `errors.rs`.
//! Siblings come as a `multipart/mixed` 300 (`multipart.rs`).

mod multipart;

use super::errors;
use super::link::Write;
use super::{Fail, Link, Object, Read, Sibling};
use crate::url::{encode_bytes, encode_segment};
use multipart::{boundary, multipart};
use std::time::Duration;
use ureq::http::{HeaderMap, Response};
use ureq::Body;

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
            encode_segment(bucket),
            encode_segment(key)
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

    /// An answer with an unexpected status, classified with Riak's error text.
    fn riak_error(&self, mut resp: Response<Body>) -> Fail {
        let status = resp.status().as_u16();
        let content_type = header(resp.headers(), "content-type").unwrap_or_default();
        let text = self.body(&mut resp).unwrap_or_default();
        let text = String::from_utf8_lossy(&text);
        errors::http_error(&self.addr, status, &content_type, &text)
    }
}

impl Link for HttpNode {
    fn fetch(&self, bucket: &str, key: &str, read: Read) -> Result<Object, Fail> {
        let url = self.key_url(bucket, key) + &read_query(read);
        let req = if read.head {
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
            404 => {
                let content_type = header(resp.headers(), "content-type").unwrap_or_default();
                let deleted = header(resp.headers(), "x-riak-deleted").is_some();
                let body = self.body(&mut resp)?;
                // A HEAD answer has no body to look at: Riak's own 404 is text/plain.
                let riak = read.head && content_type.starts_with("text/plain");
                if !(riak || errors::is_not_found(&content_type, &body, deleted)) {
                    let text = String::from_utf8_lossy(&body);
                    return Err(errors::http_error(&self.addr, 404, &content_type, &text));
                }
                Vec::new()
            }
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
                    None if read.head => Vec::new(),
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

    fn allow_mult(&self, bucket: &str) -> Result<bool, Fail> {
        let url = format!("{}/buckets/{}/props", self.base, encode_segment(bucket));
        let mut resp = self.agent.get(url).call().map_err(|e| self.down(e))?;
        if resp.status() != 200 {
            return Err(self.riak_error(resp));
        }
        #[derive(serde::Deserialize)]
        struct Props {
            props: AllowMult,
        }
        #[derive(serde::Deserialize)]
        struct AllowMult {
            // Riak always sends it; a node that does not is treated as allowing siblings.
            #[serde(default = "yes")]
            allow_mult: bool,
        }
        fn yes() -> bool {
            true
        }
        let body = self.body(&mut resp)?;
        let props: Props = serde_json::from_slice(&body).map_err(|e| self.down(e))?;
        Ok(props.props.allow_mult)
    }

    fn store(
        &self,
        bucket: &str,
        key: &str,
        value: &[u8],
        vclock: Option<&[u8]>,
        write: Write,
    ) -> Result<(), Fail> {
        let url = self.key_url(bucket, key) + &write_query(write);
        let mut req = self
            .agent
            .put(url)
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

    fn remove(
        &self,
        bucket: &str,
        key: &str,
        vclock: Option<&[u8]>,
        write: Write,
    ) -> Result<(), Fail> {
        let url = self.key_url(bucket, key) + &write_query(write);
        let mut req = self.agent.delete(url);
        if let Some(vclock) = vclock {
            req = req.header("X-Riak-Vclock", vclock);
        }
        let mut resp = req.call().map_err(|e| self.down(e))?;
        match resp.status().as_u16() {
            204 => self.body(&mut resp).map(drop),
            // Riak's own 404: gone already (another client's delete came first), the same
            // outcome. A starting node's web server answers 404 too, as HTML: not a delete.
            404 => {
                let content_type = header(resp.headers(), "content-type").unwrap_or_default();
                let deleted = header(resp.headers(), "x-riak-deleted").is_some();
                let body = self.body(&mut resp)?;
                if errors::is_not_found(&content_type, &body, deleted) {
                    return Ok(());
                }
                let text = String::from_utf8_lossy(&body);
                Err(errors::http_error(&self.addr, 404, &content_type, &text))
            }
            _ => Err(self.riak_error(resp)),
        }
    }

    fn key_range(
        &self,
        bucket: &str,
        min: &[u8],
        max: &[u8],
        limit: u32,
        timeout: Option<Duration>,
    ) -> Result<Vec<Vec<u8>>, Fail> {
        let mut url = format!(
            "{}/buckets/{}/index/$key/{}/{}?max_results={limit}",
            self.base,
            encode_segment(bucket),
            encode_bytes(min),
            encode_bytes(max),
        );
        if let Some(t) = timeout {
            url.push_str(&format!("&timeout={}", t.as_millis()));
        }
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

/// A read's query string (empty when no option is set): only the options that differ from
/// Riak's defaults, in the order of the captured requests.
fn read_query(read: Read) -> String {
    let mut params = Vec::new();
    params.extend(read.r.http().map(|r| format!("r={r}")));
    params.extend(read.pr.http().map(|pr| format!("pr={pr}")));
    params.extend(read.basic_quorum.then(|| "basic_quorum=true".to_string()));
    params.extend((!read.notfound_ok).then(|| "notfound_ok=false".to_string()));
    params.extend(read.timeout.map(|t| format!("timeout={}", t.as_millis())));
    query(params)
}

/// A write's query string (empty when no option is set).
fn write_query(write: Write) -> String {
    let mut params = Vec::new();
    params.extend(write.w.http().map(|w| format!("w={w}")));
    params.extend(write.dw.http().map(|dw| format!("dw={dw}")));
    params.extend(write.pw.http().map(|pw| format!("pw={pw}")));
    params.extend(write.timeout.map(|t| format!("timeout={}", t.as_millis())));
    query(params)
}

fn query(params: Vec<String>) -> String {
    if params.is_empty() {
        return String::new();
    }
    format!("?{}", params.join("&"))
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn last_modified(headers: &HeaderMap) -> u32 {
    let secs = header(headers, "last-modified").and_then(|d| crate::httpdate::parse(&d));
    secs.unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::riak::Quorum;

    #[test]
    fn queries_read_like_the_recorded_fault_requests() {
        let ms = |n| Some(Duration::from_millis(n));
        let strict = Read {
            notfound_ok: false,
            r: Quorum::Count(1),
            timeout: ms(2000),
            ..Read::plain(false)
        };
        assert_eq!(read_query(strict), "?r=1&notfound_ok=false&timeout=2000");
        let all = Read {
            r: Quorum::All,
            timeout: ms(2000),
            ..Read::plain(false)
        };
        assert_eq!(read_query(all), "?r=all&timeout=2000");
        assert_eq!(read_query(Read::plain(true)), "", "the captured requests");
        let one = Write {
            w: Quorum::Count(1),
            dw: Quorum::Count(1),
            pw: Quorum::Default,
            timeout: ms(2000),
        };
        assert_eq!(write_query(one), "?w=1&dw=1&timeout=2000");
        let pw = Write {
            w: Quorum::Default,
            dw: Quorum::Default,
            pw: Quorum::Count(2),
            timeout: None,
        };
        assert_eq!(write_query(pw), "?pw=2");
    }
}
