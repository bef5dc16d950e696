//! Reading one HTTP/1.1 request off a connection, within limits.
//!
//! This is the service's front door, so every limit is enforced here before any byte reaches the
//! app: the request line plus headers (`max_header_bytes`, else 431), at most 64 headers, the body
//! (`max_body_bytes` by `Content-Length`, else 413 before the body is read), and one deadline for
//! the whole request (`read_timeout`, else 408). Chunked uploads are refused with 411: browsers,
//! curl and JMeter all send a `Content-Length` for a form.

use crate::error::Error;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const MAX_HEADERS: usize = 64;

/// A parsed request. Header names are lowercase.
#[derive(Debug)]
pub struct Request {
    pub method: String,
    /// The path without the query, still percent-encoded.
    pub path: String,
    /// The query string without `?` (empty when absent).
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Whether the client wants the connection kept open after the response.
    pub keep_alive: bool,
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

/// A client connection and the bytes read from it but not yet used (pipelined requests).
pub struct Connection {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Connection {
    pub fn new(stream: TcpStream) -> Connection {
        Connection {
            stream,
            buf: Vec::with_capacity(1024),
        }
    }

    /// Reads the next request. `Ok(None)` means the client closed the connection, or left it
    /// idle past the timeout, between requests: nothing to answer.
    pub fn read_request(&mut self, limits: &Limits) -> Result<Option<Request>, Error> {
        let deadline = Instant::now() + limits.read_timeout;
        let (mut request, head_len, content_length) = loop {
            if let Some(parsed) = parse_head(&self.buf, limits)? {
                break parsed;
            }
            if self.buf.len() > limits.max_header_bytes {
                return Err(Error::HeadersTooLarge(limits.max_header_bytes));
            }
            if !self.fill(deadline, limits.max_header_bytes + 1)? {
                return Ok(None);
            }
        };
        if content_length > limits.max_body_bytes {
            return Err(Error::BodyTooLarge(limits.max_body_bytes));
        }
        let wants_continue = request
            .header("expect")
            .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
        if wants_continue && self.buf.len() < head_len + content_length {
            self.stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }
        while self.buf.len() < head_len + content_length {
            if !self.fill(deadline, head_len + content_length)? {
                return Err(Error::BadRequest("body shorter than Content-Length".into()));
            }
        }
        request.body = self.buf[head_len..head_len + content_length].to_vec();
        self.buf.drain(..head_len + content_length);
        Ok(Some(request))
    }

    /// Reads more bytes (up to `want` buffered in all) before the deadline. Returns false when
    /// the connection closed, or idled out, with nothing buffered; a request cut short by either
    /// is an error.
    fn fill(&mut self, deadline: Instant, want: usize) -> Result<bool, Error> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return self.idle_or(Error::RequestTimeout);
        }
        self.stream.set_read_timeout(Some(left))?;
        let start = self.buf.len();
        let room = want.saturating_sub(start).clamp(1, 64 * 1024);
        self.buf.resize(start + room, 0);
        let read = self.stream.read(&mut self.buf[start..]);
        self.buf.truncate(start + *read.as_ref().unwrap_or(&0));
        match read {
            Ok(0) => self.idle_or(Error::BadRequest("connection closed mid-request".into())),
            Ok(_) => Ok(true),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                self.idle_or(Error::RequestTimeout)
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => Ok(true),
            Err(_) => Ok(false),
        }
    }

    fn idle_or(&self, err: Error) -> Result<bool, Error> {
        if self.buf.is_empty() {
            Ok(false)
        } else {
            Err(err)
        }
    }
}

/// Parses the request head if the buffer holds all of it: the request, the head's length and
/// the body's length.
fn parse_head(buf: &[u8], limits: &Limits) -> Result<Option<(Request, usize, usize)>, Error> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    let head_len = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Error::HeadersTooLarge(limits.max_header_bytes))
        }
        Err(e) => return Err(Error::BadRequest(format!("malformed request: {e}"))),
    };
    if head_len > limits.max_header_bytes {
        return Err(Error::HeadersTooLarge(limits.max_header_bytes));
    }
    let target = parsed.path.unwrap_or("/");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let headers: Vec<(String, String)> = parsed
        .headers
        .iter()
        .map(|h| {
            let value = String::from_utf8_lossy(h.value).trim().to_string();
            (h.name.to_ascii_lowercase(), value)
        })
        .collect();
    let mut request = Request {
        method: parsed.method.unwrap_or("").to_string(),
        path: path.to_string(),
        query: query.to_string(),
        headers,
        body: Vec::new(),
        keep_alive: false,
    };
    request.keep_alive = keep_alive(parsed.version == Some(1), &request);
    let content_length = content_length(&request)?;
    Ok(Some((request, head_len, content_length)))
}

fn keep_alive(http11: bool, request: &Request) -> bool {
    let connection = request
        .header("connection")
        .unwrap_or("")
        .to_ascii_lowercase();
    if http11 {
        !connection.contains("close")
    } else {
        connection.contains("keep-alive")
    }
}

/// The body length. Conflicting or malformed lengths are refused (request smuggling).
fn content_length(request: &Request) -> Result<usize, Error> {
    if request.header("transfer-encoding").is_some() {
        return Err(Error::LengthRequired);
    }
    let mut lengths = request
        .headers
        .iter()
        .filter(|(n, _)| n == "content-length");
    let Some((_, first)) = lengths.next() else {
        return Ok(0);
    };
    if lengths.any(|(_, other)| other != first) {
        return Err(Error::BadRequest(
            "conflicting Content-Length headers".into(),
        ));
    }
    if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::BadRequest("invalid Content-Length".into()));
    }
    // A length too long for usize is certainly over the limit.
    Ok(first.parse().unwrap_or(usize::MAX))
}
