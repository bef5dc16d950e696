//! `plan`: the fleet a target request rate needs, and its daily cost, from what an experiment
//! measured per request (service CPU, memcached CPU and memory, Riak operations with and without
//! the cache, hit rate; `experiment/probe.rs`) and the price table `cost` uses.
//!
//! The model and its limits are in docs/experiments.md ("How many machines"): each tier is sized
//! by the CPU (and, for memcached, the memory) its measured work needs at a target utilisation;
//! the Riak cluster's cost of a get and of a put are solved from two runs that saturated it, one
//! without the cache (mostly gets) and one with it (mostly puts).

use crate::args;
use crate::cost::{self, Machine, Vm};
use crate::error::{io_context, Error, Result};
use crate::experiment::record::Spread;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const HELP: &str = "\
phonebook-tools plan: machines and daily cost for target request rates, from measured costs

USAGE:
    phonebook-tools plan --results FILE --prices FILE [OPTIONS]

OPTIONS:
    --results FILE      an experiment's results.csv with per-request costs (e.g.
                        tools/results/cache-servers/results.csv)
    --cached NAME       its configuration with the cache [default: prod16-pbc-cache]
    --uncached NAME     the same without the cache [default: prod16-pbc]
    --prices FILE       price table, machine sizes and scenario (e.g. tools/aws-prices.toml):
                        the scenario's phonebook, memcached and riak types are used
    --rates LIST        requests a second, comma-separated [default: 1000,10000,100000,1000000]
    --write-share F     share of writes in the mix [default: the measured workload's]
    --n-val N           replicas of each contact in the planned cluster [default: 3]
    --measured-n-val N  replicas in the measured cluster [default: 3, Riak's default]
    --measured-vcpus N  cores the measured cluster ran on [default: 2: the recorded 2-node
                        cluster, which the stand-in's real profile models, shared two cores]
    --utilisation F     the share of each machine's sustained CPU to plan for [default: 0.6]
    --contacts N        contacts in the phone book, bounding the cache [default: 10000000]
    --ttl-secs N        cache entries' lifetime [default: 10]
";

/// The share of a memcached machine's memory given to items.
const CACHE_MEMORY_SHARE: f64 = 0.75;
/// memcached's memory per item beyond `bytes` (slab rounding), as a factor.
const SLAB_OVERHEAD: f64 = 1.25;
/// Service instances kept however small the load: one can fail or be upgraded.
const MIN_SERVICE: u32 = 2;

/// Per-request figures of one configuration's closed-loop runs (medians).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    pub throughput: f64,
    pub cpu_us: f64,
    pub cache_cpu_us: f64,
    pub gets: f64,
    pub puts: f64,
    pub hit_rate: f64,
    pub bytes_per_item: f64,
    pub bytes_per_request: f64,
}

/// What the model assumes beyond the measurements (the options).
#[derive(Debug, Clone)]
pub struct Assumptions {
    pub write_share: Option<f64>,
    pub n_val: f64,
    pub measured_n_val: f64,
    pub measured_vcpus: f64,
    pub utilisation: f64,
    pub contacts: f64,
    pub ttl_secs: f64,
}

/// The fleet for one rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Fleet {
    pub rate: f64,
    pub service: u32,
    pub cache: u32,
    pub cache_gib: f64,
    pub riak: u32,
    /// Riak gets and puts a second, sized with one cache server down.
    pub riak_gets: f64,
    pub riak_puts: f64,
    /// The daily cost, and whether data out went beyond the price table's first tier (priced
    /// at its rate, an upper bound: later tiers are cheaper).
    pub per_day: f64,
    pub beyond_tier: bool,
}

pub fn run(mut parser: lexopt::Parser) -> Result<()> {
    use lexopt::prelude::*;
    let (mut results, mut prices) = (None::<PathBuf>, None::<PathBuf>);
    let (mut cached, mut uncached) = ("prod16-pbc-cache".to_string(), "prod16-pbc".to_string());
    let mut rates = vec![1e3, 1e4, 1e5, 1e6];
    let mut a = Assumptions {
        write_share: None,
        n_val: 3.0,
        measured_n_val: 3.0,
        measured_vcpus: 2.0,
        utilisation: 0.6,
        contacts: 1e7,
        ttl_secs: 10.0,
    };
    while let Some(arg) = parser.next()? {
        match arg {
            Long("results") => results = Some(args::path(&mut parser)?),
            Long("prices") => prices = Some(args::path(&mut parser)?),
            Long("cached") => cached = args::text(&mut parser)?,
            Long("uncached") => uncached = args::text(&mut parser)?,
            Long("rates") => rates = number_list(&args::text(&mut parser)?)?,
            Long("write-share") => a.write_share = Some(args::number(&mut parser, "write-share")?),
            Long("n-val") => a.n_val = args::number(&mut parser, "n-val")?,
            Long("measured-n-val") => {
                a.measured_n_val = args::number(&mut parser, "measured-n-val")?
            }
            Long("measured-vcpus") => {
                a.measured_vcpus = args::number(&mut parser, "measured-vcpus")?
            }
            Long("utilisation") => a.utilisation = args::number(&mut parser, "utilisation")?,
            Long("contacts") => a.contacts = args::number(&mut parser, "contacts")?,
            Long("ttl-secs") => a.ttl_secs = args::number(&mut parser, "ttl-secs")?,
            Short('h') | Long("help") => {
                print!("{HELP}");
                return Ok(());
            }
            other => return Err(other.unexpected().into()),
        }
    }
    let results = args::required(results, "results")?;
    let prices_path = args::required(prices, "prices")?;
    let text = std::fs::read_to_string(&prices_path).map_err(io_context(prices_path.display()))?;
    let file =
        cost::parse(&text).map_err(|e| Error::new(format!("{}: {e}", prices_path.display())))?;
    let with = measured(&results, &cached)?;
    let without = measured(&results, &uncached)?;
    let fleets = rates
        .iter()
        .map(|&rate| size(rate, &with, &without, &a, &file))
        .collect::<Result<Vec<_>>>()?;
    print!("{}", render(&fleets, &with, &without, &a, &file)?);
    Ok(())
}

/// The per-request figures of one configuration's closed-loop rows in a results CSV.
pub fn measured(path: &Path, config: &str) -> Result<Measured> {
    let text = std::fs::read_to_string(path).map_err(io_context(path.display()))?;
    let header: Vec<&str> = text.lines().next().unwrap_or("").split(',').collect();
    let rows = crate::data::csv::parse(&text, &header)?;
    let column = |name: &str| {
        header.iter().position(|c| *c == name).ok_or_else(|| {
            Error::new(format!(
                "{}: no {name} column (results written before the kit measured per-request costs)",
                path.display()
            ))
        })
    };
    let (name, lp) = (column("config")?, column("loop")?);
    let mine: Vec<&Vec<String>> = rows
        .iter()
        .filter(|r| r[name] == config && r[lp] == "closed")
        .collect();
    if mine.is_empty() {
        return Err(Error::new(format!(
            "{}: no closed-loop rows of {config}",
            path.display()
        )));
    }
    let median = |col: &str| -> Result<f64> {
        let i = column(col)?;
        let values: Vec<f64> = mine.iter().filter_map(|r| r[i].parse().ok()).collect();
        Ok(if values.is_empty() {
            0.0
        } else {
            Spread::of(&values).median
        })
    };
    Ok(Measured {
        throughput: median("throughput_rps")?,
        cpu_us: median("cpu_us_per_request")?,
        cache_cpu_us: median("cache_cpu_us_per_request")?,
        gets: median("store_gets_per_request")?,
        puts: median("store_puts_per_request")?,
        hit_rate: median("cache_hit_rate")?,
        bytes_per_item: median("cache_bytes_per_item")?,
        bytes_per_request: median("bytes_received_per_request")?,
    })
}

/// The measured cluster's time per get and per put (seconds of the whole cluster), from two
/// runs that both saturated it: `gets × a + puts × b = 1` for each run's operations a second.
pub fn riak_costs(with: &Measured, without: &Measured) -> Result<(f64, f64)> {
    let (g0, p0) = (
        without.throughput * without.gets,
        without.throughput * without.puts,
    );
    let (g1, p1) = (with.throughput * with.gets, with.throughput * with.puts);
    let det = g0 * p1 - p0 * g1;
    let (a, b) = ((p1 - p0) / det, (g0 - g1) / det);
    if !(det.abs() > 1e-9 && a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite()) {
        return Err(Error::new(format!(
            "the two runs do not tell a get's cost from a put's ({g0:.0} gets + {p0:.0} puts/s \
             without the cache, {g1:.0} + {p1:.0} with it): both must saturate the cluster, \
             with different mixes"
        )));
    }
    Ok((a, b))
}

/// The fleet and its daily cost for `rate` requests a second.
pub fn size(
    rate: f64,
    with: &Measured,
    without: &Measured,
    a: &Assumptions,
    file: &cost::File,
) -> Result<Fleet> {
    let (get_cost, put_cost) = riak_costs(with, without)?;
    let vm = |role: &str| -> Result<(&Vm, Machine)> {
        let vm = file.scenario.vm.iter().find(|v| v.role == role);
        let vm = vm.ok_or_else(|| Error::new(format!("the scenario has no {role:?} VM")))?;
        let machine = file.machines.get(&vm.kind).copied();
        let machine =
            machine.ok_or_else(|| Error::new(format!("no [machines] entry for {:?}", vm.kind)))?;
        Ok((vm, machine))
    };
    let ((svc_vm, svc), (mc_vm, mc), (riak_vm, riak)) =
        (vm("phonebook")?, vm("memcached")?, vm("riak")?);
    // The mix: the measured one, or the measured per-request figures scaled to another.
    let measured_writes = without.puts;
    let (reads, writes) = match a.write_share {
        Some(w) => (
            (1.0 - w) / (1.0 - measured_writes),
            w / measured_writes.max(1e-9),
        ),
        None => (1.0, 1.0),
    };
    let sustained = |m: Machine| m.vcpus * m.baseline * a.utilisation;
    let service = (rate * with.cpu_us / 1e6 / sustained(svc))
        .ceil()
        .max(MIN_SERVICE as f64);
    // Every name read within a TTL may be cached, bounded by the phone book's size.
    let items = a
        .contacts
        .min(rate * (1.0 - a.write_share.unwrap_or(measured_writes)) * a.ttl_secs);
    let cache_gib = items * with.bytes_per_item * SLAB_OVERHEAD / (1u64 << 30) as f64;
    let by_memory = (cache_gib / (mc.memory_gib * CACHE_MEMORY_SHARE)).ceil();
    let by_cpu = (rate * with.cache_cpu_us / 1e6 / sustained(mc)).ceil();
    let cache = by_memory.max(by_cpu).max(1.0);
    // With one cache server of `cache` down, its share of the hits reach Riak.
    let gets_per_request = (with.gets + (without.gets - with.gets) / cache) * reads;
    let (riak_gets, riak_puts) = (rate * gets_per_request, rate * with.puts * writes);
    // Cluster-seconds per second on the measured cluster, as cores, scaled by the replicas.
    let cores = (riak_gets * get_cost + riak_puts * put_cost) * a.measured_vcpus * a.n_val
        / a.measured_n_val;
    let riak_nodes = (cores / sustained(riak)).ceil().max(a.n_val);
    let counts = [(svc_vm, service), (mc_vm, cache), (riak_vm, riak_nodes)];
    let (per_day, beyond_tier) = price(file, &counts, rate * with.bytes_per_request)?;
    Ok(Fleet {
        rate,
        service: service as u32,
        cache: cache as u32,
        cache_gib,
        riak: riak_nodes as u32,
        riak_gets,
        riak_puts,
        per_day,
        beyond_tier,
    })
}

/// The daily cost of these VMs (the scenario's, with new counts) and of `bytes_per_second`
/// sent to clients; whether that went beyond the first transfer tier.
fn price(file: &cost::File, counts: &[(&Vm, f64)], bytes_per_second: f64) -> Result<(f64, bool)> {
    let vms: Vec<Vm> = counts
        .iter()
        .map(|(vm, n)| Vm {
            count: *n as u32,
            ..(*vm).clone()
        })
        .collect();
    let scenario = cost::Scenario {
        name: String::new(),
        requests_per_day: 0.0,
        bytes_per_request: 0.0,
        vm: vms,
    };
    let machines = cost::File {
        prices: file.prices.clone(),
        scenario,
        machines: Default::default(),
    };
    let fixed: f64 = cost::bill(&machines)?.iter().map(|l| l.per_day).sum();
    let p = &file.prices;
    let per_month = bytes_per_second * 86_400.0 * cost::DAYS_PER_MONTH / p.bytes_per_gb;
    let billed = (per_month - p.transfer_free_gb_per_month).max(0.0);
    let transfer = billed * p.transfer_out_per_gb / cost::DAYS_PER_MONTH;
    Ok((fixed + transfer, per_month > p.transfer_tier_gb_per_month))
}

fn render(
    fleets: &[Fleet],
    with: &Measured,
    without: &Measured,
    a: &Assumptions,
    file: &cost::File,
) -> Result<String> {
    let (get_cost, put_cost) = riak_costs(with, without)?;
    let kind = |role: &str| {
        file.scenario
            .vm
            .iter()
            .find(|v| v.role == role)
            .map_or("?", |v| v.kind.as_str())
    };
    let mut out = format!(
        "Measured per request (closed loop, with the cache / without): service CPU {:.0} µs, \
         memcached CPU {:.0} µs, hit rate {:.3}, Riak gets {:.3} / {:.3}, puts {:.3}; {:.0} B \
         per cached item, {:.0} B per answer. The measured cluster's capacity: {:.0} gets/s or \
         {:.0} puts/s on {} cores with n_val {}. Planned: n_val {}, machines at {:.0} % of their \
         sustained CPU, {} contacts, entries living {} s; prices of {} ({}).\n\n",
        with.cpu_us,
        with.cache_cpu_us,
        with.hit_rate,
        with.gets,
        without.gets,
        with.puts,
        with.bytes_per_item,
        with.bytes_per_request,
        1.0 / get_cost,
        1.0 / put_cost,
        a.measured_vcpus,
        a.measured_n_val,
        a.n_val,
        a.utilisation * 100.0,
        a.contacts,
        a.ttl_secs,
        file.prices.region,
        file.prices.looked_up,
    );
    let _ = writeln!(
        out,
        "| requests/s | phonebook ({}) | memcached ({}), item memory | Riak ({}) | Riak gets + puts/s, one cache server down | USD a day |\n|---:|---:|---:|---:|---:|---:|",
        kind("phonebook"), kind("memcached"), kind("riak")
    );
    for f in fleets {
        let mark = if f.beyond_tier {
            " (at most: data out past the first tier)"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "| {} | {} | {}, {:.2} GiB | {} | {} + {} | {:.2}{mark} |",
            crate::experiment::chart::number(f.rate),
            f.service,
            f.cache,
            f.cache_gib,
            f.riak,
            crate::experiment::chart::number(f.riak_gets.round()),
            crate::experiment::chart::number(f.riak_puts.round()),
            f.per_day
        );
    }
    Ok(out)
}

fn number_list(text: &str) -> Result<Vec<f64>> {
    text.split(',')
        .map(|n| n.trim().parse::<f64>().ok().filter(|n| *n > 0.0))
        .collect::<Option<Vec<f64>>>()
        .ok_or_else(|| {
            Error::new(format!(
                "--rates {text:?}: positive numbers, comma-separated"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESULTS: &str = "config,run,loop,throughput_rps,bytes_received_per_request,\
cpu_us_per_request,cache_cpu_us_per_request,store_gets_per_request,store_puts_per_request,\
cache_hit_rate,cache_bytes_per_item
u,1,closed,1000,200,50,0,0.8,0.2,,
u,1,open,40,200,50,0,0.8,0.2,,
c,1,closed,2400,200,90,10,0.1,0.2,0.875,100
c,2,closed,2600,200,110,10,0.1,0.2,0.875,100
c,1,open,40,200,900,10,0.9,0.2,0.1,100
";

    const PRICES: &str = r#"
[prices]
region = "test"
currency = "USD"
looked_up = "2000-01-01"
sources = ["none"]
ipv4_per_hour = 0.005
ebs_gp3_per_gb_month = 0.08
transfer_out_per_gb = 0.09
transfer_free_gb_per_month = 100.0
transfer_tier_gb_per_month = 10240.0
bytes_per_gb = 1000000000
[prices.instances]
s = 0.01
m = 0.02
r = 0.1
[machines]
s = { vcpus = 2, memory_gib = 2, baseline = 0.5 }
m = { vcpus = 2, memory_gib = 1, baseline = 1.0 }
r = { vcpus = 2, memory_gib = 8, baseline = 1.0 }
[scenario]
name = "test"
requests_per_day = 1
bytes_per_request = 1
[[scenario.vm]]
role = "phonebook"
type = "s"
count = 1
[[scenario.vm]]
role = "memcached"
type = "m"
count = 1
[[scenario.vm]]
role = "riak"
type = "r"
count = 1
"#;

    fn assumptions() -> Assumptions {
        Assumptions {
            write_share: None,
            n_val: 3.0,
            measured_n_val: 3.0,
            measured_vcpus: 2.0,
            utilisation: 0.5,
            contacts: 1e6,
            ttl_secs: 10.0,
        }
    }

    fn fleets(rates: &[f64]) -> Vec<Fleet> {
        let dir = std::env::temp_dir().join(format!("tools-unit-plan-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("results.csv");
        std::fs::write(&path, RESULTS).unwrap();
        let (with, without) = (measured(&path, "c").unwrap(), measured(&path, "u").unwrap());
        std::fs::remove_dir_all(dir).unwrap();
        let file = cost::parse(PRICES).unwrap();
        let a = assumptions();
        rates
            .iter()
            .map(|&rate| size(rate, &with, &without, &a, &file).unwrap())
            .collect()
    }

    #[test]
    fn the_measured_figures_are_the_closed_loop_medians() {
        let dir = std::env::temp_dir().join(format!("tools-unit-plan-m-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("results.csv");
        std::fs::write(&path, RESULTS).unwrap();
        let with = measured(&path, "c").unwrap();
        assert_eq!(
            (with.throughput, with.cpu_us, with.hit_rate),
            (2500.0, 100.0, 0.875)
        );
        assert!(measured(&path, "x").is_err());
        std::fs::write(&path, "config,run,loop,throughput_rps\nc,1,closed,5\n").unwrap();
        let err = measured(&path, "c").unwrap_err().to_string();
        assert!(err.contains("no cpu_us_per_request column"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_get_and_a_put_cost_what_both_saturated_runs_say() {
        let m = |throughput, gets, puts| Measured {
            throughput,
            gets,
            puts,
            cpu_us: 0.0,
            cache_cpu_us: 0.0,
            hit_rate: 0.0,
            bytes_per_item: 0.0,
            bytes_per_request: 0.0,
        };
        // 800 gets + 200 puts a second, and 250 + 500: a get 1/1,166.7 s, a put 1/636.4 s.
        let (get, put) = riak_costs(&m(2500.0, 0.1, 0.2), &m(1000.0, 0.8, 0.2)).unwrap();
        assert!((800.0 * get + 200.0 * put - 1.0).abs() < 1e-9);
        assert!((250.0 * get + 500.0 * put - 1.0).abs() < 1e-9);
        assert!((1.0 / get - 3500.0 / 3.0).abs() < 1e-6, "{}", 1.0 / get);
        // The same mix twice cannot tell them apart.
        assert!(riak_costs(&m(1000.0, 0.8, 0.2), &m(1000.0, 0.8, 0.2)).is_err());
    }

    #[test]
    fn each_tier_is_sized_by_hand() {
        let f = fleets(&[1e4, 1e6]);
        // 10k/s × 100 µs = 1 core, at half of a half-speed 2-vCPU machine: 2 instances.
        assert_eq!(f[0].service, 2);
        // 80,000 names in a 10 s TTL × 100 B × 1.25: one server; with it down, every get
        // (0.8 a request) reaches Riak: 8,000 gets and 2,000 puts a second take 20 cores.
        assert_eq!((f[0].cache, f[0].riak), (1, 20));
        assert!((f[0].riak_gets - 8000.0).abs() < 1e-6 && (f[0].riak_puts - 2000.0).abs() < 1e-6);
        let vms = (2.0 * 0.01 + 0.02 + 20.0 * 0.1) * 24.0;
        let month = 1e4 * 200.0 * 86_400.0 / 1e9 * cost::DAYS_PER_MONTH;
        let transfer = (month - 100.0) * 0.09 / cost::DAYS_PER_MONTH;
        assert!((f[0].per_day - vms - transfer).abs() < 1e-6, "{:?}", f[0]);
        assert!(!f[0].beyond_tier);
        // 1M/s: 100 cores of service, 10 memcached servers by CPU (10 µs a request), and with
        // one of them down 0.1 + 0.7 / 10 gets a request reach Riak.
        assert_eq!((f[1].service, f[1].cache), (200, 10));
        assert!((f[1].riak_gets - 170_000.0).abs() < 1e-6);
        assert_eq!(f[1].riak, 920);
        assert!(f[1].beyond_tier);
    }
}
