//! What each optimisation is worth: the ratio between two configurations of a plan that differ
//! in exactly one aspect (worker threads, store, cache, Riak nodes), taken run by run.
//!
//! The pairs are found from the plan itself, so a new configuration is compared with its
//! neighbours without anyone listing them. Runs are paired by their number (run 2 of one with
//! run 2 of the other: the same position in the experiment, so drifts of the machine affect both
//! alike), and the ratios' median and min–max are reported: one ratio of medians would hide how
//! much it varies.

use crate::experiment::config::{Api, Cache, Mode, Server, Store};
use crate::experiment::plan::{Config, Plan};
use crate::experiment::record::{Record, Spread};

/// One aspect an optimisation changes: how to read it off a configuration, and which value is
/// the optimised one (the higher rank).
struct Aspect {
    name: &'static str,
    value: fn(&Config) -> String,
    rank: fn(&Config) -> i64,
}

const ASPECTS: [Aspect; 4] = [
    Aspect {
        name: "threads",
        value: |c| match c.mode {
            Mode::Debug => "debug".into(),
            Mode::Production => format!("production ×{}", c.threads),
        },
        // Debug mode is one thread that also logs every request: below production ×1.
        rank: |c| match c.mode {
            Mode::Debug => 0,
            Mode::Production => c.threads as i64,
        },
    },
    Aspect {
        name: "store",
        value: |c| c.store.to_string(),
        rank: |c| match &c.store {
            Store::Embedded => 2,
            Store::Standin(Api::Pbc) | Store::Riak { api: Api::Pbc, .. } => 1,
            _ => 0,
        },
    },
    Aspect {
        name: "cache",
        value: |c| c.cache_name(),
        // Off, then one server, then more servers.
        rank: |c| match c.cache {
            Cache::Off => 0,
            _ => c.cache_servers as i64,
        },
    },
    Aspect {
        name: "nodes",
        value: |c| c.nodes.to_string(),
        rank: |c| c.nodes as i64,
    },
];

/// The worth of one optimisation in one setting.
pub struct Worth {
    /// `threads`, `store`, `cache` or `nodes`.
    pub aspect: &'static str,
    /// The configuration with the optimisation, and the one without.
    pub better: String,
    pub worse: String,
    /// Peak throughput (closed loop), better ÷ worse, per run.
    pub throughput: Spread,
    /// Open-loop p99, worse ÷ better, per run (above 1: the optimisation lowers it).
    pub p99: Option<Spread>,
}

impl Worth {
    /// A short label for charts.
    pub fn label(&self) -> String {
        format!("{}: {} ÷ {}", self.aspect, self.better, self.worse)
    }
}

/// Every pair of measured configurations that differ in one aspect only, grouped by aspect.
pub fn worth(plan: &Plan, records: &[Record]) -> Vec<Worth> {
    let mut found = Vec::new();
    for aspect in &ASPECTS {
        for (i, a) in plan.configs.iter().enumerate() {
            for b in &plan.configs[i + 1..] {
                if let Some((better, worse)) = differ_only_in(plan, aspect, a, b) {
                    found.extend(measure(aspect.name, better, worse, records));
                }
            }
        }
    }
    found
}

/// `(better, worse)` when `a` and `b` differ in `aspect` alone and its ranks tell them apart.
fn differ_only_in<'a>(
    plan: &Plan,
    aspect: &Aspect,
    a: &'a Config,
    b: &'a Config,
) -> Option<(&'a Config, &'a Config)> {
    let same_elsewhere = ASPECTS
        .iter()
        .filter(|other| other.name != aspect.name)
        .all(|other| (other.value)(a) == (other.value)(b));
    let same_setting = a.server == Server::Phonebook
        && b.server == Server::Phonebook
        && a.slow == b.slow
        && a.concurrency == b.concurrency
        && plan.rate(a) == plan.rate(b)
        && plan.standin_profile(a) == plan.standin_profile(b);
    if !same_elsewhere || !same_setting || (aspect.value)(a) == (aspect.value)(b) {
        return None;
    }
    match (aspect.rank)(a).cmp(&(aspect.rank)(b)) {
        std::cmp::Ordering::Greater => Some((a, b)),
        std::cmp::Ordering::Less => Some((b, a)),
        std::cmp::Ordering::Equal => None,
    }
}

/// The per-run ratios of a pair; `None` when either side has no run to compare.
fn measure(
    aspect: &'static str,
    better: &Config,
    worse: &Config,
    records: &[Record],
) -> Option<Worth> {
    let runs = |config: &Config, open: bool| -> Vec<(usize, &Record)> {
        let mine = records.iter().filter(|r| r.config == config.name);
        mine.filter(|r| r.report.rate.is_some() == open)
            .map(|r| (r.run, r))
            .collect()
    };
    let ratios = |open: bool, f: fn(&Record, &Record) -> f64| -> Vec<f64> {
        let worse_runs = runs(worse, open);
        runs(better, open)
            .into_iter()
            .filter_map(|(run, b)| {
                let (_, w) = worse_runs.iter().find(|(n, _)| *n == run)?;
                Some(f(b, w))
            })
            .filter(|ratio| ratio.is_finite())
            .collect()
    };
    let throughput = ratios(false, |b, w| b.report.throughput() / w.report.throughput());
    if throughput.is_empty() {
        return None;
    }
    let p99 = ratios(true, |b, w| {
        w.report.percentile_ms(99.0) / b.report.percentile_ms(99.0)
    });
    Some(Worth {
        aspect,
        better: better.name.clone(),
        worse: worse.name.clone(),
        throughput: Spread::of(&throughput),
        p99: (!p99.is_empty()).then(|| Spread::of(&p99)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::report::Report;
    use std::time::Duration;

    const PLAN: &str = r#"
name = "x"
[[config]]
name = "ceiling"
server = "baseline"
[[config]]
name = "debug"
[[config]]
name = "prod16"
mode = "production"
[[config]]
name = "prod16-cache"
mode = "production"
cache = "memcached"
[[config]]
name = "prod16-cache-slow"
mode = "production"
cache = "memcached"
slow = ["cache"]
[[config]]
name = "prod1-cache"
mode = "production"
threads = 1
cache = "memcached"
[[config]]
name = "debug-http"
store = "standin-http"
[[config]]
name = "debug-pbc"
store = "standin-pbc"
"#;

    /// A run of `config` that answered `requests` in one second with every latency `ms`.
    fn record(config: &str, run: usize, requests: u64, ms: u64, open: bool) -> Record {
        let mut report = Report::default();
        for _ in 0..requests {
            report.record(200, Duration::from_millis(ms), 10, 10);
        }
        report.elapsed = Duration::from_secs(1);
        report.rate = open.then_some(10.0);
        Record {
            config: config.into(),
            description: String::new(),
            run,
            report,
            costs: None,
        }
    }

    #[test]
    fn configurations_differing_in_one_aspect_are_paired_best_first() {
        let plan = Plan::parse(PLAN).unwrap();
        let mut records = Vec::new();
        for (name, requests) in [
            ("ceiling", 900),
            ("debug", 100),
            ("prod16", 400),
            ("prod16-cache", 300),
            ("prod16-cache-slow", 50),
            ("prod1-cache", 150),
            ("debug-http", 20),
            ("debug-pbc", 40),
        ] {
            for run in 1..=2 {
                // Run 2 of prod16 is twice as fast: the spread must show it.
                let boost = if name == "prod16" && run == 2 { 2 } else { 1 };
                records.push(record(name, run, requests * boost, 2, false));
            }
        }
        records.push(record("prod16", 1, 10, 4, true));
        records.push(record("prod16-cache", 1, 10, 1, true));
        let found = worth(&plan, &records);
        let labels: Vec<String> = found.iter().map(Worth::label).collect();
        assert_eq!(
            labels,
            [
                "threads: prod16 ÷ debug",
                "threads: prod16-cache ÷ prod1-cache",
                "store: debug ÷ debug-http",
                "store: debug ÷ debug-pbc",
                "store: debug-pbc ÷ debug-http",
                "cache: prod16-cache ÷ prod16",
            ]
        );
        let threads = &found[0].throughput;
        assert_eq!((threads.low, threads.high, threads.median), (4.0, 8.0, 6.0));
        let cache = &found[5];
        assert_eq!(cache.throughput.low, 300.0 / 800.0);
        // Open loop: the cache took the p99 from 4 ms to 1 ms in the one run both have.
        let p99 = cache.p99.unwrap().median;
        assert!((p99 - 4.0).abs() < 0.05, "{p99}");
        assert!(found[0].p99.is_none());
    }
}
