//! phonebook: a phone book over HTTP, backed by an embedded store or a Riak KV cluster.
//!
//! The binary is a thin shell over [`run`]. The public modules are what the integration tests
//! and `tools/` use; the HTTP front and the plumbing stay private. docs/architecture.md maps the
//! code.

#![forbid(unsafe_code)]

// What tests/ and tools/ use: the app and the cache (the stampede test drives them directly),
// the configuration, the contact and its rules, the error, the stores, and URL encoding.
pub mod app;
pub mod cache;
pub mod config;
pub mod contact;
pub mod error;
pub mod store;
pub mod url;

mod cli;
mod flight;
mod http;
mod httpdate;
mod metrics;
mod pool;
mod throttle;
mod transfer;

/// The open files a server needs (the deploy test checks the systemd unit against it).
pub use http::open_files_needed;

use cli::Command;
use config::{Config, Mode};
use error::Error;
use std::ffi::OsString;
use std::sync::Arc;

/// Runs the command line `args` (without the program name): serve, flush the cache, export or
/// import the contacts, or print the help or the version.
pub fn run(args: impl IntoIterator<Item = OsString>) -> Result<(), Error> {
    match cli::parse(args)? {
        Command::Help => print!("{}", cli::HELP),
        Command::Version => println!("phonebook {}", env!("CARGO_PKG_VERSION")),
        Command::Serve(over) => serve(&config::load(&over)?)?,
        Command::FlushCache(over) => flush_cache(&config::load(&over)?)?,
        Command::Export(over) => export(&config::load(&over)?)?,
        Command::Import(over) => import(&config::load(&over)?)?,
    }
    Ok(())
}

/// Opens the store, binds, prints the address, and serves until SIGINT or SIGTERM.
fn serve(config: &Config) -> Result<(), Error> {
    init_logging(config.server.mode)?;
    let store = store::open(&config.store, config.server.workers())?;
    let cache = cache::Cache::open(&config.cache, config.server.workers());
    match &config.cache.url {
        cache::CacheUrl::Off => log::info!("cache: off"),
        cache::CacheUrl::Memcache(addrs) => log::info!(
            "cache: memcached at {} (entries live {} s)",
            addrs.join(", "),
            config.cache.ttl_secs
        ),
    }
    let app = Arc::new(app::App::new(store).with_cache(cache));
    let htpasswd = match &config.auth.htpasswd {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| Error::start(format!("cannot read {}", path.display()), e))?,
        ),
        None => None,
    };
    let server = http::Server::bind(&config.server, &config.auth, htpasswd.as_deref())?;
    let stop = server.stop_handle();
    ctrlc::set_handler(move || stop.stop())
        .map_err(|e| Error::start("cannot install the signal handler", e))?;
    // Printed on stdout, whatever the log level: scripts and tests read the real port here.
    println!("phonebook listening on http://{}", server.local_addr());
    server.run(app);
    Ok(())
}

/// Empties every memcached server the configuration names; prints each one flushed.
fn flush_cache(config: &Config) -> Result<(), Error> {
    for addr in cache::flush_all(&config.cache)? {
        println!("flushed memcached {addr}");
    }
    Ok(())
}

/// Writes every contact of the store to standard output; the count goes to standard error.
fn export(config: &Config) -> Result<(), Error> {
    log_warnings();
    let store = store::open(&config.store, 1)?;
    let mut progress = transfer::Progress::on_terminal();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let count = transfer::export(&*store, &mut out, &mut progress)?;
    progress.done();
    eprintln!("exported {count} contacts");
    Ok(())
}

/// Stores every contact of standard input through the app (store, then cache); reports the
/// lines it skipped, and fails at the end if there were any.
fn import(config: &Config) -> Result<(), Error> {
    log_warnings();
    let store = store::open(&config.store, transfer::WRITERS)?;
    let cache = cache::Cache::open(&config.cache, transfer::WRITERS);
    let app = app::App::new(store).with_cache(cache);
    let mut progress = transfer::Progress::on_terminal();
    let done = transfer::import(&app, &mut std::io::stdin().lock(), &mut progress);
    progress.done();
    let done = done?;
    for skipped in &done.skipped {
        eprintln!("phonebook import: skipped {skipped}");
    }
    eprintln!(
        "imported {} contacts, skipped {} lines",
        done.written,
        done.skipped.len()
    );
    match done.skipped.len() {
        0 => Ok(()),
        n => Err(Error::BadInput(format!(
            "{n} lines were not contacts (listed above); every other line was imported"
        ))),
    }
}

/// Logging for the one-shot commands: warnings only, on standard error (stdout is data).
fn log_warnings() {
    let env = env_logger::Env::default().default_filter_or("warn");
    let _ = env_logger::Builder::from_env(env).try_init();
}

/// Logs at the mode's level, or `RUST_LOG`'s, which must be valid: env_logger takes any word
/// for a module name, so a typo would silently turn every line off.
fn init_logging(mode: Mode) -> Result<(), Error> {
    let level = match mode {
        Mode::Debug => "debug",
        Mode::Production => "info",
    };
    if let Ok(filter) = std::env::var("RUST_LOG") {
        check_log_filter(&filter)?;
    }
    let env = env_logger::Env::default().default_filter_or(level);
    let _ = env_logger::Builder::from_env(env).try_init();
    Ok(())
}

/// `RUST_LOG` must be a comma-separated list of `LEVEL` or `TARGET=LEVEL`.
fn check_log_filter(filter: &str) -> Result<(), Error> {
    const LEVELS: [&str; 6] = ["off", "error", "warn", "info", "debug", "trace"];
    let level = |l: &str| LEVELS.iter().any(|x| x.eq_ignore_ascii_case(l));
    let target = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_:-".contains(&b))
    };
    for directive in filter.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        let ok = match directive.split_once('=') {
            Some((t, l)) => target(t) && level(l),
            None => level(directive),
        };
        if !ok {
            return Err(Error::Config(format!(
                "RUST_LOG={filter:?}: {directive:?} is neither LEVEL nor TARGET=LEVEL \
                 (LEVEL: off, error, warn, info, debug or trace)"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn rust_log_takes_levels_and_targets_with_levels() {
        for ok in [
            "",
            "warn",
            "INFO",
            "phonebook=debug,warn",
            "phonebook::http=trace, ureq=off",
        ] {
            assert!(super::check_log_filter(ok).is_ok(), "{ok}");
        }
        for bad in [
            "nonsense",
            "phonebook",
            "warn,x",
            "a=loud",
            "=warn",
            "info/foo",
        ] {
            let err = super::check_log_filter(bad).unwrap_err().to_string();
            assert!(err.contains("RUST_LOG"), "{bad}: {err}");
        }
    }
}
