//! Riak's Protocol Buffers framing (a 4-byte length, a code byte, the body), and reading a
//! frame by a deadline: a length is checked before anything is allocated, and each read on the
//! socket gets only the time left, so a node trickling bytes cannot stretch a request.

use super::replies;
use super::requests;
use quick_protobuf::{MessageRead, MessageWrite};
use std::io::{self, BufReader, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The largest frame accepted (code plus body). A phone book object is under 1 KiB; this leaves
/// room for many siblings and long key listings.
pub const MAX_FRAME: usize = 16 * 1024 * 1024;

/// Encodes a whole frame: length, code, body.
pub fn frame<M: MessageWrite>(code: u8, msg: &M) -> Vec<u8> {
    let len = msg.get_size() + 1;
    let mut out = Vec::with_capacity(4 + len);
    out.extend_from_slice(&(len as u32).to_be_bytes());
    out.push(code);
    out.extend_from_slice(&requests::encode(msg));
    out
}

/// A frame with no body (ping, server info).
pub fn empty_frame(code: u8) -> Vec<u8> {
    vec![0, 0, 0, 1, code]
}

/// Reads one frame and returns its code and body. Fails with `InvalidData` for a zero or
/// too large length.
pub fn read_frame(r: &mut impl Read) -> io::Result<(u8, Vec<u8>)> {
    let mut head = [0u8; 5];
    r.read_exact(&mut head[..4])?;
    let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
    if len == 0 || len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame length {len} outside 1..={MAX_FRAME}"),
        ));
    }
    r.read_exact(&mut head[4..])?;
    let mut body = vec![0u8; len - 1];
    r.read_exact(&mut body)?;
    Ok((head[4], body))
}

/// Decodes a body; a body that does not decode is a protocol error on this socket.
pub fn decode<'a, M: MessageRead<'a>>(body: &'a [u8]) -> io::Result<M> {
    replies::decode(body).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))
}

/// The time left until `deadline`; `TimedOut` when it has passed.
pub(crate) fn time_left(deadline: Instant) -> io::Result<Duration> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(io::Error::new(io::ErrorKind::TimedOut, "deadline passed"));
    }
    Ok(left)
}

/// Reads from the socket, each read bounded by the time left until one deadline.
pub(crate) struct Timed<'a> {
    pub inner: &'a mut BufReader<TcpStream>,
    pub deadline: Instant,
}

impl Read for Timed<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = time_left(self.deadline)?;
        self.inner.get_ref().set_read_timeout(Some(left))?;
        self.inner.read(buf)
    }
}
