//! An HTTP response, and its bytes on the wire in one piece, with the headers every answer
//! carries (`Date`, `nosniff`, and a strict Content-Security-Policy on HTML).

use crate::http::date;
use std::io::Write;

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; \
                   base-uri 'none'; frame-ancestors 'none'";

/// A complete response held in memory (all of ours are small).
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub status: u16,
    /// Empty for an answer without a body and so without a `Content-Type`.
    pub content_type: &'static str,
    /// Extra headers, e.g. `Allow` or `Location`.
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub(crate) fn json(status: u16, body: String) -> Response {
        Response::new(status, "application/json", body.into_bytes())
    }

    pub(crate) fn html(status: u16, body: String) -> Response {
        Response::new(status, "text/html; charset=utf-8", body.into_bytes())
    }

    /// 204 No Content: the answer to a successful `DELETE`, with no body.
    pub(crate) fn no_content() -> Response {
        Response {
            status: 204,
            content_type: "",
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub(crate) fn new(status: u16, content_type: &'static str, body: Vec<u8>) -> Response {
        Response {
            status,
            content_type,
            headers: Vec::new(),
            body,
        }
    }

    pub(crate) fn with_header(mut self, name: &'static str, value: String) -> Response {
        self.headers.push((name, value));
        self
    }

    /// The whole answer on the wire: status line, headers and (unless `head_only`) body, in
    /// one buffer so it goes out in one `write`.
    pub(crate) fn encode(&self, persist: Persist, head_only: bool) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(320 + self.body.len());
        let _ = write!(
            bytes,
            "HTTP/1.1 {} {}\r\n",
            self.status,
            reason(self.status)
        );
        // A 204 has no body by definition and must not say how long it is (RFC 9110 §8.6).
        if self.status != 204 {
            let _ = write!(bytes, "Content-Length: {}\r\n", self.body.len());
        }
        bytes.extend_from_slice(b"Date: ");
        date::append(&mut bytes);
        bytes.extend_from_slice(b"\r\nX-Content-Type-Options: nosniff\r\n");
        if !self.content_type.is_empty() {
            let _ = write!(bytes, "Content-Type: {}\r\n", self.content_type);
        }
        if self.content_type.starts_with("text/html") {
            let _ = write!(bytes, "Content-Security-Policy: {CSP}\r\n");
        }
        for (name, value) in &self.headers {
            let _ = write!(bytes, "{name}: {value}\r\n");
        }
        bytes.extend_from_slice(match persist {
            Persist::Close => b"Connection: close\r\n\r\n",
            Persist::KeepAlive => b"\r\n",
            Persist::Announce => b"Connection: keep-alive\r\n\r\n",
        });
        if !head_only {
            bytes.extend_from_slice(&self.body);
        }
        bytes
    }
}

/// What an answer says about its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Persist {
    /// The connection closes after this answer: `Connection: close`.
    Close,
    /// HTTP/1.1 stays open by default: nothing to say.
    KeepAlive,
    /// HTTP/1.0 stays open only when the answer says so (RFC 9112 §9.3):
    /// `Connection: keep-alive`.
    Announce,
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        414 => "URI Too Long",
        411 => "Length Required",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        507 => "Insufficient Storage",
        _ => "",
    }
}
