//! The tools' integration tests: one test binary, one module per area. They run the real
//! `phonebook-tools` binary and the real `phonebook` service (built next to it by
//! `cargo test --workspace`), on loopback only.

// The data generators: a seed fixes the users file, the workload has its mix and skew.
mod data;
// The experiment runner end to end on a tiny plan.
mod experiment;
// The JMeter plan run for real against the service.
mod jmeter;
// `load-users` and `loadtest` against the real service.
mod load;
// Open loop shows a stall in its latencies; closed loop hides it.
mod open_loop;
// `riak-standin` and `riak-bench` as a user runs them.
mod riak;
// `slowlink` adds its delay, keeps byte order and passes the end of stream.
mod slowlink;
// Helpers: run the tools, start the service, temp folders, digests.
mod support;
