//! Unit tests of `compare.rs`: which pairs are compared, and their per-run ratios.

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
