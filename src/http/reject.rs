//! Why a request gets an error answer: the front's own refusals and the app's errors.
//!
//! `Reject::status` is the one place an error becomes a status code (with `Allow` and
//! `Retry-After`), and `Reject::response` the one place it becomes an answer.

use crate::error::Error;
use crate::http::response::Response;
use std::fmt;

/// What a 401 asks a browser for: Basic credentials, in UTF-8 (RFC 7617).
const BASIC_CHALLENGE: &str = "Basic realm=\"phonebook\", charset=\"UTF-8\"";

/// An error answer, for a reason the front found or one the app returned.
#[derive(Debug)]
pub(crate) enum Reject {
    /// The request is not valid HTTP/1.x.
    BadRequest(String),
    /// `Host` names a host this server does not serve (`server.allowed_hosts`).
    HostNotAllowed(String),
    /// A write from a page on another origin (cross-origin protection); says where from.
    CrossOrigin(String),
    /// Login is on and the request has no valid credentials.
    Unauthorized,
    /// The client was too slow to send its request.
    RequestTimeout,
    /// A body was sent without `Content-Length` (chunked uploads are not accepted).
    LengthRequired,
    /// The request body is larger than the limit (bytes); it was not read.
    BodyTooLarge(usize),
    /// The request line alone is longer than the header limit (bytes).
    UriTooLong(usize),
    /// The request line and headers are larger than the limit (bytes).
    HeadersTooLarge(usize),
    /// A body was sent with a `Content-Type` this route does not take.
    UnsupportedMediaType(String),
    /// No route has this path.
    NoRoute,
    /// The route exists but not for this method; carries the `Allow` header value.
    MethodNotAllowed(&'static str),
    /// The method is not one HTTP defines (RFC 9110 §9): no resource here supports it.
    NotImplemented(String),
    /// Too many requests wait for a worker, or this one waited past `queue_timeout_ms`.
    Overloaded,
    /// The server already has `max_connections` open; the new one is answered and closed.
    TooManyConnections,
    /// The handler panicked.
    Internal,
    /// `/healthz` found the store unable to serve a request now; carries its details.
    Unhealthy(serde_json::Value),
    /// The app's error (bad input, not found, the store failing).
    App(Error),
}

impl Reject {
    /// The status code, and the header HTTP asks for with it (`Allow` for a 405; `Retry-After`
    /// when shedding load, since the client may come back in a second).
    fn status_and_header(&self) -> (u16, Option<(&'static str, &'static str)>) {
        match self {
            Reject::BadRequest(_) | Reject::HostNotAllowed(_) | Reject::App(Error::BadInput(_)) => {
                (400, None)
            }
            Reject::Unauthorized => (401, Some(("WWW-Authenticate", BASIC_CHALLENGE))),
            Reject::CrossOrigin(_) => (403, None),
            Reject::NoRoute | Reject::App(Error::NotFound) => (404, None),
            Reject::MethodNotAllowed(allow) => (405, Some(("Allow", allow))),
            Reject::RequestTimeout => (408, None),
            Reject::LengthRequired => (411, None),
            Reject::BodyTooLarge(_) => (413, None),
            Reject::UriTooLong(_) => (414, None),
            Reject::UnsupportedMediaType(_) => (415, None),
            Reject::HeadersTooLarge(_) => (431, None),
            Reject::NotImplemented(_) => (501, None),
            Reject::App(Error::Store { .. }) => (502, None),
            Reject::App(Error::StoreUnavailable(_)) | Reject::Unhealthy(_) => (503, None),
            Reject::App(Error::StoreFull(_)) => (507, None),
            Reject::Overloaded | Reject::TooManyConnections => (503, Some(("Retry-After", "1"))),
            Reject::Internal
            | Reject::App(Error::Config(_) | Error::Start { .. } | Error::Io(_)) => (500, None),
        }
    }

    /// The status code of this answer.
    #[cfg(test)]
    pub(crate) fn status(&self) -> u16 {
        self.status_and_header().0
    }

    /// The answer: `page` (HTML) when given, else JSON: `{"error": "..."}`, or for `/healthz`
    /// the same shape as a healthy answer.
    pub(crate) fn response(&self, page: Option<String>) -> Response {
        let (status, header) = self.status_and_header();
        let response = match (page, self) {
            (Some(html), _) => Response::html(status, html),
            (None, Reject::Unhealthy(detail)) => {
                let body = serde_json::json!({ "status": "unavailable", "store": detail });
                Response::json(status, body.to_string())
            }
            (None, _) => {
                let body = serde_json::json!({ "error": self.to_string() });
                Response::json(status, body.to_string())
            }
        };
        match header {
            Some((name, value)) => response.with_header(name, value.to_string()),
            None => response,
        }
    }
}

impl From<Error> for Reject {
    fn from(err: Error) -> Reject {
        Reject::App(err)
    }
}

impl From<std::io::Error> for Reject {
    fn from(err: std::io::Error) -> Reject {
        Reject::App(err.into())
    }
}

impl fmt::Display for Reject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reject::BadRequest(msg) => write!(f, "{msg}"),
            Reject::HostNotAllowed(host) => write!(
                f,
                "host {host:?} is not served here (server.allowed_hosts)"
            ),
            Reject::CrossOrigin(from) => write!(
                f,
                "cross-origin write refused: it came from {from}; submit the form on this site, \
                 or list the page's origin in server.trusted_origins"
            ),
            Reject::Unauthorized => write!(f, "login required to change the phone book"),
            Reject::RequestTimeout => write!(f, "request not received in time"),
            Reject::LengthRequired => write!(f, "a body needs a Content-Length header"),
            Reject::BodyTooLarge(limit) => write!(f, "body too large (limit {limit} bytes)"),
            Reject::UriTooLong(limit) => write!(f, "request target too long (limit {limit} bytes)"),
            Reject::HeadersTooLarge(limit) => {
                write!(f, "request line and headers too large (limit {limit} bytes)")
            }
            Reject::UnsupportedMediaType(ct) => write!(
                f,
                "unsupported content type {ct:?} (use application/x-www-form-urlencoded or application/json)"
            ),
            Reject::NoRoute => write!(f, "route not found"),
            Reject::MethodNotAllowed(allow) => write!(f, "method not allowed (allowed: {allow})"),
            Reject::NotImplemented(method) => write!(f, "method {method:?} not implemented"),
            Reject::Overloaded => write!(f, "server busy, retry later"),
            Reject::TooManyConnections => write!(f, "too many connections"),
            Reject::Internal => write!(f, "internal error"),
            Reject::Unhealthy(_) => write!(f, "storage unavailable"),
            Reject::App(err) => write!(f, "{err}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_apps_errors_map_to_their_statuses() {
        let status = |err: Error| Reject::App(err).status();
        assert_eq!(status(Error::BadInput("name: missing".into())), 400);
        assert_eq!(status(Error::NotFound), 404);
        assert_eq!(status(Error::store("no_type")), 502);
        assert_eq!(status(Error::StoreUnavailable("all down".into())), 503);
        assert_eq!(status(Error::StoreFull("no space".into())), 507);
        assert_eq!(status(Error::Config("x".into())), 500);
    }

    #[test]
    fn shedding_says_when_to_retry_and_a_405_what_is_allowed() {
        for reject in [Reject::Overloaded, Reject::TooManyConnections] {
            let response = reject.response(None);
            assert_eq!(response.status, 503);
            assert_eq!(response.headers, [("Retry-After", "1".to_string())]);
        }
        let response = Reject::MethodNotAllowed("GET, HEAD").response(None);
        assert_eq!(response.headers, [("Allow", "GET, HEAD".to_string())]);
        let login = Reject::Unauthorized.response(None);
        assert_eq!(login.status, 401);
        assert_eq!(
            login.headers,
            [("WWW-Authenticate", BASIC_CHALLENGE.to_string())]
        );
        assert_eq!(Reject::CrossOrigin("x".into()).status(), 403);
        assert_eq!(Reject::HostNotAllowed("x".into()).status(), 400);
        let internal = Reject::Internal.response(None);
        assert_eq!(
            (internal.status, internal.body.as_slice()),
            (500, &br#"{"error":"internal error"}"#[..])
        );
    }
}
