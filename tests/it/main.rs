//! The integration tests: one test binary, one module per area.

mod browser;
mod cache;
mod core;
mod docs;
mod durability;
mod faults;
mod hostile;
mod layout;
mod memcached;
mod riak;
mod riak_codec;
mod riak_faults;
mod riak_http;
mod riak_standin;
mod riak_support;
mod support;
mod webdriver;
