//! The stand-in's HTTP answers: status, headers and body, written as Riak's web server writes
//! them, including the HTML 404 of a node that is still starting.

use crate::encoding::http_date;
use std::io::{self, Write};

/// One answer.
pub struct Response {
    pub status: u16,
    server: &'static str,
    /// `Vary: Accept-Encoding` before `Server`, as Riak's web server puts it on most answers.
    vary: bool,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        let headers = vec![("Content-Type", content_type.to_string())];
        Response {
            status,
            server: "riak-standin",
            vary: false,
            headers,
            body: body.into(),
        }
    }

    pub fn with(mut self, name: &'static str, value: String) -> Response {
        self.headers.push((name, value));
        self
    }

    /// A Riak error answer: 500 and the message.
    pub fn error(msg: &str) -> Response {
        Response::status_error(500, msg)
    }

    /// An error answer with this status and message.
    pub fn status_error(status: u16, msg: &str) -> Response {
        Response::new(status, "text/plain", format!("Error:\n{msg}\n"))
    }

    /// An answer as Riak's web server writes it: its `Server`, a `Date`, and `Vary` when asked.
    pub fn riak(status: u16, content_type: &str, body: impl Into<Vec<u8>>, vary: bool) -> Response {
        let mut response = Response::new(status, content_type, body);
        response.server = STARTING_SERVER;
        response.vary = vary;
        response.headers.insert(0, ("Date", http_date(now())));
        response
    }

    /// What the web server answers to every path before Riak's KV service is registered: an
    /// HTML 404, byte for byte as a starting Riak 3.2.3 node sends it (but for the date).
    pub fn starting() -> Response {
        let mut response = Response::new(404, "text/html", STARTING_BODY);
        response.server = STARTING_SERVER;
        response.headers.insert(0, ("Date", http_date(now())));
        response
    }

    /// Writes the answer; a HEAD answer has the headers of the GET answer but no body.
    pub fn write(&self, w: &mut impl Write, head_only: bool) -> io::Result<()> {
        let vary = if self.vary {
            "Vary: Accept-Encoding\r\n"
        } else {
            ""
        };
        let mut out = format!(
            "HTTP/1.1 {} {}\r\n{vary}Server: {}\r\n",
            self.status,
            reason(self.status),
            self.server
        );
        for (name, value) in &self.headers {
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        if self.status != 204 {
            out.push_str(&format!("Content-Length: {}\r\n", self.body.len()));
        }
        out.push_str("\r\n");
        let mut bytes = out.into_bytes();
        if !head_only {
            bytes.extend_from_slice(&self.body);
        }
        w.write_all(&bytes)
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        300 => "Multiple Choices",
        400 => "Bad Request",
        404 => "Object Not Found",
        405 => "Method Not Allowed",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    }
}

const STARTING_SERVER: &str =
    "MochiWeb/3.0.0 WebMachine/0.0.0+build.698.refadbf4a6 (greased slide to failure)";
const STARTING_BODY: &str = "<HTML><HEAD><TITLE>404 Not Found</TITLE></HEAD><BODY><H1>Not Found</H1>The requested document was not found on this server.<P><HR><ADDRESS>mochiweb+webmachine web server</ADDRESS></BODY></HTML>";

fn now() -> u32 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map_or(0, |d| d.as_secs() as u32)
}
