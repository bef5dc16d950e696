//! What an experiment puts on the network besides the service: the bare servers that are the
//! throughput ceilings (`baseline`, with hyper's in `hyper_baseline`) and the proxy that makes
//! one link slow (`slowlink`).

pub mod baseline;
pub mod hyper_baseline;
pub mod slowlink;
