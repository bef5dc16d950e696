//! What a complete request head means (RFC 9112): the `Request` it becomes, the `Limits` it is
//! read within, `Connection` tokens, and a strict `Content-Length`; the target and `Host` are
//! checked in `target.rs`. A head that breaks a rule closes its connection after the answer.

use crate::http::reject::Reject;
use crate::http::target::{check_host, split_target};
use std::time::Duration;

/// A parsed request. Header names are lowercase.
#[derive(Debug)]
pub(crate) struct Request {
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
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Limits applied while reading.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub max_header_bytes: usize,
    pub max_body_bytes: usize,
    pub read_timeout: Duration,
}

/// Headers read at most; more is a 431.
const MAX_HEADERS: usize = 64;

/// A complete head: the request (body still empty), its length in bytes, and the body length.
pub(crate) struct Head {
    pub request: Request,
    pub len: usize,
    pub content_length: usize,
}

/// Parses the head if `buf` holds all of it; `Ok(None)` means more bytes are needed.
pub(crate) fn parse(buf: &[u8], limits: &Limits) -> Result<Option<Head>, Reject> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    let len = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Reject::HeadersTooLarge(limits.max_header_bytes))
        }
        Err(e) => return Err(Reject::BadRequest(format!("malformed request: {e}"))),
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
pub(crate) fn too_large(buf: &[u8], limit: usize) -> Reject {
    match buf.iter().position(|&b| b == b'\n') {
        Some(end) if end < limit => Reject::HeadersTooLarge(limit),
        _ => Reject::UriTooLong(limit),
    }
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
fn content_length(headers: &[httparse::Header]) -> Result<usize, Reject> {
    let named = |name: &'static str| {
        headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
    };
    if named("transfer-encoding").next().is_some() {
        return Err(Reject::LengthRequired);
    }
    let mut length: Option<&[u8]> = None;
    for header in named("content-length") {
        let value = trim_ows(header.value);
        if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
            return Err(Reject::BadRequest("invalid Content-Length".into()));
        }
        if length.is_some_and(|first| first != value) {
            return Err(Reject::BadRequest(
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
mod tests {
    use super::*;
    use crate::http::target::valid_host;

    const LIMITS: Limits = Limits {
        max_header_bytes: 128,
        max_body_bytes: 64,
        read_timeout: Duration::from_secs(1),
    };

    fn head(text: &str) -> Result<Option<Head>, Reject> {
        parse(text.as_bytes(), &LIMITS)
    }

    fn ok(text: &str) -> Head {
        head(text).unwrap().unwrap()
    }

    fn status(text: &str) -> u16 {
        head(text).err().map_or(0, |e| e.status())
    }

    #[test]
    fn a_complete_head_is_parsed_and_a_partial_one_waits() {
        let text = "POST /contacts/a%20b?x=1&y HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nX-A: v\r\n\r\nhello";
        let parsed = ok(text);
        assert_eq!(parsed.len, text.len() - 5);
        assert_eq!(parsed.content_length, 5);
        let request = parsed.request;
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("POST", "/contacts/a%20b")
        );
        assert_eq!(request.query, "x=1&y");
        assert_eq!(request.header("x-a"), Some("v"));
        assert!(request.keep_alive && !request.http10 && request.body.is_empty());
        assert!(head("GET / HTTP/1.1\r\nHost: h\r\n").unwrap().is_none());
        assert_eq!(status("GET / HTTP/1.1\r\nHo st: h\r\n\r\n"), 400);
    }

    #[test]
    fn the_head_limit_is_inclusive() {
        let head_of = |len: usize| {
            let fixed = "GET / HTTP/1.1\r\nHost: h\r\nX: \r\n\r\n".len();
            format!(
                "GET / HTTP/1.1\r\nHost: h\r\nX: {}\r\n\r\n",
                "a".repeat(len - fixed)
            )
        };
        assert_eq!(ok(&head_of(128)).len, 128);
        assert_eq!(status(&head_of(129)), 431);
        let many: String = (0..70).map(|i| format!("X{i}: v\r\n")).collect();
        let huge = Limits {
            max_header_bytes: 4096,
            ..LIMITS
        };
        let err = parse(format!("GET / HTTP/1.1\r\n{many}\r\n").as_bytes(), &huge).err();
        assert_eq!(err.map(|e| e.status()), Some(431), "more than 64 headers");
    }

    #[test]
    fn a_request_line_alone_over_the_limit_is_414() {
        assert_eq!(too_large(&[b'a'; 200], 128).status(), 414);
        let mut line_end_inside = vec![b'a'; 200];
        line_end_inside[127] = b'\n';
        assert_eq!(too_large(&line_end_inside, 128).status(), 431);
        line_end_inside[127] = b'a';
        line_end_inside[128] = b'\n';
        assert_eq!(too_large(&line_end_inside, 128).status(), 414);
    }

    #[test]
    fn host_must_be_one_valid_value_for_http11() {
        assert_eq!(status("GET / HTTP/1.1\r\n\r\n"), 400);
        assert!(ok("GET / HTTP/1.0\r\n\r\n").request.http10);
        assert_eq!(status("GET / HTTP/1.0\r\nHost: a\r\nHOST: a\r\n\r\n"), 400);
        assert_eq!(status("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400);
        assert_eq!(status("GET / HTTP/1.1\r\nHost: u@h\r\n\r\n"), 400);
        assert_eq!(status("GET / HTTP/1.1\r\nHost: h/x\r\n\r\n"), 400);
        for good in ["", "h", "h:80", "[::1]:8080", "a-b.c_d~e", "%41!$&'()*+,;="] {
            assert!(valid_host(good.as_bytes()), "{good}");
            assert!(
                head(&format!("GET / HTTP/1.1\r\nHost: {good}\r\n\r\n")).is_ok(),
                "{good}"
            );
        }
    }

    #[test]
    fn connection_tokens_decide_keep_alive() {
        let keep = |version: &str, lines: &str| {
            let host = "Host: h\r\n";
            ok(&format!("GET / HTTP/{version}\r\n{host}{lines}\r\n"))
                .request
                .keep_alive
        };
        assert!(keep("1.1", ""));
        assert!(keep("1.1", "Connection: x-closed\r\n"));
        assert!(!keep("1.1", "Connection: a\r\nConnection: b, CLOSE\r\n"));
        assert!(!keep("1.0", ""));
        assert!(!keep("1.0", "Connection: x-no-keep-alive\r\n"));
        assert!(keep("1.0", "Connection: Keep-Alive\r\n"));
        assert!(keep("1.0", "Connection: te\r\nConnection: keep-alive\r\n"));
        assert!(!keep("1.0", "Connection: keep-alive, close\r\n"));
    }

    #[test]
    fn content_length_is_strict() {
        let length = |lines: &str| {
            let text = format!("POST / HTTP/1.1\r\nHost: h\r\n{lines}\r\n");
            head(&text)
                .map(|h| h.unwrap().content_length)
                .map_err(|e| e.status())
        };
        assert_eq!(length(""), Ok(0));
        assert_eq!(length("Content-Length: 12\r\n"), Ok(12));
        assert_eq!(length("Content-Length:  7 \t\r\n"), Ok(7));
        assert_eq!(length("Content-Length: 3\r\ncontent-length: 3\r\n"), Ok(3));
        assert_eq!(
            length("Content-Length: 99999999999999999999999\r\n"),
            Ok(usize::MAX)
        );
        assert_eq!(
            length("Content-Length: 3\r\nContent-Length: 4\r\n"),
            Err(400)
        );
        for bad in ["", "+1", "-1", "1 2", "0x10", "1,1", "1\u{a0}", "\u{a0}1"] {
            assert_eq!(
                length(&format!("Content-Length: {bad}\r\n")),
                Err(400),
                "{bad:?}"
            );
        }
        assert_eq!(length("Transfer-Encoding: chunked\r\n"), Err(411));
        assert_eq!(trim_ows(b" \t a b\t "), b"a b");
        assert_eq!(trim_ows(b"   "), b"");
    }
}
