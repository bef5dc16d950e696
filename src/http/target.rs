//! The request target (origin, absolute or asterisk form, RFC 9112 §3.2) and the `Host` header
//! it is checked with.

use crate::http::reject::Reject;

/// Splits the request target into a path and a query (RFC 9112 §3.2). The absolute form
/// (`http://host/path`, what a client sends to a proxy) must be accepted by a server; its
/// authority stands in for `Host`, which has already been checked.
pub(crate) fn split_target(method: &str, target: &str) -> Result<(String, String), Reject> {
    let bad = || Reject::BadRequest(format!("invalid request target {target:?}"));
    let origin = if target == "*" {
        // The asterisk form is only for a server-wide OPTIONS (RFC 9112 §3.2.4).
        return if method == "OPTIONS" {
            Ok(("*".into(), String::new()))
        } else {
            Err(bad())
        };
    } else if target.starts_with('/') {
        target.to_string()
    } else {
        let scheme_end = target.find("://").ok_or_else(bad)?;
        if !matches!(
            &*target[..scheme_end].to_ascii_lowercase(),
            "http" | "https"
        ) {
            return Err(bad());
        }
        let rest = &target[scheme_end + 3..];
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        if end == 0 || !valid_host(&rest.as_bytes()[..end]) {
            return Err(bad());
        }
        match &rest[end..] {
            p if p.starts_with('/') => p.to_string(),
            query => format!("/{query}"),
        }
    };
    let (path, query) = origin.split_once('?').unwrap_or((&origin, ""));
    Ok((path.to_string(), query.to_string()))
}

/// HTTP/1.1 needs exactly one `Host`; any request with `Host` needs one valid value (RFC 9112
/// §3.2: 400 otherwise).
pub(crate) fn check_host(headers: &[httparse::Header], http10: bool) -> Result<(), Reject> {
    let mut hosts = headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("host"));
    match (hosts.next(), hosts.next()) {
        (None, _) if http10 => Ok(()),
        (None, _) => Err(Reject::BadRequest("missing Host header".into())),
        (Some(_), Some(_)) => Err(Reject::BadRequest("more than one Host header".into())),
        (Some(host), None) if valid_host(host.value) => Ok(()),
        (Some(_), None) => Err(Reject::BadRequest("invalid Host header".into())),
    }
}

/// `uri-host [ ":" port ]` (RFC 3986): unreserved and sub-delims characters, `%` escapes,
/// brackets of an IP literal, and colons. Empty is valid (a target without authority).
pub(crate) fn valid_host(value: &[u8]) -> bool {
    value
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:[]%".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_origin_absolute_and_asterisk() {
        let target = |method: &str, t: &str| split_target(method, t).map_err(|e| e.status());
        let pair = |p: &str, q: &str| Ok((p.to_string(), q.to_string()));
        assert_eq!(target("GET", "/a?b=c"), pair("/a", "b=c"));
        assert_eq!(target("GET", "http://h:1/a/b?c"), pair("/a/b", "c"));
        assert_eq!(target("GET", "HTTPS://h"), pair("/", ""));
        assert_eq!(target("GET", "http://h?q=1"), pair("/", "q=1"));
        assert_eq!(target("OPTIONS", "*"), pair("*", ""));
        for bad in [
            "*",
            "a/b",
            "ftp://h/a",
            "http:///a",
            "http://a b/",
            "http:/a",
        ] {
            assert_eq!(target("GET", bad), Err(400), "{bad}");
        }
        assert_eq!(target("GET", "//h/a"), pair("//h/a", ""), "an origin path");
    }
}
