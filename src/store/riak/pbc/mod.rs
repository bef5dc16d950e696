//! Riak's Protocol Buffers API: one node reached through a pool of sockets (`socket.rs`)
//! that carry frames (`frame.rs`) of hand-written messages (`requests.rs`, `replies.rs`).
//! Every request has one deadline, the store timeout; a socket that failed is never reused.

mod frame;
mod replies;
mod requests;
mod socket;

/// The wire format, exported on purpose (as `store::riak::wire`) for the codec tests, which
/// check it byte for byte against captured Riak exchanges.
pub mod wire {
    pub use super::frame::{decode, empty_frame, frame, read_frame};
    pub use super::replies::*;
    pub use super::requests::*;
}

use super::errors;
use super::link::Write;
use super::{Fail, Link, Object, Read as ReadKey, Sibling};
use crate::pool::{Pool, Pooled};
use frame::{decode, frame};
use quick_protobuf::MessageRead;
use replies::{BucketResp, KeysResp, ObjectResp};
use requests::{code, Content, DelReq, GetReq, IndexReq, KeyReq, PutReq};
use socket::{CallError, Connector, Unreachable};
use std::io;
use std::time::{Duration, Instant};

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
            let reused = conn.reused();
            match conn.call(request, want, deadline) {
                Ok(body) => return Ok(body),
                Err(CallError::Riak(msg)) => return Err(errors::pbc_error(addr, msg)),
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
        let req = get_req(bucket, key, read);
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
        write: Write,
    ) -> Result<(), Fail> {
        let content = Content {
            value: value.to_vec(),
            content_type: Some(b"application/json".to_vec()),
            ..Content::default()
        };
        let req = put_req(bucket, key, vclock, &content, write);
        self.call(&frame(code::PUT_REQ, &req), code::PUT_RESP)
            .map(drop)
    }

    fn remove(
        &self,
        bucket: &str,
        key: &str,
        vclock: Option<&[u8]>,
        write: Write,
    ) -> Result<(), Fail> {
        let req = DelReq {
            bucket: bucket.as_bytes(),
            key: key.as_bytes(),
            vclock,
            w: write.w.pbc(),
            pw: write.pw.pbc(),
            dw: write.dw.pbc(),
            timeout: write.timeout.map(millis),
        };
        self.call(&frame(code::DEL_REQ, &req), code::DEL_RESP)
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
        timeout: Option<Duration>,
    ) -> Result<Vec<Vec<u8>>, Fail> {
        let req = IndexReq {
            bucket: bucket.as_bytes(),
            index: b"$key",
            range_min: min,
            range_max: max,
            max_results: Some(limit),
            timeout: timeout.map(millis),
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

/// A get with the read's options; an option left unset is not sent (Riak's default, and the
/// captured requests' bytes).
fn get_req<'a>(bucket: &'a str, key: &'a str, read: ReadKey) -> GetReq<'a> {
    GetReq {
        bucket: bucket.as_bytes(),
        key: key.as_bytes(),
        r: read.r.pbc(),
        pr: read.pr.pbc(),
        basic_quorum: read.basic_quorum.then_some(true),
        notfound_ok: (!read.notfound_ok).then_some(false),
        head: read.head,
        deletedvclock: read.head,
        timeout: read.timeout.map(millis),
        bucket_type: None,
    }
}

/// A put with the write's options, each sent only when set.
fn put_req<'a>(
    bucket: &'a str,
    key: &'a str,
    vclock: Option<&'a [u8]>,
    content: &'a Content,
    write: Write,
) -> PutReq<'a> {
    PutReq {
        bucket: bucket.as_bytes(),
        key: key.as_bytes(),
        vclock,
        content,
        w: write.w.pbc(),
        dw: write.dw.pbc(),
        return_body: false,
        pw: write.pw.pbc(),
        return_head: false,
        timeout: write.timeout.map(millis),
        bucket_type: None,
    }
}

/// Riak's timeouts are whole milliseconds.
fn millis(d: Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
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
            matches!(node.probe("b", ReadKey::plain(true)), Err(Fail::Busy(_))),
            "waiting is not the node's fault"
        );
        drop(held);
        drop(listener);
        // The socket is reset, and a new one would be refused: the node is down.
        let probe = || node.probe("b", ReadKey::plain(true));
        assert!(matches!(probe(), Err(Fail::Down(_))));
        assert!(matches!(probe(), Err(Fail::Down(msg)) if msg.contains("connect")));
    }
}
