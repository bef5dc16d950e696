//! Riak at the command line: the store's operations per second by API, write mode and number of
//! clients (`bench`, its options in `bench_options`), and the test stand-in as a process of its
//! own (`standin`).

pub mod bench;
mod bench_options;
pub mod standin;
