//! The `phonebook` binary: parse the command line, run, turn an error into an exit code.

#![forbid(unsafe_code)]

use phonebook::cli::{self, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("phonebook: {err}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), phonebook::error::Error> {
    match cli::parse(std::env::args_os().skip(1))? {
        Command::Help => print!("{}", cli::HELP),
        Command::Version => println!("phonebook {}", env!("CARGO_PKG_VERSION")),
        Command::Serve(over) => phonebook::serve(&phonebook::config::load(&over)?)?,
        Command::FlushCache(over) => phonebook::flush_cache(&phonebook::config::load(&over)?)?,
    }
    Ok(())
}
