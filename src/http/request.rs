//! Reading one request off a connection, within the limits (head size, body size, one deadline
//! for the whole request) before any byte reaches the app; what a valid head is lives in
//! `head.rs`. docs/http.md says why each limit answers as it does.

use crate::http::head;
pub(crate) use crate::http::head::{Limits, Request};
use crate::http::reject::Reject;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A client socket, shared by its connection's thread and the server (which may shut it down
/// to stop), and whether that thread is waiting for a request with nothing of it read yet.
#[derive(Debug)]
pub(crate) struct Socket {
    pub stream: TcpStream,
    idle: AtomicBool,
}

impl Socket {
    pub(crate) fn new(stream: TcpStream) -> Socket {
        Socket {
            stream,
            idle: AtomicBool::new(true),
        }
    }

    /// True between requests: stopping may close such a connection without cutting a request.
    pub(crate) fn is_idle(&self) -> bool {
        self.idle.load(Ordering::Relaxed)
    }
}

/// A client connection and the bytes read from it but not yet used (pipelined requests).
pub(crate) struct Connection {
    pub socket: Arc<Socket>,
    buf: Vec<u8>,
    /// The read timeout now set on the socket, to skip setting it again when it is the same.
    armed: Option<Duration>,
}

impl Connection {
    pub(crate) fn new(socket: Arc<Socket>) -> Connection {
        Connection {
            socket,
            buf: Vec::with_capacity(1024),
            armed: None,
        }
    }

    /// Reads the next request. `Ok(None)` means the client closed the connection, or left it
    /// idle past the timeout, between requests: nothing to answer.
    pub(crate) fn read_request(&mut self, limits: &Limits) -> Result<Option<Request>, Reject> {
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
            return Err(Reject::BodyTooLarge(limits.max_body_bytes));
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
                return Err(Reject::BadRequest(
                    "body shorter than Content-Length".into(),
                ));
            }
        }
        request.body = self.buf[head.len..end].to_vec();
        self.buf.drain(..end);
        Ok(Some(request))
    }

    /// Reads more bytes (up to `want` buffered in all) before the deadline. Returns false when
    /// the connection closed, or idled out, with nothing buffered; a request cut short by either
    /// is an error.
    fn fill(&mut self, deadline: Instant, want: usize, limits: &Limits) -> Result<bool, Reject> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return self.idle_or(Reject::RequestTimeout);
        }
        self.arm(left, limits.read_timeout)?;
        let start = self.buf.len();
        let room = want.saturating_sub(start).clamp(1, 64 * 1024);
        self.buf.resize(start + room, 0);
        let read = (&self.socket.stream).read(&mut self.buf[start..]);
        self.buf.truncate(start + *read.as_ref().unwrap_or(&0));
        match read {
            Ok(0) => self.idle_or(Reject::BadRequest("connection closed mid-request".into())),
            Ok(_) => Ok(true),
            // The socket's timeout may be a little longer than what is left (see `arm`), never
            // shorter, so a timeout means the deadline has passed.
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                self.idle_or(Reject::RequestTimeout)
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

    fn idle_or(&self, err: Reject) -> Result<bool, Reject> {
        if self.buf.is_empty() {
            Ok(false)
        } else {
            Err(err)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    const LIMITS: Limits = Limits {
        max_header_bytes: 256,
        max_body_bytes: 16,
        read_timeout: Duration::from_millis(1000),
    };

    /// A client socket and the server's connection for it, on loopback.
    fn pair() -> (TcpStream, Connection) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let (server, _) = listener.accept().unwrap();
        (client, Connection::new(Arc::new(Socket::new(server))))
    }

    fn status(result: Result<Option<Request>, Reject>) -> u16 {
        result.err().map_or(0, |e| e.status())
    }

    #[test]
    fn pipelined_requests_and_bodies_are_read_in_order() {
        let (mut client, mut conn) = pair();
        let body = "a".repeat(16);
        let post = format!("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 16\r\n\r\n{body}");
        client
            .write_all(format!("\r\n{post}GET /g HTTP/1.1\r\nHost: h\r\n\r\n").as_bytes())
            .unwrap();
        let first = conn.read_request(&LIMITS).unwrap().unwrap();
        assert_eq!(
            (first.path.as_str(), first.body.as_slice()),
            ("/p", body.as_bytes())
        );
        assert!(!conn.socket.is_idle(), "busy with a request");
        let second = conn.read_request(&LIMITS).unwrap().unwrap();
        assert_eq!((second.method.as_str(), second.body.len()), ("GET", 0));
        client.shutdown(std::net::Shutdown::Write).unwrap();
        assert!(
            conn.read_request(&LIMITS).unwrap().is_none(),
            "closed between requests"
        );
        assert!(conn.socket.is_idle());
    }

    #[test]
    fn a_body_over_the_limit_is_413_before_it_is_read() {
        let (mut client, mut conn) = pair();
        client
            .write_all(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 17\r\n\r\n")
            .unwrap();
        assert_eq!(status(conn.read_request(&LIMITS)), 413);
        let (mut client, mut conn) = pair();
        let huge = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n";
        client.write_all(huge.as_bytes()).unwrap();
        assert_eq!(status(conn.read_request(&LIMITS)), 413);
    }

    #[test]
    fn a_head_over_the_limit_is_refused_even_unfinished() {
        let (mut client, mut conn) = pair();
        let exact = format!(
            "GET / HTTP/1.1\r\nHost: h\r\nX: {}\r\n\r\n",
            "a".repeat(256 - 32)
        );
        assert_eq!(exact.len(), 256);
        client.write_all(exact.as_bytes()).unwrap();
        assert!(
            conn.read_request(&LIMITS).unwrap().is_some(),
            "exactly the limit"
        );
        let (mut client, mut conn) = pair();
        client
            .write_all(format!("GET / HTTP/1.1\r\nX: {}", "b".repeat(300)).as_bytes())
            .unwrap();
        assert_eq!(status(conn.read_request(&LIMITS)), 431, "never ends");
        let (mut client, mut conn) = pair();
        client
            .write_all(format!("GET /{} HTTP/1.1\r\n", "c".repeat(300)).as_bytes())
            .unwrap();
        assert_eq!(status(conn.read_request(&LIMITS)), 414, "a long target");
    }

    #[test]
    fn a_request_cut_short_is_400_and_a_silent_one_408() {
        let (mut client, mut conn) = pair();
        client
            .write_all(b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nab")
            .unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap();
        let err = conn.read_request(&LIMITS).unwrap_err();
        assert_eq!(
            (err.status(), err.to_string().as_str()),
            (400, "connection closed mid-request")
        );
        let (mut client, mut conn) = pair();
        client.write_all(b"GET / HTTP/1.1\r\n").unwrap();
        client.shutdown(std::net::Shutdown::Write).unwrap();
        assert_eq!(status(conn.read_request(&LIMITS)), 400);
        let (mut client, mut conn) = pair();
        client.write_all(b"GET / HTTP/1.1\r\n").unwrap();
        let started = Instant::now();
        assert_eq!(status(conn.read_request(&LIMITS)), 408);
        assert!(started.elapsed() >= Duration::from_millis(990));
    }

    #[test]
    fn a_reset_mid_body_is_a_body_cut_short() {
        let (mut client, mut conn) = pair();
        let head =
            "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";
        client.write_all(head.as_bytes()).unwrap();
        let reader = std::thread::spawn(move || conn.read_request(&LIMITS).map(|_| ()));
        // Closing with the `100 Continue` unread makes the client's kernel reset the connection.
        std::thread::sleep(Duration::from_millis(200));
        drop(client);
        let err = reader.join().unwrap().unwrap_err();
        assert_eq!(
            err.to_string(),
            "body shorter than Content-Length",
            "not a 408"
        );
    }

    #[test]
    fn the_deadline_covers_the_whole_request() {
        // A client that sends a little at a time is cut off at the deadline, not a full
        // timeout after its last byte.
        let (mut client, mut conn) = pair();
        let writer = std::thread::spawn(move || {
            client.write_all(b"GET / HTTP/1.1\r\n").unwrap();
            std::thread::sleep(Duration::from_millis(700));
            client.write_all(b"Host: h\r\n").unwrap();
            std::thread::sleep(Duration::from_secs(2));
        });
        let started = Instant::now();
        assert_eq!(status(conn.read_request(&LIMITS)), 408);
        let took = started.elapsed();
        assert!(
            took < Duration::from_millis(1500),
            "cut at the deadline: {took:?}"
        );
        writer.join().unwrap();
    }

    #[test]
    fn idle_and_blank_lines_end_quietly() {
        let (mut client, mut conn) = pair();
        client.write_all(b"\r\n\r\n").unwrap();
        assert!(
            conn.read_request(&LIMITS).unwrap().is_none(),
            "idle timeout, no 408"
        );
        assert!(conn.socket.is_idle());
    }

    #[test]
    fn continue_is_sent_to_http11_only_when_the_body_is_missing() {
        let mut interim = [0u8; 25];
        for (version, sent) in [("1.1", true), ("1.0", false)] {
            let (mut client, mut conn) = pair();
            let head = format!(
                "POST / HTTP/{version}\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n"
            );
            client.write_all(head.as_bytes()).unwrap();
            let reader =
                std::thread::spawn(move || conn.read_request(&LIMITS).map(|r| r.unwrap().body));
            client
                .set_read_timeout(Some(Duration::from_millis(300)))
                .unwrap();
            let got = client.read_exact(&mut interim).is_ok();
            assert_eq!(got, sent, "HTTP/{version}");
            if sent {
                assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
            }
            client.write_all(b"ok").unwrap();
            assert_eq!(reader.join().unwrap().unwrap(), b"ok");
        }
        let (mut client, mut conn) = pair();
        let whole =
            "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok";
        client.write_all(whole.as_bytes()).unwrap();
        assert_eq!(conn.read_request(&LIMITS).unwrap().unwrap().body, b"ok");
        client
            .set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        assert!(
            client.read(&mut interim).is_err(),
            "the body came with the head: no 100"
        );
    }

    #[test]
    fn headers_are_found_by_lowercase_name() {
        let (mut client, mut conn) = pair();
        client
            .write_all(b"GET / HTTP/1.1\r\nHost: h\r\nX-One: 1\r\nX-Two: 2\r\n\r\n")
            .unwrap();
        let request = conn.read_request(&LIMITS).unwrap().unwrap();
        assert_eq!(
            (request.header("x-two"), request.header("x-three")),
            (Some("2"), None)
        );
    }
}
