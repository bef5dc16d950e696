//! The tools' integration tests: one test binary, one module per area. They run the real
//! `phonebook-tools` binary and the real `phonebook` service (built next to it by
//! `cargo test --workspace`), on loopback only.

mod data;
mod experiment;
mod jmeter;
mod load;
mod open_loop;
mod riak;
mod slowlink;
mod support;
