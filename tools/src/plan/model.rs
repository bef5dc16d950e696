//! The capacity model of `plan`: what one configuration's runs measured per request, what the
//! model assumes beyond them, and the fleet (service instances, memcached servers and memory,
//! Riak nodes) and daily cost that a request rate needs. docs/experiments.md states the model
//! and its limits.

use crate::cost::{self, Machine, Vm};
use crate::error::{Error, Result};

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

#[cfg(test)]
mod tests {
    use super::*;

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
        let m = |throughput, cpu_us, cache_cpu_us, gets, hit_rate, bytes_per_item| Measured {
            throughput,
            cpu_us,
            cache_cpu_us,
            gets,
            puts: 0.2,
            hit_rate,
            bytes_per_item,
            bytes_per_request: 200.0,
        };
        let with = m(2500.0, 100.0, 10.0, 0.1, 0.875, 100.0);
        let without = m(1000.0, 50.0, 0.0, 0.8, 0.0, 0.0);
        let file = cost::parse(PRICES).unwrap();
        let a = assumptions();
        rates
            .iter()
            .map(|&rate| size(rate, &with, &without, &a, &file).unwrap())
            .collect()
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
