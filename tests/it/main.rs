//! The integration tests: one test binary, one module per area.

mod cache;
mod core;
mod support;
