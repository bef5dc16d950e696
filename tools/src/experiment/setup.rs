//! What one experiment configuration runs on: its store, its cache, and the slow links between,
//! started before its runs and stopped (dropped) after them.
//!
//! The service itself is started per run (see `mod.rs`); what is here lives across the runs of
//! a configuration, so the loaded users stay, and only the cache is emptied between runs (here
//! too, as the cache is part of the setup).

use crate::error::{Error, Result};
use crate::experiment::config::{Api, Cache, Link, Store};
use crate::experiment::plan::{Config, Plan};
use crate::experiment::procs::{self, Proc};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The backing processes of a configuration and the URLs the service is given.
pub struct Setup {
    /// `--store` for the service.
    pub store_url: String,
    /// `--cache` for the service.
    pub cache_url: String,
    /// memcached servers to empty before each run (their real addresses, not the slow links').
    pub memcached: Vec<String>,
    /// The memcached processes started here, whose CPU time a run measures.
    pub memcached_pids: Vec<u32>,
    /// The processes, stopped on drop.
    procs: Vec<Proc>,
    /// Whether `phonebook flush-cache` works (else memcached is emptied with `flush_all`).
    flush_command: Option<bool>,
    tools: PathBuf,
    logs: PathBuf,
    plan: Plan,
}

impl Setup {
    /// Starts the store, cache and slow links a configuration asks for.
    pub fn start(plan: &Plan, config: &Config, tools: &Path, dir: &Path) -> Result<Setup> {
        let mut setup = Setup {
            store_url: String::new(),
            cache_url: "off".into(),
            memcached: Vec::new(),
            memcached_pids: Vec::new(),
            procs: Vec::new(),
            flush_command: None,
            tools: tools.to_path_buf(),
            logs: dir.join("logs"),
            plan: plan.clone(),
        };
        let (slow_store, slow_cache) = (config.is_slow(Link::Store), config.is_slow(Link::Cache));
        setup.store_url = match &config.store {
            Store::Embedded => {
                let file = dir.join("data").join(format!("{}.redb", config.name));
                let _ = std::fs::remove_file(&file);
                format!("embedded:{}", file.display())
            }
            Store::Standin(api) => setup.standin(config, *api, slow_store)?,
            Store::Riak { api, nodes, .. } => {
                format!(
                    "{}{}",
                    api.scheme(),
                    setup.hosts(nodes, slow_store, "store")?
                )
            }
        };
        setup.cache_url = match &config.cache {
            Cache::Off => "off".into(),
            Cache::Memcached => setup.memcached(config, slow_cache)?,
            Cache::External { nodes, .. } => {
                setup.memcached.extend(nodes.iter().cloned());
                format!("memcache://{}", setup.hosts(nodes, slow_cache, "cache")?)
            }
        };
        Ok(setup)
    }

    /// A slow link in front of `upstream`; returns the address to use instead.
    pub fn slow_link(&mut self, upstream: &str, tag: &str) -> Result<String> {
        let s = &self.plan.slowlink;
        let mut args = vec![
            "slowlink".to_string(),
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--upstream".into(),
            upstream.into(),
            "--delay".into(),
            s.delay_ms.to_string(),
            "--jitter".into(),
            s.jitter_ms.to_string(),
        ];
        if let Some(rate) = s.rate_kbit {
            args.extend(["--rate".into(), rate.to_string()]);
        }
        let log = self.logs.join(format!("slowlink-{tag}.log"));
        let (proc, addr) =
            procs::spawn_announcing(&self.tools, &args, &log, "slowlink listening on ")?;
        self.procs.push(proc);
        Ok(addr)
    }

    /// Puts slow links in front of `addrs` when `slow`, and joins them into a URL host list.
    fn hosts(&mut self, addrs: &[String], slow: bool, tag: &str) -> Result<String> {
        let mut hosts = Vec::new();
        for (i, addr) in addrs.iter().enumerate() {
            hosts.push(if slow {
                self.slow_link(addr, &format!("{tag}{i}"))?
            } else {
                addr.clone()
            });
        }
        Ok(hosts.join(","))
    }

    /// Starts the Riak stand-in with the configuration's node count (and speed profile).
    fn standin(&mut self, config: &Config, api: Api, slow: bool) -> Result<String> {
        let mut nodes = Vec::new();
        for _ in 0..config.nodes {
            nodes.push((procs::free_addr()?, procs::free_addr()?));
        }
        let args = standin_args(&self.plan, config, &nodes);
        let (pbc, http): (Vec<SocketAddr>, Vec<SocketAddr>) = nodes.into_iter().unzip();
        let all: Vec<SocketAddr> = pbc.iter().chain(&http).copied().collect();
        let log = self.logs.join(format!("standin-{}.log", config.name));
        let proc = procs::spawn_listening(&self.tools, &args, &log, &all)?;
        self.procs.push(proc);
        let addrs = match api {
            Api::Pbc => pbc,
            Api::Http => http,
        };
        let addrs: Vec<String> = addrs.iter().map(SocketAddr::to_string).collect();
        Ok(format!(
            "{}{}",
            api.scheme(),
            self.hosts(&addrs, slow, "store")?
        ))
    }

    /// Starts the configuration's local memcached servers, each on a free port.
    fn memcached(&mut self, config: &Config, slow: bool) -> Result<String> {
        let mut addrs = Vec::new();
        for i in 0..config.cache_servers {
            addrs.push(self.one_memcached(config, i)?);
        }
        Ok(format!("memcache://{}", self.hosts(&addrs, slow, "cache")?))
    }

    /// Starts one memcached on a free port; returns its address.
    fn one_memcached(&mut self, config: &Config, index: usize) -> Result<String> {
        let addr = procs::free_addr()?;
        let args = [
            "-l".to_string(),
            addr.ip().to_string(),
            "-p".into(),
            addr.port().to_string(),
            "-U".into(),
            "0".into(),
            "-m".into(),
            "64".into(),
            // Needed when run as root (ignored otherwise): memcached refuses to run as root.
            "-u".into(),
            "nobody".into(),
        ];
        let log = self
            .logs
            .join(format!("memcached-{}-{index}.log", config.name));
        let proc = procs::spawn_listening(Path::new("memcached"), &args, &log, &[addr])
            .map_err(|e| Error::new(format!("cannot start memcached (is it installed?): {e}")))?;
        self.memcached_pids.push(proc.pid());
        self.procs.push(proc);
        self.memcached.push(addr.to_string());
        Ok(addr.to_string())
    }

    /// Empties every memcached of the configuration: with the service's own `phonebook
    /// flush-cache` where it has it, else with the text protocol's `flush_all`.
    pub fn empty_cache(&mut self, phonebook: &Path) -> Result<()> {
        for addr in &self.memcached {
            if self.flush_command != Some(false) {
                let status = Command::new(phonebook)
                    .args(["flush-cache", "--cache", &format!("memcache://{addr}")])
                    .current_dir(&self.logs)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()?;
                self.flush_command = Some(status.success());
                if status.success() {
                    continue;
                }
            }
            procs::flush_memcached(addr)?;
        }
        Ok(())
    }

    /// Fails if a backing process has died (a run on a dead store measures nothing).
    pub fn check_alive(&mut self) -> Result<()> {
        self.procs.iter_mut().try_for_each(Proc::check_alive)
    }
}

/// The stand-in's command line: the plan's `args`, its `node_args` once per `(pbc, http)` node,
/// and `--profile P` only when the plan or the configuration names a profile, so that a
/// stand-in without profiles still starts when none is asked for.
fn standin_args(plan: &Plan, config: &Config, nodes: &[(SocketAddr, SocketAddr)]) -> Vec<String> {
    let spec = &plan.standin;
    let mut args = spec.args.clone();
    for (pbc, http) in nodes {
        args.extend(spec.node_args.iter().map(|a| {
            a.replace("{pbc}", &pbc.to_string())
                .replace("{http}", &http.to_string())
        }));
    }
    if let Some(profile) = plan.standin_profile(config) {
        args.extend(["--profile".to_string(), profile.to_string()]);
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_is_passed_only_when_asked_for() {
        let addr = |port: u16| SocketAddr::from(([127, 0, 0, 1], port));
        let nodes = [(addr(1), addr(2)), (addr(3), addr(4))];
        let plan = Plan::parse(
            "name = \"x\"\n[[config]]\nname = \"a\"\nstore = \"standin-pbc\"\n\
                                [[config]]\nname = \"b\"\nstandin_profile = \"real\"\n",
        )
        .unwrap();
        let plain = standin_args(&plan, &plan.configs[0], &nodes);
        assert_eq!(
            plain.join(" "),
            "riak-standin --pbc 127.0.0.1:1 --http 127.0.0.1:2 --pbc 127.0.0.1:3 --http 127.0.0.1:4"
        );
        let real = standin_args(&plan, &plan.configs[1], &nodes[..1]);
        assert_eq!(
            real.join(" "),
            "riak-standin --pbc 127.0.0.1:1 --http 127.0.0.1:2 --profile real"
        );
    }
}
