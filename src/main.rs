//! The `phonebook` binary: run the command line, print an error once, exit with its code.

#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    match phonebook::run(std::env::args_os().skip(1)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("phonebook: {err}");
            ExitCode::from(2)
        }
    }
}
