//! What each optimisation is worth: the ratio between two configurations of a plan that differ
//! in exactly one aspect (worker threads, store, cache, Riak nodes), taken run by run.
//!
//! The pairs are found from the plan itself, so a new configuration is compared with its
//! neighbours without anyone listing them. Runs are paired by their number (run 2 of one with
//! run 2 of the other: the same position in the experiment, so drifts of the machine affect both
//! alike), and the ratios' median and min–max are reported: one ratio of medians would hide how
//! much it varies.

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
        value: |c| match c.mode.as_str() {
            "debug" => "debug".into(),
            _ => format!("production ×{}", c.threads),
        },
        // Debug mode is one thread that also logs every request: below production ×1.
        rank: |c| {
            if c.mode == "debug" {
                0
            } else {
                c.threads as i64
            }
        },
    },
    Aspect {
        name: "store",
        value: |c| c.store.clone(),
        rank: |c| match c.store.as_str() {
            "embedded" => 2,
            s if s.contains("pbc") => 1,
            _ => 0,
        },
    },
    Aspect {
        name: "cache",
        value: |c| c.cache.clone(),
        rank: |c| i64::from(c.cache != "off"),
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
    let same_setting = a.server == "phonebook"
        && b.server == "phonebook"
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
#[path = "compare_tests.rs"]
mod tests;
