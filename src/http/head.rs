//! The rules a request head must follow before its request goes anywhere (RFC 9112).
//!
//! `request.rs` reads bytes off the socket; this file decides what a complete head means: the
//! request target (origin-form, absolute-form, `*` for OPTIONS), exactly one valid `Host` for
//! HTTP/1.1, `Connection` as a list of tokens over all its lines, and a `Content-Length` that is
//! one run of ASCII digits on the raw bytes. Each rule that fails is a 400 (or 411 for chunked),
//! and the connection is closed after it: a proxy in front might have read the head otherwise.
//! The `Request` a head becomes, and the `Limits` it is read within, are defined here.

use crate::error::Error;
use std::time::Duration;

/// A parsed request. Header names are lowercase.
#[derive(Debug)]
pub struct Request {
    pub method: String,
    /// The path without the query, still percent-encoded (`*` for `OPTIONS *`).
    pub path: String,
    /// The query string without `?` (empty when absent).
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether the client wants the connection kept open after the response.
    pub keep_alive: bool,
    /// An HTTP/1.0 request: keeping its connection open must be announced in the answer.
    pub http10: bool,
}

impl Request {
    /// The first header with this (lowercase) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Limits applied while reading.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_header_bytes: usize,
    pub max_body_bytes: usize,
    pub read_timeout: Duration,
}

/// Headers read at most; more is a 431.
const MAX_HEADERS: usize = 64;

/// A complete head: the request (body still empty), its length in bytes, and the body length.
pub struct Head {
    pub request: Request,
    pub len: usize,
    pub content_length: usize,
}

/// Parses the head if `buf` holds all of it; `Ok(None)` means more bytes are needed.
pub fn parse(buf: &[u8], limits: &Limits) -> Result<Option<Head>, Error> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    let len = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Error::HeadersTooLarge(limits.max_header_bytes))
        }
        Err(e) => return Err(Error::BadRequest(format!("malformed request: {e}"))),
    };
    if len > limits.max_header_bytes {
        return Err(too_large(buf, limits.max_header_bytes));
    }
    let method = parsed.method.unwrap_or("");
    let http10 = parsed.version == Some(0);
    let raw = &*parsed.headers;
    check_host(raw, http10)?;
    let (path, query) = split_target(method, parsed.path.unwrap_or(""))?;
    let content_length = content_length(raw)?;
    let close = has_token(raw, "close");
    let keep_alive = if http10 {
        has_token(raw, "keep-alive") && !close
    } else {
        !close
    };
    let headers = raw
        .iter()
        .map(|h| {
            let value = String::from_utf8_lossy(h.value).trim().to_string();
            (h.name.to_ascii_lowercase(), value)
        })
        .collect();
    let request = Request {
        method: method.to_string(),
        path,
        query,
        headers,
        body: Vec::new(),
        keep_alive,
        http10,
    };
    Ok(Some(Head {
        request,
        len,
        content_length,
    }))
}

/// The error for a head over the limit: 414 when the request line alone is too long (RFC 9110
/// §15.5.15), else 431.
pub fn too_large(buf: &[u8], limit: usize) -> Error {
    match buf.iter().position(|&b| b == b'\n') {
        Some(end) if end < limit => Error::HeadersTooLarge(limit),
        _ => Error::UriTooLong(limit),
    }
}

/// Splits the request target into a path and a query (RFC 9112 §3.2). The absolute form
/// (`http://host/path`, what a client sends to a proxy) must be accepted by a server; its
/// authority stands in for `Host`, which has already been checked.
fn split_target(method: &str, target: &str) -> Result<(String, String), Error> {
    let bad = || Error::BadRequest(format!("invalid request target {target:?}"));
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
fn check_host(headers: &[httparse::Header], http10: bool) -> Result<(), Error> {
    let mut hosts = headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("host"));
    match (hosts.next(), hosts.next()) {
        (None, _) if http10 => Ok(()),
        (None, _) => Err(Error::BadRequest("missing Host header".into())),
        (Some(_), Some(_)) => Err(Error::BadRequest("more than one Host header".into())),
        (Some(host), None) if valid_host(host.value) => Ok(()),
        (Some(_), None) => Err(Error::BadRequest("invalid Host header".into())),
    }
}

/// `uri-host [ ":" port ]` (RFC 3986): unreserved and sub-delims characters, `%` escapes,
/// brackets of an IP literal, and colons. Empty is valid (a target without authority).
fn valid_host(value: &[u8]) -> bool {
    value
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:[]%".contains(&b))
}

/// Whether any `Connection` line lists `token` (RFC 9110 §7.6.1: a comma-separated list,
/// case-insensitive, possibly over several lines).
fn has_token(headers: &[httparse::Header], token: &str) -> bool {
    headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("connection"))
        .flat_map(|h| h.value.split(|&b| b == b','))
        .any(|item| trim_ows(item).eq_ignore_ascii_case(token.as_bytes()))
}

/// The body length (RFC 9112 §6.3): `Content-Length` must be `1*DIGIT` on the raw bytes, and
/// repeated lines must agree; anything else is a 400, since a proxy in front may have read the
/// length differently (request smuggling). Chunked bodies are refused with 411.
fn content_length(headers: &[httparse::Header]) -> Result<usize, Error> {
    let named = |name: &'static str| {
        headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
    };
    if named("transfer-encoding").next().is_some() {
        return Err(Error::LengthRequired);
    }
    let mut length: Option<&[u8]> = None;
    for header in named("content-length") {
        let value = trim_ows(header.value);
        if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
            return Err(Error::BadRequest("invalid Content-Length".into()));
        }
        if length.is_some_and(|first| first != value) {
            return Err(Error::BadRequest(
                "conflicting Content-Length headers".into(),
            ));
        }
        length = Some(value);
    }
    // Digits only, so valid UTF-8; a length too long for usize is certainly over the limit.
    Ok(length.map_or(0, |digits| {
        std::str::from_utf8(digits)
            .ok()
            .and_then(|d| d.parse().ok())
            .unwrap_or(usize::MAX)
    }))
}

/// Strips optional whitespace (spaces and tabs only, RFC 9110 §5.6.3) from both ends.
fn trim_ows(mut value: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = value {
        value = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = value {
        value = rest;
    }
    value
}

#[cfg(test)]
#[path = "head_tests.rs"]
mod tests;
