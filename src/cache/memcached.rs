//! One memcached connection speaking the text protocol: just the commands the cache uses.
//!
//! Each command goes out in one `write`; replies are read through a buffer, with a bound on
//! every line and value, so a confused or hostile server can neither desynchronize us silently
//! nor make us allocate much. Any reply we do not expect is an error, and the caller then closes
//! the socket, since it may hold the rest of that reply.
//!
//! Over TCP or a Unix socket (an address starting with `/`). One deadline bounds each
//! operation, command and whole answer: a server that trickles its reply a byte at a time
//! cannot hold a worker past it, as a timeout per `read` would.

use crate::error::Error;
use crate::pool::Connect;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

/// Our values are one contact as JSON (well under 1 KiB); anything larger is not ours.
const MAX_VALUE: usize = 4096;
const MAX_LINE: u64 = 512;
/// How far a socket timeout may be off the time left before it is set again: setting it costs
/// a system call, and most operations are one write and one read well within the deadline.
const SLACK: Duration = Duration::from_millis(1);

/// Longest Unix socket path Linux takes (`sun_path` is 108 bytes, with the final NUL).
const MAX_SOCKET_PATH: usize = 107;

/// Checks the path of a `memcache+unix://` URL: absolute, one socket, short enough.
pub(super) fn socket_path(url: &str, path: &str) -> Result<String, Error> {
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

/// A memcached connection over TCP or a Unix socket.
enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    fn set_timeouts(&self, timeout: Duration) -> io::Result<()> {
        self.set_timeout(Dir::Read, timeout)?;
        self.set_timeout(Dir::Write, timeout)
    }

    fn set_timeout(&self, dir: Dir, timeout: Duration) -> io::Result<()> {
        let timeout = Some(timeout);
        match (self, dir) {
            (Stream::Tcp(s), Dir::Read) => s.set_read_timeout(timeout),
            (Stream::Tcp(s), Dir::Write) => s.set_write_timeout(timeout),
            (Stream::Unix(s), Dir::Read) => s.set_read_timeout(timeout),
            (Stream::Unix(s), Dir::Write) => s.set_write_timeout(timeout),
        }
    }
}

#[derive(Clone, Copy)]
enum Dir {
    Read = 0,
    Write = 1,
}

/// A stream whose every read and write ends by the deadline of the operation in progress: one
/// deadline for the whole command and its answer, however the server splits its reply.
struct Timed {
    stream: Stream,
    deadline: Instant,
    /// The read and write timeouts the socket has now.
    armed: [Duration; 2],
}

impl Timed {
    /// Sets the socket's timeout for `dir` to the time left, unless it is that within
    /// [`SLACK`]; fails with `TimedOut` when no time is left.
    fn arm(&mut self, dir: Dir) -> io::Result<()> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "memcached did not answer in time",
            ));
        }
        let armed = &mut self.armed[dir as usize];
        if armed.abs_diff(left) > SLACK {
            self.stream.set_timeout(dir, left)?;
            *armed = left;
        }
        Ok(())
    }
}

impl Read for Timed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.arm(Dir::Read)?;
        match &mut self.stream {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Timed {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.arm(Dir::Write)?;
        match &mut self.stream {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
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
mod tests;
