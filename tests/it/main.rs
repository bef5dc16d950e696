//! The integration tests: one test binary, one module per area.

mod core;
mod hostile;
mod support;
