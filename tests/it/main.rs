//! The integration tests: one test binary, one module per area.

mod browser;
mod core;
mod support;
mod webdriver;
