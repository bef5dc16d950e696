//! Riak at the command line: the PBC-against-HTTP bench (`bench`) and the test stand-in as a
//! process of its own (`standin`).

pub mod bench;
pub mod standin;
