//! The failover scenarios against a real Riak cluster, when one is named: node 2 stopped and
//! started, hung and resumed, and stopped then restarted (its stale copies allowed until the
//! start command returns, which must wait for the handoff), under the same load as the
//! stand-in's scenarios, through both APIs, with the policy's defaults. Without
//! `PHONEBOOK_RIAK_TEST` it says once that it did not run (no Riak can be installed in CI).
//! The variables and the exact command: docs/riak-cluster.md, "Against a real cluster".

use crate::support::failover::Load;
use crate::support::riak::*;
use crate::support::{poll, Service};
use std::process::Command;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// A shell command from the environment, run to its end; panics when it fails.
fn run(var: &str) {
    let command = std::env::var(var).unwrap_or_else(|_| panic!("{var} is not set"));
    let status = Command::new("sh").arg("-c").arg(&command).status();
    let status = status.unwrap_or_else(|e| panic!("{var}: {e}"));
    assert!(status.success(), "{var} ({command}): {status}");
}

/// The nodes of each API: `PHONEBOOK_RIAK_TEST="pbc://A:8087,B:8087 http://A:8098,B:8098"`.
fn urls(spec: &str) -> Vec<(&'static str, Vec<String>)> {
    spec.split_whitespace()
        .map(|url| {
            let (api, hosts) = url.split_once("://").expect("pbc://... or http://...");
            let api = if api == "pbc" { "pbc" } else { "http" };
            (api, hosts.split(',').map(str::to_string).collect())
        })
        .collect()
}

fn drive(fault: &str, svc: &Service, load: &Load, window: Duration) {
    let requests = || load.tally.requests.load(Ordering::SeqCst);
    poll(Duration::from_secs(30), || requests() >= 100);
    load.in_fault.store(true, Ordering::SeqCst);
    run(if fault == "hang" {
        "PHONEBOOK_RIAK_HANG"
    } else {
        "PHONEBOOK_RIAK_STOP"
    });
    // Time is the scenario: the fault lasts this long under load.
    std::thread::sleep(window);
    load.in_fault.store(false, Ordering::SeqCst);
    match fault {
        "hang" => run("PHONEBOOK_RIAK_RESUME"),
        "stop" => run("PHONEBOOK_RIAK_START"),
        _ => {
            load.allow_stale();
            run("PHONEBOOK_RIAK_START");
            load.fresh_from(Instant::now());
        }
    }
    poll(Duration::from_secs(60), || {
        node_states(svc).iter().all(|s| s == "up")
    });
    let back = requests();
    poll(Duration::from_secs(30), || requests() >= back + 500);
    load.stop.store(true, Ordering::SeqCst);
}

#[test]
fn the_failover_scenarios_on_a_real_cluster_when_one_is_named() {
    let Ok(spec) = std::env::var("PHONEBOOK_RIAK_TEST") else {
        eprintln!(
            "real-cluster failover tests did not run: PHONEBOOK_RIAK_TEST is not set \
             (docs/riak-cluster.md, \"Against a real cluster\")"
        );
        return;
    };
    let window = std::env::var("PHONEBOOK_RIAK_WINDOW_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(Duration::from_secs(10), Duration::from_secs);
    for fault in ["stop", "hang", "restart"] {
        for (api, addrs) in urls(&spec) {
            let store = "bucket = \"phonebook_failover\"\n";
            let svc = riak_service_at(&format!("real-{fault}"), api, &addrs, "production", store);
            let load = Load::default();
            load.seed(&svc);
            std::thread::scope(|s| {
                s.spawn(|| drive(fault, &svc, &load, window));
                load.run(&svc);
            });
            let tally = &load.tally;
            eprintln!("real {fault} {api}: {}", tally.line());
            assert_eq!(tally.failed(), 0, "{fault} {api}");
            assert_eq!(tally.false_404(), 0, "{fault} {api}");
            assert!(tally.slowest() < Duration::from_secs(1), "{fault} {api}");
            assert_eq!(tally.stale.load(Ordering::SeqCst), 0, "{fault} {api}");
            assert_eq!(
                load.lost_writes(&svc),
                Vec::<String>::new(),
                "{fault} {api}"
            );
        }
    }
}
