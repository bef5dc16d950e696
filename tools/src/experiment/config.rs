//! One configuration of an experiment plan (a `[[config]]` table): what it runs, how it is
//! checked, and how it is described in tables. The plan around it is `plan.rs`. Every choice is
//! an enum, parsed once when the plan is read; the runner matches on variants, never on text.

use crate::error::{Error, Result};
use phonebook::cache::{parse_url as parse_cache_url, CacheUrl};
use phonebook::store::{parse_url as parse_store_url, StoreUrl};
use serde::Deserialize;
use std::fmt;

/// One configuration to measure; every key but `name` has a default.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub name: String,
    pub server: Server,
    pub mode: Mode,
    pub threads: usize,
    pub store: Store,
    /// Stand-in nodes to start.
    pub nodes: usize,
    pub cache: Cache,
    /// memcached servers the runner starts when `cache` is `memcached`.
    pub cache_servers: usize,
    /// Links behind a slow link.
    pub slow: Vec<Link>,
    /// Overrides the plan's load concurrency.
    pub concurrency: Option<usize>,
    /// Overrides the plan's open-loop rate for the latency runs (requests per second).
    pub rate: Option<f64>,
    /// Overrides the `[standin]` profile for this configuration's stand-in.
    pub standin_profile: Option<Profile>,
}

/// What serves the requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Server {
    Phonebook,
    /// The bare tiny_http server: the ceiling.
    Baseline,
}

/// The service's mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Debug,
    Production,
}

/// Where the contacts live: `embedded`, `standin-pbc`, `standin-http` (the runner starts the
/// stand-in), or a `pbc://…` / `http://…` URL of real Riak nodes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum Store {
    Embedded,
    Standin(Api),
    /// Real nodes: the URL as written, and the nodes it names.
    Riak {
        url: String,
        api: Api,
        nodes: Vec<String>,
    },
}

/// Which Riak API a store is reached through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Pbc,
    Http,
}

/// The cache: `off`, `memcached` (the runner starts one) or a `memcache://` URL of servers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum Cache {
    Off,
    Memcached,
    /// Servers of your own: the URL as written, and the servers it names.
    External {
        url: String,
        nodes: Vec<String>,
    },
}

/// A link that can be put behind a slow link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Link {
    /// Clients to service.
    Front,
    Store,
    Cache,
}

/// The stand-in's speed: `fast`, or `real` (calibrated to a real cluster's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    Fast,
    Real,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            name: String::new(),
            server: Server::Phonebook,
            mode: Mode::Debug,
            threads: 16,
            store: Store::Embedded,
            nodes: 1,
            cache: Cache::Off,
            cache_servers: 1,
            slow: Vec::new(),
            concurrency: None,
            rate: None,
            standin_profile: None,
        }
    }
}

impl Config {
    /// Checks what the types cannot (the plan checks what spans configurations).
    pub fn check(&self) -> Result<()> {
        let bad = |msg: &str| Err(Error::new(msg));
        if !is_label(&self.name) {
            return bad("name: use letters, digits, - _ . +");
        }
        if !(1..=1024).contains(&self.threads) || !(1..=16).contains(&self.nodes) {
            return bad("threads must be 1 to 1024, nodes 1 to 16");
        }
        let phonebook = self.server == Server::Phonebook;
        for link in &self.slow {
            match link {
                Link::Front => {}
                Link::Store if self.store != Store::Embedded && phonebook => {}
                Link::Cache if self.cache != Cache::Off && phonebook => {}
                Link::Store | Link::Cache => {
                    return bad("slow names a link this configuration lacks")
                }
            }
        }
        if !(1..=8).contains(&self.cache_servers)
            || (self.cache_servers > 1 && self.cache != Cache::Memcached)
        {
            return bad(
                "cache_servers must be 1 to 8, and more than 1 only with cache = \"memcached\"",
            );
        }
        if self.concurrency == Some(0) {
            return bad("concurrency must be at least 1");
        }
        check_rate(self.rate)
    }

    /// Whether `link` is behind a slow link.
    pub fn is_slow(&self, link: Link) -> bool {
        self.slow.contains(&link)
    }

    /// A short description for tables: mode, threads, store, cache, slow links.
    pub fn describe(&self) -> String {
        if self.server == Server::Baseline {
            return format!("bare tiny_http, {} threads", self.threads);
        }
        let mode = match self.mode {
            Mode::Debug => "debug".to_string(),
            Mode::Production => format!("production ×{}", self.threads),
        };
        let nodes = if self.nodes > 1 {
            format!(" ×{} nodes", self.nodes)
        } else {
            String::new()
        };
        let slow = if self.slow.is_empty() {
            String::new()
        } else {
            let links: Vec<&str> = self.slow.iter().map(|l| l.name()).collect();
            format!(", slow {}", links.join("+"))
        };
        format!(
            "{mode}, {}{nodes}, cache {}{slow}",
            self.store,
            self.cache_name()
        )
    }

    /// The cache as tables show it: `memcached ×2` for two servers started by the runner.
    pub fn cache_name(&self) -> String {
        match self.cache_servers {
            1 => self.cache.to_string(),
            n => format!("{} ×{n}", self.cache),
        }
    }
}

impl TryFrom<String> for Store {
    type Error = Error;

    fn try_from(text: String) -> Result<Store> {
        let riak = text.starts_with("pbc://") || text.starts_with("http://");
        match text.as_str() {
            "embedded" => Ok(Store::Embedded),
            "standin-pbc" => Ok(Store::Standin(Api::Pbc)),
            "standin-http" => Ok(Store::Standin(Api::Http)),
            url if riak => {
                let (api, nodes) = match parse_store_url(url)? {
                    StoreUrl::RiakPbc(nodes) => (Api::Pbc, nodes),
                    StoreUrl::RiakHttp(nodes) => (Api::Http, nodes),
                    StoreUrl::Embedded(_) => unreachable!("a Riak scheme"),
                };
                Ok(Store::Riak {
                    url: text,
                    api,
                    nodes,
                })
            }
            _ => Err(Error::new(
                "store must be embedded, standin-pbc, standin-http, pbc://… or http://…",
            )),
        }
    }
}

impl TryFrom<String> for Cache {
    type Error = Error;

    fn try_from(text: String) -> Result<Cache> {
        match text.as_str() {
            "off" => Ok(Cache::Off),
            "memcached" => Ok(Cache::Memcached),
            url if url.starts_with("memcache://") => match parse_cache_url(url)? {
                CacheUrl::Memcache(nodes) => Ok(Cache::External { url: text, nodes }),
                CacheUrl::Off => unreachable!("a memcache URL"),
            },
            _ => Err(Error::new(
                "cache must be off, memcached or memcache://host:port",
            )),
        }
    }
}

impl Api {
    /// The scheme of a store URL through this API.
    pub fn scheme(self) -> &'static str {
        match self {
            Api::Pbc => "pbc://",
            Api::Http => "http://",
        }
    }
}

impl Link {
    /// The name in plans and tables.
    pub fn name(self) -> &'static str {
        match self {
            Link::Front => "front",
            Link::Store => "store",
            Link::Cache => "cache",
        }
    }
}

impl fmt::Display for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Store::Embedded => f.write_str("embedded"),
            Store::Standin(Api::Pbc) => f.write_str("standin-pbc"),
            Store::Standin(Api::Http) => f.write_str("standin-http"),
            Store::Riak { url, .. } => f.write_str(url),
        }
    }
}

impl fmt::Display for Cache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cache::Off => f.write_str("off"),
            Cache::Memcached => f.write_str("memcached"),
            Cache::External { url, .. } => f.write_str(url),
        }
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Profile::Fast => "fast",
            Profile::Real => "real",
        })
    }
}

pub fn check_rate(rate: Option<f64>) -> Result<()> {
    match rate {
        Some(r) if !(r.is_finite() && (0.1..=1_000_000.0).contains(&r)) => Err(Error::new(
            "rate must be 0.1 to 1000000 requests per second",
        )),
        _ => Ok(()),
    }
}

/// Names used in paths and tables: letters, digits and `-_.+`.
pub fn is_label(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.+".contains(&b))
}
