//! The integration tests: one test binary, one module per area.

mod browser;
mod cache;
mod cache_wire;
mod clients;
mod conformance;
mod core;
mod deploy;
mod durability;
mod faults;
mod haproxy;
mod hostile;
mod http_support;
mod isolation;
mod layout;
mod memcached;
mod riak;
mod riak_codec;
mod riak_faults;
mod riak_http;
mod riak_standin;
mod riak_support;
mod stampede;
mod support;
mod webdriver;
