//! A memcached connection's socket, TCP or Unix, whose every read and write ends by the
//! deadline of the operation in progress: one deadline for the whole command and its answer,
//! so a server that trickles its reply a byte at a time cannot hold a worker past it, as a
//! timeout per `read` would.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

/// How far a socket timeout may be off the time left before it is set again: setting it costs
/// a system call, and most operations are one write and one read well within the deadline.
const SLACK: Duration = Duration::from_millis(1);

/// A memcached connection over TCP or a Unix socket.
pub(super) enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    pub fn set_timeouts(&self, timeout: Duration) -> io::Result<()> {
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
pub(super) struct Timed {
    pub stream: Stream,
    pub deadline: Instant,
    /// The read and write timeouts the socket has now.
    pub armed: [Duration; 2],
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
