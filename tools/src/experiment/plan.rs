//! The experiment plan: a TOML file naming the data, the load, and the configurations to compare.
//!
//! Configurations are data, not code: a store is `embedded`, `standin-pbc` / `standin-http`
//! (the runner starts the Riak stand-in with `nodes` nodes) or a Riak URL of real nodes; a cache
//! is `off`, `memcached` (the runner starts one) or a `memcache://` URL; `slow` names the links
//! that get a slow link (one configuration is `config.rs`). Everything is checked when the plan
//! is read, before anything runs.

use crate::args::parse_duration;
use crate::error::{io_context, Error, Result};
pub use crate::experiment::config::Config;
use crate::experiment::config::{check_rate, is_label, Profile};
use serde::Deserialize;
use std::path::Path;
use std::time::Duration;

/// The whole plan.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Results go to `results/<name>/`.
    pub name: String,
    /// Runs per configuration [default: 3].
    #[serde(default = "three")]
    pub repeats: usize,
    #[serde(default)]
    pub data: Data,
    #[serde(default)]
    pub load: Load,
    #[serde(default)]
    pub slowlink: SlowLink,
    #[serde(default)]
    pub standin: Standin,
    #[serde(rename = "config")]
    pub configs: Vec<Config>,
}

/// The data set and workload, generated with the tools' own generators.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Data {
    pub seed: u64,
    pub users: usize,
    pub adds: usize,
    pub new_users: Option<usize>,
    pub gets: usize,
    pub zipf: f64,
}

impl Default for Data {
    fn default() -> Data {
        Data {
            seed: 42,
            users: 1000,
            adds: 100,
            new_users: None,
            gets: 400,
            zipf: 1.0,
        }
    }
}

/// How each run loads the service: `loops` passes over the workload and/or a `duration` (e.g.
/// `"5s"`); with neither, runs last 5 seconds. Each run is closed loop (peak throughput); with
/// a `rate`, each is followed by an open-loop run at that many requests per second, whose
/// latencies are the honest ones (see `load/pace.rs`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Load {
    pub concurrency: usize,
    pub loops: Option<u64>,
    pub duration: Option<String>,
    pub rate: Option<f64>,
}

impl Default for Load {
    fn default() -> Load {
        Load {
            concurrency: 16,
            loops: None,
            duration: None,
            rate: None,
        }
    }
}

/// The delay the slow links add (one way, each direction).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlowLink {
    pub delay_ms: f64,
    pub jitter_ms: f64,
    pub rate_kbit: Option<u64>,
}

impl Default for SlowLink {
    fn default() -> SlowLink {
        SlowLink {
            delay_ms: 2.0,
            jitter_ms: 0.0,
            rate_kbit: None,
        }
    }
}

/// How to start the Riak stand-in: `args` (after the phonebook-tools program), then
/// `node_args` once per node, with `{pbc}` and `{http}` replaced by free loopback addresses,
/// then `--profile P` when a `profile` is given (`fast`, or `real`: calibrated to a real
/// cluster's speed); without one the stand-in's own default applies.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Standin {
    pub args: Vec<String>,
    pub node_args: Vec<String>,
    pub profile: Option<Profile>,
}

impl Default for Standin {
    fn default() -> Standin {
        Standin {
            args: vec!["riak-standin".into()],
            node_args: ["--pbc", "{pbc}", "--http", "{http}"]
                .map(String::from)
                .to_vec(),
            profile: None,
        }
    }
}

fn three() -> usize {
    3
}

impl Plan {
    /// Reads and checks a plan file.
    pub fn read(path: &Path) -> Result<Plan> {
        let text = std::fs::read_to_string(path).map_err(io_context(path.display()))?;
        Plan::parse(&text).map_err(|e| Error::new(format!("{}: {e}", path.display())))
    }

    /// Parses and checks plan text.
    pub fn parse(text: &str) -> Result<Plan> {
        let plan: Plan = toml::from_str(text).map_err(|e| Error::new(e.to_string()))?;
        plan.check()?;
        Ok(plan)
    }

    /// The open-loop rate of a configuration's latency runs, if it has them: its own, else the
    /// plan's.
    pub fn rate(&self, config: &Config) -> Option<f64> {
        config.rate.or(self.load.rate)
    }

    /// The stand-in profile to ask for a configuration, if any: its own, else the plan's.
    pub fn standin_profile(&self, config: &Config) -> Option<Profile> {
        config.standin_profile.or(self.standin.profile)
    }

    /// How long a run may last: the given duration, else 5 s unless loops bound it.
    pub fn duration(&self) -> Option<Duration> {
        match (&self.load.duration, self.load.loops) {
            (Some(text), _) => parse_duration(text),
            (None, None) => Some(Duration::from_secs(5)),
            (None, Some(_)) => None,
        }
    }

    fn check(&self) -> Result<()> {
        let bad = |msg: String| Err(Error::new(msg));
        if !is_label(&self.name) {
            return bad(format!(
                "name {:?}: use letters, digits, - _ . +",
                self.name
            ));
        }
        if !(1..=100).contains(&self.repeats) || self.configs.is_empty() {
            return bad("repeats must be 1 to 100, and there must be a [[config]]".into());
        }
        if self.load.duration.is_some() && self.duration().is_none() {
            return bad(format!(
                "load.duration {:?} is not a duration",
                self.load.duration
            ));
        }
        if !(1..=10_000).contains(&self.load.concurrency) {
            return bad("load.concurrency must be 1 to 10000".into());
        }
        check_rate(self.load.rate).map_err(|e| Error::new(format!("load.{e}")))?;
        crate::net::slowlink::shape(
            self.slowlink.delay_ms,
            self.slowlink.jitter_ms,
            self.slowlink.rate_kbit,
        )?;
        let mut names = std::collections::HashSet::new();
        for config in &self.configs {
            if !names.insert(&config.name) {
                return bad(format!("config {:?} appears twice", config.name));
            }
            config
                .check()
                .map_err(|e| Error::new(format!("config {:?}: {e}", config.name)))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::experiment::config::{Profile, Server, Store};

    #[test]
    fn the_shipped_plan_is_valid() {
        let plan = Plan::parse(include_str!("../../experiments.toml")).unwrap();
        assert!(plan.configs.len() >= 8);
        assert!(plan.configs.iter().any(|c| c.server == Server::Baseline));
        // Latency from open loop, and a stand-in as slow as a real cluster.
        assert!(plan.configs.iter().all(|c| plan.rate(c).is_some()));
        assert_eq!(plan.standin.profile, Some(Profile::Real));
        let cache = Plan::parse(include_str!("../../experiments-cache.toml")).unwrap();
        assert!(cache.configs.iter().any(|c| c.cache_servers == 2));
        let small = Plan::parse(include_str!("../../experiments-embedded.toml")).unwrap();
        assert!(small.configs.iter().all(|c| c.store == Store::Embedded));
    }

    #[test]
    fn mistakes_are_refused() {
        let ok = "name = \"x\"\n[[config]]\nname = \"a\"\n";
        assert!(Plan::parse(ok).is_ok());
        for bad in [
            "name = \"x\"\n",
            "name = \"x\"\n[[config]]\nmode = \"debug\"\n",
            "name = \"x y\"\n[[config]]\nname = \"a\"\n",
            "name = \"x\"\n[[config]]\nname = \"a\"\n[[config]]\nname = \"a\"\n",
            "name = \"x\"\n[[config]]\nname = \"a\"\nslow = [\"store\"]\n",
            "name = \"x\"\n[[config]]\nname = \"a\"\ncache = \"redis\"\n",
            "name = \"x\"\n[[config]]\nname = \"a\"\nmod = \"debug\"\n",
            "name = \"x\"\n[load]\nduration = \"soon\"\n[[config]]\nname = \"a\"\n",
            "name = \"x\"\n[load]\nrate = 0.0\n[[config]]\nname = \"a\"\n",
            "name = \"x\"\n[[config]]\nname = \"a\"\nrate = -5.0\n",
            "name = \"x\"\n[standin]\nprofile = \"slow\"\n[[config]]\nname = \"a\"\n",
            "name = \"x\"\n[[config]]\nname = \"a\"\nstandin_profile = \"x\"\n",
        ] {
            assert!(Plan::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_configuration_overrides_the_plan_rate_and_profile() {
        let text = "name = \"x\"\n[load]\nrate = 200.0\n[standin]\nprofile = \"real\"\n\
                    [[config]]\nname = \"a\"\n[[config]]\nname = \"b\"\nrate = 50\n\
                    standin_profile = \"fast\"\n";
        let plan = Plan::parse(text).unwrap();
        let (a, b) = (&plan.configs[0], &plan.configs[1]);
        assert_eq!((plan.rate(a), plan.rate(b)), (Some(200.0), Some(50.0)));
        assert_eq!(plan.standin_profile(a), Some(Profile::Real));
        assert_eq!(plan.standin_profile(b), Some(Profile::Fast));
        let plain = Plan::parse("name = \"x\"\n[[config]]\nname = \"a\"\n").unwrap();
        assert_eq!(plain.rate(&plain.configs[0]), None);
        assert_eq!(plain.standin_profile(&plain.configs[0]), None);
    }
}
