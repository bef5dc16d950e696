//! What `[cache]` configures, and the grammar of the cache URL: `off`, a list of TCP servers,
//! or one Unix socket path.

use crate::error::Error;
use std::time::Duration;

/// Which cache sits in front of the store: `cache.url`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CacheUrl {
    /// `off`: every read goes to the store.
    Off,
    /// `memcache://host:port[,host:port...]` (default port 11211), each as `host:port`; or
    /// `memcache+unix:///path/to/memcached.sock`, one server, as its absolute path (a
    /// `host:port` never starts with `/`, so the two cannot be confused).
    Memcache(Vec<String>),
}

/// The `[cache]` settings, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheConfig {
    pub url: CacheUrl,
    pub ttl_secs: u32,
    /// Connect, read and write timeout for one cache operation.
    pub timeout: Duration,
    /// Connections kept per memcached server (0: as many as worker threads).
    pub pool_size: usize,
}

/// Parses `off`, `memcache://host:port,...` or `memcache+unix:///path`.
pub fn parse_url(url: &str) -> Result<CacheUrl, Error> {
    if url == "off" {
        return Ok(CacheUrl::Off);
    }
    if let Some(hosts) = url.strip_prefix("memcache://") {
        let hosts = crate::url::parse_hosts(url, hosts, 11211)?;
        return Ok(CacheUrl::Memcache(hosts));
    }
    if let Some(path) = url.strip_prefix("memcache+unix://") {
        return Ok(CacheUrl::Memcache(vec![socket_path(url, path)?]));
    }
    Err(Error::Config(format!(
        "cache URL {url:?} must be off, memcache://host:port or memcache+unix:///path"
    )))
}

/// Longest Unix socket path Linux takes (`sun_path` is 108 bytes, with the final NUL).
const MAX_SOCKET_PATH: usize = 107;

/// Checks the path of a `memcache+unix://` URL: absolute, one socket, short enough.
fn socket_path(url: &str, path: &str) -> Result<String, Error> {
    let bad = |why: &str| {
        Error::Config(format!(
            "{url:?}: {why} (e.g. memcache+unix:///run/memcached/memcached.sock)"
        ))
    };
    if !path.starts_with('/') || path.ends_with('/') {
        return Err(bad("needs the absolute path of memcached's socket"));
    }
    if path.contains([',', '\0']) {
        return Err(bad("takes one socket path"));
    }
    if path.len() > MAX_SOCKET_PATH {
        return Err(bad(&format!(
            "a socket path is at most {MAX_SOCKET_PATH} bytes"
        )));
    }
    Ok(path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_with_the_default_port_or_one_socket_path() {
        assert_eq!(parse_url("off").unwrap(), CacheUrl::Off);
        assert_eq!(
            parse_url("memcache://localhost").unwrap(),
            CacheUrl::Memcache(vec!["localhost:11211".into()])
        );
        assert_eq!(
            parse_url("memcache+unix:///run/memcached/memcached.sock").unwrap(),
            CacheUrl::Memcache(vec!["/run/memcached/memcached.sock".into()])
        );
    }

    #[test]
    fn bad_urls_are_refused_with_what_is_wrong() {
        let long = format!("memcache+unix:///{}", "s".repeat(107));
        let unix = "(e.g. memcache+unix:///run/memcached/memcached.sock)";
        let scheme = "must be off, memcache://host:port or memcache+unix:///path";
        for (bad, why) in [
            (
                "memcache+unix://",
                "needs the absolute path of memcached's socket",
            ),
            (
                "memcache+unix://run/memcached.sock",
                "needs the absolute path",
            ),
            ("memcache+unix:///run/", "needs the absolute path"),
            ("memcache+unix:///a.sock,/b.sock", "takes one socket path"),
            (long.as_str(), "a socket path is at most 107 bytes"),
            ("memcache+tcp://a", scheme),
            ("memcache:", scheme),
            ("pbc://a", scheme),
            ("memcache://", "each node must be host[:port]"),
            ("memcache://a:99999", "bad port"),
        ] {
            let err = parse_url(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad}: {err}");
            if bad.starts_with("memcache+unix://") {
                assert!(err.contains(unix), "{bad}: {err}");
            }
        }
    }
}
