//! A minimal HTTP/1.1 client: one keep-alive connection, requests prepared as bytes up front.
//!
//! The load runner must not be the bottleneck, so a request is a ready-made byte string (built
//! once per workload row), a response is parsed in place with `httparse`, and each worker owns
//! one connection for the whole run. Only what the service and the baseline server send is
//! understood: responses with a `Content-Length` (or ended by closing the connection).

use crate::data::workload::{Op, Row};
use crate::error::{Error, Result};
use phonebook::url::encode_segment;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Where requests go: `http://host:port`.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    /// The `Host` header value.
    pub host: String,
}

impl Target {
    /// Parses `http://host:port` (a trailing `/` is allowed; paths and https are not).
    pub fn parse(url: &str) -> Result<Target> {
        let bad = || Error::new(format!("target {url:?} must be http://host:port"));
        let host = url.strip_prefix("http://").ok_or_else(bad)?;
        let host = host.strip_suffix('/').unwrap_or(host);
        if host.is_empty() || host.contains('/') {
            return Err(bad());
        }
        let addr = host
            .to_socket_addrs()
            .map_err(|e| Error::new(format!("target {url:?}: {e}")))?
            .next()
            .ok_or_else(bad)?;
        Ok(Target {
            addr,
            host: host.to_string(),
        })
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> Vec<u8> {
        format!("GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", self.host).into_bytes()
    }

    /// `POST path` with a form body of these fields.
    pub fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Vec<u8> {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", encode_segment(v)))
            .collect::<Vec<_>>()
            .join("&");
        format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\n\r\n{body}",
            self.host,
            body.len()
        )
        .into_bytes()
    }

    /// The request a workload row stands for.
    pub fn request(&self, row: &Row) -> Vec<u8> {
        match row.op {
            Op::Add => self.post_form("/contacts", &[("name", &row.name), ("number", &row.number)]),
            Op::Get => self.get(&format!("/contacts/{}", encode_segment(&row.name))),
        }
    }
}

/// What came back.
#[derive(Debug, Clone, Copy)]
pub struct Reply {
    pub status: u16,
    /// Bytes of the whole response (head and body) read off the wire.
    pub bytes: usize,
}

/// One connection to a target, reopened when the server closes it.
pub struct Client {
    addr: SocketAddr,
    timeout: Duration,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
    body_start: usize,
}

impl Client {
    /// A client; it connects on the first request.
    pub fn new(target: &Target, timeout: Duration) -> Client {
        Client {
            addr: target.addr,
            timeout,
            stream: None,
            buf: Vec::with_capacity(16 * 1024),
            body_start: 0,
        }
    }

    /// Sends one request and reads its response. When a reused connection turns out to be
    /// closed before any byte of the answer arrived, the request is sent once more on a new one.
    pub fn send(&mut self, request: &[u8]) -> io::Result<Reply> {
        let reused = self.stream.is_some();
        match self.exchange(request) {
            Err(e) if reused && self.buf.is_empty() && !timed_out(&e) => {
                self.stream = None;
                self.exchange(request)
            }
            other => other,
        }
        .inspect_err(|_| self.stream = None)
    }

    /// The body of the last response.
    pub fn body(&self) -> &[u8] {
        &self.buf[self.body_start..]
    }

    fn exchange(&mut self, request: &[u8]) -> io::Result<Reply> {
        self.buf.clear();
        let stream = match &mut self.stream {
            Some(stream) => stream,
            None => self.stream.insert(connect(self.addr, self.timeout)?),
        };
        stream.write_all(request)?;
        let (status, length, close) = read_head(stream, &mut self.buf, &mut self.body_start)?;
        match length {
            Some(length) => read_to(stream, &mut self.buf, self.body_start + length)?,
            None => {
                stream.read_to_end(&mut self.buf)?;
            }
        }
        if close || length.is_none() {
            self.stream = None;
        }
        Ok(Reply {
            status,
            bytes: self.buf.len(),
        })
    }
}

fn timed_out(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn connect(addr: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    Ok(stream)
}

/// Reads until the head is complete; returns status, `Content-Length` and whether the server
/// will close the connection, and sets `body_start`.
fn read_head(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    body_start: &mut usize,
) -> io::Result<(u16, Option<usize>, bool)> {
    let mut chunk = [0u8; 8192];
    loop {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed early"));
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        let parsed = response
            .parse(buf)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        if let httparse::Status::Complete(head) = parsed {
            *body_start = head;
            let value = |name: &str| {
                let header = response
                    .headers
                    .iter()
                    .find(|h| h.name.eq_ignore_ascii_case(name));
                header.map(|h| String::from_utf8_lossy(h.value).trim().to_ascii_lowercase())
            };
            let length = value("content-length").and_then(|v| v.parse().ok());
            let close = value("connection").is_some_and(|v| v == "close");
            return Ok((response.code.unwrap_or(0), length, close));
        }
    }
}

/// Reads until `buf` holds `total` bytes.
fn read_to(stream: &mut TcpStream, buf: &mut Vec<u8>, total: usize) -> io::Result<()> {
    if buf.len() < total {
        let start = buf.len();
        buf.resize(total, 0);
        stream.read_exact(&mut buf[start..])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_and_requests_are_encoded() {
        assert!(Target::parse("https://127.0.0.1:1").is_err());
        assert!(Target::parse("http://127.0.0.1:1/x").is_err());
        let t = Target::parse("http://127.0.0.1:8080/").unwrap();
        assert_eq!(t.host, "127.0.0.1:8080");
        let get = Row {
            op: Op::Get,
            name: "Åsa Öberg".into(),
            number: String::new(),
        };
        assert_eq!(
            String::from_utf8(t.request(&get)).unwrap(),
            "GET /contacts/%C3%85sa%20%C3%96berg HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"
        );
        let add = Row {
            op: Op::Add,
            name: "O'Brien & Co".into(),
            number: "+447700900123".into(),
        };
        let text = String::from_utf8(t.request(&add)).unwrap();
        let body = "name=O%27Brien%20%26%20Co&number=%2B447700900123";
        assert!(text.ends_with(&format!("Content-Length: {}\r\n\r\n{body}", body.len())));
    }
}
