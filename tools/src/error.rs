//! The one error type of the tools: a message for the person at the terminal.
//!
//! The tools are commands, not a library: every failure ends in one line on stderr and a
//! non-zero exit, so a string with enough context is all an error needs to carry.

use std::fmt;

/// A failure, already phrased for the user.
#[derive(Debug)]
pub struct Error(pub String);

/// The tools' result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn new(msg: impl Into<String>) -> Error {
        Error(msg.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Error {
        Error(err.to_string())
    }
}

impl From<lexopt::Error> for Error {
    fn from(err: lexopt::Error) -> Error {
        Error(format!("{err} (see --help)"))
    }
}

impl From<phonebook::error::Error> for Error {
    fn from(err: phonebook::error::Error) -> Error {
        Error(err.to_string())
    }
}

/// Adds context (usually a file name) to an I/O error.
pub fn io_context(what: impl fmt::Display) -> impl FnOnce(std::io::Error) -> Error {
    move |err| Error(format!("{what}: {err}"))
}
