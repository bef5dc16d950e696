//! Reading one HTTP/1.1 request off a connection, within limits.
//!
//! This is the service's front door, so every limit is enforced here before any byte reaches the
//! app: the request line plus headers (`max_header_bytes`, else 414 for a request line that
//! alone is too long and 431 otherwise), at most 64 headers, the body (`max_body_bytes` by
//! `Content-Length`, else 413 before the body is read), and one deadline for the whole request
//! (`read_timeout`, else 408). Chunked uploads are refused with 411: browsers, curl and JMeter
//! all send a `Content-Length` for a form. What a valid head is lives in `head.rs`.

use crate::error::Error;
use crate::http::head;
pub use crate::http::head::{Limits, Request};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A client socket, shared by its connection's thread and the server (which may shut it down
/// to stop), and whether that thread is waiting for a request with nothing of it read yet.
#[derive(Debug)]
pub struct Socket {
    pub stream: TcpStream,
    idle: AtomicBool,
}

impl Socket {
    pub fn new(stream: TcpStream) -> Socket {
        Socket {
            stream,
            idle: AtomicBool::new(true),
        }
    }

    /// True between requests: stopping may close such a connection without cutting a request.
    pub fn is_idle(&self) -> bool {
        self.idle.load(Ordering::Relaxed)
    }
}

/// A client connection and the bytes read from it but not yet used (pipelined requests).
pub struct Connection {
    pub socket: Arc<Socket>,
    buf: Vec<u8>,
    /// The read timeout now set on the socket, to skip setting it again when it is the same.
    armed: Option<Duration>,
}

impl Connection {
    pub fn new(socket: Arc<Socket>) -> Connection {
        Connection {
            socket,
            buf: Vec::with_capacity(1024),
            armed: None,
        }
    }

    /// Reads the next request. `Ok(None)` means the client closed the connection, or left it
    /// idle past the timeout, between requests: nothing to answer.
    pub fn read_request(&mut self, limits: &Limits) -> Result<Option<Request>, Error> {
        let deadline = Instant::now() + limits.read_timeout;
        let head = loop {
            // Empty lines before a request line are ignored (RFC 9112 §2.2), so a stray CRLF
            // after a body leaves the connection idle, not half-way through a request.
            let blank = self.buf.iter().take_while(|&&b| b == b'\r' || b == b'\n');
            let blank = blank.count();
            self.buf.drain(..blank);
            self.socket
                .idle
                .store(self.buf.is_empty(), Ordering::Relaxed);
            if let Some(head) = head::parse(&self.buf, limits)? {
                break head;
            }
            if self.buf.len() > limits.max_header_bytes {
                return Err(head::too_large(&self.buf, limits.max_header_bytes));
            }
            if !self.fill(deadline, limits.max_header_bytes + 1, limits)? {
                return Ok(None);
            }
        };
        self.socket.idle.store(false, Ordering::Relaxed);
        if head.content_length > limits.max_body_bytes {
            return Err(Error::BodyTooLarge(limits.max_body_bytes));
        }
        let (mut request, end) = (head.request, head.len + head.content_length);
        // Only an HTTP/1.1 client may be sent an interim answer (RFC 9110 §10.1.1); it is this
        // request's turn, since a connection reads a request only once the last is answered.
        let wants_continue = !request.http10
            && request
                .header("expect")
                .is_some_and(|v| v.eq_ignore_ascii_case("100-continue"));
        if wants_continue && self.buf.len() < end {
            (&self.socket.stream).write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
        }
        while self.buf.len() < end {
            if !self.fill(deadline, end, limits)? {
                return Err(Error::BadRequest("body shorter than Content-Length".into()));
            }
        }
        request.body = self.buf[head.len..end].to_vec();
        self.buf.drain(..end);
        Ok(Some(request))
    }

    /// Reads more bytes (up to `want` buffered in all) before the deadline. Returns false when
    /// the connection closed, or idled out, with nothing buffered; a request cut short by either
    /// is an error.
    fn fill(&mut self, deadline: Instant, want: usize, limits: &Limits) -> Result<bool, Error> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return self.idle_or(Error::RequestTimeout);
        }
        self.arm(left, limits.read_timeout)?;
        let start = self.buf.len();
        let room = want.saturating_sub(start).clamp(1, 64 * 1024);
        self.buf.resize(start + room, 0);
        let read = (&self.socket.stream).read(&mut self.buf[start..]);
        self.buf.truncate(start + *read.as_ref().unwrap_or(&0));
        match read {
            Ok(0) => self.idle_or(Error::BadRequest("connection closed mid-request".into())),
            Ok(_) => Ok(true),
            // The socket's timeout may be a little longer than what is left (see `arm`), never
            // shorter, so a timeout means the deadline has passed.
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                self.idle_or(Error::RequestTimeout)
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => Ok(true),
            Err(_) => Ok(false),
        }
    }

    /// Sets the socket's read timeout to `left`, or to the full timeout when `left` is within
    /// 10 ms of it: a read then ends at most 10 ms after the deadline, and the common request,
    /// read in one piece at its start, costs no system call to set the timeout again.
    fn arm(&mut self, left: Duration, full: Duration) -> std::io::Result<()> {
        let timeout = if full - left <= Duration::from_millis(10) {
            full
        } else {
            left
        };
        if self.armed != Some(timeout) {
            self.socket.stream.set_read_timeout(Some(timeout))?;
            self.armed = Some(timeout);
        }
        Ok(())
    }

    fn idle_or(&self, err: Error) -> Result<bool, Error> {
        if self.buf.is_empty() {
            Ok(false)
        } else {
            Err(err)
        }
    }
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
