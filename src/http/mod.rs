//! The HTTP front: everything that knows HTTP, and nothing else does.
//!
//! A request's path through these modules is told in docs/architecture.md.

mod card;
mod conn;
mod date;
mod fds;
mod gate;
mod guard;
mod head;
mod login;
mod page;
mod reject;
mod request;
mod response;
mod routes;
mod server;
mod target;
mod tel;

pub use fds::open_files_needed;
pub(crate) use server::Server;
