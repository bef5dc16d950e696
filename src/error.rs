//! The one error type of phonebook, and the one place where an error becomes an HTTP status.
//!
//! Hand-written rather than derived: there are few variants, each documented with when it
//! happens, and `Display` stays short and lowercase so it reads well inside `{"error": ...}`.

use std::fmt;

/// Everything that can go wrong, from start-up to a single request.
#[derive(Debug)]
pub enum Error {
    /// The client sent a value that fails validation; the text names the field.
    BadInput(String),
    /// No contact has that name, or no route has that path.
    NotFound(String),
    /// The route exists but not for this method; carries the `Allow` header value.
    MethodNotAllowed(&'static str),
    /// The request body is larger than the limit (bytes); it was not read.
    BodyTooLarge(usize),
    /// The request line or headers are larger than the limit (bytes).
    HeadersTooLarge(usize),
    /// The request line alone is longer than the header limit (bytes): the target is too long.
    UriTooLong(usize),
    /// The method is not one HTTP defines (RFC 9110 §9): no resource here supports it.
    NotImplemented(String),
    /// Too many requests wait for a worker, or this one waited past `queue_timeout_ms`; the
    /// client may retry (the answer says when).
    Overloaded,
    /// A body was sent with a `Content-Type` this route does not take.
    UnsupportedMediaType(String),
    /// A body was sent without `Content-Length` (chunked uploads are not accepted).
    LengthRequired,
    /// The request is not valid HTTP/1.x.
    BadRequest(String),
    /// The client was too slow to send its request.
    RequestTimeout,
    /// The server already has `max_connections` open; the new one is answered and closed.
    TooManyConnections,
    /// The store (every node of it) did not answer in time or refused the connection.
    StoreUnavailable(String),
    /// The store answered, but with an error (e.g. a Riak error response).
    Store(String),
    /// The configuration or command line is invalid; start-up stops.
    Config(String),
    /// An I/O error outside any request, e.g. binding the listen address.
    Io(std::io::Error),
}

impl Error {
    /// The HTTP status for this error. This is the only place that decides it.
    pub fn status(&self) -> u16 {
        match self {
            Error::BadInput(_) | Error::BadRequest(_) => 400,
            Error::NotFound(_) => 404,
            Error::MethodNotAllowed(_) => 405,
            Error::RequestTimeout => 408,
            Error::LengthRequired => 411,
            Error::BodyTooLarge(_) => 413,
            Error::UnsupportedMediaType(_) => 415,
            Error::UriTooLong(_) => 414,
            Error::HeadersTooLarge(_) => 431,
            Error::NotImplemented(_) => 501,
            Error::Store(_) => 502,
            Error::StoreUnavailable(_) | Error::TooManyConnections | Error::Overloaded => 503,
            Error::Config(_) | Error::Io(_) => 500,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadInput(msg) | Error::BadRequest(msg) => write!(f, "{msg}"),
            Error::NotFound(what) => write!(f, "{what} not found"),
            Error::MethodNotAllowed(allow) => write!(f, "method not allowed (allowed: {allow})"),
            Error::BodyTooLarge(limit) => write!(f, "body too large (limit {limit} bytes)"),
            Error::HeadersTooLarge(limit) => {
                write!(f, "request line and headers too large (limit {limit} bytes)")
            }
            Error::UriTooLong(limit) => {
                write!(f, "request target too long (limit {limit} bytes)")
            }
            Error::NotImplemented(method) => write!(f, "method {method:?} not implemented"),
            Error::Overloaded => write!(f, "server busy, retry later"),
            Error::UnsupportedMediaType(ct) => write!(
                f,
                "unsupported content type {ct:?} (use application/x-www-form-urlencoded or application/json)"
            ),
            Error::LengthRequired => write!(f, "a body needs a Content-Length header"),
            Error::RequestTimeout => write!(f, "request not received in time"),
            Error::TooManyConnections => write!(f, "too many connections"),
            Error::StoreUnavailable(_) => write!(f, "storage unavailable"),
            Error::Store(msg) => write!(f, "storage error: {msg}"),
            Error::Config(msg) => write!(f, "invalid configuration: {msg}"),
            Error::Io(err) => write!(f, "i/o error: {err}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io(err) => Some(err),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Error {
        Error::Io(err)
    }
}
