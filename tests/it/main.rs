//! The integration tests: one test binary, one module per area.

mod core;
mod riak;
mod riak_codec;
mod riak_faults;
mod riak_http;
mod riak_standin;
mod riak_support;
mod support;
