//! `riak-bench`: GET and PUT rates of phonebook's Riak store through each API, and their ratio.
//!
//! It drives `phonebook::store::riak::Riak` directly (no HTTP front in between), so the figures are
//! the client's and the node's: a PUT is two Riak requests (the vclock read, then the write), a
//! GET one. Without addresses it starts a stand-in node in-process, which shares the machine's
//! cores with the benchmark: its figures compare the two APIs, they do not predict a real
//! cluster. Each phase is bounded by a count of operations and by a time limit.

use phonebook::contact::Contact;
use phonebook::store::riak::{Api, Riak};
use phonebook::store::Store;
use std::time::{Duration, Instant};

pub const HELP: &str = "\
phonebook-tools riak-bench: GET and PUT rates of the Riak store through PBC and HTTP

OPTIONS:
    --pbc HOST:PORT[,...]   Riak Protocol Buffers nodes [default: an in-process stand-in]
    --http HOST:PORT[,...]  Riak HTTP nodes [default: the same stand-in]
    --bucket NAME           bucket to write to [default: phonebook_bench]
    --threads N             concurrent clients [default: 4]
    --ops N                 operations per phase and API [default: 40000]
    --keys N                distinct names written and read [default: 1000]
    --max-secs N            time limit per phase [default: 30]
";

struct Options {
    pbc: Vec<String>,
    http: Vec<String>,
    bucket: String,
    threads: usize,
    ops: usize,
    keys: usize,
    max: Duration,
}

/// One measured phase.
struct Figures {
    ops: usize,
    failed: usize,
    elapsed: Duration,
    /// Sorted latencies of the successful operations.
    latencies: Vec<Duration>,
}

impl Figures {
    fn rate(&self) -> f64 {
        (self.ops - self.failed) as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> f64 {
        let i = ((self.latencies.len() as f64 * p) as usize)
            .min(self.latencies.len().saturating_sub(1));
        self.latencies
            .get(i)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    }
}

/// Runs the benchmark with these arguments (without the command name).
pub fn run(args: Vec<String>) -> Result<(), String> {
    let Some(mut options) = parse(args)? else {
        print!("{HELP}");
        return Ok(());
    };
    // Kept alive until the end: dropping it stops the node.
    let _standin = if options.pbc.is_empty() && options.http.is_empty() {
        let node = riak_standin::Standin::start(Default::default()).map_err(|e| e.to_string())?;
        options.pbc = vec![node.pbc_addr.to_string()];
        options.http = vec![node.http_addr.to_string()];
        println!(
            "riak-bench: no nodes given; stand-in on pbc {} http {}",
            node.pbc_addr, node.http_addr
        );
        Some(node)
    } else {
        None
    };
    println!(
        "{:<5} {:<4} {:>7} {:>7} {:>8} {:>10} {:>7} {:>7}",
        "api", "op", "ops", "failed", "secs", "ops/s", "p50 ms", "p99 ms"
    );
    let mut rates = Vec::new();
    for (api, nodes) in [(Api::Pbc, &options.pbc), (Api::Http, &options.http)] {
        if nodes.is_empty() {
            continue;
        }
        let store = Riak::open(
            api,
            nodes,
            &options.bucket,
            Duration::from_secs(2),
            options.threads,
        );
        let put = phase(&store, &options, true);
        report(api, "PUT", &put);
        let get = phase(&store, &options, false);
        report(api, "GET", &get);
        rates.push((api, get.rate(), put.rate()));
    }
    if let [(Api::Pbc, pbc_get, pbc_put), (Api::Http, http_get, http_put)] = rates[..] {
        println!(
            "PBC/HTTP ratio: GET {:.2}, PUT {:.2}",
            pbc_get / http_get,
            pbc_put / http_put
        );
    }
    Ok(())
}

fn report(api: Api, op: &str, f: &Figures) {
    let api = format!("{api:?}").to_lowercase();
    println!(
        "{api:<5} {op:<4} {:>7} {:>7} {:>8.2} {:>10.0} {:>7.2} {:>7.2}",
        f.ops,
        f.failed,
        f.elapsed.as_secs_f64(),
        f.rate(),
        f.percentile(0.5),
        f.percentile(0.99)
    );
}

/// `ops` puts (or gets) spread over the threads, stopping early at the time limit.
fn phase(store: &Riak, options: &Options, put: bool) -> Figures {
    let start = Instant::now();
    let per_thread = options.ops / options.threads;
    let results: Vec<(usize, Vec<Duration>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..options.threads)
            .map(|t| {
                s.spawn(move || {
                    let mut latencies = Vec::with_capacity(per_thread);
                    let mut failed = 0;
                    for i in 0..per_thread {
                        if start.elapsed() > options.max {
                            break;
                        }
                        let n = (t * per_thread + i) % options.keys;
                        let begun = Instant::now();
                        let ok = if put {
                            let contact =
                                Contact::parse(&format!("Bench {n:06}"), &format!("+358{n:08}"));
                            contact.and_then(|c| store.put(&c)).is_ok()
                        } else {
                            store.get(&format!("Bench {n:06}")).is_ok()
                        };
                        if ok {
                            latencies.push(begun.elapsed());
                        } else {
                            failed += 1;
                        }
                    }
                    (failed, latencies)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a bench thread"))
            .collect()
    });
    let elapsed = start.elapsed();
    let failed = results.iter().map(|r| r.0).sum();
    let mut latencies: Vec<Duration> = results.into_iter().flat_map(|r| r.1).collect();
    latencies.sort_unstable();
    Figures {
        ops: latencies.len() + failed,
        failed,
        elapsed,
        latencies,
    }
}

fn parse(args: Vec<String>) -> Result<Option<Options>, String> {
    use lexopt::prelude::*;
    let mut options = Options {
        pbc: Vec::new(),
        http: Vec::new(),
        bucket: "phonebook_bench".into(),
        threads: 4,
        ops: 40_000,
        keys: 1_000,
        max: Duration::from_secs(30),
    };
    let mut parser = lexopt::Parser::from_args(args);
    let text = |parser: &mut lexopt::Parser| -> Result<String, String> {
        parser
            .value()
            .map_err(|e| e.to_string())?
            .into_string()
            .map_err(|v| format!("{v:?} is not UTF-8"))
    };
    let number = |parser: &mut lexopt::Parser| -> Result<usize, String> {
        let value = text(parser)?;
        value
            .parse()
            .ok()
            .filter(|n| *n > 0)
            .ok_or(format!("{value:?} is not a positive number"))
    };
    let list = |value: String| value.split(',').map(str::to_string).collect();
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Long("pbc") => options.pbc = list(text(&mut parser)?),
            Long("http") => options.http = list(text(&mut parser)?),
            Long("bucket") => options.bucket = text(&mut parser)?,
            Long("threads") => options.threads = number(&mut parser)?,
            Long("ops") => options.ops = number(&mut parser)?,
            Long("keys") => options.keys = number(&mut parser)?,
            Long("max-secs") => options.max = Duration::from_secs(number(&mut parser)? as u64),
            Short('h') | Long("help") => return Ok(None),
            other => return Err(other.unexpected().to_string()),
        }
    }
    Ok(Some(options))
}
