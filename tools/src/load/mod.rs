//! The load clients: one HTTP client (`client`) shared by the workload replay (`loadtest`),
//! the long run that also samples memory (`soak`) and the bulk loader (`load_users`); when
//! each request is due, closed or open loop, is decided in one place (`pace`), and their
//! latency figures are summed up in another (`report`). `hogs` measures one client's latency
//! while others pipeline requests and never read.

pub mod client;
pub mod hogs;
pub mod load_users;
pub mod loadtest;
pub mod pace;
pub mod report;
pub mod soak;
