//! One memcached connection speaking the text protocol: just the commands the cache uses,
//! over TCP or a Unix socket (an address starting with `/`), each operation by one deadline
//! (`stream.rs`). Every reply line and value is bounded, and any reply we do not expect is an
//! error, after which the caller closes the socket: it may hold the rest of that reply.

use super::stream::{Stream, Timed};
use crate::pool::Connect;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Our values are one contact as JSON (well under 1 KiB); anything larger is not ours.
const MAX_VALUE: usize = 4096;
const MAX_LINE: u64 = 512;

/// Opens memcached connections with the configured timeouts.
pub(super) struct Maker {
    /// `host:port`, or the absolute path of a Unix socket.
    addr: String,
    timeout: Duration,
}

impl Maker {
    pub(super) fn new(addr: &str, timeout: Duration) -> Maker {
        Maker {
            addr: addr.to_string(),
            timeout,
        }
    }

    fn connect_tcp(&self) -> io::Result<Stream> {
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
        for addr in self.addr.to_socket_addrs()? {
            match TcpStream::connect_timeout(&addr, self.timeout) {
                Ok(stream) => {
                    stream.set_nodelay(true)?;
                    return Ok(Stream::Tcp(stream));
                }
                Err(err) => last = err,
            }
        }
        Err(last)
    }

    fn connect_unix(&self) -> io::Result<Stream> {
        use socket2::{Domain, SockAddr, Socket, Type};
        let socket = Socket::new(Domain::UNIX, Type::STREAM, None)?;
        // A Unix connect waits while the server's backlog is full (a stopped memcached), for
        // as long as the socket's send timeout: set it first, so that the wait is bounded.
        socket.set_write_timeout(Some(self.timeout))?;
        socket.connect(&SockAddr::unix(&self.addr)?)?;
        Ok(Stream::Unix(std::os::fd::OwnedFd::from(socket).into()))
    }
}

impl Connect for Maker {
    type Socket = McSocket;

    fn connect(&self) -> io::Result<McSocket> {
        let stream = if self.addr.starts_with('/') {
            self.connect_unix()?
        } else {
            self.connect_tcp()?
        };
        stream.set_timeouts(self.timeout)?;
        Ok(McSocket {
            reader: BufReader::new(Timed {
                stream,
                // Every operation sets its own deadline (`until`) before it reads or writes.
                deadline: Instant::now(),
                armed: [self.timeout; 2],
            }),
        })
    }
}

/// One memcached connection speaking the text protocol.
pub(super) struct McSocket {
    reader: BufReader<Timed>,
}

impl McSocket {
    /// Starts an operation that must be over, answer read, by `deadline`.
    pub(super) fn until(&mut self, deadline: Instant) -> &mut McSocket {
        self.reader.get_mut().deadline = deadline;
        self
    }

    /// `get`: the value stored under `key`, if any.
    pub(super) fn get(&mut self, key: &str) -> io::Result<Option<Vec<u8>>> {
        self.send(format!("get {key}\r\n").as_bytes())?;
        let line = self.line()?;
        if line == "END" {
            return Ok(None);
        }
        // VALUE <key> <flags> <bytes>
        let mut words = line.split(' ');
        let len = match (words.next(), words.next(), words.nth(1)) {
            (Some("VALUE"), Some(k), Some(len)) if k == key => len.parse::<usize>().ok(),
            _ => None,
        };
        let len = len
            .filter(|&n| n <= MAX_VALUE)
            .ok_or_else(|| unexpected(&line))?;
        let mut value = vec![0; len + 2];
        self.reader.read_exact(&mut value)?;
        if !value.ends_with(b"\r\n") || self.line()? != "END" {
            return Err(unexpected("value not followed by END"));
        }
        value.truncate(len);
        Ok(Some(value))
    }

    /// `set` or `add`: true when stored, false when `add` found an entry.
    pub(super) fn store(
        &mut self,
        verb: &str,
        key: &str,
        value: &str,
        ttl: u32,
    ) -> io::Result<bool> {
        let cmd = format!("{verb} {key} 0 {ttl} {}\r\n{value}\r\n", value.len());
        self.send(cmd.as_bytes())?;
        match self.line()?.as_str() {
            "STORED" => Ok(true),
            "NOT_STORED" => Ok(false),
            other => Err(unexpected(other)),
        }
    }

    pub(super) fn flush_all(&mut self) -> io::Result<()> {
        self.send(b"flush_all\r\n")?;
        match self.line()?.as_str() {
            "OK" => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.reader.get_mut().write_all(bytes)
    }

    /// One reply line without its CRLF.
    fn line(&mut self) -> io::Result<String> {
        let mut buf = Vec::new();
        (&mut self.reader)
            .take(MAX_LINE)
            .read_until(b'\n', &mut buf)?;
        if !buf.ends_with(b"\r\n") {
            return Err(unexpected("connection closed or reply line too long"));
        }
        buf.truncate(buf.len() - 2);
        String::from_utf8(buf).map_err(|_| unexpected("reply not UTF-8"))
    }
}

fn unexpected(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("unexpected reply: {what:?}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::thread;

    /// A one-connection server that answers the first command with `reply`, then holds the
    /// connection a while; a socket to it with a 2 s deadline.
    fn answering(reply: &'static [u8]) -> McSocket {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut command = [0u8; 512];
            let _ = conn.read(&mut command);
            let _ = conn.write_all(reply);
            thread::sleep(Duration::from_millis(500));
        });
        let timeout = Duration::from_secs(2);
        let mut conn = Maker::new(&addr, timeout).connect().unwrap();
        conn.until(Instant::now() + timeout);
        conn
    }

    #[test]
    fn replies_are_read_as_the_protocol_says_and_anything_else_is_an_error() {
        let value = answering(b"VALUE pb:k 0 3\r\nabc\r\nEND\r\n").get("pb:k");
        assert_eq!(value.unwrap(), Some(b"abc".to_vec()));
        assert_eq!(answering(b"END\r\n").get("pb:k").unwrap(), None);
        assert!(answering(b"STORED\r\n")
            .store("set", "pb:k", "v", 10)
            .unwrap());
        assert!(!answering(b"NOT_STORED\r\n")
            .store("add", "pb:k", "v", 10)
            .unwrap());
        answering(b"OK\r\n").flush_all().unwrap();
        let wrong: [&'static [u8]; 5] = [
            b"VALUE pb:other 0 3\r\nabc\r\nEND\r\n",
            b"VALUE pb:k 0 5000\r\n",
            b"VALUE pb:k 0 3\r\nabcd\r\nEND\r\n",
            b"SERVER_ERROR out of memory\r\n",
            b"END",
        ];
        for reply in wrong {
            let err = answering(reply).get("pb:k").unwrap_err();
            let kind = err.kind();
            assert!(
                kind == io::ErrorKind::InvalidData || kind == io::ErrorKind::TimedOut,
                "{err}"
            );
        }
        assert!(answering(b"ERROR\r\n")
            .store("set", "pb:k", "v", 10)
            .is_err());
        assert!(answering(b"STORED\r\n").flush_all().is_err());
    }

    #[test]
    fn a_server_silent_mid_answer_cannot_hold_an_operation_past_its_deadline() {
        // The server answers one byte 1.8 s into a 2 s operation, then nothing: the socket's
        // timeout must shrink to the time left, not restart with each byte.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        // Left to end by itself: the test must not wait for its last sleep.
        thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut command = [0u8; 64];
            let _ = conn.read(&mut command);
            thread::sleep(Duration::from_millis(1_800));
            let _ = conn.write_all(b"V");
            thread::sleep(Duration::from_millis(2_500));
        });
        let timeout = Duration::from_secs(2);
        let mut conn = Maker::new(&addr, timeout).connect().unwrap();
        let start = Instant::now();
        let err = conn.until(start + timeout).get("pb:k").unwrap_err();
        let took = start.elapsed();
        assert!(
            matches!(
                err.kind(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
            ),
            "{err}"
        );
        // At the deadline, not 2 s after the byte (3.8 s).
        assert!(took >= timeout && took < Duration::from_secs(3), "{took:?}");
    }
}
