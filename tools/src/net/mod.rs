//! What an experiment puts on the network besides the service: the bare server that is the
//! throughput ceiling (`baseline`) and the proxy that makes one link slow (`slowlink`).

pub mod baseline;
pub mod slowlink;
