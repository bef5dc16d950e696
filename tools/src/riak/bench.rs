//! `riak-bench`: what phonebook's Riak store sustains through each API, per operation and
//! number of clients: GETs, PUTs that read the vclock first, blind PUTs, and reads of names
//! that do not exist with and without `notfound_ok`.
//!
//! It drives `phonebook::store::riak::Riak` directly (no HTTP front in between), so the figures
//! are the client's and the cluster's. Without addresses it starts stand-in nodes in-process:
//! `--profile fast` compares the two APIs' client costs only; `--profile real` paces the
//! stand-in like the recorded 2-node cluster, so its figures can be set next to a real
//! cluster's. Every phase is bounded by a count of operations and by a time limit.

use super::bench_options::{parse, Options};
use crate::error::Result;
use phonebook::contact::Contact;
use phonebook::store::riak::{Api, Quorums, Riak, Settings, WriteMode};
use phonebook::store::Store;
use riak_standin::{Profile, RingOptions, Standin, StandinCluster, StandinOptions};
use std::time::{Duration, Instant};

const HELP: &str = "\
phonebook-tools riak-bench: Riak store operations per second, per API, operation and clients

OPTIONS:
    --pbc HOST:PORT[,...]   Riak Protocol Buffers nodes [default: in-process stand-in nodes]
    --http HOST:PORT[,...]  Riak HTTP nodes [default: the same stand-in nodes]
    --profile P             the in-process stand-in: fast, or real (paced like the recorded
                            2-node cluster on 2 cores) [default: fast]
    --nodes N               in-process stand-in nodes, one cluster [default: 2]
    --bucket NAME           bucket to write to [default: phonebook_bench]
    --clients N[,N...]      concurrent clients; one round per figure [default: 4]
    --write M[,M...]        PUT phases: read-first, blind (side by side) [default: read-first,blind]
    --absent                also GET names that do not exist, with notfound_ok true and false
    --ring                  in-process nodes on a ring with replicas (n_val 3), as Riak keeps them
    --policy P[,P...]       tries (quorum, then one replica: the default), previous (one try,
                            Riak's defaults, no Riak timeout), side by side [default: tries]
    --ops N                 operations per phase [default: 40000]
    --keys N                distinct names written and read [default: 1000]
    --max-secs N            time limit per phase [default: 30]
";

/// What one phase does per operation.
#[derive(Clone, Copy)]
enum Op {
    Get,
    Put,
    Absent,
}

/// One measured phase.
struct Figures {
    failed: usize,
    elapsed: Duration,
    /// Sorted latencies of the successful operations.
    latencies: Vec<Duration>,
}

impl Figures {
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> f64 {
        let i = ((self.latencies.len() as f64 * p) as usize)
            .min(self.latencies.len().saturating_sub(1));
        self.latencies
            .get(i)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    }
}

/// Runs the benchmark.
pub fn run(parser: lexopt::Parser) -> Result<()> {
    let Some(mut options) = parse(parser)? else {
        print!("{HELP}");
        return Ok(());
    };
    // Kept alive until the end: dropping them stops the nodes.
    let _standins = if options.pbc.is_empty() && options.http.is_empty() {
        let nodes = standins(&options)?;
        options.pbc = nodes.iter().map(|n| n.pbc_addr.to_string()).collect();
        options.http = nodes.iter().map(|n| n.http_addr.to_string()).collect();
        nodes
    } else {
        Vec::new()
    };
    println!(
        "{:>7} {:<5} {:<22} {:>7} {:>6} {:>8} {:>7} {:>7}",
        "clients", "api", "op", "done", "failed", "ops/s", "p50 ms", "p99 ms"
    );
    for &clients in &options.clients {
        for (api, nodes) in [(Api::Pbc, &options.pbc), (Api::Http, &options.http)] {
            for &tries in &options.policies {
                if !nodes.is_empty() {
                    round(&options, api, nodes, clients, tries);
                }
            }
        }
    }
    Ok(())
}

/// In-process stand-in nodes of one cluster.
fn standins(options: &Options) -> Result<Vec<Standin>> {
    let base = match options.profile {
        Profile::Fast => StandinOptions::default(),
        Profile::Real => StandinOptions::real(),
    };
    let mut nodes: Vec<Standin> = Vec::new();
    if options.ring {
        let ring = RingOptions {
            nodes: options.nodes,
            ..RingOptions::default()
        };
        let ring_base = StandinOptions {
            startup: Duration::ZERO,
            ..base.clone()
        };
        nodes = StandinCluster::start(ring, ring_base)?.nodes;
    }
    for _ in nodes.len()..options.nodes {
        let node = Standin::start(StandinOptions {
            db: nodes.first().map(Standin::db),
            // No start-up phase: the bench measures a cluster that is up.
            startup: Duration::ZERO,
            ..base.clone()
        })?;
        nodes.push(node);
    }
    let profile = format!("{:?}", options.profile).to_lowercase();
    let ring = if options.ring { ", ring n_val 3" } else { "" };
    println!(
        "riak-bench: {} in-process stand-in node(s), profile {profile}{ring}",
        nodes.len()
    );
    Ok(nodes)
}

/// Every phase for one API, number of clients and policy, with the blind/read-first ratio.
fn round(options: &Options, api: Api, nodes: &[String], clients: usize, tries: bool) {
    let quorums = if tries {
        Quorums::default()
    } else {
        Quorums::previous()
    };
    let store = |write, notfound_ok| {
        let settings = Settings {
            write,
            notfound_ok,
            quorums,
            ..Settings::new(&options.bucket, Duration::from_secs(2), clients)
        };
        Riak::open(api, nodes, &settings)
    };
    let policy = if tries { "" } else { " (previous)" };
    let report = |clients, api, op: &str, figures: &Figures| {
        report(clients, api, &format!("{op}{policy}"), figures)
    };
    let mut puts = Vec::new();
    for &write in &options.writes {
        let figures = phase(&store(write, true), options, clients, Op::Put);
        let name = match write {
            WriteMode::Blind => "PUT blind",
            WriteMode::ReadFirst => "PUT read-first",
            WriteMode::Auto => "PUT auto",
        };
        report(clients, api, name, &figures);
        puts.push((write, figures.rate()));
    }
    report(
        clients,
        api,
        "GET",
        &phase(
            &store(WriteMode::ReadFirst, true),
            options,
            clients,
            Op::Get,
        ),
    );
    if options.absent {
        for (notfound_ok, name) in [
            (true, "GET absent notfound_ok"),
            (false, "GET absent strict"),
        ] {
            let figures = phase(
                &store(WriteMode::ReadFirst, notfound_ok),
                options,
                clients,
                Op::Absent,
            );
            report(clients, api, name, &figures);
        }
    }
    let rate = |mode| puts.iter().find(|(w, _)| *w == mode).map(|(_, r)| *r);
    if let (Some(blind), Some(first)) = (rate(WriteMode::Blind), rate(WriteMode::ReadFirst)) {
        println!(
            "{clients:>7} {:<5} blind/read-first writes per second: {:.2}",
            api_name(api),
            blind / first
        );
    }
}

fn api_name(api: Api) -> &'static str {
    match api {
        Api::Pbc => "pbc",
        Api::Http => "http",
    }
}

fn report(clients: usize, api: Api, op: &str, f: &Figures) {
    println!(
        "{clients:>7} {:<5} {op:<22} {:>7} {:>6} {:>8.0} {:>7.2} {:>7.2}",
        api_name(api),
        f.latencies.len(),
        f.failed,
        f.rate(),
        f.percentile(0.5),
        f.percentile(0.99)
    );
}

/// `ops` operations spread over the clients, stopping early at the time limit.
fn phase(store: &Riak, options: &Options, clients: usize, op: Op) -> Figures {
    let start = Instant::now();
    let per_client = (options.ops / clients).max(1);
    let results: Vec<(usize, Vec<Duration>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..clients)
            .map(|t| s.spawn(move || client(store, options, op, t * per_client, per_client, start)))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a bench client"))
            .collect()
    });
    let elapsed = start.elapsed();
    let failed = results.iter().map(|r| r.0).sum();
    let mut latencies: Vec<Duration> = results.into_iter().flat_map(|r| r.1).collect();
    latencies.sort_unstable();
    Figures {
        failed,
        elapsed,
        latencies,
    }
}

/// One client's operations: failures counted, latencies of the rest kept.
fn client(
    store: &Riak,
    options: &Options,
    op: Op,
    first: usize,
    count: usize,
    start: Instant,
) -> (usize, Vec<Duration>) {
    let mut latencies = Vec::with_capacity(count);
    let mut failed = 0;
    for i in first..first + count {
        if start.elapsed() > options.max {
            break;
        }
        let n = i % options.keys;
        let begun = Instant::now();
        let ok = match op {
            Op::Put => Contact::parse(&format!("Bench {n:06}"), &format!("+358{n:08}"))
                .and_then(|c| store.put(&c))
                .is_ok(),
            Op::Get => store.get(&format!("Bench {n:06}")).is_ok(),
            Op::Absent => store.get(&format!("Absent {n:06}")).is_ok(),
        };
        if ok {
            latencies.push(begun.elapsed());
        } else {
            failed += 1;
        }
    }
    (failed, latencies)
}
