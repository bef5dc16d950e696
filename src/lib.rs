//! phonebook: a phone book over HTTP, backed by an embedded store or a Riak KV cluster.
//!
//! The binary is a thin shell over [`serve`] and [`flush_cache`]; everything lives here so that the integration tests
//! and `tools/` reuse the same code. See docs/architecture.md for the code map.

#![forbid(unsafe_code)]

pub mod app;
pub mod cache;
pub mod cli;
pub mod config;
pub mod contact;
pub mod error;
pub mod http;
pub mod httpdate;
pub mod metrics;
pub mod pool;
pub mod store;
pub mod url;

use config::{Config, Mode};
use error::Error;
use std::sync::Arc;

/// Opens the store, binds, prints the address, and serves until SIGINT or SIGTERM.
pub fn serve(config: &Config) -> Result<(), Error> {
    init_logging(config.server.mode);
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
    let server = http::Server::bind(&config.server)?;
    let stop = server.stop_handle();
    ctrlc::set_handler(move || stop.stop())
        .map_err(|e| Error::Config(format!("cannot install the signal handler: {e}")))?;
    // Printed on stdout, whatever the log level: scripts and tests read the real port here.
    println!("phonebook listening on http://{}", server.local_addr());
    server.run(app);
    Ok(())
}

/// Empties every memcached server the configuration names; prints each one flushed.
pub fn flush_cache(config: &Config) -> Result<(), Error> {
    for addr in cache::flush_all(&config.cache)? {
        println!("flushed memcached {addr}");
    }
    Ok(())
}

fn init_logging(mode: Mode) {
    let level = match mode {
        Mode::Debug => "debug",
        Mode::Production => "info",
    };
    let env = env_logger::Env::default().default_filter_or(level);
    let _ = env_logger::Builder::from_env(env).try_init();
}
