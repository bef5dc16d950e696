//! What an experiment puts on the network besides the service: the bare servers that are the
//! throughput ceilings (`baseline`, with hyper's in `hyper_baseline`) and the proxy that makes
//! one link slow (`slowlink`).

pub mod baseline;
pub mod hyper_baseline;
pub mod slowlink;

/// The answer to every request: what `GET /contacts/John%20Doe` returns from the service.
pub const BODY: &str = r#"{"name":"John Doe","number":"+358408053254"}"#;
