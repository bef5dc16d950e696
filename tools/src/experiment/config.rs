//! One configuration of an experiment plan (a `[[config]]` table): what it runs, how it is
//! checked, and how it is described in tables. The plan around it is `plan.rs`.

use crate::error::{Error, Result};
use serde::Deserialize;

/// One configuration to measure; every key but `name` has a default.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub name: String,
    /// `phonebook` or `baseline` (the bare tiny_http server).
    pub server: String,
    /// `debug` or `production`.
    pub mode: String,
    pub threads: usize,
    /// `embedded`, `standin-pbc`, `standin-http`, or `pbc://…` / `http://…` of real nodes.
    pub store: String,
    /// Stand-in nodes to start.
    pub nodes: usize,
    /// `off`, `memcached`, or `memcache://host:port`.
    pub cache: String,
    /// Links behind a slow link: `front` (clients to service), `store`, `cache`.
    pub slow: Vec<String>,
    /// Overrides the plan's load concurrency.
    pub concurrency: Option<usize>,
    /// Overrides the plan's open-loop rate for the latency runs (requests per second).
    pub rate: Option<f64>,
    /// Overrides the `[standin]` profile for this configuration's stand-in.
    pub standin_profile: Option<String>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            name: String::new(),
            server: "phonebook".into(),
            mode: "debug".into(),
            threads: 16,
            store: "embedded".into(),
            nodes: 1,
            cache: "off".into(),
            slow: Vec::new(),
            concurrency: None,
            rate: None,
            standin_profile: None,
        }
    }
}

impl Config {
    /// Checks the configuration on its own (the plan checks what spans configurations).
    pub fn check(&self) -> Result<()> {
        let bad = |msg: &str| Err(Error::new(msg));
        if !is_label(&self.name) {
            return bad("name: use letters, digits, - _ . +");
        }
        if !["phonebook", "baseline"].contains(&self.server.as_str()) {
            return bad("server must be phonebook or baseline");
        }
        if !["debug", "production"].contains(&self.mode.as_str()) {
            return bad("mode must be debug or production");
        }
        if !(1..=1024).contains(&self.threads) || !(1..=16).contains(&self.nodes) {
            return bad("threads must be 1 to 1024, nodes 1 to 16");
        }
        let networked = self.store != "embedded";
        if !matches!(
            self.store.as_str(),
            "embedded" | "standin-pbc" | "standin-http"
        ) && !self.store.starts_with("pbc://")
            && !self.store.starts_with("http://")
        {
            return bad("store must be embedded, standin-pbc, standin-http, pbc://… or http://…");
        }
        if self.cache != "off"
            && self.cache != "memcached"
            && !self.cache.starts_with("memcache://")
        {
            return bad("cache must be off, memcached or memcache://host:port");
        }
        for link in &self.slow {
            match link.as_str() {
                "front" => {}
                "store" if networked && self.server == "phonebook" => {}
                "cache" if self.cache != "off" && self.server == "phonebook" => {}
                "store" | "cache" => return bad("slow names a link this configuration lacks"),
                _ => return bad("slow may name front, store and cache"),
            }
        }
        if self.concurrency == Some(0) {
            return bad("concurrency must be at least 1");
        }
        check_rate(self.rate)?;
        check_profile(self.standin_profile.as_deref())
            .map_err(|e| Error::new(format!("standin_{e}")))
    }

    /// A short description for tables: mode, threads, store, cache, slow links.
    pub fn describe(&self) -> String {
        if self.server == "baseline" {
            return format!("bare tiny_http, {} threads", self.threads);
        }
        let mode = match self.mode.as_str() {
            "debug" => "debug".to_string(),
            _ => format!("production ×{}", self.threads),
        };
        let nodes = if self.nodes > 1 {
            format!(" ×{} nodes", self.nodes)
        } else {
            String::new()
        };
        let slow = if self.slow.is_empty() {
            String::new()
        } else {
            format!(", slow {}", self.slow.join("+"))
        };
        format!("{mode}, {}{nodes}, cache {}{slow}", self.store, self.cache)
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

pub fn check_profile(profile: Option<&str>) -> Result<()> {
    match profile {
        None | Some("fast" | "real") => Ok(()),
        Some(other) => Err(Error::new(format!("profile {other:?}: fast or real"))),
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
