//! The integration tests: one test binary, one module per area.

mod browser;
mod cache;
mod core;
mod durability;
mod faults;
mod hostile;
mod memcached;
mod riak;
mod riak_answers;
mod riak_codec;
mod riak_deadline;
mod riak_faults;
mod riak_http;
mod riak_restart;
mod riak_standin;
mod riak_standin_real;
mod riak_support;
mod riak_writes;
mod support;
mod webdriver;
