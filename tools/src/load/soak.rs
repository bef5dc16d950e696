//! `soak`: a long, steady load that watches the service's resident memory over time.
//!
//! The run is cut into intervals; each interval is a bounded `loadtest` run, followed by a
//! reading of the service's resident set size from `/proc/PID/status`. A leak shows as memory
//! that keeps climbing while throughput stays flat, which a single loadtest cannot show.

use crate::args;
use crate::data::workload;
use crate::error::{Error, Result};
use crate::load::client::Target;
use crate::load::loadtest::{self, Options};
use crate::load::pace::Pace;
use std::time::Duration;

const HELP: &str = "\
phonebook-tools soak: a long load that samples throughput and the service's memory

USAGE:
    phonebook-tools soak --target URL --workload FILE --pid PID --duration D [OPTIONS]

OPTIONS:
    --target URL         the service, http://host:port
    --workload FILE      the workload (from gen-workload), replayed in a loop
    --pid PID            the service's process id, whose resident memory is sampled
    --duration D         the whole run (e.g. 10m); at most 24h
    --interval D         one sample per interval [default: 30s]
    --concurrency N      workers, each with one keep-alive connection [default: 16]

Prints one line per interval (throughput, p99, errors, resident memory) and a JSON summary
with the first, last and highest resident memory.
";

/// One interval's figures.
struct Sample {
    at_secs: f64,
    throughput: f64,
    p99_ms: f64,
    errors: u64,
    rss_kib: u64,
}

pub fn run(mut parser: lexopt::Parser) -> Result<()> {
    use lexopt::prelude::*;
    let (mut target, mut file, mut pid, mut duration) = (None, None, None::<u32>, None);
    let (mut interval, mut concurrency) = (Duration::from_secs(30), 16);
    while let Some(arg) = parser.next()? {
        match arg {
            Long("target") => target = Some(Target::parse(&args::text(&mut parser)?)?),
            Long("workload") => file = Some(args::path(&mut parser)?),
            Long("pid") => pid = Some(args::number(&mut parser, "pid")?),
            Long("duration") => duration = Some(args::duration(&mut parser, "duration")?),
            Long("interval") => interval = args::duration(&mut parser, "interval")?,
            Long("concurrency") => concurrency = args::number(&mut parser, "concurrency")?,
            Short('h') | Long("help") => {
                print!("{HELP}");
                return Ok(());
            }
            other => return Err(other.unexpected().into()),
        }
    }
    let target = args::required(target, "target")?;
    let pid = args::required(pid, "pid")?;
    let duration = args::required(duration, "duration")?;
    if duration > Duration::from_secs(86_400) || interval.is_zero() || interval > duration {
        return Err(Error::new("need 0 < --interval <= --duration <= 24h"));
    }
    let rows = workload::read(&args::required(file, "workload")?)?;
    let requests: Vec<Vec<u8>> = rows.iter().map(|r| target.request(r)).collect();
    let opts = Options {
        concurrency,
        pace: Pace::Closed,
        loops: None,
        duration: Some(interval),
        timeout: Duration::from_secs(10),
        progress: false,
    };
    let intervals = (duration.as_secs_f64() / interval.as_secs_f64()).ceil() as u32;
    let mut samples = Vec::new();
    eprintln!("soak: {intervals} intervals of {interval:?}, {concurrency} connections, pid {pid}");
    for i in 1..=intervals {
        let report = loadtest::run_load(&target, &requests, &opts)?;
        let sample = Sample {
            at_secs: (i as f64) * interval.as_secs_f64(),
            throughput: report.throughput(),
            p99_ms: report.percentile_ms(99.0),
            errors: report.errors().values().sum(),
            rss_kib: resident_kib(pid)?,
        };
        println!(
            "{:>7.0} s  {:>9.0} req/s  p99 {:>7.2} ms  errors {:>4}  rss {:>7.1} MiB",
            sample.at_secs,
            sample.throughput,
            sample.p99_ms,
            sample.errors,
            sample.rss_kib as f64 / 1024.0
        );
        samples.push(sample);
    }
    println!("{:#}", summary(&samples));
    Ok(())
}

/// The resident set size of a process, from `/proc/PID/status` (Linux).
pub fn resident_kib(pid: u32) -> Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path)
        .map_err(|e| Error::new(format!("cannot read {path}: {e} (is the service running?)")))?;
    parse_rss(&status).ok_or_else(|| Error::new(format!("no VmRSS line in {path}")))
}

fn parse_rss(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn summary(samples: &[Sample]) -> serde_json::Value {
    let rss: Vec<u64> = samples.iter().map(|s| s.rss_kib).collect();
    let mib = |kib: u64| (kib as f64 / 1024.0 * 10.0).round() / 10.0;
    let rates: Vec<f64> = samples.iter().map(|s| s.throughput.round()).collect();
    serde_json::json!({
        "intervals": samples.len(),
        "throughput_per_interval": rates,
        "errors": samples.iter().map(|s| s.errors).sum::<u64>(),
        "rss_mib_first": rss.first().map(|k| mib(*k)),
        "rss_mib_last": rss.last().map(|k| mib(*k)),
        "rss_mib_max": rss.iter().max().map(|k| mib(*k)),
        "rss_mib_per_interval": rss.iter().map(|k| mib(*k)).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_resident_memory() {
        let status = "Name:\tphonebook\nVmPeak:\t  99 kB\nVmRSS:\t    6020 kB\nThreads:\t20\n";
        assert_eq!(parse_rss(status), Some(6020));
        assert_eq!(parse_rss("Name: x\n"), None);
        let own = resident_kib(std::process::id()).unwrap();
        assert!(
            own > 100,
            "this test process has some memory resident: {own} KiB"
        );
    }
}
