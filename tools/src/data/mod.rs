//! The data the experiments run on: names, users, workloads, and the generators behind them.

pub mod csv;
pub mod names;
pub mod rng;
pub mod users;
pub mod workload;
pub mod zipf;
