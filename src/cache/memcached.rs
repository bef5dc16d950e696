//! One memcached connection speaking the text protocol: just the commands the cache uses.
//!
//! Each command goes out in one `write`; replies are read through a buffer, with a bound on
//! every line and value, so a confused or hostile server can neither desynchronize us silently
//! nor make us allocate much. Any reply we do not expect is an error, and the caller then closes
//! the socket, since it may hold the rest of that reply.

use crate::pool::Connect;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// Our values are one contact as JSON (well under 1 KiB); anything larger is not ours.
const MAX_VALUE: usize = 4096;
const MAX_LINE: u64 = 512;

/// Opens memcached connections with the configured timeouts.
pub(super) struct Maker {
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
}

impl Connect for Maker {
    type Socket = McSocket;

    fn connect(&self) -> io::Result<McSocket> {
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
        for addr in self.addr.to_socket_addrs()? {
            match TcpStream::connect_timeout(&addr, self.timeout) {
                Ok(stream) => {
                    stream.set_read_timeout(Some(self.timeout))?;
                    stream.set_write_timeout(Some(self.timeout))?;
                    stream.set_nodelay(true)?;
                    return Ok(McSocket {
                        reader: BufReader::new(stream),
                    });
                }
                Err(err) => last = err,
            }
        }
        Err(last)
    }
}

/// One memcached connection speaking the text protocol.
pub(super) struct McSocket {
    reader: BufReader<TcpStream>,
}

impl McSocket {
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
