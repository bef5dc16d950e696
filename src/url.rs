//! Percent-encoding for URLs, in one place: the pages' links and the Riak HTTP client's
//! paths all encode a name the same way (RFC 3986's unreserved characters
//! stay as they are, every other byte is escaped), so a name round-trips through all of them.
//! And the `host[:port],...` list that the Riak and memcached URLs share, and the hosts and
//! origins that `[server]` lets in.

use crate::error::Error;
use percent_encoding::{percent_encode, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Characters left as they are in a path segment or query value: RFC 3986 §2.3's unreserved.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes text for use as one path segment or query value.
pub fn encode_segment(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

/// Percent-encodes raw bytes (which need not be UTF-8) for use as one path segment.
pub fn encode_bytes(bytes: &[u8]) -> String {
    percent_encode(bytes, UNRESERVED).to_string()
}

/// Builds a query string, leaving out empty values.
pub fn encode_query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode_segment(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Splits `host[:port],host[:port]` (what follows a URL's scheme) into `host:port` strings,
/// filling in the default port; `url` is the whole URL, for the message.
pub fn parse_hosts(url: &str, hosts: &str, default_port: u16) -> Result<Vec<String>, Error> {
    let bad = |why: &str| Error::Config(format!("{url:?}: {why}"));
    let mut out = Vec::new();
    for item in hosts.trim_end_matches('/').split(',') {
        let item = item.trim();
        let (host, port) = match item.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(':') => {
                (h, p.parse::<u16>().map_err(|_| bad("bad port"))?)
            }
            _ => (item, default_port),
        };
        if host.is_empty() || port == 0 || host.contains(['/', '@', '?', ' ']) {
            return Err(bad("each node must be host[:port]"));
        }
        out.push(format!("{host}:{port}"));
    }
    Ok(out)
}

/// The hosts a service on a loopback address answers when `allowed_hosts` is empty, so that a
/// page on another site whose name resolves to 127.0.0.1 (DNS rebinding) cannot reach it.
pub const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// `allowed_hosts`, lowercased: `*` allows any host (an empty list); an empty list means the
/// loopback names when `listen` is a loopback address, else any host.
pub fn allowed_hosts(hosts: &[String], listen: &str) -> Result<Vec<String>, Error> {
    if hosts.iter().any(|h| h == "*") {
        return Ok(Vec::new());
    }
    if hosts.is_empty() {
        let loopback = listen
            .parse::<std::net::SocketAddr>()
            .map(|a| a.ip().is_loopback())
            .unwrap_or_else(|_| listen.starts_with("localhost:"));
        let defaults = if loopback { &LOOPBACK_HOSTS[..] } else { &[] };
        return Ok(defaults.iter().map(|h| h.to_string()).collect());
    }
    for host in hosts {
        let ok = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._:[]".contains(&b));
        if !ok {
            return Err(Error::Config(format!(
                "server.allowed_hosts: {host:?} is not a host name, an IP address or \"*\""
            )));
        }
    }
    Ok(hosts.iter().map(|h| h.to_ascii_lowercase()).collect())
}

/// `trusted_origins`: each exactly `scheme://host[:port]`, as a browser's `Origin` says it.
pub fn trusted_origins(origins: &[String]) -> Result<Vec<String>, Error> {
    for origin in origins {
        let authority = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"));
        let ok = authority.is_some_and(|a| {
            !a.is_empty()
                && a.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._:[]".contains(&b))
        });
        if !ok {
            return Err(Error::Config(format!(
                "server.trusted_origins: {origin:?} must be http(s)://host[:port], with no path"
            )));
        }
    }
    Ok(origins.iter().map(|o| o.to_ascii_lowercase()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreserved_stay_and_the_rest_is_escaped() {
        assert_eq!(encode_segment("a-b.c_d~e"), "a-b.c_d~e");
        assert_eq!(encode_segment("John Doe/+"), "John%20Doe%2F%2B");
        assert_eq!(encode_segment("Åsa"), "%C3%85sa");
        assert_eq!(encode_bytes(&[0xff, b'a']), "%FFa");
    }

    #[test]
    fn query_leaves_out_empty_values() {
        assert_eq!(
            encode_query(&[("prefix", "Jo Do"), ("after", "")]),
            "prefix=Jo%20Do"
        );
    }
}
