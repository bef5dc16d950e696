//! phonebook-tools: the experiment kit's commands, one subcommand each.

mod riak_bench;
mod riak_standin;

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_default();
    let rest: Vec<String> = args.collect();
    let result = match command.as_str() {
        "riak-bench" => riak_bench::run(rest),
        "riak-standin" => riak_standin::run(rest),
        other => Err(format!(
            "unknown command {other:?}; commands: riak-bench, riak-standin"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("phonebook-tools: {err}");
            ExitCode::from(2)
        }
    }
}
