//! The integration tests: one test binary, one module per area.

mod browser;
mod cache;
mod core;
mod durability;
mod hostile;
mod memcached;
mod support;
mod webdriver;
