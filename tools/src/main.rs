//! The `phonebook-tools` binary: the experiment kit, one subcommand per tool.
//!
//! This file only picks the subcommand; each one lives in its own module, parses its own
//! options and prints its own `--help`.

#![forbid(unsafe_code)]

mod args;
mod cost;
mod data;
mod error;
mod experiment;
mod load;
mod net;
mod plan;
mod progress;
mod riak;

use error::{Error, Result};
use lexopt::ValueExt;
use std::process::ExitCode;

const HELP: &str = "\
phonebook-tools: the phonebook experiment kit

USAGE:
    phonebook-tools COMMAND [OPTIONS]     (COMMAND --help explains each)

COMMANDS:
    gen-users         write a reproducible CSV of realistic, unique people
    load-users        load a users file through the API or straight into a store
    gen-workload      write a CSV of adds and Zipf-distributed gets over those people
    loadtest          replay a workload against the service: throughput, latency, errors
    baseline-server   a bare server (tiny_http or hyper) answering one fixed contact: the ceiling
    slowlink          a TCP proxy that delays the one link it sits on
    hog-probe         /healthz latency while other connections never read their answers
    soak              a long load that samples throughput and the service's memory
    experiment        run an experiment plan: start everything, measure, write tables and charts
    cost              the daily cost of a deployment, from a price table and measured results
    plan              machines and daily cost for target request rates, from measured costs
    riak-bench        Riak store operations per second: APIs, write modes, clients
    riak-standin      a Riak stand-in (PBC and HTTP subset) in the foreground
";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("phonebook-tools: {err}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<()> {
    let mut parser = lexopt::Parser::from_env();
    let command = match parser.next()? {
        Some(lexopt::Arg::Value(command)) => command.string()?,
        Some(lexopt::Arg::Short('h') | lexopt::Arg::Long("help")) | None => {
            print!("{HELP}");
            return Ok(());
        }
        Some(other) => return Err(other.unexpected().into()),
    };
    match command.as_str() {
        "gen-users" => data::users::run(parser),
        "load-users" => load::load_users::run(parser),
        "gen-workload" => data::workload::run(parser),
        "loadtest" => load::loadtest::run(parser),
        "baseline-server" => net::baseline::run(parser),
        "slowlink" => net::slowlink::run(parser),
        "hog-probe" => load::hogs::run(parser),
        "soak" => load::soak::run(parser),
        "experiment" => experiment::run(parser),
        "cost" => cost::run(parser),
        "plan" => plan::run(parser),
        "riak-bench" => riak::bench::run(parser),
        "riak-standin" => riak::standin::run(parser),
        "help" => {
            print!("{HELP}");
            Ok(())
        }
        other => Err(Error::new(format!(
            "unknown command {other:?} (see --help)"
        ))),
    }
}
