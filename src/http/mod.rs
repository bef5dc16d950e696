//! The HTTP front: everything that knows HTTP, and nothing else does.
//!
//! A request travels down this folder in order: `server` accepts a connection (within the
//! descriptor limits of `fds`) and gives it a thread, `conn` serves it, `request` reads one
//! request off it within the limits (`head` holds the rules a head must follow), `gate` bounds
//! how many are handled at once, `routes` maps it to a call on the app (and an error to a status
//! code, in one place), `page` renders the HTML answers, and `response` (with `date`) puts the
//! answer on the wire. Below this folder, `app`, `store` and `cache` never
//! see a header or a status code.

pub mod conn;
pub mod date;
pub mod fds;
pub mod gate;
pub mod head;
pub mod page;
pub mod request;
pub mod response;
pub mod routes;
pub mod server;

pub use server::Server;
