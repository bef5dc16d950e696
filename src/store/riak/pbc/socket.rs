//! A socket to one Riak node carrying Protocol Buffers frames, one call by one deadline, and
//! the connector that opens such sockets for a node's pool. After an I/O or framing error the
//! socket is broken; an `RpbErrorResp` is a complete answer and leaves it good.

use super::frame::{decode, read_frame, time_left, Timed};
use super::replies::ErrorResp;
use super::requests::code;
use crate::pool::Connect;
use std::io::{self, BufReader, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// An open socket to one node.
pub struct PbcSocket {
    stream: BufReader<TcpStream>,
    /// Calls answered on this socket: a socket with none is fresh from `connect`.
    answered: u64,
}

impl PbcSocket {
    /// Connects to `addr` (every address it resolves to, in turn) within `timeout`.
    pub fn open(addr: &str, timeout: Duration) -> io::Result<PbcSocket> {
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
        for sa in addr.to_socket_addrs()? {
            match TcpStream::connect_timeout(&sa, timeout) {
                Ok(stream) => {
                    // Requests are single small frames; waiting to coalesce them only adds delay.
                    stream.set_nodelay(true)?;
                    return Ok(PbcSocket {
                        stream: BufReader::new(stream),
                        answered: 0,
                    });
                }
                Err(err) => last = err,
            }
        }
        Err(last)
    }

    /// Whether a call was answered on this socket before: it sat in the pool.
    pub fn reused(&self) -> bool {
        self.answered > 0
    }

    /// Sends one request frame and reads the answer, which must carry code `want` (or be an
    /// `RpbErrorResp`), all by `deadline`. Returns the answer's body.
    pub fn call(
        &mut self,
        request: &[u8],
        want: u8,
        deadline: Instant,
    ) -> Result<Vec<u8>, CallError> {
        // A request is one small frame: one write, given the time left.
        let stream = self.stream.get_mut();
        stream.set_write_timeout(Some(time_left(deadline)?))?;
        stream.write_all(request)?;
        let answer = self.receive(want, deadline);
        self.answered += 1;
        answer
    }

    /// Reads one more answer frame by `deadline` (for streamed answers such as a key listing).
    pub fn receive(&mut self, want: u8, deadline: Instant) -> Result<Vec<u8>, CallError> {
        let mut timed = Timed {
            inner: &mut self.stream,
            deadline,
        };
        let (got, body) = read_frame(&mut timed)?;
        if got == want {
            return Ok(body);
        }
        if got == code::ERROR_RESP {
            let err: ErrorResp = decode(&body)?;
            let msg = String::from_utf8_lossy(&err.errmsg).into_owned();
            return Err(CallError::Riak(msg));
        }
        Err(CallError::Io(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("expected message code {want}, got {got}"),
        )))
    }
}

/// Why a call failed.
#[derive(Debug)]
pub enum CallError {
    /// The socket or the bytes on it failed: the socket is unusable.
    Io(io::Error),
    /// Riak answered with `RpbErrorResp`: the socket is fine.
    Riak(String),
}

impl From<io::Error> for CallError {
    fn from(err: io::Error) -> CallError {
        CallError::Io(err)
    }
}

/// Opens sockets to one node for its pool.
pub struct Connector {
    pub addr: String,
    pub timeout: Duration,
}

impl Connect for Connector {
    type Socket = PbcSocket;
    /// Fails with an [`Unreachable`] inside the error, which tells a node that cannot be reached
    /// from a pool that had no free socket.
    fn connect(&self) -> io::Result<PbcSocket> {
        PbcSocket::open(&self.addr, self.timeout)
            .map_err(|e| io::Error::new(e.kind(), Unreachable(e)))
    }
}

/// A failed connection attempt, as opposed to waiting in vain for a pooled socket.
#[derive(Debug)]
pub struct Unreachable(pub io::Error);

impl std::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "connect: {}", self.0)
    }
}

impl std::error::Error for Unreachable {}
