//! The data an experiment runs on: reproducible people (`users`, from `names` and the tools'
//! own `rng`) and the request mix over them (`workload`, with its `zipf` skew), written and read
//! as the small CSV dialect of `csv`.

pub mod csv;
pub mod names;
pub mod rng;
pub mod users;
pub mod workload;
pub mod zipf;
