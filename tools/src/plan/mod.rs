//! `plan`: the fleet a target request rate needs, and its daily cost, from what an experiment
//! measured per request (service CPU, memcached CPU and memory, Riak operations with and without
//! the cache, hit rate; `experiment/probe.rs`) and the price table `cost` uses.
//!
//! This file reads the options and the results and prints the table; the model is `model.rs`.

mod model;

use crate::args;
use crate::cost;
use crate::error::{io_context, Error, Result};
use crate::experiment::record::Spread;
use model::{riak_costs, size, Assumptions, Fleet, Measured};
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
    --type ROLE=TYPE    another instance type for a role of the scenario (repeatable), e.g.
                        --type memcached=m5.large
";

pub fn run(mut parser: lexopt::Parser) -> Result<()> {
    use lexopt::prelude::*;
    let (mut results, mut prices) = (None::<PathBuf>, None::<PathBuf>);
    let (mut cached, mut uncached) = ("prod16-pbc-cache".to_string(), "prod16-pbc".to_string());
    let mut rates = vec![1e3, 1e4, 1e5, 1e6];
    let mut types = Vec::new();
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
            Long("type") => types.push(args::text(&mut parser)?),
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
    let mut file =
        cost::parse(&text).map_err(|e| Error::new(format!("{}: {e}", prices_path.display())))?;
    for role_type in &types {
        retype(&mut file, role_type)?;
    }
    let with = measured(&results, &cached)?;
    let without = measured(&results, &uncached)?;
    let fleets = rates
        .iter()
        .map(|&rate| size(rate, &with, &without, &a, &file))
        .collect::<Result<Vec<_>>>()?;
    print!("{}", render(&fleets, &with, &without, &a, &file)?);
    Ok(())
}

/// Applies `--type ROLE=TYPE`: the scenario's VMs of that role become that type.
fn retype(file: &mut cost::File, role_type: &str) -> Result<()> {
    let bad = || {
        Error::new(format!(
            "--type {role_type:?}: ROLE=TYPE, e.g. memcached=m5.large"
        ))
    };
    let (role, kind) = role_type.split_once('=').ok_or_else(bad)?;
    let vm = file.scenario.vm.iter_mut().find(|v| v.role == role);
    vm.ok_or_else(bad)?.kind = kind.to_string();
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
        "| requests/s | phonebook ({}) | memcached ({}), item memory MiB | Riak ({}) | Riak gets + puts/s, one cache server down | USD a day |\n|---:|---:|---:|---:|---:|---:|",
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
            "| {} | {} | {}, {:.1} | {} | {} + {} | {}{mark} |",
            thousands(f.rate as u64),
            f.service,
            f.cache,
            f.cache_gib * 1024.0,
            f.riak,
            thousands(f.riak_gets.round() as u64),
            thousands(f.riak_puts.round() as u64),
            dollars(f.per_day)
        );
    }
    Ok(out)
}

/// `1,234.56`.
fn dollars(amount: f64) -> String {
    let cents = (amount * 100.0).round() as u64;
    format!("{}.{:02}", thousands(cents / 100), cents % 100)
}

/// `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
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

    #[test]
    fn amounts_read_with_thousands_separators() {
        assert_eq!(dollars(2846.555), "2,846.56");
        assert_eq!(dollars(9.9), "9.90");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(800), "800");
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
}
