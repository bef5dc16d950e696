//! The error of the app, the stores, the cache and start-up: what went wrong, with no notion of
//! HTTP (the front maps it to a status in `http/reject.rs`).
//!
//! Cheap to clone, so one store read's answer can be shared by every caller waiting for it.

use std::fmt;
use std::sync::Arc;

/// The cause of an error, shared between clones.
type Source = Arc<dyn std::error::Error + Send + Sync>;

/// Everything that can go wrong outside the HTTP front, from start-up to a single request.
#[derive(Debug, Clone)]
pub enum Error {
    /// The client sent a value that fails validation; the text names the field.
    BadInput(String),
    /// No contact has that name.
    NotFound,
    /// The store (every node of it) did not answer in time or refused the connection.
    StoreUnavailable(String),
    /// The store cannot take a write for lack of space (a full disk); reads still work, and
    /// the store takes writes again once space is freed.
    StoreFull(String),
    /// The store answered, but with an error (e.g. a Riak error response), or with data that is
    /// not a contact.
    Store {
        message: String,
        source: Option<Source>,
    },
    /// The configuration or command line is invalid; start-up stops.
    Config(String),
    /// Start-up failed for a reason outside the configuration (binding the listen address, the
    /// signal handler, a database file another process holds); start-up stops.
    Start { what: String, source: Source },
    /// An I/O error outside any request, e.g. creating the store's folder.
    Io(Arc<std::io::Error>),
}

impl Error {
    /// A store error known by its text.
    pub fn store(message: impl Into<String>) -> Error {
        Error::Store {
            message: message.into(),
            source: None,
        }
    }

    /// A store error caused by `err`, which [`std::error::Error::source`] returns.
    pub fn store_from(err: impl std::error::Error + Send + Sync + 'static) -> Error {
        Error::Store {
            message: err.to_string(),
            source: Some(Arc::new(err)),
        }
    }

    /// Start-up failed at `what` (e.g. `cannot listen on [::]:80`) because of `err`.
    pub fn start(
        what: impl Into<String>,
        err: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        Error::Start {
            what: what.into(),
            source: Arc::new(err),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadInput(msg) => write!(f, "{msg}"),
            Error::NotFound => write!(f, "contact not found"),
            Error::StoreUnavailable(_) => write!(f, "storage unavailable"),
            Error::StoreFull(why) => write!(f, "storage full: {why}"),
            Error::Store { message, .. } => write!(f, "storage error: {message}"),
            Error::Config(msg) => write!(f, "invalid configuration: {msg}"),
            Error::Start { what, source } => write!(f, "{what}: {source}"),
            Error::Io(err) => write!(f, "i/o error: {err}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Store {
                source: Some(err), ..
            }
            | Error::Start { source: err, .. } => Some(&**err),
            Error::Io(err) => Some(&**err),
            _ => None,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Error {
        Error::Io(Arc::new(err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn a_store_error_keeps_its_source_and_clones_share_it() {
        let err = Error::store_from(std::io::Error::other("disk on fire"));
        let copy = err.clone();
        assert_eq!(copy.to_string(), "storage error: disk on fire");
        assert_eq!(copy.source().unwrap().to_string(), "disk on fire");
        assert!(Error::store("bad value").source().is_none());
    }

    #[test]
    fn a_start_up_failure_is_not_called_a_configuration_error() {
        let err = Error::start(
            "cannot listen on 127.0.0.1:1",
            std::io::Error::other("in use"),
        );
        assert_eq!(err.to_string(), "cannot listen on 127.0.0.1:1: in use");
        assert!(err.source().is_some());
    }
}
