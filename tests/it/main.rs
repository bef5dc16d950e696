//! The integration tests: one test binary, one module per area.

mod core;
mod riak_codec;
mod riak_support;
mod support;
