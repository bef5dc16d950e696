//! The integration tests: one test binary, one module per area.

mod browser;
mod core;
mod durability;
mod hostile;
mod support;
mod webdriver;
