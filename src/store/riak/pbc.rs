//! Riak's Protocol Buffers transport: sockets that carry frames (`frame.rs`), and one node
//! reached through a pool of them. Every request has
//! one deadline, the store timeout: connecting, sending and reading the whole answer must all
//! end by then (each read is given only the time left, so a node trickling bytes cannot stretch
//! it), and a hung node costs one timeout, never a stuck worker. After any I/O or framing error
//! the socket is in an unknown state: it is marked broken and closed, never returned to the
//! pool. An `RpbErrorResp` is a complete answer: the socket stays good, and `answers.rs` says
//! what Riak's message means.

use super::answers;
use super::frame::{decode, frame, read_frame, time_left, Timed};
use super::proto::{code, Content, GetReq, IndexReq, KeyReq, PutReq};
use super::replies::{BucketResp, ErrorResp, KeysResp, ObjectResp};
use super::{Fail, Link, Object, Read as ReadKey, Sibling};
use crate::pool::{Connect, Pool, Pooled};
use quick_protobuf::MessageRead;
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

/// One node over Protocol Buffers: its address and its pool of sockets.
pub(crate) struct PbcNode {
    addr: String,
    pool: Pool<Connector>,
    timeout: Duration,
}

impl PbcNode {
    /// A node keeping at most `pool_size` sockets; none is opened yet.
    pub fn new(addr: &str, timeout: Duration, pool_size: usize) -> PbcNode {
        let connector = Connector {
            addr: addr.to_string(),
            timeout,
        };
        PbcNode {
            addr: addr.to_string(),
            pool: Pool::new(connector, pool_size),
            timeout,
        }
    }

    /// Borrows a socket and makes one call, by one deadline. A socket that fails is closed;
    /// when it had sat in the pool, the call is made once more on a fresh socket (within the
    /// same deadline): the node may have restarted and closed its old sockets, which says
    /// nothing about its health now. A timeout is never re-sent: the node may still apply the
    /// request (a write with its old vclock), and a slow node stays slow; the caller moves on
    /// to another node, where a write reads its vclock afresh.
    fn call(&self, request: &[u8], want: u8) -> Result<Vec<u8>, Fail> {
        let addr = &self.addr;
        let deadline = Instant::now() + self.timeout;
        for _ in 0..2 {
            let wait = deadline.saturating_duration_since(Instant::now());
            let mut conn: Pooled<'_, Connector> = match self.pool.get(wait) {
                Ok(conn) => conn,
                Err(e) if e.get_ref().is_some_and(|inner| inner.is::<Unreachable>()) => {
                    return Err(Fail::Down(format!("{addr}: {e}")));
                }
                Err(e) => return Err(Fail::Busy(format!("{addr}: no free socket: {e}"))),
            };
            let reused = conn.answered > 0;
            match conn.call(request, want, deadline) {
                Ok(body) => return Ok(body),
                Err(CallError::Riak(msg)) => return Err(answers::pbc_error(addr, msg)),
                Err(CallError::Io(err)) => {
                    conn.mark_broken();
                    let slow = matches!(
                        err.kind(),
                        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
                    );
                    if !reused || slow {
                        return Err(Fail::Down(format!("{addr}: {err}")));
                    }
                    drop(conn);
                    self.pool.clear();
                }
            }
        }
        Err(Fail::Down(format!("{addr}: fresh socket failed too")))
    }
}

/// A body that does not decode means the stream is out of step: treat it like an I/O error.
fn decoded<'a, M: MessageRead<'a>>(body: &'a [u8], addr: &str) -> Result<M, Fail> {
    decode(body).map_err(|e| Fail::Down(format!("{addr}: {e}")))
}

impl Link for PbcNode {
    fn fetch(&self, bucket: &str, key: &str, read: ReadKey) -> Result<Object, Fail> {
        let req = GetReq {
            bucket: bucket.as_bytes(),
            key: key.as_bytes(),
            // Unset when true: Riak's default, and the captured requests' bytes.
            notfound_ok: (!read.notfound_ok).then_some(false),
            head: read.head,
            deletedvclock: read.head,
            bucket_type: None,
        };
        let body = self.call(&frame(code::GET_REQ, &req), code::GET_RESP)?;
        let resp: ObjectResp = decoded(&body, &self.addr)?;
        let siblings = resp
            .content
            .into_iter()
            .filter(|c| !c.deleted)
            .map(|c| Sibling {
                value: c.value,
                // Whole seconds, as HTTP gives them, so both APIs pick the same winner.
                modified: c.last_mod.unwrap_or(0),
            })
            .collect();
        Ok(Object {
            vclock: resp.vclock,
            siblings,
        })
    }

    fn store(
        &self,
        bucket: &str,
        key: &str,
        value: &[u8],
        vclock: Option<&[u8]>,
    ) -> Result<(), Fail> {
        let content = Content {
            value: value.to_vec(),
            content_type: Some(b"application/json".to_vec()),
            ..Content::default()
        };
        let req = PutReq {
            bucket: bucket.as_bytes(),
            key: key.as_bytes(),
            vclock,
            content: &content,
            return_body: false,
            return_head: false,
            bucket_type: None,
        };
        self.call(&frame(code::PUT_REQ, &req), code::PUT_RESP)
            .map(drop)
    }

    fn allow_mult(&self, bucket: &str) -> Result<bool, Fail> {
        let req = KeyReq {
            bucket: bucket.as_bytes(),
            key: None,
        };
        let body = self.call(&frame(code::GET_BUCKET_REQ, &req), code::GET_BUCKET_RESP)?;
        let resp: BucketResp = decoded(&body, &self.addr)?;
        // Riak always sends it; a node that does not is treated as allowing siblings (safe).
        Ok(resp.allow_mult.unwrap_or(true))
    }

    fn key_range(
        &self,
        bucket: &str,
        min: &[u8],
        max: &[u8],
        limit: u32,
    ) -> Result<Vec<Vec<u8>>, Fail> {
        let req = IndexReq {
            bucket: bucket.as_bytes(),
            index: b"$key",
            range_min: min,
            range_max: max,
            max_results: Some(limit),
        };
        let body = self.call(&frame(code::INDEX_REQ, &req), code::INDEX_RESP)?;
        let resp: KeysResp = decoded(&body, &self.addr)?;
        Ok(resp.keys)
    }

    fn reset(&self) {
        self.pool.clear();
    }

    fn pool_waits(&self) -> u64 {
        self.pool.waits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn a_full_pool_is_busy_but_a_closed_port_is_down() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let node = PbcNode::new(&addr, Duration::from_millis(50), 1);
        let held = node.pool.get(Duration::ZERO).unwrap();
        assert!(
            matches!(node.probe("b"), Err(Fail::Busy(_))),
            "waiting is not the node's fault"
        );
        drop(held);
        drop(listener);
        // The socket is reset, and a new one would be refused: the node is down.
        assert!(matches!(node.probe("b"), Err(Fail::Down(_))));
        assert!(matches!(node.probe("b"), Err(Fail::Down(msg)) if msg.contains("connect")));
    }
}
